/**
 * SQL text of the PostgreSQL adapter. Everything lives in one schema (validated as a plain
 * lower-case identifier before it gets here). Keys, spaces and index names are `text COLLATE "C"`
 * (UTF-8 byte order = code point order) and index values are `bytea` (memcmp order), as the
 * adapter contract requires.
 *
 * Bulk writes pass one array parameter per column and expand them with `unnest`, so a batch is a
 * fixed number of statements whatever its size.
 */
import type { IndexScan, KeyScan } from '../adapter.js';
import { keyPrefixEnd } from '../internal/order.js';

/** Two-key advisory lock class for schema creation ('plnt'). */
export const ADVISORY_LOCK_CLASS = 0x706c6e74;

/** 32-bit FNV-1a of the schema name, as a signed int4 (the advisory lock's object id). */
export function schemaLockId(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    h ^= schema.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** The LISTEN/NOTIFY channel of a schema. */
export function channelName(schema: string): string {
  return `plinth_changes.${schema}`;
}

/** Quotes an identifier (the schema and channel are validated; this is belt and braces). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Columns of a record row, in the order `toRecord` expects. */
const RECORD_COLUMNS = 'r.key, r.version, r.format, r.doc, r.data, r.expires_at';

export interface SqlQuery {
  readonly text: string;
  readonly values: unknown[];
}

/** Builds the statements of one schema. */
export function sqlFor(schema: string) {
  const s = quoteIdent(schema);
  const records = `${s}.records`;
  const entries = `${s}.index_entries`;
  const changes = `${s}.changes`;
  const meta = `${s}.meta`;

  return {
    /** Run inside a transaction holding the schema's advisory lock. Idempotent. */
    ddl: `
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${records} (
        space text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        version bigint NOT NULL,
        format smallint NOT NULL,
        doc jsonb NULL,
        data bytea NULL,
        expires_at bigint NULL,
        PRIMARY KEY (space, key)
      );
      CREATE INDEX IF NOT EXISTS records_expiry ON ${records} (expires_at)
        WHERE expires_at IS NOT NULL;
      CREATE TABLE IF NOT EXISTS ${entries} (
        space text COLLATE "C" NOT NULL,
        idx text COLLATE "C" NOT NULL,
        value bytea NOT NULL,
        key text COLLATE "C" NOT NULL,
        uniq boolean NOT NULL,
        PRIMARY KEY (space, idx, value, key)
      );
      CREATE UNIQUE INDEX IF NOT EXISTS index_entries_unique ON ${entries} (space, idx, value)
        WHERE uniq;
      CREATE INDEX IF NOT EXISTS index_entries_by_key ON ${entries} (space, key);
      CREATE TABLE IF NOT EXISTS ${changes} (
        seq bigint PRIMARY KEY,
        space text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        op text NOT NULL,
        at bigint NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ${meta} (
        id int PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL
      );
      INSERT INTO ${meta} (id, seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;`,

    /** The DDL below commits as one transaction, so `meta` existing means everything does. */
    isReady: `SELECT to_regclass('${s}.meta') IS NOT NULL AS ready`,

    advisoryLock: `SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_CLASS}, ${schemaLockId(schema)})`,

    /** The global commit lock: takes `$1` sequence numbers and returns the last one. */
    reserveSeq: `UPDATE ${meta} SET seq = seq + $1 WHERE id = 1 RETURNING seq`,
    /** Waits for in-flight commits and blocks new ones (read-only checks). */
    /** `reserveSeq` with the count inlined (it runs in BEGIN's simple-query round trip). */
    reserveSeqLiteral: (count: number) =>
      `UPDATE ${meta} SET seq = seq + ${Math.trunc(count)} WHERE id = 1 RETURNING seq`,
    lockSeqShared: `SELECT seq FROM ${meta} WHERE id = 1 FOR SHARE`,
    lockSeq: `SELECT seq FROM ${meta} WHERE id = 1 FOR UPDATE`,
    setSeq: `UPDATE ${meta} SET seq = $1 WHERE id = 1`,
    raiseSeq: `UPDATE ${meta} SET seq = greatest(seq, $1) WHERE id = 1`,
    lastSeq: `SELECT seq FROM ${meta} WHERE id = 1`,

    get: `SELECT ${RECORD_COLUMNS} FROM ${records} r WHERE r.space = $1 AND r.key = $2`,

    /** Current versions and expiries of (space[], key[]) pairs; `i` is the 1-based position. */
    recordVersions: `
      SELECT c.i, r.version, r.expires_at
      FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(space, key, i)
      JOIN ${records} r ON r.space = c.space AND r.key = c.key`,

    /** Current holders of unique claims (space[], idx[], value[]). */
    uniqueHolders: `
      SELECT c.i, e.key
      FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS c(space, idx, value, i)
      JOIN ${entries} e ON e.space = c.space AND e.idx = c.idx AND e.value = c.value AND e.uniq`,

    deleteRecords: `
      DELETE FROM ${records} r USING unnest($1::text[], $2::text[]) AS d(space, key)
      WHERE r.space = d.space AND r.key = d.key`,

    deleteEntries: `
      DELETE FROM ${entries} e USING unnest($1::text[], $2::text[]) AS d(space, key)
      WHERE e.space = d.space AND e.key = d.key`,

    /**
     * Records as ONE jsonb array of `{s, k, v, f, d, b, x}` (space, key, version, format, the
     * document itself, base64 bytes, expiry); keys distinct. A single JSON parameter is parsed
     * by the server in one pass, where text[] parameters of documents would be escaped value by
     * value on the client and parsed again as array literals.
     */
    upsertRecords: `
      INSERT INTO ${records} (space, key, version, format, doc, data, expires_at)
      SELECT w.s, w.k, w.v, w.f, w.d, decode(w.b, 'base64'), w.x
      FROM json_to_recordset($1::json)
        AS w(s text, k text, v bigint, f smallint, d jsonb, b text, x bigint)
      ON CONFLICT (space, key) DO UPDATE SET
        version = EXCLUDED.version, format = EXCLUDED.format, doc = EXCLUDED.doc,
        data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,

    /**
     * A commit's writes in one statement: the index entries of the final keys `($1, $2)` go, the
     * changes `($3..$6)` at time `$7` are appended, and the records of `$8` (as `upsertRecords`)
     * are upserted. New entries are inserted by a later statement, which sees the deletion.
     */
    applyPuts: `
      WITH gone AS (
        DELETE FROM ${entries} e USING unnest($1::text[], $2::text[]) AS d(space, key)
        WHERE e.space = d.space AND e.key = d.key
      ), feed AS (
        INSERT INTO ${changes} (seq, space, key, op, at)
        SELECT c.seq, c.space, c.key, c.op, $7::bigint
        FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) AS c(seq, space, key, op)
      )
      INSERT INTO ${records} (space, key, version, format, doc, data, expires_at)
      SELECT w.s, w.k, w.v, w.f, w.d, decode(w.b, 'base64'), w.x
      FROM json_to_recordset($8::json)
        AS w(s text, k text, v bigint, f smallint, d jsonb, b text, x bigint)
      ON CONFLICT (space, key) DO UPDATE SET
        version = EXCLUDED.version, format = EXCLUDED.format, doc = EXCLUDED.doc,
        data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,

    /** (space, idx, value, key, uniq) arrays. A clash on the partial unique index raises 23505. */
    insertEntries: `
      INSERT INTO ${entries} (space, idx, value, key, uniq)
      SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::boolean[])
      ON CONFLICT (space, idx, value, key) DO NOTHING`,

    /** (seq, space, key, op) arrays and the commit time `$5`. */
    insertChanges: `
      INSERT INTO ${changes} (seq, space, key, op, at)
      SELECT c.seq, c.space, c.key, c.op, $5::bigint
      FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS c(seq, space, key, op)`,

    notify: `SELECT pg_notify($1, $2)`,

    readChanges: `SELECT seq, space, key, op, at FROM ${changes} WHERE seq > $1 ORDER BY seq LIMIT $2`,

    truncateChanges: `DELETE FROM ${changes} WHERE seq <= $1`,

    /** Distinct spaces by skip scan over the primary key (one index probe per space). */
    spaces: `
      WITH RECURSIVE s(space) AS (
        (SELECT space FROM ${records} ORDER BY space LIMIT 1)
        UNION ALL
        SELECT (SELECT r.space FROM ${records} r WHERE r.space > s.space ORDER BY r.space LIMIT 1)
        FROM s WHERE s.space IS NOT NULL
      )
      SELECT space FROM s WHERE space IS NOT NULL`,

    /** Up to `$2` records expired at `$1`, soonest first. */
    expired: `
      SELECT space, key FROM ${records}
      WHERE expires_at <= $1
      ORDER BY expires_at, space, key
      LIMIT $2
      FOR UPDATE`,

    /** A key scan; the same text serves reads and commit-time scan checks. */
    scanKeys(scan: KeyScan): SqlQuery {
      const values: unknown[] = [scan.space];
      const where = ['r.space = $1'];
      const param = (v: unknown) => {
        values.push(v);
        return `$${values.length}`;
      };
      // `gt` takes precedence over `gte`, `lt` over `lte`; a prefix narrows further.
      if (scan.gt !== undefined) where.push(`r.key > ${param(scan.gt)}`);
      else if (scan.gte !== undefined) where.push(`r.key >= ${param(scan.gte)}`);
      if (scan.lt !== undefined) where.push(`r.key < ${param(scan.lt)}`);
      else if (scan.lte !== undefined) where.push(`r.key <= ${param(scan.lte)}`);
      if (scan.prefix !== undefined && scan.prefix !== '') {
        where.push(`r.key >= ${param(scan.prefix)}`);
        const end = keyPrefixEnd(scan.prefix);
        if (end !== undefined) where.push(`r.key < ${param(end)}`);
      }
      where.push(`(r.expires_at IS NULL OR r.expires_at > ${param(nowParam(scan.now))})`);
      const dir = scan.reverse ? 'DESC' : 'ASC';
      const text = `SELECT ${RECORD_COLUMNS} FROM ${records} r WHERE ${where.join(' AND ')}
        ORDER BY r.key ${dir} LIMIT ${param(limitParam(scan.limit))}`;
      return { text, values };
    },

    /** An index scan ordered by (value, key); the same text serves reads and scan checks. */
    scanIndex(scan: IndexScan): SqlQuery {
      const values: unknown[] = [scan.space, scan.index];
      const where = ['e.space = $1', 'e.idx = $2'];
      const param = (v: unknown) => {
        values.push(v);
        return `$${values.length}`;
      };
      if (scan.gte !== undefined) where.push(`e.value >= ${param(scan.gte)}::bytea`);
      if (scan.lt !== undefined) where.push(`e.value < ${param(scan.lt)}::bytea`);
      if (scan.after !== undefined) {
        // Whole-key row comparison so the primary key index bounds the scan.
        const op = scan.reverse ? '<' : '>';
        const v = param(scan.after.value);
        const k = param(scan.after.key);
        where.push(`(e.space, e.idx, e.value, e.key) ${op} ($1, $2, ${v}::bytea, ${k})`);
      }
      where.push(`(r.expires_at IS NULL OR r.expires_at > ${param(nowParam(scan.now))})`);
      const dir = scan.reverse ? 'DESC' : 'ASC';
      const text = `SELECT e.value AS ivalue, ${RECORD_COLUMNS}
        FROM ${entries} e JOIN ${records} r ON r.space = e.space AND r.key = e.key
        WHERE ${where.join(' AND ')}
        ORDER BY e.value ${dir}, e.key ${dir} LIMIT ${param(limitParam(scan.limit))}`;
      return { text, values };
    },
  };
}

export type PostgresSql = ReturnType<typeof sqlFor>;

/**
 * Times are stored as bigint milliseconds. `expiresAt <= now` is the expiry test; storing
 * `ceil(expiresAt)` and comparing with `floor(now)` keeps it exact for whole milliseconds and
 * never reports a record expired early.
 */
export function nowParam(now: number): number {
  // ±Infinity ("whatever the expiry", as backups scan) is outside bigint: clamp it.
  if (!Number.isFinite(now)) return now > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  return Math.floor(now);
}

/**
 * A scan/purge limit as the memory adapter counts it (`while (n < limit)`): fractions round up,
 * Infinity is no limit (`LIMIT NULL`).
 */
export function limitParam(limit: number, round: (n: number) => number = Math.ceil): number | null {
  return Number.isFinite(limit) ? round(limit) : null;
}

export function expiresParam(expiresAt: number | null): number | null {
  return expiresAt === null ? null : Math.ceil(expiresAt);
}
