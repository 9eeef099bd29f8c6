import { describe, expect, it } from 'vitest';
import { type Store } from '../../store.js';
import { code, type SuiteContext, type User } from './context.js';

export function transactionsCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('transactions', () => {
    it('commits every write together, across collections and KV', async () => {
      const store = await open();
      const before = await store.lastSeq();
      await store.transaction(async (tx) => {
        await tx.collection<User>('users').put('u1', { email: 'u1@x.io', age: 1 });
        await tx.collection('notes').put('n1', { text: 'x' });
        await tx.kv.set('k1', 'v1');
      });
      const feed = await store.changes({ after: before });
      expect(feed.changes.map((c) => [c.collection, c.key])).toEqual([
        ['users', 'u1'],
        ['notes', 'n1'],
        [null, 'k1'],
      ]);
      expect(feed.changes.map((c) => c.seq)).toEqual([before + 1, before + 2, before + 3]);
    });

    it('leaves nothing behind when the callback throws', async () => {
      const store = await open();
      await store.collection('notes').put('keep', { v: 1 });
      const seq = await store.lastSeq();
      await expect(
        store.transaction(async (tx) => {
          await tx.collection('notes').put('keep', { v: 2 });
          await tx.collection('notes').put('new', { v: 1 });
          await tx.kv.set('k', 'v');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await store.collection('notes').get('keep'))?.value).toEqual({ v: 1 });
      expect(await store.collection('notes').get('new')).toBeUndefined();
      expect(await store.kv.get('k')).toBeUndefined();
      expect(await store.lastSeq()).toBe(seq);
    });

    it('reads its own writes in get, list and find', async () => {
      const store = await open();
      await store.collection<User>('users').put('a', { email: 'a@x.io', age: 10 });
      await store.transaction(async (tx) => {
        const users = tx.collection<User>('users');
        await users.put('b', { email: 'b@x.io', age: 15 });
        await users.delete('a');
        expect((await users.get('b'))?.value.age).toBe(15);
        expect(await users.get('a')).toBeUndefined();
        expect((await users.list()).items.map((e) => e.key)).toEqual(['b']);
        expect((await users.find('age', { gte: 0 })).items.map((e) => e.key)).toEqual(['b']);
      });
    });

    it('fails with E_CONFLICT when something it read changed, and succeeds with retry', async () => {
      const a = await open();
      const b = await open();
      await a.collection('notes').put('x', { n: 1 });
      let runs = 0;
      const attempt = () =>
        a.transaction(
          async (tx) => {
            runs++;
            const x = await tx.collection<{ n: number }>('notes').get('x');
            if (runs === 1) await b.collection('notes').put('x', { n: 100 });
            await tx.collection('notes').put('y', { n: (x?.value.n ?? 0) + 1 });
          },
          { retry: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 } },
        );
      await attempt();
      expect(runs).toBe(2);
      expect((await a.collection('notes').get('y'))?.value).toEqual({ n: 101 });

      runs = 0;
      const noRetry = a.transaction(async (tx) => {
        runs++;
        await tx.collection('notes').get('x');
        await b.collection('notes').put('x', { n: 200 });
        await tx.collection('notes').put('z', { n: 1 });
      });
      expect(await code(noRetry)).toBe('E_CONFLICT');
      expect(await a.collection('notes').get('z')).toBeUndefined();
    });

    it('detects a phantom: a row inserted into a range the transaction listed', async () => {
      const a = await open();
      const b = await open();
      await a.collection('notes').put('p1', { v: 1 });
      const result = a.transaction(async (tx) => {
        const page = await tx.collection('notes').list({ prefix: 'p' });
        await b.collection('notes').put('p2', { v: 2 });
        await tx.collection('notes').put('count', { n: page.items.length });
      });
      expect(await code(result)).toBe('E_CONFLICT');
    });

    it('undoes only a failed savepoint', async () => {
      const store = await open();
      await store.transaction(async (tx) => {
        await tx.collection('notes').put('outer', { v: 1 });
        await expect(
          tx.savepoint(async (inner) => {
            await inner.collection('notes').put('inner', { v: 1 });
            await inner.collection('notes').put('outer', { v: 2 });
            throw new Error('undo inner');
          }),
        ).rejects.toThrow('undo inner');
        await tx.savepoint(async (inner) => inner.kv.set('kept', 'yes'));
        expect((await tx.collection('notes').get('outer'))?.value).toEqual({ v: 1 });
      });
      expect((await store.collection('notes').get('outer'))?.value).toEqual({ v: 1 });
      expect(await store.collection('notes').get('inner')).toBeUndefined();
      expect((await store.kv.get('kept'))?.value).toBe('yes');
    });

    it('refuses a transaction handle used after its transaction ended', async () => {
      const store = await open();
      let leaked: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
      await store.transaction(async (tx) => {
        leaked = tx;
      });
      expect(
        await code(
          (leaked as NonNullable<typeof leaked>).collection('notes').put('late', { v: 1 }),
        ),
      ).toBe('E_TRANSACTION');
    });
  });
}
