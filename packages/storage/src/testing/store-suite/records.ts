import { isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { type Store } from '../../store.js';
import { code, type SuiteContext, type User } from './context.js';

export function recordsCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('documents and versions', () => {
    it('round-trips documents and gives each write a higher version', async () => {
      const store = await open();
      const users = store.collection<User>('users');
      const a = await users.put('a', { email: 'a@x.io', age: 30, team: 'core' });
      const b = await users.put('b', { email: 'b@x.io', age: 20 });
      const a2 = await users.put('a', { email: 'a@x.io', age: 31, team: 'core' });
      expect(b.version).toBeGreaterThan(a.version);
      expect(a2.version).toBeGreaterThan(b.version);
      expect(await users.get('a')).toEqual({
        key: 'a',
        value: { email: 'a@x.io', age: 31, team: 'core' },
        version: a2.version,
      });
      expect(await users.get('missing')).toBeUndefined();
      expect(await users.has('b')).toBe(true);
      expect((await users.getMany(['b', 'zz', 'a'])).map((e) => e?.key)).toEqual([
        'b',
        undefined,
        'a',
      ]);
    });

    it('never reuses a version after delete and re-create', async () => {
      const store = await open();
      const notes = store.collection('notes');
      const first = await notes.put('n', { text: 'one' });
      expect(await notes.delete('n')).toBe(true);
      expect(await notes.delete('n')).toBe(false);
      const again = await notes.put('n', { text: 'two' });
      expect(again.version).toBeGreaterThan(first.version);
      expect(await code(notes.put('n', { text: 'three' }, { ifVersion: first.version }))).toBe(
        'E_CONFLICT',
      );
    });

    it('keeps unicode, nested arrays and numbers exactly', async () => {
      const store = await open();
      const notes = store.collection('notes');
      const doc = {
        text: 'héllo 🌍 \u2028 "quoted" \\ back',
        nested: [[1, 2.5, -0.125], { deep: [null, true, false] }],
        big: 9007199254740991,
        tiny: 5e-324,
        exp: 1e21,
      };
      await notes.put('ü/🙂 key', doc);
      expect((await notes.get('ü/🙂 key'))?.value).toEqual(doc);
    });
  });

  describe('compare-and-set', () => {
    it('applies ifVersion and ifAbsent, and a lost race is a retryable E_CONFLICT', async () => {
      const store = await open();
      const notes = store.collection('notes');
      const v1 = await notes.insert('k', { n: 1 });
      expect(await code(notes.insert('k', { n: 2 }))).toBe('E_CONFLICT');
      const v2 = await notes.put('k', { n: 2 }, { ifVersion: v1.version });
      try {
        await notes.put('k', { n: 3 }, { ifVersion: v1.version });
        expect.unreachable();
      } catch (error) {
        expect(isPlinthError(error, 'E_CONFLICT')).toBe(true);
        expect((error as { retryable: boolean }).retryable).toBe(true);
        expect((error as { details: { actual: number } }).details.actual).toBe(v2.version);
      }
      expect(await code(notes.delete('k', { ifVersion: v1.version }))).toBe('E_CONFLICT');
      expect(await notes.delete('k', { ifVersion: v2.version })).toBe(true);
      expect((await store.kv.set('c', 1, { ifAbsent: true })).value).toBe(1);
      expect(await code(store.kv.set('c', 2, { ifAbsent: true }))).toBe('E_CONFLICT');
    });

    it('loses no update when two store instances increment one counter concurrently', async () => {
      const a = await open();
      const b = await open();
      await a.collection('notes').put('counter', { n: 0 });
      const bump = (store: Store) => async () => {
        for (let i = 0; i < 25; i++) {
          await store
            .collection<{ n: number }>('notes')
            .update('counter', (c) => ({ n: (c?.n ?? 0) + 1 }), {
              attempts: 1000,
            });
        }
      };
      await Promise.all([bump(a)(), bump(b)()]);
      expect((await a.collection<{ n: number }>('notes').get('counter'))?.value.n).toBe(50);
    });

    it('loses no update when other processes (or instances) race transactional increments', async () => {
      const a = await open();
      await a.collection('notes').put('shared', { n: 0 });
      const local = (store: Store, times: number) => async () => {
        for (let i = 0; i < times; i++) {
          await store.transaction(
            async (tx) => {
              const notes = tx.collection<{ n: number }>('notes');
              const current = await notes.get('shared');
              await notes.put('shared', { n: (current?.value.n ?? 0) + 1 });
            },
            { retry: { attempts: 1000, baseDelayMs: 0, maxDelayMs: 0 } },
          );
        }
      };
      const external = ctx.fixture.increment?.bind(ctx.fixture);
      const racers =
        external !== undefined
          ? [external('shared', 60), external('shared', 60), local(a, 30)()]
          : [local(a, 30)(), local(await open(), 30)(), local(await open(), 30)()];
      await Promise.all(racers);
      const total = external !== undefined ? 150 : 90;
      expect((await a.collection<{ n: number }>('notes').get('shared'))?.value.n).toBe(total);
    }, 60_000);
  });

  describe('listing', () => {
    it('lists by key in code point order with prefix, bounds, reverse and cursors', async () => {
      const store = await open();
      const notes = store.collection('notes');
      const keys = ['a', 'a/1', 'a/2', 'a/10', 'b', '\uFFFD', '\u{1F600}', 'B'];
      for (const k of keys) await notes.put(k, { k });
      const list = async (o: Parameters<typeof notes.list>[0]) =>
        (await notes.list(o)).items.map((e) => e.key);
      expect(await list({})).toEqual(['B', 'a', 'a/1', 'a/10', 'a/2', 'b', '\uFFFD', '\u{1F600}']);
      expect(await list({ prefix: 'a/' })).toEqual(['a/1', 'a/10', 'a/2']);
      expect(await list({ gte: 'a/1', lt: 'b' })).toEqual(['a/1', 'a/10', 'a/2']);
      expect(await list({ prefix: 'a', reverse: true })).toEqual(['a/2', 'a/10', 'a/1', 'a']);
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await notes.list({ limit: 3, ...(cursor !== undefined && { cursor }) });
        paged.push(...page.items.map((e) => e.key));
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(paged).toEqual(await list({}));
    });
  });
}
