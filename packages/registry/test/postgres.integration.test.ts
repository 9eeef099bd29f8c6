import { randomBytes } from 'node:crypto';
import { isPlinthError } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { Registry, memoryBlobStore } from '../src/index.js';

describeWithService('PLINTH_PG_URL', 'two registries over one PostgreSQL (integration)', (url) => {
  let admin: pg.Pool;
  let schema: string;
  let stores: Store[];
  let a: Registry;
  let b: Registry;

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(async () => {
    schema = `plinth_reg_${randomBytes(6).toString('hex')}`;
    stores = [];
    const blobs = memoryBlobStore(); // shared bytes, like one bucket
    const make = async () => {
      const store = await openStore({ adapter: postgresAdapter({ url, schema, poolSize: 4 }) });
      stores.push(store);
      return new Registry({ store, blobs, usageFlushMs: 0, idBlockSize: 4 }).open();
    };
    a = await make();
    b = await make();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    for (const s of stores) await s.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('publishing the same version at once: exactly one wins, the other gets a typed conflict', async () => {
    await a.createArtifact({ artifact: 'ml/model', kind: 'model' });
    for (let round = 0; round < 5; round++) {
      const version = `1.${round}.0`;
      const results = await Promise.allSettled([
        a.publish({ artifact: 'ml/model', version, content: `from-a-${round}` }),
        b.publish({ artifact: 'ml/model', version, content: `from-b-${round}` }),
      ]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r) => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(1);
      const reason = (failed[0] as PromiseRejectedResult).reason;
      expect(isPlinthError(reason, ['E_VERSION_EXISTS', 'E_CONFLICT'])).toBe(true);
    }
    const versions = await a.listVersions('ml/model');
    expect(versions.map((v) => v.revision)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps ids unique and revisions gapless under concurrent publishes from both instances', async () => {
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const reg = i % 2 === 0 ? a : b;
      jobs.push(
        reg.publish({ artifact: `g/art${i % 3}`, kind: 'config', bump: 'patch', content: `c${i}` }),
      );
    }
    await Promise.all(jobs);
    const ids: number[] = [];
    for (let k = 0; k < 3; k++) {
      const vs = await b.listVersions(`g/art${k}`);
      ids.push(...vs.map((v) => v.id));
      expect(vs.map((v) => v.revision).sort((x, y) => x - y)).toEqual(vs.map((_, i) => i + 1));
    }
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });

  it('never loses a tag move made concurrently from two instances', async () => {
    await a.publish({ artifact: 'ml/m', kind: 'model', version: '1.0.0', content: 'x' });
    await a.publish({ artifact: 'ml/m', version: '1.1.0', content: 'y' });
    const moves: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      moves.push((i % 2 === 0 ? a : b).setTag('ml/m', 'prod', i % 3 === 0 ? '1.0.0' : '1.1.0'));
    }
    await Promise.all(moves);
    const history = (await b.tagHistory('ml/m', 'prod')).entries;
    expect(history).toHaveLength(12);
    for (let i = 1; i < history.length; i++) expect(history[i]?.from).toBe(history[i - 1]?.to);
    expect((await a.getArtifact('ml/m')).tags.prod?.version).toBe(history[11]?.to);
  });

  it('sees another instance’s publish through the change feed', async () => {
    await a.publish({ artifact: 'ml/m', kind: 'model', version: '1.0.0', content: 'x' });
    expect((await b.resolve('ml/m@^1')).version).toBe('1.0.0');
    await a.publish({ artifact: 'ml/m', version: '1.1.0', content: 'y' });
    await vi.waitFor(async () => expect((await b.resolve('ml/m@^1')).version).toBe('1.1.0'), {
      timeout: 5000,
    });
    await a.deprecate('ml/m@1.1.0');
    await vi.waitFor(async () => expect((await b.resolve('ml/m@^1')).version).toBe('1.0.0'), {
      timeout: 5000,
    });
  });
});
