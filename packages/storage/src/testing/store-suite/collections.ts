import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../store.js';
import type { CollectionDefinitions, Document } from '../../types.js';
import { code, type SuiteContext } from './context.js';

interface Item extends Document {
  readonly n: number;
  readonly tag: string;
  readonly email: string;
}

const item = (n: number): Item => ({ n, tag: `t${n % 7}`, email: `i${n}@x.io` });
const key = (n: number) => `i${String(n).padStart(5, '0')}`;

const withIndexes = (indexes: NonNullable<CollectionDefinitions[string]['indexes']>) => ({
  items: { indexes },
});
const BY_TAG = { byTag: { fields: ['tag'] } };
const BY_EMAIL = { byEmail: { fields: ['email'], unique: true } };

/** Every key holding `tag`, walking the index page by page. */
async function keysByTag(store: Store, tag: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store
      .collection<Item>('items')
      .find('byTag', { eq: tag, limit: 97, ...(cursor !== undefined && { cursor }) });
    out.push(...page.items.map((e) => e.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

async function rawEntries(store: Store, index: string): Promise<number> {
  const hits = await store.adapter.scanIndex({
    kind: 'index',
    space: 'items',
    index,
    reverse: false,
    limit: 100_000,
    now: 0,
  });
  return hits.length;
}

export function collectionsCases(ctx: SuiteContext): void {
  const open = ctx.open;
  /** A "process run": a store that declares nothing up front. */
  const run = () => open({ collections: {} });

  async function seed(count: number): Promise<Store> {
    const first = await run();
    await first.ensureCollections(withIndexes({}));
    const items = first.collection<Item>('items');
    await first.transaction(async (tx) => {
      for (let n = 0; n < count; n++) await tx.collection<Item>('items').put(key(n), item(n));
    });
    expect((await items.list({ limit: 1 })).items).toHaveLength(1);
    return first;
  }

  describe('declared collections and index backfill', () => {
    it('backfills an index added in a later run, so it answers exactly like a scan', async () => {
      await seed(1234);
      const later = await run();
      const progress: Array<{ rewritten: number; done: boolean }> = [];
      later.on('collections:backfill-progress', (p) => progress.push(p));
      await later.ensureCollections(withIndexes({ ...BY_TAG, ...BY_EMAIL }), { batchSize: 500 });
      expect(progress.map((p) => p.rewritten)).toEqual([500, 1000, 1234]);
      expect(progress.at(-1)?.done).toBe(true);
      const expected = Array.from({ length: 1234 }, (_, n) => n)
        .filter((n) => n % 7 === 3)
        .map(key);
      expect(await keysByTag(later, 't3')).toEqual(expected);
      const hit = await later.collection<Item>('items').findOne('byEmail', 'i777@x.io');
      expect(hit?.key).toBe(key(777));
      expect(hit?.value).toEqual(item(777));
      // A store opened afterwards with the same declaration does no work at all.
      const again = await run();
      const seq = await again.lastSeq();
      let events = 0;
      again.on('collections:backfill-progress', () => events++);
      await again.ensureCollections(withIndexes({ ...BY_TAG, ...BY_EMAIL }));
      expect(events).toBe(0);
      expect(await again.lastSeq()).toBe(seq);
      expect(await keysByTag(again, 't3')).toEqual(expected);
    });

    it('drops the entries of a removed index and rebuilds it when it comes back', async () => {
      await seed(300);
      const withBoth = await run();
      await withBoth.ensureCollections(withIndexes({ ...BY_TAG, ...BY_EMAIL }));
      expect(await rawEntries(withBoth, 'byEmail')).toBe(300);
      const tagOnly = await run();
      await tagOnly.ensureCollections(withIndexes(BY_TAG));
      expect(await rawEntries(tagOnly, 'byEmail')).toBe(0);
      expect(await rawEntries(tagOnly, 'byTag')).toBe(300);
      expect(await code(tagOnly.collection('items').find('byEmail'))).toBe('E_UNKNOWN_INDEX');
      // Written while byEmail was gone: the rebuild must cover it too.
      await tagOnly.collection<Item>('items').put(key(999), item(999));
      const back = await run();
      await back.ensureCollections(withIndexes({ ...BY_TAG, ...BY_EMAIL }));
      expect((await back.collection('items').findOne('byEmail', 'i999@x.io'))?.key).toBe(key(999));
      expect(await rawEntries(back, 'byEmail')).toBe(301);
    });

    it('refuses a new unique index that existing records violate, naming both, and undeclares', async () => {
      const first = await seed(10);
      await first.collection<Item>('items').put('dup', { ...item(4), n: 40 });
      const later = await run();
      let caught: unknown;
      try {
        await later.ensureCollections(withIndexes(BY_EMAIL), { batchSize: 3 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'E_UNIQUE_VIOLATION' });
      expect((caught as Error).message).toMatch(/"dup"/);
      expect((caught as Error).message).toMatch(/i00004/);
      expect(later.collectionNames()).toEqual([]);
      expect(() => later.collection('items')).toThrow(
        expect.objectContaining({ code: 'E_UNKNOWN_COLLECTION' }),
      );
    });

    it('resumes an interrupted rebuild from the last committed batch', async () => {
      await seed(260);
      const interrupted = await run();
      interrupted.on('collections:backfill-progress', (p) => {
        if (p.rewritten >= 100) throw new Error('crash after a batch');
      });
      await expect(
        interrupted.ensureCollections(withIndexes(BY_TAG), { batchSize: 50 }),
      ).rejects.toThrow('crash after a batch');
      const resumed = await run();
      const progress: number[] = [];
      resumed.on('collections:backfill-progress', (p) => progress.push(p.rewritten));
      await resumed.ensureCollections(withIndexes(BY_TAG), { batchSize: 50 });
      expect(progress).toEqual([50, 100, 150, 160]); // 160 of 260 were left
      const expected = Array.from({ length: 260 }, (_, n) => n)
        .filter((n) => n % 7 === 5)
        .map(key);
      expect(await keysByTag(resumed, 't5')).toEqual(expected);
    });

    it('stays exact while another instance writes during the rebuild', async () => {
      await seed(400);
      const writer = await run();
      writer.defineCollections(withIndexes(BY_TAG));
      const rebuilding = await run();
      const writes: Array<Promise<unknown>> = [];
      let batches = 0;
      rebuilding.on('collections:backfill-progress', () => {
        batches++;
        const items = writer.collection<Item>('items');
        // Behind the rebuild, ahead of it, brand new, and a delete.
        writes.push(items.put(key(batches), { ...item(batches), tag: 'moved' }));
        writes.push(items.put(key(399 - batches), { ...item(0), tag: 'moved' }));
        writes.push(items.put(`new${batches}`, { ...item(batches), tag: 'moved' }));
        writes.push(items.delete(key(200 + batches)));
      });
      await rebuilding.ensureCollections(withIndexes(BY_TAG), { batchSize: 60 });
      await Promise.all(writes);
      const all = await writer.collection<Item>('items').list({ limit: 10_000 });
      for (const tag of ['moved', 't0', 't3']) {
        const expected = all.items.filter((e) => e.value.tag === tag).map((e) => e.key);
        expect(await keysByTag(rebuilding, tag)).toEqual(expected);
      }
      expect(await rawEntries(rebuilding, 'byTag')).toBe(all.items.length);
    });

    it('a restored store keeps its versions: its first ensureCollections has nothing to rebuild', async () => {
      await seed(120);
      const source = await run();
      await source.ensureCollections(withIndexes(BY_TAG));
      const chunks: Uint8Array[] = [];
      for await (const c of source.backup()) chunks.push(c);
      const home = await ctx.options.fixture();
      try {
        const target = await openStore({
          adapter: home.adapter(),
          clock: ctx.clock,
          collections: withIndexes(BY_TAG),
          purgeIntervalMs: 0,
        });
        ctx.stores.push(target);
        await target.restore([Buffer.concat(chunks)]);
        const seq = await target.lastSeq();
        let events = 0;
        target.on('collections:backfill-progress', () => events++);
        await target.ensureCollections(withIndexes(BY_TAG));
        expect(events).toBe(0);
        expect(await target.lastSeq()).toBe(seq);
        const v = (await source.collection('items').get(key(7)))?.version;
        expect((await target.collection('items').get(key(7)))?.version).toBe(v);
        expect(await keysByTag(target, 't2')).toEqual(await keysByTag(source, 't2'));
      } finally {
        for (const s of ctx.stores.splice(0)) await s.close();
        await home.destroy();
      }
    });

    it('validates its input before declaring anything', async () => {
      const store = await run();
      expect(await code(store.ensureCollections({ '1bad': {} }))).toBe('E_INVALID_OPTION');
      expect(await code(store.ensureCollections({ ok: {} }, { batchSize: 0 }))).toBe(
        'E_INVALID_OPTION',
      );
      expect(store.collectionNames()).toEqual([]);
      await store.close();
      expect(await code(store.ensureCollections({ ok: {} }))).toBe('E_CLOSED');
    });
  });
}
