import { randomUUID } from 'node:crypto';
import {
  Cache,
  createCache,
  EVICTION_POLICIES,
  replayTrace,
  seededRandom,
  WTinyLfuPolicy,
  zipfTrace,
} from '@plinth/cache';
import { redisBus, redisL2 } from '@plinth/cache/adapters/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { LRUCache } from 'lru-cache';
import { defineSuite, type BenchCase, type Measurement } from '../src/harness.js';

/**
 * @plinth/cache against lru-cache (raw L1 speed, eviction throughput) and bentocache (the
 * multi-tier anchor), one process, same keys. Redis cases need PLINTH_REDIS_URL; each run uses
 * its own random key prefix and channel and deletes its keys afterwards.
 */

const smoke = process.argv.includes('--smoke') || process.env.PLINTH_BENCH_SMOKE === '1';
const redisUrl = process.env.PLINTH_REDIS_URL;
const KEYS = smoke ? 1_000 : 10_000;
const ORDER_MASK = (1 << 16) - 1;

const closers: Array<() => Promise<unknown>> = [];

function redisConnection(url: string): { host: string; port: number; db: number } {
  const u = new URL(url);
  const db = Number(u.pathname.slice(1) || 0);
  return { host: u.hostname, port: Number(u.port || 6379), db };
}

function same(a: unknown, b: unknown, what: string): void {
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error(`${what}: ${JSON.stringify(a)} !== ${JSON.stringify(b)}`);
  }
}

function noFactory(): never {
  throw new Error('the factory must not run on a hit');
}

export default defineSuite({
  name: 'cache',
  description:
    '@plinth/cache vs lru-cache (L1 get hit through the sync L1 API, eviction throughput) and ' +
    'bentocache (getOrSet hit, two-tier get over memory + Redis + bus; bentocache L1 with ' +
    'serialize:false, its fastest mode, which like ours keeps values by reference). Same keys, ' +
    'same random access order, one process. Hit rates and bus delay are measurements.',
  async cases() {
    const random = seededRandom(42);
    const keys = Array.from({ length: KEYS }, (_, i) => `user:${Math.imul(i, 7919) >>> 0}`);
    const order = new Uint32Array(ORDER_MASK + 1);
    for (let i = 0; i < order.length; i++) order[i] = Math.floor(random() * KEYS);
    const value = (i: number) => ({ id: i, name: `user ${i}`, roles: ['reader'] });
    let sink: unknown;
    let pos = 0;
    const nextKey = () => keys[order[pos++ & ORDER_MASK] as number] as string;

    const lru = new LRUCache<string, object>({ max: KEYS });
    const l1Lru = new Cache({ l1: { policy: 'lru', maxEntries: KEYS } });
    const l1Tiny = new Cache({ l1: { policy: 'w-tinylfu', maxEntries: KEYS } });
    const bentoL1 = new BentoCache({
      default: 'l1',
      stores: { l1: bentostore().useL1Layer(memoryDriver({ maxItems: KEYS, serialize: false })) },
    });
    closers.push(
      () => l1Lru.close(),
      () => l1Tiny.close(),
      () => bentoL1.disconnectAll(),
    );
    for (let i = 0; i < KEYS; i++) {
      const k = keys[i] as string;
      lru.set(k, value(i));
      await l1Lru.set(k, value(i));
      await l1Tiny.set(k, value(i));
      await bentoL1.set({ key: k, value: value(i) });
    }

    const syncGet = (get: (k: string) => unknown) => (n: number) => {
      for (let i = 0; i < n; i++) sink = get(nextKey());
      return sink;
    };

    const cases: BenchCase[] = [
      {
        name: 'L1 get hit (sync L1 API, LRU policy) vs raw lru-cache',
        batch: 2_000,
        target: { minRatio: 0.77 },
        verify() {
          for (const k of keys.slice(0, 100)) same(l1Lru.getSync(k), lru.get(k), k);
        },
        ours: { name: 'cache.getSync (lru)', fn: syncGet((k) => l1Lru.getSync(k)) },
        anchors: [{ name: 'lru-cache get', fn: syncGet((k) => lru.get(k)) }],
      },
      {
        // Informational: the W-TinyLFU target is the policy's get/set throughput (below).
        name: 'L1 get hit (sync L1 API, W-TinyLFU policy) vs raw lru-cache',
        batch: 2_000,
        verify() {
          for (const k of keys.slice(0, 100)) same(l1Tiny.getSync(k), lru.get(k), k);
        },
        ours: { name: 'cache.getSync (w-tinylfu)', fn: syncGet((k) => l1Tiny.getSync(k)) },
        anchors: [{ name: 'lru-cache get', fn: syncGet((k) => lru.get(k)) }],
      },
      {
        name: 'getOrSet, L1 hit (awaited)',
        batch: 1_000,
        target: { minOpsPerSec: 5_000_000 },
        async verify() {
          for (const k of keys.slice(0, 100)) {
            same(
              await l1Tiny.getOrSet(k, noFactory),
              await bentoL1.getOrSet({ key: k, factory: noFactory }),
              k,
            );
          }
        },
        ours: {
          name: 'cache.getOrSet',
          fn: async (n) => {
            for (let i = 0; i < n; i++) sink = await l1Tiny.getOrSet(nextKey(), noFactory);
            return sink;
          },
        },
        anchors: [
          {
            name: 'bentocache getOrSet',
            fn: async (n) => {
              for (let i = 0; i < n; i++)
                sink = await bentoL1.getOrSet({ key: nextKey(), factory: noFactory });
              return sink;
            },
          },
          {
            // The floor of any awaited API on this machine: one resolved promise per call.
            name: 'ceiling: await Promise.resolve(lru.get(key))',
            fn: async (n) => {
              for (let i = 0; i < n; i++) sink = await Promise.resolve(lru.get(nextKey()));
              return sink;
            },
          },
        ],
      },
    ];

    // Eviction throughput: cache-aside over a Zipf trace, the cache at 1 % of the key space.
    const trace = zipfTrace({
      keys: smoke ? 10_000 : 100_000,
      length: smoke ? 50_000 : 1_000_000,
      exponent: 0.9,
      seed: 7,
    });
    const capacity = smoke ? 100 : 1_000;
    const marker = { present: true };
    let tpos = 0;
    const aside = (get: (k: string) => unknown, set: (k: string) => void) => (n: number) => {
      for (let i = 0; i < n; i++) {
        const k = trace[tpos++ % trace.length] as string;
        if (get(k) === undefined) set(k);
      }
      return tpos;
    };
    const tiny = new WTinyLfuPolicy<object>({ capacity });
    const lruAside = new LRUCache<string, object>({ max: capacity });
    cases.push({
      name: 'W-TinyLFU get/set (cache-aside on Zipf 0.9, 1 % capacity) vs lru-cache',
      batch: 2_000,
      target: { minRatio: 0.5 },
      verify() {
        const t = new WTinyLfuPolicy<object>({ capacity });
        for (const k of trace.slice(0, 10_000)) if (t.get(k) === undefined) t.set(k, marker);
        if (t.size !== capacity) throw new Error(`W-TinyLFU holds ${t.size}, expected ${capacity}`);
      },
      ours: {
        name: 'WTinyLfuPolicy',
        fn: aside(
          (k) => tiny.get(k),
          (k) => void tiny.set(k, marker),
        ),
      },
      anchors: [
        {
          name: 'lru-cache',
          fn: aside(
            (k) => lruAside.get(k),
            (k) => void lruAside.set(k, marker),
          ),
        },
      ],
    });

    if (redisUrl === undefined) {
      console.log(
        '[cache] PLINTH_REDIS_URL is not set: skipping the two-tier (Redis) cases and the bus delay',
      );
      return cases;
    }

    const prefix = `plinth-bench:${randomUUID()}:`;
    const channel = `${prefix}bus`;
    const conn = redisConnection(redisUrl);
    const tiered = await createCache({
      l2: redisL2({ url: redisUrl }),
      bus: redisBus({ url: redisUrl, channel }),
      prefix: `${prefix}ours:`,
      l1: { maxEntries: KEYS },
    });
    const bento = new BentoCache({
      default: 'tiered',
      prefix: `${prefix}bento`,
      stores: {
        tiered: bentostore()
          .useL1Layer(memoryDriver({ maxItems: KEYS, serialize: false }))
          .useL2Layer(redisDriver({ connection: conn }))
          .useBus(redisBusDriver({ connection: conn })),
      },
    });
    // L1 of one entry, round-robin over many keys: every read misses L1 and hits Redis.
    const missL1 = await createCache({
      l2: redisL2({ url: redisUrl }),
      prefix: `${prefix}ours:`,
      l1: { policy: 'lru', maxEntries: 1 },
    });
    const bentoMiss = new BentoCache({
      default: 'tiered',
      prefix: `${prefix}bento`,
      stores: {
        tiered: bentostore()
          .useL1Layer(memoryDriver({ maxItems: 1, serialize: false }))
          .useL2Layer(redisDriver({ connection: conn })),
      },
    });
    closers.push(
      async () => {
        await tiered.clear();
        await bento.clear();
      },
      () => tiered.close(),
      () => missL1.close(),
      () => bento.disconnectAll(),
      () => bentoMiss.disconnectAll(),
    );
    await tiered.setMany(keys.map((k, i) => ({ key: k, value: value(i) })));
    for (let i = 0; i < KEYS; i += 200) {
      await Promise.all(
        keys.slice(i, i + 200).map((k, j) => bento.set({ key: k, value: value(i + j) })),
      );
    }
    const l2Keys = keys.slice(0, 256);
    let rr = 0;
    cases.push(
      {
        name: 'two-tier get, L1 hit (memory + Redis + bus)',
        batch: 1_000,
        target: { minRatio: 1.0 },
        async verify() {
          for (const k of keys.slice(0, 100))
            same(await tiered.get(k), await bento.get({ key: k }), k);
        },
        ours: {
          name: 'cache.get',
          fn: async (n) => {
            for (let i = 0; i < n; i++) sink = await tiered.get(nextKey());
            return sink;
          },
        },
        anchors: [
          {
            name: 'bentocache get',
            fn: async (n) => {
              for (let i = 0; i < n; i++) sink = await bento.get({ key: nextKey() });
              return sink;
            },
          },
        ],
      },
      {
        name: 'two-tier get, L1 miss / L2 hit (real Redis)',
        batch: 20,
        async verify() {
          for (const k of l2Keys.slice(0, 20))
            same(await missL1.get(k), await bentoMiss.get({ key: k }), k);
        },
        ours: {
          name: 'cache.get',
          fn: async (n) => {
            for (let i = 0; i < n; i++) sink = await missL1.get(l2Keys[rr++ & 255] as string);
            return sink;
          },
        },
        anchors: [
          {
            name: 'bentocache get',
            fn: async (n) => {
              for (let i = 0; i < n; i++)
                sink = await bentoMiss.get({ key: l2Keys[rr++ & 255] as string });
              return sink;
            },
          },
        ],
      },
    );
    return cases;
  },

  async measurements(settings) {
    const out: Measurement[] = [];
    const keys = settings.smoke ? 10_000 : 100_000;
    const length = settings.smoke ? 100_000 : 1_000_000;
    const size = keys / 100;
    const trace = zipfTrace({ keys, length, exponent: 0.9, seed: 1 });
    const results = replayTrace(trace, {
      sizes: [size],
      policies: EVICTION_POLICIES,
      warmup: length / 10,
    });
    const rate = (p: string) => results.find((r) => r.policy === p)?.hitRate ?? NaN;
    for (const r of results) {
      out.push({
        name: `hit rate ${r.policy}, Zipf(0.9), cache = 1 % of ${keys} keys`,
        value: r.hitRate,
        unit: '%',
        note: `${length} accesses, first 10 % warm-up`,
      });
    }
    out.push({
      name: 'W-TinyLFU minus LRU hit rate (Zipf 0.9, 1 %)',
      value: rate('w-tinylfu') - rate('lru'),
      unit: 'points',
      target: { min: 5 },
    });

    if (redisUrl === undefined) {
      console.log('[cache] PLINTH_REDIS_URL is not set: no bus propagation measurement');
      return out;
    }
    const prefix = `plinth-bench:${randomUUID()}:`;
    const channel = `${prefix}bus`;
    const make = () =>
      createCache({
        l2: redisL2({ url: redisUrl }),
        bus: redisBus({ url: redisUrl, channel }),
        prefix,
      });
    const a = await make();
    const b = await make();
    try {
      const rounds = settings.smoke ? 10 : 300;
      const delays: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const key = `k${i}`;
        await a.set(key, i);
        if ((await b.get(key)) !== i || b.getSync(key) !== i)
          throw new Error('b must hold the key in L1');
        const landed = b.next('bus:received', {
          filter: (e) => e.message.type === 'delete' && e.message.keys.includes(key),
        });
        const t0 = performance.now();
        await a.delete(key);
        await landed;
        delays.push(performance.now() - t0);
        if (b.getSync(key) !== undefined)
          throw new Error('b served a stale value after the bus message');
      }
      delays.sort((x, y) => x - y);
      const q = (p: number) =>
        delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] as number;
      out.push({
        name: 'bus propagation delay, delete → other L1 invalidated (median)',
        value: q(0.5),
        unit: 'ms',
        note: `${rounds} deletes over Redis pub/sub`,
      });
      out.push({ name: 'bus propagation delay (p99)', value: q(0.99), unit: 'ms' });
    } finally {
      await a.clear();
      await a.close();
      await b.close();
    }
    return out;
  },

  async teardown() {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  },
});
