import { LRUCache } from 'lru-cache';
import type { L1Policy, L1PolicyOptions } from './policy.js';

/**
 * Least-recently-used, on lru-cache (typed-array lists: the fastest LRU in JS). Bounded by
 * entries (`max`) or by weight (`maxSize` with each entry's size).
 */
export class LruPolicy<V extends object> implements L1Policy<V> {
  readonly name = 'lru' as const;
  readonly capacity: number;
  readonly #lru: LRUCache<string, V>;
  readonly #weighted: boolean;
  /**
   * The underlying map's `get` (same result as `get` here): the cache's hit path calls it
   * directly, one call fewer than through the policy.
   */
  readonly lookup: { get(key: string): V | undefined };

  constructor(options: L1PolicyOptions<V> & { readonly weighted?: boolean }) {
    this.capacity = options.capacity;
    this.#weighted = options.weighted === true;
    const onEvict = options.onEvict;
    const dispose =
      onEvict === undefined
        ? undefined
        : (value: V, key: string, reason: LRUCache.DisposeReason) => {
            if (reason === 'evict') onEvict(key, value);
          };
    this.#lru = new LRUCache<string, V>(
      this.#weighted
        ? { maxSize: options.capacity, ...(dispose && { dispose }) }
        : { max: options.capacity, ...(dispose && { dispose }) },
    );
    this.lookup = this.#lru;
  }

  get size(): number {
    return this.#lru.size;
  }

  get weight(): number {
    return this.#weighted ? this.#lru.calculatedSize : this.#lru.size;
  }

  get(key: string): V | undefined {
    return this.#lru.get(key);
  }

  peek(key: string): V | undefined {
    return this.#lru.peek(key);
  }

  set(key: string, value: V, weight = 1): boolean {
    if (weight > this.capacity) {
      this.#lru.delete(key);
      return false;
    }
    if (this.#weighted) this.#lru.set(key, value, { size: Math.max(1, weight) });
    else this.#lru.set(key, value);
    return true;
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  keys(): IterableIterator<string> {
    return this.#lru.keys();
  }
}
