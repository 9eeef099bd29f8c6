import type { Clock, Limits, Logger } from '@plinth/core';
import type { PreparedContext } from './authorizer.js';

/**
 * An entity reference as hosts write it: Cedar's JSON `{ type, id }` (the `__entity` escape is
 * accepted too), or the text form `User::"alice"`. A uid an `EntityStore` returned (`internUid`,
 * `StoredEntity.uid`) is one too, and the fastest to pass.
 */
export type EntityRef =
  | { readonly type: string; readonly id: string }
  | { readonly __entity: { readonly type: string; readonly id: string } }
  | string;

/**
 * A value in Cedar's JSON value format: booleans, integers (Cedar Long), strings, arrays (sets),
 * objects (records), `{ "__entity": { type, id } }` and `{ "__extn": { fn, arg } }`.
 */
export type CedarJsonValue =
  | boolean
  | number
  | bigint
  | string
  | readonly CedarJsonValue[]
  | { readonly [key: string]: CedarJsonValue };

/** One entity in Cedar's JSON entity format. */
export interface EntityJson {
  readonly uid: EntityRef;
  readonly attrs?: { readonly [name: string]: CedarJsonValue };
  readonly parents?: readonly EntityRef[];
  readonly tags?: { readonly [name: string]: CedarJsonValue };
}

/** A PARC request. `context` is a record in Cedar's JSON value format. */
export interface AuthorizationRequest {
  readonly principal: EntityRef;
  readonly action: EntityRef;
  readonly resource: EntityRef;
  /** A Cedar record, or a context converted once with `prepareContext()`. */
  readonly context?: { readonly [name: string]: CedarJsonValue } | PreparedContext;
}

export type Decision = 'allow' | 'deny';

/** A policy whose evaluation raised an error: it was skipped, as Cedar does. */
export interface PolicyEvaluationError {
  readonly policyId: string;
  readonly message: string;
}

/**
 * A policy that applied to the request's scope or nearly did, but did not decide it: for a
 * denial, the permits that failed, each with the first part that was false.
 */
export interface NearMiss {
  readonly policyId: string;
  readonly effect: 'permit' | 'forbid';
  /** What was false first: a scope part, or a `when`/`unless` condition. */
  readonly failed: 'principal' | 'action' | 'resource' | 'condition';
  /** Index of the failed condition in the policy (with `failed: 'condition'`). */
  readonly condition?: number;
  /** The failed part as Cedar text (`resource.owner == principal`). */
  readonly text: string;
}

/** Cedar's answer, with its diagnostics and (when on) the explanation. */
export interface AuthorizationResponse {
  readonly decision: Decision;
  /** Ids of the policies that determined the decision (Cedar's `reason`), sorted. */
  readonly determining: readonly string[];
  /** Policies skipped because their evaluation errored, sorted by id. */
  readonly errors: readonly PolicyEvaluationError[];
  /** For a denial with explanations on: the near-miss permits (at most `maxNearMisses`). */
  readonly nearMisses?: readonly NearMiss[];
}

/** Limits on policy text, expressions and entity data (core's {@link Limits} with policy defaults). */
export interface PolicyLimits extends Pick<
  Limits,
  'maxDepth' | 'maxStringLength' | 'maxArrayLength'
> {
  /** Largest policy or schema text, in characters. @default 8_388_608 */
  readonly maxDocumentSize: number;
  /** Deepest expression nesting in a policy. @default 128 */
  readonly maxExpressionDepth: number;
  /** Most entities in one entity store. @default 10_000_000 */
  readonly maxEntities: number;
}

/** Options of the package's main class. */
export interface PolicyOptions {
  /** Time source. @default systemClock */
  clock?: Clock;
  /** Where the package logs. @default noopLogger */
  logger?: Logger;
  /** Input limits. @default DEFAULT_POLICY_LIMITS */
  limits?: Partial<PolicyLimits>;
}
