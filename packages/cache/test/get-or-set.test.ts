import { ManualClock } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { Cache, memoryL2, type CacheEvents } from '../src/index.js';

function setup(options: ConstructorParameters<typeof Cache>[0] = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const l2 = memoryL2({ clock });
  const cache = new Cache({ clock, l2, timeResolution: 0, ...options });
  return { clock, l2, cache };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('getOrSet', () => {
  it('runs the factory once for concurrent callers (single flight) and caches the value', async () => {
    const { cache, clock } = setup();
    let calls = 0;
    const factory = async () => {
      calls++;
      await clock.sleep(100);
      return { v: calls };
    };
    const all = Array.from({ length: 50 }, () => cache.getOrSet('k', factory));
    await clock.advanceAsync(100);
    expect(await Promise.all(all)).toEqual(Array.from({ length: 50 }, () => ({ v: 1 })));
    expect(calls).toBe(1);
    expect(await cache.getOrSet('k', factory)).toEqual({ v: 1 });
    expect(calls).toBe(1);
    expect(cache.stats().factoryCalls).toBe(1);
  });

  it('answers from L2 without calling the factory', async () => {
    const { cache, clock, l2 } = setup();
    await cache.set('k', 'from-l2');
    const other = new Cache({ clock, l2 });
    expect(await other.getOrSet('k', () => 'factory')).toBe('from-l2');
  });

  it('a throwing factory is E_FACTORY_FAILED (cause kept) and is not cached', async () => {
    const { cache } = setup();
    let calls = 0;
    const boom = new Error('db down');
    const failing = () => {
      calls++;
      throw boom;
    };
    await expect(cache.getOrSet('k', failing)).rejects.toMatchObject({
      code: 'E_FACTORY_FAILED',
      cause: boom,
    });
    await expect(cache.getOrSet('k', async () => Promise.reject(boom))).rejects.toMatchObject({
      code: 'E_FACTORY_FAILED',
    });
    expect(await cache.getOrSet('k', () => 'ok')).toBe('ok');
    expect(calls).toBe(1);
  });

  it('negative caching replays a failure and caches undefined for negativeTtl', async () => {
    const { cache, clock } = setup({ negativeTtl: 1_000 });
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('not found upstream');
    };
    await expect(cache.getOrSet('k', failing)).rejects.toMatchObject({ code: 'E_FACTORY_FAILED' });
    await expect(cache.getOrSet('k', failing)).rejects.toMatchObject({
      code: 'E_FACTORY_FAILED',
      details: expect.objectContaining({ cached: true }),
    });
    expect(calls).toBe(1);
    clock.advance(1_000);
    expect(await cache.getOrSet('k', () => 'now ok')).toBe('now ok');

    let lookups = 0;
    const absent = () => (lookups++, undefined);
    expect(await cache.getOrSet('missing', absent)).toBeUndefined();
    expect(await cache.getOrSet('missing', absent)).toBeUndefined();
    expect(lookups).toBe(1);
    expect(await cache.get('missing')).toBeUndefined();
  });

  it('without negative caching, undefined results are not cached', async () => {
    const { cache } = setup();
    let calls = 0;
    await cache.getOrSet('k', () => (calls++, undefined));
    await cache.getOrSet('k', () => (calls++, undefined));
    expect(calls).toBe(2);
  });

  it('a non-serializable factory result is refused and nothing is cached', async () => {
    const { cache } = setup();
    await expect(cache.getOrSet('k', () => 10n)).rejects.toMatchObject({
      code: 'E_NOT_SERIALIZABLE',
    });
    expect(await cache.get('k')).toBeUndefined();
  });

  it('hard timeout: E_FACTORY_TIMEOUT, the factory signal aborted, nothing cached', async () => {
    const { cache, clock } = setup();
    let signal: AbortSignal | undefined;
    const p = cache.getOrSet(
      'k',
      (ctx) => ((signal = ctx.signal), clock.sleep(5_000).then(() => 'late')),
      { hardTimeout: 100 },
    );
    const outcome = p.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await outcome).toMatchObject({ code: 'E_FACTORY_TIMEOUT', retryable: true });
    expect(signal?.aborted).toBe(true);
    await clock.advanceAsync(5_000);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('soft timeout: serves the stale value, refreshes in the background', async () => {
    const { cache, clock } = setup({ grace: 60_000 });
    await cache.set('k', 'old', { ttl: 1_000 });
    clock.advance(1_500);
    const events: Array<CacheEvents['factory:timeout']> = [];
    cache.on('factory:timeout', (e) => events.push(e));
    const refreshed = cache.next('factory:refreshed');
    const p = cache.getOrSet('k', () => clock.sleep(500).then(() => 'new'), { softTimeout: 50 });
    await clock.advanceAsync(50);
    expect(await p).toBe('old');
    expect(events).toEqual([{ key: 'k', kind: 'soft', ms: 50 }]);
    await clock.advanceAsync(450);
    expect(await refreshed).toEqual({ key: 'k', ok: true });
    expect(await cache.get('k')).toBe('new');
    expect(cache.stats().staleHits).toBe(1);
  });

  it('stale-while-revalidate (softTimeout 0): stale at once, one background refresh for all callers', async () => {
    const { cache, clock } = setup({ grace: 60_000, softTimeout: 0 });
    await cache.set('k', 1, { ttl: 1_000 });
    clock.advance(2_000);
    let calls = 0;
    const factory = () => clock.sleep(100).then(() => ++calls + 1);
    expect(await cache.getOrSet('k', factory)).toBe(1);
    expect(await cache.getOrSet('k', factory)).toBe(1);
    await clock.advanceAsync(100);
    await flush();
    expect(calls).toBe(1);
    expect(await cache.getOrSet('k', factory)).toBe(2);
  });

  it('grace: a failing factory is answered with the stale value, retried only after graceBackoff', async () => {
    const { cache, clock } = setup({ grace: 60_000, graceBackoff: 5_000 });
    await cache.set('k', 'stale', { ttl: 1_000 });
    clock.advance(2_000);
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('upstream down');
    };
    const errors: Array<CacheEvents['factory:error']> = [];
    cache.on('factory:error', (e) => errors.push(e));
    expect(await cache.getOrSet('k', failing)).toBe('stale');
    expect(await cache.getOrSet('k', failing)).toBe('stale');
    expect(calls).toBe(1);
    expect(errors[0]?.servedStale).toBe(true);
    clock.advance(5_000);
    expect(await cache.getOrSet('k', () => 'fresh')).toBe('fresh');
  });

  it('grace also covers a hard timeout', async () => {
    const { cache, clock } = setup({ grace: 60_000 });
    await cache.set('k', 'stale', { ttl: 1_000 });
    clock.advance(2_000);
    const p = cache.getOrSet('k', () => clock.sleep(10_000).then(() => 'slow'), {
      hardTimeout: 100,
    });
    await clock.advanceAsync(100);
    expect(await p).toBe('stale');
  });

  it('past grace, the stale value is gone', async () => {
    const { cache, clock } = setup({ grace: 1_000 });
    await cache.set('k', 'stale', { ttl: 1_000 });
    clock.advance(2_001);
    await expect(cache.getOrSet('k', () => Promise.reject(new Error('x')))).rejects.toMatchObject({
      code: 'E_FACTORY_FAILED',
    });
  });

  it('the factory adapts its entry (setOptions) or declines caching (skip)', async () => {
    const { cache, clock } = setup();
    await cache.getOrSet('k', (ctx) => {
      ctx.setOptions({ ttl: 10, tags: ['t'] });
      return 1;
    });
    clock.advance(10);
    expect(await cache.get('k')).toBeUndefined();
    let calls = 0;
    const skipping = (ctx: { skip(): void }) => {
      ctx.skip();
      return ++calls;
    };
    expect(await cache.getOrSet('s', skipping)).toBe(1);
    expect(await cache.getOrSet('s', skipping)).toBe(2);
  });

  it('a cross-instance lock (memory L2): the second instance waits for the first one’s value', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const a = new Cache({ clock, l2, timeResolution: 0 });
    const b = new Cache({ clock, l2, timeResolution: 0 });
    let calls = 0;
    const factory = () => clock.sleep(200).then(() => `v${++calls}`);
    const opts = { lock: true, lockPoll: 50, lockWait: 5_000 };
    const pa = a.getOrSet('k', factory, opts);
    await flush();
    const pb = b.getOrSet('k', factory, opts);
    for (let i = 0; i < 10; i++) await clock.advanceAsync(50);
    expect(await pa).toBe('v1');
    expect(await pb).toBe('v1');
    expect(calls).toBe(1);
    expect(l2.keys().some((k) => k.includes('#lock'))).toBe(false); // released
  });

  it('a lock whose holder never answers: the waiter runs the factory after lockWait', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const b = new Cache({ clock, l2, timeResolution: 0 });
    await l2.tryLock?.('plinth:cache:\u001f#lock\u001fk', 'crashed-holder', 60_000);
    const pb = b.getOrSet('k', () => 'own', { lock: true, lockWait: 300, lockPoll: 100 });
    for (let i = 0; i < 4; i++) await clock.advanceAsync(100);
    expect(await pb).toBe('own');
  });
});

describe('close() with a factory still running', () => {
  it('does not wait for it, and its late result is not stored', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const cache = new Cache({ clock, l2 });
    let finish: (v: string) => void = () => undefined;
    const pending = cache.getOrSet('k', () => new Promise<string>((r) => (finish = r)));
    await flush();
    await cache.close(); // returns although the factory has not settled
    finish('late');
    expect(await pending).toBe('late');
    expect(l2.keys()).toEqual([]);
  });
});
