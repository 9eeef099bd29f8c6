import {
  Lifecycle,
  check,
  isPlinthError,
  resolveOptions,
  systemClock,
  type Clock,
  type OptionSpec,
  type TimerHandle,
} from '@plinth/core';
import {
  type AdapterCapabilities,
  type Change,
  type CommitBatch,
  type CommitCheck,
  type CommitRefusal,
  type CommitResult,
  type IndexEntry,
  type IndexHit,
  type IndexScan,
  type KeyScan,
  type StorageAdapter,
  type StoredRecord,
} from '../adapter.js';
import { storageErrors } from '../errors.js';
import { backoff as sleep } from '../internal/sleep.js';
import {
  SCHEMA_VERSION,
  errorCode,
  finalWrites,
  indexScanQuery,
  isBusy,
  keyScanQuery,
  loadDriver,
  prepareStatements,
  setupDatabase,
  sqlLimit,
  toColumn,
  toRecord,
  uniqueClash,
  type RecordRow,
  type ScanQuery,
  type SqliteDatabase,
  type SqliteDriver,
  type SqliteDriverLoader,
  type SqliteStatement,
  type Statements,
} from './sqlite-sql.js';
import { scanUnchanged } from '../internal/scan-check.js';

export { loadDriver };
export type { SqliteDatabase, SqliteDriver, SqliteDriverLoader, SqliteStatement };

export interface SqliteAdapterOptions {
  /** Database file, or `':memory:'` for a private in-memory database (not durable). */
  readonly path: string;
  /**
   * How long a commit waits for a lock held by another connection before failing with a
   * retryable `E_BUSY`. Waiting is asynchronous (jittered backoff), so the event loop keeps running.
   * @default 5000
   */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite's `synchronous` level (the journal is always WAL). With WAL, `NORMAL` survives process
   * crashes but the last commits may be lost on power loss or an OS crash; `FULL` fsyncs every
   * commit and also survives power loss.
   * @default 'NORMAL'
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** Prefix of every table name, `/^[a-z_][a-z0-9_]*$/`. @default 'plinth_' */
  readonly tablePrefix?: string;
  /**
   * When > 0, `watch` also announces commits made by OTHER processes on the same file, noticed by
   * polling `PRAGMA data_version` every `pollIntervalMs` on the clock. 0 turns polling off.
   * @default 0
   */
  readonly pollIntervalMs?: number;
  /** Time source for polling and busy retries. @default systemClock */
  readonly clock?: Clock;
  /**
   * The better-sqlite3 `Database` constructor, or a function loading its module. By default the
   * adapter runs `import('better-sqlite3')` in `open()`.
   */
  readonly driver?: SqliteDriver | SqliteDriverLoader;
}

/** Defaults of {@link SqliteAdapterOptions}. */
export const DEFAULT_SQLITE_OPTIONS = Object.freeze({
  busyTimeoutMs: 5000,
  synchronous: 'NORMAL' as 'NORMAL' | 'FULL',
  tablePrefix: 'plinth_',
  pollIntervalMs: 0,
  clock: systemClock,
});

const SPEC: OptionSpec<SqliteAdapterOptions> = {
  path: { check: check.string({ nonEmpty: true }), required: true },
  busyTimeoutMs: check.number({ min: 0, integer: true }),
  synchronous: check.oneOf(['NORMAL', 'FULL'] as const),
  tablePrefix: check.string({ pattern: /^[a-z_][a-z0-9_]*$/ }),
  pollIntervalMs: check.number({ min: 0, integer: true }),
  clock: check.implementing<Clock>('now', 'setTimeout', 'setInterval', 'sleep'),
  driver: check.custom<SqliteDriver | SqliteDriverLoader>(
    'a better-sqlite3 Database constructor or a function loading the module',
    (v) => typeof v === 'function',
  ),
};

/** SQLite's own busy wait, kept short: longer waits are async retries (see `#run`). */
const ENGINE_BUSY_MS = 20;
const MAX_BACKOFF_MS = 50;

/** Thrown inside a transaction to roll it back and return a refusal. */
class Refused {
  constructor(readonly refusal: CommitRefusal) {}
}

/**
 * The SQLite adapter, on better-sqlite3. One connection per adapter; WAL journal, so readers
 * never block the writer. Every commit is one synchronous `BEGIN IMMEDIATE … COMMIT` (no
 * transaction ever spans an await); waiting for another process's lock is an async retry loop.
 */
export class SqliteAdapter implements StorageAdapter {
  readonly name = 'sqlite';
  readonly capabilities: AdapterCapabilities;
  readonly #options: ReturnType<typeof resolveSqliteOptions>;
  readonly #life = new Lifecycle('@plinth/storage', 'SqliteAdapter', () => this.#shutdown());
  #opening: Promise<void> | undefined;
  #db: SqliteDatabase | undefined;
  #statements: Statements | undefined;
  /** Scan statements by shape. */
  readonly #shapes = new Map<string, SqliteStatement>();
  readonly #listeners = new Set<(lastSeq: number) => void>();
  #poll: TimerHandle | undefined;
  #dataVersion = -1;
  /** Highest seq announced to listeners (own commits and polled ones). */
  #knownSeq = 0;

  constructor(options: SqliteAdapterOptions) {
    this.#options = resolveSqliteOptions(options);
    this.capabilities = Object.freeze({
      structuredValues: false,
      crossInstanceNotifications: this.#options.pollIntervalMs > 0,
      durable: this.#options.path !== ':memory:',
    });
  }

  async open(): Promise<void> {
    this.#life.assertOpen('open');
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      const db = this.#db;
      this.#db = undefined;
      this.#statements = undefined;
      try {
        db?.close();
      } catch {
        // The open error is the one worth reporting.
      }
      throw error;
    });
    return this.#opening;
  }

  async get(space: string, key: string): Promise<StoredRecord | undefined> {
    return this.#run('get', () => {
      const row = this.#q.getRecord.get(space, key) as RecordRow | undefined;
      return row === undefined ? undefined : toRecord(row);
    });
  }

  async scanKeys(scan: KeyScan): Promise<StoredRecord[]> {
    return this.#run('scanKeys', () => this.#scanKeys(scan));
  }

  async scanIndex(scan: IndexScan): Promise<IndexHit[]> {
    return this.#run('scanIndex', () => this.#scanIndex(scan));
  }

  async commit(batch: CommitBatch): Promise<CommitResult | CommitRefusal> {
    const data = batch.writes.map((w) => (w.op === 'put' ? toColumn(w.format, w.data) : null));
    const result = await this.#run('commit', () => {
      try {
        return this.#transaction(batch.writes.length > 0, () => this.#commit(batch, data));
      } catch (error) {
        if (error instanceof Refused) return error.refusal;
        throw error;
      }
    });
    if ('firstSeq' in result && batch.writes.length > 0) this.#notify(result.lastSeq);
    return result;
  }

  async readChanges(after: number, limit: number): Promise<Change[]> {
    return this.#run('readChanges', () =>
      limit > 0 ? (this.#q.readChanges.all(after, sqlLimit(limit)) as Change[]) : [],
    );
  }

  async lastSeq(): Promise<number> {
    return this.#run('lastSeq', () => this.#seq());
  }

  async watch(listener: (lastSeq: number) => void): Promise<() => Promise<void>> {
    this.#connection('watch');
    this.#listeners.add(listener);
    if (this.#options.pollIntervalMs > 0 && this.#poll === undefined) this.#startPolling();
    return async () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stopPolling();
    };
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    const { count, seq } = await this.#run('purgeExpired', () => {
      if (!(limit > 0)) return { count: 0, seq: 0 };
      return this.#transaction(true, () => {
        const q = this.#q;
        const rows = q.expired.all(now, sqlLimit(limit)) as { space: string; key: string }[];
        let last = this.#seq();
        for (const { space, key } of rows) {
          q.deleteRecord.run(space, key);
          q.deleteEntries.run(space, key);
          q.insertChange.run(++last, space, key, 'delete', now);
        }
        if (rows.length > 0) q.setSeq.run(last);
        return { count: rows.length, seq: last };
      });
    });
    if (count > 0) this.#notify(seq);
    return count;
  }

  async truncateChanges(upTo: number): Promise<number> {
    return this.#run('truncateChanges', () => this.#q.truncateChanges.run(upTo).changes);
  }

  async spaces(): Promise<string[]> {
    return this.#run('spaces', () =>
      (this.#q.spaces.all() as { space: string }[]).map((r) => r.space),
    );
  }

  async importRecords(
    space: string,
    records: ReadonlyArray<{
      readonly record: StoredRecord;
      readonly indexes: ReadonlyArray<IndexEntry>;
    }>,
  ): Promise<void> {
    const data = records.map(({ record }) => toColumn(record.format, record.data));
    await this.#run('importRecords', () => {
      try {
        this.#transaction(true, () => {
          const q = this.#q;
          let seq = this.#seq();
          records.forEach(({ record, indexes }, i) => {
            const { key, version, format, expiresAt } = record;
            q.putRecord.run(space, key, version, format, data[i], expiresAt);
            q.deleteEntries.run(space, key);
            this.#insertEntries(space, key, indexes);
            seq = Math.max(seq, version);
          });
          q.setSeq.run(seq);
        });
      } catch (error) {
        if (!(error instanceof Refused) || error.refusal.reason !== 'unique') throw error;
        const { index, key, holder } = error.refusal;
        throw storageErrors.create(
          'E_UNIQUE_VIOLATION',
          `imported records "${key}" and "${holder}" of "${space}" share a value of unique index "${index}"`,
          { details: { space, index, key, holder } },
        );
      }
    });
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#life.close();
  }

  async #open(): Promise<void> {
    const { path, driver, synchronous, tablePrefix: p } = this.#options;
    const Driver = await loadDriver(driver);
    this.#life.assertOpen('open');
    try {
      this.#db = new Driver(path, { timeout: ENGINE_BUSY_MS });
    } catch (error) {
      throw this.#wrap('open', error);
    }
    const schema = await this.#run('open', (db) =>
      setupDatabase(db, p, synchronous, ENGINE_BUSY_MS),
    );
    if (schema > SCHEMA_VERSION) {
      throw storageErrors.create(
        'E_ADAPTER',
        `the database at ${path} has schema version ${schema}; this version of @plinth/storage reads up to ${SCHEMA_VERSION}`,
        { details: { path, schema, supported: SCHEMA_VERSION } },
      );
    }
    this.#statements = prepareStatements(this.#db as SqliteDatabase, p);
  }

  #shutdown(): void {
    this.#stopPolling();
    this.#listeners.clear();
    this.#shapes.clear();
    this.#statements = undefined;
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined) db.close();
  }

  #connection(operation: string): SqliteDatabase {
    this.#life.assertOpen(operation);
    if (this.#db === undefined) {
      throw storageErrors.create('E_ADAPTER', `sqlite: ${operation}() called before open()`, {
        details: { operation },
      });
    }
    return this.#db;
  }

  get #q(): Statements {
    if (this.#statements === undefined) this.#connection('query');
    return this.#statements as Statements;
  }

  #wrap(operation: string, error: unknown): Error {
    if (isPlinthError(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return storageErrors.create('E_ADAPTER', `sqlite ${operation} failed: ${message}`, {
      details: { operation, path: this.#options.path, code: errorCode(error) },
      cause: error,
    });
  }

  /**
   * Runs synchronous database work; on SQLITE_BUSY/LOCKED (another connection holds the lock)
   * retries after a jittered, growing async pause until `busyTimeoutMs`, then fails with E_BUSY.
   */
  async #run<T>(operation: string, work: (db: SqliteDatabase) => T): Promise<T> {
    const { clock, busyTimeoutMs, path } = this.#options;
    const start = clock.now();
    let backoff = 1;
    for (;;) {
      const db = this.#connection(operation);
      try {
        return work(db);
      } catch (error) {
        if (!isBusy(error)) throw this.#wrap(operation, error);
        const remaining = busyTimeoutMs - (clock.now() - start);
        if (remaining <= 0) {
          throw storageErrors.create(
            'E_BUSY',
            `sqlite ${operation}: the database stayed locked by another connection for ${busyTimeoutMs} ms`,
            { details: { operation, path, busyTimeoutMs }, cause: error, retryable: true },
          );
        }
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        await sleep(clock, Math.min(remaining, backoff / 2 + (Math.random() * backoff) / 2));
      }
    }
  }

  #transaction<T>(write: boolean, work: () => T): T {
    const q = this.#q;
    (write ? q.beginImmediate : q.begin).run();
    try {
      const out = work();
      q.commit.run();
      return out;
    } catch (error) {
      if (this.#db?.inTransaction === true) q.rollback.run();
      throw error;
    }
  }

  #seq(): number {
    return (this.#q.getSeq.get() as { v: number }).v;
  }

  #commit(
    batch: CommitBatch,
    data: ReadonlyArray<string | Uint8Array | null>,
  ): CommitResult | CommitRefusal {
    for (const check of batch.checks) {
      const refusal = this.#verify(check, batch.now);
      if (refusal) return refusal;
    }
    const final = finalWrites(batch.writes);
    const holders = this.#q.uniqueHolder;
    const unique = uniqueClash(final, (space, index, value) => {
      return (holders.get(space, index, value) as { key: string } | undefined)?.key;
    });
    if (unique) return unique;

    const q = this.#q;
    const firstSeq = this.#seq() + 1;
    let seq = firstSeq - 1;
    batch.writes.forEach((w, i) => {
      seq++;
      if (w.op === 'put') q.putRecord.run(w.space, w.key, seq, w.format, data[i], w.expiresAt);
      else q.deleteRecord.run(w.space, w.key);
      q.insertChange.run(seq, w.space, w.key, w.op, batch.now);
    });
    // All old entries go before any new one is inserted, so a value moving between records of the
    // batch never trips the engine's unique index halfway.
    for (const [space, writes] of final) {
      // A space without any index entry (an unindexed collection, KV) has none to remove.
      if (q.spaceHasEntries.get(space) === undefined) continue;
      for (const key of writes.keys()) q.deleteEntries.run(space, key);
    }
    for (const [space, writes] of final) {
      for (const [key, w] of writes) if (w.op === 'put') this.#insertEntries(space, key, w.indexes);
    }
    if (seq >= firstSeq) q.setSeq.run(seq);
    return { firstSeq, lastSeq: seq };
  }

  /** Inserts a record's entries (the first per index name); a unique clash throws {@link Refused}. */
  #insertEntries(space: string, key: string, entries: ReadonlyArray<IndexEntry>): void {
    const q = this.#q;
    const done = new Set<string>();
    for (const e of entries) {
      if (done.has(e.index)) continue;
      done.add(e.index);
      try {
        q.insertEntry.run(space, e.index, e.value, key, e.unique ? 1 : 0);
      } catch (error) {
        if (errorCode(error) !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        // The engine enforces uniqueness too: a claim the check above did not see (written by
        // another process or an older writer outside these rules) refuses the commit the same way.
        const holder = q.uniqueHolder.get(space, e.index, e.value) as { key: string } | undefined;
        const index = e.index;
        throw new Refused({ reason: 'unique', space, index, key, holder: holder?.key ?? '' });
      }
    }
  }

  #verify(check: CommitCheck, now: number): CommitRefusal | undefined {
    if (check.kind === 'record') {
      const row = this.#q.getRecord.get(check.space, check.key) as RecordRow | undefined;
      const expired = row !== undefined && row.expires_at !== null && row.expires_at <= now;
      const actual = row === undefined || expired ? null : row.version;
      return actual === check.version ? undefined : { reason: 'check', check, actual };
    }
    const current =
      check.scan.kind === 'keys'
        ? this.#scanKeys(check.scan).map((r) => [r.key, r.version] as const)
        : this.#scanIndex(check.scan).map((h) => [h.record.key, h.record.version] as const);
    return scanUnchanged(current, check.seen)
      ? undefined
      : { reason: 'check', check, actual: null };
  }

  #query(query: ScanQuery): unknown[] {
    let stmt = this.#shapes.get(query.id);
    if (stmt === undefined) {
      stmt = this.#connection('prepare').prepare(query.sql(this.#options.tablePrefix));
      this.#shapes.set(query.id, stmt);
    }
    return stmt.all(...query.params);
  }

  #scanKeys(scan: KeyScan): StoredRecord[] {
    const query = keyScanQuery(scan);
    return query === undefined ? [] : (this.#query(query) as RecordRow[]).map(toRecord);
  }

  #scanIndex(scan: IndexScan): IndexHit[] {
    const query = indexScanQuery(scan);
    if (query === undefined) return [];
    return (this.#query(query) as (RecordRow & { ivalue: Uint8Array })[]).map((row) => ({
      value: row.ivalue,
      record: toRecord(row),
    }));
  }

  #notify(seq: number): void {
    if (seq > this.#knownSeq) this.#knownSeq = seq;
    for (const listener of this.#listeners) queueMicrotask(() => listener(seq));
  }

  #startPolling(): void {
    const db = this.#connection('watch');
    try {
      this.#dataVersion = db.pragma('data_version', { simple: true }) as number;
      this.#knownSeq = Math.max(this.#knownSeq, this.#seq());
    } catch {
      // Busy: the first tick reads them.
    }
    this.#poll = this.#options.clock.setInterval(
      () => this.#pollOnce(),
      this.#options.pollIntervalMs,
    );
  }

  #stopPolling(): void {
    this.#poll?.cancel();
    this.#poll = undefined;
  }

  /** data_version changes when another connection commits; then announce its new seq. */
  #pollOnce(): void {
    const db = this.#db;
    if (db === undefined || this.#listeners.size === 0) return;
    try {
      const version = db.pragma('data_version', { simple: true }) as number;
      if (version === this.#dataVersion) return;
      const seq = this.#seq();
      this.#dataVersion = version;
      if (seq > this.#knownSeq) this.#notify(seq);
    } catch {
      // Locked by another process right now: the next tick tries again.
    }
  }
}

function resolveSqliteOptions(options: SqliteAdapterOptions) {
  return resolveOptions({
    package: '@plinth/storage',
    owner: 'sqliteAdapter',
    spec: SPEC,
    defaults: DEFAULT_SQLITE_OPTIONS,
    input: options,
  });
}

/** Creates a SQLite adapter (better-sqlite3 is loaded in `open()`). */
export function sqliteAdapter(options: SqliteAdapterOptions): SqliteAdapter {
  return new SqliteAdapter(options);
}
