import { resolveOptions, check, type OptionSpec } from '@plinth/core';
import { Validation } from '@plinth/validation';
import { SCHEMA_TYPES, type Ctx, type Query } from './context.js';
import { ConfluentError, toConfluentError } from './errors.js';
import { ModeStore } from './modes.js';
import * as schemas from './schema-routes.js';
import * as settings from './settings-routes.js';
import * as subjects from './subject-routes.js';
import { SubjectNames } from './subjects.js';
import type {
  ConfluentHandler,
  ConfluentHandlerOptions,
  ConfluentRequest,
  ConfluentResponse,
} from './types.js';

/** Confluent's content type; answers use it, requests may send it or plain JSON. */
export const CONFLUENT_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

const DEFAULTS = Object.freeze({ group: 'confluent', actor: 'confluent-api' });

const SPEC: OptionSpec<ConfluentHandlerOptions> = {
  registry: {
    check: check.implementing('publish', 'listVersions', 'getContent', 'setRules'),
    required: true,
  },
  group: check.string({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/ }),
  store: check.implementing('transaction', 'collection'),
  validation: check.implementing('compile', 'checkCompatibility', 'diff', 'fingerprint'),
  actor: check.string(),
};

type Result = { json: unknown } | { text: string; format: string | null };
type Route = (ctx: Ctx, p: string[], req: { query: Query; body: unknown }) => Promise<Result>;

const json = async (v: Promise<unknown> | unknown): Promise<Result> => ({ json: await v });

/** Method → [pattern, route]; `*` matches one (decoded) path segment, passed in order. */
const ROUTES: Record<string, ReadonlyArray<readonly [string, Route]>> = {
  GET: [
    ['', () => json({})],
    ['schemas/types', () => json(SCHEMA_TYPES)],
    ['contexts', () => json([':.:'])],
    ['schemas/ids/*', (c, [id], r) => json(schemas.schemaById(c, id as string, r.query))],
    ['schemas/ids/*/schema', (c, [id], r) => schemas.rawSchemaById(c, id as string, r.query)],
    [
      'schemas/ids/*/subjects',
      (c, [id], r) => json(schemas.subjectsById(c, id as string, r.query)),
    ],
    [
      'schemas/ids/*/versions',
      (c, [id], r) => json(schemas.versionsById(c, id as string, r.query)),
    ],
    ['subjects', (c, _, r) => json(subjects.listSubjects(c, r.query))],
    ['subjects/*/versions', (c, [s], r) => json(subjects.listVersionIds(c, s as string, r.query))],
    [
      'subjects/*/versions/*',
      (c, [s, v], r) => json(subjects.getVersion(c, s as string, v as string, r.query)),
    ],
    [
      'subjects/*/versions/*/schema',
      (c, [s, v], r) => subjects.getVersionSchema(c, s as string, v as string, r.query),
    ],
    [
      'subjects/*/versions/*/referencedby',
      (c, [s, v]) => json(subjects.referencedBy(c, s as string, v as string)),
    ],
    ['config', (c) => json(settings.getGlobalConfig(c))],
    ['config/*', (c, [s], r) => json(settings.getSubjectConfig(c, s as string, r.query))],
    ['mode', (c, _, r) => json(settings.getMode(c, undefined, r.query))],
    ['mode/*', (c, [s], r) => json(settings.getMode(c, s, r.query))],
  ],
  POST: [
    [
      'subjects/*/versions',
      (c, [s], r) => json(subjects.register(c, s as string, r.body, r.query)),
    ],
    ['subjects/*', (c, [s], r) => json(subjects.lookup(c, s as string, r.body, r.query))],
    [
      'compatibility/subjects/*/versions',
      (c, [s], r) => json(settings.checkCompatibility(c, s as string, undefined, r.body, r.query)),
    ],
    [
      'compatibility/subjects/*/versions/*',
      (c, [s, v], r) => json(settings.checkCompatibility(c, s as string, v, r.body, r.query)),
    ],
  ],
  PUT: [
    ['config', (c, _, r) => json(settings.putGlobalConfig(c, r.body))],
    ['config/*', (c, [s], r) => json(settings.putSubjectConfig(c, s as string, r.body))],
    ['mode', (c, _, r) => json(settings.putMode(c, undefined, r.body))],
    ['mode/*', (c, [s], r) => json(settings.putMode(c, s, r.body))],
  ],
  DELETE: [
    ['subjects/*', (c, [s], r) => json(subjects.deleteSubject(c, s as string, r.query))],
    [
      'subjects/*/versions/*',
      (c, [s, v], r) => json(subjects.deleteVersion(c, s as string, v as string, r.query)),
    ],
    ['config', (c) => json(settings.deleteGlobalConfig(c))],
    ['config/*', (c, [s]) => json(settings.deleteSubjectConfig(c, s as string))],
    ['mode', (c) => json(settings.deleteMode(c, undefined))],
    ['mode/*', (c, [s]) => json(settings.deleteMode(c, s))],
  ],
};

/** Every route the handler serves (method and path, `*` = one segment), for hosts' route tables. */
export const CONFLUENT_ROUTES: ReadonlyArray<{ readonly method: string; readonly path: string }> =
  Object.freeze(
    Object.entries(ROUTES).flatMap(([method, routes]) =>
      routes.map(([path]) => Object.freeze({ method, path })),
    ),
  );

function match(pattern: string, segments: readonly string[]): string[] | undefined {
  const parts = pattern === '' ? [] : pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const seg = segments[i] as string;
    if (parts[i] === '*') params.push(seg);
    else if (parts[i] !== seg) return undefined;
  }
  return params;
}

function segmentsOf(path: string): string[] {
  const clean = (path.split('?')[0] ?? '').replace(/^\/+|\/+$/g, '');
  if (clean === '') return [];
  return clean.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new ConfluentError(400, 400, `Malformed path segment ${JSON.stringify(s)}`);
    }
  });
}

function parseBody(body: unknown): unknown {
  if (body === undefined || body === null || body === '') return undefined;
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body).toString('utf8');
  if (text === undefined) return body;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ConfluentError(400, 400, `Unrecognized JSON body: ${(cause as Error).message}`);
  }
}

function answer(status: number, result: Result): ConfluentResponse {
  if ('json' in result) {
    return {
      status,
      headers: { 'content-type': CONFLUENT_CONTENT_TYPE },
      body: JSON.stringify(result.json),
    };
  }
  const proto = result.format === 'protobuf';
  return {
    status,
    headers: { 'content-type': proto ? 'text/plain; charset=utf-8' : CONFLUENT_CONTENT_TYPE },
    body: result.text,
  };
}

/**
 * A framework-agnostic request handler speaking the Confluent Schema Registry REST API over a
 * Plinth {@link Registry}: Kafka serializers and schema-registry clients work against it unchanged.
 * Confluent ids are the registry's content ids; versions are per-subject revisions.
 */
export function createConfluentHandler(options: ConfluentHandlerOptions): ConfluentHandler {
  const o = resolveOptions<ConfluentHandlerOptions, typeof DEFAULTS>({
    package: '@plinth/registry',
    owner: 'createConfluentHandler',
    defaults: DEFAULTS,
    spec: SPEC,
    input: options,
  });
  const ctx: Ctx = {
    registry: o.registry,
    names: new SubjectNames(o.group),
    engine: o.validation ?? new Validation(),
    modes: new ModeStore(o.store),
    actor: o.actor,
  };
  return async (req: ConfluentRequest): Promise<ConfluentResponse> => {
    try {
      const method = req.method.toUpperCase();
      const segments = segmentsOf(req.path);
      for (const [pattern, route] of ROUTES[method] ?? []) {
        const params = match(pattern, segments);
        if (params === undefined) continue;
        const body = method === 'POST' || method === 'PUT' ? parseBody(req.body) : undefined;
        return answer(200, await route(ctx, params, { query: req.query ?? {}, body }));
      }
      const elsewhere = Object.entries(ROUTES).some(
        ([m, routes]) => m !== method && routes.some(([p]) => match(p, segments) !== undefined),
      );
      if (elsewhere) throw new ConfluentError(405, 405, `HTTP 405 Method ${method} Not Allowed`);
      throw new ConfluentError(404, 404, `HTTP 404 Not Found: ${req.path}`);
    } catch (error) {
      const e = toConfluentError(error);
      return answer(e.status, { json: { error_code: e.errorCode, message: e.message } });
    }
  };
}
