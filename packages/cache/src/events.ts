import type { BusMessage } from './bus/message.js';

/** Which tier answered (or missed). */
export type CacheTier = 'l1' | 'l2';

/** Why an L1 entry left memory without being deleted by a caller. */
export type EvictionReason = 'capacity' | 'expired';

/**
 * Events of @plinth/cache: `namespace:verb`, one payload object, emitted after the change.
 * Keys are the caller's keys; `namespace` is the namespace path ('' at the root).
 */
export interface CacheEvents {
  /** A read found a fresh value (`stale` when a graced value was served instead). */
  'cache:hit': {
    readonly key: string;
    readonly namespace: string;
    readonly tier: CacheTier;
    readonly stale: boolean;
  };
  /** A read found nothing usable in any tier. */
  'cache:miss': { readonly key: string; readonly namespace: string };
  /** A value was written (set, setMany, or a getOrSet factory result). */
  'cache:written': { readonly key: string; readonly namespace: string; readonly ttl: number };
  'cache:deleted': { readonly key: string; readonly namespace: string };
  /** A namespace (or, with namespace '', the whole cache) was cleared. */
  'cache:cleared': { readonly namespace: string };
  /** Entries tagged with any of `tags` became invalid. */
  'tags:invalidated': { readonly tags: readonly string[]; readonly at: number };
  /** An L1 entry was evicted by the policy. */
  'l1:evicted': { readonly key: string; readonly reason: EvictionReason };
  /** L2 failed: the cache now runs on L1 alone until `retryAt`. */
  'l2:down': { readonly error: unknown; readonly operation: string; readonly retryAt: number };
  /** L2 answered again after an outage of `downMs`. */
  'l2:up': { readonly downMs: number };
  /** A getOrSet factory failed (it may have been answered with a stale value). */
  'factory:error': { readonly key: string; readonly error: unknown; readonly servedStale: boolean };
  /** A factory passed its soft (stale served) or hard timeout. */
  'factory:timeout': { readonly key: string; readonly kind: 'soft' | 'hard'; readonly ms: number };
  /** A background refresh (after a soft timeout or grace) finished. */
  'factory:refreshed': { readonly key: string; readonly ok: boolean };
  /** This instance sent an invalidation to the others. */
  'bus:published': { readonly message: BusMessage };
  /** An invalidation from another instance was applied to this L1. */
  'bus:received': { readonly message: BusMessage; readonly at: number };
  /** The bus failed to publish or subscribe (L1s of other instances may stay stale until TTL). */
  'bus:error': { readonly error: unknown; readonly operation: string };
}
