import type { EntryMeta, Kind } from './envelope.js';

/** Deadline of entries that never expire (a small integer: V8 keeps it unboxed). */
export const NEVER = 0x3fffffff;
/** Deadline of entries beyond the small-integer window: compare the exact time instead. */
export const LATER = 0x3ffffffe;
/** `flags` bit set when the entry has tags (bits 0–1 hold the kind). */
export const TAGGED = 4;

/** What the hit path never reads: kept apart so hot entries stay one cache line. */
interface Cold {
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly staleUntil: number;
  readonly tags: readonly string[] | undefined;
  readonly failure: EntryMeta['failure'];
}

/**
 * An entry as L1 holds it: the live value (no deserialization on a hit) and absolute times, so
 * an entry copied from L2 keeps its remaining TTL. One class, one shape: the hit path stays
 * monomorphic. A hit reads only the first four fields — 64 bytes, one cache line — and checks
 * freshness on `deadline`, a small integer (ms since the cache's base time) that V8 stores
 * unboxed, instead of an epoch-ms double, which would cost another memory access per hit.
 */
export class L1Entry implements EntryMeta {
  /** Namespace path of the view that wrote it (guards against cross-namespace reads). */
  readonly ns: string;
  /** floor(expiresAt − base), NEVER, or LATER. */
  readonly deadline: number;
  /** Kind (bits 0–1) and TAGGED. */
  readonly flags: number;
  readonly value: unknown;
  readonly cold: Cold;

  constructor(
    base: number,
    ns: string,
    kind: Kind,
    value: unknown,
    createdAt: number,
    expiresAt: number,
    staleUntil: number,
    tags: readonly string[] | undefined,
    failure: EntryMeta['failure'],
  ) {
    this.ns = ns;
    this.deadline =
      expiresAt === Infinity
        ? NEVER
        : Math.max(-LATER, Math.min(LATER, Math.floor(expiresAt - base))) | 0;
    this.flags = tags === undefined ? kind : kind | TAGGED;
    this.value = value;
    this.cold = { createdAt, expiresAt, staleUntil, tags, failure };
  }

  get kind(): Kind {
    return (this.flags & 3) as Kind;
  }

  get createdAt(): number {
    return this.cold.createdAt;
  }

  get expiresAt(): number {
    return this.cold.expiresAt;
  }

  get staleUntil(): number {
    return this.cold.staleUntil;
  }

  get tags(): readonly string[] | undefined {
    return this.cold.tags;
  }

  get failure(): EntryMeta['failure'] {
    return this.cold.failure;
  }
}
