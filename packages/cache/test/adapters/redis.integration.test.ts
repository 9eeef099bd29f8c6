import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describeWithService } from '@plinth/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisBus, redisL2 } from '../../src/adapters/redis.js';
import { Cache, createCache, type CacheEvents } from '../../src/index.js';
import { runL2ConformanceSuite } from '../../src/testing/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithService('PLINTH_REDIS_URL', 'redis', (url) => {
  runL2ConformanceSuite({
    name: 'redisL2',
    async create() {
      const adapter = redisL2({ url });
      await adapter.connect();
      // Redis keeps its own time: the suite's TTLs are tens of ms, so wait them out.
      return { adapter, advance: (ms) => sleep(ms).then(() => undefined) };
    },
  });

  describe('redis regressions', () => {
    const prefix = `plinth-test:${randomUUID()}:`;
    let admin: Redis;

    beforeAll(() => {
      admin = new Redis(url);
    });

    afterAll(async () => {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await admin.unlink(...keys);
      } while (cursor !== '0');
      await admin.quit();
    });

    it('prefix deletes never use KEYS', async () => {
      const l2 = redisL2({ url });
      await l2.connect();
      const monitor = await admin.monitor();
      const commands: string[] = [];
      monitor.on('monitor', (_time: string, args: string[]) =>
        commands.push(String(args[0]).toLowerCase()),
      );
      await l2.set(`${prefix}m:1`, new Uint8Array([1]), undefined);
      await l2.deletePrefix(`${prefix}m:`);
      await sleep(50);
      monitor.disconnect();
      await l2.close();
      expect(commands).toContain('scan');
      expect(commands).not.toContain('keys');
    });

    it('two instances with separate L1s: a delete on one leaves no stale value on the other once the bus message lands', async () => {
      const channel = `${prefix}bus`;
      const make = () =>
        createCache({ l2: redisL2({ url }), bus: redisBus({ url, channel }), prefix, ttl: 60_000 });
      const a = await make();
      const b = await make();
      try {
        await a.set('user:1', { name: 'ada' });
        expect(await b.get('user:1')).toEqual({ name: 'ada' });
        expect(b.getSync('user:1')).toEqual({ name: 'ada' }); // now in b's L1
        const landed = b.next('bus:received', {
          filter: (e: CacheEvents['bus:received']) =>
            e.message.type === 'delete' && e.message.keys.includes('user:1'),
        });
        await a.delete('user:1');
        await landed;
        expect(b.getSync('user:1')).toBeUndefined();
        expect(await b.get('user:1')).toBeUndefined();

        // tags and namespace clears travel too
        await a.set('t', 1, { tags: ['group'] });
        await a.namespace('ns').set('x', 1);
        expect(await b.get('t')).toBe(1);
        expect(await b.namespace('ns').get('x')).toBe(1);
        const tagged = b.next('bus:received', { filter: (e) => e.message.type === 'tags' });
        await a.invalidateTags(['group']);
        await tagged;
        expect(b.getSync('t')).toBeUndefined();
        const cleared = b.next('bus:received', { filter: (e) => e.message.type === 'clear' });
        await a.namespace('ns').clear();
        await cleared;
        expect(b.namespace('ns').getSync('x')).toBeUndefined();
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('a cross-instance lock runs the factory once for two instances', async () => {
      const a = await createCache({ l2: redisL2({ url }), prefix });
      const b = await createCache({ l2: redisL2({ url }), prefix });
      let calls = 0;
      const factory = async () => {
        calls++;
        await sleep(150);
        return 'v';
      };
      const opts = { lock: true, lockPoll: 10, lockWait: 5_000 };
      const [x, y] = await Promise.all([
        a.getOrSet('locked', factory, opts),
        b.getOrSet('locked', factory, opts),
      ]);
      expect([x, y]).toEqual(['v', 'v']);
      expect(calls).toBe(1);
      await a.close();
      await b.close();
    });

    it('a wrong Redis address fails connect() with E_L2_UNAVAILABLE, or starts degraded when asked', async () => {
      const dead = 'redis://127.0.0.1:1';
      await expect(
        createCache({ l2: redisL2({ url: dead, connectTimeout: 500 }) }),
      ).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' });
      const cache = await createCache({
        l2: redisL2({ url: dead, connectTimeout: 500 }),
        startDegraded: true,
      });
      await cache.set('k', 'v');
      expect(await cache.get('k')).toBe('v');
      expect(cache.stats().l2Available).toBe(false);
      await cache.close();
    });

    it('degrades to L1 while Redis is unreachable, reports it, and recovers by itself', async () => {
      // A TCP proxy in front of the real Redis that the test can take down and bring back.
      const target = new URL(url);
      const sockets = new Set<Socket>();
      const proxy = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      const port = (proxy.address() as AddressInfo).port;
      const stop = () =>
        new Promise<void>((r) => {
          proxy.close(() => r());
          for (const s of sockets) s.destroy();
          sockets.clear();
        });
      const cache = new Cache({
        l2: redisL2({ url: `redis://127.0.0.1:${port}`, commandTimeout: 200, connectTimeout: 200 }),
        prefix,
        l2RetryAfter: 20,
      });
      await cache.connect();
      await cache.set('r', 1);
      const downs: Array<CacheEvents['l2:down']> = [];
      const ups: Array<CacheEvents['l2:up']> = [];
      cache.on('l2:down', (e) => downs.push(e));
      cache.on('l2:up', (e) => ups.push(e));
      await stop();
      for (let i = 0; i < 100 && downs.length === 0; i++) {
        // L2 errors never reach the caller: the read answers (a miss) instead of throwing.
        await expect(cache.get(`probe-${i}`)).resolves.toBeUndefined();
        await sleep(20);
      }
      expect(downs.length).toBeGreaterThan(0);
      expect(cache.stats().l2Available).toBe(false);
      expect(cache.stats().l2Errors).toBeGreaterThan(0);
      expect(await cache.get('r')).toBe(1); // from L1 while L2 is down
      await cache.set('during', 2); // writes keep working on L1
      expect(await cache.get('during')).toBe(2);
      await expect(cache.get('x', { throwOnL2Error: true })).rejects.toMatchObject({
        code: 'E_L2_UNAVAILABLE',
      });
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      for (let i = 0; i < 300 && ups.length === 0; i++) {
        await cache.get(`probe-up-${i}`);
        await sleep(20);
      }
      expect(ups.length).toBe(1);
      expect(cache.stats().l2Available).toBe(true);
      await cache.close();
      await stop();
    });

    it('started degraded (Redis not there yet), it connects by itself once Redis appears', async () => {
      const target = new URL(url);
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r())); // nothing listens on `port` now
      const cache = await createCache({
        l2: redisL2({ url: `redis://127.0.0.1:${port}`, connectTimeout: 200, commandTimeout: 200 }),
        prefix,
        startDegraded: true,
        l2RetryAfter: 20,
      });
      expect(cache.stats().l2Available).toBe(false);
      const ups: unknown[] = [];
      cache.on('l2:up', (e) => ups.push(e));
      const proxy = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      for (let i = 0; i < 300 && ups.length === 0; i++) {
        await cache.get(`probe-${i}`);
        await sleep(20);
      }
      expect(ups).toHaveLength(1);
      await cache.set('late', 1);
      const reader = await createCache({ l2: redisL2({ url }), prefix });
      expect(await reader.get('late')).toBe(1);
      await reader.close();
      await cache.close();
      await new Promise<void>((r) => proxy.close(() => r()));
    });

    it('rejects a URL that is not redis:// with E_INVALID_OPTION before any I/O', () => {
      expect(() => redisL2({ url: 'http://127.0.0.1:6379' })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_OPTION' }),
      );
      expect(() => redisL2({ url: 'not a url' })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_OPTION' }),
      );
    });
  });
});
