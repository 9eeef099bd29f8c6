import { TypedEmitter } from '@plinth/core';
import { CacheNamespace, type SetManyEntry } from './cache-namespace.js';
import type { CacheEvents } from './events.js';
import { CacheCore } from './internal/core.js';
import { resolveCacheOptions } from './options.js';
import type { CacheOptions, CacheStats, Factory, GetOptions, SetOptions } from './types.js';

/**
 * A multi-tier cache: L1 in this process (W-TinyLFU, LRU, LFU or FIFO, bounded by entries or
 * bytes), an optional shared L2 (Redis, a @plinth/storage KV), an optional invalidation bus so
 * deletes, tag invalidations and clears reach every instance's L1, and getOrSet with single
 * flight, optional cross-instance locks, soft/hard timeouts and grace.
 *
 * ```ts
 * const cache = await createCache({ l2: redisL2({ url }), bus: redisBus({ url }), ttl: 30_000 });
 * const user = await cache.getOrSet(`user:${id}`, () => db.users.find(id), { tags: ['users'] });
 * ```
 *
 * Events are emitted here for every namespace (the payload names it).
 */
export class Cache extends TypedEmitter<CacheEvents> {
  readonly #core: CacheCore;
  readonly #root: CacheNamespace;
  #closing: Promise<void> | undefined;

  constructor(options: CacheOptions = {}) {
    super();
    this.#core = new CacheCore(resolveCacheOptions(options), this);
    this.#root = new CacheNamespace(this.#core, '', '');
  }

  /** Listens to every event (see TypedEmitter); returns the function that stops listening. */
  override subscribe(listener: Parameters<TypedEmitter<CacheEvents>['subscribe']>[0]): () => void {
    const stop = super.subscribe(listener);
    const core = this.#core;
    core.everyEvent++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      core.everyEvent--;
      stop();
    };
  }

  /** Connects L2 and subscribes to the bus (idempotent); `createCache` calls it for you. */
  connect(): Promise<void> {
    return this.#core.connect();
  }

  /** A namespace view sharing this cache's tiers: `cache.namespace('users').clear()`. */
  namespace(name: string): CacheNamespace {
    return this.#root.namespace(name);
  }

  getSync<T = unknown>(key: string): T | undefined {
    return this.#root.getSync<T>(key);
  }

  get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    return this.#root.get<T>(key, options);
  }

  has(key: string, options?: GetOptions): Promise<boolean> {
    return this.#root.has(key, options);
  }

  set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    return this.#root.set(key, value, options);
  }

  getOrSet<T>(key: string, factory: Factory<T>, options?: SetOptions): Promise<T> {
    return this.#root.getOrSet<T>(key, factory, options);
  }

  getMany<T = unknown>(
    keys: readonly string[],
    options?: GetOptions,
  ): Promise<Array<T | undefined>> {
    return this.#root.getMany<T>(keys, options);
  }

  setMany(entries: readonly SetManyEntry[]): Promise<void> {
    return this.#root.setMany(entries);
  }

  delete(key: string, options?: GetOptions): Promise<boolean> {
    return this.#root.delete(key, options);
  }

  deleteMany(keys: readonly string[], options?: GetOptions): Promise<number> {
    return this.#root.deleteMany(keys, options);
  }

  /** Drops everything under this cache's prefix, on every tier and every instance's L1. */
  clear(options?: GetOptions): Promise<void> {
    return this.#root.clear(options);
  }

  invalidateTags(tags: readonly string[], options?: GetOptions): Promise<void> {
    return this.#root.invalidateTags(tags, options);
  }

  /** Counters since creation (hits per tier, misses, hit rate, evictions, L2 health…). */
  stats(): CacheStats {
    return this.#core.stats();
  }

  /** Stops timers, waits for running refreshes, closes L2 and the bus. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#core.close();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Creates a cache and connects it: rejects with `E_L2_UNAVAILABLE` unless `startDegraded`. */
export async function createCache(options: CacheOptions = {}): Promise<Cache> {
  const cache = new Cache(options);
  try {
    await cache.connect();
  } catch (error) {
    await cache.close().catch(() => undefined);
    throw error;
  }
  return cache;
}
