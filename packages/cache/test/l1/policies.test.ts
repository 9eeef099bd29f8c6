import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  EVICTION_POLICIES,
  FrequencySketch,
  type EvictionPolicyName,
} from '../../src/index.js';

const box = (n: number) => ({ n });

describe.each(EVICTION_POLICIES)('%s policy', (policy) => {
  it('holds at most `capacity` entries and reports each eviction', () => {
    const evicted: string[] = [];
    const p = createPolicy<{ n: number }>({
      policy,
      capacity: 10,
      onEvict: (k) => evicted.push(k),
    });
    for (let i = 0; i < 100; i++) p.set(`k${i}`, box(i));
    expect(p.size).toBe(10);
    expect(p.weight).toBe(10);
    expect(evicted).toHaveLength(90);
    expect(new Set(evicted).size).toBe(90);
    for (const k of p.keys()) expect(evicted).not.toContain(k);
  });

  it('get, peek, overwrite, delete and clear behave like a map', () => {
    const p = createPolicy<{ n: number }>({ policy, capacity: 5 });
    p.set('a', box(1));
    p.set('a', box(2));
    expect(p.get('a')).toEqual({ n: 2 });
    expect(p.peek('a')).toEqual({ n: 2 });
    expect(p.size).toBe(1);
    expect(p.delete('a')).toBe(true);
    expect(p.delete('a')).toBe(false);
    expect(p.get('a')).toBeUndefined();
    p.set('b', box(3));
    p.clear();
    expect(p.size).toBe(0);
    expect([...p.keys()]).toEqual([]);
  });

  it('bounded by weight: never holds more than the capacity, refuses entries heavier than it', () => {
    const p = createPolicy<{ n: number }>({ policy, capacity: 100, weighted: true });
    for (let i = 0; i < 50; i++) p.set(`k${i}`, box(i), 7 + (i % 5));
    expect(p.weight).toBeLessThanOrEqual(100);
    expect(p.set('huge', box(0), 101)).toBe(false);
    expect(p.peek('huge')).toBeUndefined();
  });

  it('random operation sequences keep the invariants (size, weight, last value wins)', () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant('set' as const),
        k: fc.integer({ min: 0, max: 30 }),
        v: fc.integer(),
        w: fc.integer({ min: 1, max: 9 }),
      }),
      fc.record({ t: fc.constant('get' as const), k: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.boolean(), (ops, weighted) => {
        const capacity = weighted ? 40 : 8;
        let evictedWeight = 0;
        const model = new Map<string, { v: number; w: number }>();
        const p = createPolicy<{ n: number }>({
          policy,
          capacity,
          weighted,
          onEvict: (k) => {
            evictedWeight += model.get(k)?.w ?? 0;
            model.delete(k);
          },
        });
        for (const o of ops) {
          const key = `k${o.k}`;
          if (o.t === 'set') {
            const w = weighted ? o.w : 1;
            p.set(key, box(o.v), w);
            model.set(key, { v: o.v, w });
          } else if (o.t === 'get') {
            const got = p.get(key);
            if (got !== undefined) expect(got.n).toBe(model.get(key)?.v);
          } else {
            p.delete(key);
            model.delete(key);
          }
          expect(p.weight).toBeLessThanOrEqual(capacity);
          expect(p.size).toBe(model.size);
        }
        let total = 0;
        for (const k of p.keys()) total += model.get(k)?.w ?? NaN;
        expect(total).toBe(p.weight);
        void evictedWeight;
      }),
      { numRuns: 150 },
    );
  });
});

function survivors(policy: EvictionPolicyName): number {
  // 10 hot keys read often, then a long scan of one-hit wonders.
  const p = createPolicy<{ n: number }>({ policy, capacity: 100 });
  for (let round = 0; round < 20; round++) {
    for (let h = 0; h < 10; h++) if (p.get(`hot${h}`) === undefined) p.set(`hot${h}`, box(h));
  }
  for (let i = 0; i < 1_000; i++) if (p.get(`scan${i}`) === undefined) p.set(`scan${i}`, box(i));
  let alive = 0;
  for (let h = 0; h < 10; h++) if (p.peek(`hot${h}`) !== undefined) alive++;
  return alive;
}

describe('policy behaviour', () => {
  it('LRU evicts the least recently read entry', () => {
    const p = createPolicy<{ n: number }>({ policy: 'lru', capacity: 2 });
    p.set('a', box(1));
    p.set('b', box(2));
    p.get('a');
    p.set('c', box(3));
    expect(p.peek('b')).toBeUndefined();
    expect(p.peek('a')).toBeDefined();
  });

  it('FIFO evicts the oldest insertion even if it was just read', () => {
    const p = createPolicy<{ n: number }>({ policy: 'fifo', capacity: 2 });
    p.set('a', box(1));
    p.set('b', box(2));
    p.get('a');
    p.set('c', box(3));
    expect(p.peek('a')).toBeUndefined();
    expect(p.peek('b')).toBeDefined();
  });

  it('LFU evicts the least frequently read entry', () => {
    const p = createPolicy<{ n: number }>({ policy: 'lfu', capacity: 2 });
    p.set('a', box(1));
    p.set('b', box(2));
    p.get('a');
    p.get('a');
    p.get('b');
    p.set('c', box(3));
    expect(p.peek('b')).toBeUndefined();
    expect(p.peek('a')).toBeDefined();
  });

  it('W-TinyLFU keeps frequently used entries through a scan that flushes LRU and FIFO', () => {
    expect(survivors('w-tinylfu')).toBe(10);
    expect(survivors('lfu')).toBe(10);
    expect(survivors('lru')).toBe(0);
    expect(survivors('fifo')).toBe(0);
  });

  it('W-TinyLFU still admits a newcomer that becomes popular', () => {
    const p = createPolicy<{ n: number }>({ policy: 'w-tinylfu', capacity: 50 });
    for (let i = 0; i < 200; i++)
      if (p.get(`old${i % 60}`) === undefined) p.set(`old${i % 60}`, box(i));
    for (let i = 0; i < 40; i++) if (p.get('rising') === undefined) p.set('rising', box(i));
    for (let i = 0; i < 200; i++) if (p.get(`noise${i}`) === undefined) p.set(`noise${i}`, box(i));
    expect(p.peek('rising')).toBeDefined();
  });
});

describe('FrequencySketch', () => {
  it('estimates at least the true count (up to the 4-bit cap), the doorkeeper absorbing the first sighting', () => {
    const s = new FrequencySketch(1024);
    for (let key = 1; key <= 200; key++) {
      const count = key % 12;
      for (let i = 0; i < count; i++) s.increment(Math.imul(key, 0x9e3779b1) >>> 0);
    }
    for (let key = 1; key <= 200; key++) {
      const count = key % 12;
      const f = s.frequency(Math.imul(key, 0x9e3779b1) >>> 0);
      expect(f).toBeGreaterThanOrEqual(Math.min(count, 15));
    }
    const fresh = new FrequencySketch(64);
    fresh.increment(42);
    expect(fresh.frequency(42)).toBe(1);
  });

  it('ages: counts halve after 10 × capacity additions', () => {
    const s = new FrequencySketch(16);
    for (let i = 0; i < 10; i++) s.increment(7);
    expect(s.frequency(7)).toBe(10);
    for (let i = 0; i < 150; i++) s.increment(1000 + i);
    expect(s.frequency(7)).toBeLessThanOrEqual(5);
  });
});
