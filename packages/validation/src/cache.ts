/** A small LRU map (insertion order of a Map is the recency order) with hit/miss counts. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
      this.evictions++;
    }
  }

  clear(): void {
    this.#map.clear();
  }
}
