/**
 * Policy coverage: over a run of requests, how far each policy got (its scope matched and its
 * conditions were evaluated, it was satisfied, it determined a decision, it errored) and which
 * value each `when`/`unless` condition took. Built from the authorizer's per-policy traces.
 */
import type { AuthorizationResponse } from '../types.js';
import type { CompilablePolicy, PolicyTrace } from './compile.js';
import { printExpr } from './printer.js';

/** How one condition fared. Counts are of the condition's expression as written after `when`/`unless`. */
export interface ConditionCoverage {
  /** Position among the policy's conditions, from 0. */
  readonly index: number;
  readonly kind: 'when' | 'unless';
  /** The expression as Cedar text. */
  readonly text: string;
  /** Times it evaluated to `true`. */
  readonly true: number;
  /** Times it evaluated to `false`. */
  readonly false: number;
  /** Times its evaluation raised an error. */
  readonly errors: number;
}

/** How one policy fared over the run. */
export interface PolicyCoverageEntry {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  /** Requests whose scope (principal, action, resource) the policy matched: its conditions ran. */
  readonly evaluated: number;
  /** Requests on which the policy was satisfied (scope and every condition). */
  readonly satisfied: number;
  /** Requests whose decision it determined (it is in the response's `determining`). */
  readonly determining: number;
  /** Requests on which its evaluation errored (it was skipped). */
  readonly errors: number;
  readonly conditions: readonly ConditionCoverage[];
}

/** Coverage of a policy set over a run of requests. */
export interface PolicyCoverage {
  /** Requests recorded. */
  readonly requests: number;
  /** One entry per policy, in set order. */
  readonly policies: readonly PolicyCoverageEntry[];
  readonly summary: {
    readonly policies: number;
    /** Policies evaluated, satisfied, determining at least once. */
    readonly evaluated: number;
    readonly satisfied: number;
    readonly determining: number;
    /** Condition outcomes possible (two per condition: true and false) and seen. */
    readonly conditionOutcomes: number;
    readonly conditionOutcomesCovered: number;
  };
}

interface MutableCondition {
  index: number;
  kind: 'when' | 'unless';
  text: string;
  true: number;
  false: number;
  errors: number;
}

interface MutableEntry {
  id: string;
  effect: 'permit' | 'forbid';
  evaluated: number;
  satisfied: number;
  determining: number;
  errors: number;
  conditions: MutableCondition[];
}

function entryOf(p: CompilablePolicy): MutableEntry {
  return {
    id: p.id,
    effect: p.effect,
    evaluated: 0,
    satisfied: 0,
    determining: 0,
    errors: 0,
    conditions: p.ast.conditions.map((c, index) => ({
      index,
      kind: c.kind,
      text: printExpr(c.body),
      true: 0,
      false: 0,
      errors: 0,
    })),
  };
}

/** Records traces of one policy set; {@link report} summarises them. */
export class CoverageCollector {
  readonly #entries: MutableEntry[];
  readonly #byId = new Map<string, MutableEntry>();
  #requests = 0;

  constructor(policies: readonly CompilablePolicy[]) {
    this.#entries = policies.map(entryOf);
    for (const e of this.#entries) this.#byId.set(e.id, e);
  }

  /** Records one request: the traces of every policy and the response. */
  record(traces: readonly PolicyTrace[], response: AuthorizationResponse): void {
    this.#requests++;
    for (const t of traces) {
      const e = this.#byId.get(t.id);
      if (e === undefined) continue;
      if (t.outcome === 'error') e.errors++;
      if (t.outcome === 'satisfied') {
        e.evaluated++;
        e.satisfied++;
        for (const c of e.conditions) bump(c, true);
        continue;
      }
      if (t.failed !== 'condition' || t.condition === undefined) continue;
      // The scope matched and conditions before `t.condition` held; that one did not (or erred).
      e.evaluated++;
      for (let i = 0; i < t.condition; i++) bump(e.conditions[i], true);
      const c = e.conditions[t.condition];
      if (c === undefined) continue;
      if (t.outcome === 'error') c.errors++;
      else bump(c, false);
    }
    for (const id of response.determining) {
      const e = this.#byId.get(id);
      if (e !== undefined) e.determining++;
    }
  }

  report(): PolicyCoverage {
    return summarise(this.#requests, this.#entries);
  }
}

/** Counts the value a condition's expression took, given whether the condition held. */
function bump(c: MutableCondition | undefined, held: boolean): void {
  if (c === undefined) return;
  // A `when` holds when its expression is true; an `unless` when its expression is false.
  if (held === (c.kind === 'when')) c.true++;
  else c.false++;
}

function summarise(requests: number, entries: readonly MutableEntry[]): PolicyCoverage {
  let evaluated = 0;
  let satisfied = 0;
  let determining = 0;
  let outcomes = 0;
  let covered = 0;
  const policies = entries.map((e) => {
    if (e.evaluated > 0) evaluated++;
    if (e.satisfied > 0) satisfied++;
    if (e.determining > 0) determining++;
    for (const c of e.conditions) {
      outcomes += 2;
      if (c.true > 0) covered++;
      if (c.false > 0) covered++;
    }
    return Object.freeze({
      ...e,
      conditions: Object.freeze(e.conditions.map((c) => Object.freeze({ ...c }))),
    });
  });
  return Object.freeze({
    requests,
    policies: Object.freeze(policies),
    summary: Object.freeze({
      policies: entries.length,
      evaluated,
      satisfied,
      determining,
      conditionOutcomes: outcomes,
      conditionOutcomesCovered: covered,
    }),
  });
}

/**
 * Several coverage reports as one (test files run against the same policies): counts of a
 * policy id (and of its conditions, by index) are added up; policies appear in first-seen order.
 */
export function mergeCoverage(reports: readonly PolicyCoverage[]): PolicyCoverage {
  const byId = new Map<string, MutableEntry>();
  let requests = 0;
  for (const r of reports) {
    requests += r.requests;
    for (const p of r.policies) {
      let e = byId.get(p.id);
      if (e === undefined) {
        e = { ...p, conditions: p.conditions.map((c) => ({ ...c })) };
        byId.set(p.id, e);
        continue;
      }
      e.evaluated += p.evaluated;
      e.satisfied += p.satisfied;
      e.determining += p.determining;
      e.errors += p.errors;
      for (const c of p.conditions) {
        const m = e.conditions[c.index];
        if (m === undefined) e.conditions[c.index] = { ...c };
        else {
          m.true += c.true;
          m.false += c.false;
          m.errors += c.errors;
        }
      }
    }
  }
  return summarise(requests, [...byId.values()]);
}

function pct(n: number, of: number): string {
  return of === 0 ? '100%' : `${Math.floor((n / of) * 100)}%`;
}

/** Coverage as text: the summary, then each policy and condition with what it never did. */
export function formatCoverage(coverage: PolicyCoverage): string {
  const s = coverage.summary;
  const lines = [
    `coverage over ${coverage.requests} request(s):`,
    `  policies determining ${s.determining}/${s.policies} (${pct(s.determining, s.policies)}), ` +
      `satisfied ${s.satisfied}/${s.policies}, evaluated ${s.evaluated}/${s.policies}`,
    `  condition outcomes ${s.conditionOutcomesCovered}/${s.conditionOutcomes} (${pct(
      s.conditionOutcomesCovered,
      s.conditionOutcomes,
    )})`,
  ];
  for (const p of coverage.policies) {
    const gaps: string[] = [];
    if (p.evaluated === 0) gaps.push('never evaluated');
    else if (p.satisfied === 0) gaps.push('never satisfied');
    else if (p.determining === 0) gaps.push('never determining');
    if (p.errors > 0) gaps.push(`errored ${p.errors}×`);
    lines.push(
      `  ${p.id} (${p.effect}): evaluated ${p.evaluated}, satisfied ${p.satisfied}, ` +
        `determining ${p.determining}${gaps.length > 0 ? `  ← ${gaps.join(', ')}` : ''}`,
    );
    for (const c of p.conditions) {
      const never: string[] = [];
      if (c.true === 0) never.push('never true');
      if (c.false === 0) never.push('never false');
      if (c.errors > 0) never.push(`errored ${c.errors}×`);
      lines.push(
        `    ${c.kind} #${c.index + 1} ${c.text}: true ${c.true}, false ${c.false}` +
          (never.length > 0 ? `  ← ${never.join(', ')}` : ''),
      );
    }
  }
  return lines.join('\n');
}
