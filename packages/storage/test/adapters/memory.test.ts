import { describe, expect, it } from 'vitest';
import type { KeyScan, PutWrite } from '../../src/adapter.js';
import { encodeIndexValue } from '../../src/internal/index-value.js';
import { memoryAdapter } from '../../src/adapters/memory.js';
import { runAdapterSuite } from '../../src/testing/adapter-suite.js';

runAdapterSuite({
  name: 'memory',
  create: async () => {
    const a = memoryAdapter();
    await a.open();
    return a;
  },
});

describe('memory adapter specifics', () => {
  it('keeps structured documents as the very value given, and reads them synchronously', async () => {
    const a = memoryAdapter();
    await a.open();
    expect(a.capabilities).toEqual({
      structuredValues: true,
      crossInstanceNotifications: false,
      durable: false,
    });
    const doc = Object.freeze({ a: 1 });
    await a.commit({
      checks: [],
      writes: [
        { op: 'put', space: 's', key: 'k', format: 0, data: doc, expiresAt: null, indexes: [] },
      ],
      now: 0,
    });
    expect((await a.get('s', 'k'))?.data).toBe(doc);
    expect(a.getSync('s', 'k')?.data).toBe(doc);
  });

  // KNOWN BUG in memory.ts #scanKeys: when `gt` is below `prefix`, the lower bound becomes the
  // prefix but stays exclusive, so the key equal to the prefix is dropped (SQLite returns
  // ['b', 'ba']). `it.fails` keeps CI green and turns red once fixed: then drop `.fails` and move
  // the case into the contract suite.
  it.fails('a gt bound below the prefix still includes the key equal to the prefix', async () => {
    const a = memoryAdapter();
    await a.open();
    const put = (key: string) =>
      ({
        op: 'put',
        space: 's',
        key,
        format: 0,
        data: '{}',
        expiresAt: null,
        indexes: [],
      }) as const;
    await a.commit({ checks: [], writes: ['a', 'b', 'ba', 'c'].map(put), now: 0 });
    const scan: KeyScan = {
      kind: 'keys',
      space: 's',
      gt: 'a',
      prefix: 'b',
      reverse: false,
      limit: 10,
      now: 0,
    };
    expect((await a.scanKeys(scan)).map((r) => r.key)).toEqual(['b', 'ba']);
  });

  // KNOWN BUG in memory.ts #setIndexes: every write of a batch updates the unique-claim map, so a
  // unique entry on a write that a later write of the same batch replaces (put then delete, or
  // put then put with another value) overwrites, then deletes, the current holder's claim: "a"
  // keeps its entry but loses its claim, and "x" may then take the same value. SQLite refuses
  // "x" (holder "a"). The differential property in the suite avoids this shape until fixed.
  it.fails(
    'a unique entry on a write replaced later in the same batch does not steal the claim',
    async () => {
      const a = memoryAdapter();
      await a.open();
      const u = [{ index: 'u', value: encodeIndexValue([1]), unique: true }];
      const put = (key: string, indexes = u): PutWrite => ({
        op: 'put',
        space: 's',
        key,
        format: 0,
        data: '{}',
        expiresAt: null,
        indexes,
      });
      await a.commit({ checks: [], writes: [put('a')], now: 0 });
      await a.commit({
        checks: [],
        writes: [put('c'), { op: 'delete', space: 's', key: 'c' }],
        now: 0,
      });
      const r = await a.commit({ checks: [], writes: [put('x')], now: 0 });
      expect(r).toEqual({ reason: 'unique', space: 's', index: 'u', key: 'x', holder: 'a' });
    },
  );
});
