import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { ManualClock } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { storageBus, storageL2 } from '../../src/adapters/storage.js';
import { Cache } from '../../src/index.js';
import { runL2ConformanceSuite } from '../../src/testing/index.js';

// `pg` is @plinth/storage's driver; borrow it (from storage's own dependencies) to drop schemas.
const pg = createRequire(createRequire(import.meta.url).resolve('@plinth/storage/package.json'))(
  'pg',
) as {
  Pool: new (o: { connectionString: string; max: number }) => {
    query(sql: string): Promise<unknown>;
    end(): Promise<void>;
    on(e: string, f: () => void): void;
  };
};

describeWithService('PLINTH_PG_URL', 'storage L2 and bus on PostgreSQL', (url) => {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  admin.on('error', () => {});
  const schemas: string[] = [];
  const stores: Store[] = [];
  const open = async (schema: string, clock?: ManualClock) => {
    const store = await openStore({
      adapter: postgresAdapter({ url, schema, poolSize: 2 }),
      purgeIntervalMs: 0,
      ...(clock && { clock }),
    });
    stores.push(store);
    return store;
  };
  const fresh = () => {
    const schema = `plinth_cache_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  runL2ConformanceSuite({
    name: 'storageL2 (PostgreSQL)',
    async create() {
      const clock = new ManualClock(Date.now());
      const store = await open(fresh(), clock);
      return { adapter: storageL2({ store }), advance: async (ms) => void clock.advance(ms) };
    },
  });

  describe('storageBus over LISTEN/NOTIFY', () => {
    it('two instances (two stores on one database): a delete on one reaches the other’s L1', async () => {
      const schema = fresh();
      const s1 = await open(schema);
      const s2 = await open(schema);
      const a = new Cache({ l2: storageL2({ store: s1 }), bus: storageBus({ store: s1 }) });
      const b = new Cache({ l2: storageL2({ store: s2 }), bus: storageBus({ store: s2 }) });
      await a.connect();
      await b.connect();
      await a.set('k', { v: 1 });
      expect(await b.get('k')).toEqual({ v: 1 });
      expect(b.getSync('k')).toEqual({ v: 1 });
      const landed = b.next('bus:received', {
        filter: (e) => e.message.type === 'delete' && e.message.keys.includes('k'),
      });
      await a.delete('k');
      await landed;
      expect(b.getSync('k')).toBeUndefined();
      expect(await b.get('k')).toBeUndefined();
      await a.close();
      await b.close();
    });
  });
});
