import { FifoPolicy } from './fifo.js';
import { LfuPolicy } from './lfu.js';
import { LruPolicy } from './lru.js';
import type { EvictionPolicyName, L1Policy } from './policy.js';
import { WTinyLfuPolicy } from './w-tinylfu.js';

export interface CreatePolicyOptions<V> {
  readonly policy: EvictionPolicyName;
  /** Entries, or bytes when `weighted`. */
  readonly capacity: number;
  /** Capacity counts bytes (entries pass their size as weight). @default false */
  readonly weighted?: boolean;
  readonly onEvict?: ((key: string, value: V) => void) | undefined;
  /** For W-TinyLFU's sketch when weighted (estimated entry count). */
  readonly expectedEntries?: number;
  readonly random?: () => number;
}

/** Builds an L1 policy by name (the cache and the trace-replay tool both use this). */
export function createPolicy<V extends object>(options: CreatePolicyOptions<V>): L1Policy<V> {
  const { capacity, onEvict } = options;
  switch (options.policy) {
    case 'lru':
      return new LruPolicy<V>({ capacity, onEvict, weighted: options.weighted === true });
    case 'lfu':
      return new LfuPolicy<V>({ capacity, onEvict });
    case 'fifo':
      return new FifoPolicy<V>({ capacity, onEvict });
    case 'w-tinylfu':
      return new WTinyLfuPolicy<V>({
        capacity,
        onEvict,
        ...(options.expectedEntries !== undefined && { expectedEntries: options.expectedEntries }),
        ...(options.random !== undefined && { random: options.random }),
      });
  }
}
