import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithService } from '@plinth/core/testing';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { postgresAdapter } from '../src/adapters/postgres.js';
import { sqliteAdapter } from '../src/adapters/sqlite.js';
import { runStorageConformanceSuite } from '../src/testing/store-suite.js';

describeWithService('PLINTH_PG_URL', 'Store on PostgreSQL (integration)', (url) => {
  let admin: pg.Pool;
  const dir = mkdtempSync(join(tmpdir(), 'plinth-store-pg-'));
  let files = 0;
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  // A fresh schema per test; every adapter of a test is another instance (own pool) on it, so
  // the races in the suite are between Store instances sharing one database.
  runStorageConformanceSuite({
    name: 'postgres',
    async fixture() {
      const schema = `plinth_s_${randomBytes(6).toString('hex')}`;
      return {
        adapter: () => postgresAdapter({ url, schema, poolSize: 4 }),
        destroy: async () => {
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        },
      };
    },
    // PostgreSQL → SQLite and back.
    restoreTargets: [
      {
        name: 'sqlite',
        async fixture() {
          const path = join(dir, `target-${files++}.sqlite`);
          return {
            adapter: () => sqliteAdapter({ path }),
            destroy: async () => {
              for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
            },
          };
        },
      },
    ],
  });
});
