import avsc from 'avsc';
import fc from 'fast-check';
import { seededRandom } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { sampleAvro } from '../src/formats/avro/sample.js';
import { Validation } from '../src/index.js';

/**
 * Avro schema resolution against avsc's resolver (`reader.createResolver(writer)` throws ⇔
 * incompatible) on generated writer/reader pairs: promotions, string↔bytes, unions on either
 * side, enums with defaults and symbol changes, fixed sizes, aliases on records, fields and
 * enums, namespaces, nested and recursive records, arrays, maps, logical types, and field
 * defaults added and removed. Where avsc and the specification differ, the specification and
 * Java Avro's `SchemaCompatibility` (what Confluent's registry runs) decide: each such pair must
 * fall in one of the KNOWN_DIVERGENCES below, and every other pair must agree.
 */

/** Where avsc differs from the specification and Java's SchemaCompatibility, and why. */
const KNOWN_DIVERGENCES = {
  namespace:
    'named types with the same unqualified name in different namespaces: the specification ' +
    'matches records, enums and fixed by unqualified name, and so does Java (schemaNameEquals ' +
    'compares getName()); avsc compares full names unless ignoreNamespaces is set.',
} as const;
type Divergence = keyof typeof KNOWN_DIVERGENCES;

// ---- a small model of Avro schemas, so pairs can be mutated and always serialise validly ----

type Named = { name: string; ns: string | undefined; aliases: string[] };
type G =
  | { k: 'prim'; t: string; logical?: Record<string, unknown> }
  | { k: 'array'; items: G }
  | { k: 'map'; values: G }
  | { k: 'union'; branches: G[] }
  | ({ k: 'record'; fields: F[] } & Named)
  | ({ k: 'enum'; symbols: string[]; def: string | undefined } & Named)
  | ({ k: 'fixed'; size: number; logical?: Record<string, unknown> } & Named)
  | { k: 'ref'; to: G & { k: 'record' } };
type F = { name: string; aliases: string[]; type: G; withDefault: boolean };

type Rng = { int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean };
function rng(seed: number): Rng {
  const r = seededRandom(seed);
  const int = (n: number) => Math.floor(r() * n);
  return { int, pick: (xs) => xs[int(xs.length)] as never, chance: (p) => r() < p };
}

const PRIMS = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'];
const LOGICAL: Array<[string, () => Record<string, unknown>]> = [
  ['int', () => ({ logicalType: 'date' })],
  ['int', () => ({ logicalType: 'time-millis' })],
  ['long', () => ({ logicalType: 'timestamp-millis' })],
  ['long', () => ({ logicalType: 'timestamp-micros' })],
  ['string', () => ({ logicalType: 'uuid' })],
  ['bytes', () => ({ logicalType: 'decimal', precision: 6, scale: 2 })],
  ['bytes', () => ({ logicalType: 'decimal', precision: 4 })],
];
const NAMES = ['A', 'B', 'C', 'D'];
const NSS = [undefined, 'x', 'y'];
const FIELDS = ['a', 'b', 'c', 'd', 'e'];
const SYMBOLS = ['S1', 'S2', 'S3', 'S4'];

const fullName = (n: Named) => (n.ns ? `${n.ns}.${n.name}` : n.name);
const isNamed = (g: G): g is G & Named => g.k === 'record' || g.k === 'enum' || g.k === 'fixed';

/** Every node of a schema, with the named types in it. */
function nodes(root: G): G[] {
  const out: G[] = [];
  const walk = (g: G) => {
    out.push(g);
    if (g.k === 'array') walk(g.items);
    else if (g.k === 'map') walk(g.values);
    else if (g.k === 'union') g.branches.forEach(walk);
    else if (g.k === 'record') g.fields.forEach((f) => walk(f.type));
  };
  walk(root);
  return out;
}
const namesIn = (root: G) => new Set(nodes(root).filter(isNamed).map(fullName));

function branchKey(g: G): string {
  if (g.k === 'prim') return g.t;
  if (g.k === 'ref') return fullName(g.to);
  return isNamed(g) ? fullName(g) : g.k;
}
function unionOk(branches: readonly G[]): boolean {
  const keys = branches.map(branchKey);
  return branches.every((b) => b.k !== 'union') && new Set(keys).size === keys.length;
}

class Gen {
  constructor(
    readonly r: Rng,
    readonly used: Set<string>,
  ) {}

  named(): Named | undefined {
    for (let i = 0; i < 6; i++) {
      const n = { name: this.r.pick(NAMES), ns: this.r.pick(NSS), aliases: [] as string[] };
      if (!this.used.has(fullName(n))) {
        this.used.add(fullName(n));
        return n;
      }
    }
    return undefined;
  }

  type(depth: number, enclosing: (G & { k: 'record' }) | undefined): G {
    const r = this.r;
    const roll = r.int(depth > 2 ? 4 : 11);
    if (roll <= 1) return { k: 'prim', t: r.pick(PRIMS) };
    if (roll === 2) {
      const [t, l] = r.pick(LOGICAL);
      return { k: 'prim', t, logical: l() };
    }
    if (roll === 3) {
      const n = this.named();
      if (n === undefined) return { k: 'prim', t: 'int' };
      return { k: 'fixed', size: r.pick([2, 4, 8]), ...n };
    }
    if (roll === 4 || roll === 5) {
      const n = this.named();
      if (n === undefined) return { k: 'prim', t: 'string' };
      const symbols = SYMBOLS.filter(() => r.chance(0.6));
      if (symbols.length === 0) symbols.push('S1');
      return { k: 'enum', symbols, def: r.chance(0.4) ? r.pick(symbols) : undefined, ...n };
    }
    if (roll === 6) return { k: 'array', items: this.type(depth + 1, enclosing) };
    if (roll === 7) return { k: 'map', values: this.type(depth + 1, enclosing) };
    if (roll === 8) {
      const branches: G[] = [];
      if (r.chance(0.6)) branches.push({ k: 'prim', t: 'null' });
      if (enclosing !== undefined && r.chance(0.3)) branches.push({ k: 'ref', to: enclosing });
      for (let n = 1 + r.int(3); n > 0; n--) {
        const b = this.type(depth + 1, enclosing);
        if (b.k !== 'union' && unionOk([...branches, b])) branches.push(b);
      }
      return branches.length === 0 ? { k: 'prim', t: 'int' } : { k: 'union', branches };
    }
    return this.record(depth + 1) ?? { k: 'prim', t: 'long' };
  }

  record(depth: number): (G & { k: 'record' }) | undefined {
    const n = this.named();
    if (n === undefined) return undefined;
    const rec: G & { k: 'record' } = { k: 'record', fields: [], ...n };
    for (const name of FIELDS.filter(() => this.r.chance(depth > 1 ? 0.3 : 0.55)))
      rec.fields.push({
        name,
        aliases: [],
        type: this.type(depth, rec),
        withDefault: this.r.chance(0.4),
      });
    return rec;
  }
}

/** A deep copy; references follow their (copied) records. */
function copy(root: G): G {
  const map = new Map<G, G>();
  const c = (g: G): G => {
    switch (g.k) {
      case 'prim':
        return { ...g };
      case 'array':
        return { k: 'array', items: c(g.items) };
      case 'map':
        return { k: 'map', values: c(g.values) };
      case 'union':
        return { k: 'union', branches: g.branches.map(c) };
      case 'enum':
      case 'fixed':
        return { ...g, aliases: [...g.aliases] } as G;
      case 'ref':
        return { k: 'ref', to: g.to };
      case 'record': {
        const out: G & { k: 'record' } = { ...g, aliases: [...g.aliases], fields: [] };
        map.set(g, out);
        out.fields = g.fields.map((f) => ({ ...f, aliases: [...f.aliases], type: c(f.type) }));
        return out;
      }
    }
  };
  const out = c(root);
  for (const g of nodes(out))
    if (g.k === 'ref') g.to = (map.get(g.to) as (G & { k: 'record' }) | undefined) ?? g.to;
  return out;
}

const PROMOTE: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

/** The constraints of the specification a change may break: unions, unique names. */
function valid(root: G): boolean {
  const all = nodes(root);
  const named = all.filter(isNamed).map(fullName);
  return (
    new Set(named).size === named.length &&
    all.every((g) => g.k !== 'union' || unionOk(g.branches)) &&
    all.every(
      (g) => g.k !== 'record' || new Set(g.fields.map((f) => f.name)).size === g.fields.length,
    )
  );
}

/** One random change somewhere in the schema; false when the change does not apply. */
function mutate(root: G, r: Rng, g: Gen): boolean {
  const all = nodes(root);
  const node = r.pick(all);
  const parentOf = (x: G): { set(y: G): void } | undefined => {
    for (const p of all) {
      if (p.k === 'array' && p.items === x) return { set: (y) => (p.items = y) };
      if (p.k === 'map' && p.values === x) return { set: (y) => (p.values = y) };
      if (p.k === 'union') {
        const i = p.branches.indexOf(x);
        if (i >= 0)
          return {
            set: (y) => {
              const next = p.branches.map((b, j) => (j === i ? y : b));
              if (unionOk(next)) p.branches = next;
            },
          };
      }
      if (p.k === 'record')
        for (const f of p.fields) if (f.type === x) return { set: (y) => (f.type = y) };
    }
    return undefined;
  };
  const replace = (y: G): boolean => {
    const p = parentOf(node);
    if (p === undefined) return false;
    p.set(y);
    return true;
  };
  switch (node.k) {
    case 'prim': {
      const op = r.int(5);
      if (op === 0 && PROMOTE[node.t]) {
        node.t = r.pick(PROMOTE[node.t] as string[]);
        delete node.logical;
        return true;
      }
      if (op === 1) {
        const from = Object.entries(PROMOTE).filter(([, to]) => to.includes(node.t));
        if (from.length === 0) return false;
        node.t = (r.pick(from) as [string, string[]])[0];
        delete node.logical;
        return true;
      }
      if (op === 2) {
        const options = LOGICAL.filter(([t]) => t === node.t);
        if (node.logical || options.length === 0) delete node.logical;
        else node.logical = (r.pick(options) as [string, () => Record<string, unknown>])[1]();
        return true;
      }
      if (op === 3)
        return replace({
          k: 'union',
          branches: r.chance(0.5)
            ? [{ k: 'prim', t: 'null' }, node]
            : [node, { k: 'prim', t: r.pick(PRIMS.filter((t) => t !== node.t)) }],
        });
      node.t = r.pick(PRIMS);
      delete node.logical;
      return true;
    }
    case 'union': {
      const op = r.int(4);
      if (op === 0 && node.branches.length > 1) {
        node.branches.splice(r.int(node.branches.length), 1);
        return true;
      }
      if (op === 1) {
        const b = g.type(3, undefined);
        if (b.k === 'union' || !unionOk([...node.branches, b])) return false;
        node.branches.splice(r.int(node.branches.length + 1), 0, b);
        return true;
      }
      if (op === 2) {
        node.branches.reverse();
        return true;
      }
      return replace(r.pick(node.branches));
    }
    case 'enum': {
      const op = r.int(4);
      if (op === 0) {
        const add = SYMBOLS.filter((s) => !node.symbols.includes(s));
        if (add.length === 0) return false;
        node.symbols.push(r.pick(add));
        return true;
      }
      if (op === 1 && node.symbols.length > 1) {
        const drop = r.pick(node.symbols);
        node.symbols = node.symbols.filter((s) => s !== drop);
        if (node.def === drop) node.def = node.symbols[0];
        return true;
      }
      if (op === 2) {
        node.def = node.def === undefined ? r.pick(node.symbols) : undefined;
        return true;
      }
      return rename(node, root, r);
    }
    case 'fixed':
      if (r.chance(0.5)) {
        node.size = r.pick([2, 4, 8, 16]);
        return true;
      }
      return rename(node, root, r);
    case 'array':
    case 'map':
      if (r.chance(0.3))
        return replace(
          node.k === 'array'
            ? { k: 'map', values: node.items }
            : { k: 'array', items: node.values },
        );
      return false;
    case 'ref':
      return false;
    case 'record': {
      const op = r.int(7);
      if (op === 0) {
        const free = FIELDS.filter((n) => !node.fields.some((f) => f.name === n));
        if (free.length === 0) return false;
        node.fields.splice(r.int(node.fields.length + 1), 0, {
          name: r.pick(free),
          aliases: [],
          type: g.type(3, node),
          withDefault: r.chance(0.6),
        });
        return true;
      }
      if (op === 1 && node.fields.length > 0) {
        node.fields.splice(r.int(node.fields.length), 1);
        return true;
      }
      if (op === 2 && node.fields.length > 0) {
        const f = r.pick(node.fields);
        f.withDefault = !f.withDefault;
        return true;
      }
      if (op === 3 && node.fields.length > 0) {
        // Rename a field, with an alias of the old name or not.
        const f = r.pick(node.fields);
        const free = FIELDS.filter((n) => !node.fields.some((x) => x.name === n));
        if (free.length === 0) return false;
        const old = f.name;
        f.name = r.pick(free);
        if (r.chance(0.7)) f.aliases = [old];
        return true;
      }
      if (op === 4 && node.fields.length > 0) {
        // An alias naming another field: with the writer holding both, the reader is ambiguous.
        const f = r.pick(node.fields);
        f.aliases = [r.pick(FIELDS.filter((n) => n !== f.name))];
        return true;
      }
      return rename(node, root, r);
    }
  }
}

/** Renames a named type or moves it to another namespace, maybe keeping an alias. */
function rename(node: G & Named, root: G, r: Rng): boolean {
  const used = namesIn(root);
  const before = { ...node };
  const next = r.chance(0.5)
    ? { name: r.pick(NAMES), ns: node.ns }
    : { name: node.name, ns: r.pick(NSS) };
  if (used.has(fullName({ ...next, aliases: [] }))) return false;
  node.name = next.name;
  node.ns = next.ns;
  const alias = r.int(4);
  // The old full name (what the specification's resolution needs), the bare old name (which
  // qualifies with the new namespace), or none.
  node.aliases = alias === 0 ? [fullName(before)] : alias === 1 ? [before.name] : [];
  return true;
}

/** A JSON default of a type (its first branch for unions), or undefined if it has none. */
function defaultOf(g: G, depth = 0): unknown {
  if (depth > 8) return undefined;
  switch (g.k) {
    case 'prim':
      return {
        null: null,
        boolean: true,
        int: 1,
        long: 2,
        float: 1.5,
        double: 2.5,
        bytes: '\u00ff',
        string: 's',
      }[g.t];
    case 'enum':
      return g.symbols[0];
    case 'fixed':
      return 'a'.repeat(g.size);
    case 'array':
      return [];
    case 'map':
      return {};
    case 'union':
      return defaultOf(g.branches[0] as G, depth + 1);
    case 'ref':
      return defaultOf(g.to, depth + 1);
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const f of g.fields) {
        const d = defaultOf(f.type, depth + 1);
        if (d === undefined) return undefined;
        out[f.name] = d;
      }
      return out;
    }
  }
}

function toJson(g: G, ns: string | undefined = undefined): unknown {
  const named = (n: Named) => ({
    name: n.name,
    ...(n.ns !== ns ? { namespace: n.ns ?? '' } : {}),
    ...(n.aliases.length > 0 ? { aliases: n.aliases } : {}),
  });
  switch (g.k) {
    case 'prim':
      return g.logical ? { type: g.t, ...g.logical } : g.t;
    case 'array':
      return { type: 'array', items: toJson(g.items, ns) };
    case 'map':
      return { type: 'map', values: toJson(g.values, ns) };
    case 'union':
      return g.branches.map((b) => toJson(b, ns));
    case 'ref':
      return fullName(g.to);
    case 'enum':
      return {
        type: 'enum',
        ...named(g),
        symbols: g.symbols,
        ...(g.def ? { default: g.def } : {}),
      };
    case 'fixed':
      return { type: 'fixed', ...named(g), size: g.size };
    case 'record':
      return {
        type: 'record',
        ...named(g),
        fields: g.fields.map((f) => {
          const d = f.withDefault ? defaultOf(f.type) : undefined;
          return {
            name: f.name,
            ...(f.aliases.length > 0 ? { aliases: f.aliases } : {}),
            type: toJson(f.type, g.ns),
            ...(d !== undefined ? { default: d } : {}),
          };
        }),
      };
  }
}

/** A writer, and a reader made from it by a few changes (or generated apart, now and then). */
function pair(seed: number): [unknown, unknown] {
  const r = rng(seed);
  const writer = new Gen(r, new Set()).record(0) as G;
  let reader: G;
  if (r.chance(0.08)) reader = new Gen(r, new Set()).record(0) as G;
  else {
    reader = copy(writer);
    const g = new Gen(r, namesIn(reader));
    for (let n = 1 + r.int(3), tries = 0; n > 0 && tries < 20; tries++) {
      const candidate = copy(reader);
      if (mutate(candidate, r, g) && valid(candidate)) {
        reader = candidate;
        n--;
      }
    }
  }
  return r.chance(0.5) ? [toJson(writer), toJson(reader)] : [toJson(reader), toJson(writer)];
}

function avscVerdict(reader: avsc.Type, writer: avsc.Type, ignoreNamespaces: boolean) {
  try {
    return reader.createResolver(writer, { ignoreNamespaces } as never);
  } catch {
    return undefined;
  }
}

describe('Avro schema resolution vs avsc createResolver', () => {
  it('agrees on ≥ 5,000 generated writer/reader pairs, except the listed spec divergences; compatible pairs decode', () => {
    const v = new Validation();
    const counts = { pairs: 0, agree: 0, compatible: 0, decoded: 0 };
    const divergent: Record<Divergence, number> = { namespace: 0 };
    const rules = new Map<string, number>();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const [writerJson, readerJson] = pair(seed);
        const writer = { format: 'avro', schema: writerJson };
        const reader = { format: 'avro', schema: readerJson };
        const plinth = v.checkCompatibility(reader, [writer], { level: 'BACKWARD' });
        const wt = avsc.Type.forSchema(writerJson as avsc.Schema);
        const rt = avsc.Type.forSchema(readerJson as avsc.Schema);
        const strict = avscVerdict(rt, wt, false);
        counts.pairs++;
        for (const x of plinth.violations) rules.set(x.rule, (rules.get(x.rule) ?? 0) + 1);
        if (plinth.compatible === (strict !== undefined)) counts.agree++;
        else {
          // Only a listed divergence may explain a disagreement.
          const loose = avscVerdict(rt, wt, true);
          const kind: Divergence | undefined =
            plinth.compatible && strict === undefined && loose !== undefined
              ? 'namespace'
              : undefined;
          if (kind === undefined) {
            expect.fail(
              `Plinth says ${plinth.compatible ? 'compatible' : `incompatible (${plinth.violations.map((x) => x.message).join('; ')})`}, avsc the opposite:\nwriter ${JSON.stringify(writerJson)}\nreader ${JSON.stringify(readerJson)}`,
            );
          }
          divergent[kind]++;
        }
        if (!plinth.compatible) return;
        counts.compatible++;
        // Compatible: data written with the writer reads with the reader, through avsc's resolver
        // (the namespace-blind one where the pair is namespace-divergent) and through Plinth's own
        // read path (the empirical check, on its seeded samples).
        const resolver = strict ?? avscVerdict(rt, wt, true);
        // (avsc's own random() overflows the stack on recursive types: Plinth's seeded sampler,
        // run on the plain avsc type, draws the values.)
        for (const value of sampleAvro(wt, 3, seededRandom(seed)))
          expect(() => rt.fromBuffer(wt.toBuffer(value), resolver)).not.toThrow();
        const empirical = v.empiricalCheck(writer, reader, { samples: 3, seed });
        expect(empirical.counterexamples).toEqual([]);
        counts.decoded++;
      }),
      { numRuns: 5000, seed: 1207 },
    );
    const spec = Object.values(divergent).reduce((a, b) => a + b, 0);
    const kinds = Object.entries(divergent).map(
      ([k, n]) => `${k}: ${n} — ${KNOWN_DIVERGENCES[k as Divergence]}`,
    );
    console.log(
      `avro resolution vs avsc: ${counts.pairs} pairs, ${counts.agree} agree, ${spec} spec-divergent (${kinds.join(', ')}); ` +
        `${counts.compatible} compatible pairs, ${counts.decoded} decoded by avsc's resolver and Plinth's read path`,
    );
    console.log(
      `avro resolution violations: ${[...rules].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    expect(counts.pairs).toBe(5000);
    expect(counts.agree + spec).toBe(counts.pairs);
    // The generator reaches both verdicts and the divergence.
    expect(counts.compatible).toBeGreaterThan(1500);
    expect(counts.pairs - counts.compatible).toBeGreaterThan(1500);
    expect(divergent.namespace).toBeGreaterThan(0);
    // Every kind of incompatibility occurs among the pairs.
    expect([...rules.keys()].sort()).toEqual([
      'AVRO_FIELD_ALIAS_AMBIGUOUS',
      'AVRO_FIXED_SIZE_MISMATCH',
      'AVRO_MISSING_ENUM_SYMBOLS',
      'AVRO_MISSING_UNION_BRANCH',
      'AVRO_NAME_MISMATCH',
      'AVRO_READER_FIELD_MISSING_DEFAULT',
      'AVRO_TYPE_MISMATCH',
    ]);
  }, 300_000);

  it('the divergences, one by one: the specification and Java decide', () => {
    const v = new Validation();
    const ok = (writer: unknown, reader: unknown) =>
      v.checkCompatibility(
        { format: 'avro', schema: reader },
        [{ format: 'avro', schema: writer }],
        {
          level: 'BACKWARD',
        },
      ).compatible;
    const rec = (extra: Record<string, unknown>) => ({
      type: 'record',
      name: 'R',
      fields: [{ name: 'a', type: 'int' }],
      ...extra,
    });
    // namespace: same unqualified name → compatible (avsc without ignoreNamespaces refuses).
    expect(ok(rec({ namespace: 'x' }), rec({ namespace: 'y' }))).toBe(true);
    expect(
      avscVerdict(
        avsc.Type.forSchema(rec({ namespace: 'y' }) as avsc.Schema),
        avsc.Type.forSchema(rec({ namespace: 'x' }) as avsc.Schema),
        false,
      ),
    ).toBeUndefined();
    // Aliases are full names: a reader alias matches the writer's full name only (Java, avsc).
    const renamed = (aliases: string[]) => ({ ...rec({ namespace: 'y', aliases }), name: 'S' });
    expect(ok(rec({ namespace: 'x' }), renamed(['x.R']))).toBe(true);
    expect(ok(rec({ namespace: 'x' }), renamed(['R']))).toBe(false); // alias means y.R
    expect(ok(rec({}), { ...rec({ aliases: ['R'] }), name: 'S' })).toBe(true);
    // A reader field matching two writer fields (name + alias) is refused, by Java and avsc alike.
    const two = rec({
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'int' },
      ],
    });
    const ambiguous = v.checkCompatibility(
      { format: 'avro', schema: rec({ fields: [{ name: 'a', aliases: ['b'], type: 'int' }] }) },
      [{ format: 'avro', schema: two }],
      { level: 'BACKWARD' },
    );
    expect(ambiguous.violations.map((x) => x.rule)).toEqual(['AVRO_FIELD_ALIAS_AMBIGUOUS']);
  });
});
