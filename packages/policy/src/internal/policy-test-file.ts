/**
 * The policy test file: reading and checking its JSON shape. Every defect is an `E_TEST_FILE`
 * whose message and `details.path` give the JSON path of the bad value (`$.tests[2].expect`),
 * so a reader finds it without guessing. Values inside requests and entities are checked here
 * too (entity references, context values), so a malformed case never reaches the authorizer.
 */
import { describeValue } from '@plinth/core';
import { policyErrors } from '../errors.js';
import { DEFAULT_POLICY_LIMITS } from '../options.js';
import type { AuthorizationRequest, Decision, EntityJson, EntityRef } from '../types.js';
import { uidFromRef, valueFromJson } from './json-values.js';

/** Where a test file takes its policies from. */
export type PolicyTestPolicies =
  /** A path to a `.cedar` file (Cedar text) or a `.json` file (Cedar JSON policy set), relative to the test file. */
  | string
  /** Cedar policy text, inline. */
  | { readonly text: string }
  /** A policy set in Cedar's JSON format (`{ staticPolicies, templates, templateLinks }`), inline. */
  | { readonly json: unknown };

/** What a test expects of the response. Omitted lists are not checked. */
export interface PolicyTestExpectation {
  readonly decision: Decision;
  /** Ids of the determining policies, in any order (compared as a set). */
  readonly determining?: readonly string[];
  /** Ids of the policies whose evaluation errored, in any order (compared as a set). */
  readonly errors?: readonly string[];
}

/** One test: a request, extra entities, and the expected response. */
export interface PolicyTestCase {
  readonly name: string;
  readonly request: AuthorizationRequest;
  /** Entities added to the file's for this test; an entity with the same uid replaces the file's. */
  readonly entities?: readonly EntityJson[];
  readonly expect: PolicyTestExpectation;
}

/**
 * A policy test file (JSON):
 *
 * ```json
 * {
 *   "policies": "./photos.cedar",
 *   "entities": [{ "uid": { "type": "User", "id": "alice" }, "attrs": {}, "parents": [] }],
 *   "tests": [
 *     {
 *       "name": "alice views her own photo",
 *       "request": {
 *         "principal": { "type": "User", "id": "alice" },
 *         "action": "Action::\"view\"",
 *         "resource": { "type": "Photo", "id": "p1" },
 *         "context": {}
 *       },
 *       "entities": [],
 *       "expect": { "decision": "allow", "determining": ["owner-views"], "errors": [] }
 *     }
 *   ]
 * }
 * ```
 *
 * `policies` is optional when the runner is given the policies; `$schema` is allowed (for
 * editors) and ignored. Any other key is an error, so a typo never silently disables a check.
 */
export interface PolicyTestFile {
  readonly policies?: PolicyTestPolicies;
  readonly entities?: readonly EntityJson[];
  readonly tests: readonly PolicyTestCase[];
}

/** The JSON Schema (draft 2020-12) of a policy test file, for editors and CI linters. */
export const POLICY_TEST_FILE_SCHEMA = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://plinth.dev/schemas/policy-tests.json',
  title: 'Plinth policy test file',
  type: 'object',
  additionalProperties: false,
  required: ['tests'],
  properties: {
    $schema: { type: 'string' },
    policies: {
      description:
        'A path to a .cedar or .json policy file (relative to the test file), or inline { text } or { json }.',
      oneOf: [
        { type: 'string' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: { text: { type: 'string' } },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['json'],
          properties: { json: { type: 'object' } },
        },
      ],
    },
    entities: { $ref: '#/$defs/entities' },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'request', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1 },
          request: {
            type: 'object',
            additionalProperties: false,
            required: ['principal', 'action', 'resource'],
            properties: {
              principal: { $ref: '#/$defs/entityRef' },
              action: { $ref: '#/$defs/entityRef' },
              resource: { $ref: '#/$defs/entityRef' },
              context: { type: 'object' },
            },
          },
          entities: { $ref: '#/$defs/entities' },
          expect: {
            type: 'object',
            additionalProperties: false,
            required: ['decision'],
            properties: {
              decision: { enum: ['allow', 'deny'] },
              determining: { type: 'array', items: { type: 'string' }, uniqueItems: true },
              errors: { type: 'array', items: { type: 'string' }, uniqueItems: true },
            },
          },
        },
      },
    },
  },
  $defs: {
    entityRef: {
      description: 'Cedar JSON { type, id }, { __entity: { type, id } }, or the text Type::"id".',
      oneOf: [{ type: 'string' }, { type: 'object' }],
    },
    entities: {
      description: "Entities in Cedar's JSON entity format.",
      type: 'array',
      items: {
        type: 'object',
        required: ['uid'],
        properties: {
          uid: { $ref: '#/$defs/entityRef' },
          attrs: { type: 'object' },
          parents: { type: 'array', items: { $ref: '#/$defs/entityRef' } },
          tags: { type: 'object' },
        },
      },
    },
  },
});

/** A Plinth error's message without its package prefix (it is added again by the wrapper). */
function inner(e: unknown): string {
  return e instanceof Error ? e.message.replace(/^\[[^\]]+\] /, '') : String(e);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** JSON path of a key below `path` (`$.a`, `$["odd key"]`). */
function child(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Builds the `E_TEST_FILE` error for the value at `path`. */
export function testFileError(
  source: string | undefined,
  path: string,
  message: string,
  cause?: unknown,
): Error {
  const where = source === undefined ? path : `${source}: ${path}`;
  return policyErrors.create('E_TEST_FILE', `${where}: ${message}`, {
    details: source === undefined ? { path } : { path, file: source },
    ...(cause === undefined ? {} : { cause }),
  });
}

class Checker {
  constructor(readonly source: string | undefined) {}

  fail(path: string, message: string, cause?: unknown): never {
    throw testFileError(this.source, path, message, cause);
  }

  /** Re-raises a value error from the Cedar JSON readers as `E_TEST_FILE` at its own path. */
  rethrow(e: unknown, path: string, prefix = ''): never {
    const at = (e as { details?: { path?: unknown } }).details?.path;
    let msg = inner(e);
    if (typeof at === 'string' && at.startsWith(path) && msg.startsWith(`${at}: `)) {
      msg = msg.slice(at.length + 2);
      return this.fail(at, prefix + msg, e);
    }
    return this.fail(path, prefix + msg, e);
  }

  object(v: unknown, path: string, keys: readonly string[], required: readonly string[]) {
    if (!isPlainObject(v)) this.fail(path, `expected an object, got ${describeValue(v)}`);
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) {
        this.fail(child(path, k), `unknown key (expected one of ${keys.join(', ')})`);
      }
    }
    for (const k of required) {
      if (v[k] === undefined) this.fail(child(path, k), 'is required');
    }
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, `expected a string, got ${describeValue(v)}`);
    return v;
  }

  ids(v: unknown, path: string): readonly string[] {
    if (!Array.isArray(v))
      this.fail(path, `expected an array of policy ids, got ${describeValue(v)}`);
    const seen = new Set<string>();
    v.forEach((id, i) => {
      const s = this.string(id, `${path}[${i}]`);
      if (seen.has(s)) this.fail(`${path}[${i}]`, `policy id ${JSON.stringify(s)} is listed twice`);
      seen.add(s);
    });
    return v as string[];
  }

  ref(v: unknown, path: string): EntityRef {
    try {
      uidFromRef(v, 'E_INVALID_REQUEST', path);
    } catch (e) {
      this.rethrow(e, path, 'not an entity reference ({ type, id }, { __entity } or Type::"id"): ');
    }
    return v as EntityRef;
  }

  entities(v: unknown, path: string): readonly EntityJson[] {
    if (!Array.isArray(v))
      this.fail(path, `expected an array of entities, got ${describeValue(v)}`);
    v.forEach((e, i) => {
      const at = `${path}[${i}]`;
      const o = this.object(e, at, ['uid', 'attrs', 'parents', 'tags'], ['uid']);
      this.ref(o.uid, `${at}.uid`);
    });
    return v as EntityJson[];
  }

  policies(v: unknown, path: string): PolicyTestPolicies {
    if (typeof v === 'string') {
      if (v.length === 0) this.fail(path, 'the policy file path is empty');
      return v;
    }
    if (isPlainObject(v) && 'text' in v) {
      const o = this.object(v, path, ['text'], ['text']);
      return { text: this.string(o.text, `${path}.text`) };
    }
    if (isPlainObject(v) && 'json' in v) {
      const o = this.object(v, path, ['json'], ['json']);
      if (!isPlainObject(o.json))
        this.fail(`${path}.json`, 'expected a Cedar JSON policy set object');
      return { json: o.json };
    }
    return this.fail(path, 'expected a policy file path, { "text": "…" } or { "json": {…} }');
  }

  request(v: unknown, path: string): AuthorizationRequest {
    const o = this.object(
      v,
      path,
      ['principal', 'action', 'resource', 'context'],
      ['principal', 'action', 'resource'],
    );
    this.ref(o.principal, `${path}.principal`);
    this.ref(o.action, `${path}.action`);
    this.ref(o.resource, `${path}.resource`);
    if (o.context !== undefined) {
      if (!isPlainObject(o.context))
        this.fail(`${path}.context`, 'expected an object (a Cedar record)');
      try {
        valueFromJson(o.context, DEFAULT_POLICY_LIMITS, `${path}.context`, 'E_INVALID_REQUEST');
      } catch (e) {
        this.rethrow(e, `${path}.context`);
      }
    }
    return o as unknown as AuthorizationRequest;
  }

  expectation(v: unknown, path: string): PolicyTestExpectation {
    const o = this.object(v, path, ['decision', 'determining', 'errors'], ['decision']);
    if (o.decision !== 'allow' && o.decision !== 'deny') {
      this.fail(`${path}.decision`, `expected "allow" or "deny", got ${describeValue(o.decision)}`);
    }
    const out: { decision: Decision; determining?: readonly string[]; errors?: readonly string[] } =
      {
        decision: o.decision,
      };
    if (o.determining !== undefined)
      out.determining = this.ids(o.determining, `${path}.determining`);
    if (o.errors !== undefined) out.errors = this.ids(o.errors, `${path}.errors`);
    return out;
  }

  testCase(v: unknown, path: string): PolicyTestCase {
    const o = this.object(
      v,
      path,
      ['name', 'request', 'entities', 'expect'],
      ['name', 'request', 'expect'],
    );
    const name = this.string(o.name, `${path}.name`);
    if (name.trim().length === 0) this.fail(`${path}.name`, 'a test needs a non-empty name');
    const request = this.request(o.request, `${path}.request`);
    const expect = this.expectation(o.expect, `${path}.expect`);
    const out: {
      name: string;
      request: AuthorizationRequest;
      entities?: readonly EntityJson[];
      expect: PolicyTestExpectation;
    } = {
      name,
      request,
      expect,
    };
    if (o.entities !== undefined) out.entities = this.entities(o.entities, `${path}.entities`);
    return out;
  }
}

/**
 * Checks a parsed test file (or its JSON text) and returns it typed. `source` names the file in
 * error messages. Throws `E_TEST_FILE` with the JSON path of the first defect.
 */
export function parsePolicyTestFile(input: unknown, source?: string): PolicyTestFile {
  const c = new Checker(source);
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input) as unknown;
    } catch (e) {
      c.fail('$', `not valid JSON (${e instanceof Error ? e.message : String(e)})`, e);
    }
  }
  const o = c.object(json, '$', ['$schema', 'policies', 'entities', 'tests'], ['tests']);
  const list = o.tests;
  if (!Array.isArray(list))
    c.fail('$.tests', `expected an array of tests, got ${describeValue(list)}`);
  const names = new Map<string, number>();
  const tests = (list as unknown[]).map((t, i) => {
    const tc = c.testCase(t, `$.tests[${i}]`);
    const dup = names.get(tc.name);
    if (dup !== undefined) {
      c.fail(
        `$.tests[${i}].name`,
        `the name ${JSON.stringify(tc.name)} is already used by $.tests[${dup}]`,
      );
    }
    names.set(tc.name, i);
    return tc;
  });
  const out: {
    policies?: PolicyTestPolicies;
    entities?: readonly EntityJson[];
    tests: readonly PolicyTestCase[];
  } = { tests };
  if (o.policies !== undefined) out.policies = c.policies(o.policies, '$.policies');
  if (o.entities !== undefined) out.entities = c.entities(o.entities, '$.entities');
  return out;
}
