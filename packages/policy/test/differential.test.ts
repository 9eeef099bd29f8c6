/**
 * The differential suite: Plinth against the official Cedar engine (@cedar-policy/cedar-wasm)
 * on generated policy sets (static policies, templates and links), entity stores and requests.
 * For every request both engines must give the same decision, the same set of determining
 * policies and the same set of policies that errored (or both must reject the input).
 *
 * Seeded and reproducible: the seed is printed; `PLINTH_ORACLE_SEED=<n>` replays a run,
 * `PLINTH_ORACLE_RUNS=<n>` changes the number of generated policy sets (each is asked
 * {@link REQUESTS_PER_SET} requests). A share of the cases are expression batteries: one open
 * permit per generated condition, so each request checks the three-valued result (true, false,
 * error) of every condition through the determining and error sets. On a disagreement the failing case is shrunk by fast-check
 * and printed with both engines' answers.
 *
 * The suite also proves its own coverage: every operator and every extension function must
 * occur at least {@link MIN_OCCURRENCES} times in the generated conditions, every scope form
 * at least {@link MIN_FORMS} times, and the answers must be varied (allows, denials, errors).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseArb, type GCase, type GRequest } from './oracle/case-gen.js';
import { entitiesJson } from './oracle/entity-gen.js';
import { cedarAnswers, plinthAnswers, ROUTES, type Answer, type Route } from './oracle/engines.js';
import { countForms, countOps, renderSet } from './oracle/policy-gen.js';
import { EXTENSION_CONSTRUCTORS, EXTENSION_METHODS, OPERATORS } from './oracle/universe.js';

const SEED = Number(process.env.PLINTH_ORACLE_SEED ?? 20_261_207);
const RUNS = Number(process.env.PLINTH_ORACLE_RUNS ?? 2_500);
const REQUESTS_PER_SET = 4;
/** Share of cases that are expression batteries (one open permit per generated condition). */
const BATTERY_PCT = 40;
const MIN_OCCURRENCES = 40;
const MIN_FORMS = 40;

interface Mismatch {
  readonly c: GCase;
  readonly request: GRequest;
  readonly route: Route;
  readonly ours: Answer;
  readonly cedar: Answer;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Per-aspect agreement of one pair of answers. */
function agreement(
  ours: Answer,
  cedar: Answer,
): { decision: boolean; determining: boolean; errors: boolean } {
  if (ours.kind === 'rejected' || cedar.kind === 'rejected') {
    const same = ours.kind === cedar.kind;
    return { decision: same, determining: same, errors: same };
  }
  return {
    decision: ours.decision === cedar.decision,
    determining: sameList(ours.determining, cedar.determining),
    errors: sameList(ours.errors, cedar.errors),
  };
}

function runCase(c: GCase): {
  mismatches: Mismatch[];
  ours: Record<Route, Answer[] | undefined>;
  cedar: Answer[];
} {
  const rendered = renderSet(c.set);
  const cedar = cedarAnswers(rendered, c);
  const ours = Object.fromEntries(ROUTES.map((r) => [r, plinthAnswers(rendered, c, r)])) as Record<
    Route,
    Answer[] | undefined
  >;
  const mismatches: Mismatch[] = [];
  for (const route of ROUTES) {
    const answers = ours[route];
    if (answers === undefined) continue;
    c.requests.forEach((request, i) => {
      const a = agreement(answers[i]!, cedar[i]!);
      if (!a.decision || !a.determining || !a.errors) {
        mismatches.push({ c, request, route, ours: answers[i]!, cedar: cedar[i]! });
      }
    });
  }
  return { mismatches, ours, cedar };
}

function describeMismatch(m: Mismatch): string {
  const rendered = renderSet(m.c.set);
  return [
    '--- policies (Cedar text) ---',
    rendered.text,
    ...(rendered.links.length > 0 ? ['--- links ---', JSON.stringify(rendered.links)] : []),
    '--- entities ---',
    JSON.stringify(entitiesJson(m.c.entities)),
    '--- request ---',
    JSON.stringify(m.request),
    `--- ours (policies read from ${m.route === 'text' ? 'Cedar text' : m.route === 'json' ? "the oracle's JSON" : 'our own JSON'}) ---`,
    JSON.stringify(m.ours),
    '--- cedar-wasm ---',
    JSON.stringify(m.cedar),
  ].join('\n');
}

const table = (m: ReadonlyMap<string, number>): string =>
  [...m]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

describe('differential: Plinth vs cedar-wasm 4.13', () => {
  it(`agrees with the oracle on ${RUNS * REQUESTS_PER_SET} generated requests`, () => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const arb = caseArb(REQUESTS_PER_SET, undefined, BATTERY_PCT);
    const ops = new Map<string, number>();
    const forms = new Map<string, number>();
    const outcomes = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string): void => {
      m.set(k, (m.get(k) ?? 0) + 1);
    };
    const agree = {
      all: 0,
      decision: 0,
      determining: 0,
      errors: 0,
      json: 0,
      jsonSkipped: 0,
      roundtrip: 0,
    };
    const mismatches: Mismatch[] = [];
    let total = 0;
    for (const c of fc.sample(arb, { seed: SEED, numRuns: RUNS })) {
      countOps(c.set, ops);
      countForms(c.set, forms);
      const { mismatches: ms, cedar, ours } = runCase(c);
      mismatches.push(...ms);
      cedar.forEach((a, i) => {
        total++;
        const g = agreement(ours.text![i]!, a);
        const same = (x: Answer): boolean => {
          const y = agreement(x, a);
          return y.decision && y.determining && y.errors;
        };
        if (ours.json === undefined) agree.jsonSkipped++;
        else if (same(ours.json[i]!)) agree.json++;
        if (same(ours.roundtrip![i]!)) agree.roundtrip++;
        if (g.decision) agree.decision++;
        if (g.determining) agree.determining++;
        if (g.errors) agree.errors++;
        if (g.decision && g.determining && g.errors) agree.all++;
        if (a.kind === 'rejected') bump(outcomes, 'rejected');
        else {
          bump(outcomes, a.decision);
          if (a.errors.length > 0) bump(outcomes, 'with-errors');
          if (a.determining.length > 1) bump(outcomes, 'several-determining');
        }
      });
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = ((cpu.user + cpu.system) / 1e6).toFixed(1);
    console.log(
      [
        `differential seed=${SEED} (replay: PLINTH_ORACLE_SEED=${SEED}) sets=${RUNS} requests=${total} in ${seconds}s (${cpuSeconds}s CPU)`,
        `agreement (policies from text): all ${agree.all}/${total}, decision ${agree.decision}/${total}, determining ${agree.determining}/${total}, errors ${agree.errors}/${total}`,
        `agreement (policies from the oracle's JSON): ${agree.json}/${total - agree.jsonSkipped} (${agree.jsonSkipped} not applicable: Longs beyond 2^53 in the oracle's JSON); (through our toJson/fromJson): ${agree.roundtrip}/${total}`,
        `oracle outcomes: ${table(outcomes)}`,
        `operators: ${table(ops)}`,
        `forms: ${table(forms)}`,
      ].join('\n'),
    );

    if (mismatches.length > 0) {
      // Shrink one failing case for the report.
      const shrunk = fc.check(
        fc.property(arb, (c) => runCase(c).mismatches.length === 0),
        { seed: SEED, numRuns: RUNS },
      );
      const example = shrunk.counterexample?.[0];
      const small = example === undefined ? undefined : runCase(example).mismatches[0];
      console.log(
        `${mismatches.length} disagreement(s); minimised counterexample:\n${describeMismatch(small ?? mismatches[0]!)}`,
      );
    }
    expect(mismatches.length, 'requests where Plinth and cedar-wasm disagree').toBe(0);

    // The run is meaningful: varied answers, inputs that load.
    expect(total).toBeGreaterThanOrEqual(RUNS * REQUESTS_PER_SET);
    expect(outcomes.get('rejected') ?? 0).toBeLessThan(total * 0.02);
    expect(outcomes.get('allow') ?? 0).toBeGreaterThan(total * 0.05);
    expect(outcomes.get('deny') ?? 0).toBeGreaterThan(total * 0.05);
    expect(outcomes.get('with-errors') ?? 0).toBeGreaterThan(total * 0.02);

    // Coverage: every operator and extension function, every scope form.
    const scale = RUNS / 2_500;
    const low = (
      names: readonly string[],
      counts: ReadonlyMap<string, number>,
      min: number,
    ): string[] => names.filter((n) => (counts.get(n) ?? 0) < min * Math.min(1, scale));
    expect(
      low([...OPERATORS, 'is-in'], ops, MIN_OCCURRENCES),
      'operators generated too rarely',
    ).toEqual([]);
    expect(
      low([...EXTENSION_CONSTRUCTORS, ...EXTENSION_METHODS], ops, MIN_OCCURRENCES),
      'extension functions generated too rarely',
    ).toEqual([]);
    const FORMS = [
      'principal:all',
      'principal:==',
      'principal:in',
      'principal:is',
      'principal:is-in',
      'principal:==-slot',
      'principal:in-slot',
      'principal:is-in-slot',
      'resource:all',
      'resource:==',
      'resource:in',
      'resource:is',
      'resource:is-in',
      'resource:==-slot',
      'resource:in-slot',
      'resource:is-in-slot',
      'action:all',
      'action:==',
      'action:in',
      'action:in-list',
      'effect:permit',
      'effect:forbid',
      'condition:when',
      'condition:unless',
      'annotation:id',
      'annotation:bare',
      'annotation:value',
      'template',
      'link',
    ];
    expect(low(FORMS, forms, MIN_FORMS), 'policy forms generated too rarely').toEqual([]);
  }, 600_000);
});
