/**
 * Cedar's value operations with its exact error semantics (Cedar 4.5), shared by the compiler,
 * the tracer and the partial evaluator. Every failure is an {@link EvalError}: the authorizer
 * catches it per policy, skips the policy and reports it.
 */
import type { PatternElem } from './ast.js';
import { EvalError, typeError } from './eval-error.js';
import { EXTENSION_FUNCTIONS, compareExtension } from './extensions/index.js';
import {
  CedarRecord,
  CedarSet,
  EntityUID,
  ExtensionValue,
  LONG_MIN,
  toLong,
  typeName,
  type Value,
} from './values.js';

/** One entity's data, as the evaluator reads it. */
export interface EntityData {
  readonly uid: EntityUID;
  readonly attrs: CedarRecord;
  readonly parents: readonly EntityUID[];
  readonly tags: ReadonlyMap<string, Value>;
}

/** What evaluation needs from an entity store: entity data and hierarchy membership. */
export interface EntityLookup {
  get(uid: EntityUID): EntityData | undefined;
  /** True when `ancestor` is a strict ancestor of `child` (transitively). */
  isDescendant(child: EntityUID, ancestor: EntityUID): boolean;
}

/** A store with no entities: every entity is missing and only `in` itself. */
export const EMPTY_LOOKUP: EntityLookup = Object.freeze({
  get: () => undefined,
  isDescendant: () => false,
});

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function isLong(v: Value): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

function longArgs(a: Value, b: Value, op: string): void {
  if (!isLong(a)) typeError('Long', typeName(a), `\`${op}\``);
  if (!isLong(b)) typeError('Long', typeName(b), `\`${op}\``);
}

function overflow(op: string, a: Value, b?: Value): never {
  const text = b === undefined ? `${op}${String(a)}` : `${String(a)} ${op} ${String(b)}`;
  throw new EvalError('overflow', `integer overflow: ${text}`);
}

function exact(n: bigint, op: string, a: Value, b?: Value): number | bigint {
  const r = toLong(n);
  if (r === undefined) overflow(op, a, b);
  return r;
}

/** Cedar `+` on Longs; an i64 overflow is an error. */
export function add(a: Value, b: Value): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r;
  } else longArgs(a, b, '+');
  return exact(BigInt(a as number | bigint) + BigInt(b as number | bigint), '+', a, b);
}

/** Cedar `-` on Longs; an i64 overflow is an error. */
export function sub(a: Value, b: Value): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r;
  } else longArgs(a, b, '-');
  return exact(BigInt(a as number | bigint) - BigInt(b as number | bigint), '-', a, b);
}

/** Cedar `*` on Longs; an i64 overflow is an error. */
export function mul(a: Value, b: Value): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    // A float product that is a safe integer is exact (the true product is within 2^53).
    const r = a * b;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r === 0 ? 0 : r;
  } else longArgs(a, b, '*');
  return exact(BigInt(a as number | bigint) * BigInt(b as number | bigint), '*', a, b);
}

/** Cedar unary `-`; negating the smallest Long overflows. */
export function neg(a: Value): number | bigint {
  if (typeof a === 'number') return a === 0 ? 0 : -a;
  if (typeof a !== 'bigint') typeError('Long', typeName(a), 'unary `-`');
  if (a === LONG_MIN) overflow('-', a);
  return exact(-a, '-', a);
}

export type CompareOp = '<' | '<=' | '>' | '>=';

/** Cedar `<`, `<=`, `>`, `>=`: Longs, and datetime/duration through the extensions. */
export function compare(op: CompareOp, a: Value, b: Value): boolean {
  if (isLong(a) && isLong(b)) {
    switch (op) {
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      default:
        return a >= b;
    }
  }
  if (a instanceof ExtensionValue || b instanceof ExtensionValue) {
    return compareExtension(op, a, b);
  }
  if (!isLong(a)) typeError('Long', typeName(a), `\`${op}\``);
  return typeError('Long', typeName(b), `\`${op}\``);
}

function missingEntity(uid: EntityUID): never {
  throw new EvalError('missingEntity', `entity \`${uid.key}\` does not exist`);
}

/** `v.attr`: an entity's attribute (the entity must exist) or a record's field. */
export function getAttr(store: EntityLookup, v: Value, attr: string): Value {
  if (v instanceof EntityUID) {
    const e = store.get(v);
    if (e === undefined) missingEntity(v);
    const x = e.attrs.attrs.get(attr);
    if (x === undefined) {
      throw new EvalError(
        'missingAttribute',
        `\`${v.key}\` does not have the attribute \`${attr}\``,
      );
    }
    return x;
  }
  if (v instanceof CedarRecord) {
    const x = v.attrs.get(attr);
    if (x === undefined) {
      throw new EvalError('missingAttribute', `record does not have the attribute \`${attr}\``);
    }
    return x;
  }
  return typeError('Entity or Record', typeName(v), `\`.${attr}\``);
}

/** `v has attr`: false for a missing entity; a type error unless entity or record. */
export function hasAttr(store: EntityLookup, v: Value, attr: string): boolean {
  if (v instanceof EntityUID) {
    const e = store.get(v);
    return e !== undefined && e.attrs.attrs.has(attr);
  }
  if (v instanceof CedarRecord) return v.attrs.has(attr);
  return typeError('Entity or Record', typeName(v), `\`has ${attr}\``);
}

/** `a in b`: `b` an entity or a set of entities; an entity is `in` itself and its ancestors. */
export function inOp(store: EntityLookup, a: Value, b: Value): boolean {
  if (!(a instanceof EntityUID)) typeError('Entity', typeName(a), '`in`');
  if (b instanceof EntityUID) return a.equals(b) || store.isDescendant(a, b);
  if (b instanceof CedarSet) {
    const items = b.items;
    for (const x of items) if (!(x instanceof EntityUID)) typeError('Entity', typeName(x), '`in`');
    for (const x of items) {
      if (a.equals(x as EntityUID) || store.isDescendant(a, x as EntityUID)) return true;
    }
    return false;
  }
  return typeError('Entity or Set', typeName(b), '`in`');
}

/** `v is T`. */
export function isType(v: Value, entityType: string): boolean {
  if (!(v instanceof EntityUID)) typeError('Entity', typeName(v), '`is`');
  return v.type === entityType;
}

/** Matches `s` against a `like` pattern (`*` matches any run of characters, even empty). */
export function likeMatch(s: Value, pattern: readonly PatternElem[]): boolean {
  if (typeof s !== 'string') typeError('String', typeName(s), '`like`');
  return matchFrom(s, 0, pattern, 0);
}

function matchFrom(s: string, si: number, pattern: readonly PatternElem[], pi: number): boolean {
  // Iterative glob matching: remember the last `*` and retry it one character further on failure.
  let star = -1;
  let starAt = 0;
  while (true) {
    if (pi < pattern.length) {
      const p = pattern[pi]!;
      if (p === 'wildcard') {
        star = ++pi;
        starAt = si;
        continue;
      }
      if (s.startsWith(p.literal, si)) {
        si += p.literal.length;
        pi++;
        continue;
      }
    } else if (si === s.length) {
      return true;
    }
    if (star < 0 || starAt >= s.length) return false;
    pi = star;
    si = ++starAt;
  }
}

function asSet(v: Value, where: string): CedarSet {
  if (!(v instanceof CedarSet)) typeError('Set', typeName(v), where);
  return v;
}

/** `a.contains(b)`. */
export function contains(a: Value, b: Value): boolean {
  return asSet(a, '`contains`').has(b);
}

/** `a.containsAll(b)`: every member of `b` is in `a`. */
export function containsAll(a: Value, b: Value): boolean {
  const sa = asSet(a, '`containsAll`');
  const sb = asSet(b, '`containsAll`');
  for (const x of sb.items) if (!sa.has(x)) return false;
  return true;
}

/** `a.containsAny(b)`: some member of `b` is in `a`. */
export function containsAny(a: Value, b: Value): boolean {
  const sa = asSet(a, '`containsAny`');
  const sb = asSet(b, '`containsAny`');
  for (const x of sb.items) if (sa.has(x)) return true;
  return false;
}

/** `a.isEmpty()`. */
export function isEmpty(a: Value): boolean {
  return asSet(a, '`isEmpty`').size === 0;
}

function tagArgs(e: Value, tag: Value, op: string): asserts e is EntityUID {
  if (!(e instanceof EntityUID)) typeError('Entity', typeName(e), op);
  if (typeof tag !== 'string') typeError('String', typeName(tag), op);
}

/** `e.hasTag(t)`: false for a missing entity. */
export function hasTag(store: EntityLookup, e: Value, tag: Value): boolean {
  tagArgs(e, tag, '`hasTag`');
  const data = store.get(e);
  return data !== undefined && data.tags.has(tag as string);
}

/** `e.getTag(t)`: the entity must exist and have the tag. */
export function getTag(store: EntityLookup, e: Value, tag: Value): Value {
  tagArgs(e, tag, '`getTag`');
  const data = store.get(e);
  if (data === undefined) missingEntity(e);
  const x = data.tags.get(tag as string);
  if (x === undefined) {
    throw new EvalError('missingTag', `\`${e.key}\` does not have the tag \`${String(tag)}\``);
  }
  return x;
}

/** Calls an extension function (constructor or method; a method's receiver is `args[0]`). */
export function callExtension(fn: string, args: readonly Value[]): Value {
  const f = EXTENSION_FUNCTIONS.get(fn);
  if (f === undefined) throw new EvalError('extension', `unknown extension function \`${fn}\``);
  if (args.length !== f.arity) {
    throw new EvalError(
      'type',
      `type error: \`${fn}\` takes ${f.arity} argument(s), got ${args.length}`,
    );
  }
  return f.call(args);
}

/** Builds a set value from evaluated elements. */
export function makeSet(items: readonly Value[]): CedarSet {
  return new CedarSet(items);
}

/** Builds a record value from evaluated fields. */
export function makeRecord(fields: ReadonlyMap<string, Value>): CedarRecord {
  return new CedarRecord(fields);
}
