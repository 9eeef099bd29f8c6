import type { CollectionDefinitions } from '@plinth/storage';
import type { Promotion, Release, StageOccupant } from '../types.js';

/** A release as a storage document. */
export type ReleaseDoc = Release & { readonly [field: string]: unknown };

/** The collections the engine declares on the host's store. */
export const COLLECTIONS = Object.freeze({
  releases: 'promotion.releases',
  promotions: 'promotion.promotions',
  stages: 'promotion.stages',
  occupancy: 'promotion.occupancy',
  history: 'promotion.history',
  idempotency: 'promotion.idempotency',
});

export const COLLECTION_DEFINITIONS: CollectionDefinitions = {
  [COLLECTIONS.releases]: { indexes: { byName: { fields: ['name', 'createdAt'] } } },
  [COLLECTIONS.promotions]: {
    indexes: {
      live: { fields: ['live'] },
      byStage: { fields: ['stageKey', 'requestedAt'] },
      byRelease: { fields: ['releaseId'] },
    },
  },
  [COLLECTIONS.stages]: {},
  [COLLECTIONS.occupancy]: { indexes: { byRelease: { fields: ['releaseId'] } } },
  [COLLECTIONS.history]: {},
  [COLLECTIONS.idempotency]: {},
};

/** A promotion document: the public record plus bookkeeping fields. */
export interface PromotionDoc extends Promotion {
  readonly [field: string]: unknown;
  /** `pipeline/stage`, for the byStage index. */
  readonly stageKey: string;
  /** Present (true) while the promotion is not finished (sparse index of in-flight work). */
  readonly live?: true;
  /** Who drives it now; absent while parked. */
  readonly lease?: { readonly owner: string; readonly until: number };
  /** Canonical request, to detect idempotency-key reuse with another request. */
  readonly fingerprint: string;
}

/** One stage of one pipeline: its lock (active promotion), queue, contents, holds and pins. */
export interface StageDoc {
  readonly [field: string]: unknown;
  readonly pipeline: string;
  readonly stage: string;
  /** The one promotion allowed to run on the stage. */
  readonly active: string | null;
  /** Promotions waiting for the stage, in order. */
  readonly queue: readonly string[];
  /** What the stage holds, by release name. */
  readonly contents: Readonly<Record<string, StageOccupant>>;
  /** Verified releases that held each slot before, most recent first (rollback targets). */
  readonly previous: Readonly<Record<string, readonly string[]>>;
  readonly hold?: { readonly reason: string; readonly by: string; readonly at: number };
  readonly pin?: { readonly reason: string; readonly by: string; readonly at: number };
}

/** A release's stay in a stage: for availability (verified) and soak time. */
export interface OccupancyDoc {
  readonly [field: string]: unknown;
  readonly pipeline: string;
  readonly stage: string;
  readonly releaseId: string;
  readonly enteredAt: number;
  readonly leftAt?: number;
  readonly verifiedAt?: number;
  /** A failed verification revokes an earlier one. */
  readonly revokedAt?: number;
}

export interface IdempotencyDoc {
  readonly [field: string]: unknown;
  readonly promotionIds: readonly string[];
  readonly fingerprint: string;
  readonly at: number;
}

export const stageKey = (pipeline: string, stage: string) => `${pipeline}/${stage}`;
export const occupancyKey = (pipeline: string, stage: string, releaseId: string) =>
  `${pipeline}/${stage}/${releaseId}`;

export const TERMINAL = new Set([
  'succeeded',
  'failed',
  'rolled_back',
  'rejected',
  'superseded',
  'cancelled',
]);

export function emptyStage(pipeline: string, stage: string): StageDoc {
  return { pipeline, stage, active: null, queue: [], contents: {}, previous: {} };
}

/** How many earlier releases each slot remembers as rollback targets. */
export const PREVIOUS_LIMIT = 20;
