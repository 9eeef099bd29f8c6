export { Cache, createCache } from './cache.js';
export { CacheNamespace } from './cache-namespace.js';
export type { SetManyEntry } from './cache-namespace.js';
export { cacheErrors, ERROR_CODES } from './errors.js';
export type { CacheErrorCode } from './errors.js';
export type { CacheEvents, CacheTier, EvictionReason } from './events.js';
export { DEFAULT_CACHE_OPTIONS, DEFAULT_ENTRY_OPTIONS, mergeEntryOptions } from './options.js';
export type { ResolvedEntryOptions } from './options.js';
export { jsonSerializer } from './serializer.js';
export type {
  CacheOptions,
  CacheStats,
  CompressionOptions,
  EntryOptions,
  Factory,
  FactoryContext,
  GetOptions,
  L1Options,
  Serializer,
  SetOptions,
} from './types.js';
export type { L2Adapter, L2Capabilities } from './l2/adapter.js';
export { memoryL2 } from './l2/memory.js';
export type { MemoryL2, MemoryL2Options } from './l2/memory.js';
export type { InvalidationBus } from './bus/bus.js';
export type { BusMessage } from './bus/message.js';
export { memoryBusHub } from './bus/memory.js';
export type { MemoryBusHub } from './bus/memory.js';
export { EVICTION_POLICIES } from './l1/policy.js';
export type { EvictionPolicyName, L1Policy, L1PolicyOptions } from './l1/policy.js';
export { createPolicy } from './l1/create-policy.js';
export type { CreatePolicyOptions } from './l1/create-policy.js';
export { LruPolicy } from './l1/lru.js';
export { LfuPolicy } from './l1/lfu.js';
export { FifoPolicy } from './l1/fifo.js';
export { WTinyLfuPolicy } from './l1/w-tinylfu.js';
export type { WTinyLfuOptions } from './l1/w-tinylfu.js';
export { FrequencySketch } from './l1/frequency-sketch.js';
export { replayTrace, formatReplayTable } from './replay/replay.js';
export type { ReplayOptions, ReplayResult } from './replay/replay.js';
export { zipfTrace } from './replay/zipf.js';
/** Re-exported from `@plinth/core` for trace generation. */
export { seededRandom } from '@plinth/core';
export type { ZipfTraceOptions } from './replay/zipf.js';
