import type { EntityStore } from './entities.js';
import type { AuthorizationResponse } from './types.js';

/** Events of @plinth/policy: `namespace:verb`, one payload object, emitted after the fact. */
export interface PolicyEvents {
  /** A decision was made (emitted while someone listens; a decision log samples and filters). */
  'policy:decided': {
    readonly at: number;
    /** The request as given (a decision log masks attributes before it writes anything). */
    readonly request: {
      readonly principal: string;
      readonly action: string;
      readonly resource: string;
      readonly context?: unknown;
    };
    readonly response: AuthorizationResponse;
    /** Digest of the policy set that decided. */
    readonly policySet: string;
    /** The entity store the decision read (a decision log reads entity attributes from it). */
    readonly entities: EntityStore;
  };
  /** The authorizer's policy set was replaced atomically. */
  'policies:swapped': { readonly at: number; readonly from: string; readonly to: string };
  /** A candidate (shadow) policy set decided a request differently from the active one. */
  'shadow:differed': {
    readonly at: number;
    readonly request: {
      readonly principal: string;
      readonly action: string;
      readonly resource: string;
    };
    readonly active: AuthorizationResponse;
    readonly candidate: AuthorizationResponse;
  };
  /** A policy-set version was stored. */
  'policies:published': { readonly at: number; readonly version: number; readonly digest: string };
  /** A stored version became the active one (here or, through the change feed, elsewhere). */
  'policies:activated': { readonly at: number; readonly version: number; readonly digest: string };
}
