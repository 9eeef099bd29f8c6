import {
  check,
  Lifecycle,
  resolveOptions,
  systemClock,
  type Clock,
  type TimerHandle,
} from '@plinth/core';
import type { Client, ClientConfig, Notification, Pool, PoolClient, PoolConfig } from 'pg';
import {
  ValueFormat,
  type Change,
  type ChangeOp,
  type CommitBatch,
  type CommitCheck,
  type CommitRefusal,
  type CommitResult,
  type IndexEntry,
  type IndexHit,
  type IndexScan,
  type KeyScan,
  type PutWrite,
  type StorageAdapter,
  type StoredRecord,
  type Write,
} from '../adapter.js';
import { storageErrors } from '../errors.js';
import { compareBytes } from '../internal/order.js';
import {
  channelName,
  expiresParam,
  limitParam,
  nowParam,
  quoteIdent,
  sqlFor,
  type PostgresSql,
  type SqlQuery,
} from './postgres-sql.js';
import { scanUnchanged } from '../internal/scan-check.js';

/**
 * The PostgreSQL adapter: node-postgres with a pool, for many host instances sharing one
 * database. Every write (commit, purge, import) first takes the row lock of the one-row `meta`
 * table while reserving its sequence numbers, so commits from all instances are totally ordered
 * and their checks run race-free under READ COMMITTED. Commits are announced with NOTIFY; `watch`
 * LISTENs on a dedicated connection and reconnects with backoff.
 */

/** The parts of the `pg` module the adapter uses (inject it with the `driver` option). */
export interface PostgresDriver {
  readonly Pool: new (config?: PoolConfig) => Pool;
  readonly Client: new (config?: ClientConfig) => Client;
}

export interface PostgresAdapterOptions {
  /** Connection string (`postgres://user@host:5432/db`). Exactly one of `url` and `pool`. */
  readonly url?: string;
  /** An existing `pg.Pool`; the adapter does not end it on close. Exactly one of `url` and `pool`. */
  readonly pool?: Pool;
  /** Schema holding the adapter's tables (created if needed). @default 'plinth' */
  readonly schema?: string;
  /** Size of the pool the adapter creates from `url`. @default 10 */
  readonly poolSize?: number;
  /** Time source for the LISTEN reconnect backoff. @default systemClock */
  readonly clock?: Clock;
  /** The `pg` module; loaded with a dynamic import when not given. */
  readonly driver?: PostgresDriver;
}

/** Defaults of {@link PostgresAdapterOptions}. */
export const DEFAULT_POSTGRES_ADAPTER_OPTIONS = Object.freeze({
  schema: 'plinth',
  poolSize: 10,
  clock: systemClock,
});

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;
const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 10_000;
/** Rows per bulk statement; larger batches take a few more statements. */
const CHUNK = 5_000;

const OWNER = 'PostgresAdapter';

type Queryable = Pick<PoolClient, 'query'>;

interface RecordRow {
  key: string;
  version: string | number;
  format: number | string;
  doc: unknown;
  data: Uint8Array | null;
  expires_at: string | number | null;
}

interface IndexRow extends RecordRow {
  ivalue: Uint8Array;
}

interface ChangeRow {
  seq: string | number;
  space: string;
  key: string;
  op: string;
  at: string | number;
}

const decoder = new TextDecoder();

/** A plain Uint8Array copy (pg hands out Buffers that may share a slab). */
function bytes(value: Uint8Array | null): Uint8Array {
  return value === null ? new Uint8Array(0) : new Uint8Array(value);
}

function toRecord(row: RecordRow): StoredRecord {
  const format = Number(row.format) as ValueFormat;
  let data: StoredRecord['data'];
  if (format === ValueFormat.JSON) {
    const doc = row.doc;
    // node-postgres parses jsonb; a custom type parser may leave it as text.
    data =
      typeof doc === 'string' || (typeof doc === 'object' && doc !== null)
        ? doc
        : JSON.stringify(doc);
  } else {
    data = bytes(row.data);
  }
  return {
    key: row.key,
    version: Number(row.version),
    format,
    data,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

function jsonText(data: PutWrite['data']): string {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return decoder.decode(data);
  return JSON.stringify(data);
}

function bytesParam(data: PutWrite['data']): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
}

function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/** PostgreSQL text cannot hold U+0000: refuse such names up front with a clear error. */
function checkStorable(space: string, key: string, indexes: ReadonlyArray<IndexEntry>): void {
  const bad = hasNul(space)
    ? 'space'
    : hasNul(key)
      ? 'key'
      : indexes.some((e) => hasNul(e.index))
        ? 'index'
        : undefined;
  if (bad === undefined) return;
  throw storageErrors.create(
    'E_INVALID_KEY',
    `postgres: a ${bad} name containing U+0000 cannot be stored in PostgreSQL text`,
    { details: { adapter: 'postgres', what: bad, space, key } },
  );
}

function closedError(operation: string): Error {
  return storageErrors.create('E_CLOSED', `${OWNER}.${operation}() called after close()`, {
    details: { owner: OWNER, operation },
  });
}

function isExpired(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && expiresAt <= now;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

function hex(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The partial unique index on claims fired (not some other constraint). */
function isUniqueIndexViolation(error: unknown): boolean {
  return (
    sqlState(error) === '23505' &&
    (error as { constraint?: unknown }).constraint === 'index_entries_unique'
  );
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/** True for errors that mean the connection (not the statement) failed. */
function isConnectionError(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.some(isConnectionError)) return true;
  const code = sqlState(error);
  if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  const message = error instanceof Error ? error.message : '';
  return /connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout|ended unexpectedly/i.test(
    message,
  );
}

/** Maps a driver error to the storage catalogue (Plinth errors pass through). */
function translate(error: unknown, operation: string): Error {
  if (storageErrors.is(error)) return error;
  const code = sqlState(error);
  const message =
    (error instanceof Error ? error.message : String(error)) || (code ?? 'unknown error');
  const details = { adapter: 'postgres', operation, ...(code === undefined ? {} : { code }) };
  if (code === '40001' || code === '40P01') {
    return storageErrors.create(
      'E_CONFLICT',
      `postgres: ${operation} lost a race (${message}); retry`,
      {
        details,
        cause: error,
      },
    );
  }
  if (isConnectionError(error)) {
    return storageErrors.create(
      'E_ADAPTER',
      `postgres: ${operation} failed, connection error: ${message}`,
      {
        details,
        cause: error,
        retryable: true,
      },
    );
  }
  return storageErrors.create('E_ADAPTER', `postgres: ${operation} failed: ${message}`, {
    details,
    cause: error,
  });
}

/** Loads `pg` (exported for tests, which swap the importer). @internal */
export async function loadPgDriver(
  importer: () => Promise<unknown> = () => import('pg'),
): Promise<PostgresDriver> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (error) {
    const code = sqlState(error);
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw storageErrors.create(
        'E_DRIVER_MISSING',
        'the postgres adapter needs the "pg" package: npm install pg',
        { details: { adapter: 'postgres', driver: 'pg' }, cause: error },
      );
    }
    throw storageErrors.create('E_ADAPTER', `postgres: loading "pg" failed: ${String(error)}`, {
      details: { adapter: 'postgres', operation: 'open' },
      cause: error,
    });
  }
  const m = mod as { default?: unknown };
  const driver = (isDriver(m.default) ? m.default : m) as unknown;
  if (!isDriver(driver)) {
    throw storageErrors.create(
      'E_DRIVER_MISSING',
      'the "pg" module has no Pool/Client: npm install pg',
      {
        details: { adapter: 'postgres', driver: 'pg' },
      },
    );
  }
  return driver;
}

function isDriver(value: unknown): value is PostgresDriver {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).Pool === 'function' &&
    typeof (value as Record<string, unknown>).Client === 'function'
  );
}

interface Resolved {
  readonly url: string | undefined;
  readonly pool: Pool | undefined;
  readonly schema: string;
  readonly poolSize: number;
  readonly clock: Clock;
  readonly driver: PostgresDriver | undefined;
}

function resolve(input: PostgresAdapterOptions): Resolved {
  const o = resolveOptions<PostgresAdapterOptions, typeof DEFAULT_POSTGRES_ADAPTER_OPTIONS>({
    package: storageErrors.package,
    owner: OWNER,
    input,
    defaults: DEFAULT_POSTGRES_ADAPTER_OPTIONS,
    spec: {
      url: check.string({ nonEmpty: true }),
      pool: check.implementing<Pool>('connect', 'query', 'end', 'on'),
      schema: check.string({ pattern: SCHEMA_PATTERN }),
      poolSize: check.number({ integer: true, min: 1, max: 10_000 }),
      clock: check.implementing<Clock>('now', 'setTimeout'),
      driver: check.custom<PostgresDriver>(
        'the "pg" module (an object with Pool and Client)',
        isDriver,
      ),
    },
  });
  const invalid = (option: string, message: string) =>
    storageErrors.create('E_INVALID_OPTION', `${OWNER}: ${message}`, {
      details: { owner: OWNER, option },
    });
  if ((o.url === undefined) === (o.pool === undefined)) {
    throw invalid('url', 'give exactly one of the options "url" and "pool"');
  }
  if (o.pool !== undefined && input.poolSize !== undefined) {
    throw invalid(
      'poolSize',
      'option "poolSize" only applies with "url" (size the pool you pass yourself)',
    );
  }
  return {
    url: o.url,
    pool: o.pool,
    schema: o.schema,
    poolSize: o.poolSize,
    clock: o.clock,
    driver: o.driver,
  };
}

export class PostgresAdapter implements StorageAdapter {
  readonly name = 'postgres';
  readonly capabilities = Object.freeze({
    structuredValues: false,
    crossInstanceNotifications: true,
    durable: true,
  });

  readonly #options: Resolved;
  readonly #sql: PostgresSql;
  readonly #channel: string;
  readonly #life = new Lifecycle(storageErrors.package, OWNER, () => this.#shutdown());
  #opening: Promise<void> | undefined;
  #driver: PostgresDriver | undefined;
  #pool: Pool | undefined;

  readonly #listeners = new Set<(lastSeq: number) => void>();
  /** Highest seq announced to listeners (echoes of own commits are dropped). */
  #announced = 0;
  #listenClient: Client | undefined;
  #listenStarting: Promise<void> | undefined;
  #reconnectTimer: TimerHandle | undefined;
  /** Bumped whenever listening stops, so late connects and timers of an old session give up. */
  #listenGeneration = 0;

  constructor(options: PostgresAdapterOptions) {
    this.#options = resolve(options);
    this.#sql = sqlFor(this.#options.schema);
    this.#channel = channelName(this.#options.schema);
  }

  /** The schema holding this adapter's tables. */
  get schema(): string {
    return this.#options.schema;
  }

  open(): Promise<void> {
    if (this.#life.closed) return Promise.reject(closedError('open'));
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw translate(error, 'open');
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const driver = this.#options.driver ?? (await loadPgDriver());
    this.#driver = driver;
    if (this.#pool === undefined) {
      if (this.#options.pool !== undefined) {
        this.#pool = this.#options.pool;
      } else {
        const pool = new driver.Pool({
          connectionString: this.#options.url,
          max: this.#options.poolSize,
          application_name: 'plinth-storage',
          connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        });
        // Idle clients that lose their connection emit 'error' on the pool; without a listener
        // that would crash the process. The next checkout simply gets a fresh connection.
        pool.on('error', () => {});
        this.#pool = pool;
      }
    }
    // An existing schema needs no DDL: CREATE … IF NOT EXISTS still takes table locks, which
    // would deadlock against other instances committing at the same moment.
    const { rows } = await (this.#pool as Pool).query<{ ready: boolean }>(this.#sql.isReady);
    if (rows[0]?.ready === true) return;
    await this.#transaction('open', async (client) => {
      await client.query(this.#sql.advisoryLock);
      await client.query(this.#sql.ddl);
      return { rollback: false, value: undefined };
    });
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────

  async get(space: string, key: string): Promise<StoredRecord | undefined> {
    // PostgreSQL text cannot hold U+0000, so no such record can exist.
    if (hasNul(space) || hasNul(key)) {
      this.#ready('get');
      return undefined;
    }
    const { rows } = await this.#query<RecordRow>('get', this.#sql.get, [space, key]);
    const row = rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  async scanKeys(scan: KeyScan): Promise<StoredRecord[]> {
    if (scan.limit <= 0) {
      this.#ready('scanKeys');
      return [];
    }
    const q = this.#sql.scanKeys(scan);
    const { rows } = await this.#query<RecordRow>('scanKeys', q.text, q.values);
    return rows.map(toRecord);
  }

  async scanIndex(scan: IndexScan): Promise<IndexHit[]> {
    if (scan.limit <= 0) {
      this.#ready('scanIndex');
      return [];
    }
    const q = this.#sql.scanIndex(scan);
    const { rows } = await this.#query<IndexRow>('scanIndex', q.text, q.values);
    return rows.map((row) => ({ value: bytes(row.ivalue), record: toRecord(row) }));
  }

  async readChanges(after: number, limit: number): Promise<Change[]> {
    if (limit <= 0) {
      this.#ready('readChanges');
      return [];
    }
    // The memory adapter slices, which truncates a fractional limit.
    const { rows } = await this.#query<ChangeRow>('readChanges', this.#sql.readChanges, [
      after,
      limitParam(limit, Math.floor),
    ]);
    return rows.map((r) => ({
      seq: Number(r.seq),
      space: r.space,
      key: r.key,
      op: r.op as ChangeOp,
      at: Number(r.at),
    }));
  }

  async lastSeq(): Promise<number> {
    const { rows } = await this.#query<{ seq: string }>('lastSeq', this.#sql.lastSeq, []);
    return Number(rows[0]?.seq ?? 0);
  }

  async spaces(): Promise<string[]> {
    const { rows } = await this.#query<{ space: string }>('spaces', this.#sql.spaces, []);
    return rows.map((r) => r.space);
  }

  // ── commit ────────────────────────────────────────────────────────────────────────────────

  async commit(batch: CommitBatch): Promise<CommitResult | CommitRefusal> {
    this.#ready('commit');
    for (const w of batch.writes) checkStorable(w.space, w.key, w.op === 'put' ? w.indexes : []);
    const count = batch.writes.length;
    if (count === 0 && batch.checks.length === 0) {
      const seq = await this.lastSeq();
      return { firstSeq: seq + 1, lastSeq: seq };
    }
    // The global commit lock is taken in BEGIN's round trip: every writer of the schema queues
    // on the meta row (a read-only commit waits for in-flight writers, so its checks see one
    // consistent state).
    const lock = count > 0 ? this.#sql.reserveSeqLiteral(count) : this.#sql.lockSeqShared;
    const outcome = await this.#transaction<CommitResult | CommitRefusal | undefined>(
      'commit',
      async (client, locked) => {
        const lastSeq = Number((locked as { seq: string } | undefined)?.seq);
        const firstSeq = lastSeq - count + 1;

        const refusal =
          (await this.#verifyChecks(client, batch)) ?? (await this.#checkUnique(client, batch));
        if (refusal !== undefined) return { rollback: true, value: refusal };
        if (count === 0) return { rollback: false, value: { firstSeq, lastSeq } };

        try {
          await this.#applyWrites(client, batch.writes, firstSeq, batch.now);
        } catch (error) {
          if (isUniqueIndexViolation(error)) return { rollback: true, value: undefined };
          throw error;
        }
        return { rollback: false, value: { firstSeq, lastSeq }, notify: lastSeq };
      },
      lock,
    );
    if (outcome === undefined) {
      // The engine's unique index fired although our own check passed: find who holds it.
      return this.#uniqueRefusalAfterViolation(batch);
    }
    if ('reason' in outcome) return outcome;
    if (count > 0) this.#announce(outcome.lastSeq);
    return outcome;
  }

  /** Record checks in one query, scan checks re-run in order; returns the first failing one. */
  async #verifyChecks(client: Queryable, batch: CommitBatch): Promise<CommitRefusal | undefined> {
    const recordChecks = batch.checks.filter((c) => c.kind === 'record');
    const actual = new Map<number, { version: number; expiresAt: number | null }>();
    if (recordChecks.length > 0) {
      const { rows } = await client.query<{
        i: string;
        version: string;
        expires_at: string | null;
      }>(this.#sql.recordVersions, [
        recordChecks.map((c) => c.space),
        recordChecks.map((c) => c.key),
      ]);
      for (const row of rows) {
        actual.set(Number(row.i) - 1, {
          version: Number(row.version),
          expiresAt: row.expires_at === null ? null : Number(row.expires_at),
        });
      }
    }
    let recordIndex = 0;
    for (const check of batch.checks) {
      if (check.kind === 'record') {
        const found = actual.get(recordIndex++);
        const version =
          found === undefined || isExpired(found.expiresAt, nowParam(batch.now))
            ? null
            : found.version;
        if (version !== check.version) return { reason: 'check', check, actual: version };
        continue;
      }
      if (!(await this.#scanUnchanged(client, check)))
        return { reason: 'check', check, actual: null };
    }
    return undefined;
  }

  async #scanUnchanged(
    client: Queryable,
    check: Extract<CommitCheck, { kind: 'scan' }>,
  ): Promise<boolean> {
    const scan = check.scan;
    let current: Array<readonly [string, number]> = [];
    if (scan.limit > 0) {
      const q: SqlQuery =
        scan.kind === 'keys' ? this.#sql.scanKeys(scan) : this.#sql.scanIndex(scan);
      const { rows } = await client.query<RecordRow>(q.text, q.values);
      current = rows.map((r) => [r.key, Number(r.version)] as const);
    }
    return scanUnchanged(current, check.seen);
  }

  /**
   * Unique claims of the batch against the committed state, exactly like the memory adapter: a
   * holder that the same batch deletes, or moves to another value, does not block.
   */
  async #checkUnique(client: Queryable, batch: CommitBatch): Promise<CommitRefusal | undefined> {
    const final = finalWrites(batch.writes);
    const claims: Array<{ space: string; index: string; value: Uint8Array }> = [];
    for (const [space, writes] of final) {
      for (const w of writes.values()) {
        if (w.op !== 'put') continue;
        for (const e of w.indexes)
          if (e.unique) claims.push({ space, index: e.index, value: e.value });
      }
    }
    if (claims.length === 0) return undefined;
    const holders = new Map<string, string>();
    const { rows } = await client.query<{ i: string; key: string }>(this.#sql.uniqueHolders, [
      claims.map((c) => c.space),
      claims.map((c) => c.index),
      claims.map((c) => c.value),
    ]);
    for (const row of rows) {
      const c = claims[Number(row.i) - 1];
      if (c !== undefined) holders.set(claimKey(c.space, c.index, c.value), row.key);
    }
    return uniqueRefusal(final, (space, index, value) =>
      holders.get(claimKey(space, index, value)),
    );
  }

  /** After a 23505 from the engine: re-read the holders outside the failed transaction. */
  async #uniqueRefusalAfterViolation(batch: CommitBatch): Promise<CommitRefusal> {
    const refusal = await this.#run('commit', async () => {
      const pool = this.#ready('commit');
      return this.#checkUnique(pool, batch);
    });
    if (refusal !== undefined) return refusal;
    throw storageErrors.create(
      'E_CONFLICT',
      'postgres: commit lost a race on a unique index; retry',
      {
        details: { adapter: 'postgres', operation: 'commit', code: '23505' },
      },
    );
  }

  /** Applies the writes with a fixed number of set-based statements. */
  async #applyWrites(
    client: Queryable,
    writes: ReadonlyArray<Write>,
    firstSeq: number,
    now: number,
  ): Promise<void> {
    // The last write of each key decides the record; every write gets its own change.
    const last = new Map<string, { write: Write; seq: number }>();
    writes.forEach((write, i) => {
      const id = `${write.space}\u0000${write.key}`;
      last.delete(id); // keep map order = order of the final writes
      last.set(id, { write, seq: firstSeq + i });
    });
    const finals = [...last.values()];
    const deletes = finals.filter((f) => f.write.op === 'delete').map((f) => f.write);
    const puts = finals.filter((f): f is { write: PutWrite; seq: number } => f.write.op === 'put');

    for (const part of chunks(deletes)) {
      await client.query(this.#sql.deleteRecords, [
        part.map((w) => w.space),
        part.map((w) => w.key),
      ]);
    }
    if (finals.length <= CHUNK && writes.length <= CHUNK) {
      // One statement: old entries out, records in, every write in the feed.
      await client.query(this.#sql.applyPuts, [
        finals.map((f) => f.write.space),
        finals.map((f) => f.write.key),
        writes.map((_, i) => firstSeq + i),
        writes.map((w) => w.space),
        writes.map((w) => w.key),
        writes.map((w) => w.op),
        nowParam(now),
        recordsJson(puts.map((p) => ({ ...p.write, version: p.seq }))),
      ]);
      await this.#insertEntries(
        client,
        puts.flatMap((p) =>
          p.write.indexes.map((e) => ({ space: p.write.space, key: p.write.key, e })),
        ),
      );
      return;
    }
    for (const part of chunks(finals)) {
      await client.query(this.#sql.deleteEntries, [
        part.map((f) => f.write.space),
        part.map((f) => f.write.key),
      ]);
    }
    await this.#upsert(
      client,
      puts.map((p) => ({
        space: p.write.space,
        key: p.write.key,
        version: p.seq,
        format: p.write.format,
        data: p.write.data,
        expiresAt: p.write.expiresAt,
        indexes: p.write.indexes,
      })),
    );
    for (const part of chunks(writes.map((w, i) => ({ w, seq: firstSeq + i })))) {
      await client.query(this.#sql.insertChanges, [
        part.map((c) => c.seq),
        part.map((c) => c.w.space),
        part.map((c) => c.w.key),
        part.map((c) => c.w.op),
        nowParam(now),
      ]);
    }
  }

  /** Upserts records (distinct keys) and inserts their index entries (old ones already gone). */
  async #upsert(
    client: Queryable,
    records: ReadonlyArray<{
      space: string;
      key: string;
      version: number;
      format: ValueFormat;
      data: StoredRecord['data'];
      expiresAt: number | null;
      indexes: ReadonlyArray<IndexEntry>;
    }>,
  ): Promise<void> {
    for (const part of chunks(records)) {
      await client.query(this.#sql.upsertRecords, [recordsJson(part)]);
    }
    await this.#insertEntries(
      client,
      records.flatMap((r) => r.indexes.map((e) => ({ space: r.space, key: r.key, e }))),
    );
  }

  async #insertEntries(
    client: Queryable,
    entries: ReadonlyArray<{ space: string; key: string; e: IndexEntry }>,
  ): Promise<void> {
    for (const part of chunks(entries)) {
      await client.query(this.#sql.insertEntries, [
        part.map((x) => x.space),
        part.map((x) => x.e.index),
        part.map((x) => x.e.value),
        part.map((x) => x.key),
        part.map((x) => x.e.unique),
      ]);
    }
  }

  // ── watch ─────────────────────────────────────────────────────────────────────────────────

  async watch(listener: (lastSeq: number) => void): Promise<() => Promise<void>> {
    this.#ready('watch');
    this.#listeners.add(listener);
    try {
      await this.#ensureListening();
    } catch (error) {
      this.#listeners.delete(listener);
      throw translate(error, 'watch');
    }
    let subscribed = true;
    return async () => {
      if (!subscribed) return;
      subscribed = false;
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) await this.#stopListening();
    };
  }

  async #ensureListening(): Promise<void> {
    // Connected, or reconnecting in the background (which reports lastSeq once back).
    if (this.#listenClient !== undefined || this.#reconnectTimer !== undefined) return;
    this.#listenStarting ??= this.#connectListener(this.#listenGeneration).finally(() => {
      this.#listenStarting = undefined;
    });
    await this.#listenStarting;
  }

  /** Opens the dedicated LISTEN connection (not from the pool). */
  async #connectListener(generation: number): Promise<void> {
    const driver = this.#driver as PostgresDriver;
    const base: ClientConfig =
      this.#options.url !== undefined
        ? { connectionString: this.#options.url }
        : { ...(this.#pool as Pool).options };
    const client = new driver.Client({
      application_name: 'plinth-storage-listen',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      ...base,
      keepAlive: true,
    });
    const lost = () => this.#onListenerLost(client, generation);
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message: Notification) => {
      if (message.channel !== this.#channel || generation !== this.#listenGeneration) return;
      const seq = Number(message.payload);
      if (Number.isSafeInteger(seq)) this.#announce(seq);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.#channel)}`);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (generation !== this.#listenGeneration || this.#life.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#listenClient = client;
  }

  #onListenerLost(client: Client, generation: number): void {
    if (client !== this.#listenClient) return; // an old or never-established client
    this.#listenClient = undefined;
    client.end().catch(() => {});
    if (generation === this.#listenGeneration && this.#listeners.size > 0 && !this.#life.closed) {
      this.#scheduleReconnect(generation, 0);
    }
  }

  #scheduleReconnect(generation: number, attempt: number): void {
    const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt);
    const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    this.#reconnectTimer = this.#options.clock.setTimeout(() => {
      void this.#reconnect(generation, attempt);
    }, delay);
  }

  async #reconnect(generation: number, attempt: number): Promise<void> {
    const stale = () =>
      generation !== this.#listenGeneration || this.#listeners.size === 0 || this.#life.closed;
    if (stale()) return;
    try {
      await this.#connectListener(generation);
      if (stale()) return;
      this.#reconnectTimer = undefined;
      // Commits made while disconnected were not announced: report where the feed is now.
      this.#announce(await this.lastSeq(), true);
    } catch {
      if (this.#listenClient !== undefined || stale()) {
        this.#reconnectTimer = undefined;
        return; // connected (only lastSeq failed; the next notification catches up) or stopped
      }
      this.#scheduleReconnect(generation, attempt + 1);
    }
  }

  async #stopListening(): Promise<void> {
    this.#listenGeneration++;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = undefined;
    const client = this.#listenClient;
    this.#listenClient = undefined;
    if (client !== undefined) await client.end().catch(() => {});
  }

  /** Calls the listeners with `seq` (skipping seqs already announced unless `force`). */
  #announce(seq: number, force = false): void {
    if (!force && seq <= this.#announced) return;
    if (seq > this.#announced) this.#announced = seq;
    for (const listener of this.#listeners) {
      queueMicrotask(() => {
        try {
          listener(seq);
        } catch {
          // A failing listener must not break the others or the connection handling.
        }
      });
    }
  }

  // ── maintenance ───────────────────────────────────────────────────────────────────────────

  async purgeExpired(now: number, limit: number): Promise<number> {
    if (limit <= 0) {
      this.#ready('purgeExpired');
      return 0;
    }
    const { purged, lastSeq } = await this.#transaction('purgeExpired', async (client) => {
      const { rows: seqRows } = await client.query<{ seq: string }>(this.#sql.lockSeq);
      const seq = Number(seqRows[0]?.seq);
      const { rows } = await client.query<{ space: string; key: string }>(this.#sql.expired, [
        nowParam(now),
        limitParam(limit),
      ]);
      if (rows.length === 0) return { rollback: false, value: { purged: 0, lastSeq: seq } };
      const spaces = rows.map((r) => r.space);
      const keys = rows.map((r) => r.key);
      await client.query(this.#sql.deleteRecords, [spaces, keys]);
      await client.query(this.#sql.deleteEntries, [spaces, keys]);
      await client.query(this.#sql.insertChanges, [
        rows.map((_, i) => seq + 1 + i),
        spaces,
        keys,
        rows.map(() => 'delete'),
        nowParam(now),
      ]);
      const last = seq + rows.length;
      await client.query(this.#sql.setSeq, [last]);
      await client.query(this.#sql.notify, [this.#channel, String(last)]);
      return { rollback: false, value: { purged: rows.length, lastSeq: last } };
    });
    if (purged > 0) this.#announce(lastSeq);
    return purged;
  }

  async truncateChanges(upTo: number): Promise<number> {
    // Under the shared commit lock: a commit in flight cannot leave rows at or below `upTo` behind.
    return this.#transaction('truncateChanges', async (client) => {
      await client.query(this.#sql.lockSeqShared);
      const result = await client.query(this.#sql.truncateChanges, [upTo]);
      return { rollback: false, value: result.rowCount ?? 0 };
    });
  }

  async importRecords(
    space: string,
    records: ReadonlyArray<{
      readonly record: StoredRecord;
      readonly indexes: ReadonlyArray<IndexEntry>;
    }>,
  ): Promise<void> {
    this.#ready('importRecords');
    for (const r of records) checkStorable(space, r.record.key, r.indexes);
    if (records.length === 0) return;
    // A key given twice keeps its last occurrence (one upsert per key per statement).
    const byKey = new Map<string, (typeof records)[number]>();
    for (const r of records) {
      byKey.delete(r.record.key);
      byKey.set(r.record.key, r);
    }
    const rows = [...byKey.values()];
    const maxVersion = rows.reduce((m, r) => Math.max(m, r.record.version), 0);
    await this.#transaction('importRecords', async (client) => {
      await client.query(this.#sql.lockSeq);
      for (const part of chunks(rows)) {
        await client.query(this.#sql.deleteEntries, [
          part.map(() => space),
          part.map((r) => r.record.key),
        ]);
      }
      await this.#upsert(
        client,
        rows.map(({ record, indexes }) => ({
          space,
          key: record.key,
          version: record.version,
          format: record.format,
          data: record.data,
          expiresAt: record.expiresAt,
          indexes,
        })),
      );
      await client.query(this.#sql.raiseSeq, [maxVersion]);
      return { rollback: false, value: undefined };
    });
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    await this.#opening?.catch(() => {});
    this.#listeners.clear();
    await this.#stopListening();
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined && this.#options.pool === undefined) await pool.end().catch(() => {});
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  /** The pool, or E_CLOSED after close / E_ADAPTER before open. */
  #ready(operation: string): Pool {
    this.#life.assertOpen(operation);
    const pool = this.#pool;
    if (pool === undefined) {
      throw storageErrors.create('E_ADAPTER', `postgres: ${operation}() called before open()`, {
        details: { adapter: 'postgres', operation },
      });
    }
    return pool;
  }

  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw translate(error, operation);
    }
  }

  async #query<R extends object>(operation: string, text: string, values: unknown[]) {
    const pool = this.#ready(operation);
    return this.#run(operation, () => pool.query<R & Record<string, unknown>>(text, values));
  }

  /**
   * Runs `fn` in a READ COMMITTED transaction on one pooled client. `fn` says whether to roll
   * back (refusals) and what to return. The client is destroyed after a connection error.
   */
  async #transaction<T>(
    operation: string,
    fn: (
      client: PoolClient,
      locked: unknown,
    ) => Promise<{ rollback: boolean; value: T; notify?: number }>,
    /** A parameterless statement sent in BEGIN's round trip; its first row goes to `fn`. */
    first?: string,
  ): Promise<T> {
    const pool = operation === 'open' ? (this.#pool as Pool) : this.#ready(operation);
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw translate(error, operation);
    }
    let broken: Error | undefined;
    try {
      let locked: unknown;
      if (first === undefined) {
        await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      } else {
        // Simple-query protocol: both statements in one round trip, one result each.
        const results = (await client.query(
          `BEGIN ISOLATION LEVEL READ COMMITTED; ${first}`,
        )) as unknown as Array<{ rows: unknown[] }>;
        locked = results[1]?.rows[0];
      }
      const { rollback, value, notify } = await fn(client, locked);
      if (rollback) await client.query('ROLLBACK');
      else if (notify === undefined) await client.query('COMMIT');
      // The channel is built from the validated schema name and the payload is an integer.
      else await client.query(`SELECT pg_notify('${this.#channel}', '${notify}'); COMMIT`);
      return value;
    } catch (error) {
      if (isConnectionError(error)) {
        broken = error instanceof Error ? error : new Error(String(error));
      } else {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken =
            rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
      }
      throw translate(error, operation);
    } finally {
      client.release(broken);
    }
  }
}

/**
 * Records as the JSON array `upsertRecords`/`applyPuts` read: `{s, k, v, f, d, b, x}` (space,
 * key, version, format, the document itself, base64 bytes, expiry). Documents are embedded as
 * the JSON text the Store produced, so nothing is serialised twice.
 */
function recordsJson(
  records: ReadonlyArray<{
    space: string;
    key: string;
    version: number;
    format: ValueFormat;
    data: StoredRecord['data'];
    expiresAt: number | null;
  }>,
): string {
  const rows = records.map((r) => {
    const json = r.format === ValueFormat.JSON;
    const expires = expiresParam(r.expiresAt);
    const b = json ? 'null' : `"${Buffer.from(bytesParam(r.data)).toString('base64')}"`;
    return (
      `{"s":${JSON.stringify(r.space)},"k":${JSON.stringify(r.key)},"v":${r.version},"f":${r.format}` +
      `,"d":${json ? jsonText(r.data) : 'null'},"b":${b},"x":${expires === null ? 'null' : expires}}`
    );
  });
  return `[${rows.join(',')}]`;
}

type FinalWrites = Map<string, Map<string, Write>>;

/** The final write per (space, key), in first-appearance order (as the memory adapter). */
function finalWrites(writes: ReadonlyArray<Write>): FinalWrites {
  const final: FinalWrites = new Map();
  for (const w of writes) {
    let m = final.get(w.space);
    if (m === undefined) final.set(w.space, (m = new Map()));
    m.set(w.key, w);
  }
  return final;
}

function claimKey(space: string, index: string, value: Uint8Array): string {
  return `${space}\u0000${index}\u0000${hex(value)}`;
}

/** The memory adapter's `#checkUnique`, with `holderOf` reading the committed claims. */
function uniqueRefusal(
  final: FinalWrites,
  holderOf: (space: string, index: string, value: Uint8Array) => string | undefined,
): CommitRefusal | undefined {
  for (const [space, writes] of final) {
    const claimed = new Map<string, string>();
    for (const [key, w] of writes) {
      if (w.op !== 'put') continue;
      for (const entry of w.indexes) {
        if (!entry.unique) continue;
        const id = `${entry.index}\u0000${hex(entry.value)}`;
        const inBatch = claimed.get(id);
        if (inBatch !== undefined && inBatch !== key) {
          return { reason: 'unique', space, index: entry.index, key, holder: inBatch };
        }
        claimed.set(id, key);
        const holder = holderOf(space, entry.index, entry.value);
        if (holder === undefined || holder === key) continue;
        const holderWrite = writes.get(holder);
        if (holderWrite === undefined)
          return { reason: 'unique', space, index: entry.index, key, holder };
        if (holderWrite.op === 'put') {
          const kept = holderWrite.indexes.find((e) => e.index === entry.index);
          if (kept !== undefined && sameBytes(kept.value, entry.value)) {
            return { reason: 'unique', space, index: entry.index, key, holder };
          }
        }
      }
    }
  }
  return undefined;
}

/** Creates a PostgreSQL adapter (nothing connects until `open()`). */
export function postgresAdapter(options: PostgresAdapterOptions): PostgresAdapter {
  return new PostgresAdapter(options);
}
