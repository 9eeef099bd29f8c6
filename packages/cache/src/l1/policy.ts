/** The L1 eviction policies. */
export type EvictionPolicyName = 'lru' | 'lfu' | 'fifo' | 'w-tinylfu';

export const EVICTION_POLICIES: readonly EvictionPolicyName[] = Object.freeze([
  'lru',
  'lfu',
  'fifo',
  'w-tinylfu',
]);

/**
 * A bounded in-process map with an eviction policy. `capacity` is counted in weight units: 1 per
 * entry when the cache is bounded by entries, the entry's size in bytes when bounded by bytes.
 * Policies are synchronous and allocation-light; the cache builds TTL, grace and tags on top.
 */
export interface L1Policy<V> {
  readonly name: EvictionPolicyName;
  /** Number of entries held. */
  readonly size: number;
  /** Sum of the entries' weights. */
  readonly weight: number;
  readonly capacity: number;
  /** The value, recording an access (which is what the policy learns from). */
  get(key: string): V | undefined;
  /** The value, without recording an access. */
  peek(key: string): V | undefined;
  /**
   * Stores a value of `weight` (default 1), evicting as the policy decides. Returns false (and
   * stores nothing, dropping any previous value) when `weight` exceeds the capacity.
   */
  set(key: string, value: V, weight?: number): boolean;
  delete(key: string): boolean;
  clear(): void;
  keys(): IterableIterator<string>;
}

export interface L1PolicyOptions<V> {
  /** Maximum total weight (entries, or bytes). */
  readonly capacity: number;
  /** Called for each entry the policy evicts (never for delete/clear/overwrite). */
  readonly onEvict?: ((key: string, value: V) => void) | undefined;
}
