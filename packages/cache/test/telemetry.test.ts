import {
  metrics,
  type Meter,
  type MeterProvider,
  type BatchObservableCallback,
  type Observable,
} from '@opentelemetry/api';
import { ManualClock } from '@plinth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Cache, memoryL2, type CacheEvents } from '../src/index.js';

/** A meter provider that records what the cache registers and lets the test collect. */
function recordingProvider() {
  const callbacks: BatchObservableCallback[] = [];
  const histograms: Array<{ name: string; value: number; attributes: unknown }> = [];
  const named = (name: string) => ({ name }) as unknown as Observable;
  const meter = {
    createHistogram: (name: string) => ({
      record: (value: number, attributes: unknown) => histograms.push({ name, value, attributes }),
    }),
    createObservableCounter: named,
    createObservableGauge: named,
    addBatchObservableCallback: (cb: BatchObservableCallback) => callbacks.push(cb),
    removeBatchObservableCallback: (cb: BatchObservableCallback) =>
      callbacks.splice(callbacks.indexOf(cb), 1),
  } as unknown as Meter;
  const provider: MeterProvider = { getMeter: () => meter };
  const collect = () => {
    const out: Array<{ name: string; value: number; attributes: Record<string, unknown> }> = [];
    for (const cb of callbacks) {
      void cb({
        observe: (o: Observable, value: number, attributes: Record<string, unknown> = {}) =>
          out.push({ name: (o as unknown as { name: string }).name, value, attributes }),
      });
    }
    return out;
  };
  return { provider, collect, histograms, callbacks };
}

describe('telemetry', () => {
  const rec = recordingProvider();
  metrics.setGlobalMeterProvider(rec.provider);
  afterAll(() => metrics.disable());

  it('reports hits per tier, misses, hit ratio, evictions and L2 latency through @opentelemetry/api', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const cache = new Cache({ name: 'otel', clock, l2, l1: { maxEntries: 2 } });
    await cache.connect();
    await cache.set('a', 1);
    await cache.get('a'); // l1 hit
    await new Cache({ clock, l2 }).get('a');
    const other = new Cache({ name: 'reader', clock, l2 });
    await other.connect();
    await other.get('a'); // l2 hit
    await cache.get('zz'); // miss
    await cache.set('b', 2);
    await cache.set('c', 3); // evicts one
    const seen = rec.collect().filter((m) => m.attributes['cache.name'] === 'otel');
    const value = (name: string, tier?: string) =>
      seen.find(
        (m) => m.name === name && (tier === undefined || m.attributes['cache.tier'] === tier),
      )?.value;
    expect(value('plinth.cache.hits', 'l1')).toBe(1);
    expect(value('plinth.cache.misses')).toBe(1);
    expect(value('plinth.cache.hit_ratio')).toBeCloseTo(0.5);
    expect(value('plinth.cache.evictions')).toBe(1);
    expect(value('plinth.cache.l2.available')).toBe(1);
    const readerHits = rec
      .collect()
      .find(
        (m) =>
          m.attributes['cache.name'] === 'reader' &&
          m.name === 'plinth.cache.hits' &&
          m.attributes['cache.tier'] === 'l2',
      );
    expect(readerHits?.value).toBe(1);
    expect(
      rec.histograms.some(
        (h) =>
          h.name === 'plinth.cache.operation.duration' &&
          (h.attributes as Record<string, unknown>)['cache.tier'] === 'l2',
      ),
    ).toBe(true);
    for (let i = 0; i < 2_048; i++) await cache.get('a');
    expect(
      rec.histograms.some((h) => (h.attributes as Record<string, unknown>)['cache.tier'] === 'l1'),
    ).toBe(true);
    const before = rec.callbacks.length;
    await cache.close();
    expect(rec.callbacks.length).toBe(before - 1);
  });

  it('emits typed hit and miss events with the tier and namespace', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const l2 = memoryL2({ clock });
    const writer = new Cache({ clock, l2 });
    await writer.namespace('n').set('k', 1);
    const cache = new Cache({ clock, l2 });
    const hits: Array<CacheEvents['cache:hit']> = [];
    const misses: Array<CacheEvents['cache:miss']> = [];
    cache.on('cache:hit', (e) => hits.push(e));
    cache.on('cache:miss', (e) => misses.push(e));
    await cache.namespace('n').get('k');
    await cache.namespace('n').get('k');
    await cache.get('nope');
    expect(hits).toEqual([
      { key: 'k', namespace: 'n', tier: 'l2', stale: false },
      { key: 'k', namespace: 'n', tier: 'l1', stale: false },
    ]);
    expect(misses).toEqual([{ key: 'nope', namespace: '' }]);
    expect(cache.stats()).toMatchObject({ l1Hits: 1, l2Hits: 1, misses: 1 });
  });
});

describe('subscribe()', () => {
  it('every-event listeners see hits and misses too (the hit path checks for them)', async () => {
    const cache = new Cache();
    const seen: string[] = [];
    const stop = cache.subscribe((name) => seen.push(name));
    await cache.set('k', 1);
    await cache.get('k');
    cache.getSync('k');
    await cache.get('nope');
    stop();
    stop();
    await cache.get('k');
    expect(seen).toEqual(['cache:written', 'cache:hit', 'cache:hit', 'cache:miss']);
  });
});
