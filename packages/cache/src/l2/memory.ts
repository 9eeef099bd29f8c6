import { systemClock, type Clock } from '@plinth/core';
import { cacheErrors } from '../errors.js';
import type { L2Adapter } from './adapter.js';

export interface MemoryL2Options {
  /** Time source for TTLs (share the cache's ManualClock in tests). @default systemClock */
  readonly clock?: Clock;
  /** @default 'memory' */
  readonly name?: string;
}

interface Slot {
  readonly value: Uint8Array;
  readonly expiresAt: number;
}

/** A memory L2 with switches to simulate outages (for degradation tests). */
export interface MemoryL2 extends L2Adapter {
  /** While true, every operation rejects as a dead server would. */
  down: boolean;
  /** Keys currently held (expired ones excluded). */
  keys(): string[];
}

/**
 * The in-memory L2: the test double with the same semantics as Redis and storage (TTL by the
 * clock, prefix deletes, locks with tokens). Several caches sharing one instance behave like
 * several hosts sharing one Redis.
 */
export function memoryL2(options: MemoryL2Options = {}): MemoryL2 {
  const clock = options.clock ?? systemClock;
  const map = new Map<string, Slot>();
  const live = (key: string): Slot | undefined => {
    const slot = map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= clock.now()) {
      map.delete(key);
      return undefined;
    }
    return slot;
  };
  const adapter: MemoryL2 = {
    name: options.name ?? 'memory',
    capabilities: { locks: true },
    down: false,
    connect: () => guard(() => undefined),
    get: (key) => guard(() => live(key)?.value.slice()),
    set: (key, value, ttlMs) =>
      guard(() => {
        map.set(key, {
          value: value.slice(),
          expiresAt: ttlMs === undefined ? Infinity : clock.now() + ttlMs,
        });
      }),
    delete: (key) => guard(() => live(key) !== undefined && map.delete(key)),
    deletePrefix: (prefix) =>
      guard(() => {
        let n = 0;
        for (const key of [...map.keys()]) {
          if (key.startsWith(prefix) && live(key) !== undefined) {
            map.delete(key);
            n++;
          }
        }
        return n;
      }),
    tryLock: (key, token, ttlMs) =>
      guard(() => {
        if (live(key) !== undefined) return false;
        map.set(key, { value: new TextEncoder().encode(token), expiresAt: clock.now() + ttlMs });
        return true;
      }),
    unlock: (key, token) =>
      guard(() => {
        const slot = live(key);
        if (slot === undefined || new TextDecoder().decode(slot.value) !== token) return false;
        return map.delete(key);
      }),
    close: () => Promise.resolve(),
    keys: () => [...map.keys()].filter((k) => live(k) !== undefined),
  };
  function guard<T>(fn: () => T): Promise<T> {
    if (adapter.down) {
      return Promise.reject(
        cacheErrors.create('E_L2_UNAVAILABLE', `memory L2 "${adapter.name}" is down (simulated)`, {
          retryable: true,
        }),
      );
    }
    return Promise.resolve(fn());
  }
  return adapter;
}
