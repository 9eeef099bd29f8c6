interface Entry {
  readonly bytes: Uint8Array;
  /** Value of the cache's tick when the entry last moved to the newest end. */
  tick: number;
}

/**
 * Verified content bytes by digest, bounded by total size (least recently used out). Content is
 * immutable per digest, so an entry never goes stale; only its eviction matters.
 *
 * Recency is kept approximately: a hit moves an entry to the newest end only when it has fallen
 * into the older half (at least `size / 2` moves happened since its own). A hot entry therefore
 * costs one map lookup per hit instead of a delete and a re-insert, which on a large map makes
 * the hash table churn; eviction order among the older half is still least recently used.
 */
export class ContentCache {
  readonly #max: number;
  readonly #maxEntry: number;
  readonly #map = new Map<string, Entry>();
  #bytes = 0;
  #tick = 0;

  constructor(maxBytes: number, maxEntryBytes = 1024 * 1024) {
    this.#max = maxBytes;
    this.#maxEntry = Math.min(maxEntryBytes, maxBytes);
  }

  get(digest: string): Uint8Array | undefined {
    const e = this.#map.get(digest);
    if (e === undefined) return undefined;
    if (this.#tick - e.tick > this.#map.size >> 1) {
      this.#map.delete(digest);
      this.#map.set(digest, e);
      e.tick = ++this.#tick;
    }
    return e.bytes;
  }

  set(digest: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.#maxEntry || this.#map.has(digest)) return;
    this.#map.set(digest, { bytes, tick: ++this.#tick });
    this.#bytes += bytes.byteLength;
    while (this.#bytes > this.#max) {
      const oldest = this.#map.entries().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value[0]);
      this.#bytes -= oldest.value[1].bytes.byteLength;
    }
  }

  delete(digest: string): void {
    const e = this.#map.get(digest);
    if (e === undefined) return;
    this.#map.delete(digest);
    this.#bytes -= e.bytes.byteLength;
  }
}
