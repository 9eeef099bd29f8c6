import { createHash } from 'node:crypto';
import { checkHostileCalls, hostileValues, nested, type HostileCall } from '@plinth/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, memoryAdapter, openStore, type Store } from '../src/index.js';

const DEEP_OBJECT = { d: nested(100_000) };
/** Hostile values, with the ones that matter to a store. */
const hostile = hostileValues([
  'x'.repeat(5000),
  { limit: -1 },
  { limit: 1e20 },
  { cursor: 'not-a-cursor' },
  { eq: Symbol('x') },
]);

const docs = (s: Store) => s.collection('docs');
const CALLS: ReadonlyArray<HostileCall<Store>> = [
  ['collection(x)', (s, a) => s.collection(a as never)],
  ['get(x)', (s, a) => docs(s).get(a as never)],
  ['getMany(x)', (s, a) => docs(s).getMany(a as never)],
  ['has(x)', (s, a) => docs(s).has(a as never)],
  ['list(x)', (s, a) => docs(s).list(a as never)],
  ['find(x, y)', (s, a, b) => docs(s).find(a as never, b as never)],
  ['find(byOwner, y)', (s, _a, b) => docs(s).find('byOwner', b as never)],
  ['findOne(byOwner, x)', (s, a) => docs(s).findOne('byOwner', a as never)],
  ['put(x, y)', (s, a, b) => docs(s).put(a as never, b as never)],
  ['put(k, x, y)', (s, a, b) => docs(s).put('k2', a as never, b as never)],
  ['insert(k, x)', (s, a) => docs(s).insert('k3', a as never)],
  ['update(k, x)', (s, a) => docs(s).update('k', a as never)],
  ['delete(x, y)', (s, a, b) => docs(s).delete(a as never, b as never)],
  ['kv.set(x, y)', (s, a, b) => s.kv.set(a as never, b as never)],
  ['kv.set(k, x, y)', (s, a, b) => s.kv.set('k', a as never, b as never)],
  ['kv.get(x)', (s, a) => s.kv.get(a as never)],
  ['kv.delete(x, y)', (s, a, b) => s.kv.delete(a as never, b as never)],
  ['kv.list(x)', (s, a) => s.kv.list(a as never)],
  ['transaction(x)', (s, a) => s.transaction(a as never)],
  [
    'transaction(put k x)',
    (s, a) => s.transaction((tx) => tx.collection('docs').put('k4', a as never)),
  ],
  ['defineCollections(x)', (s, a) => s.defineCollections(a as never)],
  ['changes(x)', (s, a) => s.changes(a as never)],
  ['purgeExpired(x)', (s, a) => s.purgeExpired(a as never)],
  [
    'truncateChanges(x)',
    (s, a) => (typeof a === 'number' && a >= 0 ? undefined : s.truncateChanges(a as never)),
  ],
  ['restore(x)', (s, a) => s.restore(a as never)],
  ['rotateKeys(x)', (s, a) => s.rotateKeys(a as never)],
  ['openStore(x)', (_s, a) => openStore(a as never)],
];

let store: Store;
async function snapshot(): Promise<string> {
  const parts: unknown[] = [store.collectionNames(), await store.lastSeq()];
  for (const name of store.collectionNames())
    parts.push((await store.collection(name).list({ limit: 1000 })).items);
  parts.push(
    (await store.kv.list({ limit: 1000 })).items.map((e) => [
      e.key,
      e.version,
      e.value instanceof Uint8Array ? Buffer.from(e.value).toString('hex') : e.value,
    ]),
  );
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

beforeAll(async () => {
  store = await openStore({
    adapter: memoryAdapter(),
    collections: { docs: { indexes: { byOwner: { fields: ['owner'] } } } },
  });
  await store.collection('docs').put('k', { owner: 'ann', n: 1 });
  await store.kv.set('k', 'v');
});
afterAll(async () => {
  await store.close();
});

describe('hostile input to the public API', () => {
  it('is refused with a catalogued PlinthError and leaves the store unchanged (property)', async () => {
    const { rejected, accepted } = await checkHostileCalls({
      target: store,
      calls: CALLS,
      codes: ERROR_CODES,
      first: hostile,
      second: hostile,
      snapshot,
      seed: 3131,
      numRuns: 800,
    });
    console.log(
      `storage hostile input: ${rejected} rejected with catalogued PlinthErrors, ${accepted} accepted, 0 raw errors`,
    );
  }, 120_000);
});

describe('deep documents', () => {
  it('refuses a document nested 100,000 levels deep with E_LIMIT_EXCEEDED, writing nothing', async () => {
    await expect(store.collection('docs').put('deep', DEEP_OBJECT as never)).rejects.toMatchObject({
      code: 'E_LIMIT_EXCEEDED',
      details: { limit: 'maxDepth', max: 256 },
    });
    expect(await store.collection('docs').get('deep')).toBeUndefined();
  });
});
