import { describe, expect, it } from 'vitest';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { Schema } from '../src/schema.js';
import { validatePolicies, validatePolicy, type ValidationIssueCode } from '../src/validate.js';
import type { PolicyAst } from '../src/internal/ast.js';
import { parsePolicies } from '../src/internal/parser.js';
import { PolicySet } from '../src/policy-set.js';
import { SCHEMA, WORLD_1, WORLD_2, generator, type World } from './oracle/validation-gen.js';

/*
 * Policies are written as Cedar text, parsed by our parser for our validator and given as text
 * to cedar-wasm's validator, whose per-policy verdict is the oracle.
 */

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function parsed(text: string): { ast: PolicyAst; text: string } {
  const [p] = parsePolicies(text);
  return p!;
}

const astOf = (text: string): PolicyAst => parsed(text).ast;

function cedarResult(schema: string | object, texts: readonly string[]): Json {
  const staticPolicies: Record<string, string> = {};
  const templates: Record<string, string> = {};
  texts.forEach((t, i) => {
    if (/\?(principal|resource)\b/.test(t)) templates[`p${i}`] = t;
    else staticPolicies[`p${i}`] = t;
  });
  const r: Json = cedar.validate({
    validationSettings: { mode: 'strict' },
    schema: schema as string,
    policies: { staticPolicies, templates },
  });
  if (r.type !== 'success') throw new Error(JSON.stringify(r.errors));
  return r;
}

/** cedar-wasm's verdict: the ids of the policies with at least one validation error. */
function cedarInvalid(schema: string | object, texts: readonly string[]): Set<string> {
  const r = cedarResult(schema, texts);
  return new Set((r.validationErrors as Json[]).map((e) => e.policyId as string));
}

const schema = Schema.parse(SCHEMA);

function ours(texts: readonly string[]): Map<string, ValidationIssueCode[]> {
  const r = validatePolicies(
    schema,
    texts.map((t, i) => ({ id: `p${i}`, ...parsed(t) })),
  );
  const out = new Map<string, ValidationIssueCode[]>();
  for (const i of r.issues) {
    if (i.severity !== 'error') continue;
    out.set(i.policyId, [...(out.get(i.policyId) ?? []), i.code]);
  }
  return out;
}

const P = 'permit(principal, action, resource)';
const U = 'permit(principal is User, action, resource)';

/** [policy, the error codes it must produce ([] = valid)]. */
const CASES: readonly (readonly [string, readonly ValidationIssueCode[]])[] = [
  [`${P};`, []],
  [`permit(principal == Foo::"x", action, resource);`, ['unknownEntityType']],
  [`${P} when { principal is Goo };`, ['unknownEntityType']],
  [`permit(principal, action == Action::"nope", resource);`, ['unknownAction']],
  [`${P} when { action in Action::"nope" };`, ['unknownAction']],
  [`${P} when { Color::"green" == Color::"red" };`, ['invalidEnumEntity']],
  [`${P} when { Color::"red" == Color::"red" };`, []],
  [`${U} when { principal.nope == 1 };`, ['unknownAttribute']],
  [`${P} when { principal.age > 1 };`, ['unknownAttribute']],
  [`${P} when { principal is User && principal.age > 1 };`, []],
  [`${P} when { principal has age && principal.age > 1 };`, []],
  [`${U} when { principal.name == "a" };`, ['unsafeOptionalAttributeAccess']],
  [`${U} when { principal has name && principal.name == "a" };`, []],
  [`${U} when { principal has name || principal.name == "a" };`, ['unsafeOptionalAttributeAccess']],
  [
    `${U} when { !(principal has name) || principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [`${U} when { if principal has name then principal.name == "a" else false };`, []],
  [`${U} when { principal.prefs.size > 1 };`, ['unsafeOptionalAttributeAccess']],
  [`${U} when { principal.prefs has size && principal.prefs.size > 1 };`, []],
  [
    `${U} when { principal has manager && principal.manager has name && principal.manager.name == "x" };`,
    [],
  ],
  [`${U} when { principal has name } when { principal.name == "a" };`, []],
  [`${U} when { (principal has name || principal has name) && principal.name == "a" };`, []],
  [
    `${U} when { (principal has name || principal.age > 1) && principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [
    `${U} when { (if principal.age > 1 then principal has name else principal has name) && principal.name == "a" };`,
    [],
  ],
  [
    `${U} when { (if principal has name then true else false) && principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [
    `${U} unless { !(principal has name) } when { principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [
    `${U} when { !!(principal has name) && principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [`${U} when { User::"u".name == "a" };`, ['unsafeOptionalAttributeAccess']],
  [`${U} when { User::"u" has name && User::"u".name == "a" };`, []],
  [`${U} when { principal has name && User::"u".name == "a" };`, ['unsafeOptionalAttributeAccess']],
  [
    `${U} when { {x: principal has name}.x && principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [`${U} when { context.n > 2 };`, ['unknownAttribute', 'unsafeOptionalAttributeAccess']],
  [
    `permit(principal, action == Action::"view", resource) when { context has n && context.n > 2 };`,
    [],
  ],
  [`${P} when { action == Action::"view" && context has n && context.n > 2 };`, []],
  [`${P} when { 1 + true };`, ['typeMismatch']],
  [`${P} when { "a" + "b" == "ab" };`, ['typeMismatch', 'lubError']],
  [`${P} when { context };`, ['typeMismatch']],
  [`forbid(principal, action, resource) unless { 1 };`, ['typeMismatch']],
  [`${P} when { true || 1 };`, []],
  [`${P} when { false || 1 };`, ['typeMismatch']],
  [`${P} when { false && (1 + true) };`, []],
  [`${P} when { if true then true else 1 };`, []],
  [`${P} when { (if 1 > 0 then 1 else "a") == 1 };`, ['lubError']],
  [`${P} when { principal.age == resource };`, ['lubError', 'unknownAttribute']],
  [`${U} when { principal == resource };`, []],
  [`${P} when { 1 == "a" };`, []],
  [`${P} when { {a: 1} == {a: "x"} };`, ['lubError']],
  [`${P} when { (if context == context then 1 else "a") == 1 };`, ['lubError']],
  [`${P} when { (if principal == principal then 1 else "a") == 1 };`, ['lubError']],
  [`${P} when { (if action == action then 1 else "a") == 1 };`, []],
  [`${P} when { (if action in action then 1 else "a") == 1 };`, []],
  [`${P} when { (if User::"a" in User::"a" then 1 else "a") == 1 };`, ['lubError']],
  [`${P} when { (if User::"a" == User::"a" then 1 else "a") == 1 };`, []],
  [`${P} when { (if !true then 1 else "a") == 1 };`, ['lubError']],
  [`${P} when { action == true };`, []],
  [`${U} when { principal.prefs == {theme: "t", size: 1} };`, ['lubError']],
  [`${U} when { principal.prefs == {theme: "t"} };`, ['lubError']],
  [`${U} when { [principal.prefs, principal.prefs].isEmpty() };`, []],
  [`${P} when { decimal("1.0") == ip("1.2.3.4") };`, ['lubError']],
  [`${P} when { ip("1.2.3.4") == ip("::1") };`, []],
  [
    `permit(principal, action == Action::"view", resource) when { context.ip < context.ip };`,
    ['typeMismatch'],
  ],
  [
    `${P} when { duration("1h") < duration("2h") && datetime("2024-01-01") >= datetime("2023-01-01") };`,
    [],
  ],
  [`${U} when { principal in principal.manager };`, ['unsafeOptionalAttributeAccess']],
  [`${P} when { action in [Action::"view", User::"u"] };`, ['mixedSetTypes']],
  [`${P} when { action in User::"u" };`, []],
  [`${P} when { (if principal is User then [1] else []).isEmpty() };`, ['emptySetLiteral']],
  [`${P} when { [[1], [2]].contains([3]) && [{a: 1}].contains({a: 2}) };`, []],
  [`${P} when { [{a: 1}].contains({a: true}) };`, ['lubError']],
  [`${P} when { {a: 1}.b == 1 };`, ['unknownAttribute']],
  [`${P} when { {a: 1} has b };`, []],
  [`${P} when { [] == [] };`, ['emptySetLiteral']],
  [`${P} when { [1, "a"].contains(1) };`, ['mixedSetTypes']],
  [`${U} when { [principal, resource].contains(principal) };`, ['mixedSetTypes']],
  [`${P} when { [1, 2].contains("a") };`, ['lubError']],
  [`${P} when { [1, 2].containsAny(1) };`, ['typeMismatch']],
  [`permit(principal, action, resource is Doc) when { resource.tags.containsAll(["a"]) };`, []],
  [
    `permit(principal, action, resource is Doc) when { resource.tags.containsAll([1]) };`,
    ['lubError'],
  ],
  [`${P} when { principal in 1 };`, ['typeMismatch']],
  [`${P} when { 1 in [1] };`, ['typeMismatch']],
  [`${P} when { User::"a" in Doc::"d" };`, []],
  [`${U} when { principal in [Group::"a", User::"b"] };`, ['mixedSetTypes']],
  [`${P} when { 1 like "b*" };`, ['typeMismatch']],
  [`${P} when { decimal("1.0") < decimal("2.0") };`, ['typeMismatch']],
  [`${P} when { datetime("2020-01-01") < datetime("2021-01-01") };`, []],
  [`${P} when { 1 < datetime("2020-01-01") };`, ['typeMismatch']],
  [`${P} when { decimal("1.0").lessThan(decimal("2.0")) };`, []],
  [`${P} when { ip("1.2.3.4").isInRange(ip("1.0.0.0/8")) };`, []],
  [`${P} when { ip("1.2.3.4").isIpv4(1) };`, ['wrongArity']],
  [`${P} when { decimal("abc") == decimal("1.0") };`, ['extensionArgument']],
  [
    `${U} when { decimal(principal.name) == decimal("1.0") };`,
    ['unsafeOptionalAttributeAccess', 'nonLitExtConstructor'],
  ],
  [`${P} when { ip(1) };`, ['typeMismatch']],
  [
    `permit(principal, action, resource is Doc) when { resource.getTag("x") == "a" };`,
    ['unsafeTagAccess'],
  ],
  [
    `permit(principal, action, resource is Doc) when { resource.hasTag("x") && resource.getTag("x") == "a" };`,
    [],
  ],
  [
    `permit(principal, action, resource is Doc) when { resource.hasTag("a") && resource.getTag("b") == "a" };`,
    ['unsafeTagAccess'],
  ],
  [`${U} when { principal.getTag("x") };`, ['unsafeTagAccess']],
  [
    `permit(principal is User, action, resource is Doc) when { principal has name && resource.hasTag(principal.name) && resource.getTag(principal.name) == "a" };`,
    [],
  ],
  [
    `permit(principal is User, action, resource is Doc) when { resource.hasTag("a") || resource.getTag("a") == "a" };`,
    ['unsafeTagAccess'],
  ],
  [
    `permit(principal, action, resource is Doc) when { (if resource.hasTag("a") then resource.getTag("a") else "b") == "a" };`,
    [],
  ],
  [`${U} when { principal.hasTag(1) };`, ['typeMismatch']],
  [`${U} when { principal.age has x };`, ['typeMismatch']],
  [`permit(principal in Group::"g", action == Action::"view", resource is User);`, []],
  [
    `permit(principal == ?principal, action, resource) when { principal.age > 1 };`,
    ['unknownAttribute'],
  ],
  [
    `permit(principal is User in ?principal, action, resource in ?resource) when { principal.age > 1 };`,
    [],
  ],
];

describe('validatePolicies: one case per issue kind', () => {
  const texts = CASES.map(([t]) => t);
  const oracle = cedarInvalid(SCHEMA, texts);
  const got = ours(texts);
  CASES.forEach(([text, codes], i) => {
    it(`${codes.length === 0 ? 'accepts' : codes.join(', ')}: ${text}`, () => {
      const id = `p${i}`;
      // The expected verdict is cedar-wasm's.
      expect(oracle.has(id)).toBe(codes.length > 0);
      expect([...new Set(got.get(id) ?? [])].sort()).toEqual([...new Set(codes)].sort());
    });
  });
});

/** A schema in Cedar's JSON format (cedar-wasm 4.13 rejects `additionalAttributes`, so records are closed). */
const JSON_SCHEMA = {
  '': {
    entityTypes: {
      User: {
        memberOfTypes: ['Team'],
        shape: {
          type: 'Record',
          attributes: {
            age: { type: 'Long' },
            meta: {
              type: 'Record',
              attributes: { k: { type: 'String' }, o: { type: 'Long', required: false } },
            },
          },
        },
      },
      Team: {},
      Item: { shape: { type: 'Record', attributes: { owner: { type: 'Entity', name: 'User' } } } },
      Kind: { enum: ['a', 'b'] },
    },
    actions: {
      get: {
        appliesTo: {
          principalTypes: ['User'],
          resourceTypes: ['Item', 'Kind'],
          context: { type: 'Record', attributes: { x: { type: 'Long', required: false } } },
        },
      },
      put: {
        memberOf: [{ id: 'get' }],
        appliesTo: { principalTypes: ['User', 'Team'], resourceTypes: ['Item'] },
      },
    },
  },
};

const EDGE_POLICIES = [
  `permit(principal, action, resource) when { context has x };`,
  `permit(principal, action, resource) when { context.x == 1 };`,
  `permit(principal, action, resource) when { principal is User && principal.meta has z };`,
  `permit(principal, action, resource) when { principal is User && principal.meta.z == 1 };`,
  `permit(principal, action, resource) when { principal is User && principal.meta.k == "a" };`,
  `permit(principal, action, resource) when { principal is User && principal.meta.o == 1 };`,
  `permit(principal, action, resource) when { principal is User && principal.meta == {k: "a"} };`,
  `permit(principal, action, resource) when { principal is User && (if principal.age > 1 then principal.meta else principal.meta).k == "x" };`,
  `permit(principal, action, resource) when { principal is User && [principal.meta, {k: "a"}].isEmpty() };`,
  `permit(principal, action == Action::"put", resource) when { context has x };`,
  `permit(principal, action == Action::"put", resource) when { context == {} };`,
  `permit(principal, action, resource == Kind::"a");`,
  `permit(principal, action, resource == Kind::"c");`,
  `permit(principal, action, resource) when { resource == Kind::"c" };`,
  `permit(principal, action, resource) when { resource is Kind && resource == Kind::"a" };`,
  `permit(principal, action, resource) when { action.foo == 1 };`,
  `permit(principal, action, resource) when { Action::"get" in action };`,
  `permit(principal, action, resource) when { action in Action::"get" };`,
  `permit(principal, action in Action::"get", resource) when { principal.age > 1 };`,
  `permit(principal, action in Action::"put", resource) when { principal.age > 1 };`,
  `permit(principal in ?principal, action, resource) when { principal.age > 1 };`,
  `permit(principal, action, resource in ?resource) when { resource.owner == principal };`,
  `permit(principal, action, resource is Item in ?resource) when { resource.owner == principal };`,
  `permit(principal == ?principal, action == Action::"get", resource == ?resource);`,
  `permit(principal, action, resource) when { principal in principal };`,
  `permit(principal, action, resource) when { resource in principal };`,
  `permit(principal, action, resource) when { [resource].contains(principal) };`,
  `permit(principal, action, resource) when { [ip("1.1.1.1"), decimal("1.0")].isEmpty() };`,
  `permit(principal, action, resource) when { [[1], [2, 3]].contains([1]) };`,
  `permit(principal, action, resource) when { {a: {b: 1}}.a.b == 1 };`,
  `permit(principal, action, resource) when { {a: {b: 1}} == {a: {b: true}} };`,
  `permit(principal, action, resource) when { if principal has age then principal.age else 0 > 1 };`,
  `permit(principal, action, resource) when { (if principal has age then principal.age else 0) > 1 };`,
  `permit(principal, action, resource) when { principal has age || principal has age };`,
  `permit(principal is User, action, resource) when { (principal.age > 1 || principal has meta) && principal.meta.k == "a" };`,
  `permit(principal, action, resource) when { resource has owner && resource.owner has meta && resource.owner.meta has o && resource.owner.meta.o > 1 };`,
  `permit(principal, action, resource) when { resource has owner.meta.o && resource.owner.meta.o > 1 };`,
  `permit(principal, action, resource) when { "a" like "*" && !("b" like "a") };`,
  `permit(principal, action, resource) when { -(1) == -1 && 2 * 3 - 1 > 0 };`,
  `permit(principal, action, resource) when { datetime("2024-01-01T00:00:00.000+0100") < datetime("2024-01-02") };`,
  `permit(principal, action, resource) when { duration("-1d2h") < duration("1ms") };`,
  `permit(principal, action, resource) when { ip("::ffff:1.2.3.4").isIpv6() };`,
  `permit(principal, action, resource) when { ip("1.2.3.04").isIpv4() };`,
  `permit(principal, action, resource) when { decimal("922337203685477.5808") < decimal("1.0") };`,
  `permit(principal, action, resource) when { decimal("-922337203685477.5808").lessThan(decimal("1.0")) };`,
];

describe('validatePolicies agrees with cedar-wasm on edge cases (JSON schema, enums, slots, literals)', () => {
  const schemaText = JSON.stringify(JSON_SCHEMA);
  const oracle = cedarInvalid(JSON_SCHEMA, EDGE_POLICIES);
  const res = validatePolicies(
    Schema.fromJson(schemaText),
    EDGE_POLICIES.map((t, i) => ({ id: `p${i}`, ...parsed(t) })),
  );
  EDGE_POLICIES.forEach((text, i) => {
    it(`${oracle.has(`p${i}`) ? 'rejects' : 'accepts'} ${text}`, () => {
      const errors = res.issues.filter((x) => x.policyId === `p${i}` && x.severity === 'error');
      expect(errors.length > 0, JSON.stringify(errors)).toBe(oracle.has(`p${i}`));
    });
  });
});

describe('validatePolicies: issue locations', () => {
  it('points at the spans cedar-wasm points at', () => {
    const texts = CASES.filter(([, codes]) => codes.length > 0).map(([t]) => t);
    const r = cedarResult(SCHEMA, texts);
    const cedarStarts = new Map<string, Set<number>>();
    for (const e of r.validationErrors as Json[]) {
      const set = cedarStarts.get(e.policyId) ?? new Set<number>();
      for (const l of e.error.sourceLocations as Json[]) set.add(l.start as number);
      cedarStarts.set(e.policyId, set);
    }
    const res = validatePolicies(
      schema,
      texts.map((t, i) => ({ id: `p${i}`, ...parsed(t) })),
    );
    // Cedar's span of an operation whose left operand is parenthesised starts at the `(`; our
    // parser's starts at the operand itself. Both name the same expression.
    const at = (id: string, offset: number): boolean => {
      const starts = cedarStarts.get(id);
      const text = texts[Number(id.slice(1))]!;
      return (
        !!starts && (starts.has(offset) || (text[offset - 1] === '(' && starts.has(offset - 1)))
      );
    };
    const misplaced = res.issues
      .filter((i) => i.severity === 'error' && !at(i.policyId, i.offset ?? -1))
      .map((i) => `${texts[Number(i.policyId.slice(1))]} ${i.code} at ${i.offset}`);
    expect(misplaced).toEqual([]);
  });

  it('gives line and column in the policy text', () => {
    const text = `permit(principal is User, action, resource)\nwhen {\n  principal.nope == 1\n};`;
    const [issue] = validatePolicies(schema, [{ id: 'x', ...parsed(text) }]).issues;
    expect(issue).toMatchObject({ code: 'unknownAttribute', line: 3, column: 3, offset: 53 });
  });
});

describe('validatePolicies: result shape', () => {
  it('validates a PolicySet: templates in full, links by their values, as cedar-wasm does', () => {
    const templates = {
      t1: 'permit(principal in ?principal, action, resource) when { principal.age > 1 };',
      t2: 'permit(principal == ?principal, action, resource);',
    };
    const links = [
      { templateId: 't1', newId: 'l1', values: { '?principal': { type: 'User', id: 'u' } } },
      { templateId: 't2', newId: 'l2', values: { '?principal': { type: 'Foo', id: 'u' } } },
      { templateId: 't2', newId: 'l3', values: { '?principal': { type: 'Doc', id: 'u' } } },
    ];
    const oracle: Json = cedar.validate({
      validationSettings: { mode: 'strict' },
      schema: SCHEMA,
      policies: { templates, templateLinks: links },
    });
    const cedarInvalidIds = new Set((oracle.validationErrors as Json[]).map((e) => e.policyId));
    let set = PolicySet.parse(
      Object.entries(templates)
        .map(([id, t]) => `@id("${id}")\n${t}`)
        .join('\n'),
    );
    for (const l of links) set = set.link(l.templateId, l.newId, l.values);
    const r = validatePolicies(schema, set);
    const ours = new Set(r.issues.filter((i) => i.severity === 'error').map((i) => i.policyId));
    expect([...ours].sort()).toEqual([...cedarInvalidIds].sort());
    expect(ours).toEqual(new Set(['t1', 'l2']));
  });

  it('reports impossible policies as warnings, leaving them valid', () => {
    const r = validatePolicies(schema, [
      { id: 'w', ast: astOf(`${P} when { principal has nope };`) },
    ]);
    expect(r.valid).toBe(true);
    expect(r.issues.map((i) => [i.code, i.severity])).toEqual([['impossiblePolicy', 'warning']]);
  });

  it('validates one policy alone with validatePolicy', () => {
    const issues = validatePolicy(schema, {
      id: 'one',
      ...parsed(`${U} when { principal.name == "a" };`),
    });
    expect(issues.map((i) => i.code)).toEqual(['unsafeOptionalAttributeAccess']);
  });

  it('reports unknown extension functions and wrong arity in ASTs built without the parser', () => {
    const base = astOf(`${P};`);
    const ast = (body: PolicyAst['conditions'][number]['body']): PolicyAst => ({
      ...base,
      conditions: [{ kind: 'when', body }],
    });
    const lit = { kind: 'lit', value: '1.2.3.4' } as const;
    const r = validatePolicies(schema, [
      { id: 'fn', ast: ast({ kind: 'call', fn: 'nope', args: [lit] }) },
      { id: 'arity', ast: ast({ kind: 'call', fn: 'isIpv4', args: [] }) },
    ]);
    expect(r.issues.map((i) => [i.policyId, i.code])).toEqual([
      ['fn', 'unknownExtensionFunction'],
      ['arity', 'wrongArity'],
    ]);
    // No spans, no text: no location.
    expect(r.issues[0]).not.toHaveProperty('line');
  });

  it('accepts anything with policies()', () => {
    const set = { policies: () => [{ id: 'x', ast: astOf(`${P} when { 1 };`) }] };
    const r = validatePolicies(schema, set);
    expect(r.valid).toBe(false);
    expect(r.issues[0]).toMatchObject({ policyId: 'x', code: 'typeMismatch', severity: 'error' });
  });

  it('rejects a schema that is not a Schema', () => {
    expect(() => validatePolicies({} as Schema, [])).toThrow(/expects a Schema/);
  });
});

// Seeded differential test against cedar-wasm's verdict (generator in ./oracle/validation-gen.ts).

/** Our issue code for one of cedar-wasm's validation errors (its message and help). */
function cedarKind(message: string, help: string): string {
  const kinds: readonly (readonly [RegExp, ValidationIssueCode])[] = [
    [/unrecognized entity type/, 'unknownEntityType'],
    [/unrecognized action/, 'unknownAction'],
    [/valid eid|enumerated/, 'invalidEnumEntity'],
    [/unexpected type/, 'typeMismatch'],
    [/empty set literals/, 'emptySetLiteral'],
    [/optional attribute/, 'unsafeOptionalAttributeAccess'],
    [/attribute .* not found/, 'unknownAttribute'],
    [/access to tag/, 'unsafeTagAccess'],
    [/wrong number of arguments/, 'wrongArity'],
    [/non-literal/, 'nonLitExtConstructor'],
    [/argument validation/, 'extensionArgument'],
  ];
  if (/are not compatible/.test(message)) {
    return /elements of a set/.test(help) ? 'mixedSetTypes' : 'lubError';
  }
  return kinds.find(([re]) => re.test(message))?.[1] ?? `unmapped: ${message}`;
}

function disagreements(
  w: World,
  seed: number,
  n: number,
): {
  checked: number;
  invalid: number;
  differ: string[];
  impossibleDiffer: string[];
  /** Issue codes of ours that cedar-wasm has no error of that kind for. */
  extraKinds: string[];
  /** Invalid policies whose set of error kinds equals cedar-wasm's. */
  sameKinds: number;
} {
  const s = Schema.parse(w.schema);
  const next = generator(seed, w);
  const texts: string[] = [];
  while (texts.length < n) {
    const t = next();
    // Keep only what Cedar parses (the generator can write an unknown method).
    if (
      (cedar.checkParsePolicySet({ templates: { t } }) as Json).type === 'success' ||
      (cedar.checkParsePolicySet({ staticPolicies: t }) as Json).type === 'success'
    ) {
      texts.push(t);
    }
  }
  const cedarRes = cedarResult(w.schema, texts);
  const oracle = new Set((cedarRes.validationErrors as Json[]).map((e) => e.policyId as string));
  const cedarImpossible = new Set(
    (cedarRes.validationWarnings as Json[])
      .filter((e) => /policy is impossible/.test(e.error.message as string))
      .map((e) => e.policyId as string),
  );
  const res = validatePolicies(
    s,
    texts.map((t, i) => ({ id: `p${i}`, ...parsed(t) })),
  );
  const mine = new Set(res.issues.filter((i) => i.severity === 'error').map((i) => i.policyId));
  const differ = texts
    .map((t, i) => ({ t, id: `p${i}` }))
    .filter(({ id }) => oracle.has(id) !== mine.has(id))
    .map(({ t, id }) => {
      const codes = res.issues.filter((i) => i.policyId === id).map((i) => i.code);
      return `${oracle.has(id) ? 'cedar: invalid' : 'cedar: valid'} ${t} ${JSON.stringify(codes)}`;
    });
  const impossible = new Set(
    res.issues.filter((i) => i.code === 'impossiblePolicy').map((i) => i.policyId),
  );
  // Impossibility is compared on valid policies (an ill-typed one has no meaningful answer).
  const impossibleDiffer = texts
    .map((t, i) => ({ t, id: `p${i}` }))
    .filter(({ id }) => !oracle.has(id) && cedarImpossible.has(id) !== impossible.has(id))
    .map(
      ({ t, id }) => `${cedarImpossible.has(id) ? 'cedar: impossible' : 'cedar: possible'} ${t}`,
    );
  const theirKinds = new Map<string, Set<string>>();
  for (const e of cedarRes.validationErrors as Json[]) {
    const set = theirKinds.get(e.policyId) ?? new Set<string>();
    set.add(cedarKind(e.error.message as string, (e.error.help as string | null) ?? ''));
    theirKinds.set(e.policyId, set);
  }
  const ourKinds = new Map<string, Set<string>>();
  for (const i of res.issues) {
    if (i.severity !== 'error') continue;
    ourKinds.set(i.policyId, (ourKinds.get(i.policyId) ?? new Set<string>()).add(i.code));
  }
  const extraKinds: string[] = [];
  let sameKinds = 0;
  for (const [id, theirs] of theirKinds) {
    const ours = ourKinds.get(id) ?? new Set<string>();
    for (const k of ours)
      if (!theirs.has(k)) extraKinds.push(`${k}: ${texts[Number(id.slice(1))]}`);
    if (ours.size === theirs.size && [...ours].every((k) => theirs.has(k))) sameKinds++;
  }
  return {
    checked: texts.length,
    invalid: oracle.size,
    differ,
    impossibleDiffer,
    extraKinds,
    sameKinds,
  };
}

describe('validatePolicies agrees with cedar-wasm on generated policies', () => {
  const N = Number(process.env.PLINTH_VALIDATE_CASES ?? 400);
  const SEED = Number(process.env.PLINTH_VALIDATE_SEED ?? 20261207);
  for (const [name, world] of [
    ['flat schema', WORLD_1],
    ['namespaced schema', WORLD_2],
  ] as const) {
    it(`matches the per-policy verdict on ${N} seeded policies (${name})`, () => {
      const r = disagreements(world, SEED, N);
      // Both verdicts occur often enough for the comparison to mean something.
      expect(r.invalid).toBeGreaterThan(N / 5);
      expect(r.checked - r.invalid).toBeGreaterThan(N / 5);
      expect(r.differ).toEqual([]);
      expect(r.impossibleDiffer).toEqual([]);
      // Every error kind we report, cedar-wasm reports too; most policies get exactly its kinds
      // (Cedar sometimes reports a follow-on error after one we stop at).
      expect(r.extraKinds).toEqual([]);
      expect(r.sameKinds / r.invalid).toBeGreaterThan(0.95);
    });
  }
});
