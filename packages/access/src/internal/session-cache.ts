/**
 * A bounded least-recently-used map of validated session documents. Entries carry the time
 * they were read so a reader can refuse one older than the cache's time to live; the change
 * feed deletes entries as soon as their document changes on any instance.
 */
export class SessionCache<V> {
  readonly #max: number;
  readonly #map = new Map<string, { readonly value: V; readonly readAt: number }>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value if it was read after `notBefore`, refreshed as most recently used. */
  get(key: string, notBefore: number): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    this.#map.delete(key);
    if (hit.readAt <= notBefore) return undefined;
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, readAt: number): void {
    if (this.#max === 0) return;
    this.#map.delete(key);
    this.#map.set(key, { value, readAt });
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
