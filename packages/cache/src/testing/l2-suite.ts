/**
 * The L2 adapter conformance suite: every `L2Adapter` passes it. An adapter's test file is one
 * call to {@link runL2ConformanceSuite} plus that adapter's own regression cases.
 */
import { randomUUID } from 'node:crypto';
import { ManualClock } from '@plinth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cache } from '../cache.js';
import type { L2Adapter } from '../l2/adapter.js';

export interface L2SuiteFixture {
  readonly adapter: L2Adapter;
  /**
   * Moves the adapter's time forward by `ms`: advance its ManualClock, or (for a server that
   * keeps its own time, like Redis) wait for it. The suite only uses TTLs of a few tens of ms.
   */
  advance(ms: number): Promise<void>;
}

export interface L2SuiteOptions {
  readonly name: string;
  /** A fresh, connected adapter for each test. */
  create(): Promise<L2SuiteFixture>;
  /** After each test. Default: `adapter.close()`. */
  destroy?(fixture: L2SuiteFixture): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);
const s = (v: Uint8Array | undefined) => (v === undefined ? undefined : dec.decode(v));

export function runL2ConformanceSuite(options: L2SuiteOptions): void {
  describe(`L2 conformance: ${options.name}`, () => {
    let fx: L2SuiteFixture;
    let a: L2Adapter;
    /** Every key of a test lives under its own random prefix (parallel runs never collide). */
    let p: string;

    beforeEach(async () => {
      fx = await options.create();
      a = fx.adapter;
      p = `conformance:${randomUUID()}:`;
    });

    afterEach(async () => {
      await a.deletePrefix(p).catch(() => undefined);
      if (options.destroy) await options.destroy(fx);
      else await a.close();
    });

    it('reads a missing key as undefined', async () => {
      expect(await a.get(`${p}missing`)).toBeUndefined();
    });

    it('round-trips arbitrary bytes exactly', async () => {
      const value = new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x7f, 0x80, 0, 10, 13]);
      await a.set(`${p}bin`, value, undefined);
      expect([...((await a.get(`${p}bin`)) ?? [])]).toEqual([...value]);
    });

    it('overwrites a key', async () => {
      await a.set(`${p}k`, b('one'), undefined);
      await a.set(`${p}k`, b('two'), undefined);
      expect(s(await a.get(`${p}k`))).toBe('two');
    });

    it('keys with unicode, spaces, separators and glob characters are distinct and literal', async () => {
      const keys = ['é ü 🎉', 'a\u001fb', 'star*', 'q?', '[x]', 'back\\slash'];
      for (const k of keys) await a.set(p + k, b(k), undefined);
      for (const k of keys) expect(s(await a.get(p + k))).toBe(k);
    });

    it('delete reports whether the key existed', async () => {
      await a.set(`${p}d`, b('x'), undefined);
      expect(await a.delete(`${p}d`)).toBe(true);
      expect(await a.delete(`${p}d`)).toBe(false);
      expect(await a.get(`${p}d`)).toBeUndefined();
    });

    it('expires a key after its TTL, not before', async () => {
      await a.set(`${p}t`, b('x'), 40);
      expect(s(await a.get(`${p}t`))).toBe('x');
      await fx.advance(120);
      expect(await a.get(`${p}t`)).toBeUndefined();
    });

    it('a write without TTL makes a key persistent again', async () => {
      await a.set(`${p}t`, b('x'), 40);
      await a.set(`${p}t`, b('y'), undefined);
      await fx.advance(120);
      expect(s(await a.get(`${p}t`))).toBe('y');
    });

    it('getMany answers in order, undefined where missing', async () => {
      await a.set(`${p}1`, b('one'), undefined);
      await a.set(`${p}3`, b('three'), undefined);
      const keys = [`${p}1`, `${p}2`, `${p}3`];
      const got = a.getMany ? await a.getMany(keys) : await Promise.all(keys.map((k) => a.get(k)));
      expect(got.map(s)).toEqual(['one', undefined, 'three']);
      if (a.getMany) expect(await a.getMany([])).toEqual([]);
    });

    it('deleteMany removes exactly the given keys', async () => {
      if (a.deleteMany === undefined) return;
      for (const k of ['x', 'y', 'z']) await a.set(p + k, b(k), undefined);
      expect(await a.deleteMany([`${p}x`, `${p}z`, `${p}nope`])).toBe(2);
      expect(s(await a.get(`${p}y`))).toBe('y');
      expect(await a.get(`${p}x`)).toBeUndefined();
    });

    it('deletePrefix removes every key with the prefix (past one scan page) and nothing else', async () => {
      const n = 1_250;
      for (let i = 0; i < n; i += 250) {
        await Promise.all(
          Array.from({ length: 250 }, (_, j) => a.set(`${p}ns:${i + j}`, b('v'), undefined)),
        );
      }
      await a.set(`${p}other`, b('keep'), undefined);
      await a.set(`${p}ns`, b('no colon: not in the prefix'), undefined);
      expect(await a.deletePrefix(`${p}ns:`)).toBe(n);
      expect(await a.get(`${p}ns:0`)).toBeUndefined();
      expect(await a.get(`${p}ns:${n - 1}`)).toBeUndefined();
      expect(s(await a.get(`${p}other`))).toBe('keep');
      expect(s(await a.get(`${p}ns`))).toBe('no colon: not in the prefix');
    }, 60_000);

    it('deletePrefix treats glob characters in the prefix literally', async () => {
      await a.set(`${p}a*:1`, b('1'), undefined);
      await a.set(`${p}ab:1`, b('2'), undefined);
      expect(await a.deletePrefix(`${p}a*:`)).toBe(1);
      expect(s(await a.get(`${p}ab:1`))).toBe('2');
    });

    it('locks: one holder at a time, released only with its token, expiring after the TTL', async () => {
      if (!a.capabilities.locks || !a.tryLock || !a.unlock) return;
      const key = `${p}lock`;
      expect(await a.tryLock(key, 'A', 10_000)).toBe(true);
      expect(await a.tryLock(key, 'B', 10_000)).toBe(false);
      expect(await a.unlock(key, 'B')).toBe(false);
      expect(await a.tryLock(key, 'B', 10_000)).toBe(false);
      expect(await a.unlock(key, 'A')).toBe(true);
      expect(await a.unlock(key, 'A')).toBe(false);
      expect(await a.tryLock(key, 'B', 40)).toBe(true);
      await fx.advance(120);
      expect(await a.tryLock(key, 'C', 10_000)).toBe(true);
    });

    it('through a cache: an L1 filled from L2 keeps the remaining TTL, never a default', async () => {
      const clock = new ManualClock(Date.now());
      const prefix = `${p}cache:`;
      const writer = new Cache({ l2: a, clock, prefix, ttl: 60_000, timeResolution: 0 });
      const reader = new Cache({ l2: a, clock, prefix, ttl: 60_000, timeResolution: 0 });
      await writer.set('k', { v: 1 }, { ttl: 10_000 });
      clock.advance(6_000);
      expect(await reader.get('k')).toEqual({ v: 1 });
      expect(reader.getSync('k')).toEqual({ v: 1 });
      clock.advance(4_001);
      expect(reader.getSync('k')).toBeUndefined();
      expect(await reader.get('k')).toBeUndefined();
    });

    it('through a cache: namespaces clear independently on L2', async () => {
      const prefix = `${p}cache:`;
      const one = new Cache({ l2: a, prefix });
      const two = new Cache({ l2: a, prefix });
      await one.namespace('users').set('1', 'ada');
      await one.namespace('orders').set('1', 'o-1');
      await one.set('users', 'root key named like a namespace');
      await one.namespace('users').clear();
      expect(await two.namespace('users').get('1')).toBeUndefined();
      expect(await two.namespace('orders').get('1')).toBe('o-1');
      expect(await two.get('users')).toBe('root key named like a namespace');
    });
  });
}
