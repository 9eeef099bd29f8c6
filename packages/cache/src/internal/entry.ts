import type { EntryMeta, Kind } from './envelope.js';

/**
 * An entry as L1 holds it: the live value (no deserialization on a hit) and absolute times, so
 * an entry copied from L2 keeps its remaining TTL. One class, one shape: the hit path stays
 * monomorphic.
 */
export class L1Entry implements EntryMeta {
  constructor(
    /** Namespace path of the view that wrote it (guards against cross-namespace reads). */
    readonly ns: string,
    readonly kind: Kind,
    readonly value: unknown,
    readonly createdAt: number,
    readonly expiresAt: number,
    readonly staleUntil: number,
    readonly tags: readonly string[] | undefined,
    readonly failure: EntryMeta['failure'],
  ) {}
}
