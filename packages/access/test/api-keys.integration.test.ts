import { isPlinthError } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiKeys } from '../src/api-keys.js';
import { createScratchDatabase, type ScratchDatabase } from './helpers/postgres.js';

async function reason(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isPlinthError(e, 'E_API_KEY_INVALID'), String(e)).toBe(true);
  return (e as { details: { reason: string } }).details.reason;
}

describeWithService('PLINTH_PG_URL', 'ApiKeys: two instances on one PostgreSQL', (url) => {
  let db: ScratchDatabase;
  let dbUrl: string;
  const stores: Store[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase(url, 'plinth_access_keys');
    dbUrl = db.url;
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await db.drop();
  });

  const instance = async () => {
    const store = await openStore({ adapter: postgresAdapter({ url: dbUrl, poolSize: 3 }) });
    stores.push(store);
    return ApiKeys.open({ store, cacheTtlMs: 3_600_000 });
  };

  describe('cache invalidation through the change feed', () => {
    it('a revocation on A is refused by B, which had the key cached, within a second', async () => {
      const a = await instance();
      const b = await instance();
      const { key, keyId } = await a.create('svc', { scopes: ['jobs:run'] });
      expect((await b.verify(key)).principalId).toBe('svc');
      expect(b.cacheSize).toBe(1);
      const t0 = Date.now();
      await a.revoke(keyId);
      await vi.waitFor(
        async () => {
          expect(await reason(b.verify(key))).toBe('revoked');
        },
        { timeout: 5_000, interval: 10 },
      );
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeLessThan(1_000);
      process.stdout.write(
        `[measure] revocation visible on the other instance after ${elapsed} ms\n`,
      );
      await a.close();
      await b.close();
    });

    it('a rotation on A shortens the cached old key on B to the grace period', async () => {
      const a = await instance();
      const b = await instance();
      const old = await a.create('svc');
      expect((await b.verify(old.key)).expiresAt).toBe(old.expiresAt);
      const next = await a.rotate(old.keyId, { graceMs: 60_000 });
      await vi.waitFor(
        async () => {
          expect((await b.verify(old.key)).expiresAt).toBe(next.previous.graceUntil);
        },
        { timeout: 5_000, interval: 10 },
      );
      expect((await b.verify(next.key)).keyId).toBe(next.keyId);
      await a.close();
      await b.close();
    });
  });

  it('usage counters flushed by both instances add up (compare-and-set, no lost update)', async () => {
    const a = await instance();
    const b = await instance();
    const { key, keyId } = await a.create('svc');
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 7; i++) await a.verify(key);
      for (let i = 0; i < 11; i++) await b.verify(key);
      await Promise.all([a.flush(), b.flush()]);
    }
    expect((await a.get(keyId))?.uses).toBe(5 * 18);
    await a.close();
    await b.close();
  });
});
