/**
 * The adapter contract suite: every `StorageAdapter` must pass it. Adapter test files call
 * `runAdapterSuite({ name, create, destroy })` once. Besides the example-based cases, a
 * fast-check property replays random commit sequences on the adapter and on a fresh
 * `MemoryAdapter` (the reference implementation) and requires identical results.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ValueFormat,
  type CommitCheck,
  type CommitRefusal,
  type CommitResult,
  type DeleteWrite,
  type IndexEntry,
  type IndexHit,
  type IndexScan,
  type KeyScan,
  type PutWrite,
  type StorageAdapter,
  type StoredRecord,
  type Write,
} from '../adapter.js';
import { MemoryAdapter } from '../adapters/memory.js';
import { encodeIndexValue, type IndexableValue } from '../internal/index-value.js';
import { compareBytes, compareKeys } from '../internal/order.js';

export interface AdapterSuiteOptions {
  name: string;
  /** A fresh, empty, opened adapter for each test. */
  create(): Promise<StorageAdapter>;
  /** Called after each test (close, drop tables/schema). Default: adapter.close(). */
  destroy?(adapter: StorageAdapter): Promise<void>;
  /**
   * fast-check runs of the differential property against the memory adapter.
   * @default PLINTH_ADAPTER_SUITE_RUNS, else 25
   */
  propertyRuns?: number;
}

const S = 'things';
const utf8 = new TextEncoder();

interface PutOptions {
  readonly space?: string;
  readonly format?: ValueFormat;
  readonly data?: string | Uint8Array;
  readonly expiresAt?: number | null;
  readonly indexes?: IndexEntry[];
}

function put(key: string, o: PutOptions = {}): PutWrite {
  return {
    op: 'put',
    space: o.space ?? S,
    key,
    format: o.format ?? ValueFormat.JSON,
    data: o.data ?? JSON.stringify({ key }),
    expiresAt: o.expiresAt ?? null,
    indexes: o.indexes ?? [],
  };
}

function del(key: string, space = S): DeleteWrite {
  return { op: 'delete', space, key };
}

function uniq(index: string, ...values: IndexableValue[]): IndexEntry {
  return { index, value: encodeIndexValue(values), unique: true };
}

function plain(index: string, ...values: IndexableValue[]): IndexEntry {
  return { index, value: encodeIndexValue(values), unique: false };
}

function isRefusal(r: CommitResult | CommitRefusal): r is CommitRefusal {
  return 'reason' in r;
}

/** JSON documents parsed (text, bytes or structured), other formats as byte arrays. */
function decodeData(format: ValueFormat, data: StoredRecord['data']): unknown {
  if (format === ValueFormat.JSON) {
    if (typeof data === 'string') return JSON.parse(data);
    if (data instanceof Uint8Array) return JSON.parse(Buffer.from(data).toString('utf8'));
    return data;
  }
  return data instanceof Uint8Array ? Array.from(data) : { notBytes: data };
}

function comparable(r: StoredRecord) {
  const { key, version, format, expiresAt } = r;
  return { key, version, format, expiresAt, data: decodeData(format, r.data) };
}

function comparableHit(h: IndexHit) {
  return { value: Array.from(h.value), record: comparable(h.record) };
}

function keyScan(o: Partial<KeyScan> = {}): KeyScan {
  return { kind: 'keys', space: S, reverse: false, limit: 1000, now: 0, ...o };
}

function indexScan(index: string, o: Partial<IndexScan> = {}): IndexScan {
  return { kind: 'index', space: S, index, reverse: false, limit: 1000, now: 0, ...o };
}

/** Lets queued microtasks and one macrotask turn run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Keys in code point order: U+FFFD sorts below astral characters (UTF-16 order says otherwise). */
const ORDERED = [
  'A',
  'a',
  'b',
  'ba',
  'bb',
  'c',
  'z\u{10FFFF}',
  'z\u{10FFFF}a',
  'z\u{10FFFF}\u{10FFFF}',
  '{',
  'é',
  '\uFFFD',
  '\u{1F600}',
  '\u{1F600}x',
  '\u{1F601}',
  '\u{10FFFF}',
];

export function runAdapterSuite(options: AdapterSuiteOptions): void {
  const destroy = options.destroy ?? ((adapter: StorageAdapter) => adapter.close());

  describe(`storage adapter contract: ${options.name}`, () => {
    let adapter: StorageAdapter;
    beforeEach(async () => {
      adapter = await options.create();
    });
    afterEach(async () => {
      await destroy(adapter);
    });

    async function commit(writes: Write[], checks: CommitCheck[] = [], now = 0) {
      return adapter.commit({ checks, writes, now });
    }
    async function ok(writes: Write[], checks: CommitCheck[] = [], now = 0): Promise<CommitResult> {
      const r = await commit(writes, checks, now);
      if (isRefusal(r)) expect.fail(`unexpected refusal: ${r.reason}`);
      return r;
    }
    async function refused(writes: Write[], checks: CommitCheck[] = [], now = 0) {
      const r = await commit(writes, checks, now);
      if (!isRefusal(r)) expect.fail(`expected a refusal, got seq ${r.firstSeq}..${r.lastSeq}`);
      return r;
    }
    async function keys(o: Partial<KeyScan> = {}): Promise<string[]> {
      return (await adapter.scanKeys(keyScan(o))).map((r) => r.key);
    }
    async function hits(index: string, o: Partial<IndexScan> = {}): Promise<string[]> {
      return (await adapter.scanIndex(indexScan(index, o))).map((h) => h.record.key);
    }
    async function version(key: string, space = S): Promise<number | undefined> {
      return (await adapter.get(space, key))?.version;
    }

    describe('records and versions', () => {
      it('round-trips every value format', async () => {
        const doc = { a: 1, nested: { b: [true, null, 'é😀'] } };
        const values: Array<[string, ValueFormat, string | Uint8Array]> = [
          ['json', ValueFormat.JSON, JSON.stringify(doc)],
          ['bytes', ValueFormat.BYTES, Uint8Array.from([0, 1, 127, 128, 255])],
          ['empty', ValueFormat.BYTES, new Uint8Array(0)],
          ['string', ValueFormat.STRING, utf8.encode('héllo 😀')],
          ['number', ValueFormat.NUMBER, utf8.encode('-12.5')],
          ['envelope', ValueFormat.ENVELOPE, Uint8Array.from([9, 0, 0, 7])],
        ];
        const r = await ok(
          values.map(([key, format, data], i) =>
            put(key, { format, data, expiresAt: i === 1 ? 5_000 : null }),
          ),
        );
        for (const [i, [key, format, data]] of values.entries()) {
          const got = await adapter.get(S, key);
          expect(got).toBeDefined();
          const rec = got as StoredRecord;
          expect(rec.key).toBe(key);
          expect(rec.format).toBe(format);
          expect(rec.version).toBe(r.firstSeq + i);
          expect(rec.expiresAt).toBe(i === 1 ? 5_000 : null);
          if (format === ValueFormat.JSON) {
            expect(typeof rec.data === 'string' ? JSON.parse(rec.data) : rec.data).toEqual(doc);
          } else {
            expect(rec.data).toBeInstanceOf(Uint8Array);
            expect(Array.from(rec.data as Uint8Array)).toEqual(Array.from(data as Uint8Array));
          }
        }
        expect(await adapter.get(S, 'missing')).toBeUndefined();
        expect(await adapter.get('other', 'json')).toBeUndefined();
      });

      it('returns expired records from get (the Store filters them)', async () => {
        await ok([put('e', { expiresAt: 100 })], [], 0);
        expect((await adapter.get(S, 'e'))?.expiresAt).toBe(100);
      });

      it('gives each write the next sequence number as its version', async () => {
        expect(await adapter.lastSeq()).toBe(0);
        const r1 = await ok([put('a')]);
        expect(r1).toEqual({ firstSeq: 1, lastSeq: 1 });
        const r2 = await ok([put('b'), put('c'), del('a')]);
        expect(r2).toEqual({ firstSeq: 2, lastSeq: 4 });
        expect(await version('b')).toBe(2);
        expect(await version('c')).toBe(3);
        expect(await version('a')).toBeUndefined();
        expect(await adapter.lastSeq()).toBe(4);
        const r3 = await ok([put('b', { space: 'other' })]);
        expect(r3).toEqual({ firstSeq: 5, lastSeq: 5 });
      });

      it('never reuses a version after delete and re-create', async () => {
        await ok([put('k')]);
        const first = await version('k');
        await ok([del('k')]);
        await ok([put('k')]);
        const again = await version('k');
        expect(first).toBe(1);
        expect(again).toBe(3);
      });

      it('keeps the last write of a key written twice in one batch', async () => {
        const r = await ok([
          put('k', { data: '{"n":1}' }),
          put('x'),
          put('k', { data: '{"n":2}' }),
        ]);
        const rec = (await adapter.get(S, 'k')) as StoredRecord;
        expect(rec.version).toBe(r.lastSeq);
        expect(decodeData(rec.format, rec.data)).toEqual({ n: 2 });
        expect((await adapter.readChanges(0, 10)).map((c) => c.key)).toEqual(['k', 'x', 'k']);
        await ok([put('k'), del('k')]);
        expect(await adapter.get(S, 'k')).toBeUndefined();
      });

      it('an empty batch assigns no sequence number', async () => {
        await ok([put('a')]);
        expect(await ok([])).toEqual({ firstSeq: 2, lastSeq: 1 });
        expect(await adapter.lastSeq()).toBe(1);
      });
    });

    describe('record checks', () => {
      it('passes on the expected version and refuses with the actual one', async () => {
        await ok([put('a')]);
        await ok([put('b')], [{ kind: 'record', space: S, key: 'a', version: 1 }]);
        const check: CommitCheck = { kind: 'record', space: S, key: 'a', version: 7 };
        expect(await refused([put('b')], [check])).toEqual({ reason: 'check', check, actual: 1 });
      });

      it('version null requires the record to be absent', async () => {
        await ok([put('a')]);
        await ok([put('n')], [{ kind: 'record', space: S, key: 'missing', version: null }]);
        const check: CommitCheck = { kind: 'record', space: S, key: 'a', version: null };
        expect(await refused([put('b')], [check])).toEqual({ reason: 'check', check, actual: 1 });
        const gone: CommitCheck = { kind: 'record', space: S, key: 'missing', version: 1 };
        expect(await refused([put('b')], [gone])).toEqual({
          reason: 'check',
          check: gone,
          actual: null,
        });
        await ok([del('a')]);
        await ok([put('c')], [check]);
      });

      it('a record expired at batch.now counts as absent', async () => {
        const { lastSeq: v } = await ok([put('e', { expiresAt: 100 })], [], 0);
        const absent: CommitCheck = { kind: 'record', space: S, key: 'e', version: null };
        const current: CommitCheck = { kind: 'record', space: S, key: 'e', version: v };
        expect(await refused([put('x')], [absent], 99)).toEqual({
          reason: 'check',
          check: absent,
          actual: v,
        });
        await ok([put('y')], [current], 99);
        expect(await refused([put('x')], [current], 100)).toEqual({
          reason: 'check',
          check: current,
          actual: null,
        });
        await ok([put('e')], [absent], 100);
      });

      it('reports the first failing check', async () => {
        await ok([put('a'), put('b')]);
        const good: CommitCheck = { kind: 'record', space: S, key: 'a', version: 1 };
        const bad: CommitCheck = { kind: 'record', space: S, key: 'b', version: 1 };
        const r = await refused([put('c')], [good, bad]);
        expect(r).toEqual({ reason: 'check', check: bad, actual: 2 });
      });
    });

    describe('scan checks', () => {
      it('a key scan check passes while unchanged and refuses on a phantom insert', async () => {
        await ok([put('a1'), put('a2'), put('b1')]);
        const scan = keyScan({ prefix: 'a' });
        const seen = (await adapter.scanKeys(scan)).map((r) => [r.key, r.version] as const);
        expect(seen).toEqual([
          ['a1', 1],
          ['a2', 2],
        ]);
        const check: CommitCheck = { kind: 'scan', scan, seen };
        await ok([put('x')], [check]);
        await ok([put('b2'), put('b1')]); // outside the range
        await ok([put('y')], [check]);
        await ok([put('a15')]); // phantom
        const r = await refused([put('z')], [check]);
        expect(r).toMatchObject({ reason: 'check', check });
        expect(await adapter.get(S, 'z')).toBeUndefined();
      });

      it('a key scan check notices updates and deletes of seen records', async () => {
        await ok([put('a1'), put('a2')]);
        const scan = keyScan({ prefix: 'a', reverse: true });
        const seen = (await adapter.scanKeys(scan)).map((r) => [r.key, r.version] as const);
        const check: CommitCheck = { kind: 'scan', scan, seen };
        await ok([put('a2')]);
        expect(await refused([put('z')], [check])).toMatchObject({ reason: 'check' });
        const seen2 = (await adapter.scanKeys(scan)).map((r) => [r.key, r.version] as const);
        await ok([del('a1')]);
        expect(await refused([put('z')], [{ kind: 'scan', scan, seen: seen2 }])).toMatchObject({
          reason: 'check',
        });
      });

      it('an index scan check refuses on a phantom in its value range', async () => {
        await ok([
          put('p', { indexes: [plain('age', 30)] }),
          put('q', { indexes: [plain('age', 50)] }),
        ]);
        const scan = indexScan('age', { gte: encodeIndexValue([20]), lt: encodeIndexValue([40]) });
        const seen = (await adapter.scanIndex(scan)).map(
          (h) => [h.record.key, h.record.version] as const,
        );
        expect(seen).toEqual([['p', 1]]);
        const check: CommitCheck = { kind: 'scan', scan, seen };
        await ok([put('r', { indexes: [plain('age', 45)] })]);
        await ok([put('x')], [check]);
        await ok([put('q', { indexes: [plain('age', 25)] })]); // moves into the range
        expect(await refused([put('y')], [check])).toMatchObject({ reason: 'check', check });
      });
    });

    describe('unique index claims', () => {
      it('refuses a value held by another record, naming the holder', async () => {
        await ok([put('a', { indexes: [uniq('email', 'x@y')] })]);
        const r = await refused([put('b', { indexes: [uniq('email', 'x@y')] })]);
        expect(r).toEqual({ reason: 'unique', space: S, index: 'email', key: 'b', holder: 'a' });
      });

      it('refuses two records of one batch claiming the same value', async () => {
        const r = await refused([
          put('b', { indexes: [uniq('email', 'v')] }),
          put('c', { indexes: [uniq('email', 'v')] }),
        ]);
        expect(r).toMatchObject({ reason: 'unique', space: S, index: 'email' });
        const { key, holder } = r as Extract<CommitRefusal, { reason: 'unique' }>;
        expect([key, holder].sort()).toEqual(['b', 'c']);
      });

      it('does not clash across spaces, indexes or with non-unique entries', async () => {
        await ok([put('a', { indexes: [uniq('email', 'v'), plain('tag', 't')] })]);
        await ok([put('a', { space: 'other', indexes: [uniq('email', 'v')] })]);
        await ok([put('b', { indexes: [uniq('login', 'v'), plain('tag', 't')] })]);
        expect(await hits('tag')).toEqual(['a', 'b']);
      });

      it('a holder deleted in the same batch frees the value, in either order', async () => {
        await ok([put('a', { indexes: [uniq('u', 1)] }), put('c', { indexes: [uniq('u', 2)] })]);
        await ok([del('a'), put('b', { indexes: [uniq('u', 1)] })]);
        await ok([put('d', { indexes: [uniq('u', 2)] }), del('c')]);
        expect(await hits('u')).toEqual(['b', 'd']);
      });

      it('a holder moving to another value in the same batch frees it, in either order', async () => {
        await ok([put('a', { indexes: [uniq('u', 1)] }), put('c', { indexes: [uniq('u', 5)] })]);
        await ok([put('a', { indexes: [uniq('u', 2)] }), put('b', { indexes: [uniq('u', 1)] })]);
        await ok([put('d', { indexes: [uniq('u', 5)] }), put('c', { indexes: [] })]);
        const all = await adapter.scanIndex(indexScan('u'));
        expect(all.map((h) => [h.record.key, Array.from(h.value)])).toEqual([
          ['b', Array.from(encodeIndexValue([1]))],
          ['a', Array.from(encodeIndexValue([2]))],
          ['d', Array.from(encodeIndexValue([5]))],
        ]);
      });

      it('a holder rewritten with the same value in the same batch still blocks', async () => {
        await ok([put('a', { indexes: [uniq('u', 1)] })]);
        const r = await refused([
          put('a', { data: '{"v":2}', indexes: [uniq('u', 1)] }),
          put('b', { indexes: [uniq('u', 1)] }),
        ]);
        expect(r).toMatchObject({ reason: 'unique', index: 'u' });
      });

      it('a record keeps its own unique value across updates', async () => {
        await ok([put('a', { indexes: [uniq('u', 1)] })]);
        await ok([put('a', { data: '{"n":1}', indexes: [uniq('u', 1)] })]);
        await ok([put('a', { indexes: [uniq('u', 1)] }), put('a', { indexes: [uniq('u', 1)] })]);
        expect(await hits('u')).toEqual(['a']);
      });

      it('a unique entry on a write replaced later in the same batch does not steal the claim', async () => {
        await ok([put('a', { indexes: [uniq('u', 1)] })]);
        await ok([put('c', { indexes: [uniq('u', 1)] }), del('c')]);
        await ok([put('d', { indexes: [uniq('u', 1)] }), put('d')]);
        const r = await refused([put('x', { indexes: [uniq('u', 1)] })]);
        expect(r).toEqual({ reason: 'unique', space: S, index: 'u', key: 'x', holder: 'a' });
        expect(await hits('u')).toEqual(['a']);
      });

      it('a freed value can be claimed by a later commit', async () => {
        await ok([put('a', { indexes: [uniq('u', 'v')] })]);
        await ok([del('a')]);
        await ok([put('b', { indexes: [uniq('u', 'v')] })]);
        await ok([put('b', { indexes: [] })]);
        await ok([put('c', { indexes: [uniq('u', 'v')] })]);
        expect(await hits('u')).toEqual(['c']);
      });
    });

    describe('atomicity', () => {
      async function snapshot() {
        return {
          things: (await adapter.scanKeys(keyScan())).map(comparable),
          other: (await adapter.scanKeys(keyScan({ space: 'other' }))).map(comparable),
          u: (await adapter.scanIndex(indexScan('u'))).map(comparableHit),
          n: (await adapter.scanIndex(indexScan('n'))).map(comparableHit),
          feed: await adapter.readChanges(0, 1000),
          seq: await adapter.lastSeq(),
          spaces: await adapter.spaces(),
        };
      }

      it('a refused batch writes nothing: records, index entries, feed or sequence', async () => {
        await ok([
          put('a', { indexes: [uniq('u', 1), plain('n', 1)] }),
          put('b', { indexes: [uniq('u', 2)] }),
        ]);
        const before = await snapshot();
        const writes: Write[] = [
          put('a', { data: '{"changed":true}', indexes: [uniq('u', 9), plain('n', 9)] }),
          del('b'),
          put('c', { space: 'other', indexes: [uniq('u', 3)] }),
          put('d', { indexes: [uniq('u', 4), plain('n', 4)] }),
        ];
        await refused(writes, [{ kind: 'record', space: S, key: 'zz', version: 3 }]);
        expect(await snapshot()).toEqual(before);
        await refused([...writes, put('e', { indexes: [uniq('u', 4)] })]);
        expect(await snapshot()).toEqual(before);
        const r = await ok(writes);
        expect(r.firstSeq).toBe(before.seq + 1);
      });
    });

    describe('key scans', () => {
      beforeEach(async () => {
        const shuffled = [...ORDERED].sort(
          (x, y) => ((x.length * 7 + x.charCodeAt(0)) % 5) - ((y.length * 7 + y.charCodeAt(0)) % 5),
        );
        await ok(shuffled.map((k) => put(k)));
        await ok([put('zz', { space: 'other' })]);
      });

      it('returns keys in code point order', async () => {
        expect(await keys()).toEqual(ORDERED);
        expect(await keys({ reverse: true })).toEqual([...ORDERED].reverse());
        expect(ORDERED.indexOf('\uFFFD')).toBeLessThan(ORDERED.indexOf('\u{1F600}'));
      });

      it('honours every combination of bounds, both directions, with a limit', async () => {
        const probes = ['b', 'bb', 'c0', '\uFFFD', '\u{1F600}', 'z\u{10FFFF}'];
        const lowers: Array<Partial<KeyScan>> = [{}];
        const uppers: Array<Partial<KeyScan>> = [{}];
        for (const p of probes) {
          lowers.push({ gte: p }, { gt: p });
          uppers.push({ lt: p }, { lte: p });
        }
        const inRange = (k: string, o: Partial<KeyScan>) =>
          (o.gt === undefined || compareKeys(k, o.gt) > 0) &&
          (o.gte === undefined || compareKeys(k, o.gte) >= 0) &&
          (o.lt === undefined || compareKeys(k, o.lt) < 0) &&
          (o.lte === undefined || compareKeys(k, o.lte) <= 0);
        let nonEmpty = 0;
        for (const lower of lowers) {
          for (const upper of uppers) {
            const bounds = { ...lower, ...upper };
            const expected = ORDERED.filter((k) => inRange(k, bounds));
            if (expected.length > 0) nonEmpty++;
            expect(await keys(bounds), JSON.stringify(bounds)).toEqual(expected);
            expect(await keys({ ...bounds, reverse: true })).toEqual([...expected].reverse());
            expect(await keys({ ...bounds, limit: 2 })).toEqual(expected.slice(0, 2));
            expect(await keys({ ...bounds, limit: 2, reverse: true })).toEqual(
              [...expected].reverse().slice(0, 2),
            );
          }
        }
        expect(nonEmpty).toBeGreaterThan(50);
      });

      it('a gt bound below the prefix still includes the key equal to the prefix', async () => {
        expect(await keys({ gt: 'a', prefix: 'b' })).toEqual(['b', 'ba', 'bb']);
        expect(await keys({ gt: 'a', prefix: 'b', reverse: true })).toEqual(['bb', 'ba', 'b']);
      });

      it('gt takes precedence over gte', async () => {
        expect(await keys({ gt: 'b', gte: 'a', lt: 'c' })).toEqual(['ba', 'bb']);
        expect(await keys({ gt: 'a', gte: 'bb', lt: 'c' })).toEqual(['b', 'ba', 'bb']);
      });

      it('prefix scans, including astral prefixes and prefixes ending in U+10FFFF', async () => {
        expect(await keys({ prefix: 'b' })).toEqual(['b', 'ba', 'bb']);
        expect(await keys({ prefix: 'b', reverse: true, limit: 2 })).toEqual(['bb', 'ba']);
        expect(await keys({ prefix: 'z\u{10FFFF}' })).toEqual([
          'z\u{10FFFF}',
          'z\u{10FFFF}a',
          'z\u{10FFFF}\u{10FFFF}',
        ]);
        expect(await keys({ prefix: 'z\u{10FFFF}\u{10FFFF}' })).toEqual(['z\u{10FFFF}\u{10FFFF}']);
        expect(await keys({ prefix: '\u{1F600}' })).toEqual(['\u{1F600}', '\u{1F600}x']);
        expect(await keys({ prefix: '\uFFFD' })).toEqual(['\uFFFD']);
        expect(await keys({ prefix: '\u{10FFFF}' })).toEqual(['\u{10FFFF}']);
        expect(await keys({ prefix: 'q' })).toEqual([]);
        expect(await keys({ prefix: '' })).toEqual(ORDERED);
      });

      it('prefix combined with bounds', async () => {
        expect(await keys({ prefix: 'b', gte: 'ba' })).toEqual(['ba', 'bb']);
        expect(await keys({ prefix: 'b', gt: 'ba' })).toEqual(['bb']);
        expect(await keys({ prefix: 'b', gt: 'b' })).toEqual(['ba', 'bb']);
        expect(await keys({ prefix: 'b', gte: 'a' })).toEqual(['b', 'ba', 'bb']);
        expect(await keys({ prefix: 'b', lt: 'bb' })).toEqual(['b', 'ba']);
        expect(await keys({ prefix: 'b', lte: 'ba', reverse: true })).toEqual(['ba', 'b']);
        expect(await keys({ prefix: 'b', lte: 'c' })).toEqual(['b', 'ba', 'bb']);
        expect(await keys({ prefix: 'b', gte: 'c' })).toEqual([]);
        expect(await keys({ prefix: '\u{1F600}', gt: '\u{1F600}' })).toEqual(['\u{1F600}x']);
      });

      it('skips expired records, which do not count toward the limit', async () => {
        await ok([put('ba', { expiresAt: 50 }), put('c', { expiresAt: 60 })]);
        expect(await keys({ prefix: 'b', now: 49 })).toEqual(['b', 'ba', 'bb']);
        expect(await keys({ prefix: 'b', now: 50 })).toEqual(['b', 'bb']);
        expect(await keys({ gte: 'b', limit: 3, now: 60 })).toEqual(['b', 'bb', 'z\u{10FFFF}']);
        expect(await keys({ lte: 'c', limit: 2, reverse: true, now: 60 })).toEqual(['bb', 'b']);
      });

      it('limit 0 returns nothing; scans stay inside their space', async () => {
        expect(await keys({ limit: 0 })).toEqual([]);
        expect(await keys({ space: 'other' })).toEqual(['zz']);
        expect(await keys({ space: 'nothing' })).toEqual([]);
      });
    });

    describe('index scans', () => {
      const values: IndexableValue[] = [null, false, -1.5, 0, 2, 2, 'a', 'b', 'b', 'b', true, 10];
      let full: Array<{ key: string; value: Uint8Array }>;
      beforeEach(async () => {
        const writes = values.map((v, i) => put(`k${i}`, { indexes: [plain('x', v)] }));
        writes.push(put('none')); // no entry
        await ok(writes.reverse());
        full = values
          .map((v, i) => ({ key: `k${i}`, value: encodeIndexValue([v]) }))
          .sort((p, q) => compareBytes(p.value, q.value) || compareKeys(p.key, q.key));
      });

      it('orders hits by (value, key) and returns the values', async () => {
        const got = await adapter.scanIndex(indexScan('x'));
        expect(got.map((h) => h.record.key)).toEqual(full.map((e) => e.key));
        expect(got.map((h) => Array.from(h.value))).toEqual(full.map((e) => Array.from(e.value)));
        expect(got[0]?.record.key).toBe('k0'); // null sorts first
        expect(await hits('x', { reverse: true })).toEqual(full.map((e) => e.key).reverse());
        expect(await hits('x', { limit: 3 })).toEqual(full.slice(0, 3).map((e) => e.key));
        expect(await hits('x', { limit: 0 })).toEqual([]);
        expect(await hits('missing')).toEqual([]);
        expect(await hits('x', { space: 'other' })).toEqual([]);
      });

      it('honours gte and lt on the encoded value, both directions', async () => {
        const gte = encodeIndexValue([0]);
        const lt = encodeIndexValue(['b']);
        const expected = full
          .filter((e) => compareBytes(e.value, gte) >= 0 && compareBytes(e.value, lt) < 0)
          .map((e) => e.key);
        expect(expected).toEqual(['k3', 'k4', 'k5', 'k11', 'k6']);
        expect(await hits('x', { gte, lt })).toEqual(expected);
        expect(await hits('x', { gte, lt, reverse: true })).toEqual([...expected].reverse());
        expect(await hits('x', { gte: encodeIndexValue(['b']) })).toEqual(['k7', 'k8', 'k9']);
        expect(await hits('x', { lt: encodeIndexValue([0]), reverse: true, limit: 2 })).toEqual([
          'k2',
          'k10',
        ]);
      });

      it('after-cursor pages of 3 walk the whole index like one scan, both directions', async () => {
        for (const reverse of [false, true]) {
          for (const bounds of [
            {},
            { gte: encodeIndexValue([false]), lt: encodeIndexValue(['b']) },
          ]) {
            const one = await hits('x', { ...bounds, reverse });
            const paged: string[] = [];
            let after: IndexScan['after'];
            for (let page = 0; page < 20; page++) {
              const got = await adapter.scanIndex(
                indexScan('x', { ...bounds, reverse, limit: 3, ...(after ? { after } : {}) }),
              );
              paged.push(...got.map((h) => h.record.key));
              const last = got[got.length - 1];
              if (got.length < 3 || last === undefined) break;
              after = { value: last.value, key: last.record.key };
            }
            expect(one.length).toBeGreaterThan(3);
            expect(paged).toEqual(one);
          }
        }
      });

      it('after is exclusive on (value, key) even when the position does not exist', async () => {
        const after = { value: encodeIndexValue(['b']), key: 'k8' };
        expect(await hits('x', { after })).toEqual(['k9']);
        expect(await hits('x', { after, reverse: true, limit: 2 })).toEqual(['k7', 'k6']);
        const gap = { value: encodeIndexValue([2]), key: 'k45' };
        expect(await hits('x', { after: gap, limit: 2 })).toEqual(['k5', 'k11']);
        expect(await hits('x', { after: gap, reverse: true, limit: 2 })).toEqual(['k4', 'k3']);
      });

      it('skips expired records and follows updates and deletes', async () => {
        await ok([put('k7', { expiresAt: 10, indexes: [plain('x', 'b')] })]);
        expect(await hits('x', { gte: encodeIndexValue(['b']), now: 9 })).toEqual([
          'k7',
          'k8',
          'k9',
        ]);
        expect(await hits('x', { gte: encodeIndexValue(['b']), now: 10 })).toEqual(['k8', 'k9']);
        await ok([put('k8', { indexes: [plain('x', 'c')] }), del('k9'), put('k6')]);
        expect(await hits('x', { gte: encodeIndexValue(['a']) })).toEqual(['k7', 'k8']);
        const hit = (
          await adapter.scanIndex(indexScan('x', { gte: encodeIndexValue(['c']), limit: 1 }))
        )[0];
        expect(hit?.record.version).toBe(await version('k8'));
        expect(Array.from(hit?.value ?? [])).toEqual(Array.from(encodeIndexValue(['c'])));
      });
    });

    describe('change feed', () => {
      it('lists changes in commit order with op, space, key and time', async () => {
        await ok([put('a'), put('b', { space: 'other' })], [], 10);
        await ok([del('a'), put('c')], [], 20);
        expect(await adapter.readChanges(0, 100)).toEqual([
          { seq: 1, space: S, key: 'a', op: 'put', at: 10 },
          { seq: 2, space: 'other', key: 'b', op: 'put', at: 10 },
          { seq: 3, space: S, key: 'a', op: 'delete', at: 20 },
          { seq: 4, space: S, key: 'c', op: 'put', at: 20 },
        ]);
      });

      it('readChanges(after, limit) pages through the feed', async () => {
        for (let i = 0; i < 7; i++) await ok([put(`k${i}`)]);
        expect((await adapter.readChanges(2, 3)).map((c) => c.seq)).toEqual([3, 4, 5]);
        expect((await adapter.readChanges(5, 10)).map((c) => c.seq)).toEqual([6, 7]);
        expect(await adapter.readChanges(7, 10)).toEqual([]);
        expect(await adapter.readChanges(0, 0)).toEqual([]);
        expect(await adapter.lastSeq()).toBe(7);
      });

      it('truncateChanges drops entries up to a seq and keeps lastSeq', async () => {
        for (let i = 0; i < 5; i++) await ok([put(`k${i}`)]);
        expect(await adapter.truncateChanges(3)).toBe(3);
        expect((await adapter.readChanges(0, 100)).map((c) => c.seq)).toEqual([4, 5]);
        expect(await adapter.truncateChanges(3)).toBe(0);
        expect(await adapter.lastSeq()).toBe(5);
        await ok([put('k9')]);
        expect((await adapter.readChanges(0, 100)).map((c) => c.seq)).toEqual([4, 5, 6]);
      });
    });

    describe('watch', () => {
      it('calls listeners with the last seq after a commit; unsubscribe stops them', async () => {
        const heard: number[] = [];
        const barrier: number[] = [];
        const stop = await adapter.watch((seq) => heard.push(seq));
        const stopBarrier = await adapter.watch((seq) => barrier.push(seq));
        const r = await ok([put('a'), put('b')]);
        await vi.waitFor(() => expect(heard).toContain(r.lastSeq));
        expect(Math.max(...heard)).toBe(r.lastSeq);
        await stop();
        const r2 = await ok([put('c')]);
        await vi.waitFor(() => expect(barrier).toContain(r2.lastSeq));
        await flush();
        expect(heard).not.toContain(r2.lastSeq);
        await stopBarrier();
      });
    });

    describe('purgeExpired', () => {
      it('deletes only records expired at now, with delete changes and their index entries', async () => {
        await ok([
          put('a', { expiresAt: 100, indexes: [uniq('u', 1)] }),
          put('b', { expiresAt: 200 }),
          put('c'),
          put('d', { space: 'other', expiresAt: 50 }),
        ]);
        expect(await adapter.purgeExpired(99, 10)).toBe(1);
        expect(await adapter.get('other', 'd')).toBeUndefined();
        expect(await adapter.purgeExpired(100, 10)).toBe(1);
        expect(await adapter.get(S, 'a')).toBeUndefined();
        expect(await adapter.get(S, 'b')).toBeDefined();
        expect(await adapter.get(S, 'c')).toBeDefined();
        expect(await hits('u', { now: 0 })).toEqual([]);
        const feed = await adapter.readChanges(4, 10);
        expect(feed).toEqual([
          { seq: 5, space: 'other', key: 'd', op: 'delete', at: 99 },
          { seq: 6, space: S, key: 'a', op: 'delete', at: 100 },
        ]);
        expect(await adapter.lastSeq()).toBe(6);
        await ok([put('e', { indexes: [uniq('u', 1)] })]);
        expect(await adapter.purgeExpired(100, 10)).toBe(0);
      });

      it('respects the limit', async () => {
        await ok(['a', 'b', 'c', 'd', 'e'].map((k) => put(k, { expiresAt: 10 })));
        expect(await adapter.purgeExpired(10, 0)).toBe(0);
        expect(await adapter.purgeExpired(10, 2)).toBe(2);
        expect(await keys()).toHaveLength(3);
        expect(await adapter.purgeExpired(10, 10)).toBe(3);
        expect(await keys()).toEqual([]);
        expect(await adapter.lastSeq()).toBe(10);
      });
    });

    it('spaces() lists the spaces that hold records, sorted', async () => {
      expect(await adapter.spaces()).toEqual([]);
      await ok([
        put('a', { space: 'zeta' }),
        put('a', { space: 'alpha' }),
        put('b', { space: 'zeta' }),
      ]);
      await ok([put('x', { space: 'é' }), put('x', { space: 'Beta' })]);
      expect(await adapter.spaces()).toEqual(['Beta', 'alpha', 'zeta', 'é']);
      await ok([del('a', 'zeta'), del('b', 'zeta')]);
      expect(await adapter.spaces()).toEqual(['Beta', 'alpha', 'é']);
    });

    it('importRecords keeps versions and index entries, adds no changes, moves the sequence', async () => {
      const bytes = Uint8Array.from([1, 2, 3]);
      await adapter.importRecords(S, [
        {
          record: {
            key: 'a',
            version: 10,
            format: ValueFormat.JSON,
            data: '{"a":1}',
            expiresAt: null,
          },
          indexes: [uniq('u', 'x')],
        },
        {
          record: { key: 'b', version: 20, format: ValueFormat.BYTES, data: bytes, expiresAt: 999 },
          indexes: [plain('n', 1)],
        },
      ]);
      await adapter.importRecords('other', [
        {
          record: { key: 'c', version: 15, format: ValueFormat.JSON, data: '{}', expiresAt: null },
          indexes: [],
        },
      ]);
      expect(comparable((await adapter.get(S, 'a')) as StoredRecord)).toEqual({
        key: 'a',
        version: 10,
        format: ValueFormat.JSON,
        expiresAt: null,
        data: { a: 1 },
      });
      expect(comparable((await adapter.get(S, 'b')) as StoredRecord)).toMatchObject({
        version: 20,
        expiresAt: 999,
        data: [1, 2, 3],
      });
      expect(await version('c', 'other')).toBe(15);
      expect(await adapter.readChanges(0, 100)).toEqual([]);
      expect(await adapter.lastSeq()).toBeGreaterThanOrEqual(20);
      expect(await hits('u')).toEqual(['a']);
      expect(await hits('n')).toEqual(['b']);
      expect(await refused([put('d', { indexes: [uniq('u', 'x')] })])).toMatchObject({
        reason: 'unique',
        holder: 'a',
      });
      const r = await ok([put('d')]);
      expect(r.firstSeq).toBeGreaterThan(20);
      expect(await version('d')).toBe(r.firstSeq);
    });

    it('differs in nothing from the memory adapter on random commit sequences', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(commitArb, { minLength: 1, maxLength: 10 }), async (steps) => {
          const reference = new MemoryAdapter();
          await reference.open();
          const subject = await options.create();
          try {
            await replay(steps, reference, subject);
          } finally {
            await destroy(subject);
            await reference.close();
          }
        }),
        { numRuns: options.propertyRuns ?? Number(process.env.PLINTH_ADAPTER_SUITE_RUNS ?? 25) },
      );
    }, 60_000);
  });
}

// ---------------------------------------------------------------------------------------------
// Differential property

const P_KEYS = ['a', 'b', 'c', 'd', '\u{1F600}'];
const P_SPACES = ['s', 't'];

const writeArb = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    space: fc.constantFrom(...P_SPACES),
    key: fc.constantFrom(...P_KEYS),
    format: fc.constantFrom(ValueFormat.JSON, ValueFormat.BYTES),
    payload: fc.integer({ min: 0, max: 9 }),
    u: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    n: fc.option(fc.constantFrom<IndexableValue>(null, 1, 'x'), { nil: undefined }),
    ttl: fc.constantFrom(null, 0, 25, 60),
  }),
  fc.record({
    op: fc.constant('delete' as const),
    space: fc.constantFrom(...P_SPACES),
    key: fc.constantFrom(...P_KEYS),
  }),
);

const checkArb = fc.oneof(
  fc.record({
    kind: fc.constant('record' as const),
    space: fc.constantFrom(...P_SPACES),
    key: fc.constantFrom(...P_KEYS),
    mode: fc.constantFrom('current' as const, 'absent' as const, 'stale' as const),
  }),
  fc.record({
    kind: fc.constant('keys' as const),
    space: fc.constantFrom(...P_SPACES),
    prefix: fc.option(fc.constantFrom(...P_KEYS), { nil: undefined }),
    reverse: fc.boolean(),
    limit: fc.integer({ min: 1, max: 4 }),
    tamper: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('index' as const),
    space: fc.constantFrom(...P_SPACES),
    reverse: fc.boolean(),
    limit: fc.integer({ min: 1, max: 4 }),
    tamper: fc.boolean(),
  }),
);

const commitArb = fc.record({
  writes: fc.array(writeArb, { maxLength: 4 }),
  checks: fc.array(checkArb, { maxLength: 2 }),
  advance: fc.integer({ min: 0, max: 30 }),
});

type Step = typeof commitArb extends fc.Arbitrary<infer T> ? T : never;

function toWrite(w: Step['writes'][number], now: number): Write {
  if (w.op === 'delete') return { op: 'delete', space: w.space, key: w.key };
  const indexes: IndexEntry[] = [];
  if (w.u !== null) indexes.push({ index: 'u', value: encodeIndexValue([w.u]), unique: true });
  if (w.n !== undefined)
    indexes.push({ index: 'n', value: encodeIndexValue([w.n]), unique: false });
  return {
    op: 'put',
    space: w.space,
    key: w.key,
    format: w.format,
    data:
      w.format === ValueFormat.JSON
        ? JSON.stringify({ p: w.payload, k: w.key })
        : Uint8Array.from([w.payload, 0, 255]),
    expiresAt: w.ttl === null ? null : now + w.ttl,
    indexes,
  };
}

/** Resolves a generated check against the reference state (so most pass, some fail). */
async function toCheck(
  c: Step['checks'][number],
  ref: MemoryAdapter,
  now: number,
): Promise<CommitCheck> {
  const tamper = (seen: Array<readonly [string, number]>) =>
    seen.length === 0
      ? [['a', 1] as const]
      : seen.map(([k, v], i) => [k, i === 0 ? v + 1 : v] as const);
  if (c.kind === 'record') {
    const rec = await ref.get(c.space, c.key);
    const live = rec !== undefined && !(rec.expiresAt !== null && rec.expiresAt <= now);
    const version =
      c.mode === 'absent'
        ? null
        : c.mode === 'current'
          ? live
            ? rec.version
            : null
          : (rec?.version ?? 2) - 1;
    return { kind: 'record', space: c.space, key: c.key, version };
  }
  if (c.kind === 'keys') {
    const scan: KeyScan = {
      kind: 'keys',
      space: c.space,
      reverse: c.reverse,
      limit: c.limit,
      now,
      ...(c.prefix === undefined ? {} : { prefix: c.prefix }),
    };
    const seen = (await ref.scanKeys(scan)).map((r) => [r.key, r.version] as const);
    return { kind: 'scan', scan, seen: c.tamper ? tamper(seen) : seen };
  }
  const scan: IndexScan = {
    kind: 'index',
    space: c.space,
    index: 'u',
    reverse: c.reverse,
    limit: c.limit,
    now,
  };
  const seen = (await ref.scanIndex(scan)).map((h) => [h.record.key, h.record.version] as const);
  return { kind: 'scan', scan, seen: c.tamper ? tamper(seen) : seen };
}

async function observe(a: StorageAdapter, now: number) {
  const out: Record<string, unknown> = {
    seq: await a.lastSeq(),
    feed: await a.readChanges(0, 10_000),
    spaces: await a.spaces(),
  };
  for (const space of P_SPACES) {
    for (const reverse of [false, true]) {
      const base = { kind: 'keys', space, reverse, limit: 100, now } as const;
      out[`${space}:keys:${reverse}`] = (await a.scanKeys(base)).map(comparable);
      out[`${space}:range:${reverse}`] = (
        await a.scanKeys({ ...base, gte: 'b', lt: 'd', limit: 2 })
      ).map(comparable);
      out[`${space}:gt:${reverse}`] = (
        await a.scanKeys({ ...base, gt: 'b', lte: '\u{1F600}' })
      ).map(comparable);
      for (const index of ['u', 'n']) {
        const scan: IndexScan = { kind: 'index', space, index, reverse, limit: 100, now };
        out[`${space}:${index}:${reverse}`] = (await a.scanIndex(scan)).map(comparableHit);
      }
    }
    for (const key of P_KEYS) {
      const rec = await a.get(space, key);
      out[`${space}/${key}`] = rec === undefined ? null : comparable(rec);
    }
  }
  return out;
}

async function replay(
  steps: Step[],
  reference: MemoryAdapter,
  subject: StorageAdapter,
): Promise<void> {
  let now = 1_000;
  for (const step of steps) {
    now += step.advance;
    const checks: CommitCheck[] = [];
    for (const c of step.checks) checks.push(await toCheck(c, reference, now));
    // KNOWN BUG in memory.ts (see test/adapters/memory.test.ts): a unique entry on a write that
    // a later write of the same batch replaces steals the current holder's claim. Until it is
    // fixed, only the last write of a key in a batch carries a unique entry.
    const writes = step.writes.map((w, i) => {
      const later = step.writes.slice(i + 1).some((x) => x.space === w.space && x.key === w.key);
      return toWrite(w.op === 'put' && later ? { ...w, u: null } : w, now);
    });
    const expected = await reference.commit({ checks, writes, now });
    const actual = await subject.commit({ checks, writes, now });
    expect(actual).toEqual(expected);
    expect(await observe(subject, now)).toEqual(await observe(reference, now));
  }
}
