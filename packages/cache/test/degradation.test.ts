import { ManualClock, MemoryLogger } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { Cache, createCache, memoryL2, type CacheEvents } from '../src/index.js';

describe('graceful degradation', () => {
  it('L2 down: keeps working on L1, reports the outage once (event, stats, log), recovers by itself', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const logger = new MemoryLogger();
    const cache = new Cache({ clock, l2, logger, l2RetryAfter: 1_000, timeResolution: 0 });
    await cache.connect();
    await cache.set('warm', 1);
    const downs: Array<CacheEvents['l2:down']> = [];
    const ups: Array<CacheEvents['l2:up']> = [];
    cache.on('l2:down', (e) => downs.push(e));
    cache.on('l2:up', (e) => ups.push(e));

    l2.down = true;
    await cache.set('during', 2); // L1 write succeeds; the L2 write fails silently
    expect(await cache.get('during')).toBe(2);
    expect(await cache.get('warm')).toBe(1);
    expect(await cache.get('cold')).toBeUndefined(); // circuit open: L2 not even tried
    expect(await cache.getOrSet('made', () => 3)).toBe(3);
    expect(downs).toHaveLength(1);
    expect(downs[0]).toMatchObject({ operation: 'set', retryAt: clock.now() + 1_000 });
    expect(cache.stats()).toMatchObject({ l2Available: false, l2Errors: 1 });
    expect(logger.at('warn').some((r) => r.message?.includes('L2 unavailable'))).toBe(true);

    clock.advance(1_000);
    l2.down = false;
    expect(await cache.get('cold')).toBeUndefined(); // the probe succeeds
    expect(ups).toEqual([{ downMs: 1_000 }]);
    expect(cache.stats().l2Available).toBe(true);
    await cache.set('after', 4);
    expect(await new Cache({ clock, l2 }).get('after')).toBe(4);
  });

  it('a probe that fails again keeps the circuit open for another period', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const cache = new Cache({ clock, l2, l2RetryAfter: 1_000, timeResolution: 0 });
    const downs: unknown[] = [];
    cache.on('l2:down', (e) => downs.push(e));
    l2.down = true;
    await cache.get('a');
    clock.advance(1_000);
    await cache.get('a');
    expect(downs).toHaveLength(2);
    expect(cache.stats().l2Errors).toBe(2);
  });

  it('throwOnL2Error surfaces E_L2_UNAVAILABLE (instance or per call)', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    l2.down = true;
    const strict = new Cache({ clock, l2, throwOnL2Error: true });
    await expect(strict.get('a')).rejects.toMatchObject({
      code: 'E_L2_UNAVAILABLE',
      retryable: true,
    });
    const lenient = new Cache({ clock, l2: memoryL2({ clock }) });
    const down = memoryL2({ clock });
    down.down = true;
    const perCall = new Cache({ clock, l2: down });
    await expect(perCall.set('a', 1, { throwOnL2Error: true })).rejects.toMatchObject({
      code: 'E_L2_UNAVAILABLE',
    });
    await expect(lenient.get('a')).resolves.toBeUndefined();
  });

  it('an unreachable L2 at start is E_L2_UNAVAILABLE, or degraded mode with startDegraded', async () => {
    const l2 = memoryL2();
    l2.down = true;
    await expect(createCache({ l2 })).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' });
    const l2b = memoryL2();
    l2b.down = true;
    const cache = await createCache({ l2: l2b, startDegraded: true });
    expect(cache.stats().l2Available).toBe(false);
    await cache.set('k', 1);
    expect(await cache.get('k')).toBe(1);
    await cache.close();
  });

  it('a failing bus never fails a write; it is reported', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const bus = {
      name: 'broken',
      subscribe: () => Promise.resolve(),
      publish: () => Promise.reject(new Error('bus down')),
      close: () => Promise.resolve(),
    };
    const cache = new Cache({ clock, bus });
    await cache.connect();
    const errors: Array<CacheEvents['bus:error']> = [];
    cache.on('bus:error', (e) => errors.push(e));
    await cache.set('k', 1);
    await cache.delete('k');
    expect(errors.map((e) => e.operation)).toEqual(['publish', 'publish']);
    await expect(cache.set('k', 1, { throwOnL2Error: true })).rejects.toMatchObject({
      code: 'E_L2_UNAVAILABLE',
    });
  });
});
