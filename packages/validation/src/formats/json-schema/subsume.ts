import { isObject, jsonEqual } from '../../internal/json.js';
import type { JsonSchemaDraft } from './drafts.js';
import { arrayParts, isActive, NUMBER_FORMATS, sameVocabulary } from './keywords.js';
import type { SchemaLocation, Side } from './locations.js';

/**
 * Subsumption between JSON Schemas: `includes(a, b)` answers true only when it can prove that
 * every instance valid under `a` is valid under `b`; `disjoint(a, b)` only when no instance is
 * valid under both. "False" means "not proven", so callers stay conservative.
 *
 * The left schema is read as a conjunction of subschemas (its own keywords, `allOf` branches,
 * `$ref` targets) with pending disjunctions (`anyOf`, `oneOf` read as `anyOf`, `if`/`then`/`else`)
 * that are split into cases when a direct proof fails; keywords it cannot use are dropped, which
 * only enlarges it (sound). The right schema is checked keyword by keyword, and a keyword it
 * cannot discharge fails the proof. Recursive schemas are handled coinductively: a pair already
 * being proven counts as proven when the instance has since descended into a property or an
 * item (guarded recursion), otherwise as unproven. A step budget bounds every query.
 */

export interface Node {
  readonly loc: SchemaLocation;
  readonly side: Side;
  /** Schema resources entered on the way here, outermost first (the dynamic scope). */
  readonly scope: readonly SchemaLocation[];
}

/** The draft in effect at a node (an embedded `$schema` may switch it). */
export const draftOf = (n: Node): JsonSchemaDraft => n.side.model.draftAt(n.loc);

/**
 * A node at `loc`, reached from `from`: entering another resource extends the dynamic scope.
 * Only the outermost occurrence of a resource matters to dynamic resolution, so a resource
 * entered again is not added twice (which keeps scopes, and recursion over them, finite).
 */
function moveTo(from: Node, loc: SchemaLocation): Node {
  if (
    loc.resourceUri === from.loc.resourceUri ||
    from.scope.some((r) => r.resourceUri === loc.resourceUri)
  )
    return { loc, side: from.side, scope: from.scope };
  const resource = from.side.model.resource(loc.resourceUri) ?? loc;
  return { loc, side: from.side, scope: [...from.scope, resource] };
}

/** The root node of a side. */
export const rootOf = (side: Side): Node => ({
  loc: side.model.root,
  side,
  scope: [side.model.root],
});

/** Where a `$ref`, `$dynamicRef` or `$recursiveRef` written at `n` leads. */
export function refTarget(n: Node, keyword: string, ref: string): Node | undefined {
  const model = n.side.model;
  const t =
    keyword === '$ref' ? model.resolve(n.loc, ref) : model.resolveDynamic(n.loc, ref, n.scope);
  return t === undefined ? undefined : moveTo(n, t);
}

/** The reference keywords of a subschema that its draft applies. */
export function refsOf(n: Node): Array<readonly [string, string]> {
  const s = n.loc.schema;
  if (!isObject(s)) return [];
  const d = draftOf(n);
  const out: Array<readonly [string, string]> = [];
  for (const kw of ['$ref', '$dynamicRef', '$recursiveRef'])
    if (typeof s[kw] === 'string' && isActive(d, kw)) out.push([kw, s[kw]]);
  return out;
}

type Obj = Record<string, unknown>;

const NULL = 1;
const BOOL = 2;
const OBJ = 4;
const ARR = 8;
const STR = 16;
const INT = 32;
const FRAC = 64;
const NUM = INT | FRAC;
const ALL = 127;
const GROUPS = [NULL, BOOL, OBJ, ARR, STR, NUM];
const TYPE_BITS: Record<string, number> = {
  null: NULL,
  boolean: BOOL,
  object: OBJ,
  array: ARR,
  string: STR,
  integer: INT,
  number: NUM,
};

/** Bits of a `type` keyword; an unreadable one counts as `unknown` (all on the left, none on the right). */
function typeBits(t: unknown, unknown: number): number {
  if (typeof t === 'string') return TYPE_BITS[t] ?? unknown;
  if (Array.isArray(t)) return t.reduce<number>((m, x) => m | typeBits(x, unknown), 0);
  return unknown;
}

function valueBits(v: unknown): number {
  if (v === null) return NULL;
  if (typeof v === 'boolean') return BOOL;
  if (typeof v === 'string') return STR;
  if (typeof v === 'number') return Number.isInteger(v) ? INT : FRAC;
  if (Array.isArray(v)) return ARR;
  return OBJ;
}

const isPrimitive = (v: unknown): boolean => v === null || typeof v !== 'object';
/** String length as ajv counts it (code points). */
const cpLength = (s: string): number => [...s].length;
/** ajv's multipleOf test. */
const multipleOk = (v: number, m: number): boolean => {
  const r = v / m;
  return m !== 0 && r === Number.parseInt(String(r), 10);
};

const regexCache = new Map<string, RegExp | null>();
function regex(source: string): RegExp | undefined {
  let r = regexCache.get(source);
  if (r === undefined) {
    try {
      r = new RegExp(source, 'u');
    } catch {
      r = null;
    }
    if (regexCache.size > 2000) regexCache.clear();
    regexCache.set(source, r);
  }
  return r ?? undefined;
}

const refCache = new WeakMap<object, boolean>();
/** Whether a schema value contains a reference keyword anywhere (so equal text may differ in meaning). */
function containsRef(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const cached = refCache.get(schema);
  if (cached !== undefined) return cached;
  let found = false;
  const stack: unknown[] = [schema];
  const seen = new Set<unknown>();
  while (stack.length > 0 && !found) {
    const s = stack.pop();
    if (typeof s !== 'object' || s === null || seen.has(s)) continue;
    seen.add(s);
    if (Array.isArray(s)) stack.push(...(s as unknown[]));
    else {
      for (const [k, v] of Object.entries(s)) {
        if ((k === '$ref' || k === '$dynamicRef' || k === '$recursiveRef') && typeof v === 'string')
          found = true;
        else if (typeof v === 'object' && v !== null) stack.push(v);
      }
    }
  }
  refCache.set(schema, found);
  return found;
}

/** A schema (object or boolean) with no keyword that validation applies: accepts everything. */
export function acceptsAll(s: unknown, draft: JsonSchemaDraft): boolean {
  if (s === true || s === undefined) return true;
  return isObject(s) && Object.keys(s).every((k) => !isActive(draft, k));
}

export const nodeKey = (n: Node): string =>
  `${n.side.name}|${n.loc.resourceUri}|${n.loc.pointer}${n.side.dynamic ? `|${n.scope.map((l) => l.resourceUri).join(' ')}` : ''}`;

export function child(n: Node, ...path: ReadonlyArray<string | number>): Node {
  return moveTo(n, n.side.model.at(n.loc, ...path));
}

interface Alt {
  readonly nodes: readonly Node[];
  readonly negs: readonly Node[];
}

interface Facts {
  readonly values: readonly unknown[] | undefined;
  readonly lo: number | undefined;
  readonly loEx: boolean;
  readonly hi: number | undefined;
  readonly hiEx: boolean;
  readonly mults: readonly number[];
  readonly minLen: number;
  readonly maxLen: number | undefined;
  readonly patterns: ReadonlySet<string>;
  readonly formats: ReadonlySet<string>;
  readonly minItems: number;
  readonly maxItems: number | undefined;
  readonly unique: boolean;
  readonly required: ReadonlySet<string>;
  readonly minProps: number;
  readonly maxProps: number | undefined;
}

/** The left side of a query: a conjunction of subschemas, negations and pending disjunctions. */
interface Case {
  readonly nodes: Node[];
  readonly negs: Node[];
  readonly keys: Set<string>;
  mask: number;
  readonly alts: Alt[][];
  readonly depth: number;
  key?: string | undefined;
  facts?: Facts | undefined;
  live?: number | undefined;
}

/** Work bounds of one query: proof steps, and nesting of the proof (the JavaScript stack). */
const STEPS_PER_QUERY = 2000;

/** Runs a proof; running out of stack (a very deep pair) only means "not proven". */
function unproven(proof: () => boolean): boolean {
  try {
    return proof();
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}
const STEPS_PER_COMPARISON = 60_000;
const MAX_NESTING = 150;

export class Subsumption {
  readonly #memo = new Map<string, boolean>();
  readonly #active = new Map<string, { readonly index: number; readonly depth: number }>();
  #stack = 0;
  #floor = Number.POSITIVE_INFINITY;
  #budget = 0;
  /** Steps left for the whole comparison (bounds the time a hostile pair of schemas can take). */
  #total = STEPS_PER_COMPARISON;

  /** @param lenient a property one side declares and the other's open model does not is assumed absent. */
  constructor(private readonly lenient: boolean) {}

  /** Proven: every instance valid under all of `as` is valid under `b`. */
  includes(as: readonly Node[], b: Node): boolean {
    this.#budget = STEPS_PER_QUERY;
    return unproven(() => this.#prove(this.#caseOf(as, 0), b));
  }

  /** Proven: no instance is valid under both. */
  disjoint(a: Node, b: Node): boolean {
    this.#budget = STEPS_PER_QUERY;
    return unproven(() => this.#disjoint(this.#caseOf([a], 0), this.#caseOf([b], 0)));
  }

  /**
   * Proven: the two subschemas are the same text once every `$ref` on both sides is replaced by
   * its target (an equal unfolding; a pair met again inside itself counts as equal). Unless
   * `exact`, a schema's keywords that do not validate (annotations, `$defs`) are left out.
   */
  same(a: Node, b: Node, exact = false): boolean {
    if (!sameVocabulary(draftOf(a), draftOf(b))) return false;
    const key = `${exact ? 'E' : 'S'}${nodeKey(a)}=${nodeKey(b)}`;
    const known = this.#same.get(key);
    if (known !== undefined) return known;
    if (this.#sameDepth > MAX_NESTING) return false;
    const mark = this.#sameTrail.length;
    this.#same.set(key, true); // coinductive: equal unless a difference shows up
    this.#sameTrail.push(key);
    this.#sameDepth++;
    let r = false;
    try {
      r = this.#sameValue(a, b, 0, exact);
    } finally {
      this.#sameDepth--;
    }
    if (!r) {
      // Whatever was assumed equal on the way may have leant on this pair.
      for (const k of this.#sameTrail.slice(mark + 1))
        if (this.#same.get(k) === true) this.#same.delete(k);
      this.#sameTrail.length = mark;
      this.#same.set(key, false);
    }
    if (mark === 0) this.#sameTrail.length = 0;
    return r;
  }

  readonly #same = new Map<string, boolean>();
  readonly #sameTrail: string[] = [];
  #sameDepth = 0;

  #sameValue(a: Node, b: Node, depth: number, exact: boolean): boolean {
    const x = a.loc.schema;
    const y = b.loc.schema;
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) return x === y;
    const plain = !containsRef(x) && !containsRef(y);
    if (Array.isArray(x) || Array.isArray(y)) {
      if (plain) return jsonEqual(x, y);
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || depth > 200)
        return false;
      return x.every((_, i) => this.#sameValue(child(a, i), child(b, i), depth + 1, exact));
    }
    const xo = x as Obj;
    const yo = y as Obj;
    // In a schema only the keywords that validate count ($defs and annotations do not: what
    // they hold matters through references, which are compared by their targets).
    const schemas = !exact && a.side.model.isSchema(a.loc) && b.side.model.isSchema(b.loc);
    if (plain && !schemas) return jsonEqual(x, y);
    if (depth > 200) return false;
    const d = draftOf(a);
    const relevant = (o: Obj) =>
      schemas ? Object.keys(o).filter((k) => isActive(d, k)) : Object.keys(o);
    const keys = relevant(xo);
    if (keys.length !== relevant(yo).length) return false;
    for (const k of keys) {
      if (!Object.hasOwn(yo, k)) return false;
      if (plain || k === 'enum' || k === 'const' || k === 'default' || k === 'examples') {
        if (!jsonEqual(xo[k], yo[k])) return false;
      } else if (
        (k === '$ref' || k === '$dynamicRef' || k === '$recursiveRef') &&
        typeof xo[k] === 'string' &&
        typeof yo[k] === 'string'
      ) {
        const ta = refTarget(a, k, xo[k]);
        const tb = refTarget(b, k, yo[k]);
        if (ta === undefined || tb === undefined || !this.same(ta, tb, exact)) return false;
      } else if (!this.#sameValue(child(a, k), child(b, k), depth + 1, exact)) return false;
    }
    return true;
  }

  // ---- cases ------------------------------------------------------------------------------

  #caseOf(nodes: readonly Node[], depth: number, negs: readonly Node[] = []): Case {
    const c: Case = { nodes: [], negs: [], keys: new Set(), mask: ALL, alts: [], depth };
    for (const n of nodes) this.#add(c, n);
    for (const n of negs) this.#addNeg(c, n);
    return c;
  }

  #extend(c: Case, alt: Alt, others: readonly Alt[][]): Case {
    const out: Case = {
      nodes: [...c.nodes],
      negs: [...c.negs],
      keys: new Set(c.keys),
      mask: c.mask,
      alts: [...others],
      depth: c.depth,
    };
    for (const n of alt.nodes) this.#add(out, n);
    for (const n of alt.negs) this.#addNeg(out, n);
    return out;
  }

  #addNeg(c: Case, n: Node): void {
    const key = `!${nodeKey(n)}`;
    if (c.keys.has(key)) return;
    c.keys.add(key);
    if (acceptsAll(n.loc.schema, draftOf(n))) c.mask = 0;
    else c.negs.push(n);
  }

  #add(c: Case, n: Node): void {
    const s = n.loc.schema;
    if (s === false) {
      c.mask = 0;
      return;
    }
    if (!isObject(s)) return;
    const key = nodeKey(n);
    if (c.keys.has(key)) return;
    c.keys.add(key);
    const d = draftOf(n);
    c.nodes.push(n);
    if (isActive(d, 'type') && 'type' in s) c.mask &= typeBits(s.type, ALL);
    if (isActive(d, 'const') && 'const' in s) c.mask &= valueBits(s.const);
    if (Array.isArray(s.enum)) c.mask &= s.enum.reduce<number>((m, v) => m | valueBits(v), 0);
    if (Array.isArray(s.allOf)) s.allOf.forEach((_, i) => this.#add(c, child(n, 'allOf', i)));
    for (const [kw, ref] of refsOf(n)) {
      const t = refTarget(n, kw, ref);
      if (t !== undefined) this.#add(c, t);
    }
    if (isObject(s) && 'not' in s) this.#addNeg(c, child(n, 'not'));
    for (const kw of ['anyOf', 'oneOf'] as const) {
      const branches = s[kw];
      if (Array.isArray(branches))
        c.alts.push(branches.map((_, i) => ({ nodes: [child(n, kw, i)], negs: [] })));
    }
    if (isActive(d, 'if') && 'if' in s && ('then' in s || 'else' in s)) {
      const cond = child(n, 'if');
      c.alts.push([
        { nodes: 'then' in s ? [cond, child(n, 'then')] : [cond], negs: [] },
        { nodes: 'else' in s ? [child(n, 'else')] : [], negs: [cond] },
      ]);
    }
  }

  #caseKey(c: Case): string {
    c.key ??= `${c.mask}|${[...c.keys]
      .map((k) => this.#id(k))
      .sort((x, y) => x - y)
      .join(',')}`;
    return c.key;
  }

  readonly #ids = new Map<string, number>();
  /** A short number for a location key (case keys stay short to hash). */
  #id(key: string): number {
    let id = this.#ids.get(key);
    if (id === undefined) this.#ids.set(key, (id = this.#ids.size));
    return id;
  }

  /** Splits on the first pending disjunction, else on the JSON type. */
  #split(c: Case): Case[] | undefined {
    const [first, ...rest] = c.alts;
    if (first !== undefined) return first.map((alt) => this.#extend(c, alt, rest));
    const live = this.#live(c);
    const groups = GROUPS.filter((g) => (live & g) !== 0).map((g) => live & g);
    const parts = groups.length > 1 ? groups : live === NUM ? [INT, FRAC] : undefined;
    return parts?.map((m) => ({
      ...c,
      keys: c.keys,
      mask: m,
      key: undefined,
      facts: undefined,
      live: undefined,
    }));
  }

  #facts(c: Case): Facts {
    if (c.facts !== undefined) return c.facts;
    let values: unknown[] | undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    let loEx = false;
    let hiEx = false;
    const mults: number[] = [];
    let minLen = 0;
    let maxLen: number | undefined;
    const patterns = new Set<string>();
    const formats = new Set<string>();
    let minItems = 0;
    let maxItems: number | undefined;
    let unique = false;
    const required = new Set<string>();
    let minProps = 0;
    let maxProps: number | undefined;
    const narrow = (vs: readonly unknown[]) => {
      values =
        values === undefined ? [...vs] : values.filter((v) => vs.some((w) => jsonEqual(v, w)));
    };
    const num = (x: unknown): x is number => typeof x === 'number';
    for (const n of c.nodes) {
      const s = n.loc.schema as Obj;
      const d = draftOf(n);
      if (isActive(d, 'const') && 'const' in s) narrow([s.const]);
      if (Array.isArray(s.enum)) narrow(s.enum);
      const setLo = (x: number, ex: boolean) => {
        if (lo === undefined || x > lo || (x === lo && ex)) [lo, loEx] = [x, ex];
      };
      const setHi = (x: number, ex: boolean) => {
        if (hi === undefined || x < hi || (x === hi && ex)) [hi, hiEx] = [x, ex];
      };
      if (num(s.minimum)) setLo(s.minimum, false);
      if (num(s.exclusiveMinimum)) setLo(s.exclusiveMinimum, true);
      if (num(s.maximum)) setHi(s.maximum, false);
      if (num(s.exclusiveMaximum)) setHi(s.exclusiveMaximum, true);
      if (num(s.multipleOf)) mults.push(s.multipleOf);
      if (num(s.minLength)) minLen = Math.max(minLen, s.minLength);
      if (num(s.maxLength)) maxLen = Math.min(maxLen ?? s.maxLength, s.maxLength);
      if (typeof s.pattern === 'string') patterns.add(s.pattern);
      if (typeof s.format === 'string') formats.add(s.format);
      if (num(s.minItems)) minItems = Math.max(minItems, s.minItems);
      if (num(s.maxItems)) maxItems = Math.min(maxItems ?? s.maxItems, s.maxItems);
      if (s.uniqueItems === true) unique = true;
      if (Array.isArray(s.required))
        for (const r of s.required) if (typeof r === 'string') required.add(r);
      if (num(s.minProperties)) minProps = Math.max(minProps, s.minProperties);
      if (num(s.maxProperties)) maxProps = Math.min(maxProps ?? s.maxProperties, s.maxProperties);
    }
    if (values !== undefined) {
      values = (values as unknown[]).filter(
        (v) =>
          (valueBits(v) & c.mask) !== 0 &&
          !(isPrimitive(v) && c.nodes.some((n) => this.#eval(v, n, 0) === false)),
      );
    }
    c.facts = {
      values,
      lo,
      loEx,
      hi,
      hiEx,
      mults,
      minLen,
      maxLen,
      patterns,
      formats,
      minItems,
      maxItems,
      unique,
      required,
      minProps,
      maxProps,
    };
    return c.facts;
  }

  /** The JSON types the case can still have an instance of (contradictory bounds remove one). */
  #live(c: Case): number {
    if (c.live !== undefined) return c.live;
    let m = c.mask;
    c.live = m; // provisional, should the property checks below come back here
    const f = this.#facts(c);
    if (f.values !== undefined) m &= f.values.reduce<number>((b, v) => b | valueBits(v), 0);
    const { lo, hi, loEx, hiEx } = f;
    if (lo !== undefined && hi !== undefined && (lo > hi || (lo === hi && (loEx || hiEx))))
      m &= ~NUM;
    const intLo = lo === undefined ? -Infinity : loEx ? Math.floor(lo) + 1 : Math.ceil(lo);
    const intHi = hi === undefined ? Infinity : hiEx ? Math.ceil(hi) - 1 : Math.floor(hi);
    if (intLo > intHi) m &= ~INT;
    if (f.maxLen !== undefined && f.minLen > f.maxLen) m &= ~STR;
    if (f.maxItems !== undefined && f.minItems > f.maxItems) m &= ~ARR;
    if (
      (m & OBJ) !== 0 &&
      ((f.maxProps !== undefined && Math.max(f.minProps, f.required.size) > f.maxProps) ||
        [...f.required].some((r) => this.#propertyCase(c, r).mask === 0))
    )
      m &= ~OBJ;
    c.live = m;
    return m;
  }

  // ---- coinductive memo -------------------------------------------------------------------

  #memoised(key: string, depth: number, compute: () => boolean): boolean {
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const open = this.#active.get(key);
    if (open !== undefined) {
      if (depth > open.depth) {
        this.#floor = Math.min(this.#floor, open.index);
        return true;
      }
      return false; // unguarded recursion: nothing to assume
    }
    if (--this.#budget < 0 || --this.#total < 0 || this.#stack > MAX_NESTING) return false;
    const index = this.#stack++;
    this.#active.set(key, { index, depth });
    const outer = this.#floor;
    this.#floor = Number.POSITIVE_INFINITY;
    let r = false;
    try {
      r = compute();
    } finally {
      this.#active.delete(key);
      this.#stack--;
    }
    const selfContained = this.#floor >= index;
    if (!r || selfContained) this.#memo.set(key, r);
    this.#floor = Math.min(outer, selfContained ? Number.POSITIVE_INFINITY : this.#floor);
    return r;
  }

  // ---- inclusion --------------------------------------------------------------------------

  #prove(a: Case, b: Node): boolean {
    if (a.mask === 0 || this.#live(a) === 0) return true;
    const s = b.loc.schema;
    if (acceptsAll(s, draftOf(b))) return true;
    if (!isObject(s) || this.#total <= 0) return false;
    const bKey = nodeKey(b);
    if (a.keys.has(bKey)) return true;
    return this.#memoised(`${this.#caseKey(a)}>${this.#id(bKey)}`, a.depth, () => {
      for (const n of a.nodes) if (this.same(n, b)) return true;
      if (this.#direct(a, b, s)) return true;
      const cases = this.#split(a);
      return cases !== undefined && cases.every((c) => this.#prove(c, b));
    });
  }

  #direct(a: Case, b: Node, s: Obj): boolean {
    const f = this.#facts(a);
    if (f.values !== undefined && f.values.every(isPrimitive)) {
      if (f.values.every((v) => this.#eval(v, b, 0) === true)) return true;
    }
    const d = draftOf(b);
    const done = new Set<string>();
    for (const k of Object.keys(s)) {
      if (!isActive(d, k)) continue;
      if (!this.#keyword(a, b, s, k, f, done)) return false;
    }
    return true;
  }

  #valuesOk(f: Facts, pred: (v: unknown) => boolean): boolean {
    return f.values !== undefined && f.values.every(pred);
  }

  #keyword(a: Case, b: Node, s: Obj, k: string, f: Facts, done: Set<string>): boolean {
    const x = s[k];
    const no = (bits: number) => (a.mask & bits) === 0;
    const group = (name: string, run: () => boolean) => {
      if (done.has(name)) return true;
      done.add(name);
      return run();
    };
    switch (k) {
      case 'type':
        return (a.mask & ~typeBits(x, 0)) === 0;
      case 'enum':
        if (!Array.isArray(x)) return true;
        return (
          this.#valuesOk(f, (v) => x.some((e) => jsonEqual(e, v))) ||
          (a.mask === NULL && x.includes(null)) ||
          (a.mask === BOOL && x.includes(true) && x.includes(false))
        );
      case 'const':
        return this.#valuesOk(f, (v) => jsonEqual(v, x)) || (a.mask === NULL && x === null);
      case 'maximum':
      case 'exclusiveMaximum':
      case 'minimum':
      case 'exclusiveMinimum': {
        if (typeof x !== 'number' || no(NUM)) return true;
        const isMax = k.endsWith('aximum');
        const ex = k.startsWith('exclusive');
        const bound = isMax ? f.hi : f.lo;
        const bEx = isMax ? f.hiEx : f.loEx;
        const inside = (v: number) => (isMax ? (ex ? v < x : v <= x) : ex ? v > x : v >= x);
        if (bound !== undefined) {
          if (isMax ? bound < x : bound > x) return true;
          if (bound === x && (!ex || bEx)) return true;
        }
        return this.#valuesOk(f, (v) => typeof v !== 'number' || inside(v));
      }
      case 'multipleOf': {
        if (typeof x !== 'number' || no(NUM)) return true;
        const bounded = (lim: number) =>
          f.lo !== undefined &&
          f.hi !== undefined &&
          Math.abs(f.lo) <= lim &&
          Math.abs(f.hi) <= lim;
        return (
          f.mults.some(
            (m) =>
              m === x ||
              (Number.isInteger(m) &&
                Number.isInteger(x) &&
                x > 0 &&
                m % x === 0 &&
                bounded(1e15 * x)),
          ) ||
          ((a.mask & NUM) === INT && x === 1 && bounded(1e15)) ||
          this.#valuesOk(f, (v) => typeof v !== 'number' || multipleOk(v, x))
        );
      }
      case 'maxLength':
      case 'minLength': {
        if (typeof x !== 'number' || no(STR)) return true;
        const ok = k === 'maxLength' ? f.maxLen !== undefined && f.maxLen <= x : f.minLen >= x;
        return (
          ok ||
          this.#valuesOk(
            f,
            (v) =>
              typeof v !== 'string' || (k === 'maxLength' ? cpLength(v) <= x : cpLength(v) >= x),
          )
        );
      }
      case 'pattern': {
        if (typeof x !== 'string' || no(STR)) return true;
        const re = regex(x);
        return (
          f.patterns.has(x) ||
          (re !== undefined && this.#valuesOk(f, (v) => typeof v !== 'string' || re.test(v)))
        );
      }
      case 'format':
        if (typeof x !== 'string') return true;
        return no(NUMBER_FORMATS.has(x) ? NUM : STR) || f.formats.has(x);
      case 'maxItems':
      case 'minItems': {
        if (typeof x !== 'number' || no(ARR)) return true;
        return k === 'maxItems' ? f.maxItems !== undefined && f.maxItems <= x : f.minItems >= x;
      }
      case 'uniqueItems':
        return x !== true || no(ARR) || f.unique || (f.maxItems !== undefined && f.maxItems <= 1);
      case 'maxProperties':
      case 'minProperties': {
        if (typeof x !== 'number' || no(OBJ)) return true;
        return k === 'maxProperties'
          ? f.maxProps !== undefined && f.maxProps <= x
          : f.minProps >= x || f.required.size >= x;
      }
      case 'required':
        return (
          !Array.isArray(x) || no(OBJ) || x.every((r) => typeof r !== 'string' || f.required.has(r))
        );
      case 'properties':
      case 'patternProperties':
      case 'additionalProperties':
        return group('object', () => no(OBJ) || this.#objectGroup(a, b, s));
      case 'items':
      case 'prefixItems':
      case 'additionalItems':
        return group('array', () => no(ARR) || this.#arrayGroup(a, b, s, f));
      case 'contains':
      case 'minContains':
      case 'maxContains':
        return group('contains', () => no(ARR) || this.#containsGroup(a, b, s));
      case 'if':
      case 'then':
      case 'else':
        return group('if', () => this.#ifGroup(a, b, s));
      case 'dependencies':
      case 'dependentRequired':
      case 'dependentSchemas':
        return no(OBJ) || this.#dependencies(a, b, k, x, f);
      case 'propertyNames':
        return no(OBJ) || this.#propertyNames(a, b);
      case 'not':
        return this.#disjoint(a, this.#caseOf([child(b, 'not')], a.depth));
      case 'anyOf':
        return Array.isArray(x) && x.some((_, i) => this.#prove(a, child(b, 'anyOf', i)));
      case 'oneOf': {
        if (!Array.isArray(x)) return false;
        const branches = x.map((_, i) => child(b, 'oneOf', i));
        return branches.some(
          (br, i) =>
            this.#prove(a, br) &&
            branches.every(
              (other, j) => j === i || this.#disjoint(a, this.#caseOf([other], a.depth)),
            ),
        );
      }
      case 'allOf':
        return !Array.isArray(x) || x.every((_, i) => this.#prove(a, child(b, 'allOf', i)));
      case '$ref':
      case '$dynamicRef':
      case '$recursiveRef': {
        if (typeof x !== 'string') return true;
        const t = refTarget(b, k, x);
        return t !== undefined && this.#prove(a, t);
      }
      case 'unevaluatedProperties':
        return no(OBJ) || acceptsAll(x, draftOf(b));
      case 'unevaluatedItems':
        return no(ARR) || acceptsAll(x, draftOf(b));
      default:
        return false;
    }
  }

  /** The constraints of the left side on the value of property `name`. */
  #propertyCase(a: Case, name: string): Case {
    const c = this.#caseOf([], a.depth + 1);
    for (const n of a.nodes) {
      const s = n.loc.schema as Obj;
      let matched = false;
      if (isObject(s.properties) && Object.hasOwn(s.properties, name)) {
        this.#add(c, child(n, 'properties', name));
        matched = true;
      }
      if (isObject(s.patternProperties)) {
        for (const p of Object.keys(s.patternProperties)) {
          const re = regex(p);
          if (re === undefined) matched = true;
          else if (re.test(name)) {
            this.#add(c, child(n, 'patternProperties', p));
            matched = true;
          }
        }
      }
      if (!matched && 'additionalProperties' in s) this.#add(c, child(n, 'additionalProperties'));
    }
    return c;
  }

  #crossSide(a: Case, b: Node): boolean {
    return a.nodes.some((n) => n.side.name !== b.side.name);
  }

  #objectGroup(a: Case, b: Node, s: Obj): boolean {
    const props = isObject(s.properties) ? s.properties : {};
    const patterns = isObject(s.patternProperties) ? Object.keys(s.patternProperties) : [];
    const hasAdditional = 'additionalProperties' in s;
    const lenient = this.lenient && this.#crossSide(a, b);
    const depth = a.depth + 1;
    const names = new Set(Object.keys(props));
    for (const n of a.nodes) {
      const ns = n.loc.schema as Obj;
      if (isObject(ns.properties)) for (const k of Object.keys(ns.properties)) names.add(k);
    }
    for (const name of names) {
      const targets: Node[] = [];
      let matched = false;
      if (Object.hasOwn(props, name)) {
        targets.push(child(b, 'properties', name));
        matched = true;
      }
      for (const p of patterns) {
        const re = regex(p);
        if (re === undefined) return false;
        if (re.test(name)) {
          targets.push(child(b, 'patternProperties', p));
          matched = true;
        }
      }
      if (!matched && hasAdditional) targets.push(child(b, 'additionalProperties'));
      if (targets.length === 0) continue;
      const own = this.#propertyCase(a, name);
      if (own.mask === 0) continue;
      if (lenient && own.nodes.length === 0 && own.negs.length === 0 && Object.hasOwn(props, name))
        continue;
      if (!targets.every((t) => this.#prove(own, t))) return false;
    }
    const single = (n: Node) => this.#caseOf([n], depth);
    for (const p of patterns) {
      const target = child(b, 'patternProperties', p);
      if (acceptsAll(target.loc.schema, draftOf(b))) continue;
      const ok = a.nodes.some((n) => {
        const ns = n.loc.schema as Obj;
        const npp = isObject(ns.patternProperties) ? ns.patternProperties : {};
        if (Object.hasOwn(npp, p))
          return this.#prove(single(child(n, 'patternProperties', p)), target);
        if (!('additionalProperties' in ns)) return false;
        return [
          child(n, 'additionalProperties'),
          ...Object.keys(npp).map((q) => child(n, 'patternProperties', q)),
        ].every((x) => this.#prove(single(x), target));
      });
      if (!ok) return false;
    }
    if (hasAdditional) {
      const target = child(b, 'additionalProperties');
      if (acceptsAll(target.loc.schema, draftOf(b))) return true;
      return a.nodes.some((n) => {
        const ns = n.loc.schema as Obj;
        if (!('additionalProperties' in ns)) return false;
        if (!this.#prove(single(child(n, 'additionalProperties')), target)) return false;
        const npp = isObject(ns.patternProperties) ? Object.keys(ns.patternProperties) : [];
        return npp.every(
          (q) =>
            patterns.includes(q) || this.#prove(single(child(n, 'patternProperties', q)), target),
        );
      });
    }
    return true;
  }

  #itemCase(a: Case, index: number): Case {
    const c = this.#caseOf([], a.depth + 1);
    for (const n of a.nodes) {
      const parts = arrayParts(n.loc.schema as Obj, draftOf(n));
      if (parts.tuple !== undefined && index < parts.tuple.length)
        this.#add(c, child(n, parts.tupleKey, index));
      else if (parts.rest !== undefined) this.#add(c, child(n, parts.restKey));
    }
    return c;
  }

  #arrayGroup(a: Case, b: Node, s: Obj, f: Facts): boolean {
    const parts = arrayParts(s, draftOf(b));
    if (parts.tuple === undefined && parts.rest === undefined) return true;
    let length = parts.tuple?.length ?? 0;
    for (const n of a.nodes) {
      const t = arrayParts(n.loc.schema as Obj, draftOf(n)).tuple;
      if (t !== undefined) length = Math.max(length, t.length);
    }
    const maxItems = f.maxItems ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < Math.min(length, maxItems); i++) {
      const target =
        parts.tuple !== undefined && i < parts.tuple.length
          ? child(b, parts.tupleKey, i)
          : parts.rest !== undefined
            ? child(b, parts.restKey)
            : undefined;
      if (target !== undefined && !this.#prove(this.#itemCase(a, i), target)) return false;
    }
    if (parts.rest !== undefined && maxItems > length)
      return this.#prove(this.#itemCase(a, length), child(b, parts.restKey));
    return true;
  }

  #containsGroup(a: Case, b: Node, s: Obj): boolean {
    if (!('contains' in s)) return true;
    const count = (o: Obj, d: JsonSchemaDraft, kw: string, dflt: number | undefined) =>
      isActive(d, kw) && typeof o[kw] === 'number' ? o[kw] : dflt;
    const min = count(s, draftOf(b), 'minContains', 1) as number;
    const max = count(s, draftOf(b), 'maxContains', undefined);
    if (max === undefined && min === 0) return true;
    const target = child(b, 'contains');
    return a.nodes.some((n) => {
      const ns = n.loc.schema as Obj;
      if (!('contains' in ns)) return false;
      const d = draftOf(n);
      const nMin = count(ns, d, 'minContains', 1) as number;
      const nMax = count(ns, d, 'maxContains', undefined);
      if (nMin < min) return false;
      if (max !== undefined)
        return nMax !== undefined && nMax <= max && this.same(child(n, 'contains'), target);
      return this.#prove(this.#caseOf([child(n, 'contains')], a.depth + 1), target);
    });
  }

  #ifGroup(a: Case, b: Node, s: Obj): boolean {
    if (!('if' in s) || !('then' in s || 'else' in s)) return true;
    const cond = child(b, 'if');
    const then = () => !('then' in s) || this.#prove(a, child(b, 'then'));
    const otherwise = () => !('else' in s) || this.#prove(a, child(b, 'else'));
    return (
      (then() && otherwise()) ||
      (this.#prove(a, cond) && then()) ||
      (this.#disjoint(a, this.#caseOf([cond], a.depth)) && otherwise())
    );
  }

  #dependencies(a: Case, b: Node, k: string, x: unknown, f: Facts): boolean {
    if (!isObject(x)) return true;
    for (const [key, dep] of Object.entries(x)) {
      if (this.#propertyCase(a, key).mask === 0) continue; // the property never occurs
      if (Array.isArray(dep)) {
        if (dep.every((r) => typeof r === 'string' && f.required.has(r))) continue;
        const same = a.nodes.some((n) => {
          const ns = n.loc.schema as Obj;
          return ['dependencies', 'dependentRequired'].some((kw) => {
            const m = isActive(draftOf(n), kw) && isObject(ns[kw]) ? ns[kw][key] : undefined;
            return Array.isArray(m) && dep.every((r) => m.includes(r));
          });
        });
        if (!same) return false;
        continue;
      }
      const target = child(b, k, key);
      if (this.#prove(a, target)) continue;
      const implied = a.nodes.some((n) => {
        const ns = n.loc.schema as Obj;
        return ['dependencies', 'dependentSchemas'].some((kw) => {
          const m = isActive(draftOf(n), kw) && isObject(ns[kw]) ? ns[kw][key] : undefined;
          if (m === undefined || Array.isArray(m)) return false;
          const c = this.#caseOf([...a.nodes, child(n, kw, key)], a.depth, a.negs);
          return this.#prove(c, target);
        });
      });
      if (!implied) return false;
    }
    return true;
  }

  #propertyNames(a: Case, b: Node): boolean {
    const target = child(b, 'propertyNames');
    if (acceptsAll(target.loc.schema, draftOf(b))) return true;
    for (const n of a.nodes) {
      const ns = n.loc.schema as Obj;
      if (
        'propertyNames' in ns &&
        this.#prove(this.#caseOf([child(n, 'propertyNames')], a.depth + 1), target)
      )
        return true;
      const closed =
        ns.additionalProperties === false &&
        !(isObject(ns.patternProperties) && Object.keys(ns.patternProperties).length > 0);
      if (closed) {
        const names = isObject(ns.properties) ? Object.keys(ns.properties) : [];
        if (names.every((name) => this.#eval(name, target, 0) === true)) return true;
      }
    }
    return false;
  }

  // ---- disjointness -----------------------------------------------------------------------

  #disjoint(x: Case, y: Case): boolean {
    if ((x.mask & y.mask) === 0 || (this.#live(x) & this.#live(y)) === 0) return true;
    if (this.#total <= 0) return false;
    const [k1, k2] = [this.#caseKey(x), this.#caseKey(y)].sort();
    return this.#memoised(`D${k1}&${k2}`, Math.min(x.depth, y.depth), () => {
      if (this.#disjointDirect(x, y)) return true;
      const xs = this.#split(x);
      if (x.alts.length > 0 && xs !== undefined) return xs.every((c) => this.#disjoint(c, y));
      const ys = this.#split(y);
      if (y.alts.length > 0 && ys !== undefined) return ys.every((c) => this.#disjoint(x, c));
      return false;
    });
  }

  #excludes(c: Case, v: unknown): boolean {
    if ((valueBits(v) & c.mask) === 0) return true;
    return isPrimitive(v) && c.nodes.some((n) => this.#eval(v, n, 0) === false);
  }

  #disjointDirect(x: Case, y: Case): boolean {
    if (x.negs.some((n) => this.#prove(y, n))) return true;
    if (y.negs.some((n) => this.#prove(x, n))) return true;
    const fx = this.#facts(x);
    const fy = this.#facts(y);
    const common = x.mask & y.mask;
    for (const g of GROUPS) {
      if ((common & g) === 0) continue;
      if (!this.#disjointWithin(g, x, y, fx, fy)) return false;
    }
    return true;
  }

  #disjointWithin(g: number, x: Case, y: Case, fx: Facts, fy: Facts): boolean {
    const byValues = (f: Facts, other: Case) =>
      f.values !== undefined &&
      f.values.filter((v) => (valueBits(v) & g) !== 0).every((v) => this.#excludes(other, v));
    if (byValues(fx, y) || byValues(fy, x)) return true;
    const below = (hi: number | undefined, hiEx: boolean, lo: number | undefined, loEx: boolean) =>
      hi !== undefined && lo !== undefined && (hi < lo || (hi === lo && (hiEx || loEx)));
    switch (g) {
      case NUM:
        return below(fx.hi, fx.hiEx, fy.lo, fy.loEx) || below(fy.hi, fy.hiEx, fx.lo, fx.loEx);
      case STR:
        return (
          (fx.maxLen !== undefined && fx.maxLen < fy.minLen) ||
          (fy.maxLen !== undefined && fy.maxLen < fx.minLen)
        );
      case ARR:
        return (
          (fx.maxItems !== undefined && fx.maxItems < fy.minItems) ||
          (fy.maxItems !== undefined && fy.maxItems < fx.minItems)
        );
      case OBJ: {
        if (
          (fx.maxProps !== undefined && fx.maxProps < Math.max(fy.minProps, fy.required.size)) ||
          (fy.maxProps !== undefined && fy.maxProps < Math.max(fx.minProps, fx.required.size))
        )
          return true;
        for (const name of new Set([...fx.required, ...fy.required])) {
          if (this.#disjoint(this.#propertyCase(x, name), this.#propertyCase(y, name))) return true;
        }
        return false;
      }
      default:
        return false;
    }
  }

  // ---- evaluation of primitive values -----------------------------------------------------

  /** Whether a primitive value is valid under a subschema; undefined when it cannot tell. */
  #eval(v: unknown, n: Node, depth: number): boolean | undefined {
    const s = n.loc.schema;
    if (s === true || s === undefined) return true;
    if (s === false) return false;
    if (!isObject(s) || depth > 40) return undefined;
    const d = draftOf(n);
    let unknown = false;
    const sub = (...path: Array<string | number>) => this.#eval(v, child(n, ...path), depth + 1);
    for (const [k, x] of Object.entries(s)) {
      if (!isActive(d, k)) continue;
      let r: boolean | undefined = true;
      switch (k) {
        case 'type':
          r = (typeBits(x, 0) & valueBits(v)) !== 0;
          break;
        case 'enum':
          r = Array.isArray(x) ? x.some((e) => jsonEqual(e, v)) : undefined;
          break;
        case 'const':
          r = jsonEqual(x, v);
          break;
        case 'maximum':
          r = typeof v !== 'number' || typeof x !== 'number' || v <= x;
          break;
        case 'exclusiveMaximum':
          r = typeof v !== 'number' || typeof x !== 'number' || v < x;
          break;
        case 'minimum':
          r = typeof v !== 'number' || typeof x !== 'number' || v >= x;
          break;
        case 'exclusiveMinimum':
          r = typeof v !== 'number' || typeof x !== 'number' || v > x;
          break;
        case 'multipleOf':
          r = typeof v !== 'number' || typeof x !== 'number' || multipleOk(v, x);
          break;
        case 'maxLength':
          r = typeof v !== 'string' || typeof x !== 'number' || cpLength(v) <= x;
          break;
        case 'minLength':
          r = typeof v !== 'string' || typeof x !== 'number' || cpLength(v) >= x;
          break;
        case 'pattern':
          r = typeof v !== 'string' || typeof x !== 'string' ? true : regex(x)?.test(v);
          break;
        case 'format':
          r =
            typeof x !== 'string' ||
            !(NUMBER_FORMATS.has(x) ? typeof v === 'number' : typeof v === 'string')
              ? true
              : undefined;
          break;
        case 'not': {
          const t = sub('not');
          r = t === undefined ? undefined : !t;
          break;
        }
        case 'anyOf':
        case 'allOf':
        case 'oneOf': {
          if (!Array.isArray(x)) break;
          const rs = x.map((_, i) => sub(k, i));
          if (k === 'anyOf')
            r = rs.includes(true) ? true : rs.includes(undefined) ? undefined : false;
          else if (k === 'allOf')
            r = rs.includes(false) ? false : rs.includes(undefined) ? undefined : true;
          else r = rs.includes(undefined) ? undefined : rs.filter(Boolean).length === 1;
          break;
        }
        case 'if': {
          if (!('then' in s || 'else' in s)) break;
          const c = sub('if');
          if (c === undefined) r = undefined;
          else if (c) r = 'then' in s ? sub('then') : true;
          else r = 'else' in s ? sub('else') : true;
          break;
        }
        case '$ref':
        case '$dynamicRef':
        case '$recursiveRef': {
          if (typeof x !== 'string') break;
          const t = refTarget(n, k, x);
          r = t === undefined ? undefined : this.#eval(v, t, depth + 1);
          break;
        }
        default:
          // Object, array and other keywords do not constrain primitive values.
          break;
      }
      if (r === false) return false;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : true;
  }
}
