import type { Clock, Logger } from '@plinth/core';
import type { InvalidationBus } from './bus/bus.js';
import type { L2Adapter } from './l2/adapter.js';
import type { EvictionPolicyName } from './l1/policy.js';

/**
 * Options that apply to one entry. They can be given per call (`set`, `getOrSet`…), per cache
 * instance (top level of {@link CacheOptions}), or left to {@link DEFAULT_ENTRY_OPTIONS}; a call
 * overrides the instance, which overrides the defaults (`mergeEntryOptions`).
 */
export interface EntryOptions {
  /** Time to live in ms; `Infinity` never expires. @default 60000 */
  readonly ttl?: number;
  /** Random shortening of the TTL, as a fraction (0.1 = up to 10 % shorter), so keys written together do not expire together. @default 0 */
  readonly ttlJitter?: number;
  /** How long after expiry a value may still be served when the factory fails or is slow (stale-while-revalidate). @default 0 */
  readonly grace?: number;
  /** After a factory failure answered from grace, how long the stale value is served before the factory is tried again. @default 10000 */
  readonly graceBackoff?: number;
  /** With a stale value at hand, return it after this many ms and let the factory finish in the background (0 = return stale at once). @default undefined (wait) */
  readonly softTimeout?: number;
  /** Give up on the factory after this many ms: stale value if any, else `E_FACTORY_TIMEOUT`. @default undefined (no limit) */
  readonly hardTimeout?: number;
  /** Cache factory failures and `undefined` results for this many ms (0 = never). @default 0 */
  readonly negativeTtl?: number;
  /** getOrSet takes a cross-instance lock in L2 before running the factory (adapters with locks). @default false */
  readonly lock?: boolean;
  /** Lifetime of that lock, so a crashed holder cannot block others for long. @default 10000 */
  readonly lockTtl?: number;
  /** How long a caller that did not get the lock waits for the holder's value before running the factory itself. @default 5000 */
  readonly lockWait?: number;
  /** How often that caller re-reads L2 while it waits. @default 50 */
  readonly lockPoll?: number;
  /** Let L2 (and bus) errors reach the caller as `E_L2_UNAVAILABLE` instead of degrading to L1. @default false */
  readonly throwOnL2Error?: boolean;
}

/** Per-call options of writes. */
export interface SetOptions extends EntryOptions {
  /** Tags of the entry: `invalidateTags([tag])` invalidates it. */
  readonly tags?: readonly string[];
}

/** Per-call options of reads. */
export interface GetOptions {
  readonly throwOnL2Error?: boolean;
}

/** What a getOrSet factory receives. */
export interface FactoryContext<T> {
  /** The caller's key. */
  readonly key: string;
  /** The expired value still in grace, if any (e.g. for conditional refreshes). */
  readonly stale: T | undefined;
  /** Aborted when the hard timeout passes. */
  readonly signal: AbortSignal;
  /** Adapts this entry's options from the value (adaptive caching): TTL, tags, grace. */
  setOptions(options: Pick<SetOptions, 'ttl' | 'tags' | 'grace'>): void;
  /** Returns the value without caching it. */
  skip(): void;
}

export type Factory<T> = (context: FactoryContext<T>) => T | Promise<T>;

/** Turns values into bytes for L2 (and for size accounting). */
export interface Serializer {
  readonly name: string;
  /** Throws for values it cannot represent faithfully. */
  serialize(value: unknown): string | Uint8Array;
  /** Receives what `serialize` produced (strings as UTF-8 bytes). */
  deserialize(data: Uint8Array): unknown;
}

export interface L1Options {
  /** @default 'w-tinylfu' */
  readonly policy?: EvictionPolicyName;
  /** Bound by entry count. @default 10000 (when maxBytes is not given) */
  readonly maxEntries?: number;
  /** Bound by total serialized size instead of count. */
  readonly maxBytes?: number;
  /** Larger entries skip L1 (they still go to L2). @default no limit beyond the bound */
  readonly maxEntryBytes?: number;
}

export interface CompressionOptions {
  /** Serialized values of at least this many bytes are compressed in L2. */
  readonly threshold: number;
  /** @default 'gzip' */
  readonly algorithm?: 'gzip' | 'brotli';
}

export interface CacheOptions extends EntryOptions {
  /** Name in logs and metric attributes. @default 'default' */
  readonly name?: string;
  /** The in-process tier. @default { policy: 'w-tinylfu', maxEntries: 10000 } */
  readonly l1?: L1Options;
  /** The shared tier (Redis, a @plinth/storage KV, memoryL2 in tests). @default none */
  readonly l2?: L2Adapter;
  /** Cross-instance invalidation (redisBus, storageBus, memoryBusHub().bus()). @default none */
  readonly bus?: InvalidationBus;
  /** Prefix of every L2 key (and lock and tag key) of this cache. @default 'plinth:cache:' */
  readonly prefix?: string;
  /** @default jsonSerializer */
  readonly serializer?: Serializer;
  /** Compress large L2 values. @default off */
  readonly compression?: CompressionOptions;
  /** After an L2 failure, skip L2 for this long before probing it again (circuit breaker). @default 5000 */
  readonly l2RetryAfter?: number;
  /** When L2 cannot be reached at connect(): start degraded on L1 instead of throwing. @default false */
  readonly startDegraded?: boolean;
  /** Granularity of the clock reads on the hit path, in ms (0 reads the clock every time). @default 1 */
  readonly timeResolution?: number;
  /** Time source for TTLs, grace, timeouts and locks. @default systemClock */
  readonly clock?: Clock;
  /** Source of TTL jitter. @default Math.random */
  readonly random?: () => number;
  /** @default noopLogger */
  readonly logger?: Logger;
}

/** Counters since the cache was created (the OpenTelemetry metrics report the same). */
export interface CacheStats {
  readonly l1Hits: number;
  readonly l2Hits: number;
  readonly staleHits: number;
  readonly misses: number;
  /** Hits (any tier, stale included) over reads, 0–1. */
  readonly hitRate: number;
  readonly writes: number;
  readonly deletes: number;
  readonly evictions: number;
  readonly factoryCalls: number;
  readonly factoryErrors: number;
  readonly l2Errors: number;
  readonly l2Available: boolean;
  readonly busPublished: number;
  readonly busReceived: number;
  readonly l1Entries: number;
  readonly l1Weight: number;
}
