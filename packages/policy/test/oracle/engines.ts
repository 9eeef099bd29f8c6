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
import { PolicySet, type PolicySetJson } from '../../src/policy-set.js';
import type { GCase, GRequest } from './case-gen.js';
import { entitiesJson } from './entity-gen.js';
import type { RenderedSet } from './policy-gen.js';

export type Answer =
  | {
      readonly kind: 'ok';
      readonly decision: 'allow' | 'deny';
      readonly determining: readonly string[];
      readonly errors: readonly string[];
    }
  | { readonly kind: 'rejected'; readonly message: string };

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${(e as { code?: string }).code ?? e.name}: ${e.message}`;
  return String(e);
}

/**
 * Cedar's answers, one per request (all `rejected` when the inputs do not load). The policy set
 * is parsed once per case (`preparsePolicySet`, one cache slot reused by every case); the
 * oracle still parses the entities on every request.
 */
export function cedarAnswers(rendered: RenderedSet, c: GCase): Answer[] {
  const entities = entitiesJson(c.entities) as cedar.Entities;
  const policies = {
    staticPolicies: rendered.statics,
    templates: rendered.templates,
    templateLinks: rendered.links.map((l) => ({
      templateId: l.templateId,
      newId: l.newId,
      values: l.values,
    })),
  };
  const parsed = cedar.preparsePolicySet(PSET_SLOT, policies);
  if (parsed.type === 'failure') {
    const rejected: Answer = {
      kind: 'rejected',
      message: parsed.errors.map((e) => e.message).join('; '),
    };
    return c.requests.map(() => rejected);
  }
  return c.requests.map((r): Answer => {
    const res = cedar.statefulIsAuthorized({
      principal: r.principal,
      action: r.action,
      resource: r.resource,
      context: r.context as cedar.Context,
      preparsedPolicySetId: PSET_SLOT,
      entities,
    });
    if (res.type === 'failure')
      return { kind: 'rejected', message: res.errors.map((e) => e.message).join('; ') };
    const d = res.response;
    return {
      kind: 'ok',
      decision: d.decision,
      determining: sorted(d.diagnostics.reason),
      errors: sorted(d.diagnostics.errors.map((e) => e.policyId)),
    };
  });
}

const PSET_SLOT = 'differential';

/**
 * How our policy set is built for a case:
 * - `text`: PolicySet.parse of the whole document, then `link` for each link;
 * - `json`: PolicySet.fromJson of Cedar's JSON policy format, as the oracle writes it
 *   (`policyToJson`/`templateToJson` of each policy), links included;
 * - `roundtrip`: the `text` set written by our `toJson` and read back by our `fromJson`.
 */
export type Route = 'text' | 'json' | 'roundtrip';

/**
 * The oracle writes Longs in its JSON as JS numbers, so a literal beyond ±(2^53 − 1) is already
 * rounded there: the `json` route does not apply to such a document.
 */
export class RouteNotApplicable extends Error {}

function hasUnsafeNumber(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isSafeInteger(v);
  if (Array.isArray(v)) return v.some(hasUnsafeNumber);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasUnsafeNumber);
  return false;
}
export const ROUTES: readonly Route[] = ['text', 'json', 'roundtrip'];

function buildSet(rendered: RenderedSet, route: Route): PolicySet {
  const links = rendered.links.map((l) => ({
    templateId: l.templateId,
    newId: l.newId,
    values: l.values,
  }));
  if (route === 'json') {
    const toJson = (text: string, template: boolean): unknown => {
      const r = template ? cedar.templateToJson(text) : cedar.policyToJson(text);
      if (r.type === 'failure')
        throw new Error(`oracle cannot convert: ${r.errors.map((e) => e.message).join('; ')}`);
      if (hasUnsafeNumber(r.json)) throw new RouteNotApplicable();
      return r.json;
    };
    const map = (m: Readonly<Record<string, string>>, template: boolean) =>
      Object.fromEntries(Object.entries(m).map(([id, text]) => [id, toJson(text, template)]));
    return PolicySet.fromJson({
      staticPolicies: map(rendered.statics, false),
      templates: map(rendered.templates, true),
      templateLinks: links,
    } as PolicySetJson);
  }
  let set = PolicySet.parse(rendered.text);
  for (const l of rendered.links) set = set.link(l.templateId, l.newId, l.values);
  // structuredClone, not JSON text: Longs beyond 2^53 are bigints in `toJson` output.
  return route === 'text'
    ? set
    : PolicySet.fromJson(structuredClone(set.toJson()) as PolicySetJson);
}

/**
 * Ours: the policy set built by `route`, EntityStore.fromJson, one Authorizer for every request.
 * Undefined when the route does not apply to the case ({@link RouteNotApplicable}).
 */
export function plinthAnswers(rendered: RenderedSet, c: GCase, route: Route): Answer[] | undefined {
  let authorizer: Authorizer;
  let store: EntityStore;
  try {
    store = EntityStore.fromJson(entitiesJson(c.entities));
    authorizer = new Authorizer({ policies: buildSet(rendered, route), explain: false });
  } catch (e) {
    if (e instanceof RouteNotApplicable) return undefined;
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
