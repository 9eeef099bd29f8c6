import { seededRandom } from '@plinth/core';
import { cacheErrors } from '../errors.js';

export interface ZipfTraceOptions {
  /** Distinct keys (ranks 1..keys). */
  readonly keys: number;
  /** Accesses to generate. */
  readonly length: number;
  /** Skew: 0 is uniform; web and key-value workloads sit around 0.7–1.0. @default 0.9 */
  readonly exponent?: number;
  /** @default 1 */
  readonly seed?: number;
  /** @default Math.random seeded by `seed` (mulberry32) */
  readonly random?: () => number;
}

/**
 * A Zipf-distributed access trace: key rank r is drawn with probability ∝ 1 / r^exponent.
 * Keys are `k<rank>` strings, shuffled through a fixed permutation so popularity is not ordered
 * by key text. Inverse-CDF sampling: O(keys) setup, O(log keys) per access.
 */
export function zipfTrace(options: ZipfTraceOptions): string[] {
  const { keys, length } = options;
  const exponent = options.exponent ?? 0.9;
  if (!Number.isInteger(keys) || keys < 1 || !Number.isInteger(length) || length < 0) {
    throw cacheErrors.create(
      'E_INVALID_ARGUMENT',
      'zipfTrace: keys must be ≥ 1 and length ≥ 0 (integers)',
      {
        details: { keys, length },
      },
    );
  }
  if (!Number.isFinite(exponent) || exponent < 0) {
    throw cacheErrors.create(
      'E_INVALID_ARGUMENT',
      `zipfTrace: exponent must be ≥ 0, got ${exponent}`,
    );
  }
  const random = options.random ?? seededRandom(options.seed ?? 1);
  const cdf = new Float64Array(keys);
  let sum = 0;
  for (let r = 1; r <= keys; r++) {
    sum += 1 / Math.pow(r, exponent);
    cdf[r - 1] = sum;
  }
  const names = new Array<string>(keys);
  for (let i = 0; i < keys; i++) names[i] = `k${(Math.imul(i, 0x9e3779b1) >>> 0).toString(36)}${i}`;
  const trace = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    const u = random() * sum;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    trace[i] = names[lo] as string;
  }
  return trace;
}
