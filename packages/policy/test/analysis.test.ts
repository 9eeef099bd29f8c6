import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzePolicies,
  type AnalysisFinding,
  type AnalysisFindingKind,
  type AnalysisReport,
} from '../src/analysis.js';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import { PolicySet } from '../src/policy-set.js';
import { Schema } from '../src/schema.js';
import { RequestUniverse, scenarioRequest } from '../src/internal/analysis/universe.js';
import {
  conditionExpr,
  possibleOutcomes,
  type TypeEnv,
} from '../src/internal/analysis/conditions.js';
import { scopeExprs } from '../src/internal/analysis/expr-facts.js';
import { scopeAdmits } from '../src/internal/analysis/scope.js';
import {
  compileExpr,
  compilePolicy,
  type CompilablePolicy,
  type CompiledPolicy,
} from '../src/internal/compile.js';
import { parsePolicies } from '../src/internal/parser.js';

/** A PolicySet-like object from Cedar text (ids: `@id`, else `policy<N>` by position). */
function set(text: string) {
  const policies = parsePolicies(text).map((p, i) => ({
    id: p.ast.annotations.get('id') ?? `policy${i}`,
    effect: p.ast.effect,
    ast: p.ast,
  }));
  return { policies: () => policies, digest: `test:${text}` };
}

const schema = Schema.parse(`
  entity Group;
  entity User in [Group] { dept: String, level: Long, manager?: User };
  entity Folder;
  entity Doc in [Folder] { owner: User, public: Bool, tags: Set<String> };
  entity Admin;
  action view, edit appliesTo { principal: [User], resource: [Doc], context: { mfa: Bool, ip?: String } };
  action "delete" appliesTo { principal: [User, Admin], resource: [Doc] };
  action manage appliesTo { principal: Admin, resource: Folder };
`);

function of(r: AnalysisReport, kind: AnalysisFindingKind): AnalysisFinding[] {
  return r.findings.filter((f) => f.kind === kind);
}

function ids(r: AnalysisReport, kind: AnalysisFindingKind): string[][] {
  return of(r, kind).map((f) => [...f.policyIds]);
}

/** The decision of `text` on a finding's example request. */
function decide(text: string, f: AnalysisFinding) {
  const example = f.example!;
  return new Authorizer({ policies: set(text) }).isAuthorized(
    example.request,
    EntityStore.fromJson([...example.entities]),
  );
}

describe('analyzePolicies: unreachable policies', () => {
  it('reports a scope that matches none of the schema request environments', () => {
    const r = analyzePolicies(
      set(`
        @id("admin-view") permit(principal is Admin, action == Action::"view", resource);
        @id("folder-doc") permit(principal, action == Action::"manage", resource is Doc);
        @id("ok") permit(principal is Admin, action == Action::"delete", resource);
      `),
      { schema },
    );
    expect(ids(r, 'unreachable')).toEqual([['admin-view'], ['folder-doc']]);
    expect(of(r, 'unreachable')[0]!.message).toMatch(/request environments/);
  });

  it('reports conditions that never hold together, with or without a schema', () => {
    const text = `
      @id("two-values") permit(principal, action, resource) when { context.ip == "a" } when { context.ip == "b" };
      @id("flag") permit(principal, action, resource) when { context.mfa } unless { context.mfa };
      @id("scope") permit(principal == User::"alice", action, resource) when { principal == User::"bob" };
      @id("ok") permit(principal, action, resource) when { context.ip == "a" } when { principal.level > 2 };
    `;
    for (const options of [{}, { schema }]) {
      const r = analyzePolicies(set(text), options);
      expect(ids(r, 'unreachable')).toEqual([['two-values'], ['flag'], ['scope']]);
    }
  });

  it('does not report a policy whose conditions can hold', () => {
    const r = analyzePolicies(
      set(`
        permit(principal in Group::"eng", action == Action::"view", resource)
          when { principal.level >= 3 && principal.level < 5 && resource has owner };
        forbid(principal, action, resource) unless { context.mfa };
      `),
      { schema },
    );
    expect(of(r, 'unreachable')).toEqual([]);
    expect(of(r, 'alwaysFalse')).toEqual([]);
  });
});

describe('analyzePolicies: constant conditions', () => {
  it('finds always-false conditions: empty intervals, has contradictions, errors, impossible types', () => {
    const r = analyzePolicies(
      set(`
        @id("interval") permit(principal, action, resource) when { principal.level > 3 && principal.level < 2 };
        @id("has") permit(principal, action, resource) when { !(context has ip) && context.ip == "x" };
        @id("error") permit(principal, action, resource) when { 1 + "a" == 2 };
        @id("literal") permit(principal, action, resource) unless { true };
        @id("type") permit(principal, action == Action::"view", resource) when { principal is Admin };
      `),
      { schema },
    );
    expect(ids(r, 'alwaysFalse')).toEqual([
      ['interval'],
      ['has'],
      ['error'],
      ['literal'],
      ['type'],
    ]);
    const error = of(r, 'alwaysFalse').find((f) => f.policyIds[0] === 'error')!;
    expect(error.condition).toBe(0);
    expect(error.message).toMatch(/error/);
    // Each of them can never apply.
    expect(ids(r, 'unreachable').map((x) => x[0])).toEqual([
      'interval',
      'has',
      'error',
      'literal',
      'type',
    ]);
  });

  it('finds always-true conditions: literals, tautologies over has, required attributes', () => {
    const text = `
      @id("literal") permit(principal, action, resource) when { 1 < 2 };
      @id("tautology") permit(principal, action, resource) when { context has ip || !(context has ip) };
      @id("unless") permit(principal, action, resource) unless { principal == User::"a" && principal == User::"b" };
      @id("required") permit(principal, action == Action::"view", resource) when { principal has dept };
    `;
    const withSchema = analyzePolicies(set(text), { schema });
    expect(ids(withSchema, 'alwaysTrue')).toEqual([
      ['literal'],
      ['tautology'],
      ['unless'],
      ['required'],
    ]);
    // Without a schema, `dept` may be absent: only the first three are constant.
    const without = analyzePolicies(set(text));
    expect(ids(without, 'alwaysTrue')).toEqual([['literal'], ['tautology'], ['unless']]);
    expect(of(without, 'alwaysFalse')).toEqual([]);
  });

  it('reports a condition true only when it does not error, and says so', () => {
    const r = analyzePolicies(
      set(`permit(principal, action, resource) when { principal.level > 1 || true };`),
    );
    expect(ids(r, 'alwaysTrue')).toEqual([['policy0']]);
    expect(of(r, 'alwaysTrue')[0]!.message).toMatch(/without error/);
  });

  it('does not report conditions that can be either', () => {
    const r = analyzePolicies(
      set(`
        permit(principal, action, resource) when { principal.level > 3 };
        permit(principal, action, resource) when { context has ip && context.ip like "10.*" };
        permit(principal, action, resource) when { resource.owner == principal };
        permit(principal, action, resource) when { principal.level > 3 && principal.level < 6 && principal.level != 4 };
      `),
      { schema },
    );
    expect(of(r, 'alwaysTrue')).toEqual([]);
    expect(of(r, 'alwaysFalse')).toEqual([]);
  });

  it('reads `!=` as the negation of `==`', () => {
    const r = analyzePolicies(
      set(`
        @id("never") permit(principal, action, resource) when { principal.dept == "a" && principal.dept != "a" };
        @id("always") permit(principal, action, resource) when { principal.dept != "a" || principal.dept == "a" };
        @id("either") permit(principal, action, resource) when { principal.dept != "a" && principal.dept != "b" };
      `),
      { schema },
    );
    expect(ids(r, 'alwaysFalse')).toEqual([['never']]);
    expect(ids(r, 'alwaysTrue')).toEqual([['always']]);
  });

  it('links a Bool attribute to comparisons with true and false', () => {
    const r = analyzePolicies(
      set(`
        @id("never") permit(principal, action == Action::"view", resource) when { context.mfa && context.mfa == false };
        @id("always") permit(principal, action == Action::"view", resource) when { context.mfa || context.mfa != true };
        @id("missing") permit(principal, action, resource) when { !(context has flag) && context.flag };
      `),
      { schema },
    );
    expect(ids(r, 'alwaysFalse')).toEqual([['never'], ['missing']]);
    expect(ids(r, 'alwaysTrue')).toEqual([['always']]);
    expect(of(r, 'alwaysTrue')[0]!.message).not.toMatch(/without error/);
  });

  it('reasons about integer intervals with exclusions', () => {
    const r = analyzePolicies(
      set(
        `permit(principal, action, resource) when { principal.level >= 4 && principal.level <= 5 && principal.level != 4 && principal.level != 5 };`,
      ),
    );
    expect(ids(r, 'alwaysFalse')).toEqual([['policy0']]);
  });
});

describe('analyzePolicies: shadowed and overridden policies', () => {
  it('reports a permit contained by an unconditional permit with a wider scope', () => {
    const text = `
      @id("narrow") permit(principal == User::"alice", action == Action::"view", resource) when { context.mfa };
      @id("wide") permit(principal, action == Action::"view", resource);
    `;
    const r = analyzePolicies(set(text), { schema });
    expect(ids(r, 'shadowed')).toEqual([['narrow', 'wide']]);
    const f = of(r, 'shadowed')[0]!;
    expect(f.example).toBeDefined();
    expect(
      decide(
        `permit(principal == User::"alice", action == Action::"view", resource) when { context.mfa };`,
        f,
      ).decision,
    ).toBe('allow');
  });

  it('uses the schema: `principal is User` covers every principal of `view`', () => {
    const text = `
      @id("narrow") permit(principal in Group::"eng", action == Action::"view", resource);
      @id("wide") permit(principal is User, action in [Action::"view", Action::"edit"], resource is Doc);
    `;
    expect(ids(analyzePolicies(set(text), { schema }), 'shadowed')).toEqual([['narrow', 'wide']]);
    // Without the schema the principal of `narrow` could be of any type.
    expect(ids(analyzePolicies(set(text)), 'shadowed')).toEqual([]);
  });

  it('does not report shadowing by a conditional or narrower permit', () => {
    const r = analyzePolicies(
      set(`
        permit(principal == User::"alice", action == Action::"view", resource);
        permit(principal, action == Action::"view", resource) when { context.mfa };
        permit(principal == User::"alice", action == Action::"view", resource == Doc::"d");
      `),
      { schema },
    );
    expect(of(r, 'shadowed').map((f) => f.policyIds)).toEqual([['policy2', 'policy0']]);
  });

  it('reports a permit wholly overridden by an unconditional forbid, with a checked example', () => {
    const text = `
      @id("alice-delete") permit(principal == User::"alice", action == Action::"delete", resource) when { resource.public };
      @id("no-delete") forbid(principal, action == Action::"delete", resource);
    `;
    const r = analyzePolicies(set(text), { schema });
    expect(ids(r, 'overridden')).toEqual([['alice-delete', 'no-delete']]);
    const f = of(r, 'overridden')[0]!;
    const answer = decide(text, f);
    expect(answer.decision).toBe('deny');
    expect(answer.determining).toEqual(['no-delete']);
    expect(
      decide(
        `@id("alice-delete") permit(principal == User::"alice", action == Action::"delete", resource) when { resource.public };`,
        f,
      ).decision,
    ).toBe('allow');
    // Overridden permits are not also listed as conflicts.
    expect(of(r, 'conflict')).toEqual([]);
  });

  it('does not report a permit overridden by a conditional forbid', () => {
    const r = analyzePolicies(
      set(`
        permit(principal == User::"alice", action == Action::"delete", resource);
        forbid(principal, action == Action::"delete", resource) unless { context has ip };
      `),
    );
    expect(of(r, 'overridden')).toEqual([]);
  });
});

describe('analyzePolicies: permit/forbid conflicts', () => {
  const text = `
    @id("public-view") permit(principal, action == Action::"view", resource) when { resource.public };
    @id("banned") forbid(principal in Group::"banned", action, resource);
    @id("no-mfa") forbid(principal, action, resource) unless { context.mfa };
    @id("bob-only") forbid(principal == User::"bob", action == Action::"edit", resource);
  `;

  it('reports each pair with a concrete request where both apply', () => {
    const r = analyzePolicies(set(text), { schema });
    expect(ids(r, 'conflict')).toEqual([
      ['public-view', 'banned'],
      ['public-view', 'no-mfa'],
    ]);
    for (const f of of(r, 'conflict')) {
      const answer = decide(text, f);
      expect(answer.decision).toBe('deny');
      expect(answer.determining).toContain(f.policyIds[1]);
      const permitOnly = decide(
        `@id("public-view") permit(principal, action == Action::"view", resource) when { resource.public };`,
        f,
      );
      expect(permitOnly.decision).toBe('allow');
    }
    expect(r.examined).toBeGreaterThan(0);
  });

  it('finds conflicts without a schema too', () => {
    const r = analyzePolicies(set(text));
    expect(ids(r, 'conflict')).toEqual([
      ['public-view', 'banned'],
      ['public-view', 'no-mfa'],
    ]);
  });

  it('does not report disjoint or contradictory pairs', () => {
    const disjoint = analyzePolicies(
      set(`
        permit(principal == User::"alice", action, resource);
        forbid(principal == User::"bob", action, resource);
        forbid(principal, action == Action::"edit", resource);
        permit(principal, action == Action::"view", resource) when { principal.level > 5 };
        forbid(principal, action == Action::"view", resource) when { principal.level < 3 };
      `),
      { schema },
    );
    // Not reported: alice vs bob, view vs edit, level > 5 vs level < 3.
    expect(ids(disjoint, 'conflict')).toEqual([
      ['policy0', 'policy2'],
      ['policy0', 'policy4'],
      ['policy3', 'policy1'],
    ]);
    const contradictory = analyzePolicies(
      set(`
        permit(principal, action, resource) when { context.mfa };
        forbid(principal, action, resource) unless { context.mfa };
      `),
      { schema },
    );
    expect(of(contradictory, 'conflict')).toEqual([]);
  });

  it('bounds the search and says so', () => {
    const r = analyzePolicies(set(text), { schema, maxRequests: 1 });
    expect(r.examined).toBeLessThanOrEqual(1);
    expect(r.truncated).toBe(true);
  });
});

describe('analyzePolicies: duplicates', () => {
  it('reports policies with the same effect, scope and conditions, whatever their formatting', () => {
    const r = analyzePolicies(
      set(`
        @id("a") permit(principal in Group::"eng", action == Action::"view", resource) when { principal.level > 2 };
        @id("b") @reason("copy")
        permit(
          principal in Group::"eng",
          action == Action::"view",
          resource
        ) when { principal.level   >   2 };
        @id("c") forbid(principal in Group::"eng", action == Action::"view", resource) when { principal.level > 2 };
        @id("d") permit(principal in Group::"eng", action == Action::"view", resource) when { principal.level > 3 };
      `),
    );
    expect(ids(r, 'duplicate')).toEqual([['b', 'a']]);
    // A duplicate is not also reported as shadowing its twin.
    expect(of(r, 'shadowed')).toEqual([]);
  });

  it('reports nothing for a clean set', () => {
    const r = analyzePolicies(
      set(`
        permit(principal in Group::"eng", action == Action::"view", resource) when { principal.level > 2 };
        permit(principal, action == Action::"edit", resource) when { resource.owner == principal };
      `),
      { schema },
    );
    expect(r.findings).toEqual([]);
    expect(r.truncated).toBe(false);
  });
});

describe('analyzePolicies: input', () => {
  it('rejects what is not a policy set, and bad options', () => {
    expect(() => analyzePolicies({} as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => analyzePolicies(set(''), { maxRequests: -1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property: findings never contradict evaluation. Over random policies, every request of the
// finite universe is evaluated: an unreachable policy is never satisfied, an always-false
// condition never holds where it is evaluated, an always-true one never fails, and a shadowed
// or overridden policy never applies without the policy said to cover it.

const ATOMS = [
  'true',
  'false',
  '1 < 2',
  'principal.level > 2',
  'principal.level < 2',
  'principal.level == 2',
  'principal.dept == "eng"',
  'principal.dept == "ops"',
  'principal has manager',
  'principal.manager == User::"bob"',
  'context has ip',
  'context.ip == "1.2.3.4"',
  'context.mfa',
  'resource.public',
  'resource.owner == principal',
  'principal is User',
  'action == Action::"view"',
  'principal == User::"alice"',
  'principal in Group::"eng"',
  '!(context has ip) || context.ip like "10.*"',
  'if context.mfa then principal.level > 1 else false',
  'resource.tags.contains("x")',
  'principal.dept != "eng"',
  'resource.owner != principal',
  'principal.level != 2',
  'context.mfa == true',
];
const P_SCOPES = [
  'principal',
  'principal == User::"alice"',
  'principal in Group::"eng"',
  'principal is User',
  'principal is Admin',
];
const A_SCOPES = [
  'action',
  'action == Action::"view"',
  'action in [Action::"edit", Action::"delete"]',
  'action == Action::"manage"',
];
const R_SCOPES = [
  'resource',
  'resource in Folder::"f"',
  'resource == Doc::"d"',
  'resource is Folder',
];

const bodyArb = fc.oneof(
  fc.nat(ATOMS.length - 1).map((i) => ATOMS[i]!),
  fc
    .tuple(fc.nat(ATOMS.length - 1), fc.nat(ATOMS.length - 1), fc.constantFrom('&&', '||'))
    .map(([a, b, op]) => `(${ATOMS[a]}) ${op} (${ATOMS[b]})`),
  fc.nat(ATOMS.length - 1).map((i) => `!(${ATOMS[i]})`),
);
const genPolicyArb = fc
  .record({
    effect: fc.constantFrom('permit', 'forbid'),
    p: fc.nat(P_SCOPES.length - 1),
    a: fc.nat(A_SCOPES.length - 1),
    r: fc.nat(R_SCOPES.length - 1),
    conds: fc.array(fc.tuple(fc.constantFrom('when', 'unless'), bodyArb), { maxLength: 2 }),
  })
  .map(
    (g) =>
      `${g.effect}(${P_SCOPES[g.p]}, ${A_SCOPES[g.a]}, ${R_SCOPES[g.r]})` +
      g.conds.map(([k, b]) => ` ${k} { ${b} }`).join('') +
      ';',
  );

describe('analyzePolicies: property', () => {
  it.each([
    ['with', schema],
    ['without', undefined],
  ] as const)(
    'findings never contradict evaluation over the request universe (%s schema)',
    (mode, sch) => {
      let reported = 0;
      const KINDS = new Map<string, number>();
      fc.assert(
        fc.property(fc.array(genPolicyArb, { minLength: 1, maxLength: 4 }), (texts) => {
          const ps = set(texts.join('\n'));
          const policies = ps.policies();
          const r = analyzePolicies(
            ps,
            sch === undefined ? { maxRequests: 2_000 } : { schema: sch, maxRequests: 2_000 },
          );
          reported += r.findings.length;
          for (const f of r.findings) KINDS.set(f.kind, (KINDS.get(f.kind) ?? 0) + 1);
          const universe = new RequestUniverse({ schema: sch, policies });
          const byId = new Map(policies.map((p) => [p.id, p]));
          const compiled = (p: CompilablePolicy, conditions = p.ast.conditions) =>
            compilePolicy({ ...p, ast: { ...p.ast, conditions } });
          // What each finding forbids, as (policy that must not hold, policy that must hold too).
          const checks: [CompiledPolicy, CompiledPolicy | undefined, AnalysisFinding][] = [];
          for (const f of r.findings) {
            const p = byId.get(f.policyIds[0]!)!;
            const conds = p.ast.conditions;
            if (f.kind === 'unreachable') checks.push([compiled(p), undefined, f]);
            if (f.kind === 'alwaysFalse')
              checks.push([compiled(p, conds.slice(0, f.condition! + 1)), undefined, f]);
            if (f.kind === 'alwaysTrue') {
              const c = conds[f.condition!]!;
              const flipped = {
                ...c,
                kind: c.kind === 'when' ? ('unless' as const) : ('when' as const),
              };
              checks.push([compiled(p, [...conds.slice(0, f.condition!), flipped]), undefined, f]);
            }
            if (f.kind === 'shadowed' || f.kind === 'overridden' || f.kind === 'duplicate') {
              checks.push([compiled(p), compiled(byId.get(f.policyIds[1]!)!), f]);
            }
          }
          let n = 0;
          for (const s of universe.scenarios()) {
            if (n++ >= 1_500 || checks.length === 0) break;
            const store = universe.storeOf(s);
            if (store === undefined) continue;
            const env = { ...s, store };
            for (const [must, also, f] of checks) {
              if (!holds(must, env)) continue;
              if (also !== undefined && holds(also, env)) continue;
              expect.fail(
                `${f.kind} ${f.policyIds.join(',')} contradicted by ${JSON.stringify(scenarioRequest(s))}\n${texts.join('\n')}`,
              );
            }
          }
        }),
        { numRuns: 80, seed: 42 },
      );
      expect(reported).toBeGreaterThan(0);
      // The generator reaches every kind that the check covers.
      expect([...KINDS.keys()].sort()).toEqual(
        expect.arrayContaining(
          mode === 'with'
            ? ['alwaysFalse', 'alwaysTrue', 'unreachable', 'shadowed']
            : ['alwaysFalse', 'alwaysTrue'],
        ),
      );
    },
  );
});

function holds(p: CompiledPolicy, env: Parameters<CompiledPolicy['evaluate']>[0]): boolean {
  try {
    return p.evaluate(env);
  } catch {
    return false;
  }
}

describe('analyzePolicies: with PolicySet', () => {
  it('analyses static and template-linked policies', () => {
    const ps = PolicySet.parse(
      `
      @id("t") permit(principal == ?principal, action == Action::"view", resource);
      @id("all-view") permit(principal, action == Action::"view", resource);
    `,
    ).link('t', 'alice-view', { '?principal': { type: 'User', id: 'alice' } });
    const r = analyzePolicies(ps, { schema });
    expect(ids(r, 'shadowed')).toEqual([['alice-view', 'all-view']]);
  });
});

describe('analyzePolicies: entity attributes of attributes', () => {
  it("finds a conflict that needs the resource owner's department", () => {
    const text = `
      @id("eng-docs") permit(principal, action == Action::"view", resource) when { resource.owner.dept == "eng" };
      @id("no-eng-at-night") forbid(principal, action, resource) when { resource.owner.dept == "eng" && !context.mfa };
      @id("ops-only") forbid(principal, action, resource) when { resource.owner.dept == "ops" };
    `;
    const r = analyzePolicies(set(text), { schema });
    expect(ids(r, 'conflict')).toEqual([['eng-docs', 'no-eng-at-night']]);
    expect(decide(text, of(r, 'conflict')[0]!).determining).toEqual(['no-eng-at-night']);
  });
});

describe('possibleOutcomes: property', () => {
  it.each([
    ['with', schema],
    ['without', undefined],
  ] as const)(
    'every outcome a condition has on a request of the universe was predicted (%s schema)',
    (_, sch) => {
      const model = sch?.model;
      const envs: TypeEnv[] =
        sch === undefined
          ? [{}]
          : sch.requestEnvironments().map((e) => {
              const applies = sch.action(e.action)!.appliesTo!;
              return {
                ...e,
                model: sch.model,
                context: { attrs: applies.context, open: applies.contextOpen },
              };
            });
      fc.assert(
        fc.property(genPolicyArb, (text) => {
          const p = set(text).policies()[0]!;
          const ast = p.ast;
          const scope = scopeExprs(ast);
          const conds = ast.conditions.map(conditionExpr);
          const admitted = envs.filter((e) => scopeAdmits(ast, e, model));
          const universe = new RequestUniverse({ schema: sch, policies: [p] });
          conds.forEach((c, j) => {
            const predicted = new Set<string>();
            for (const env of admitted) {
              for (const o of possibleOutcomes(c, [...scope, ...conds.slice(0, j)], env) ?? [
                'T',
                'F',
                'E',
              ]) {
                predicted.add(o);
              }
            }
            const prefix = compilePolicy({
              ...p,
              ast: { ...ast, conditions: ast.conditions.slice(0, j) },
            });
            const body = compileExpr(c);
            let n = 0;
            for (const s of universe.scenarios()) {
              if (n++ >= 800) break;
              const store = universe.storeOf(s);
              if (store === undefined) continue;
              const env = { ...s, store };
              if (!holds(prefix, env)) continue;
              let o: string;
              try {
                const v = body(env);
                o = v === true ? 'T' : v === false ? 'F' : 'E';
              } catch {
                o = 'E';
              }
              if (!predicted.has(o)) {
                expect.fail(
                  `condition #${j + 1} of ${text} gave ${o} on ${JSON.stringify(scenarioRequest(s))}, predicted ${[...predicted].join('')}`,
                );
              }
            }
          });
        }),
        { numRuns: 150, seed: 99 },
      );
    },
  );
});

describe('analyzePolicies: action groups and forbids', () => {
  const grouped = Schema.parse(`
    entity User;
    entity Doc;
    action read;
    action view in [read] appliesTo { principal: User, resource: Doc };
    action list in [read] appliesTo { principal: User, resource: Doc };
    action edit appliesTo { principal: User, resource: Doc };
  `);

  it('a forbid on an action group covers a forbid on one of its actions', () => {
    const r = analyzePolicies(
      set(`
        @id("no-view") forbid(principal == User::"eve", action == Action::"view", resource);
        @id("no-read") forbid(principal == User::"eve", action in Action::"read", resource);
        @id("edit") forbid(principal == User::"eve", action == Action::"edit", resource);
      `),
      { schema: grouped },
    );
    expect(ids(r, 'shadowed')).toEqual([['no-view', 'no-read']]);
  });

  it('a permit on a grouped action conflicts with a forbid on the group, with the hierarchy in the example', () => {
    const text = `
      @id("view") permit(principal, action == Action::"view", resource);
      @id("no-read") forbid(principal == User::"eve", action in Action::"read", resource);
    `;
    const r = analyzePolicies(set(text), { schema: grouped });
    expect(ids(r, 'conflict')).toEqual([['view', 'no-read']]);
    expect(decide(text, of(r, 'conflict')[0]!).determining).toEqual(['no-read']);
  });
});
