import { seededRandom } from '@plinth/core';
import fc from 'fast-check';

/**
 * Random realistic JSON Schema pairs for the compatibility property tests: an old schema
 * (types, bounds, enum/const, properties/required/additionalProperties, items,
 * oneOf/anyOf/allOf/not, discriminated oneOf, `$ref` into `$defs`) and one to three realistic
 * edits of it (wrapping in a combinator, duplicating or adding a branch, moving a bound, adding a
 * property, …), sometimes an unrelated schema; and random instances near their vocabulary.
 */

export type Json = unknown;
type Obj = Record<string, Json>;

const NAMES = ['a', 'b', 'c', 'k'];
const scalar = fc.constantFrom<Json>(
  0,
  1,
  2,
  -1,
  0.5,
  0.7,
  3,
  'a',
  'b',
  'ab',
  '',
  true,
  false,
  null,
);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const clean = (o: Obj): Obj =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc
    .record({
      type: fc.constant('string'),
      minLength: opt(fc.constantFrom(0, 1, 2, 3)),
      maxLength: opt(fc.constantFrom(1, 2, 4)),
      pattern: opt(fc.constantFrom('^a', 'b$', '^[a-c]*$')),
      format: opt(fc.constantFrom('email', 'date')),
    })
    .map(clean),
  fc
    .record({
      type: fc.constantFrom('integer', 'number'),
      minimum: opt(fc.constantFrom(-1, 0, 0.5, 1, 2)),
      maximum: opt(fc.constantFrom(0, 1, 2, 5)),
      exclusiveMinimum: opt(fc.constantFrom(0, 1)),
      exclusiveMaximum: opt(fc.constantFrom(3, 10)),
      multipleOf: opt(fc.constantFrom(1, 2, 3, 0.5)),
    })
    .map(clean),
  fc.constantFrom<Json>({ type: 'boolean' }, { type: 'null' }, {}, true, {
    type: ['string', 'null'],
  }),
  scalar.map((v) => ({ const: v })),
  fc
    .uniqueArray(scalar, { minLength: 1, maxLength: 3, selector: (v) => JSON.stringify(v) })
    .map((e) => ({ enum: e })),
  fc
    .uniqueArray(
      fc.constantFrom('string', 'integer', 'number', 'null', 'boolean', 'object', 'array'),
      { minLength: 1, maxLength: 3 },
    )
    .map((t) => ({ type: t })),
  fc.constantFrom<Json>({ $ref: '#/$defs/d0' }, { $ref: '#/$defs/d1' }),
);

const { schema: schemaArb } = fc.letrec<{ schema: Json; object: Json; array: Json; comb: Json }>(
  (tie) => ({
    schema: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'schema' },
      leaf,
      leaf,
      tie('object'),
      tie('array'),
      tie('comb'),
    ),
    object: fc
      .tuple(
        fc.record({
          type: opt(fc.constant('object')),
          properties: fc.dictionary(fc.constantFrom(...NAMES), tie('schema'), { maxKeys: 3 }),
          required: opt(fc.subarray(NAMES, { minLength: 1 })),
          additionalProperties: opt(fc.oneof(fc.constant(false), tie('schema'))),
          minProperties: opt(fc.constantFrom(1, 2)),
        }),
        fc.option(
          fc.record({
            patternProperties: opt(
              fc.dictionary(fc.constantFrom('^a', '^x', 'b$'), tie('schema'), { maxKeys: 2 }),
            ),
            propertyNames: opt(fc.constantFrom<Json>({ maxLength: 1 }, { pattern: '^[abk]' })),
            dependentRequired: opt(fc.constantFrom<Json>({ a: ['b'] }, { k: ['a', 'c'] })),
            dependencies: opt(
              fc.oneof(
                fc.constant<Json>({ a: ['c'] }),
                tie('schema').map((x) => ({ b: x })),
              ),
            ),
            unevaluatedProperties: opt(fc.constant(false)),
          }),
          { nil: undefined, freq: 2 },
        ),
      )
      .map(([base, extra]) => clean({ ...base, ...(extra ?? {}) })),
    array: fc
      .tuple(
        fc.record({
          type: fc.constant('array'),
          items: tie('schema'),
          minItems: opt(fc.constantFrom(0, 1, 2)),
          maxItems: opt(fc.constantFrom(1, 3)),
          uniqueItems: opt(fc.constant(true)),
        }),
        fc.option(
          fc.record({
            prefixItems: opt(fc.array(tie('schema'), { minLength: 1, maxLength: 2 })),
            contains: opt(tie('schema')),
            minContains: opt(fc.constantFrom(0, 2)),
            maxContains: opt(fc.constantFrom(1, 2)),
          }),
          { nil: undefined, freq: 2 },
        ),
      )
      .map(([base, extra]) => clean({ ...base, ...(extra ?? {}) })),
    comb: fc.oneof(
      fc.array(tie('schema'), { minLength: 1, maxLength: 3 }).map((b) => ({ oneOf: b })),
      fc.array(tie('schema'), { minLength: 1, maxLength: 3 }).map((b) => ({ anyOf: b })),
      fc.array(tie('schema'), { minLength: 1, maxLength: 2 }).map((b) => ({ allOf: b })),
      tie('schema').map((s) => ({ not: s })),
      fc
        .record({ if: tie('schema'), then: opt(tie('schema')), else: opt(tie('schema')) })
        .map(clean),
      fc.tuple(fc.constantFrom('a', 'b'), tie('schema'), tie('schema')).map(([k, x, y]) => ({
        oneOf: [
          { type: 'object', required: ['k'], properties: { k: { const: k }, v: x } },
          {
            type: 'object',
            required: ['k'],
            properties: { k: { const: k === 'a' ? 'b' : 'a' }, v: y },
          },
        ],
      })),
    ),
  }),
);

const defsArb = fc
  .tuple(
    leaf.filter((s) => !JSON.stringify(s).includes('$ref')),
    schemaArb,
  )
  .map(([d0, d1]) => ({ d0, d1: replaceRefs(d1, '#/$defs/d1', '#/$defs/d0') }));

function replaceRefs(s: Json, from: string, to: string): Json {
  if (Array.isArray(s)) return s.map((x) => replaceRefs(x, from, to));
  if (typeof s !== 'object' || s === null) return s;
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref' && v === from) out[k] = to;
    else if (k === 'const' || k === 'enum') out[k] = v;
    else out[k] = replaceRefs(v, from, to);
  }
  return out;
}

const withDefs = (s: Json, defs: Obj): Json =>
  JSON.stringify(s).includes('$ref')
    ? typeof s === 'object' && s !== null && !Array.isArray(s)
      ? { ...s, $defs: defs }
      : { allOf: [s], $defs: defs }
    : s;

/** The 2020-12 meta-schema URI; a quarter of the pairs declare it (the others are draft-07). */
export const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';
const inDraft = (s: Json, draft: string | undefined): Json =>
  draft === undefined
    ? s
    : typeof s === 'object' && s !== null && !Array.isArray(s)
      ? { $schema: draft, ...(s as Obj) }
      : { $schema: draft, allOf: [s] };

/** Every subschema position of a schema (paths of keys). */
function positions(
  s: Json,
  path: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
) {
  out.push(path);
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return out;
  const o = s as Obj;
  if (typeof o.properties === 'object' && o.properties !== null)
    for (const k of Object.keys(o.properties))
      positions((o.properties as Obj)[k], [...path, 'properties', k], out);
  for (const k of ['items', 'not', 'additionalProperties', 'if', 'then', 'else', 'contains'])
    if (typeof o[k] === 'object' && o[k] !== null) positions(o[k], [...path, k], out);
  if (typeof o.patternProperties === 'object' && o.patternProperties !== null)
    for (const k of Object.keys(o.patternProperties))
      positions((o.patternProperties as Obj)[k], [...path, 'patternProperties', k], out);
  for (const k of ['oneOf', 'anyOf', 'allOf', 'prefixItems'])
    if (Array.isArray(o[k])) (o[k] as Json[]).forEach((b, i) => positions(b, [...path, k, i], out));
  return out;
}
function getAt(s: Json, path: ReadonlyArray<string | number>): Json {
  let cur = s;
  for (const k of path) cur = (cur as Record<string | number, Json>)[k];
  return cur;
}
function setAt(s: Json, path: ReadonlyArray<string | number>, v: Json): Json {
  if (path.length === 0) return v;
  const [k, ...rest] = path;
  const copy: Record<string | number, Json> = Array.isArray(s)
    ? ([...(s as Json[])] as never)
    : { ...(s as Obj) };
  copy[k as string] = setAt(copy[k as string], rest, v);
  return copy;
}

/** One realistic edit of a subschema. */
function edit(s: Json, op: number, p: number, fresh: Json): Json {
  const o: Obj = typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as Obj) : {};
  const ops: Array<() => Json> = [
    () => ({ anyOf: [s] }),
    () => ({ allOf: [s] }),
    () => ({ oneOf: [s] }),
    () => ({ anyOf: [s, { type: 'array', items: s }] }),
    () =>
      Array.isArray(o.oneOf)
        ? { ...o, oneOf: [...o.oneOf, o.oneOf[p % o.oneOf.length]] }
        : { oneOf: [s, s] },
    () => (Array.isArray(o.oneOf) ? { ...o, oneOf: [...o.oneOf, fresh] } : { oneOf: [s, fresh] }),
    () => (Array.isArray(o.anyOf) ? { ...o, anyOf: [...o.anyOf, fresh] } : { anyOf: [s, fresh] }),
    () => fresh,
    () => {
      for (const k of ['oneOf', 'anyOf', 'allOf']) {
        const b = o[k];
        if (Array.isArray(b) && b.length === 1) return b[0];
        if (Array.isArray(b) && b.length > 1)
          return { ...o, [k]: b.filter((_, i) => i !== p % b.length) };
      }
      return s;
    },
    () => {
      const keys = Object.keys(o).filter((k) => k !== '$defs');
      if (keys.length === 0) return { type: 'string' };
      const k = keys[p % keys.length] as string;
      const { [k]: _drop, ...rest } = o;
      return rest;
    },
    () => {
      const kws = [
        'minimum',
        'maximum',
        'exclusiveMinimum',
        'minLength',
        'maxLength',
        'minItems',
        'maxItems',
        'multipleOf',
      ];
      const k = kws[p % kws.length] as string;
      const cur = typeof o[k] === 'number' ? (o[k] as number) : 1;
      const next =
        k === 'multipleOf'
          ? [1, 2, 4, 0.5][p % 4]
          : Math.max(0, cur + ((p >> 3) % 2 === 0 ? 1 : -1));
      return { ...o, [k]: next };
    },
    () =>
      o.type === 'integer'
        ? { ...o, type: 'number' }
        : o.type === 'number'
          ? { ...o, type: 'integer' }
          : typeof o.type === 'string' && o.type !== 'null'
            ? { ...o, type: [o.type, 'null'] }
            : { ...o, type: 'string' },
    () => {
      const req = Array.isArray(o.required) ? (o.required as string[]) : [];
      const name = NAMES[p % NAMES.length] as string;
      return req.includes(name)
        ? {
            ...o,
            required:
              req.filter((x) => x !== name).length > 0 ? req.filter((x) => x !== name) : undefined,
          }
        : { ...o, required: [...req, name] };
    },
    () => ({
      ...o,
      properties: {
        ...((o.properties as Obj | undefined) ?? {}),
        [NAMES[p % NAMES.length] as string]: fresh,
      },
    }),
    () =>
      o.additionalProperties === false
        ? { ...o, additionalProperties: undefined }
        : { ...o, additionalProperties: false },
    () =>
      Array.isArray(o.enum)
        ? {
            ...o,
            enum:
              p % 2 === 0 && o.enum.length > 1
                ? o.enum.slice(1)
                : [...new Set([...o.enum, 'b', 2].map((x) => JSON.stringify(x)))].map(
                    (x) => JSON.parse(x) as Json,
                  ),
          }
        : { ...o, enum: [0, 'a'] },
    () => ('const' in o ? { ...o, const: o.const === 1 ? 2 : 1 } : { not: s }),
    () => (o.uniqueItems === true ? { ...o, uniqueItems: undefined } : { ...o, uniqueItems: true }),
    () => ({ if: fresh, then: s, else: s }),
    () => ({ ...o, unevaluatedProperties: o.unevaluatedProperties === false ? undefined : false }),
    () => ({ ...o, patternProperties: { [['^a', '^x', 'b$'][p % 3] as string]: fresh } }),
    () => ({ ...o, dependentRequired: { [NAMES[p % NAMES.length] as string]: ['b'] } }),
    () => ({ ...o, contains: fresh, ...(p % 2 === 0 ? { minContains: 2 } : {}) }),
    () => ({ ...o, propertyNames: { maxLength: 1 + (p % 2) } }),
    () => ({ ...o, prefixItems: [fresh] }),
  ];
  const r = (ops[op % ops.length] as () => Json)();
  return typeof r === 'object' && r !== null && !Array.isArray(r) ? clean(r as Obj) : r;
}

export const pairArb = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(
        schemaArb,
        fc.array(fc.tuple(fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), leaf), {
          minLength: 1,
          maxLength: 3,
        }),
        defsArb,
      )
      .map(([old, edits, defs]) => {
        let next = old;
        for (const [where, op, p, fresh] of edits) {
          const all = positions(next);
          const path = all[where % all.length] as Array<string | number>;
          next = setAt(next, path, edit(getAt(next, path), op, p, fresh));
        }
        const draft = (edits[0]?.[2] ?? 0) % 4 === 0 ? DRAFT_2020 : undefined;
        return [inDraft(withDefs(old, defs), draft), inDraft(withDefs(next, defs), draft)] as const;
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(schemaArb, schemaArb, defsArb)
      .map(([a, b, defs]) => [withDefs(a, defs), withDefs(b, defs)] as const),
  },
);

/** Random JSON values near the schemas' vocabulary, plus small edits of sampled instances. */
export function randomValues(seed: number, count: number, seeds: readonly Json[]): Json[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const gen = (depth: number): Json => {
    const t = r();
    if (t < 0.3 || depth > 2)
      return pick([
        0,
        1,
        2,
        3,
        -1,
        0.5,
        0.7,
        1.5,
        5,
        10,
        'a',
        'b',
        'ab',
        'abc',
        '',
        'x@example.com',
        true,
        false,
        null,
      ]);
    if (t < 0.65) {
      const o: Obj = {};
      for (const k of NAMES) if (r() < 0.45) o[k] = gen(depth + 1);
      // Names that patterns, propertyNames and additionalProperties see differently.
      for (const k of ['xa', 'ab', 'cb', 'long_name']) if (r() < 0.12) o[k] = gen(depth + 1);
      if (r() < 0.3) o.k = pick(['a', 'b']);
      return o;
    }
    const length = Math.floor(r() * 4);
    if (r() < 0.3) return Array.from({ length }, () => 1);
    return Array.from({ length }, () => gen(depth + 1));
  };
  const tweak = (v: Json, depth: number): Json => {
    if (typeof v === 'number') return pick([v + 0.3, v + 1, v - 1, Math.round(v), -v]);
    if (typeof v === 'string') return pick([`${v}a`, v.slice(1), 'b', '']);
    if (Array.isArray(v))
      return r() < 0.5 ? [...v, v[0] ?? gen(depth)] : v.map((x) => tweak(x, depth + 1));
    if (typeof v === 'object' && v !== null) {
      const o = { ...(v as Obj) };
      const k = pick(NAMES);
      if (r() < 0.4) delete o[k];
      else o[k] = r() < 0.5 && k in o ? tweak(o[k], depth + 1) : gen(depth + 1);
      return o;
    }
    return gen(depth);
  };
  const out: Json[] = [];
  for (let i = 0; i < count; i++)
    out.push(seeds.length > 0 && r() < 0.5 ? tweak(pick(seeds), 0) : gen(0));
  return out;
}
