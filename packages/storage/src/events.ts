/**
 * Events of a `Store`: `namespace:verb`, one payload object, emitted after the change they
 * report is committed.
 */
export interface StorageEvents {
  /** A commit applied `writes` records with versions `firstSeq`…`lastSeq`. */
  'store:committed': {
    readonly firstSeq: number;
    readonly lastSeq: number;
    readonly writes: number;
  };
  /** The background sweep (or `purgeExpired()`) deleted `count` expired KV entries. */
  'kv:expired': { readonly count: number };
  /** A `watch()` listener or its feed read failed; the watcher stops. */
  'watch:error': { readonly error: unknown };
  /** `rotateKeys()` progress: records re-encrypted and records examined so far. */
  'keys:rotation-progress': {
    readonly rotated: number;
    readonly scanned: number;
    readonly collection: string | null;
  };
  /** Backup progress: records written so far. */
  'backup:progress': { readonly records: number; readonly bytes: number };
  /** Restore progress: records imported so far. */
  'restore:progress': { readonly records: number };
  'store:closed': { readonly adapter: string };
  /** `ensureCollections()` rebuild progress: records rewritten so far; `done` on the last batch. */
  'collections:backfill-progress': {
    readonly collection: string;
    readonly rewritten: number;
    readonly done: boolean;
  };
}
