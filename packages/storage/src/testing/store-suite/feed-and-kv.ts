import { describe, expect, it } from 'vitest';
import { waitFor, type SuiteContext } from './context.js';

export function feedAndKvCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('change feed', () => {
    it('records every commit in order and resumes from a cursor', async () => {
      const store = await open();
      for (let i = 0; i < 7; i++) await store.collection('notes').put(`n${i}`, { i });
      await store.collection('notes').delete('n3');
      const first = await store.changes({ limit: 4 });
      const rest = await store.changes({ after: first.cursor, limit: 100 });
      const all = [...first.changes, ...rest.changes];
      expect(all.map((c) => c.key)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n3']);
      expect(all[7]?.op).toBe('delete');
      for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBe(all[i - 1]!.seq + 1);
      expect((await store.collection('notes').get('n6'))?.version).toBe(all[6]?.seq);
    });

    it('delivers changes to watchers in order, also from another instance when supported', async () => {
      const a = await open();
      const seen: string[] = [];
      const stop = await a.watch((c) => {
        seen.push(c.key);
      });
      await a.collection('notes').put('w1', {});
      await a.kv.set('w2', 'x');
      await waitFor(() => seen.length >= 2);
      expect(seen).toEqual(['w1', 'w2']);
      const cross =
        ctx.options.crossInstanceWatch ?? a.adapter.capabilities.crossInstanceNotifications;
      if (cross) {
        const b = await open();
        await b.collection('notes').put('w3', {});
        await waitFor(() => seen.length >= 3);
        expect(seen[2]).toBe('w3');
      }
      await stop();
      await a.collection('notes').put('after-stop', {});
      const n = seen.length;
      await new Promise((r) => setTimeout(r, 30));
      expect(seen.length).toBe(n);
    });
  });

  describe('KV and TTL', () => {
    it('stores bytes, strings and numbers, and expires entries by the manual clock', async () => {
      const store = await open();
      await store.kv.set('bytes', new Uint8Array([0, 1, 255]));
      await store.kv.set('text', 'héllo');
      await store.kv.set('num', -12.5);
      await store.kv.set('ttl', 'soon gone', { ttlMs: 1000 });
      expect((await store.kv.get('bytes'))?.value).toEqual(new Uint8Array([0, 1, 255]));
      expect((await store.kv.get('text'))?.value).toBe('héllo');
      expect((await store.kv.get('num'))?.value).toBe(-12.5);
      expect((await store.kv.get('ttl'))?.expiresAt).toBe(ctx.clock.now() + 1000);
      ctx.clock.advance(999);
      expect((await store.kv.get('ttl'))?.value).toBe('soon gone');
      ctx.clock.advance(1);
      expect(await store.kv.get('ttl')).toBeUndefined();
      expect((await store.kv.list()).items.map((e) => e.key)).toEqual(['bytes', 'num', 'text']);
      // An expired entry counts as absent for ifAbsent.
      await store.kv.set('ttl', 'again', { ifAbsent: true, ttlMs: 10 });
      ctx.clock.advance(10);
      const seq = await store.lastSeq();
      expect(await store.purgeExpired()).toBe(1);
      const feed = await store.changes({ after: seq });
      expect(feed.changes.map((c) => [c.key, c.op])).toEqual([['ttl', 'delete']]);
    });
  });
}
