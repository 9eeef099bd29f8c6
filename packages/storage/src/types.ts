import type { Clock, Logger } from '@plinth/core';
import type { StorageAdapter } from './adapter.js';
import type { CodecOptions } from './codecs/envelope.js';
import type { IndexableValue } from './internal/index-value.js';

/**
 * A schema in the Standard Schema format (https://standardschema.dev): zod ≥ 3.24, valibot,
 * arktype and others implement it, so any of them can type a collection.
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/** A JSON document stored in a collection: a plain object. */
export type Document = { readonly [field: string]: unknown };

/** A secondary index on one or more document fields (dotted paths, e.g. `owner.team`). */
export interface IndexDefinition {
  /** Fields, in significance order. A record lacking the first field has no entry (sparse). */
  readonly fields: readonly string[];
  /** At most one record per value. @default false */
  readonly unique?: boolean;
}

export interface CollectionDefinition<T extends Document = Document> {
  /** Validates (and may transform) every document on write. */
  readonly schema?: StandardSchema<T>;
  /** Secondary indexes by name. */
  readonly indexes?: { readonly [name: string]: IndexDefinition };
}

export type CollectionDefinitions = { readonly [name: string]: CollectionDefinition<Document> };

export interface StoreOptions {
  /** The engine. Use `memoryAdapter()`, `sqliteAdapter({ path })` or `postgresAdapter({ url })`. */
  readonly adapter: StorageAdapter;
  /** Collections by name: `[A-Za-z][A-Za-z0-9_.-]*`, at most 128 characters. @default {} */
  readonly collections?: CollectionDefinitions;
  /** Compression and encryption applied to every value on every adapter. @default none */
  readonly codecs?: CodecOptions;
  /** Time source for TTLs, expiry and retries. @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Interval of the background sweep that deletes expired KV entries; 0 disables it. @default 60000 */
  readonly purgeIntervalMs?: number;
}

/** A document (or KV value) with its key and version. */
export interface Entry<T> {
  readonly key: string;
  readonly value: T;
  /** Globally increasing: the change-feed sequence number of the write that produced it. */
  readonly version: number;
}

export interface KvEntry extends Entry<KvValue> {
  /** Epoch ms when the entry expires, or null. */
  readonly expiresAt: number | null;
}

/** What the KV space stores. */
export type KvValue = Uint8Array | string | number;

/** Conditions on a write (compare-and-set). */
export interface WriteConditions {
  /** The write succeeds only if the record's current version is exactly this. */
  readonly ifVersion?: number;
  /** The write succeeds only if the record does not exist. */
  readonly ifAbsent?: boolean;
}

export interface KvSetOptions extends WriteConditions {
  /** Time to live in ms; the entry reads as absent afterwards. */
  readonly ttlMs?: number;
}

export interface DeleteOptions {
  readonly ifVersion?: number;
}

/** One page of results and the cursor of the next page (undefined on the last page). */
export interface Page<E> {
  readonly items: E[];
  readonly cursor: string | undefined;
}

export interface ListOptions {
  /** Only keys starting with this. */
  readonly prefix?: string;
  /** Key bounds, in code point order. */
  readonly gte?: string;
  readonly lt?: string;
  /** @default 100; at most 10000 */
  readonly limit?: number;
  /** From a previous page. */
  readonly cursor?: string;
  /** @default false */
  readonly reverse?: boolean;
}

/**
 * An index query: equality on the leading fields (`eq`), then an optional range on the next
 * field. For a one-field index `{ eq: 'a@b.c' }` or `{ gte: 18, lt: 30 }`.
 */
export interface FindOptions {
  readonly eq?: IndexableValue | readonly IndexableValue[];
  readonly gt?: IndexableValue;
  readonly gte?: IndexableValue;
  readonly lt?: IndexableValue;
  readonly lte?: IndexableValue;
  /** @default 100; at most 10000 */
  readonly limit?: number;
  readonly cursor?: string;
  /** @default false */
  readonly reverse?: boolean;
}

/** A change-feed entry as the Store reports it. */
export interface StoreChange {
  readonly seq: number;
  /** The collection, or null for the KV space. */
  readonly collection: string | null;
  readonly key: string;
  readonly op: 'put' | 'delete';
  /** Epoch ms of the commit. */
  readonly at: number;
}

export interface TransactionOptions {
  /**
   * Runs the transaction again when its commit fails with a retryable `E_CONFLICT` (it lost a
   * race: PostgreSQL serialization failures and deadlocks map to it too) or `E_BUSY` (SQLite
   * stayed locked), after a jittered exponential backoff: attempt n waits a random time in
   * [d/2, d] with d = min(maxDelayMs, baseDelayMs × 2^(n-1)), on the store's clock. `attempts`
   * counts the first try; the last error is thrown when they are used up. Errors thrown by the
   * callback itself are never retried. @default { attempts: 1 }
   */
  readonly retry?: {
    readonly attempts: number;
    /** @default 5 */
    readonly baseDelayMs?: number;
    /** @default 250 */
    readonly maxDelayMs?: number;
  };
}

export type { IndexableValue };
