/**
 * Static analysis of a policy set: policies that can never apply, conditions that are always
 * true or always false, policies shadowed by others, permits overridden by a forbid, permit and
 * forbid pairs that both apply to some request, and duplicates.
 *
 * Scope reasoning and condition reasoning are symbolic (see `internal/analysis/`); with a
 * schema they run once per request environment and assume schema-conformant data, as Cedar's
 * validator does. Examples (for conflicts, shadowing and overriding) are concrete requests found
 * in a finite universe of requests and checked by evaluating the compiled policies, so every
 * example is a real witness.
 */
import type { AuthorizerPolicies } from './authorizer.js';
import { policyErrors } from './errors.js';
import type { Schema } from './schema.js';
import type { AuthorizationRequest, EntityJson } from './types.js';
import { compilePolicy, type CompilablePolicy, type CompiledPolicy } from './internal/compile.js';
import {
  conditionExpr,
  possibleOutcomes,
  type Outcome,
  type TypeEnv,
} from './internal/analysis/conditions.js';
import { policyKey, scopeExprs } from './internal/analysis/expr-facts.js';
import { scopeAdmits, scopeContains, scopesMayOverlap } from './internal/analysis/scope.js';
import { RequestUniverse, scenarioRequest } from './internal/analysis/universe.js';
import { EvalError } from './internal/eval-error.js';
import type { Expr } from './internal/ast.js';

export type AnalysisFindingKind =
  /** The policy can never be satisfied (impossible scope, or conditions that never all hold). */
  | 'unreachable'
  /** A condition is never false (it is true whenever it evaluates without error). */
  | 'alwaysTrue'
  /** A condition is never true (false, or an error, on every request its scope matches). */
  | 'alwaysFalse'
  /** Every request the policy applies to, another policy of the same effect without conditions applies to. */
  | 'shadowed'
  /** A permit whose every request an unconditional forbid with a wider scope denies. */
  | 'overridden'
  /** A permit and a forbid both apply to some request (the forbid wins). */
  | 'conflict'
  /** Policies with the same effect, scope and conditions. */
  | 'duplicate';

/** A concrete request and the entities it is decided against. */
export interface ExampleRequest {
  readonly request: AuthorizationRequest;
  readonly entities: readonly EntityJson[];
}

export interface AnalysisFinding {
  readonly kind: AnalysisFindingKind;
  /** `warning`: almost certainly a mistake; `info`: worth a look (conflicts are often intended). */
  readonly severity: 'warning' | 'info';
  /** The policy the finding is about first, then the policies it involves. */
  readonly policyIds: readonly string[];
  /** The condition's index in the policy (`alwaysTrue`, `alwaysFalse`). */
  readonly condition?: number;
  readonly message: string;
  /** A request showing the finding, evaluated to check it (`conflict`, `shadowed`, `overridden`). */
  readonly example?: ExampleRequest;
}

export interface AnalysisOptions {
  /** Reason per request environment of the schema, assuming schema-conformant data. */
  readonly schema?: Schema;
  /** Most requests evaluated in the search for examples, over all pairs. @default 20_000 */
  readonly maxRequests?: number;
}

export interface AnalysisReport {
  /** Findings, ordered by the position of their first policy in the set, then by kind. */
  readonly findings: readonly AnalysisFinding[];
  /** Requests evaluated in the search for examples. */
  readonly examined: number;
  /** True when a search stopped at its budget: a conflict or a constant condition may be missing. */
  readonly truncated: boolean;
}

const KIND_ORDER: readonly AnalysisFindingKind[] = [
  'duplicate',
  'unreachable',
  'alwaysFalse',
  'alwaysTrue',
  'overridden',
  'shadowed',
  'conflict',
];

/** Requests examined per pair of policies in the search for an example. */
const PAIR_BUDGET = 400;

interface Info {
  readonly index: number;
  readonly policy: CompilablePolicy;
  readonly envs: readonly TypeEnv[];
  reachable: boolean;
  /** Every condition is true on every request the scope matches (never false, never an error). */
  unconditional: boolean;
  readonly key: string;
}

function typeEnvs(schema: Schema | undefined): TypeEnv[] {
  if (schema === undefined) return [{}];
  const model = schema.model;
  return schema.requestEnvironments().map((e) => {
    const applies = schema.action(e.action)?.appliesTo;
    return {
      principalType: e.principalType,
      action: e.action,
      resourceType: e.resourceType,
      schemaEnv: e,
      model,
      ...(applies === undefined
        ? {}
        : { context: { attrs: applies.context, open: applies.contextOpen } }),
    };
  });
}

function quote(id: string): string {
  return JSON.stringify(id);
}

function policiesOf(set: AuthorizerPolicies): readonly CompilablePolicy[] {
  if (typeof set !== 'object' || set === null || typeof set.policies !== 'function') {
    throw policyErrors.create('E_INVALID_ARGUMENT', 'analyzePolicies expects a PolicySet');
  }
  return set.policies();
}

/** Finds policies that can never apply, constant conditions, shadowing, overriding, conflicts and duplicates. */
export function analyzePolicies(
  policySet: AuthorizerPolicies,
  options: AnalysisOptions = {},
): AnalysisReport {
  const policies = policiesOf(policySet);
  const maxRequests = options.maxRequests ?? 20_000;
  if (!Number.isInteger(maxRequests) || maxRequests < 0) {
    throw policyErrors.create('E_INVALID_OPTION', 'maxRequests must be an integer ≥ 0', {
      details: { option: 'maxRequests' },
    });
  }
  const schema = options.schema;
  const model = schema?.model;
  const allEnvs = typeEnvs(schema);
  const findings: { at: number; f: AnalysisFinding }[] = [];
  const report = (at: number, f: AnalysisFinding): void => void findings.push({ at, f });
  let truncated = false;
  let examined = 0;

  // Per policy: environments, constant conditions, reachability.
  const infos: Info[] = policies.map((policy, index) => {
    const ast = policy.ast;
    const envs = allEnvs.filter((e) => scopeAdmits(ast, e, model));
    const info: Info = {
      index,
      policy,
      envs,
      reachable: true,
      unconditional: true,
      key: policyKey(ast),
    };
    const id = policy.id;
    if (envs.length === 0) {
      info.reachable = false;
      info.unconditional = false;
      report(index, {
        kind: 'unreachable',
        severity: 'warning',
        policyIds: [id],
        message: `policy ${quote(id)} can never apply: its scope matches none of the schema's request environments`,
      });
      return info;
    }
    const scope = scopeExprs(ast);
    const conds = ast.conditions.map(conditionExpr);
    let firstFalse: number | undefined;
    conds.forEach((c, j) => {
      const seen = new Set<Outcome>();
      let known = true;
      for (const env of envs) {
        const o = possibleOutcomes(c, [...scope, ...conds.slice(0, j)], env);
        if (o === undefined) {
          known = false;
          break;
        }
        for (const x of o) seen.add(x);
      }
      if (!known) {
        truncated = true;
        info.unconditional = false;
        return;
      }
      if (seen.size === 0) return; // never evaluated: an earlier condition never holds
      if (!(seen.size === 1 && seen.has('T'))) info.unconditional = false;
      const what = ast.conditions[j]!.kind;
      if (!seen.has('T')) {
        firstFalse ??= j;
        report(index, {
          kind: 'alwaysFalse',
          severity: 'warning',
          policyIds: [id],
          condition: j,
          message: `the ${what} condition #${j + 1} of policy ${quote(id)} is never ${what === 'when' ? 'true' : 'false'}${seen.has('E') && !seen.has('F') ? ' (it always raises an error)' : ''}`,
        });
      } else if (!seen.has('F')) {
        report(index, {
          kind: 'alwaysTrue',
          severity: 'info',
          policyIds: [id],
          condition: j,
          message: `the ${what} condition #${j + 1} of policy ${quote(id)} is never ${what === 'when' ? 'false' : 'true'}${seen.has('E') ? ' when it evaluates without error' : ''}: it can be removed`,
        });
      }
    });
    if (conds.length > 0) {
      const truth: Expr = { kind: 'lit', value: true };
      let satisfiable = false;
      let decided = true;
      for (const env of envs) {
        const o = possibleOutcomes(truth, [...scope, ...conds], env);
        if (o === undefined) decided = false;
        else if (o.has('T')) satisfiable = true;
        if (satisfiable) break;
      }
      if (!decided && !satisfiable) truncated = true;
      if (decided && !satisfiable) {
        info.reachable = false;
        report(index, {
          kind: 'unreachable',
          severity: 'warning',
          policyIds: [id],
          message:
            firstFalse === undefined
              ? `policy ${quote(id)} can never apply: its scope and conditions never hold together`
              : `policy ${quote(id)} can never apply: its condition #${firstFalse + 1} never holds`,
        });
      }
    }
    return info;
  });

  // Duplicates.
  const byKey = new Map<string, Info[]>();
  for (const i of infos) {
    const list = byKey.get(i.key);
    if (list === undefined) byKey.set(i.key, [i]);
    else list.push(i);
  }
  for (const list of byKey.values()) {
    if (list.length < 2) continue;
    const ids = list.map((i) => i.policy.id);
    report(list[1]!.index, {
      kind: 'duplicate',
      severity: 'warning',
      policyIds: [...ids.slice(1), ids[0]!],
      message: `${ids.slice(1).map(quote).join(', ')} ${ids.length > 2 ? 'are duplicates' : 'is a duplicate'} of policy ${quote(ids[0]!)} (same effect, scope and conditions)`,
    });
  }

  // Examples: a request where both policies apply, found in a small universe of their literals.
  const compiled = new Map<CompilablePolicy, CompiledPolicy>();
  const compiledOf = (p: CompilablePolicy): CompiledPolicy => {
    let c = compiled.get(p);
    if (c === undefined) compiled.set(p, (c = compilePolicy(p)));
    return c;
  };
  const bothApply = (a: Info, b: Info): ExampleRequest | undefined => {
    const budget = Math.min(PAIR_BUDGET, maxRequests - examined);
    if (budget <= 0) {
      truncated = true;
      return undefined;
    }
    const ca = compiledOf(a.policy);
    const cb = compiledOf(b.policy);
    const universe = new RequestUniverse({
      schema,
      policies: [a.policy, b.policy],
      envFilter: (env) =>
        scopeAdmits(a.policy.ast, env, model) && scopeAdmits(b.policy.ast, env, model),
    });
    let n = 0;
    for (const s of universe.scenarios()) {
      if (n++ >= budget) {
        truncated = true;
        break;
      }
      examined++;
      const store = universe.storeOf(s);
      if (store === undefined) continue;
      const env = {
        principal: s.principal,
        action: s.action,
        resource: s.resource,
        context: s.context,
        store,
      };
      if (holds(ca, env) && holds(cb, env))
        return { request: scenarioRequest(s), entities: universe.entitiesOf(s) };
    }
    return undefined;
  };

  const covers = (outer: Info, inner: Info): boolean =>
    inner.envs.every((env) => scopeContains(outer.policy.ast, inner.policy.ast, env, model));
  const overlap = (a: Info, b: Info): boolean =>
    a.envs.some(
      (env) => b.envs.includes(env) && scopesMayOverlap(a.policy.ast, b.policy.ast, env, model),
    );

  const live = infos.filter((i) => i.reachable);
  const overridden = new Set<Info>();
  for (const p of live) {
    if (p.policy.effect !== 'permit') continue;
    const f = live.find((x) => x.policy.effect === 'forbid' && x.unconditional && covers(x, p));
    if (f === undefined) continue;
    overridden.add(p);
    const example = bothApply(p, f);
    report(p.index, {
      kind: 'overridden',
      severity: 'warning',
      policyIds: [p.policy.id, f.policy.id],
      message: `permit ${quote(p.policy.id)} never allows anything: the unconditional forbid ${quote(f.policy.id)} covers its whole scope`,
      ...(example === undefined ? {} : { example }),
    });
  }
  for (const p of live) {
    if (overridden.has(p)) continue;
    const q = live.find(
      (x) =>
        x !== p &&
        x.policy.effect === p.policy.effect &&
        x.key !== p.key &&
        x.unconditional &&
        covers(x, p) &&
        // Two unconditional policies with equal scopes: the later one is the redundant one.
        !(p.unconditional && covers(p, x) && p.index < x.index),
    );
    if (q === undefined) continue;
    const example = bothApply(p, q);
    report(p.index, {
      kind: 'shadowed',
      severity: 'warning',
      policyIds: [p.policy.id, q.policy.id],
      message: `${p.policy.effect} ${quote(p.policy.id)} is redundant: ${p.policy.effect} ${quote(q.policy.id)} has no conditions and its scope contains every request ${quote(p.policy.id)} applies to`,
      ...(example === undefined ? {} : { example }),
    });
  }
  for (const p of live) {
    if (p.policy.effect !== 'permit' || overridden.has(p)) continue;
    for (const f of live) {
      if (f.policy.effect !== 'forbid' || !overlap(p, f)) continue;
      const example = bothApply(p, f);
      if (example === undefined) continue;
      report(p.index, {
        kind: 'conflict',
        severity: 'info',
        policyIds: [p.policy.id, f.policy.id],
        message: `permit ${quote(p.policy.id)} and forbid ${quote(f.policy.id)} both apply to some requests (the forbid wins)`,
        example,
      });
    }
  }

  findings.sort(
    (a, b) => a.at - b.at || KIND_ORDER.indexOf(a.f.kind) - KIND_ORDER.indexOf(b.f.kind),
  );
  return { findings: findings.map((x) => x.f), examined, truncated };
}

function holds(p: CompiledPolicy, env: Parameters<CompiledPolicy['evaluate']>[0]): boolean {
  try {
    return p.evaluate(env);
  } catch (e) {
    if (e instanceof EvalError) return false;
    throw e;
  }
}
