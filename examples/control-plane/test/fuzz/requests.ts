import fc from 'fast-check';
import { ROUTE_TABLE } from '../../src/routes/table.js';
import type { RouteSpec } from '../../src/routes/route.js';

/** One generated request, sent byte for byte as described (nothing is normalised). */
export interface FuzzRequest {
  /** The route-table key the request was generated from. */
  readonly route: string;
  readonly method: string;
  /** Request target as sent (path and query), possibly malformed. */
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
  /** Why the request must be refused (a 4xx), or undefined when any non-5xx answer will do. */
  readonly mustRefuse?: string;
  /** Which hostile variant it is (for the known-findings list and the figures). */
  readonly variant: string;
}

export const TOKEN = 'fuzz-token';
export const PREFIX = '/confluent';

// Small pools, so that valid requests meet each other (republish, tag, delete, restore…).
const GROUPS = ['fz'];
const NAMES = ['a', 'b', 'c'];
const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', '2.0.0'];
const TAGS = ['stable', 'beta'];
const SUBJECTS = ['s1', 's2', 's3-value'];
const STAGES = ['dev', 'staging', 'prod'];

const enc = encodeURIComponent;

/** Strings that have broken services: controls, bidi, zero-width, NFD, astral, very long. */
const oddString = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    'a\nb',
    'a\tb',
    '\u007f',
    '\u202e',
    '\u200b',
    '\uFEFF',
    'e\u0301',
    '\u00e9',
    '𝔘𝔫𝔦',
    '😀',
    ' ',
    '.',
    '..',
    '-',
    'CON',
    '%',
    'x'.repeat(300),
    'x'.repeat(5000),
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 20 }),
);

/** A path segment: a pool value (mostly) or something odd, percent-encoded. */
const segment = (pool: readonly string[]) =>
  fc
    .oneof({ weight: 6, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: oddString })
    .map(enc);

const PARAM_POOLS: Record<string, readonly string[]> = {
  group: GROUPS,
  name: NAMES,
  ref: [...VERSIONS, 'latest', 'stable', '^1.0', '~1.0.0', '*'],
  tag: TAGS,
  id: ['1', '2', '3', '99'],
  pipeline: ['default'],
  stage: STAGES,
};

const CONFLUENT_POOLS: Record<string, readonly string[]> = {
  subjects: SUBJECTS,
  versions: ['latest', '-1', '1', '2', '999'],
  ids: ['1', '2', '3', '99'],
  config: SUBJECTS,
  mode: SUBJECTS,
};

const avro = (fields: number) =>
  JSON.stringify({
    type: 'record',
    name: 'R',
    namespace: 'fz',
    fields: Array.from({ length: fields }, (_, i) => ({
      name: `f${i}`,
      type: 'string',
      ...(i > 0 && { default: '' }),
    })),
  });
const jsonSchema = (n: number) => ({
  type: 'object',
  properties: Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'string' }]),
  ),
});

/** Valid-looking bodies per route (as JSON values); hostile variants start from these. */
function validBody(key: string): fc.Arbitrary<unknown> {
  switch (key) {
    case 'POST /v1/artifacts':
      return fc.record({
        artifact: fc
          .tuple(fc.constantFrom(...GROUPS), fc.constantFrom(...NAMES))
          .map(([g, n]) => `${g}/${n}`),
        kind: fc.constantFrom('config', 'schema'),
      });
    case 'PATCH /v1/artifacts/:group/:name':
      return fc.record({
        description: fc.string({ maxLength: 30 }),
        owner: fc.constantFrom('team-a', 'team-b'),
      });
    case 'POST /v1/artifacts/:group/:name/versions':
      return fc.oneof(
        fc.record({
          content: fc.constantFrom('k=1', 'k=2', 'k=3'),
          mediaType: fc.constant('text/plain'),
          version: fc.constantFrom(...VERSIONS),
        }),
        fc.record({
          content: fc.constantFrom('k=1', 'k=2'),
          bump: fc.constantFrom('patch', 'minor', 'major'),
        }),
        fc.record({
          schema: fc.integer({ min: 1, max: 3 }).map(jsonSchema),
          format: fc.constant('json-schema'),
        }),
      );
    case 'PUT /v1/artifacts/:group/:name/versions/:ref/state':
      return fc.record({ state: fc.constantFrom('draft', 'active', 'deprecated', 'disabled') });
    case 'PUT /v1/artifacts/:group/:name/tags/:tag':
      return fc.record({ version: fc.constantFrom(...VERSIONS) });
    case 'PUT /v1/artifacts/:group/:name/rules':
      return fc.record({ compatibility: fc.constantFrom('NONE', 'BACKWARD', 'FULL') });
    case 'POST /v1/artifacts/:group/:name/validate':
    case 'POST /v1/schemas/:id/validate':
      return fc.record({ payload: fc.jsonValue({ maxDepth: 3 }) });
    case 'POST /v1/artifacts/:group/:name/compatibility':
      return fc.record({
        schema: fc.integer({ min: 1, max: 3 }).map(jsonSchema),
        format: fc.constant('json-schema'),
      });
    case 'POST /v1/pipelines/:pipeline/stages/:stage/rollback':
      return fc.record({ reason: fc.constant('fuzz') });
    case 'POST /v1/releases':
      return fc.record({
        name: fc.constantFrom('r1', 'r2'),
        artifacts: fc.array(
          fc
            .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VERSIONS))
            .map(([n, v]) => `fz/${n}@${v}`),
          { minLength: 1, maxLength: 2 },
        ),
      });
    case 'POST /v1/releases/:id/reject':
    case 'POST /v1/promotions/:id/reject':
    case 'POST /v1/promotions/:id/cancel':
      return fc.record({ reason: fc.constant('fuzz') });
    case 'POST /v1/promotions':
      return fc.record({
        pipeline: fc.constant('default'),
        stage: fc.constantFrom(...STAGES),
        releaseId: fc.constantFrom('r-unknown', '0195d7a0-0000-7000-8000-000000000000'),
      });
    case 'POST /v1/promotions/:id/approve':
      return fc.record({ comment: fc.constant('ok') });
    case 'confluent POST subjects/*/versions':
    case 'confluent POST subjects/*':
    case 'confluent POST compatibility/subjects/*/versions':
    case 'confluent POST compatibility/subjects/*/versions/*':
      return fc.oneof(
        fc.record({ schema: fc.integer({ min: 1, max: 3 }).map(avro) }),
        fc.record({
          schema: fc.integer({ min: 1, max: 2 }).map((n) => JSON.stringify(jsonSchema(n))),
          schemaType: fc.constant('JSON'),
        }),
      );
    case 'confluent PUT config':
    case 'confluent PUT config/*':
      return fc.record({ compatibility: fc.constantFrom('NONE', 'BACKWARD', 'FULL_TRANSITIVE') });
    case 'confluent PUT mode':
    case 'confluent PUT mode/*':
      // READONLY would freeze the run; it is still sent, garbled, below.
      return fc.record({ mode: fc.constant('READWRITE') });
    default:
      return fc.constant(undefined);
  }
}

/** Values of the wrong type for any field. */
const wrongType = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, -0, [], {}, [[[]]], { $ref: '#' }, '', ' '),
  fc.string({ maxLength: 3 }).map((s) => [s]),
  fc.integer().map((n) => ({ n })),
);

const hugeValue = fc.oneof(
  fc.constantFrom('x'.repeat(200_000), 9.999e307, Number.MAX_SAFE_INTEGER + 2),
  fc.constant(Array.from({ length: 20_000 }, (_, i) => i)),
);

export interface RouteKey {
  readonly key: string;
  readonly method: string;
  /** Path template: native `:param`s, or Confluent `*` segments after the mount. */
  readonly path: string;
  readonly confluent: boolean;
  readonly spec?: RouteSpec;
}

export function routeKeys(): RouteKey[] {
  return [
    ...ROUTE_TABLE.native.map((spec) => ({
      key: `${spec.method} ${spec.url}`,
      method: spec.method,
      path: spec.url,
      confluent: false,
      spec,
    })),
    ...ROUTE_TABLE.confluent.map((r) => ({
      key: `confluent ${r.method} ${r.path}`,
      method: r.method,
      path: r.path,
      confluent: true,
    })),
  ];
}

/** True when the route changes state and so needs the admin token. */
export function needsToken(r: RouteKey): boolean {
  if (r.method === 'GET') return false;
  if (r.confluent)
    return !(
      r.method === 'POST' &&
      (r.path.startsWith('compatibility/') || r.path === 'subjects/*')
    );
  return r.spec?.readOnly !== true;
}

const takesJson = (r: RouteKey) =>
  r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH';

function pathArb(r: RouteKey): fc.Arbitrary<string> {
  if (r.confluent) {
    const parts = r.path === '' ? [] : r.path.split('/');
    const arbs = parts.map((p, i) => {
      if (p !== '*') return fc.constant(p);
      const pool = CONFLUENT_POOLS[parts[i - 1] ?? ''] ?? SUBJECTS;
      return segment(pool);
    });
    return fc
      .tuple(...arbs)
      .map((segs) => `${PREFIX}${segs.length > 0 ? '/' : ''}${segs.join('/')}`);
  }
  const parts = r.path.split('/');
  return fc
    .tuple(
      ...parts.map((p) =>
        p.startsWith(':') ? segment(PARAM_POOLS[p.slice(1)] ?? NAMES) : fc.constant(p),
      ),
    )
    .map((segs) => segs.join('/'));
}

function queryArb(r: RouteKey): fc.Arbitrary<string> {
  if (r.confluent) {
    return fc.constantFrom(
      '',
      '',
      '?deleted=true',
      '?permanent=true',
      '?normalize=true',
      '?limit=99999999999999999999',
      '?offset=-5',
      '?verbose=true&x=%zz',
    );
  }
  const entries = Object.entries(r.spec?.query ?? {});
  if (entries.length === 0) return fc.constant('');
  const one = fc.constantFrom(...entries).chain(([name, p]) => {
    const value =
      p.type === 'bool'
        ? fc.constantFrom('true', 'false')
        : p.type === 'int'
          ? fc.constantFrom('1', '10', String(p.max))
          : p.type === 'enum'
            ? fc.constantFrom(...p.values)
            : fc.constantFrom('x', 'fz');
    return value.map((v) => `${name}=${enc(v)}`);
  });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: one.map((q) => `?${q}`) },
  );
}

const BASE_HEADERS = (r: RouteKey): Array<[string, string]> =>
  needsToken(r) ? [['Authorization', `Bearer ${TOKEN}`]] : [];

/** A valid-looking request for the route. */
function validRequest(r: RouteKey): fc.Arbitrary<FuzzRequest> {
  const key = r.confluent ? `confluent ${r.method} ${r.path}` : `${r.method} ${r.path}`;
  return fc
    .record({ path: pathArb(r), query: queryArb(r), body: validBody(key) })
    .map(({ path, query, body }) => ({
      route: r.key,
      method: r.method,
      target: path + query,
      headers: [
        ...BASE_HEADERS(r),
        ...(body !== undefined
          ? ([['Content-Type', 'application/json']] as Array<[string, string]>)
          : []),
      ],
      ...(body !== undefined && { body: JSON.stringify(body) }),
      variant: 'valid',
    }));
}

function otherMethods(r: RouteKey): string[] {
  const here = new Set(
    routeKeys()
      .filter((k) => k.confluent === r.confluent && k.path === r.path)
      .map((k) => k.method),
  );
  return ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
    (m) => !here.has(m) && !(m === 'GET' && here.has('HEAD')),
  );
}

/** Hostile variants of a valid request: each names what it breaks. */
function hostile(r: RouteKey, base: FuzzRequest): fc.Arbitrary<FuzzRequest> {
  const [path = '', query = ''] = [
    base.target.split('?')[0],
    base.target.includes('?') ? `?${base.target.split('?').slice(1).join('?')}` : '',
  ];
  const json = takesJson(r);
  const withBody = (body: string, variant: string, mustRefuse?: string): FuzzRequest => ({
    ...base,
    headers: [
      ...base.headers.filter(([h]) => h !== 'Content-Type'),
      ['Content-Type', 'application/json'],
    ],
    body,
    variant,
    ...(mustRefuse !== undefined && { mustRefuse }),
  });
  const variants: Array<fc.Arbitrary<FuzzRequest>> = [
    // Malformed percent-encodings in the path.
    fc.constantFrom('%zz', '%', '%E0%A4%A', '%C0%AF', '%ED%A0%80').map((bad) => {
      const segs = path.split('/');
      segs[segs.length - 1] = `${segs[segs.length - 1]}${bad}`;
      const decodes = (() => {
        try {
          decodeURIComponent(segs.join('/'));
          return true;
        } catch {
          return false;
        }
      })();
      return {
        ...base,
        target: segs.join('/') + query,
        variant: 'bad-percent',
        ...(!decodes && { mustRefuse: 'a path that does not percent-decode' }),
      };
    }),
    // Path tricks.
    fc
      .constantFrom('/..', '/%2e%2e', '/.', '//', '/', '/%2F', '/..%2f..%2f', '/%00')
      .map((trick) => ({
        ...base,
        target: path.replace(/\/([^/]*)$/, `${trick}$1`) + query,
        variant: 'path-trick',
      })),
    fc.constantFrom('/../', '//').map((trick) => ({
      ...base,
      target: path.replace('/', trick) + query,
      variant: 'path-trick',
    })),
  ];
  const others = otherMethods(r);
  if (others.length > 0) {
    variants.push(
      fc.constantFrom(...others).map((m) => ({
        ...base,
        method: m,
        variant: 'wrong-method',
        mustRefuse: `${m} is not a method of ${r.path}`,
      })),
    );
  }
  variants.push(
    fc.constantFrom('FROB', 'PROPFIND', 'TRACE', 'CONNECT', 'get').map((m) => ({
      ...base,
      method: m,
      variant: 'odd-method',
      mustRefuse: `${m} is not served`,
    })),
  );
  if (needsToken(r)) {
    variants.push(
      fc
        .constantFrom(
          undefined,
          'Bearer',
          'Bearer wrong',
          `bearer ${TOKEN}`,
          'Basic %%%',
          'Basic ' + Buffer.from('x:wrong').toString('base64'),
          `Bearer ${TOKEN}\u00ff`,
        )
        .map((auth) => ({
          ...base,
          headers: [
            ...base.headers.filter(([h]) => h !== 'Authorization'),
            ...(auth === undefined ? [] : ([['Authorization', auth]] as Array<[string, string]>)),
          ],
          variant: 'bad-auth',
          mustRefuse: 'a write without the admin token',
        })),
    );
  }
  if (!r.confluent) {
    variants.push(
      fc
        .constantFrom(
          'colour=red',
          'limit=99999999999999999999',
          'limit=-1',
          'sort=size',
          'order=up',
          'includeDeleted=maybe',
          'limit=1&limit=2',
          'x=%zz',
        )
        .map((q) => {
          const name = q.split('=')[0] as string;
          const declared = r.spec?.query[name] !== undefined;
          return {
            ...base,
            target: `${path}?${q}`,
            variant: 'bad-query',
            // A bad value of a declared parameter, or an undeclared parameter: both refused.
            mustRefuse: declared || !name.startsWith('label.') ? `query ${q}` : undefined,
          } as FuzzRequest;
        }),
    );
  }
  if (json) {
    variants.push(
      fc
        .constantFrom(
          '{',
          '{"a":',
          '[1,]',
          '{"a":1}}',
          'nul',
          '\u0000',
          '{"a":"\\ud800"}',
          '"\\u0000"',
          '{"__proto__":{"x":1}}',
          '',
        )
        .map((b) =>
          withBody(
            b,
            'bad-json',
            b === '' || b.startsWith('{"a":"') || b.startsWith('"') || b.startsWith('{"__proto')
              ? undefined
              : r.confluent
                ? 'malformed JSON'
                : 'malformed JSON',
          ),
        ),
      fc.integer({ min: 2000, max: 60_000 }).chain((depth) =>
        fc.constantFrom('array', 'object', 'schema').map((shape) => {
          const open = shape === 'array' ? '['.repeat(depth) : '{"a":'.repeat(depth);
          const close = shape === 'array' ? ']'.repeat(depth) : '}'.repeat(depth);
          const nested = open + '1' + close;
          const body =
            shape === 'schema'
              ? r.confluent
                ? JSON.stringify({ schema: nested })
                : `{"schema":${nested},"payload":${nested}}`
              : nested;
          return withBody(body, 'deep-json');
        }),
      ),
      fc.tuple(validBody(r.key), fc.oneof(wrongType, hugeValue)).map(([body, value]) => {
        const obj =
          typeof body === 'object' && body !== null ? { ...(body as Record<string, unknown>) } : {};
        const keys = Object.keys(obj);
        obj[keys[0] ?? 'x'] = value;
        return withBody(JSON.stringify(obj), 'wrong-type');
      }),
      fc.tuple(validBody(r.key), oddString).map(([body, s]) => {
        const obj =
          typeof body === 'object' && body !== null ? { ...(body as Record<string, unknown>) } : {};
        for (const k of Object.keys(obj)) if (typeof obj[k] === 'string') obj[k] = s;
        return withBody(JSON.stringify(obj), 'odd-unicode');
      }),
    );
    if (!r.confluent) {
      variants.push(
        fc
          .constantFrom('application/xml', 'text/plain', 'multipart/form-data; boundary=x')
          .map((ct) => ({
            ...base,
            headers: [...base.headers.filter(([h]) => h !== 'Content-Type'), ['Content-Type', ct]],
            body: base.body ?? '{}',
            variant: 'wrong-content-type',
            mustRefuse: `a ${ct} body`,
          })),
      );
    }
  }
  variants.push(
    fc.constantFrom(8_000, 17_000).map((n) => ({
      ...base,
      headers: [...base.headers, ['X-Padding', 'p'.repeat(n)]],
      variant: 'big-header',
      ...(n > 16_384 && { mustRefuse: 'headers over 16 KiB' }),
    })),
  );
  return fc.oneof(...variants);
}

/** Requests for one route: valid ones (about half) and hostile variants of them. */
export function requestsFor(r: RouteKey): fc.Arbitrary<FuzzRequest> {
  return validRequest(r).chain((base) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(base) },
      { weight: 1, arbitrary: hostile(r, base) },
    ),
  );
}

/** Serialises a request (HTTP/1.1, one per connection). */
export function wire(req: FuzzRequest): string {
  const lines = [`${req.method} ${req.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [h, v] of req.headers) lines.push(`${h}: ${v}`);
  if (req.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(req.body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${req.body ?? ''}`;
}
