import avsc from 'avsc';
import { randomInt, SpecLogicalType } from './logical-types.js';

/** Deeper than this, records stop recursing: unions take a non-record branch, arrays are empty. */
const MAX_DEPTH = 6;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.é€😀';

function text(random: () => number): string {
  const chars = Array.from(ALPHABET);
  let out = '';
  for (let n = randomInt(random, 0, 12); n > 0; n--)
    out += chars[randomInt(random, 0, chars.length)];
  return out;
}

function bytes(random: () => number, size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, () => randomInt(random, 0, 256)));
}

interface AvscLike {
  readonly typeName: string;
  readonly name?: string;
  readonly branchName?: string;
  readonly types?: readonly AvscLike[];
  readonly fields?: readonly { readonly name: string; readonly type: AvscLike }[];
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly itemsType?: AvscLike;
  readonly valuesType?: AvscLike;
}

/** Whether a branch can end a recursion (it holds no record). */
function shallow(t: AvscLike): boolean {
  return !['record', 'error'].includes(t.typeName);
}

/**
 * One value of an avsc type, drawn only from `random` (so a seed fixes every sample). Values are
 * in the form Plinth validators take: wrapped unions as `{ branch: value }`, logical types in
 * their native form.
 */
function draw(type: AvscLike, random: () => number, depth: number): unknown {
  if (type instanceof SpecLogicalType) return type.sample(random);
  if (avsc.Type.isType(type as avsc.Type, 'logical'))
    return draw((type as unknown as { underlyingType: AvscLike }).underlyingType, random, depth);
  const deep = depth >= MAX_DEPTH;
  if (depth > 4 * MAX_DEPTH) return undefined; // a type with no finite value: left out
  switch (type.typeName) {
    case 'null':
      return null;
    case 'boolean':
      return random() < 0.5;
    case 'int':
      return randomInt(random, -2_147_483_648, 2_147_483_648);
    case 'long':
      // Within ±2^53: avsc's default long representation is a safe JavaScript number.
      return randomInt(random, -(2 ** 53) + 1, 2 ** 53);
    case 'float':
      return Math.fround((random() - 0.5) * 2e6);
    case 'double':
      return (random() - 0.5) * 2e12;
    case 'string':
      return text(random);
    case 'bytes':
      return bytes(random, randomInt(random, 0, 16));
    case 'fixed':
      return bytes(random, type.size ?? 0);
    case 'enum': {
      const symbols = type.symbols ?? [];
      return symbols[randomInt(random, 0, symbols.length)];
    }
    case 'array': {
      const n = deep ? 0 : randomInt(random, 0, 4);
      return Array.from({ length: n }, () => draw(type.itemsType as AvscLike, random, depth + 1));
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      for (let n = deep ? 0 : randomInt(random, 0, 4); n > 0; n--)
        out[`k${randomInt(random, 0, 1000)}`] = draw(
          type.valuesType as AvscLike,
          random,
          depth + 1,
        );
      return out;
    }
    case 'record':
    case 'error': {
      const out: Record<string, unknown> = {};
      for (const f of type.fields ?? []) out[f.name] = draw(f.type, random, depth + 1);
      return out;
    }
    case 'union:wrapped':
    case 'union:unwrapped': {
      const all = type.types ?? [];
      const usable = deep ? all.filter(shallow) : all;
      const pool = usable.length > 0 ? usable : all;
      const branch = pool[randomInt(random, 0, pool.length)] as AvscLike;
      const value = draw(branch, random, depth + 1);
      if (type.typeName === 'union:unwrapped' || value === null) return value;
      return { [branch.branchName as string]: value };
    }
    default:
      return null;
  }
}

/**
 * Up to `count` values conforming to `type`, drawn from `random` alone: the same seed gives the
 * same samples. A draw that does not conform (a recursive type cut at the depth bound) is left out.
 */
export function sampleAvro(type: avsc.Type, count: number, random: () => number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const v = draw(type as unknown as AvscLike, random, 0);
    if (type.isValid(v)) out.push(v);
  }
  return out;
}
