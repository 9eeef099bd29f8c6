import { ManualClock, isPlinthError } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RecoveryCodes } from '../src/recovery-codes.js';
import { Throttle } from '../src/throttle.js';
import { Totp, generateTotp } from '../src/totp.js';
import { createScratchDatabase, type ScratchDatabase } from './helpers/postgres.js';

describeWithService(
  'PLINTH_PG_URL',
  'TOTP and recovery codes: two instances on one PostgreSQL',
  (url) => {
    let db: ScratchDatabase;
    let dbUrl: string;
    const stores: Store[] = [];
    const clock = new ManualClock(Date.UTC(2026, 0, 1));

    beforeAll(async () => {
      db = await createScratchDatabase(url, 'plinth_access_mfa');
      dbUrl = db.url;
    });
    afterAll(async () => {
      for (const s of stores) await s.close();
      await db.drop();
    });

    const storeOf = async () => {
      const store = await openStore({ adapter: postgresAdapter({ url: dbUrl, poolSize: 4 }) });
      stores.push(store);
      // Replays count as failures; a high limit keeps this test about the race, not the lockout.
      const throttle = await Throttle.open({
        store,
        clock,
        rules: { mfa: { maxFailures: 100_000 } },
      });
      return { store, throttle };
    };

    it('one TOTP code presented to both instances at once is accepted exactly once, every time', async () => {
      const a = await storeOf();
      const b = await storeOf();
      const ta = await Totp.open({ ...a, clock });
      const tb = await Totp.open({ ...b, clock });
      const { secret } = await ta.enroll('alice');
      await ta.confirm('alice', generateTotp(secret, clock.now()));
      for (let round = 0; round < 15; round++) {
        clock.advance(30_000);
        const code = generateTotp(secret, clock.now());
        const results = await Promise.allSettled([
          ta.verify('alice', code),
          tb.verify('alice', code),
        ]);
        const ok = results.filter((r) => r.status === 'fulfilled');
        expect(ok).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(isPlinthError(lost.reason, 'E_MFA_INVALID')).toBe(true);
        expect((lost.reason as { details: { reason: string } }).details.reason).toBe('replayed');
      }
    });

    it('one recovery code used on both instances at once is accepted exactly once', async () => {
      const a = await storeOf();
      const b = await storeOf();
      const ra = await RecoveryCodes.open({ ...a, clock });
      const rb = await RecoveryCodes.open({ ...b, clock });
      const set = await ra.generate('bob');
      for (const code of set) {
        const results = await Promise.allSettled([ra.use('bob', code), rb.use('bob', code)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect((lost.reason as { details: { reason: string } }).details.reason).toBe('used');
      }
      expect(await rb.remaining('bob')).toBe(0);
    });
  },
);
