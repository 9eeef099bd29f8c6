import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll } from 'vitest';
import { postgresAdapter } from '../src/adapters/postgres.js';
import { sqliteAdapter } from '../src/adapters/sqlite.js';
import { runStorageConformanceSuite } from '../src/testing/store-suite.js';
import type { RestoreTarget, StorageSuiteFixture } from '../src/testing/index.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'plinth-store-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const worker = fileURLToPath(new URL('./fixtures/store-worker.ts', import.meta.url));
let files = 0;

function sqliteFixture(): StorageSuiteFixture {
  const path = join(dir, `store-${files++}.sqlite`);
  return {
    // Every adapter is a new connection to the same file; polling announces other connections'
    // commits to watch().
    adapter: () => sqliteAdapter({ path, pollIntervalMs: 10 }),
    destroy: async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    },
    // Another OS process on the same file.
    increment: async (key, times) => {
      await run(
        process.execPath,
        [
          '--conditions=@plinth/source',
          '--import',
          'tsx',
          worker,
          'increment',
          path,
          key,
          String(times),
        ],
        { timeout: 60_000 },
      );
    },
  };
}

// SQLite → PostgreSQL and back, when the server is there (CI sets PLINTH_PG_URL).
const pgUrl = process.env.PLINTH_PG_URL;
const restoreTargets: RestoreTarget[] = [];
if (pgUrl !== undefined && pgUrl !== '') {
  restoreTargets.push({
    name: 'postgres',
    async fixture() {
      const schema = `plinth_r_${randomBytes(6).toString('hex')}`;
      return {
        adapter: () => postgresAdapter({ url: pgUrl, schema, poolSize: 2 }),
        destroy: async () => {
          const admin = new pg.Client({ connectionString: pgUrl });
          await admin.connect();
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await admin.end();
        },
      };
    },
  });
}

runStorageConformanceSuite({
  name: 'sqlite',
  fixture: async () => sqliteFixture(),
  restoreTargets,
});
