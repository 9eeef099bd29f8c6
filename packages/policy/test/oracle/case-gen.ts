/**
 * One differential case: a policy-set document (with template links), an entity store, and a
 * few requests against them. Requests mostly name stored entities; some name uids the store does
 * not hold (missing entities), and actions are any of the universe's.
 */
import fc from 'fast-check';
import { entitiesArb, type GEntity } from './entity-gen.js';
import {
  batteryArb,
  DEFAULT_POLICY_OPTIONS,
  policySetArb,
  type GPolicySet,
  type PolicyGenOptions,
} from './policy-gen.js';
import { ACTION_UIDS, ENTITY_UIDS, type Uid } from './universe.js';
import { contextArb, type JsonValue } from './value-gen.js';

export interface GRequest {
  readonly principal: Uid;
  readonly action: Uid;
  readonly resource: Uid;
  readonly context: { readonly [key: string]: JsonValue };
}

export const BATTERY_SIZE = 8;

export interface GCase {
  readonly set: GPolicySet;
  readonly entities: readonly GEntity[];
  readonly requests: readonly GRequest[];
}

/** A request over the store: stored uids 4 times in 5, any uid of the universe otherwise. */
export function requestArb(entities: readonly GEntity[]): fc.Arbitrary<GRequest> {
  const stored = entities.map((e) => e.uid).filter((u) => !u.type.endsWith('Action'));
  const someUid = (): fc.Arbitrary<Uid> =>
    stored.length === 0
      ? fc.constantFrom(...ENTITY_UIDS)
      : fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...stored) },
          { weight: 1, arbitrary: fc.constantFrom(...ENTITY_UIDS) },
        );
  // Rarely an action as principal or resource, or a non-action as the action (no schema
  // forbids it; both engines must take the request as it is).
  const party = fc.oneof(
    { weight: 30, arbitrary: someUid() },
    { weight: 1, arbitrary: fc.constantFrom(...ACTION_UIDS) },
  );
  return fc.record({
    principal: party,
    action: fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...ACTION_UIDS) },
      { weight: 1, arbitrary: fc.constantFrom(...ENTITY_UIDS) },
    ),
    resource: party,
    context: contextArb,
  });
}

/**
 * A case: a policy-set document, or (`batteryPct`% of the time) an expression battery of
 * {@link BATTERY_SIZE} conditions, with a store and `requests` requests.
 */
export function caseArb(
  requests: number,
  opts: PolicyGenOptions = DEFAULT_POLICY_OPTIONS,
  batteryPct = 0,
): fc.Arbitrary<GCase> {
  const sets =
    batteryPct <= 0
      ? policySetArb(opts)
      : fc.oneof(
          { weight: 100 - batteryPct, arbitrary: policySetArb(opts) },
          { weight: batteryPct, arbitrary: batteryArb(BATTERY_SIZE, opts) },
        );
  return fc
    .tuple(sets, entitiesArb)
    .chain(([set, entities]) =>
      fc
        .array(requestArb(entities), { minLength: requests, maxLength: requests })
        .map((reqs): GCase => ({ set, entities, requests: reqs })),
    );
}
