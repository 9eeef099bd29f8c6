import { ManualClock } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import {
  Cache,
  cacheErrors,
  DEFAULT_ENTRY_OPTIONS,
  memoryL2,
  mergeEntryOptions,
  type Serializer,
} from '../src/index.js';

function setup(options: ConstructorParameters<typeof Cache>[0] = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const l2 = memoryL2({ clock });
  const cache = new Cache({ clock, l2, timeResolution: 0, ...options });
  return { clock, l2, cache };
}

describe('get / set / has / delete', () => {
  it('round-trips values through L1 and, from a fresh instance, through L2', async () => {
    const { cache, l2, clock } = setup();
    await cache.set('user:1', { name: 'ada', roles: ['admin'] });
    expect(await cache.get('user:1')).toEqual({ name: 'ada', roles: ['admin'] });
    expect(cache.getSync('user:1')).toEqual({ name: 'ada', roles: ['admin'] });
    const other = new Cache({ clock, l2 });
    expect(other.getSync('user:1')).toBeUndefined(); // not in its L1 yet
    expect(await other.get('user:1')).toEqual({ name: 'ada', roles: ['admin'] });
    expect(other.getSync('user:1')).toEqual({ name: 'ada', roles: ['admin'] }); // filled
    expect(await cache.has('user:1')).toBe(true);
    expect(await cache.delete('user:1')).toBe(true);
    expect(await cache.delete('user:1')).toBe(false);
    expect(await cache.has('user:1')).toBe(false);
    expect(await other.get('user:1')).toBeDefined(); // no bus: other's L1 keeps its copy until TTL
  });

  it('expires after the TTL, by the injected clock', async () => {
    const { cache, clock } = setup();
    await cache.set('k', 1, { ttl: 1_000 });
    clock.advance(999);
    expect(await cache.get('k')).toBe(1);
    clock.advance(1);
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.getSync('k')).toBeUndefined();
  });

  it('an L1 entry filled from L2 keeps the remaining TTL, never the default', async () => {
    const { cache, clock, l2 } = setup({ ttl: 60_000 });
    await cache.set('k', 'v', { ttl: 10_000 });
    clock.advance(7_000);
    const reader = new Cache({ clock, l2, ttl: 60_000, timeResolution: 0 });
    expect(await reader.get('k')).toBe('v');
    clock.advance(3_000);
    expect(reader.getSync('k')).toBeUndefined();
  });

  it('TTL jitter shortens TTLs by up to the fraction, from the injected RNG', async () => {
    const { cache, clock } = setup({ ttlJitter: 0.5, random: () => 1 });
    await cache.set('k', 1, { ttl: 1_000 });
    clock.advance(500);
    expect(await cache.get('k')).toBeUndefined();
    const fixed = setup({ ttlJitter: 0.5, random: () => 0 });
    await fixed.cache.set('k', 1, { ttl: 1_000 });
    fixed.clock.advance(999);
    expect(await fixed.cache.get('k')).toBe(1);
  });

  it('Infinity TTL never expires', async () => {
    const { cache, clock, l2 } = setup();
    await cache.set('forever', 1, { ttl: Infinity });
    clock.advance(10 * 365 * 86_400_000);
    expect(await cache.get('forever')).toBe(1);
    expect(await new Cache({ clock, l2 }).get('forever')).toBe(1);
  });

  it('getMany answers in order with one L2 round trip for L1 misses; setMany writes all', async () => {
    const { cache, clock, l2 } = setup();
    await cache.setMany([
      { key: 'a', value: 1 },
      { key: 'b', value: 2, options: { ttl: 10 } },
      { key: 'c', value: 3 },
    ]);
    clock.advance(20);
    const calls: string[] = [];
    const spy = {
      ...l2,
      getMany: async (keys: readonly string[]) => (
        calls.push(...keys),
        Promise.all(keys.map((k) => l2.get(k)))
      ),
    };
    const reader = new Cache({ clock, l2: spy, timeResolution: 0 });
    expect(await reader.getMany(['a', 'b', 'c', 'zz'])).toEqual([1, undefined, 3, undefined]);
    expect(calls).toHaveLength(4);
    expect(await reader.getMany(['a', 'c'])).toEqual([1, 3]);
    expect(calls).toHaveLength(4); // both from L1 now
  });

  it('setMany validates every entry before writing any', async () => {
    const { cache } = setup();
    await expect(
      cache.setMany([
        { key: 'ok', value: 1 },
        { key: 'bad', value: 10n },
      ]),
    ).rejects.toMatchObject({ code: 'E_NOT_SERIALIZABLE' });
    expect(await cache.get('ok')).toBeUndefined();
  });
});

describe('namespaces', () => {
  it('isolate keys, clear independently (nested included) and never touch the root', async () => {
    const { cache, clock, l2 } = setup();
    const users = cache.namespace('users');
    const admins = users.namespace('admins');
    await cache.set('1', 'root');
    await users.set('1', 'user');
    await admins.set('1', 'admin');
    await cache.namespace('orders').set('1', 'order');
    expect([await cache.get('1'), await users.get('1'), await admins.get('1')]).toEqual([
      'root',
      'user',
      'admin',
    ]);
    expect(admins.path).toBe('users/admins');
    await users.clear();
    expect(await users.get('1')).toBeUndefined();
    expect(await admins.get('1')).toBeUndefined();
    expect(await cache.get('1')).toBe('root');
    expect(await cache.namespace('orders').get('1')).toBe('order');
    const fresh = new Cache({ clock, l2 });
    expect(await fresh.namespace('users').get('1')).toBeUndefined();
    expect(await fresh.namespace('orders').get('1')).toBe('order');
  });

  it('root clear drops everything', async () => {
    const { cache, l2 } = setup();
    await cache.set('a', 1);
    await cache.namespace('n').set('b', 2);
    await cache.clear();
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.namespace('n').get('b')).toBeUndefined();
    expect(l2.keys()).toEqual([]);
  });

  it('rejects bad namespace names', () => {
    const { cache } = setup();
    expect(() => cache.namespace('')).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => cache.namespace('a b')).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});

describe('tags', () => {
  it('invalidateTags invalidates every tagged entry in every namespace and tier; untagged stay', async () => {
    const { cache, clock, l2 } = setup();
    await cache.set('a', 1, { tags: ['users'] });
    await cache.namespace('n').set('b', 2, { tags: ['users', 'x'] });
    await cache.set('c', 3, { tags: ['other'] });
    await cache.set('d', 4);
    const other = new Cache({ clock, l2, timeResolution: 0 });
    expect(await other.get('a')).toBe(1); // other has it in L1 (no bus)
    clock.advance(1);
    await cache.invalidateTags(['users']);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.namespace('n').get('b')).toBeUndefined();
    expect(await cache.get('c')).toBe(3);
    expect(await cache.get('d')).toBe(4);
    // A third instance reading from L2 sees the marks stored there.
    const third = new Cache({ clock, l2 });
    expect(await third.get('a')).toBeUndefined();
    expect(await third.namespace('n').get('b')).toBeUndefined();
  });

  it('an entry written after the invalidation (same millisecond) is valid', async () => {
    const { cache } = setup();
    await cache.set('a', 1, { tags: ['t'] });
    await cache.invalidateTags(['t']);
    await cache.set('a', 2, { tags: ['t'] });
    expect(await cache.get('a')).toBe(2);
  });

  it('rejects malformed tags', async () => {
    const { cache } = setup();
    await expect(cache.set('a', 1, { tags: [''] })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
    await expect(cache.invalidateTags('t' as never)).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
  });

  it('holds tags to the name policy: no control, bidi or zero-width characters, NFC only', async () => {
    const { cache } = setup();
    for (const [tag, rule] of [
      ['a\u0000b', 'control'],
      ['a\nb', 'control'],
      ['\u202euser', 'bidi'],
      ['us\u200ber', 'invisible'],
      ['cafe\u0301', 'nfc'],
      ['x'.repeat(257), 'length'],
    ] as const) {
      await expect(cache.set('a', 1, { tags: [tag] }), JSON.stringify(tag)).rejects.toMatchObject({
        code: 'E_INVALID_ARGUMENT',
        details: { rule },
      });
    }
    expect(await cache.get('a')).toBeUndefined();
    await cache.set('a', 1, { tags: ['café', 'team:a/b'] });
    expect(await cache.get('a')).toBe(1);
  });
});

describe('options', () => {
  it('merge per call > instance > defaults through one function', () => {
    expect(mergeEntryOptions({}, undefined).ttl).toBe(DEFAULT_ENTRY_OPTIONS.ttl);
    expect(mergeEntryOptions({ ttl: 5, grace: 7 }, undefined)).toMatchObject({ ttl: 5, grace: 7 });
    expect(mergeEntryOptions({ ttl: 5, grace: 7 }, { ttl: 9 })).toMatchObject({ ttl: 9, grace: 7 });
    expect(mergeEntryOptions({ ttl: 5 }, { ttl: undefined } as never).ttl).toBe(5);
  });

  it('instance TTL applies unless a call overrides it', async () => {
    const { cache, clock } = setup({ ttl: 100 });
    await cache.set('a', 1);
    await cache.set('b', 1, { ttl: 1_000 });
    clock.advance(100);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe(1);
  });

  it('bad options are E_INVALID_OPTION naming the option', async () => {
    expect(() => new Cache({ ttl: -1 })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        details: expect.objectContaining({ option: 'ttl' }),
      }),
    );
    expect(() => new Cache({ l1: { policy: 'arc' as never } })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        details: expect.objectContaining({ option: 'policy' }),
      }),
    );
    expect(() => new Cache({ tll: 5 } as never)).toThrow(/did you mean "ttl"/);
    expect(() => new Cache({ compression: { threshold: -1 } })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
    const { cache } = setup();
    await expect(cache.set('a', 1, { ttl: 0 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      details: expect.objectContaining({ option: 'ttl' }),
    });
    await expect(cache.getOrSet('a', () => 1, { hardTimeout: 'x' as never })).rejects.toMatchObject(
      { code: 'E_INVALID_OPTION' },
    );
  });
});

describe('bad input', () => {
  it('invalid keys are E_INVALID_KEY on every operation', async () => {
    const { cache } = setup();
    const bad = [
      '',
      'a'.repeat(1025),
      'tab\there',
      'sep\u001fkey',
      42 as never,
      undefined as never,
    ];
    for (const key of bad) {
      await expect(cache.get(key)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
      await expect(cache.set(key, 1)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
      await expect(cache.getOrSet(key, () => 1)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
      await expect(cache.delete(key)).rejects.toMatchObject({ code: 'E_INVALID_KEY' });
      expect(() => cache.getSync(key)).toThrow(expect.objectContaining({ code: 'E_INVALID_KEY' }));
    }
  });

  it('a namespaced entry cannot be read from the root through a separator in the key', async () => {
    const { cache } = setup();
    await cache.namespace('users').set('1', 'secret');
    expect(() => cache.getSync('users\u001f1')).toThrow(
      expect.objectContaining({ code: 'E_INVALID_KEY' }),
    );
  });

  it('non-serializable values are refused and the previous value stays intact', async () => {
    const { cache, clock, l2 } = setup();
    await cache.set('k', { ok: true });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      10n,
      cyclic,
      new Map([[1, 2]]),
      new Set([1]),
      { f: () => 1 },
      NaN,
      { n: Infinity },
      [undefined],
      Symbol('s'),
      undefined,
    ]) {
      const err = await cache.set('k', bad).catch((e: unknown) => e);
      expect(cacheErrors.is(err, 'E_NOT_SERIALIZABLE')).toBe(true);
    }
    expect(await cache.get('k')).toEqual({ ok: true });
    expect(await new Cache({ clock, l2 }).get('k')).toEqual({ ok: true });
  });

  it('a corrupt L2 entry reads as a miss (and is logged), never as garbage', async () => {
    const { cache, l2 } = setup();
    await l2.set('plinth:cache:k', new Uint8Array([1, 2, 3]), undefined);
    expect(await cache.get('k')).toBeUndefined();
    await expect(cache.get('k', { throwOnL2Error: true })).rejects.toMatchObject({
      code: 'E_DESERIALIZE',
    });
  });

  it('calls after close are E_CLOSED; close is idempotent', async () => {
    const { cache } = setup();
    await cache.set('k', 1);
    await cache.close();
    await cache.close();
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
});

describe('L1 bounds, serialization and compression', () => {
  it('a byte-bounded L1 stays under maxBytes and skips entries over maxEntryBytes', async () => {
    const { cache } = setup({ l1: { policy: 'lru', maxBytes: 2_000, maxEntryBytes: 500 } });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, 'x'.repeat(100));
    expect(cache.stats().l1Weight).toBeLessThanOrEqual(2_000);
    expect(cache.stats().evictions).toBeGreaterThan(0);
    await cache.set('big', 'y'.repeat(1_000));
    expect(cache.getSync('big')).toBeUndefined(); // not in L1…
    expect(await cache.get('big')).toBe('y'.repeat(1_000)); // …but in L2
  });

  it('every policy works as the cache L1', async () => {
    for (const policy of ['lru', 'lfu', 'fifo', 'w-tinylfu'] as const) {
      const { cache } = setup({ l1: { policy, maxEntries: 3 } });
      for (let i = 0; i < 10; i++) await cache.set(`k${i}`, i);
      expect(cache.stats().l1Entries).toBe(3);
      expect(await cache.get('k0')).toBe(0); // from L2
    }
  });

  it('compresses L2 values at or above the threshold and reads them back', async () => {
    for (const algorithm of ['gzip', 'brotli'] as const) {
      const { cache, l2, clock } = setup({ compression: { threshold: 1_000, algorithm } });
      const big = { text: 'abc'.repeat(2_000) };
      await cache.set('big', big);
      await cache.set('small', { text: 'abc' });
      const raw = await l2.get('plinth:cache:big');
      expect(raw?.length).toBeLessThan(1_000);
      expect(raw?.[2]).not.toBe(0); // compressed flag
      expect((await l2.get('plinth:cache:small'))?.[2]).toBe(0);
      expect(await new Cache({ clock, l2 }).get('big')).toEqual(big);
    }
  });

  it('takes a pluggable serializer', async () => {
    const calls: string[] = [];
    const upper: Serializer = {
      name: 'tagged',
      serialize: (v) => (calls.push('s'), `T:${JSON.stringify(v)}`),
      deserialize: (d) => (calls.push('d'), JSON.parse(new TextDecoder().decode(d).slice(2))),
    };
    const { cache, clock, l2 } = setup({ serializer: upper });
    await cache.set('k', { a: 1 });
    expect(await new Cache({ clock, l2, serializer: upper }).get('k')).toEqual({ a: 1 });
    expect(calls).toEqual(['s', 'd']);
  });

  it('works without L2 (L1 only)', async () => {
    const cache = new Cache({ l1: { maxEntries: 10 } });
    await cache.set('k', 1);
    expect(await cache.get('k')).toBe(1);
    expect(await cache.getOrSet('g', () => 2)).toBe(2);
    expect(cache.stats().l2Available).toBe(true);
  });
});
