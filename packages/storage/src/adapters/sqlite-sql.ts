/**
 * The SQLite adapter's engine layer: the part of the better-sqlite3 API it uses (and loading
 * it), the SQL text, the scan statement shapes with their parameters, and row conversion.
 *
 * Every table name carries the configured prefix. Keys are TEXT and index values BLOB, both
 * compared with the default BINARY collation (memcmp on UTF-8 / raw bytes), which is exactly the
 * code point / byte order the adapter contract requires.
 */
import {
  ValueFormat,
  type CommitRefusal,
  type IndexScan,
  type KeyScan,
  type StoredRecord,
  type Write,
} from '../adapter.js';
import { storageErrors } from '../errors.js';
import { compareBytes, keyPrefixEnd } from '../internal/order.js';

/** The parts of a better-sqlite3 statement the adapter uses. */
export interface SqliteStatement {
  run(...params: unknown[]): { readonly changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The parts of a better-sqlite3 database the adapter uses. */
export interface SqliteDatabase {
  readonly inTransaction: boolean;
  prepare(source: string): SqliteStatement;
  exec(source: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
}

/** A better-sqlite3 compatible `Database` constructor. */
export type SqliteDriver = new (filename: string, options?: { timeout?: number }) => SqliteDatabase;
/** Loads the driver module (default: `import('better-sqlite3')`); its default export is used. */
export type SqliteDriverLoader = () => Promise<unknown>;

function isDriver(value: unknown): value is SqliteDriver {
  return (
    typeof value === 'function' &&
    typeof (value as { prototype?: { prepare?: unknown } }).prototype?.prepare === 'function'
  );
}

/** Resolves the `driver` option to a constructor; a failing import is `E_DRIVER_MISSING`. */
export async function loadDriver(
  driver: SqliteDriver | SqliteDriverLoader | undefined,
): Promise<SqliteDriver> {
  if (isDriver(driver)) return driver;
  const load = driver ?? (() => import('better-sqlite3'));
  const missing = (why: string, cause?: unknown) =>
    storageErrors.create(
      'E_DRIVER_MISSING',
      `the SQLite adapter needs the better-sqlite3 package (${why}): npm install better-sqlite3`,
      { details: { driver: 'better-sqlite3' }, cause },
    );
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (cause) {
    throw missing(cause instanceof Error ? cause.message : String(cause), cause);
  }
  const ctor = (loaded as { default?: unknown } | null)?.default ?? loaded;
  if (!isDriver(ctor)) throw missing('the module does not export a Database constructor');
  return ctor;
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Another connection holds a lock we need. */
export function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(errorCode(error));
}

export interface RecordRow {
  readonly key: string;
  readonly version: number;
  readonly format: number;
  readonly data: string | Uint8Array;
  readonly expires_at: number | null;
}

/** What goes in the `data` column: TEXT for JSON documents, a BLOB otherwise. */
export function toColumn(
  format: ValueFormat,
  data: string | Uint8Array | object,
): string | Uint8Array {
  if (format === ValueFormat.JSON) {
    if (typeof data === 'string') return data;
    if (data instanceof Uint8Array) return Buffer.from(data).toString('utf8');
    return JSON.stringify(data);
  }
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw storageErrors.create('E_INVALID_VALUE', `format ${format} needs bytes, got an object`, {
    details: { format },
  });
}

export function toRecord(row: RecordRow): StoredRecord {
  const format = row.format as ValueFormat;
  let data = row.data;
  if (format === ValueFormat.JSON) {
    if (typeof data !== 'string') data = Buffer.from(data).toString('utf8');
  } else if (typeof data === 'string') {
    data = Buffer.from(data, 'utf8');
  }
  return { key: row.key, version: row.version, format, data, expiresAt: row.expires_at };
}

/** A LIMIT value: SQLite treats a negative one as "no limit". */
export function sqlLimit(limit: number): number {
  const n = Math.ceil(limit);
  return Number.isSafeInteger(n) ? n : -1;
}

/** The last write per (space, key), maps in order of each key's first write (as the memory adapter). */
export function finalWrites(writes: ReadonlyArray<Write>): Map<string, Map<string, Write>> {
  const final = new Map<string, Map<string, Write>>();
  for (const w of writes) {
    let m = final.get(w.space);
    if (m === undefined) final.set(w.space, (m = new Map()));
    m.set(w.key, w);
  }
  return final;
}

/**
 * The unique claims of a batch against the state it leaves behind, with exactly the memory
 * adapter's rules: two final writes of the batch may not claim one value, and a current holder
 * (`holderOf`) blocks unless the batch deletes it or moves it off the value.
 */
export function uniqueClash(
  final: Map<string, Map<string, Write>>,
  holderOf: (space: string, index: string, value: Uint8Array) => string | undefined,
): CommitRefusal | undefined {
  for (const [space, writes] of final) {
    const claimed = new Map<string, string>(); // index + value → key, within the batch
    for (const [key, w] of writes) {
      if (w.op !== 'put') continue;
      for (const entry of w.indexes) {
        if (!entry.unique) continue;
        const { index, value } = entry;
        const claim = `${index}\u0000${Buffer.from(value).toString('latin1')}`;
        const inBatch = claimed.get(claim);
        if (inBatch !== undefined && inBatch !== key) {
          return { reason: 'unique', space, index, key, holder: inBatch };
        }
        claimed.set(claim, key);
        const holder = holderOf(space, index, value);
        if (holder === undefined || holder === key) continue;
        const holderWrite = writes.get(holder);
        const keeps =
          holderWrite?.op === 'put' && holderWrite.indexes.find((e) => e.index === index);
        const kept = holderWrite === undefined || (keeps && compareBytes(keeps.value, value) === 0);
        if (kept) return { reason: 'unique', space, index, key, holder };
      }
    }
  }
  return undefined;
}

/** Bumped when the layout changes; stored in the meta table. */
export const SCHEMA_VERSION = 1;

function schemaSql(p: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${p}records (
  space TEXT NOT NULL,
  key TEXT NOT NULL,
  version INTEGER NOT NULL,
  format INTEGER NOT NULL,
  -- Declared BLOB (no type affinity): JSON text is kept as TEXT, everything else as BLOB.
  data BLOB NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (space, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ${p}records_expiry ON ${p}records (expires_at)
  WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${p}index_entries (
  space TEXT NOT NULL,
  idx TEXT NOT NULL,
  value BLOB NOT NULL,
  key TEXT NOT NULL,
  uniq INTEGER NOT NULL,
  PRIMARY KEY (space, idx, value, key)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS ${p}index_unique ON ${p}index_entries (space, idx, value)
  WHERE uniq = 1;
CREATE INDEX IF NOT EXISTS ${p}index_by_key ON ${p}index_entries (space, key);
CREATE TABLE IF NOT EXISTS ${p}changes (
  seq INTEGER PRIMARY KEY,
  space TEXT NOT NULL,
  key TEXT NOT NULL,
  op TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ${p}meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT OR IGNORE INTO ${p}meta (k, v) VALUES ('seq', 0), ('schema', ${SCHEMA_VERSION});
`;
}

/**
 * Sets the connection's pragmas (WAL journal, `synchronous`, no foreign keys, a short engine
 * busy wait) and creates the tables if needed. Returns the stored schema version.
 */
export function setupDatabase(
  db: SqliteDatabase,
  prefix: string,
  synchronous: 'NORMAL' | 'FULL',
  busyMs: number,
): number {
  db.pragma(`busy_timeout = ${busyMs}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = OFF');
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(schemaSql(prefix));
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return (db.prepare(`SELECT v FROM ${prefix}meta WHERE k = 'schema'`).get() as { v: number }).v;
}

/** The fixed statements, prepared once per connection. */
function statementsSql(p: string) {
  return {
    begin: 'BEGIN',
    beginImmediate: 'BEGIN IMMEDIATE',
    commit: 'COMMIT',
    rollback: 'ROLLBACK',
    getRecord: `SELECT key, version, format, data, expires_at FROM ${p}records WHERE space = ? AND key = ?`,
    putRecord: `INSERT OR REPLACE INTO ${p}records (space, key, version, format, data, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
    deleteRecord: `DELETE FROM ${p}records WHERE space = ? AND key = ?`,
    // INDEXED BY: without ANALYZE statistics SQLite would scan the space's whole primary-key
    // range (every index entry of the collection) instead of seeking (space, key).
    deleteEntries: `DELETE FROM ${p}index_entries INDEXED BY ${p}index_by_key WHERE space = ? AND key = ?`,
    spaceHasEntries: `SELECT 1 AS x FROM ${p}index_entries WHERE space = ? LIMIT 1`,
    insertEntry: `INSERT INTO ${p}index_entries (space, idx, value, key, uniq) VALUES (?, ?, ?, ?, ?)`,
    uniqueHolder: `SELECT key FROM ${p}index_entries WHERE space = ? AND idx = ? AND value = ? AND uniq = 1`,
    insertChange: `INSERT INTO ${p}changes (seq, space, key, op, at) VALUES (?, ?, ?, ?, ?)`,
    readChanges: `SELECT seq, space, key, op, at FROM ${p}changes WHERE seq > ? ORDER BY seq LIMIT ?`,
    truncateChanges: `DELETE FROM ${p}changes WHERE seq <= ?`,
    getSeq: `SELECT v FROM ${p}meta WHERE k = 'seq'`,
    setSeq: `UPDATE ${p}meta SET v = ? WHERE k = 'seq'`,
    spaces: `SELECT DISTINCT space FROM ${p}records ORDER BY space`,
    expired: `SELECT space, key FROM ${p}records WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
  } as const;
}

export type Statements = {
  readonly [K in keyof ReturnType<typeof statementsSql>]: SqliteStatement;
};

export function prepareStatements(db: SqliteDatabase, prefix: string): Statements {
  const prepared: Record<string, SqliteStatement> = {};
  for (const [name, text] of Object.entries(statementsSql(prefix)))
    prepared[name] = db.prepare(text);
  return prepared as Statements;
}

/** One scan as a statement: `id` names its shape (one prepared statement per shape). */
export interface ScanQuery {
  readonly id: string;
  sql(prefix: string): string;
  readonly params: unknown[];
}

/** The scan as SQL, or undefined when it cannot return anything (limit <= 0). */
export function keyScanQuery(scan: KeyScan): ScanQuery | undefined {
  if (!(scan.limit > 0)) return undefined;
  const where = ['space = ?'];
  const params: unknown[] = [scan.space];
  const bound = (condition: string, value: unknown) => {
    where.push(condition);
    params.push(value);
  };
  // gt takes precedence over gte, lt over lte (as in the memory adapter).
  if (scan.gt !== undefined) bound('key > ?', scan.gt);
  else if (scan.gte !== undefined) bound('key >= ?', scan.gte);
  if (scan.lt !== undefined) bound('key < ?', scan.lt);
  else if (scan.lte !== undefined) bound('key <= ?', scan.lte);
  if (scan.prefix !== undefined && scan.prefix !== '') {
    bound('key >= ?', scan.prefix);
    const end = keyPrefixEnd(scan.prefix);
    if (end !== undefined) bound('key < ?', end);
  }
  where.push('(expires_at IS NULL OR expires_at > ?)');
  params.push(scan.now, sqlLimit(scan.limit));
  const dir = scan.reverse ? 'DESC' : 'ASC';
  return {
    id: `k ${where.join(' ')} ${dir}`,
    sql: (p) =>
      `SELECT key, version, format, data, expires_at FROM ${p}records WHERE ${where.join(' AND ')} ORDER BY key ${dir} LIMIT ?`,
    params,
  };
}

export function indexScanQuery(scan: IndexScan): ScanQuery | undefined {
  if (!(scan.limit > 0)) return undefined;
  const where = ['e.space = ?', 'e.idx = ?'];
  const params: unknown[] = [scan.space, scan.index];
  if (scan.gte !== undefined) {
    where.push('e.value >= ?');
    params.push(scan.gte);
  }
  if (scan.lt !== undefined) {
    where.push('e.value < ?');
    params.push(scan.lt);
  }
  if (scan.after !== undefined) {
    // Row-value comparison: strictly after (value, key) in scan direction.
    where.push(`(e.value, e.key) ${scan.reverse ? '<' : '>'} (?, ?)`);
    params.push(scan.after.value, scan.after.key);
  }
  where.push('(r.expires_at IS NULL OR r.expires_at > ?)');
  params.push(scan.now, sqlLimit(scan.limit));
  const dir = scan.reverse ? 'DESC' : 'ASC';
  return {
    id: `i ${where.join(' ')} ${dir}`,
    // CROSS JOIN keeps index_entries as the outer loop, so rows come in (value, key) order.
    sql: (p) =>
      `SELECT e.value AS ivalue, r.key, r.version, r.format, r.data, r.expires_at FROM ${p}index_entries e CROSS JOIN ${p}records r ON r.space = e.space AND r.key = e.key WHERE ${where.join(' AND ')} ORDER BY e.value ${dir}, e.key ${dir} LIMIT ?`,
    params,
  };
}
