import { defineErrors } from '@plinth/core';

/** @plinth/promotion's error catalogue. */
export const promotionErrors = defineErrors('@plinth/promotion', {
  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },
  E_INVALID_OPTION: {
    description: 'An option of the PromotionEngine is unknown, missing or has a bad value.',
  },
  E_INVALID_PIPELINE: {
    description: 'A pipeline definition is invalid: duplicate or unknown stages, or a cycle.',
  },
  E_UNKNOWN_PIPELINE: { description: 'No pipeline has this name.' },
  E_UNKNOWN_STAGE: { description: 'The pipeline has no stage with this name.' },
  E_UNKNOWN_RELEASE: { description: 'No release has this id.' },
  E_UNKNOWN_PROMOTION: { description: 'No promotion has this id.' },
  E_RELEASE_EXISTS: { description: 'A release with this id exists with other contents.' },
  E_RELEASE_REJECTED: { description: 'The release was rejected (quarantined) and cannot move.' },
  E_FORBIDDEN_TRANSITION: {
    description:
      'The pipeline forbids this move: skipping an upstream stage, a reverse move outside a rollback, or a release not yet available.',
  },
  E_NOT_AVAILABLE: {
    description: 'The release is not verified in the upstream stages the availability rule needs.',
  },
  E_UNMET_DEPENDENCY: {
    description:
      'A release dependency (`orders@^3`) is not satisfied by what the stage would hold.',
  },
  E_DEPENDENCY_CYCLE: {
    description: 'Releases of a coordinated promotion depend on each other in a cycle.',
  },
  E_STAGE_PINNED: { description: 'The stage is pinned: only rollbacks may change it.' },
  E_INVALID_STATE: { description: 'The promotion is not in a state that allows this operation.' },
  E_PROMOTION_FINISHED: { description: 'The promotion already reached a final state.' },
  E_ALREADY_APPROVED: { description: 'This principal already approved this promotion.' },
  E_SELF_APPROVAL: { description: 'The requester cannot approve (or reject) their own promotion.' },
  E_NOT_APPROVER: {
    description: 'The principal is not an eligible approver of the current level.',
  },
  E_APPROVAL_EXPIRED: { description: 'The approval window of the promotion has passed.' },
  E_UNAUTHORIZED: { description: 'The authorize hook denied the action.' },
  E_IDEMPOTENCY_MISMATCH: {
    description: 'An idempotency key was reused with a different request.',
  },
  E_NO_ROLLBACK_TARGET: { description: 'The stage has no earlier release to roll back to.' },
  E_RESOLVER_REQUIRED: {
    description: 'An artifact reference needs a resolver (a range) and none was configured.',
  },
  E_RESOLVE_FAILED: { description: 'The artifact resolver failed.', retryable: true },
});

export const ERROR_CODES = promotionErrors.codes;
export type PromotionErrorCode = keyof typeof ERROR_CODES;
