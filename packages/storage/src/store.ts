import { callbackOf, optionsOf } from './internal/args.js';
import {
  Lifecycle,
  TypedEmitter,
  check,
  describeValue,
  isPlinthError,
  noopLogger,
  resolveOptions,
  systemClock,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@plinth/core';
import type { Change, CommitCheck, CommitResult, StorageAdapter, Write } from './adapter.js';
import {
  readBackup,
  restoredIndexes,
  verifyBackup,
  writeBackup,
  type BackupSource,
  type BackupSummary,
} from './backup.js';
import { createCodec, type CodecOptions } from './codecs/envelope.js';
import { Collection } from './collection.js';
import { storageErrors } from './errors.js';
import type { StorageEvents } from './events.js';
import { KV_SPACE, resolveCollections, type ResolvedCollection } from './internal/collections.js';
import { Encoding } from './internal/encoding.js';
import { SCHEMA_SPACE, backfillIndexes, markIndexesBuilt } from './internal/index-backfill.js';
import { AutoSession, TxSession, type Session, type StoreCore } from './internal/session.js';
import { backoff } from './internal/sleep.js';
import { KeyValue } from './kv.js';
import { DEFAULT_STORE_OPTIONS } from './options.js';
import type {
  CollectionDefinitions,
  Document,
  StoreChange,
  StoreOptions,
  TransactionOptions,
} from './types.js';

/** Changes of internal bookkeeping spaces are not reported. */
function isReported(c: Change): boolean {
  return c.space !== SCHEMA_SPACE;
}

function toStoreChange(c: Change): StoreChange {
  return {
    seq: c.seq,
    collection: c.space === KV_SPACE ? null : c.space,
    key: c.key,
    op: c.op,
    at: c.at,
  };
}

/** The handle a transaction callback receives. */
export class Transaction {
  readonly #session: TxSession;
  readonly #collections: ReadonlyMap<string, ResolvedCollection>;
  /** The KV space, inside this transaction. */
  readonly kv: KeyValue;

  /** @internal */
  constructor(session: TxSession, collections: ReadonlyMap<string, ResolvedCollection>) {
    this.#session = session;
    this.#collections = collections;
    this.kv = new KeyValue(session);
  }

  /** A collection, inside this transaction. */
  collection<T extends Document = Document>(name: string): Collection<T> {
    return new Collection<T>(this.#session, collectionDef(this.#collections, name));
  }

  /**
   * A nested transaction (savepoint): if `fn` throws, only the writes it made are undone and
   * the error propagates to the enclosing transaction, which may catch it and go on.
   */
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#session.savepoint(() => fn(this));
  }
}

function collectionDef(
  collections: ReadonlyMap<string, ResolvedCollection>,
  name: string,
): ResolvedCollection {
  const def = collections.get(name);
  if (def === undefined) {
    throw storageErrors.create(
      'E_UNKNOWN_COLLECTION',
      `unknown collection ${describeValue(name)}`,
      {
        details: { collection: describeValue(name), known: [...collections.keys()] },
      },
    );
  }
  return def;
}

/**
 * A store: collections of JSON documents and a KV space over one adapter, with optimistic
 * serializable transactions, a change feed, codecs and backup. Open it with {@link openStore}.
 */
export class Store extends TypedEmitter<StorageEvents> {
  readonly adapter: StorageAdapter;
  readonly #core: StoreCore;
  readonly #auto: Session;
  readonly #collections: Map<string, ResolvedCollection>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #life: Lifecycle;
  readonly #collectionHandles = new Map<string, Collection>();
  #purgeTimer: TimerHandle | undefined;
  readonly #watchers = new Set<{ stop(): Promise<void> }>();
  /** The KV space. */
  readonly kv: KeyValue;

  /** @internal Use {@link openStore}. */
  constructor(options: StoreOptions) {
    super();
    const resolved = resolveOptions<StoreOptions, typeof DEFAULT_STORE_OPTIONS>({
      package: '@plinth/storage',
      owner: 'openStore',
      spec: {
        adapter: {
          check: check.implementing<StorageAdapter>(
            'open',
            'get',
            'commit',
            'scanKeys',
            'scanIndex',
          ),
          required: true,
        },
        collections: check.object<CollectionDefinitions>(),
        codecs: check.object<CodecOptions>(),
        clock: check.implementing<Clock>('now', 'setTimeout', 'setInterval'),
        logger: check.implementing<Logger>('info', 'warn', 'error', 'child'),
        purgeIntervalMs: check.number({ min: 0, integer: true }),
      },
      defaults: DEFAULT_STORE_OPTIONS,
      input: options,
    });
    this.adapter = resolved.adapter;
    this.#clock = resolved.clock ?? systemClock;
    this.#logger = (resolved.logger ?? noopLogger).child({
      component: '@plinth/storage',
      adapter: this.adapter.name,
    });
    this.#collections = resolveCollections(resolved.collections ?? {});
    const codecs = resolved.codecs;
    const codec =
      codecs !== undefined && (codecs.compression !== undefined || codecs.encryption !== undefined)
        ? createCodec(codecs)
        : undefined;
    const encoding = new Encoding(codec, this.adapter.capabilities.structuredValues);
    this.#life = new Lifecycle('@plinth/storage', 'Store', () => this.#shutdown());
    this.#core = {
      adapter: this.adapter,
      clock: this.#clock,
      encoding,
      collections: this.#collections,
      assertOpen: (operation) => this.#life.assertOpen(operation),
      commit: (writes, checks) => this.#commit(writes, checks),
    };
    this.#auto = new AutoSession(this.#core);
    this.kv = new KeyValue(this.#auto);
    this.#purgeIntervalMs = resolved.purgeIntervalMs;
  }

  readonly #purgeIntervalMs: number;

  /** @internal Called by openStore. */
  async open(): Promise<this> {
    try {
      await this.adapter.open();
    } catch (error) {
      throw wrapAdapterError(error, 'open', this.adapter.name);
    }
    if (this.#purgeIntervalMs > 0) {
      this.#purgeTimer = this.#clock.setInterval(() => {
        this.purgeExpired().catch((error: unknown) =>
          this.#logger.warn({ err: error }, 'purging expired KV entries failed'),
        );
      }, this.#purgeIntervalMs);
    }
    return this;
  }

  /** A declared collection; `E_UNKNOWN_COLLECTION` otherwise. */
  collection<T extends Document = Document>(name: string): Collection<T> {
    let handle = this.#collectionHandles.get(name);
    if (handle === undefined) {
      handle = new Collection(this.#auto, collectionDef(this.#collections, name));
      this.#collectionHandles.set(name, handle);
    }
    return handle as unknown as Collection<T>;
  }

  /**
   * Declares more collections on an open store. Packages that share the host's store (the
   * registry, promotion, config…) declare their own collections this way. Declaring a name again
   * with the same indexes is a no-op; with different indexes or another schema it is
   * `E_INVALID_OPTION`, and nothing is declared.
   */
  defineCollections(defs: CollectionDefinitions): void {
    this.#life.assertOpen('defineCollections');
    if (defs === undefined) optionsOf(null as never, 'defineCollections');
    this.#declare(resolveCollections(optionsOf(defs, 'defineCollections')));
  }

  /**
   * Declares collections like {@link defineCollections}, then makes the index entries stored in
   * the database match the declared indexes: an index added since the collection was last
   * ensured (in an earlier run, by any instance) is backfilled from the records already there,
   * and entries of removed indexes are dropped. Use it at startup whenever a collection may
   * already hold records: `defineCollections` is enough only for brand-new collections.
   *
   * The bookkeeping lives in a reserved space; when nothing changed this costs one read per
   * collection. A rebuild rewrites every record of the collection in compare-and-set batches of
   * `batchSize` (same data and format; each rewrite gets a new version and a `put` change),
   * committing its progress with each batch, so a rebuild interrupted by a crash resumes where
   * it stopped. Emits `collections:backfill-progress`. Existing records that violate a new unique
   * index fail it with `E_UNIQUE_VIOLATION` naming both records; the collections this call
   * declared are then undeclared again.
   */
  async ensureCollections(
    defs: CollectionDefinitions,
    options: { batchSize?: number } = {},
  ): Promise<void> {
    this.#life.assertOpen('ensureCollections');
    const batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw storageErrors.create(
        'E_INVALID_OPTION',
        'ensureCollections batchSize must be an integer from 1 to 10000',
        { details: { option: 'batchSize' } },
      );
    }
    const incoming = resolveCollections(defs);
    const added = this.#declare(incoming);
    try {
      for (const name of incoming.keys()) {
        const def = this.#collections.get(name) as ResolvedCollection;
        await this.#adapterCall('ensureCollections', () =>
          backfillIndexes(this.#core, def, batchSize, (p) =>
            this.emit('collections:backfill-progress', p),
          ),
        );
      }
    } catch (error) {
      for (const name of added) {
        this.#collections.delete(name);
        this.#collectionHandles.delete(name);
      }
      throw error;
    }
  }

  /** Adds the collections not yet declared; a different redefinition declares nothing. */
  #declare(incoming: Map<string, ResolvedCollection>): string[] {
    for (const [name, def] of incoming) {
      const existing = this.#collections.get(name);
      if (existing !== undefined && !sameCollection(existing, def)) {
        throw storageErrors.create(
          'E_INVALID_OPTION',
          `collection "${name}" is already declared with another schema or other indexes`,
          { details: { option: `collections.${name}` } },
        );
      }
    }
    const added: string[] = [];
    for (const [name, def] of incoming) {
      if (this.#collections.has(name)) continue;
      this.#collections.set(name, def);
      added.push(name);
    }
    return added;
  }

  /** Names of the declared collections. */
  collectionNames(): string[] {
    return [...this.#collections.keys()];
  }

  /**
   * Runs `fn` in a transaction: all of its writes commit together, or none do. Reads see the
   * transaction's own writes; the commit fails with `E_CONFLICT` (retryable) if anything the
   * transaction read changed meanwhile — with `retry`, it is run again with backoff.
   * If `fn` throws, nothing is written and the error propagates.
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    this.#life.assertOpen('transaction');
    const attempts = options.retry?.attempts ?? 1;
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw storageErrors.create(
        'E_INVALID_OPTION',
        `transaction retry.attempts must be an integer >= 1`,
        {
          details: { option: 'retry.attempts' },
        },
      );
    }
    const base = options.retry?.baseDelayMs ?? 5;
    const max = options.retry?.maxDelayMs ?? 250;
    for (const [option, value] of [
      ['retry.baseDelayMs', base],
      ['retry.maxDelayMs', max],
    ] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw storageErrors.create(
          'E_INVALID_OPTION',
          `transaction ${option} must be a finite number >= 0`,
          { details: { option } },
        );
      }
    }
    for (let attempt = 1; ; attempt++) {
      const session = new TxSession(this.#core);
      const tx = new Transaction(session, this.#collections);
      let result: T;
      try {
        result = await callbackOf(fn, 'transaction')(tx);
      } catch (error) {
        session.rollback();
        throw error;
      }
      try {
        await session.commit();
        return result;
      } catch (error) {
        if (attempt >= attempts || !isRetryable(error)) throw error;
        const delay = Math.min(max, base * 2 ** (attempt - 1));
        if (delay > 0) await backoff(this.#clock, delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  /** Reads the change feed: changes after `after` (a seq), oldest first. */
  async changes(
    options: { after?: number; limit?: number } = {},
  ): Promise<{ changes: StoreChange[]; cursor: number }> {
    this.#life.assertOpen('changes');
    options = optionsOf(options, 'changes');
    const after = options.after ?? 0;
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(after) || after < 0) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `after must be a sequence number >= 0, got ${String(after)}`,
      );
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `limit must be an integer from 1 to 10000, got ${String(limit)}`,
      );
    }
    const raw = await this.#adapterCall('readChanges', () =>
      this.adapter.readChanges(after, limit),
    );
    const last = raw[raw.length - 1];
    return { changes: raw.filter(isReported).map(toStoreChange), cursor: last ? last.seq : after };
  }

  /** The sequence number of the last committed change. */
  async lastSeq(): Promise<number> {
    this.#life.assertOpen('lastSeq');
    return this.#adapterCall('lastSeq', () => this.adapter.lastSeq());
  }

  /**
   * Delivers every change committed after `after` (default: from now on) to `listener`, in
   * order, including changes made by other instances when the adapter announces them
   * (PostgreSQL; SQLite with polling). Returns the function that stops it.
   */
  async watch(
    listener: (change: StoreChange) => void | Promise<void>,
    options: { after?: number } = {},
  ): Promise<() => Promise<void>> {
    this.#life.assertOpen('watch');
    let position = options.after ?? (await this.lastSeq());
    let draining: Promise<void> | undefined;
    let again = false;
    let stopped = false;
    const drain = async (): Promise<void> => {
      do {
        again = false;
        for (;;) {
          if (stopped || this.#life.closed) return;
          const page = await this.adapter.readChanges(position, 500);
          for (const c of page) {
            if (stopped) return;
            position = c.seq;
            if (isReported(c)) await listener(toStoreChange(c));
          }
          if (page.length < 500) break;
        }
      } while (again);
    };
    const kick = () => {
      if (draining !== undefined) {
        again = true;
        return;
      }
      draining = drain()
        .catch((error: unknown) => {
          this.#logger.error({ err: error }, 'a change-feed watcher failed');
          this.emit('watch:error', { error });
        })
        .finally(() => {
          draining = undefined;
        });
    };
    const unsubscribe = await this.adapter.watch(() => kick());
    const handle = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        this.#watchers.delete(handle);
        await unsubscribe();
        await draining;
      },
    };
    this.#watchers.add(handle);
    kick(); // deliver what is already past `after`
    return handle.stop;
  }

  /** Deletes KV entries whose TTL has passed. Returns how many. */
  async purgeExpired(options: { limit?: number } = {}): Promise<number> {
    this.#life.assertOpen('purgeExpired');
    const limit = optionsOf(options, 'purgeExpired').limit ?? 10_000;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `limit must be an integer >= 1, got ${describeValue(limit)}`,
      );
    }
    const purged = await this.#adapterCall('purgeExpired', () =>
      this.adapter.purgeExpired(this.#clock.now(), limit),
    );
    if (purged > 0) this.emit('kv:expired', { count: purged });
    return purged;
  }

  /** Drops change-feed entries up to and including `seq` (consumers must be past it). */
  async truncateChanges(seq: number): Promise<number> {
    this.#life.assertOpen('truncateChanges');
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `seq must be an integer >= 0, got ${describeValue(seq)}`,
      );
    }
    return this.#adapterCall('truncateChanges', () => this.adapter.truncateChanges(seq));
  }

  /**
   * Streams a portable, checksummed backup of every record (see `backup.ts` for the format).
   * Pipe it anywhere: `Readable.from(store.backup()).pipe(createWriteStream(path))`.
   * Encrypted values stay encrypted.
   */
  backup(): AsyncGenerator<Uint8Array> {
    this.#life.assertOpen('backup');
    return writeBackup(this.#core, (records, bytes) =>
      this.emit('backup:progress', { records, bytes }),
    );
  }

  /**
   * Restores a backup into this store, which must be empty. Every block is verified before it
   * is imported. Pass a function returning the source to have the whole backup verified first
   * (nothing is imported from a damaged backup); with a one-shot stream, damage found late leaves
   * the blocks before it imported and the error says how many records that was.
   */
  async restore(source: BackupSource | (() => BackupSource)): Promise<BackupSummary> {
    this.#life.assertOpen('restore');
    if (
      typeof source !== 'function' &&
      (typeof source !== 'object' ||
        source === null ||
        !(Symbol.asyncIterator in source || Symbol.iterator in source))
    ) {
      throw storageErrors.create(
        'E_INVALID_ARGUMENT',
        `restore() needs a backup stream, got ${describeValue(source)}`,
      );
    }
    if (typeof source === 'function') await verifyBackup(source());
    const stream = typeof source === 'function' ? source() : source;
    let imported = 0;
    let restored: string[] = [];
    try {
      const summary = await readBackup(
        stream,
        async ({ space, records }) => {
          if (space === SCHEMA_SPACE) return; // bookkeeping of the source, not of this store
          const rows = records.map((record) => ({
            record,
            indexes: restoredIndexes(this.#core, space, record),
          }));
          await this.#adapterCall('importRecords', () => this.adapter.importRecords(space, rows));
          imported += rows.length;
          this.emit('restore:progress', { records: imported });
        },
        async (header) => {
          restored = header.spaces.filter((s) => s !== KV_SPACE && s !== SCHEMA_SPACE);
          const unknown = header.spaces.filter(
            (s) => s !== KV_SPACE && s !== SCHEMA_SPACE && !this.#collections.has(s),
          );
          if (unknown.length > 0) {
            throw storageErrors.create(
              'E_UNKNOWN_COLLECTION',
              `the backup holds collections this store does not declare: ${unknown.join(', ')}`,
              { details: { collections: unknown } },
            );
          }
          const existing = (await this.#adapterCall('spaces', () => this.adapter.spaces())).filter(
            (s) => s !== SCHEMA_SPACE,
          );
          if (existing.length > 0) {
            throw storageErrors.create(
              'E_RESTORE_TARGET_NOT_EMPTY',
              `restore needs an empty store; it holds ${existing.join(', ')}`,
              {
                details: { spaces: existing },
              },
            );
          }
        },
      );
      // Every entry was computed from this store's declarations: a later ensureCollections with
      // the same ones has nothing to rebuild (and the restored versions stay as they were).
      const defs = restored.map((name) => this.#collections.get(name) as ResolvedCollection);
      await this.#adapterCall('restore', () => markIndexesBuilt(this.#core, defs));
      return summary;
    } catch (error) {
      if (imported > 0 && isPlinthError(error, 'E_BACKUP_INVALID')) {
        throw storageErrors.create(
          'E_BACKUP_INVALID',
          `${error.message}; ${imported} records were imported before the damage`,
          {
            details: { ...error.details, imported },
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /**
   * Re-encrypts every value that is not under the keyring's active key, in batches of
   * `batchSize` compare-and-set commits (records changed meanwhile are re-read and retried).
   * Emits `keys:rotation-progress`. Returns how many records were rewritten.
   */
  async rotateKeys(options: { batchSize?: number } = {}): Promise<number> {
    this.#life.assertOpen('rotateKeys');
    const batchSize = optionsOf(options, 'rotateKeys').batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw storageErrors.create(
        'E_INVALID_OPTION',
        'rotateKeys batchSize must be an integer from 1 to 10000',
        {
          details: { option: 'batchSize' },
        },
      );
    }
    const enc = this.#core.encoding;
    if (enc.codec === undefined) return 0;
    let rotated = 0;
    let scanned = 0;
    for (const space of await this.#adapterCall('spaces', () => this.adapter.spaces())) {
      let after: string | undefined;
      for (;;) {
        const page = await this.#adapterCall('scanKeys', () =>
          this.adapter.scanKeys({
            kind: 'keys',
            space,
            reverse: false,
            limit: batchSize,
            now: this.#clock.now(),
            ...(after !== undefined && { gt: after }),
          }),
        );
        const writes: Write[] = [];
        const checks: CommitCheck[] = [];
        for (const record of page) {
          const data = enc.reencode(space, record);
          if (data === undefined) continue;
          const indexes = restoredIndexes(this.#core, space, record);
          writes.push({
            op: 'put',
            space,
            key: record.key,
            format: record.format,
            data,
            expiresAt: record.expiresAt,
            indexes,
          });
          checks.push({ kind: 'record', space, key: record.key, version: record.version });
        }
        if (writes.length > 0) {
          try {
            await this.#commit(writes, checks);
            rotated += writes.length;
          } catch (error) {
            if (!isPlinthError(error, 'E_CONFLICT')) throw error;
            continue; // something changed under us: re-read the same page
          }
        }
        scanned += page.length;
        this.emit('keys:rotation-progress', {
          rotated,
          scanned,
          collection: space === KV_SPACE ? null : space,
        });
        const last = page[page.length - 1];
        if (page.length < batchSize || last === undefined) break;
        after = last.key;
      }
    }
    return rotated;
  }

  /** Closes the store and its adapter (idempotent). */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal shared with backup and key rotation */
  get core(): StoreCore {
    return this.#core;
  }

  async #shutdown(): Promise<void> {
    this.#purgeTimer?.cancel();
    for (const w of [...this.#watchers]) await w.stop();
    await this.adapter.close();
    this.emit('store:closed', { adapter: this.adapter.name });
  }

  async #adapterCall<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw wrapAdapterError(error, operation, this.adapter.name);
    }
  }

  async #commit(writes: readonly Write[], checks: readonly CommitCheck[]): Promise<CommitResult> {
    const now = this.#clock.now();
    const result = await this.#adapterCall('commit', () =>
      this.adapter.commit({ writes, checks, now }),
    );
    if ('reason' in result) {
      if (result.reason === 'unique') {
        throw storageErrors.create(
          'E_UNIQUE_VIOLATION',
          `"${result.key}" in "${result.space}" would share the value of unique index "${result.index}" with "${result.holder}"`,
          {
            details: {
              collection: result.space,
              index: result.index,
              key: result.key,
              holder: result.holder,
            },
          },
        );
      }
      const c = result.check;
      if (c.kind === 'record') {
        const where = c.space === KV_SPACE ? `KV entry "${c.key}"` : `"${c.key}" in "${c.space}"`;
        const expected = c.version === null ? 'absent' : `version ${c.version}`;
        const actual = result.actual === null ? 'absent' : `version ${result.actual}`;
        throw storageErrors.create(
          'E_CONFLICT',
          `${where} changed: expected ${expected}, found ${actual}`,
          {
            details: {
              collection: c.space === KV_SPACE ? null : c.space,
              key: c.key,
              expected: c.version,
              actual: result.actual,
            },
          },
        );
      }
      throw storageErrors.create(
        'E_CONFLICT',
        `a range read by the transaction in "${c.scan.space}" changed`,
        {
          details: { collection: c.scan.space === KV_SPACE ? null : c.scan.space },
        },
      );
    }
    if (writes.length > 0) {
      this.emit('store:committed', {
        firstSeq: result.firstSeq,
        lastSeq: result.lastSeq,
        writes: writes.length,
      });
    }
    return result;
  }
}

/** Lost races and locks held elsewhere: nothing was applied, so running again is safe. */
function isRetryable(error: unknown): boolean {
  return (isPlinthError(error, 'E_CONFLICT') || isPlinthError(error, 'E_BUSY')) && error.retryable;
}

function sameCollection(a: ResolvedCollection, b: ResolvedCollection): boolean {
  if (a.schema !== b.schema || a.indexes.size !== b.indexes.size) return false;
  for (const [name, ia] of a.indexes) {
    const ib = b.indexes.get(name);
    if (ib === undefined || ia.unique !== ib.unique) return false;
    if (JSON.stringify(ia.fields) !== JSON.stringify(ib.fields)) return false;
  }
  return true;
}

export function wrapAdapterError(error: unknown, operation: string, adapter: string): unknown {
  if (isPlinthError(error)) return error;
  return storageErrors.create(
    'E_ADAPTER',
    `[${adapter}] ${operation} failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      details: { adapter, operation },
    },
  );
}

/** Opens a store on an adapter (creating its tables if needed). */
export async function openStore(options: StoreOptions): Promise<Store> {
  const store = new Store(options);
  try {
    return await store.open();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}
