import { cacheErrors } from '../errors.js';
import { createPolicy } from '../l1/create-policy.js';
import { EVICTION_POLICIES, type EvictionPolicyName } from '../l1/policy.js';

export interface ReplayOptions {
  /** Policies to compare. @default every policy */
  readonly policies?: readonly EvictionPolicyName[];
  /** Cache sizes, in entries. */
  readonly sizes: readonly number[];
  /** Accesses at the start that warm the cache without being counted. @default 0 */
  readonly warmup?: number;
}

export interface ReplayResult {
  readonly policy: EvictionPolicyName;
  readonly size: number;
  readonly accesses: number;
  readonly hits: number;
  /** Percent, 0–100. */
  readonly hitRate: number;
}

/**
 * Replays an access trace through each policy at each size, cache-aside (a miss inserts the
 * key), and reports hit rates. This is how to choose a policy for a workload: record the keys
 * your service reads, replay them, compare.
 */
export function replayTrace(trace: Iterable<string>, options: ReplayOptions): ReplayResult[] {
  const policies = options.policies ?? EVICTION_POLICIES;
  const warmup = options.warmup ?? 0;
  for (const size of options.sizes) {
    if (!Number.isInteger(size) || size < 1) {
      throw cacheErrors.create(
        'E_INVALID_ARGUMENT',
        `replayTrace: sizes must be integers ≥ 1, got ${size}`,
      );
    }
  }
  for (const p of policies) {
    if (!EVICTION_POLICIES.includes(p)) {
      throw cacheErrors.create('E_INVALID_ARGUMENT', `replayTrace: unknown policy "${String(p)}"`, {
        details: { known: EVICTION_POLICIES },
      });
    }
  }
  const keys = Array.isArray(trace) ? (trace as string[]) : [...trace];
  const marker = { present: true };
  const results: ReplayResult[] = [];
  for (const size of options.sizes) {
    for (const policy of policies) {
      const cache = createPolicy<object>({ policy, capacity: size });
      let hits = 0;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (cache.get(key) !== undefined) {
          if (i >= warmup) hits++;
        } else cache.set(key, marker);
      }
      const accesses = Math.max(0, keys.length - warmup);
      results.push({
        policy,
        size,
        accesses,
        hits,
        hitRate: accesses === 0 ? 0 : (100 * hits) / accesses,
      });
    }
  }
  return results;
}

/** A markdown table: one row per size, one column per policy (hit %). */
export function formatReplayTable(results: readonly ReplayResult[]): string {
  const policies = [...new Set(results.map((r) => r.policy))];
  const sizes = [...new Set(results.map((r) => r.size))];
  const lines = [
    `| size | ${policies.join(' | ')} |`,
    `| ---: | ${policies.map(() => '---:').join(' | ')} |`,
  ];
  for (const size of sizes) {
    const cells = policies.map((p) => {
      const r = results.find((x) => x.size === size && x.policy === p);
      return r === undefined ? '' : `${r.hitRate.toFixed(2)} %`;
    });
    lines.push(`| ${size} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
