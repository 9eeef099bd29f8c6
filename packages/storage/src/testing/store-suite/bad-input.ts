import { describe, expect, it } from 'vitest';
import type { Document } from '../../types.js';
import { code, type SuiteContext, type User } from './context.js';

export function badInputCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('bad input', () => {
    it('rejects bad keys, values and queries with typed errors before writing anything', async () => {
      const store = await open();
      const notes = store.collection('notes');
      const seq = await store.lastSeq();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: Array<[Promise<unknown>, string]> = [
        [notes.put('', {}), 'E_INVALID_KEY'],
        [notes.put('x'.repeat(1025), {}), 'E_INVALID_KEY'],
        [notes.put('\uD800', {}), 'E_INVALID_KEY'],
        [notes.put(42 as unknown as string, {}), 'E_INVALID_KEY'],
        [notes.put('k', [] as unknown as Document), 'E_INVALID_VALUE'],
        [notes.put('k', cyclic), 'E_INVALID_VALUE'],
        [notes.put('k', { n: 10n }), 'E_INVALID_VALUE'],
        [notes.put('k', { f: () => 1 }), 'E_INVALID_VALUE'],
        [notes.put('k', { n: Number.NaN }), 'E_INVALID_VALUE'],
        [notes.put('k', { s: 'nul\u0000' }), 'E_INVALID_VALUE'],
        [notes.put('k', { d: new Date() }), 'E_INVALID_VALUE'],
        [store.kv.set('k', { a: 1 } as unknown as string), 'E_INVALID_VALUE'],
        [store.kv.set('k', 'v', { ttlMs: -1 }), 'E_INVALID_QUERY'],
        [
          store.collection<User>('users').put('u', { email: 'no-at-sign', age: 1 }),
          'E_SCHEMA_VIOLATION',
        ],
        [
          store
            .collection<User>('users')
            .put('u', { email: 'a@x.io', age: 1, team: { n: 1 } as unknown as string }),
          'E_INVALID_VALUE',
        ],
        [notes.list({ limit: 0 }), 'E_INVALID_QUERY'],
        [notes.list({ cursor: 'not-a-cursor' }), 'E_INVALID_QUERY'],
        [store.collection('users').find('nope'), 'E_UNKNOWN_INDEX'],
        [store.collection('users').find('age', { eq: 1, gt: 2 }), 'E_INVALID_QUERY'],
      ];
      for (const [promise, expected] of cases) expect(await code(promise)).toBe(expected);
      expect(() => store.collection('nope')).toThrow(
        expect.objectContaining({ code: 'E_UNKNOWN_COLLECTION' }),
      );
      expect(await store.lastSeq()).toBe(seq);
      expect((await notes.list()).items).toEqual([]);
    });

    it('refuses every call after close with E_CLOSED', async () => {
      const store = await open();
      await store.close();
      await store.close();
      expect(await code(store.collection('notes').get('a'))).toBe('E_CLOSED');
      expect(await code(store.kv.set('a', 1))).toBe('E_CLOSED');
      expect(await code(store.transaction(async () => {}))).toBe('E_CLOSED');
    });
  });
}
