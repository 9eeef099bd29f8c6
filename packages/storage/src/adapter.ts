/**
 * The storage adapter contract: the few primitive operations an engine must provide. The
 * `Store` derives everything else (collections, KV, transactions, indexes, codecs, TTL, the
 * change feed, backup) on top, so every adapter has the same semantics.
 *
 * Concurrency model: transactions are optimistic. A `Store` transaction reads through the
 * adapter, buffers its writes, and hands the adapter ONE {@link CommitBatch} at the end. The
 * adapter applies the batch atomically: it first re-checks every read the transaction depended
 * on ({@link CommitCheck}) and every unique-index claim, and applies nothing if any check fails.
 * Commits are totally ordered: each gets a contiguous range of change-feed sequence numbers,
 * and the sequence number of the change that wrote a record is that record's `version`. So
 * versions are globally increasing, never reused (a deleted and re-created key gets a higher
 * version), and the change feed is in commit order.
 *
 * Ordering of keys: record keys are compared by Unicode code point (UTF-8 byte order), and index
 * values are byte strings compared by `memcmp`. Adapters must use exactly these orders (SQLite
 * BINARY collation on TEXT and BLOB, PostgreSQL `COLLATE "C"` and `bytea`).
 */

/** How a record's `data` is encoded. */
export const ValueFormat = {
  /** A JSON document (collections). `data` is JSON text, or the frozen value itself on adapters with `structuredValues`. */
  JSON: 0,
  /** Raw bytes (KV). `data` is a Uint8Array. */
  BYTES: 1,
  /** A UTF-8 string (KV). `data` is a Uint8Array holding the UTF-8 bytes. */
  STRING: 2,
  /** A float64 number (KV). `data` is a Uint8Array holding its decimal text in UTF-8. */
  NUMBER: 3,
  /** A codec envelope (compressed and/or encrypted value of any format). `data` is a Uint8Array. */
  ENVELOPE: 4,
} as const;
export type ValueFormat = (typeof ValueFormat)[keyof typeof ValueFormat];

/** One stored record, as an adapter returns it. */
export interface StoredRecord {
  readonly key: string;
  /** The sequence number of the change that last wrote this record (> 0). */
  readonly version: number;
  readonly format: ValueFormat;
  /** JSON text, bytes, or (structured adapters, format JSON) the frozen document. */
  readonly data: string | Uint8Array | object;
  /** Epoch ms after which the record reads as absent; null for no expiry. */
  readonly expiresAt: number | null;
}

/** A record write inside a commit. The adapter assigns the version. */
export interface PutWrite {
  readonly op: 'put';
  readonly space: string;
  readonly key: string;
  readonly format: ValueFormat;
  readonly data: string | Uint8Array | object;
  readonly expiresAt: number | null;
  /**
   * The record's index entries after the write: index name → encoded value (one entry per
   * index that applies; an index whose fields are missing from the document has no entry).
   * The adapter replaces all previous entries of the record with these.
   */
  readonly indexes: ReadonlyArray<IndexEntry>;
}

export interface DeleteWrite {
  readonly op: 'delete';
  readonly space: string;
  readonly key: string;
}

export type Write = PutWrite | DeleteWrite;

export interface IndexEntry {
  readonly index: string;
  /** Order-preserving encoding of the indexed value(s) (see `encodeIndexValue`). */
  readonly value: Uint8Array;
  /** When true, no other record of the space may hold the same (index, value). */
  readonly unique: boolean;
}

/**
 * A condition the commit depends on. `version: null` means "the record must be absent (or
 * expired at `now`)"; a number means "its current version must be exactly this".
 */
export interface RecordCheck {
  readonly kind: 'record';
  readonly space: string;
  readonly key: string;
  readonly version: number | null;
}

/**
 * A range read the transaction depended on: re-running the scan inside the commit must return
 * exactly the same (key, version) list, otherwise another writer changed what the transaction
 * saw (a phantom) and the commit fails with a conflict.
 */
export interface ScanCheck {
  readonly kind: 'scan';
  readonly scan: KeyScan | IndexScan;
  readonly seen: ReadonlyArray<readonly [key: string, version: number]>;
}

export type CommitCheck = RecordCheck | ScanCheck;

export interface CommitBatch {
  readonly checks: ReadonlyArray<CommitCheck>;
  /** Applied in order; a key written twice keeps the last write. */
  readonly writes: ReadonlyArray<Write>;
  /** The Store's clock at commit, for expiry decisions in checks. */
  readonly now: number;
}

export interface CommitResult {
  /** Sequence number of the first change (the version of the first write); 0 for an empty batch. */
  readonly firstSeq: number;
  /** Sequence number of the last change; equal to `firstSeq - 1` for an empty batch. */
  readonly lastSeq: number;
}

/** Why a commit was refused. Adapters return it (they do not throw it). */
export type CommitRefusal =
  | { readonly reason: 'check'; readonly check: CommitCheck; readonly actual: number | null }
  | {
      readonly reason: 'unique';
      readonly space: string;
      readonly index: string;
      readonly key: string;
      readonly holder: string;
    };

/** A scan over a space's keys, in code point order. */
export interface KeyScan {
  readonly kind: 'keys';
  readonly space: string;
  /** Inclusive lower bound. */
  readonly gte?: string;
  /** Exclusive lower bound (cursor pagination). Takes precedence over `gte` when both are given. */
  readonly gt?: string;
  /** Exclusive upper bound. */
  readonly lt?: string;
  /** Inclusive upper bound. */
  readonly lte?: string;
  readonly prefix?: string;
  readonly reverse: boolean;
  /** Adapters must never return more. */
  readonly limit: number;
  /** Expired records are skipped when set (epoch ms). */
  readonly now: number;
}

/** A scan over one index of a space, ordered by (index value, key). */
export interface IndexScan {
  readonly kind: 'index';
  readonly space: string;
  readonly index: string;
  /** Inclusive lower bound on the encoded value. */
  readonly gte?: Uint8Array;
  /** Exclusive upper bound on the encoded value. */
  readonly lt?: Uint8Array;
  /** Resume strictly after this (value, key) position, in scan direction. */
  readonly after?: { readonly value: Uint8Array; readonly key: string };
  readonly reverse: boolean;
  readonly limit: number;
  readonly now: number;
}

export interface IndexHit {
  readonly value: Uint8Array;
  readonly record: StoredRecord;
}

export type ChangeOp = 'put' | 'delete';

/** One entry of the change feed. */
export interface Change {
  /** Position in the feed; equals the version the write gave the record. */
  readonly seq: number;
  readonly space: string;
  readonly key: string;
  readonly op: ChangeOp;
  /** Epoch ms (Store clock) of the commit. */
  readonly at: number;
}

export interface AdapterCapabilities {
  /** The adapter keeps JSON documents as frozen JS values (no serialisation). */
  readonly structuredValues: boolean;
  /** Commits made by OTHER processes/instances are announced through `watch`. */
  readonly crossInstanceNotifications: boolean;
  /** Survives a process restart. */
  readonly durable: boolean;
}

export interface StorageAdapter {
  /** Short name used in error messages and metrics: `memory`, `sqlite`, `postgres`. */
  readonly name: string;
  readonly capabilities: AdapterCapabilities;

  /** Creates tables/state if needed. Called once by the Store before anything else. */
  open(): Promise<void>;

  /** The record at `key`, or undefined. Expired records are returned (the Store filters). */
  get(space: string, key: string): Promise<StoredRecord | undefined>;

  /** Records in key order (or reverse), at most `limit`, expired ones skipped. */
  scanKeys(scan: KeyScan): Promise<StoredRecord[]>;

  /** Index hits ordered by (value, key) (or reverse), at most `limit`, expired records skipped. */
  scanIndex(scan: IndexScan): Promise<IndexHit[]>;

  /**
   * Applies the batch atomically, or nothing. Returns the assigned sequence range, or a
   * refusal when a check or a unique index fails. Engine errors are thrown.
   */
  commit(batch: CommitBatch): Promise<CommitResult | CommitRefusal>;

  /** Changes with `seq > after`, ascending, at most `limit`. */
  readChanges(after: number, limit: number): Promise<Change[]>;

  /** The highest committed sequence number (0 when empty). */
  lastSeq(): Promise<number>;

  /**
   * Calls `listener(lastSeq)` after commits, including commits made by other Store instances on
   * the same database when `capabilities.crossInstanceNotifications`. Returns the unsubscribe.
   */
  watch(listener: (lastSeq: number) => void): Promise<() => Promise<void>>;

  /** Deletes up to `limit` records expired at `now` (recording delete changes). Returns how many. */
  purgeExpired(now: number, limit: number): Promise<number>;

  /** Deletes change-feed entries with `seq <= upTo`. Returns how many. */
  truncateChanges(upTo: number): Promise<number>;

  /** Names of the spaces that hold at least one record, sorted. */
  spaces(): Promise<string[]>;

  /**
   * Restore primitive: writes records exactly as given (versions kept, no change-feed entries)
   * with their index entries, and moves the sequence so the next commit gets a version above
   * every imported one. Atomic per call. The Store only calls it on an empty database.
   */
  importRecords(
    space: string,
    records: ReadonlyArray<{
      readonly record: StoredRecord;
      readonly indexes: ReadonlyArray<IndexEntry>;
    }>,
  ): Promise<void>;

  /** Releases connections and handles. Idempotent. */
  close(): Promise<void>;
}
