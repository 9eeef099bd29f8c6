import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../src/internal/content-cache.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('ContentCache', () => {
  it('evicts the least recently used entries once over its byte bound', () => {
    const c = new ContentCache(40);
    for (let i = 0; i < 4; i++) c.set(`d${i}`, bytes(10, i));
    // d0 is in the older half: the hit moves it to the newest end.
    expect(c.get('d0')?.[0]).toBe(0);
    c.set('d4', bytes(10, 4));
    expect(c.get('d1')).toBeUndefined();
    expect(c.get('d0')?.[0]).toBe(0);
    c.set('d5', bytes(10, 5));
    expect(c.get('d2')).toBeUndefined();
    expect([c.get('d0'), c.get('d3'), c.get('d4'), c.get('d5')].every((b) => b !== undefined)).toBe(
      true,
    );
  });

  it('keeps a hot entry without reordering on every hit, and never holds more than the bound', () => {
    const c = new ContentCache(1000);
    for (let i = 0; i < 100; i++) c.set(`d${i}`, bytes(10));
    for (let round = 0; round < 300; round++) {
      expect(c.get('d0')).toBeDefined();
      c.set(`n${round}`, bytes(10));
    }
    expect(c.get('d0')).toBeDefined();
    let held = 0;
    for (let i = 0; i < 100; i++) if (c.get(`d${i}`) !== undefined) held++;
    for (let r = 0; r < 300; r++) if (c.get(`n${r}`) !== undefined) held++;
    expect(held).toBe(100);
  });

  it('skips entries larger than the per-entry bound and forgets deleted ones', () => {
    const c = new ContentCache(100, 20);
    c.set('big', bytes(21));
    expect(c.get('big')).toBeUndefined();
    c.set('a', bytes(5));
    c.delete('a');
    expect(c.get('a')).toBeUndefined();
  });
});
