import { describe, expect, it } from 'vitest';
import { ValueFormat } from '../../adapter.js';
import { createKeyring, generateKey } from '../../codecs/keyring.js';
import type { StoreChange } from '../../types.js';
import { code, waitFor, type SuiteContext, type User } from './context.js';

/**
 * Isolation (every adapter is serializable through the Store's optimistic commit checks),
 * rollback, feed resume across instances, TTL sweeps on the manual clock, AAD binding and the
 * closed store.
 */
export function isolationAndFeedCases(ctx: SuiteContext): void {
  const open = ctx.open;

  describe('isolation (serializable on every adapter)', () => {
    it('prevents write skew: of two transactions that read both records and write one, one fails', async () => {
      const a = await open();
      const b = await open();
      const notes = a.collection<{ on: boolean }>('notes');
      await notes.put('x', { on: true });
      await notes.put('y', { on: true });
      // Rule: at least one of x, y stays on. Each transaction checks it and turns one off.
      let release: () => void = () => {};
      const bothRead = new Promise<void>((resolve) => {
        let n = 0;
        release = () => {
          if (++n === 2) resolve();
        };
      });
      const turnOff = (store: typeof a, mine: string) =>
        store.transaction(async (tx) => {
          const c = tx.collection<{ on: boolean }>('notes');
          const on = [(await c.get('x'))?.value.on, (await c.get('y'))?.value.on];
          release();
          await bothRead;
          if (on.filter(Boolean).length === 2) await c.put(mine, { on: false });
        });
      const results = await Promise.allSettled([turnOff(a, 'x'), turnOff(b, 'y')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(failed.reason).toMatchObject({ code: 'E_CONFLICT', retryable: true });
      const x = (await notes.get('x'))?.value.on;
      const y = (await notes.get('y'))?.value.on;
      expect([x, y].filter(Boolean)).toHaveLength(1);
    });

    it('a read-only transaction that saw a torn view fails instead of returning it', async () => {
      const a = await open();
      const b = await open();
      await a.collection('notes').put('from', { n: 10 });
      await a.collection('notes').put('to', { n: 0 });
      const read = a.transaction(async (tx) => {
        const from = (await tx.collection<{ n: number }>('notes').get('from'))?.value.n ?? 0;
        // A transfer commits between the two reads.
        await b.transaction(async (t2) => {
          await t2.collection('notes').put('from', { n: 5 });
          await t2.collection('notes').put('to', { n: 5 });
        });
        const to = (await tx.collection<{ n: number }>('notes').get('to'))?.value.n ?? 0;
        return from + to;
      });
      expect(await code(read)).toBe('E_CONFLICT');
      const again = await a.transaction(async (tx) => {
        const c = tx.collection<{ n: number }>('notes');
        return ((await c.get('from'))?.value.n ?? 0) + ((await c.get('to'))?.value.n ?? 0);
      });
      expect(again).toBe(10);
    });

    it('a unique violation inside a transaction rolls back all of it, feed included', async () => {
      const store = await open();
      const users = store.collection<User>('users');
      await users.put('a', { email: 'taken@x.io', age: 1 });
      const seq = await store.lastSeq();
      const result = store.transaction(async (tx) => {
        await tx.collection('notes').put('side', { effect: true });
        await tx.kv.set('side', 'effect');
        await tx.collection<User>('users').put('b', { email: 'taken@x.io', age: 2 });
      });
      expect(await code(result)).toBe('E_UNIQUE_VIOLATION');
      expect(await store.collection('notes').get('side')).toBeUndefined();
      expect(await store.kv.get('side')).toBeUndefined();
      expect(await store.lastSeq()).toBe(seq);
      expect((await store.changes({ after: seq })).changes).toEqual([]);
    });
  });

  describe('feed resume and TTL sweeps', () => {
    it('a watcher resumes from a cursor across instances, in commit order, without gaps', async () => {
      const a = await open();
      const b = await open();
      for (let i = 0; i < 5; i++) await (i % 2 ? b : a).collection('notes').put(`p${i}`, { i });
      const { cursor } = await a.changes({ limit: 2 });
      const seen: StoreChange[] = [];
      const stop = await b.watch((c) => void seen.push(c), { after: cursor });
      await waitFor(() => seen.length >= 3);
      await b.collection('notes').put('p5', { i: 5 });
      await waitFor(() => seen.length >= 4);
      await stop();
      expect(seen.map((c) => c.key)).toEqual(['p2', 'p3', 'p4', 'p5']);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.seq).toBe(seen[i - 1]!.seq + 1);
      expect(seen[0]!.seq).toBe(cursor + 1);
    });

    it('the background sweep deletes expired entries as the manual clock passes', async () => {
      const store = await open({ purgeIntervalMs: 1000 });
      const expired: number[] = [];
      store.on('kv:expired', (e) => expired.push(e.count));
      await store.kv.set('short', 's', { ttlMs: 500 });
      await store.kv.set('long', 'l', { ttlMs: 5000 });
      await store.kv.set('forever', 'f');
      const seq = await store.lastSeq();
      ctx.clock.advance(1000);
      await waitFor(() => expired.length >= 1);
      expect((await store.changes({ after: seq })).changes.map((c) => [c.key, c.op])).toEqual([
        ['short', 'delete'],
      ]);
      ctx.clock.advance(4000);
      await waitFor(() => expired.length >= 2);
      expect((await store.kv.list()).items.map((e) => e.key)).toEqual(['forever']);
      expect(expired).toEqual([1, 1]);
    });

    it('an expired entry is absent inside transactions too, and can be claimed with ifAbsent', async () => {
      const store = await open();
      await store.kv.set('lock', 'holder-1', { ttlMs: 100 });
      expect(await code(store.kv.set('lock', 'holder-2', { ifAbsent: true }))).toBe('E_CONFLICT');
      ctx.clock.advance(100);
      await store.transaction(async (tx) => {
        expect(await tx.kv.get('lock')).toBeUndefined();
        await tx.kv.set('lock', 'holder-2', { ifAbsent: true, ttlMs: 100 });
      });
      expect((await store.kv.get('lock'))?.value).toBe('holder-2');
    });
  });

  describe('codec binding and closed stores', () => {
    it('refuses an encrypted value moved to another record (associated data), never garbage', async () => {
      const keyring = createKeyring({ active: { id: 'k1', key: generateKey() } });
      const store = await open({ codecs: { encryption: { keyring } } });
      await store.collection('notes').put('alice', { secret: 'a' });
      const raw = await store.adapter.get('notes', 'alice');
      expect(raw?.format).toBe(ValueFormat.ENVELOPE);
      const moved = await store.adapter.commit({
        checks: [],
        now: ctx.clock.now(),
        writes: [
          {
            op: 'put',
            space: 'notes',
            key: 'mallory',
            format: raw!.format,
            data: raw!.data,
            expiresAt: null,
            indexes: [],
          },
        ],
      });
      expect('firstSeq' in moved).toBe(true);
      expect(await code(store.collection('notes').get('mallory'))).toBe('E_DECRYPT');
      expect((await store.collection('notes').get('alice'))?.value).toEqual({ secret: 'a' });
    });

    it('refuses every operation of a closed store with E_CLOSED, and unknown names inside transactions', async () => {
      const store = await open();
      expect(await code(store.transaction(async (tx) => tx.collection('nope')))).toBe(
        'E_UNKNOWN_COLLECTION',
      );
      await store.close();
      const calls: Array<() => Promise<unknown>> = [
        () => store.collection('notes').list(),
        () => store.collection('users').find('age'),
        () => store.collection('notes').delete('a'),
        () => store.kv.get('a'),
        () => store.changes(),
        () => store.lastSeq(),
        () => store.watch(() => {}),
        () => store.purgeExpired(),
        () => store.rotateKeys(),
        () => store.restore([]),
        () => store.ensureCollections({ more: {} }),
        async () => store.backup().next(),
      ];
      for (const call of calls) expect(await code(call())).toBe('E_CLOSED');
      expect(() => store.defineCollections({ more: {} })).toThrow(
        expect.objectContaining({ code: 'E_CLOSED' }),
      );
    });
  });
}
