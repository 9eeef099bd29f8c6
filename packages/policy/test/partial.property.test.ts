/**
 * Partial evaluation is exact: on random entity stores and policy sets (static policies and
 * template links), for a principal, an action and a context, the residual filter matches a
 * resource exactly when the authorizer allows the request on it:
 *
 *   isAuthorized({principal, action, resource: r, context}).decision === 'allow'
 *     ⇔ matchesFilter(residualFilter(...).filter, r, store)
 *
 * for every uid `r` of the universe (stored or not), and, with `resourceType: T`, the filter
 * matches no resource of another type and agrees with the authorizer on those of type `T`.
 *
 * Policy sets whose residual uses a construct the filter algebra has no predicate for
 * (`E_UNSUPPORTED`) are counted by construct and reported, and must stay a minority of the run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import { matchesFilter, printFilter } from '../src/filters/filter.js';
import { residualFilter } from '../src/partial.js';
import { PolicySet } from '../src/policy-set.js';
import { EntityUID } from '../src/internal/values.js';
import { caseArb, type GCase } from './oracle/case-gen.js';
import { entitiesJson } from './oracle/entity-gen.js';
import { policyArb, renderSet, type GPolicy } from './oracle/policy-gen.js';
import { ACTION_UIDS, ENTITY_TYPES, ENTITY_UIDS } from './oracle/universe.js';

const SEED = Number(process.env.PLINTH_ORACLE_SEED ?? 20_261_207);
const RUNS = Number(process.env.PLINTH_PARTIAL_RUNS ?? 600);

const RESOURCES = [...ENTITY_UIDS, ...ACTION_UIDS];

interface Outcome {
  /** `rejected`: the generated document does not parse (a non-action in an action scope). */
  readonly kind: 'checked' | 'unsupported' | 'rejected';
  readonly construct?: string;
  readonly allows: number;
}

function load(c: GCase): { set: PolicySet; store: EntityStore } {
  const rendered = renderSet(c.set);
  let set = PolicySet.parse(rendered.text);
  for (const l of rendered.links) set = set.link(l.templateId, l.newId, l.values);
  return { set, store: EntityStore.fromJson(entitiesJson(c.entities)) };
}

/** Checks one case; throws a description of the first resource where the two disagree. */
function check(c: GCase, resourceType: string | undefined): Outcome {
  let loaded;
  try {
    loaded = load(c);
  } catch (e) {
    if ((e as { code?: string }).code === 'E_PARSE') return { kind: 'rejected', allows: 0 };
    throw e;
  }
  const { set, store } = loaded;
  const authorizer = new Authorizer({ policies: set, explain: false });
  const req = c.requests[0]!;
  let filter;
  try {
    filter = residualFilter({
      policies: set,
      principal: req.principal,
      action: req.action,
      context: req.context,
      entities: store,
      ...(resourceType === undefined ? {} : { resourceType }),
    }).filter;
  } catch (e) {
    const err = e as { code?: string; details?: { construct?: string } };
    if (err.code === 'E_UNSUPPORTED') {
      return { kind: 'unsupported', construct: err.details?.construct ?? '?', allows: 0 };
    }
    throw e;
  }
  let allows = 0;
  for (const r of RESOURCES) {
    const allowed =
      authorizer.isAuthorized(
        { principal: req.principal, action: req.action, resource: r, context: req.context },
        store,
      ).decision === 'allow';
    const matched = matchesFilter(filter, new EntityUID(r.type, r.id), store);
    const expected = resourceType === undefined || r.type === resourceType ? allowed : false;
    if (expected) allows++;
    if (matched !== expected) {
      throw new Error(
        [
          `resource ${r.type}::${JSON.stringify(r.id)}: isAuthorized says ${allowed ? 'allow' : 'deny'}, the filter ${matched ? 'matches' : 'does not match'}`,
          `resourceType: ${resourceType ?? '(none)'}`,
          `filter: ${printFilter(filter)}`,
          `policies:\n${renderSet(c.set).text}`,
          `request: ${JSON.stringify(req)}`,
          `entities: ${JSON.stringify(entitiesJson(c.entities))}`,
        ].join('\n'),
      );
    }
  }
  return { kind: 'checked', allows };
}

describe('residual filters agree with the authorizer', () => {
  it(`on ${RUNS} random stores and policy sets, for every resource`, () => {
    const unsupported = new Map<string, number>();
    let checked = 0;
    let rejected = 0;
    let withAllows = 0;
    let total = 0;
    // Each set gets one more permit open on principal and action, so that many sets allow some
    // resources and the filter's positive side is exercised, not only `false`.
    const open = policyArb(false).map((p): GPolicy => ({
      ...p,
      id: 'open',
      effect: 'permit',
      principal: { op: 'all' },
      action: { op: 'all' },
    }));
    const arb = fc.tuple(
      fc
        .tuple(caseArb(1), open)
        .map(([c, p]): GCase => ({ ...c, set: { ...c.set, policies: [...c.set.policies, p] } })),
      fc.option(fc.constantFrom(...ENTITY_TYPES), { freq: 3 }),
    );
    fc.assert(
      fc.property(arb, ([c, rt]) => {
        const o = check(c, rt ?? undefined);
        total++;
        if (o.kind === 'rejected') rejected++;
        else if (o.kind === 'unsupported') {
          unsupported.set(o.construct!, (unsupported.get(o.construct!) ?? 0) + 1);
        } else {
          checked++;
          if (o.allows > 0) withAllows++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const lines = [...unsupported].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v} × ${k}`);
    console.log(
      [
        `partial seed=${SEED} (replay: PLINTH_ORACLE_SEED=${SEED}): ${total} policy sets, ${checked} checked on ${RESOURCES.length} resources each (${withAllows} with allowed resources), ${rejected} not parsed, ${total - checked - rejected} unsupported:`,
        ...lines,
      ].join('\n'),
    );
    expect(checked, 'policy sets with a residual filter').toBeGreaterThan(total * 0.5);
    expect(withAllows, 'policy sets allowing some resource').toBeGreaterThan(checked * 0.25);
  }, 600_000);
});
