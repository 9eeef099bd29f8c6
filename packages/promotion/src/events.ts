import type { GateRecord, PromotionState } from './types.js';

/** Facts every promotion event carries. */
export interface PromotionEventBase {
  readonly promotionId: string;
  readonly pipeline: string;
  readonly stage: string;
  readonly releaseId: string;
  readonly at: number;
}

/**
 * Events of @plinth/promotion: `namespace:verb`, one payload object, emitted after the
 * transition they announce is committed (on the instance that committed it).
 */
export interface PromotionEvents {
  /** Every state change, whatever the state. */
  'promotion:transition': PromotionEventBase & {
    readonly from: PromotionState | null;
    readonly to: PromotionState;
  };
  'promotion:requested': PromotionEventBase & { readonly queued: boolean; readonly by: string };
  'promotion:started': PromotionEventBase;
  'promotion:awaiting-approval': PromotionEventBase;
  'promotion:gating': PromotionEventBase;
  'promotion:promoting': PromotionEventBase;
  'promotion:verifying': PromotionEventBase;
  'promotion:succeeded': PromotionEventBase;
  'promotion:failed': PromotionEventBase & { readonly reason: string };
  'promotion:rejected': PromotionEventBase & { readonly reason: string };
  'promotion:superseded': PromotionEventBase & { readonly by: string };
  'promotion:cancelled': PromotionEventBase & { readonly reason: string };
  'promotion:parked': PromotionEventBase & { readonly until: number; readonly why: string };
  'approval:granted': PromotionEventBase & {
    readonly principal: string;
    readonly level: string;
    readonly complete: boolean;
  };
  'approval:rejected': PromotionEventBase & { readonly principal: string; readonly reason: string };
  'approval:expired': PromotionEventBase;
  'gate:passed': PromotionEventBase & { readonly gate: GateRecord };
  'gate:failed': PromotionEventBase & { readonly gate: GateRecord };
  'verification:passed': PromotionEventBase;
  'verification:failed': PromotionEventBase & { readonly gate: GateRecord };
  'rollback:started': PromotionEventBase & {
    readonly targetReleaseId: string | null;
    readonly automatic: boolean;
  };
  'rollback:completed': PromotionEventBase & { readonly targetReleaseId: string | null };
  'rollback:failed': PromotionEventBase & { readonly error: string };
  'release:created': { readonly releaseId: string; readonly name: string; readonly at: number };
  'release:rejected': {
    readonly releaseId: string;
    readonly reason: string;
    readonly by: string;
    readonly at: number;
  };
  'stage:held': {
    readonly pipeline: string;
    readonly stage: string;
    readonly reason: string;
    readonly at: number;
  };
  'stage:released': { readonly pipeline: string; readonly stage: string; readonly at: number };
  'stage:pinned': {
    readonly pipeline: string;
    readonly stage: string;
    readonly reason: string;
    readonly at: number;
  };
  'stage:unpinned': { readonly pipeline: string; readonly stage: string; readonly at: number };
  /** A background step failed unexpectedly (storage down); the work stays resumable. */
  'engine:error': { readonly error: unknown; readonly promotionId?: string };
}
