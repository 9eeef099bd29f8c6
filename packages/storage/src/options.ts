/**
 * Defaults of {@link StoreOptions}. `adapter` has no default: pick one explicitly (the memory
 * adapter for tests, SQLite for an embedded durable store, PostgreSQL for many instances).
 */
export const DEFAULT_STORE_OPTIONS = Object.freeze({
  /** @default {} */
  collections: Object.freeze({}),
  /** Sweep expired KV entries every minute. @default 60000 */
  purgeIntervalMs: 60_000,
});
