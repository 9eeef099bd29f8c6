/**
 * Both engines on one differential case, answers normalised to the same shape: the decision, the
 * sorted ids of the determining policies and the sorted ids of the policies that errored; or the
 * rejection of the input (a policy set or entity store that does not load).
 *
 * The oracle gets each policy as its own text under the id our PolicySet gives it (it names
 * policies by position only), templates likewise, and the links in its JSON link format.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { Authorizer } from '../../src/authorizer.js';
import { EntityStore } from '../../src/entities.js';
import { PolicySet } from '../../src/policy-set.js';
import type { GCase, GRequest } from './case-gen.js';
import { entitiesJson } from './entity-gen.js';
import type { RenderedSet } from './policy-gen.js';

export type Answer =
  | { readonly kind: 'ok'; readonly decision: 'allow' | 'deny'; readonly determining: readonly string[]; readonly errors: readonly string[] }
  | { readonly kind: 'rejected'; readonly message: string };

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${(e as { code?: string }).code ?? e.name}: ${e.message}`;
  return String(e);
}

/** Cedar's answers, one per request (all `rejected` when the inputs do not load). */
export function cedarAnswers(rendered: RenderedSet, c: GCase): Answer[] {
  const entities = entitiesJson(c.entities);
  const policies = {
    staticPolicies: rendered.statics,
    templates: rendered.templates,
    templateLinks: rendered.links.map((l) => ({ templateId: l.templateId, newId: l.newId, values: l.values })),
  };
  return c.requests.map((r): Answer => {
    const res = cedar.isAuthorized({
      principal: r.principal,
      action: r.action,
      resource: r.resource,
      context: r.context as cedar.Context,
      policies,
      entities: entities as cedar.Entities,
    });
    if (res.type === 'failure') return { kind: 'rejected', message: res.errors.map((e) => e.message).join('; ') };
    const d = res.response;
    return {
      kind: 'ok',
      decision: d.decision,
      determining: sorted(d.diagnostics.reason),
      errors: sorted(d.diagnostics.errors.map((e) => e.policyId)),
    };
  });
}

/** Ours: PolicySet.parse + link, EntityStore.fromJson, one Authorizer for every request. */
export function plinthAnswers(rendered: RenderedSet, c: GCase): Answer[] {
  let authorizer: Authorizer;
  let store: EntityStore;
  try {
    let set = PolicySet.parse(rendered.text);
    for (const l of rendered.links) set = set.link(l.templateId, l.newId, l.values);
    store = EntityStore.fromJson(entitiesJson(c.entities));
    authorizer = new Authorizer({ policies: set, explain: false });
  } catch (e) {
    const rejected: Answer = { kind: 'rejected', message: messageOf(e) };
    return c.requests.map(() => rejected);
  }
  return c.requests.map((r: GRequest): Answer => {
    try {
      const res = authorizer.isAuthorized(
        { principal: r.principal, action: r.action, resource: r.resource, context: r.context },
        store,
      );
      return {
        kind: 'ok',
        decision: res.decision,
        determining: sorted(res.determining),
        errors: sorted(res.errors.map((e) => e.policyId)),
      };
    } catch (e) {
      return { kind: 'rejected', message: messageOf(e) };
    }
  });
}
