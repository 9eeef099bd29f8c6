/** What an L2 adapter can do beyond the required primitives. */
export interface L2Capabilities {
  /** `tryLock`/`unlock` are implemented (cross-instance stampede protection). */
  readonly locks: boolean;
}

/**
 * The shared tier, as thin primitive operations on opaque bytes. The cache derives everything
 * else: envelopes (TTL, grace, tags), serialization, compression, prefixes, batching when
 * `getMany`/`deleteMany` are absent, circuit breaking. Every adapter passes the one conformance
 * suite in `@plinth/cache/testing`.
 */
export interface L2Adapter {
  readonly name: string;
  readonly capabilities: L2Capabilities;
  /** Connects (idempotent). Rejects when the backend cannot be reached. */
  connect(): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `value`; after `ttlMs` (if given) the key reads as absent. */
  set(key: string, value: Uint8Array, ttlMs: number | undefined): Promise<void>;
  /** Returns whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Deletes every key starting with `prefix` (incrementally: SCAN, never KEYS). Returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** One round trip for many keys, in order. Derived from `get` when absent. */
  getMany?(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  /** Derived from `delete` when absent. */
  deleteMany?(keys: readonly string[]): Promise<number>;
  /** Sets `key` to `token` only if absent, expiring after `ttlMs`. True if this call got it. */
  tryLock?(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only if it still holds `token` (never someone else's lock). */
  unlock?(key: string, token: string): Promise<boolean>;
  close(): Promise<void>;
}
