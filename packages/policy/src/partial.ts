/**
 * Partial evaluation to residual filters: given the principal, the action, the context and the
 * entity store, the condition a resource must meet to be allowed, as a {@link ResourceFilter}.
 *
 * The filter is exact: for every resource `r`, `matchesFilter(filter, r, entities)` equals
 * `isAuthorized({ principal, action, resource: r, context }).decision === 'allow'` on the same
 * store, errors included (a policy that errors on `r` neither permits nor forbids it).
 */
import { EntityStore } from './entities.js';
import { policyErrors } from './errors.js';
import { and, not, or, type ResourceFilter } from './filters/filter.js';
import type { CompilablePolicy } from './internal/compile.js';
import { uidFromRef, valueFromJson } from './internal/json-values.js';
import { ResidualEvaluator, UnsupportedResidual } from './internal/residual-eval.js';
import { CedarRecord, type EntityUID } from './internal/values.js';
import { DEFAULT_POLICY_LIMITS } from './options.js';
import type { CedarJsonValue, EntityRef } from './types.js';

/** What partial evaluation reads of a policy set (a `PolicySet` is one). */
export interface ResidualPolicies {
  policies(): readonly CompilablePolicy[];
}

export interface ResidualFilterOptions {
  readonly policies: ResidualPolicies;
  readonly principal: EntityRef;
  readonly action: EntityRef;
  /** The request context, in Cedar's JSON value format. @default {} */
  readonly context?: { readonly [name: string]: CedarJsonValue };
  /** Every entity except the resources being filtered is read from here. @default empty */
  readonly entities?: EntityStore;
  /** Only resources of this entity type are filtered (the filter starts with `resource is T`). */
  readonly resourceType?: string;
}

/** The filter, and the per-policy residuals it was built from (for explanations and tests). */
export interface ResidualResult {
  readonly filter: ResourceFilter;
  /** Policies whose residual is not `false`, with the condition under which each is satisfied. */
  readonly policies: readonly {
    readonly id: string;
    readonly effect: 'permit' | 'forbid';
    readonly residual: ResourceFilter;
  }[];
}

function descendantIndex(store: EntityStore): (uid: EntityUID) => readonly EntityUID[] {
  let index: Map<string, EntityUID[]> | undefined;
  return (uid) => {
    if (index === undefined) {
      index = new Map();
      for (const e of store.entities()) {
        for (const a of store.ancestors(e.uid)) {
          let list = index.get(a.key);
          if (list === undefined) index.set(a.key, (list = []));
          list.push(e.uid);
        }
      }
    }
    return index.get(uid.key) ?? [];
  };
}

/**
 * The residual filter of a policy set for one principal and action: permits minus forbids,
 * each policy reduced to the resource predicates it still depends on. `E_UNSUPPORTED` (with
 * `details.policyId` and `details.construct`) when a policy that can apply uses a
 * resource-dependent construct the filter algebra has no predicate for.
 */
export function residualFilter(options: ResidualFilterOptions): ResidualResult {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.policies?.policies !== 'function'
  ) {
    throw policyErrors.create(
      'E_INVALID_ARGUMENT',
      'residualFilter needs { policies, principal, action }',
    );
  }
  const principal = uidFromRef(options.principal, 'E_INVALID_REQUEST', 'principal');
  const action = uidFromRef(options.action, 'E_INVALID_REQUEST', 'action');
  const ctx = valueFromJson(
    options.context ?? {},
    DEFAULT_POLICY_LIMITS,
    'context',
    'E_INVALID_REQUEST',
  );
  if (!(ctx instanceof CedarRecord)) {
    throw policyErrors.create('E_INVALID_REQUEST', 'context must be a record');
  }
  const store = options.entities ?? new EntityStore();
  if (!(store instanceof EntityStore)) {
    throw policyErrors.create('E_INVALID_ARGUMENT', 'entities must be an EntityStore');
  }
  const rt = options.resourceType;
  if (rt !== undefined && (typeof rt !== 'string' || rt === '')) {
    throw policyErrors.create('E_INVALID_ARGUMENT', 'resourceType must be an entity type name');
  }
  const evaluator = new ResidualEvaluator({
    principal,
    action,
    context: ctx,
    lookup: store,
    ancestors: (uid) => store.ancestors(uid),
    descendants: descendantIndex(store),
    entities: () => store.entities(),
    ...(rt !== undefined && { resourceType: rt }),
  });
  const permits: ResourceFilter[] = [];
  const forbids: ResourceFilter[] = [];
  const kept: { id: string; effect: 'permit' | 'forbid'; residual: ResourceFilter }[] = [];
  for (const p of options.policies.policies()) {
    let residual: ResourceFilter;
    try {
      residual = evaluator.policy(p.ast);
    } catch (e) {
      if (e instanceof UnsupportedResidual) {
        throw policyErrors.create(
          'E_UNSUPPORTED',
          `policy "${p.id}" has no residual filter: ${e.construct} cannot be expressed as a resource filter`,
          { details: { policyId: p.id, construct: e.construct } },
        );
      }
      throw e;
    }
    if (residual.kind === 'const' && !residual.value) continue;
    kept.push({ id: p.id, effect: p.effect, residual });
    (p.effect === 'permit' ? permits : forbids).push(residual);
  }
  const body = and(or(...permits), not(or(...forbids)));
  const filter = rt === undefined ? body : and({ kind: 'resourceIs', entityType: rt }, body);
  return { filter, policies: kept };
}
