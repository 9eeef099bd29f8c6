/**
 * The semantic diff of two policy-set versions: the concrete requests whose decision changes.
 *
 * The requests come from a finite universe built from the schema's request environments and
 * the literals of both sets (see `internal/analysis/universe.ts`): entity literals plus one
 * fresh entity per type, `in` targets as possible parents, and the literals each attribute and
 * context field is compared with. Both sets decide every request through the {@link Authorizer};
 * a request is reported only when the two decisions differ, so every reported change is real.
 * Changes outside the universe can be missed; `truncated` says when the budget cut it short.
 */
import { Authorizer, type AuthorizerPolicies } from './authorizer.js';
import { EntityStore } from './entities.js';
import { policyErrors } from './errors.js';
import type { Schema } from './schema.js';
import type { AuthorizationRequest, AuthorizationResponse, Decision, EntityJson } from './types.js';
import type { CompilablePolicy } from './internal/compile.js';
import { policyKey } from './internal/analysis/expr-facts.js';
import { RequestUniverse, scenarioRequest, type Scenario } from './internal/analysis/universe.js';
import { uidToJson, valueToJson } from './internal/json-values.js';
import type { CedarRecord, EntityUID } from './internal/values.js';

export interface DiffOptions {
  /** Enumerate the schema's request environments (without one: the types the policies name). */
  readonly schema?: Schema;
  /** A host's entity store: its principals and resources are tried too, against it. */
  readonly entities?: EntityStore;
  /** Most requests evaluated. @default 10_000 */
  readonly maxRequests?: number;
}

/** One side of a change. */
export interface DecisionSummary {
  readonly decision: Decision;
  /** The determining policies, sorted. */
  readonly determining: readonly string[];
  /** Policies skipped because their evaluation errored, sorted. */
  readonly errors: readonly string[];
}

export interface DecisionChange {
  readonly request: AuthorizationRequest;
  /** The entities it was decided against; absent when it was the `entities` option's store. */
  readonly entities?: readonly EntityJson[];
  readonly before: DecisionSummary;
  readonly after: DecisionSummary;
}

export interface PolicySetDiff {
  /** Policy ids only in `after`, in its order. */
  readonly added: readonly string[];
  /** Policy ids only in `before`, in its order. */
  readonly removed: readonly string[];
  /** Ids in both whose effect, scope or conditions differ, in `after`'s order. */
  readonly changed: readonly string[];
  /** The requests whose decision differs, in enumeration order. */
  readonly changes: readonly DecisionChange[];
  /** Requests evaluated. */
  readonly examined: number;
  /** Requests in the synthetic universe (the host's entities aside). */
  readonly universeSize: number;
  /** True when `maxRequests` stopped the enumeration before the universe was exhausted. */
  readonly truncated: boolean;
}

function policiesOf(set: AuthorizerPolicies, name: string): readonly CompilablePolicy[] {
  if (typeof set !== 'object' || set === null || typeof set.policies !== 'function') {
    throw policyErrors.create('E_INVALID_ARGUMENT', `diffPolicySets: ${name} must be a PolicySet`);
  }
  return set.policies();
}

function summary(r: AuthorizationResponse): DecisionSummary {
  return {
    decision: r.decision,
    determining: r.determining,
    errors: r.errors.map((e) => e.policyId),
  };
}

/** Added, removed and changed ids; and the policies whose content is in one set only. */
function structural(before: readonly CompilablePolicy[], after: readonly CompilablePolicy[]) {
  const b = new Map(before.map((p) => [p.id, policyKey(p.ast)]));
  const a = new Map(after.map((p) => [p.id, policyKey(p.ast)]));
  const added = after.filter((p) => !b.has(p.id)).map((p) => p.id);
  const removed = before.filter((p) => !a.has(p.id)).map((p) => p.id);
  const changed = after.filter((p) => b.has(p.id) && b.get(p.id) !== a.get(p.id)).map((p) => p.id);
  // Content present more often on one side than the other decides differently somewhere, maybe.
  const count = new Map<string, number>();
  for (const k of b.values()) count.set(k, (count.get(k) ?? 0) + 1);
  for (const k of a.values()) count.set(k, (count.get(k) ?? 0) - 1);
  const moved = [...before, ...after].filter((p) => count.get(policyKey(p.ast)) !== 0);
  return { added, removed, changed, moved };
}

/** The requests whose decision differs between two policy sets, and the ids that changed. */
export function diffPolicySets(
  before: AuthorizerPolicies,
  after: AuthorizerPolicies,
  options: DiffOptions = {},
): PolicySetDiff {
  const bp = policiesOf(before, 'before');
  const ap = policiesOf(after, 'after');
  const maxRequests = options.maxRequests ?? 10_000;
  if (!Number.isInteger(maxRequests) || maxRequests < 0) {
    throw policyErrors.create('E_INVALID_OPTION', 'maxRequests must be an integer ≥ 0', {
      details: { option: 'maxRequests' },
    });
  }
  if (options.entities !== undefined && !(options.entities instanceof EntityStore)) {
    throw policyErrors.create('E_INVALID_OPTION', 'entities must be an EntityStore', {
      details: { option: 'entities' },
    });
  }
  const { added, removed, changed, moved } = structural(bp, ap);
  const changes: DecisionChange[] = [];
  if (moved.length === 0) {
    // Same policies by content: every decision is the same, no request needs evaluating.
    return { added, removed, changed, changes, examined: 0, universeSize: 0, truncated: false };
  }
  const universe = new RequestUniverse({
    schema: options.schema,
    policies: [...bp, ...ap],
    focus: moved,
    admitting: moved,
  });
  const first = new Authorizer({ policies: before, explain: false });
  const second = new Authorizer({ policies: after, explain: false });
  let examined = 0;
  let truncated = false;
  const decide = (
    request: AuthorizationRequest,
    store: EntityStore,
    scenario: Scenario | undefined,
  ): void => {
    examined++;
    const x = first.isAuthorized(request, store);
    const y = second.isAuthorized(request, store);
    if (x.decision === y.decision) return;
    changes.push({
      request,
      ...(scenario === undefined ? {} : { entities: universe.entitiesOf(scenario) }),
      before: summary(x),
      after: summary(y),
    });
  };

  // The host's own entities first (at most half the budget), then the synthetic universe.
  const host = options.entities;
  if (host !== undefined) {
    const store = withActions(host, universe.actionEntities());
    const budget = Math.floor(maxRequests / 2);
    const done = hostRequests(universe, store, budget, (r) => decide(r, store, undefined));
    if (!done) truncated = true;
  }
  for (const s of universe.scenarios()) {
    if (examined >= maxRequests) {
      truncated = true;
      break;
    }
    const store = universe.storeOf(s);
    if (store === undefined) continue;
    decide(scenarioRequest(s), store, s);
  }
  return { added, removed, changed, changes, examined, universeSize: universe.size, truncated };
}

/** The host's store, with the action entities it lacks (the schema's action hierarchy). */
function withActions(host: EntityStore, actions: readonly EntityJson[]): EntityStore {
  const missing = actions.filter((e) => {
    const u = e.uid as { type: string; id: string };
    return host.internUid(u.type, u.id) === undefined;
  });
  return missing.length === 0 ? host : EntityStore.fromJson([...host.toJson(), ...missing]);
}

/** Requests over the store's principals and resources; false when the budget ran out first. */
function hostRequests(
  universe: RequestUniverse,
  store: EntityStore,
  budget: number,
  decide: (r: AuthorizationRequest) => void,
): boolean {
  const byType = new Map<string, EntityUID[]>();
  for (const e of store.entities()) {
    let list = byType.get(e.uid.type);
    if (list === undefined) byType.set(e.uid.type, (list = []));
    list.push(e.uid);
  }
  for (const list of byType.values())
    list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let n = 0;
  const envs = universe.environments;
  for (let i = 0; i < envs.length; i++) {
    const env = envs[i]!;
    const principals = byType.get(env.principalType!) ?? [];
    const resources = byType.get(env.resourceType!) ?? [];
    if (principals.length === 0 || resources.length === 0) continue;
    for (const context of universe.contexts(i)) {
      for (const p of principals) {
        for (const r of resources) {
          if (n++ >= budget) return false;
          decide(request(p, env.action!, r, context));
        }
      }
    }
  }
  return true;
}

function request(
  principal: EntityUID,
  action: EntityUID,
  resource: EntityUID,
  context: CedarRecord,
): AuthorizationRequest {
  return {
    principal: uidToJson(principal),
    action: uidToJson(action),
    resource: uidToJson(resource),
    context: Object.fromEntries([...context.attrs].map(([k, v]) => [k, valueToJson(v)])),
  };
}
