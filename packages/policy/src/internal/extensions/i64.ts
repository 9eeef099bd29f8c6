/**
 * Exact i64 arithmetic on values in the canonical Long representation (a safe-integer `number`,
 * else a `bigint`; see `toLong`), for the milliseconds of datetimes and durations.
 */
import { toLong } from '../values.js';

/** An i64 in the canonical Long representation: a safe-integer `number`, else a `bigint`. */
export type I64 = number | bigint;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `a + b` on i64 values, or `undefined` when the sum leaves the i64 range. */
export function addI64(a: I64, b: I64): I64 | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r;
  }
  return toLong(BigInt(a) + BigInt(b));
}

/** `a - b` on i64 values, or `undefined` when the difference leaves the i64 range. */
export function subI64(a: I64, b: I64): I64 | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r;
  }
  return toLong(BigInt(a) - BigInt(b));
}

/** `n / d` rounded toward zero (Rust's i64 division); `d` is a small positive integer. */
export function truncDiv(n: I64, d: number): number | bigint {
  // For a safe integer, `n % d` is exact and `n - n % d` an exact multiple of `d`.
  if (typeof n === 'number') return (n - (n % d)) / d;
  return toLong(n / BigInt(d))!;
}

/** `n` modulo `d` as a value in `[0, d)` (Rust's `rem_euclid`); `d` is a small positive integer. */
export function remEuclid(n: I64, d: number): number {
  if (typeof n === 'number') {
    const r = n % d;
    return r < 0 ? r + d : r === 0 ? 0 : r;
  }
  const r = Number(n % BigInt(d));
  return r < 0 ? r + d : r;
}
