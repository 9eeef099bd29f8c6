import { isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { code, type SuiteContext, type User } from './context.js';

export function indexesCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('indexes', () => {
    it('rejects a unique violation with a typed error and writes nothing', async () => {
      const store = await open();
      const users = store.collection<User>('users');
      await users.put('a', { email: 'same@x.io', age: 1 });
      const seq = await store.lastSeq();
      expect(await code(users.put('b', { email: 'same@x.io', age: 2 }))).toBe('E_UNIQUE_VIOLATION');
      expect(await users.get('b')).toBeUndefined();
      expect(await store.lastSeq()).toBe(seq);
      // Moving the value away releases it; a record keeps its own value on update.
      await users.put('a', { email: 'moved@x.io', age: 1 });
      await users.put('b', { email: 'same@x.io', age: 2 });
      await users.put('b', { email: 'same@x.io', age: 3 });
      await users.delete('b');
      await users.put('c', { email: 'same@x.io', age: 4 });
      expect((await users.findOne('email', 'same@x.io'))?.key).toBe('c');
    });

    it('lets exactly one of two racing instances claim a unique value', async () => {
      const a = await open();
      const b = await open();
      for (let round = 0; round < 5; round++) {
        const results = await Promise.allSettled([
          a.collection<User>('users').put(`a${round}`, { email: `r${round}@x.io`, age: 1 }),
          b.collection<User>('users').put(`b${round}`, { email: `r${round}@x.io`, age: 1 }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(isPlinthError(failed.reason, 'E_UNIQUE_VIOLATION')).toBe(true);
        expect(
          (await a.collection<User>('users').find('email', { eq: `r${round}@x.io` })).items,
        ).toHaveLength(1);
      }
    });

    it('answers equality, ranges, compound prefixes and reverse order', async () => {
      const store = await open();
      const users = store.collection<User>('users');
      const people: Array<[string, User]> = [
        ['ann', { email: 'ann@x.io', age: 31, team: 'core' }],
        ['bob', { email: 'bob@x.io', age: 25, team: 'core' }],
        ['cat', { email: 'cat@x.io', age: 25, team: 'web' }],
        ['dan', { email: 'dan@x.io', age: -1.5 + 41.5 }],
        ['eve', { email: 'eve@x.io', age: 0, team: 'web' }],
      ];
      for (const [k, u] of people) await users.put(k, u);
      const keys = async (p: Promise<{ items: Array<{ key: string }> }>) =>
        (await p).items.map((e) => e.key);
      expect(await keys(users.find('age', { eq: 25 }))).toEqual(['bob', 'cat']);
      expect(await keys(users.find('age', { gt: 0, lte: 31 }))).toEqual(['bob', 'cat', 'ann']);
      expect(await keys(users.find('age', { gte: 25, reverse: true }))).toEqual([
        'dan',
        'ann',
        'cat',
        'bob',
      ]);
      expect(await keys(users.find('teamAge', { eq: 'core' }))).toEqual(['bob', 'ann']);
      expect(await keys(users.find('teamAge', { eq: 'web', lt: 25 }))).toEqual(['eve']);
      expect(await keys(users.find('teamAge', { eq: ['web', 25] }))).toEqual(['cat']);
      // dan has no team: the compound index is sparse.
      expect(await keys(users.find('teamAge'))).toEqual(['bob', 'ann', 'eve', 'cat']);
    });

    it('pages through an index with cursors, each record exactly once, both directions', async () => {
      const store = await open();
      const users = store.collection<User>('users');
      for (let i = 0; i < 23; i++)
        await users.put(`u${String(i).padStart(2, '0')}`, { email: `${i}@x.io`, age: i % 5 });
      for (const reverse of [false, true]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await users.find('age', {
            limit: 4,
            reverse,
            ...(cursor !== undefined && { cursor }),
          });
          seen.push(...page.items.map((e) => e.key));
          cursor = page.cursor;
        } while (cursor !== undefined);
        const all = (await users.find('age', { limit: 100, reverse })).items.map((e) => e.key);
        expect(seen).toEqual(all);
        expect(new Set(seen).size).toBe(23);
      }
    });
  });
}
