import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodec, createKeyring, generateKey, memoryAdapter, openStore } from '@plinth/storage';
import type { Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { defineSuite, type BenchCase, type Measurement } from '../src/harness.js';

/**
 * @plinth/storage against the raw drivers it wraps, on the very tables the adapters create: a
 * SQLite point get vs a better-sqlite3 prepared statement (plus the JSON.parse the caller needs
 * anyway), a 1,000-document SQLite transaction vs a raw better-sqlite3 transaction of INSERTs, a
 * 1,000-document PostgreSQL transaction vs one raw node-postgres multi-row INSERT, and the memory
 * adapter's get vs a plain Map (the ceiling). Codec costs are measurements (µs per KB).
 */

/** A ~1 KB document shaped like a registry record. */
function makeDoc(i: number): Record<string, unknown> {
  return {
    name: `payments/orders-${i}`,
    version: `1.${i % 17}.${i % 5}`,
    owner: { team: 'team-payments', email: `owner-${i % 97}@example.com` },
    labels: { tier: 'gold', region: 'eu-west-1', pii: i % 2 === 0 },
    digest: 'sha256:' + 'ab'.repeat(32),
    size: 1024 + i,
    tags: ['latest', 'stable', 'audited'],
    fields: Array.from({ length: 6 }, (_, f) => ({
      name: `field_${f}`,
      type: f % 3 === 0 ? 'string' : f % 3 === 1 ? 'long' : 'bytes',
      doc: 'a field of the order record, with a description long enough to matter',
    })),
  };
}

const DOC_BYTES = Buffer.byteLength(JSON.stringify(makeDoc(0)));
const GET_KEYS = 4096;
/** SQLite gets cycle over 1 MB of documents: the page cache holds them, so the figures time the
 *  read path rather than the OS page cache. */
const SQLITE_GET_KEYS = 1024;
const key = (i: number) => `doc-${String(i).padStart(7, '0')}`;
/** Built once: the benchmarks time storage, not building documents. */
const DOCS = Array.from({ length: GET_KEYS }, (_, i) => makeDoc(i));
const doc = (i: number) => DOCS[i & (GET_KEYS - 1)] as Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'plinth-bench-storage-'));
const pgUrl = process.env.PLINTH_PG_URL;
const pgSchema = `plinth_bench_${randomBytes(5).toString('hex')}`;
const opened: Store[] = [];
const closers: Array<() => unknown> = [];

async function sqliteCases(): Promise<BenchCase[]> {
  const path = join(dir, 'bench.sqlite');
  const store = await openStore({
    adapter: sqliteAdapter({ path }),
    collections: { docs: {}, load: {} },
    purgeIntervalMs: 0,
  });
  opened.push(store);
  const docs = store.collection('docs');
  await store.transaction(async (tx) => {
    for (let i = 0; i < GET_KEYS; i++) await tx.collection('docs').put(key(i), makeDoc(i));
  });
  // The raw driver on the same file and the same table.
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  closers.push(() => raw.close());
  const select = raw.prepare('SELECT data FROM plinth_records WHERE space = ? AND key = ?');
  const insert = raw.prepare(
    'INSERT INTO plinth_records (space, key, version, format, data, expires_at) VALUES (?, ?, ?, 0, ?, NULL)',
  );
  const insertMany = raw.transaction((from: number, n: number) => {
    for (let i = 0; i < n; i++) {
      insert.run('raw', key(from + i), from + i + 1, JSON.stringify(doc(from + i)));
    }
  });

  let g = 0;
  let sink = 0;
  let oursNext = 0;
  let rawNext = 0;
  const load = () => store.collection('load');
  return [
    {
      name: 'SQLite point get by key (1 KB doc)',
      batch: 1000,
      async verify() {
        const ours = await docs.get(key(7));
        const row = select.get('docs', key(7)) as { data: string };
        if (JSON.stringify(ours?.value) !== JSON.stringify(JSON.parse(row.data))) {
          throw new Error('ours and raw read different documents');
        }
      },
      ours: {
        name: 'store.collection().get()',
        async fn(n) {
          for (let i = 0; i < n; i++) {
            const e = await docs.get(key(g++ & (SQLITE_GET_KEYS - 1)));
            sink += e === undefined ? 0 : 1;
          }
          return sink;
        },
      },
      anchors: [
        {
          name: 'better-sqlite3 prepared get + JSON.parse',
          fn(n) {
            for (let i = 0; i < n; i++) {
              const row = select.get('docs', key(g++ & (SQLITE_GET_KEYS - 1))) as {
                data: string;
              };
              sink += JSON.parse(row.data) === undefined ? 0 : 1;
            }
            return sink;
          },
        },
      ],
      target: { minRatio: 0.6 },
    },
    {
      name: `SQLite insert of ${DOC_BYTES} B docs, 1,000 per transaction`,
      batch: 1000,
      async verify() {
        await store.transaction(async (tx) => {
          for (let i = 0; i < 3; i++) await tx.collection('load').put(`v${i}`, makeDoc(i));
        });
        insertMany(1_000_000_000, 3);
        const ours = (await load().list({ prefix: 'v' })).items.length;
        const rawCount = (
          raw.prepare("SELECT count(*) AS n FROM plinth_records WHERE space = 'raw'").get() as {
            n: number;
          }
        ).n;
        if (ours !== 3 || rawCount !== 3) throw new Error(`inserted ${ours} vs ${rawCount}`);
      },
      ours: {
        name: 'store.transaction(1,000 × put)',
        async fn(n) {
          const from = oursNext;
          oursNext += n;
          await store.transaction(async (tx) => {
            const c = tx.collection('load');
            for (let i = 0; i < n; i++) await c.put(key(from + i), doc(from + i));
          });
        },
      },
      anchors: [
        {
          name: 'better-sqlite3 transaction(1,000 × INSERT)',
          fn(n) {
            const from = rawNext;
            rawNext += n;
            insertMany(from, n);
          },
        },
      ],
      target: { minRatio: 0.6, minOpsPerSec: 100_000 },
    },
  ];
}

async function postgresCases(): Promise<BenchCase[]> {
  if (pgUrl === undefined || pgUrl === '') {
    console.log(
      'storage: skipping "PostgreSQL batched insert": PLINTH_PG_URL is not set (CI sets it)',
    );
    return [];
  }
  const store = await openStore({
    adapter: postgresAdapter({ url: pgUrl, schema: pgSchema, poolSize: 4 }),
    collections: { load: {} },
    purgeIntervalMs: 0,
  });
  opened.push(store);
  const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
  closers.push(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
    await pool.end();
  });
  const rawInsert = async (from: number, n: number) => {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = values.length;
      rows.push(`($${p + 1}, $${p + 2}, $${p + 3}, 0, $${p + 4}::jsonb)`);
      values.push('raw', key(from + i), from + i + 1, JSON.stringify(doc(from + i)));
    }
    await pool.query(
      `INSERT INTO "${pgSchema}".records (space, key, version, format, doc) VALUES ${rows.join(', ')}`,
      values,
    );
  };
  let oursNext = 0;
  let rawNext = 0;
  return [
    {
      name: `PostgreSQL batched insert of ${DOC_BYTES} B docs, 1,000 per transaction`,
      batch: 1000,
      async verify() {
        await store.transaction(async (tx) => {
          for (let i = 0; i < 3; i++) await tx.collection('load').put(`v${i}`, makeDoc(i));
        });
        await rawInsert(1_000_000_000, 3);
        const { rows } = await pool.query<{ space: string; n: string }>(
          `SELECT space, count(*) AS n FROM "${pgSchema}".records GROUP BY space ORDER BY space`,
        );
        const counts = rows.map((r) => `${r.space}=${r.n}`).join(',');
        if (counts !== 'load=3,raw=3') throw new Error(`inserted ${counts}`);
      },
      ours: {
        name: 'store.transaction(1,000 × put)',
        async fn(n) {
          const from = oursNext;
          oursNext += n;
          await store.transaction(async (tx) => {
            const c = tx.collection('load');
            for (let i = 0; i < n; i++) await c.put(key(from + i), doc(from + i));
          });
        },
      },
      anchors: [
        {
          name: 'node-postgres multi-row INSERT (1,000 rows)',
          async fn(n) {
            const from = rawNext;
            rawNext += n;
            await rawInsert(from, n);
          },
        },
      ],
      target: { minRatio: 0.7 },
    },
  ];
}

async function memoryCases(): Promise<BenchCase[]> {
  const store = await openStore({
    adapter: memoryAdapter(),
    collections: { docs: {} },
    purgeIntervalMs: 0,
  });
  opened.push(store);
  const docs = store.collection('docs');
  const map = new Map<string, unknown>();
  const keys = Array.from({ length: GET_KEYS }, (_, i) => key(i));
  for (let i = 0; i < GET_KEYS; i++) {
    const e = await docs.put(keys[i] as string, makeDoc(i));
    map.set(keys[i] as string, e.value);
  }
  let g = 0;
  let sink = 0;
  return [
    {
      name: 'memory adapter get by key',
      batch: 10_000,
      async verify() {
        const e = await docs.get(keys[5] as string);
        if (
          e?.value !== map.get(keys[5] as string) &&
          JSON.stringify(e?.value) !== JSON.stringify(map.get(keys[5] as string))
        ) {
          throw new Error('different documents');
        }
      },
      ours: {
        name: 'store.collection().get()',
        async fn(n) {
          for (let i = 0; i < n; i++) {
            const e = await docs.get(keys[g++ & (GET_KEYS - 1)] as string);
            sink += e === undefined ? 0 : 1;
          }
          return sink;
        },
      },
      anchors: [
        {
          name: 'Map.get (the ceiling, no versions or checks)',
          fn(n) {
            for (let i = 0; i < n; i++) {
              sink += map.get(keys[g++ & (GET_KEYS - 1)] as string) === undefined ? 0 : 1;
            }
            return sink;
          },
        },
        {
          name: 'await Promise.resolve(Map.get) (the async ceiling)',
          async fn(n) {
            for (let i = 0; i < n; i++) {
              const v = await Promise.resolve(map.get(keys[g++ & (GET_KEYS - 1)] as string));
              sink += v === undefined ? 0 : 1;
            }
            return sink;
          },
        },
      ],
      target: { minOpsPerSec: 5_000_000 },
    },
  ];
}

/** µs per KB of encode + decode of `plain`, repeated for about `budgetMs`. */
function perKb(codec: ReturnType<typeof createCodec>, plain: Uint8Array, budgetMs: number): number {
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    const envelope = codec.encode(plain, 0, 'docs\u0000k');
    codec.decode(envelope, 'docs\u0000k');
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e3;
  } while (elapsed < budgetMs * 1000);
  return elapsed / runs / (plain.length / 1024);
}

export default defineSuite({
  name: 'storage',
  description:
    '@plinth/storage against the raw drivers on the tables its adapters create, one process: ' +
    'SQLite point get vs a better-sqlite3 prepared statement + JSON.parse; a 1,000-document ' +
    'SQLite transaction vs a raw better-sqlite3 transaction of INSERTs; a 1,000-document ' +
    'PostgreSQL transaction vs one node-postgres multi-row INSERT; memory get vs Map.get. Codec ' +
    'costs (gzip, brotli, AES-256-GCM) are measured per KB of a JSON document.',
  async cases() {
    return [...(await memoryCases()), ...(await sqliteCases()), ...(await postgresCases())];
  },
  measurements(settings) {
    const budget = settings.smoke ? 5 : 300;
    const text = Buffer.from(
      JSON.stringify(Array.from({ length: 16 }, (_, i) => makeDoc(i))),
      'utf8',
    );
    const plain = new Uint8Array(text);
    const keyring = createKeyring({ active: { id: 'k1', key: generateKey() } });
    const kb = `${(plain.length / 1024).toFixed(1)} KB JSON, encode + decode`;
    const out: Measurement[] = [];
    for (const [name, codec] of [
      [
        'gzip (level 6) per KB',
        createCodec({ compression: { algorithm: 'gzip', thresholdBytes: 0 } }),
      ],
      [
        'brotli (quality 4) per KB',
        createCodec({ compression: { algorithm: 'brotli', thresholdBytes: 0 } }),
      ],
      ['AES-256-GCM encryption per KB', createCodec({ encryption: { keyring } })],
      [
        'gzip + AES-256-GCM per KB',
        createCodec({
          compression: { algorithm: 'gzip', thresholdBytes: 0 },
          encryption: { keyring },
        }),
      ],
    ] as const) {
      out.push({ name, value: perKb(codec, plain, budget), unit: 'µs', note: kb });
    }
    const gz = createCodec({ compression: { algorithm: 'gzip', thresholdBytes: 0 } });
    out.push({
      name: 'gzip size of a 1 KB doc × 16',
      value: (100 * gz.encode(plain, 0, 'a').length) / plain.length,
      unit: '%',
      note: `${plain.length} B plain`,
    });
    return out;
  },
  async teardown() {
    for (const store of opened.splice(0)) await store.close();
    for (const close of closers.splice(0)) await close();
    rmSync(dir, { recursive: true, force: true });
  },
});
