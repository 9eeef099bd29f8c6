/** Size and modification time of a stored object. */
export interface BlobStat {
  readonly size: number;
  /** Epoch ms of the last write. */
  readonly modifiedAt: number;
}

/**
 * Where blob bytes live: a thin interface of primitive operations. The registry's blob layer
 * (hashing, compression, verification, staging, garbage collection) is built on it, so an
 * adapter only moves bytes. Keys are `/`-separated ASCII paths (`sha256/ab…`, `staging/…`).
 *
 * Every implementation passes `blobStoreConformance` from `@plinth/registry/testing`.
 */
export interface BlobStore {
  /** For messages and metrics (`fs`, `s3`, `storage`, `memory`). */
  readonly name: string;
  /** Largest object the store accepts, in bytes (`Infinity` when unbounded). */
  readonly maxObjectBytes: number;
  /**
   * Writes `body` under `key`, atomically: readers see the old object (or none) until the whole
   * body is stored. If `body` throws, nothing is stored and the error propagates. Overwrites.
   */
  put(key: string, body: AsyncIterable<Uint8Array>): Promise<BlobStat>;
  /** The object's bytes as a stream, or undefined when absent. */
  get(key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  stat(key: string): Promise<BlobStat | undefined>;
  /** Returns whether the object existed. */
  delete(key: string): Promise<boolean>;
  /** Moves (renames, or copies then deletes) an object; overwrites `to`. */
  move(from: string, to: string): Promise<void>;
  /** Keys under `prefix`, ascending, one page at a time; `cursor` is opaque. */
  list(options?: {
    readonly prefix?: string;
    readonly cursor?: string;
    readonly limit?: number;
  }): Promise<{ keys: string[]; cursor: string | undefined }>;
  /** Releases clients and handles. Idempotent. */
  close(): Promise<void>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** True for a key adapters accept (no `..`, no leading `/`, no empty segments). */
export function isBlobKey(key: unknown): key is string {
  return typeof key === 'string' && key.length <= 512 && KEY.test(key) && !key.includes('..');
}
