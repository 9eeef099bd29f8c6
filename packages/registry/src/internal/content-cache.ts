/**
 * Verified content bytes by digest, bounded by total size (least recently used out). Content is
 * immutable per digest, so an entry never goes stale; only its eviction matters.
 */
export class ContentCache {
  readonly #max: number;
  readonly #maxEntry: number;
  readonly #map = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(maxBytes: number, maxEntryBytes = 1024 * 1024) {
    this.#max = maxBytes;
    this.#maxEntry = Math.min(maxEntryBytes, maxBytes);
  }

  get(digest: string): Uint8Array | undefined {
    const v = this.#map.get(digest);
    if (v !== undefined) {
      this.#map.delete(digest);
      this.#map.set(digest, v);
    }
    return v;
  }

  set(digest: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.#maxEntry || this.#map.has(digest)) return;
    this.#map.set(digest, bytes);
    this.#bytes += bytes.byteLength;
    while (this.#bytes > this.#max) {
      const oldest = this.#map.entries().next();
      if (oldest.done === true) break;
      this.#map.delete(oldest.value[0]);
      this.#bytes -= oldest.value[1].byteLength;
    }
  }

  delete(digest: string): void {
    const v = this.#map.get(digest);
    if (v === undefined) return;
    this.#map.delete(digest);
    this.#bytes -= v.byteLength;
  }
}
