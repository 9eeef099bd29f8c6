import { ManualClock, isPlinthError } from '@plinth/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageAdapter } from '../adapter.js';
import { createKeyring, generateKey } from '../codecs/keyring.js';
import { memoryAdapter } from '../adapters/memory.js';
import { verifyBackup } from '../backup.js';
import { openStore, type Store } from '../store.js';
import type { Document, StandardSchema, StoreOptions } from '../types.js';

/**
 * The storage conformance suite: one set of behaviours every adapter must show through the
 * `Store`. Each adapter's test file calls {@link runStorageConformanceSuite} once.
 */
export interface StorageSuiteFixture {
  /**
   * A new adapter instance on the fixture's database. Every call must see the same data (a new
   * connection to the same file/schema), so two stores can race each other.
   */
  adapter(): StorageAdapter;
  /** Removes the database (called after every store is closed). */
  destroy(): Promise<void>;
}

export interface StorageSuiteOptions {
  readonly name: string;
  /** A fresh, empty database for each test. */
  fixture(): Promise<StorageSuiteFixture>;
  /**
   * Whether commits made through one instance are announced to `watch` on another instance
   * (PostgreSQL; SQLite with polling). Default: the adapter's capability.
   */
  readonly crossInstanceWatch?: boolean;
  /** fast-check runs of the model-based property. @default 30 */
  readonly propertyRuns?: number;
}

interface User extends Document {
  readonly email: string;
  readonly age: number;
  readonly team?: string;
}

/** A tiny Standard Schema validator (the suite must not depend on a schema library). */
const userSchema: StandardSchema<User> = {
  '~standard': {
    version: 1,
    vendor: 'plinth-test',
    validate(value) {
      const v = value as Record<string, unknown>;
      if (typeof v.email !== 'string' || !v.email.includes('@')) {
        return { issues: [{ message: 'email must contain @', path: ['email'] }] };
      }
      if (typeof v.age !== 'number' || v.age < 0)
        return { issues: [{ message: 'age must be >= 0', path: ['age'] }] };
      return { value: value as User };
    },
  },
};

const collections = {
  users: {
    schema: userSchema,
    indexes: {
      email: { fields: ['email'], unique: true },
      age: { fields: ['age'] },
      teamAge: { fields: ['team', 'age'] },
    },
  },
  notes: {},
} as const;

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isPlinthError(error)) return error.code;
    throw error;
  }
  return 'resolved';
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function runStorageConformanceSuite(options: StorageSuiteOptions): void {
  describe(`storage conformance: ${options.name}`, () => {
    let fixture: StorageSuiteFixture;
    let clock: ManualClock;
    const stores: Store[] = [];

    async function open(extra: Partial<StoreOptions> = {}): Promise<Store> {
      const store = await openStore({
        adapter: fixture.adapter(),
        clock,
        collections,
        purgeIntervalMs: 0,
        ...extra,
      });
      stores.push(store);
      return store;
    }

    beforeEach(async () => {
      fixture = await options.fixture();
      clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    });

    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
      await fixture.destroy();
    });

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
    });

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

    describe('indexes', () => {
      it('rejects a unique violation with a typed error and writes nothing', async () => {
        const store = await open();
        const users = store.collection<User>('users');
        await users.put('a', { email: 'same@x.io', age: 1 });
        const seq = await store.lastSeq();
        expect(await code(users.put('b', { email: 'same@x.io', age: 2 }))).toBe(
          'E_UNIQUE_VIOLATION',
        );
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

    describe('listing', () => {
      it('lists by key in code point order with prefix, bounds, reverse and cursors', async () => {
        const store = await open();
        const notes = store.collection('notes');
        const keys = ['a', 'a/1', 'a/2', 'a/10', 'b', '\uFFFD', '\u{1F600}', 'B'];
        for (const k of keys) await notes.put(k, { k });
        const list = async (o: Parameters<typeof notes.list>[0]) =>
          (await notes.list(o)).items.map((e) => e.key);
        expect(await list({})).toEqual([
          'B',
          'a',
          'a/1',
          'a/10',
          'a/2',
          'b',
          '\uFFFD',
          '\u{1F600}',
        ]);
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
          options.crossInstanceWatch ?? a.adapter.capabilities.crossInstanceNotifications;
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
        expect((await store.kv.get('ttl'))?.expiresAt).toBe(clock.now() + 1000);
        clock.advance(999);
        expect((await store.kv.get('ttl'))?.value).toBe('soon gone');
        clock.advance(1);
        expect(await store.kv.get('ttl')).toBeUndefined();
        expect((await store.kv.list()).items.map((e) => e.key)).toEqual(['bytes', 'num', 'text']);
        // An expired entry counts as absent for ifAbsent.
        await store.kv.set('ttl', 'again', { ifAbsent: true, ttlMs: 10 });
        clock.advance(10);
        const seq = await store.lastSeq();
        expect(await store.purgeExpired()).toBe(1);
        const feed = await store.changes({ after: seq });
        expect(feed.changes.map((c) => [c.key, c.op])).toEqual([['ttl', 'delete']]);
      });
    });

    describe('codecs', () => {
      it('round-trips compressed and encrypted values, and refuses a wrong or missing key', async () => {
        const keyring = createKeyring({ active: { id: 'k1', key: generateKey() } });
        const store = await open({
          codecs: {
            compression: { algorithm: 'gzip', thresholdBytes: 64 },
            encryption: { keyring },
          },
        });
        const big = { text: 'x'.repeat(5000), list: Array.from({ length: 50 }, (_, i) => i) };
        await store.collection('notes').put('big', big);
        await store.kv.set('secret', 'p@ss');
        expect((await store.collection('notes').get('big'))?.value).toEqual(big);
        expect((await store.kv.get('secret'))?.value).toBe('p@ss');

        const plain = await open();
        expect(await code(plain.collection('notes').get('big'))).toBe('E_DECRYPT');
        const wrong = await open({
          codecs: {
            encryption: { keyring: createKeyring({ active: { id: 'k1', key: generateKey() } }) },
          },
        });
        expect(await code(wrong.kv.get('secret'))).toBe('E_DECRYPT');
      });
    });

    describe('backup and restore', () => {
      async function collect(gen: AsyncIterable<Uint8Array>): Promise<Buffer> {
        const chunks: Uint8Array[] = [];
        for await (const c of gen) chunks.push(c);
        return Buffer.concat(chunks);
      }
      const recordLines = (b: Buffer) => b.toString('utf8').split('\n').slice(1, -2);

      it('restores into another adapter with identical records, versions and bytes', async () => {
        const store = await open();
        const users = store.collection<User>('users');
        for (let i = 0; i < 620; i++)
          await users.put(`u${i}`, { email: `u${i}@x.io`, age: i % 90, team: i % 2 ? 'a' : 'b' });
        await store.collection('notes').put('n', { text: 'ünïcode 🌍', nested: [{ a: 1 }] });
        await store.kv.set('bytes', new Uint8Array([0, 255, 7]));
        await store.kv.set('ttl', 'x', { ttlMs: 60_000 });
        const backup = await collect(store.backup());
        const summary = await verifyBackup([backup]);
        expect(summary.records).toBe(623);

        const target = await openStore({
          adapter: memoryAdapter(),
          clock,
          collections,
          purgeIntervalMs: 0,
        });
        stores.push(target);
        await target.restore(async function* () {
          yield backup.subarray(0, 1000);
          yield backup.subarray(1000);
        });
        expect((await target.collection<User>('users').get('u7'))?.version).toBe(
          (await users.get('u7'))?.version,
        );
        expect((await target.collection<User>('users').findOne('email', 'u600@x.io'))?.key).toBe(
          'u600',
        );
        expect((await target.kv.get('bytes'))?.value).toEqual(new Uint8Array([0, 255, 7]));
        expect((await target.kv.get('ttl'))?.expiresAt).toBe(
          (await store.kv.get('ttl'))?.expiresAt,
        );
        const again = await collect(target.backup());
        expect(recordLines(again)).toEqual(recordLines(backup));
        // The next write lands above every restored version.
        expect((await target.kv.set('after', 1)).version).toBeGreaterThan(await store.lastSeq());
        expect(await code(target.restore([backup]))).toBe('E_RESTORE_TARGET_NOT_EMPTY');
      });

      it('refuses damaged and truncated backups', async () => {
        const store = await open();
        for (let i = 0; i < 30; i++) await store.collection('notes').put(`n${i}`, { i });
        const backup = await collect(store.backup());
        const flipped = Buffer.from(backup);
        const at = flipped.indexOf('"n17"');
        flipped[at + 2] = '8'.charCodeAt(0);
        expect(await code(verifyBackup([flipped]))).toBe('E_BACKUP_INVALID');
        expect(await code(verifyBackup([backup.subarray(0, backup.length - 40)]))).toBe(
          'E_BACKUP_INVALID',
        );
        expect(await code(verifyBackup([backup.subarray(0, backup.lastIndexOf('{"end"'))]))).toBe(
          'E_BACKUP_INVALID',
        );
        const target = await openStore({
          adapter: memoryAdapter(),
          clock,
          collections,
          purgeIntervalMs: 0,
        });
        stores.push(target);
        expect(
          await code(target.restore(() => [flipped] as unknown as AsyncIterable<Uint8Array>)),
        ).toBe('E_BACKUP_INVALID');
        expect(await target.lastSeq()).toBe(0);
      });
    });

    describe('key rotation', () => {
      it('re-encrypts every value under the new key, keeping indexes and data', async () => {
        const k1 = { id: 'k1', key: generateKey() };
        const k2 = { id: 'k2', key: generateKey() };
        const before = await open({
          codecs: { encryption: { keyring: createKeyring({ active: k1 }) } },
        });
        for (let i = 0; i < 12; i++)
          await before.collection<User>('users').put(`u${i}`, { email: `${i}@x.io`, age: i });
        await before.kv.set('secret', 's');
        const rotating = await open({
          codecs: { encryption: { keyring: createKeyring({ active: k2, previous: [k1] }) } },
        });
        const progress: number[] = [];
        rotating.on('keys:rotation-progress', (e) => progress.push(e.rotated));
        expect(await rotating.rotateKeys({ batchSize: 5 })).toBe(13);
        expect(progress.at(-1)).toBe(13);
        expect(await rotating.rotateKeys()).toBe(0);
        const after = await open({
          codecs: { encryption: { keyring: createKeyring({ active: k2 }) } },
        });
        expect((await after.collection<User>('users').findOne('email', '7@x.io'))?.value.age).toBe(
          7,
        );
        expect((await after.kv.get('secret'))?.value).toBe('s');
        expect(await code(before.kv.get('secret'))).toBe('E_DECRYPT');
      });
    });

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

    describe('model-based property', () => {
      it('behaves like a plain Map under random writes, deletes and conditional writes', async () => {
        const store = await open();
        const notes = store.collection<{ v: number }>('notes');
        const key = fc.constantFrom('a', 'b', 'c', 'd', 'é', '\u{1F600}');
        const op = fc.oneof(
          fc.record({ t: fc.constant('put' as const), k: key, v: fc.integer() }),
          fc.record({ t: fc.constant('insert' as const), k: key, v: fc.integer() }),
          fc.record({ t: fc.constant('delete' as const), k: key }),
          fc.record({
            t: fc.constant('tx' as const),
            k: key,
            k2: key,
            v: fc.integer(),
            fail: fc.boolean(),
          }),
        );
        let round = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
            round++;
            const prefix = `r${round}/`;
            const model = new Map<string, number>();
            for (const o of ops) {
              const k = prefix + o.k;
              if (o.t === 'put') {
                await notes.put(k, { v: o.v });
                model.set(k, o.v);
              } else if (o.t === 'insert') {
                const r = await code(notes.insert(k, { v: o.v }));
                expect(r).toBe(model.has(k) ? 'E_CONFLICT' : 'resolved');
                if (!model.has(k)) model.set(k, o.v);
              } else if (o.t === 'delete') {
                expect(await notes.delete(k)).toBe(model.delete(k));
              } else {
                const k2 = prefix + o.k2;
                const r = await code(
                  store.transaction(async (tx) => {
                    await tx.collection('notes').put(k, { v: o.v });
                    await tx.collection('notes').delete(k2);
                    if (o.fail) throw Object.assign(new Error('rollback'), { code: 'X' });
                  }),
                ).catch(() => 'thrown');
                if (!o.fail) {
                  expect(r).toBe('resolved');
                  model.set(k, o.v);
                  model.delete(k2);
                }
              }
            }
            const listed = (await notes.list({ prefix, limit: 100 })).items.map((e) => [
              e.key,
              e.value.v,
            ]);
            const expected = [...model.entries()].sort(([x], [y]) =>
              Buffer.compare(Buffer.from(x), Buffer.from(y)),
            );
            expect(listed).toEqual(expected);
          }),
          { numRuns: options.propertyRuns ?? 30 },
        );
      });
    });
  });
}
