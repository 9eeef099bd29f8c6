/**
 * Arithmetic on one resource attribute with known operands, for partial evaluation: the value
 * `a·p + b` of the Long at path `p`, defined where `p` holds a Long in `[lo, hi]` — the values
 * for which no step of the arithmetic overflowed (Cedar's overflow is an error, so each `+`,
 * `-`, `*` narrows the interval). Comparisons and equality with a known Long become interval
 * tests on `p` itself, which every filter backend can run.
 */
import type { ResourceFilter, ResourcePath } from '../filters/filter.js';
import type { CompareOp } from './ops.js';
import { LONG_MAX, LONG_MIN, toLong } from './values.js';

export interface Lin {
  readonly p: ResourcePath;
  readonly a: bigint;
  readonly b: bigint;
  readonly lo: bigint;
  readonly hi: bigint;
}

function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n < 0n !== d < 0n ? q - 1n : q;
}

const ceilDiv = (n: bigint, d: bigint): bigint => -floorDiv(-n, d);

/** The Long at `p`, as `1·p + 0`. */
export function linOfPath(p: ResourcePath): Lin {
  return { p, a: 1n, b: 0n, lo: LONG_MIN, hi: LONG_MAX };
}

/**
 * The next step's value `a·p + b` (a ≠ 0), defined where it stays a Long; `undefined` when no
 * value of `p` is left (every resource errors).
 */
export function linStep(l: Lin, a: bigint, b: bigint): Lin | undefined {
  let lo: bigint;
  let hi: bigint;
  if (a > 0n) {
    lo = ceilDiv(LONG_MIN - b, a);
    hi = floorDiv(LONG_MAX - b, a);
  } else {
    lo = ceilDiv(LONG_MAX - b, a);
    hi = floorDiv(LONG_MIN - b, a);
  }
  lo = lo > l.lo ? lo : l.lo;
  hi = hi < l.hi ? hi : l.hi;
  return lo > hi ? undefined : { p: l.p, a, b, lo, hi };
}

const long = (n: bigint) => toLong(n)!;

/** `p op bound` for a bound that may lie outside the Long range (`p` a Long). */
function cmpAt(p: ResourcePath, op: CompareOp, bound: bigint): ResourceFilter {
  const isLong: ResourceFilter = { kind: 'typeOf', path: p, type: 'Long' };
  const up = op === '>' || op === '>=';
  if (bound > LONG_MAX) return up ? { kind: 'const', value: false } : isLong;
  if (bound < LONG_MIN) return up ? isLong : { kind: 'const', value: false };
  return { kind: 'cmp', path: p, op, value: long(bound) };
}

/** Where the value is defined: `p` is a Long in `[lo, hi]`. */
export function linDefined(l: Lin): ResourceFilter {
  return {
    kind: 'and',
    args: [cmpAt(l.p, '>=', l.lo), cmpAt(l.p, '<=', l.hi)],
  };
}

const FLIP = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

/** `a·p + b op k`, as a test on `p` (where the value is defined). */
export function linCompare(l: Lin, op: CompareOp, k: bigint): ResourceFilter {
  let a = l.a;
  let r = k - l.b;
  if (a < 0n) {
    a = -a;
    r = -r;
    op = FLIP[op];
  }
  switch (op) {
    case '>':
      return cmpAt(l.p, '>', floorDiv(r, a));
    case '>=':
      return cmpAt(l.p, '>=', ceilDiv(r, a));
    case '<':
      return cmpAt(l.p, '<', ceilDiv(r, a));
    default:
      return cmpAt(l.p, '<=', floorDiv(r, a));
  }
}

/** `a·p + b == k`, as a test on `p` (where the value is defined). */
export function linEquals(l: Lin, k: bigint): ResourceFilter {
  const r = k - l.b;
  if (r % l.a !== 0n) return { kind: 'const', value: false };
  const x = r / l.a;
  if (x < l.lo || x > l.hi) return { kind: 'const', value: false };
  return { kind: 'eq', path: l.p, value: long(x) };
}
