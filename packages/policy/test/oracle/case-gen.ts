/**
 * One differential case: a policy-set document (with template links), an entity store, and a
 * few requests against them. Requests mostly name stored entities; some name uids the store does
 * not hold (missing entities), and actions are any of the universe's.
 */
import fc from 'fast-check';
import { entitiesArb, type GEntity } from './entity-gen.js';
import { DEFAULT_POLICY_OPTIONS, policySetArb, type GPolicySet, type PolicyGenOptions } from './policy-gen.js';
import { ACTION_UIDS, ENTITY_UIDS, type Uid } from './universe.js';
import { contextArb, type JsonValue } from './value-gen.js';

export interface GRequest {
  readonly principal: Uid;
  readonly action: Uid;
  readonly resource: Uid;
  readonly context: { readonly [key: string]: JsonValue };
}

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
      : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...stored) }, { weight: 1, arbitrary: fc.constantFrom(...ENTITY_UIDS) });
  return fc.record({
    principal: someUid(),
    action: fc.constantFrom(...ACTION_UIDS),
    resource: someUid(),
    context: contextArb,
  });
}

export function caseArb(requests: number, opts: PolicyGenOptions = DEFAULT_POLICY_OPTIONS): fc.Arbitrary<GCase> {
  return fc
    .tuple(policySetArb(opts), entitiesArb)
    .chain(([set, entities]) =>
      fc
        .array(requestArb(entities), { minLength: requests, maxLength: requests })
        .map((reqs): GCase => ({ set, entities, requests: reqs })),
    );
}
