import { describe, expect, it } from 'vitest';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { Schema } from '../src/schema.js';
import { validatePolicies, type ValidationIssueCode } from '../src/validate.js';
import type { PolicyAst } from '../src/internal/ast.js';
import { parsePolicies } from '../src/internal/parser.js';

/*
 * Policies are written as Cedar text, parsed by our parser for our validator and given as text
 * to cedar-wasm's validator, whose per-policy verdict is the oracle.
 */

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function parsed(text: string): { ast: PolicyAst; text: string } {
  const [p] = parsePolicies(text);
  return p!;
}

const astOf = (text: string): PolicyAst => parsed(text).ast;

function cedarResult(schema: string, texts: readonly string[]): Json {
  const staticPolicies: Record<string, string> = {};
  const templates: Record<string, string> = {};
  texts.forEach((t, i) => {
    if (/\?(principal|resource)\b/.test(t)) templates[`p${i}`] = t;
    else staticPolicies[`p${i}`] = t;
  });
  const r: Json = cedar.validate({
    validationSettings: { mode: 'strict' },
    schema,
    policies: { staticPolicies, templates },
  });
  if (r.type !== 'success') throw new Error(JSON.stringify(r.errors));
  return r;
}

/** cedar-wasm's verdict: the ids of the policies with at least one validation error. */
function cedarInvalid(schema: string, texts: readonly string[]): Set<string> {
  const r = cedarResult(schema, texts);
  return new Set((r.validationErrors as Json[]).map((e) => e.policyId as string));
}

const SCHEMA = `
entity Group;
entity User in [Group] { age: Long, name?: String, manager?: User, prefs: { theme: String, size?: Long } };
entity Doc { owner: User, tags: Set<String>, level: Long } tags String;
entity Color enum ["red", "blue"];
action view appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr, n?: Long } };
action edit in [view] appliesTo { principal: [User], resource: [Doc] };
action act appliesTo { principal: [User, Group], resource: [Doc, User], context: { flag: Bool } };
`;
const schema = Schema.parse(SCHEMA);

function ours(texts: readonly string[]): Map<string, ValidationIssueCode[]> {
  const r = validatePolicies(
    schema,
    texts.map((t, i) => ({ id: `p${i}`, ...parsed(t) })),
  );
  const out = new Map<string, ValidationIssueCode[]>();
  for (const i of r.issues) {
    if (i.severity !== 'error') continue;
    out.set(i.policyId, [...(out.get(i.policyId) ?? []), i.code]);
  }
  return out;
}

const P = 'permit(principal, action, resource)';
const U = 'permit(principal is User, action, resource)';

/** [policy, the error codes it must produce ([] = valid)]. */
const CASES: readonly (readonly [string, readonly ValidationIssueCode[]])[] = [
  [`${P};`, []],
  [`permit(principal == Foo::"x", action, resource);`, ['unknownEntityType']],
  [`${P} when { principal is Goo };`, ['unknownEntityType']],
  [`permit(principal, action == Action::"nope", resource);`, ['unknownAction']],
  [`${P} when { action in Action::"nope" };`, ['unknownAction']],
  [`${P} when { Color::"green" == Color::"red" };`, ['invalidEnumEntity']],
  [`${P} when { Color::"red" == Color::"red" };`, []],
  [`${U} when { principal.nope == 1 };`, ['unknownAttribute']],
  [`${P} when { principal.age > 1 };`, ['unknownAttribute']],
  [`${P} when { principal is User && principal.age > 1 };`, []],
  [`${P} when { principal has age && principal.age > 1 };`, []],
  [`${U} when { principal.name == "a" };`, ['unsafeOptionalAttributeAccess']],
  [`${U} when { principal has name && principal.name == "a" };`, []],
  [`${U} when { principal has name || principal.name == "a" };`, ['unsafeOptionalAttributeAccess']],
  [
    `${U} when { !(principal has name) || principal.name == "a" };`,
    ['unsafeOptionalAttributeAccess'],
  ],
  [`${U} when { if principal has name then principal.name == "a" else false };`, []],
  [`${U} when { principal.prefs.size > 1 };`, ['unsafeOptionalAttributeAccess']],
  [`${U} when { principal.prefs has size && principal.prefs.size > 1 };`, []],
  [
    `${U} when { principal has manager && principal.manager has name && principal.manager.name == "x" };`,
    [],
  ],
  [`${U} when { principal has name } when { principal.name == "a" };`, []],
  [`${U} when { context.n > 2 };`, ['unknownAttribute', 'unsafeOptionalAttributeAccess']],
  [
    `permit(principal, action == Action::"view", resource) when { context has n && context.n > 2 };`,
    [],
  ],
  [`${P} when { action == Action::"view" && context has n && context.n > 2 };`, []],
  [`${P} when { 1 + true };`, ['typeMismatch']],
  [`${P} when { "a" + "b" == "ab" };`, ['typeMismatch']],
  [`${P} when { context };`, ['typeMismatch']],
  [`forbid(principal, action, resource) unless { 1 };`, ['typeMismatch']],
  [`${P} when { true || 1 };`, []],
  [`${P} when { false || 1 };`, ['typeMismatch']],
  [`${P} when { false && (1 + true) };`, []],
  [`${P} when { if true then true else 1 };`, []],
  [`${P} when { (if 1 > 0 then 1 else "a") == 1 };`, ['lubError']],
  [`${P} when { principal.age == resource };`, ['lubError', 'unknownAttribute']],
  [`${U} when { principal == resource };`, []],
  [`${P} when { 1 == "a" };`, []],
  [`${P} when { {a: 1} == {a: "x"} };`, ['lubError']],
  [`${P} when { {a: 1}.b == 1 };`, ['unknownAttribute']],
  [`${P} when { {a: 1} has b };`, []],
  [`${P} when { [] == [] };`, ['emptySetLiteral']],
  [`${P} when { [1, "a"].contains(1) };`, ['mixedSetTypes']],
  [`${U} when { [principal, resource].contains(principal) };`, ['mixedSetTypes']],
  [`${P} when { [1, 2].contains("a") };`, ['lubError']],
  [`${P} when { [1, 2].containsAny(1) };`, ['typeMismatch']],
  [`permit(principal, action, resource is Doc) when { resource.tags.containsAll(["a"]) };`, []],
  [
    `permit(principal, action, resource is Doc) when { resource.tags.containsAll([1]) };`,
    ['lubError'],
  ],
  [`${P} when { principal in 1 };`, ['typeMismatch']],
  [`${P} when { 1 in [1] };`, ['typeMismatch']],
  [`${P} when { User::"a" in Doc::"d" };`, []],
  [`${U} when { principal in [Group::"a", User::"b"] };`, ['mixedSetTypes']],
  [`${P} when { 1 like "b*" };`, ['typeMismatch']],
  [`${P} when { decimal("1.0") < decimal("2.0") };`, ['typeMismatch']],
  [`${P} when { datetime("2020-01-01") < datetime("2021-01-01") };`, []],
  [`${P} when { 1 < datetime("2020-01-01") };`, ['typeMismatch']],
  [`${P} when { decimal("1.0").lessThan(decimal("2.0")) };`, []],
  [`${P} when { ip("1.2.3.4").isInRange(ip("1.0.0.0/8")) };`, []],
  [`${P} when { ip("1.2.3.4").isIpv4(1) };`, ['wrongArity']],
  [`${P} when { decimal("abc") == decimal("1.0") };`, ['extensionArgument']],
  [
    `${U} when { decimal(principal.name) == decimal("1.0") };`,
    ['unsafeOptionalAttributeAccess', 'nonLitExtConstructor'],
  ],
  [`${P} when { ip(1) };`, ['typeMismatch']],
  [
    `permit(principal, action, resource is Doc) when { resource.getTag("x") == "a" };`,
    ['unsafeTagAccess'],
  ],
  [
    `permit(principal, action, resource is Doc) when { resource.hasTag("x") && resource.getTag("x") == "a" };`,
    [],
  ],
  [
    `permit(principal, action, resource is Doc) when { resource.hasTag("a") && resource.getTag("b") == "a" };`,
    ['unsafeTagAccess'],
  ],
  [`${U} when { principal.getTag("x") };`, ['unsafeTagAccess']],
  [`${U} when { principal.hasTag(1) };`, ['typeMismatch']],
  [`${U} when { principal.age has x };`, ['typeMismatch']],
  [`permit(principal in Group::"g", action == Action::"view", resource is User);`, []],
  [
    `permit(principal == ?principal, action, resource) when { principal.age > 1 };`,
    ['unknownAttribute'],
  ],
  [
    `permit(principal is User in ?principal, action, resource in ?resource) when { principal.age > 1 };`,
    [],
  ],
];

describe('validatePolicies: one case per issue kind', () => {
  const texts = CASES.map(([t]) => t);
  const oracle = cedarInvalid(SCHEMA, texts);
  const got = ours(texts);
  CASES.forEach(([text, codes], i) => {
    it(`${codes.length === 0 ? 'accepts' : codes.join(', ')}: ${text}`, () => {
      const id = `p${i}`;
      // The expected verdict is cedar-wasm's.
      expect(oracle.has(id)).toBe(codes.length > 0);
      expect([...new Set(got.get(id) ?? [])].sort()).toEqual([...new Set(codes)].sort());
    });
  });
});

describe('validatePolicies: issue locations', () => {
  it('points at the spans cedar-wasm points at', () => {
    const texts = CASES.filter(([, codes]) => codes.length > 0).map(([t]) => t);
    const r = cedarResult(SCHEMA, texts);
    const cedarStarts = new Map<string, Set<number>>();
    for (const e of r.validationErrors as Json[]) {
      const set = cedarStarts.get(e.policyId) ?? new Set<number>();
      for (const l of e.error.sourceLocations as Json[]) set.add(l.start as number);
      cedarStarts.set(e.policyId, set);
    }
    const res = validatePolicies(
      schema,
      texts.map((t, i) => ({ id: `p${i}`, ...parsed(t) })),
    );
    const misplaced = res.issues
      .filter((i) => i.severity === 'error' && !cedarStarts.get(i.policyId)?.has(i.offset ?? -1))
      .map((i) => `${texts[Number(i.policyId.slice(1))]} ${i.code} at ${i.offset}`);
    expect(misplaced).toEqual([]);
  });

  it('gives line and column in the policy text', () => {
    const text = `permit(principal is User, action, resource)\nwhen {\n  principal.nope == 1\n};`;
    const [issue] = validatePolicies(schema, [{ id: 'x', ...parsed(text) }]).issues;
    expect(issue).toMatchObject({ code: 'unknownAttribute', line: 3, column: 3, offset: 53 });
  });
});

describe('validatePolicies: result shape', () => {
  it('reports impossible policies as warnings, leaving them valid', () => {
    const r = validatePolicies(schema, [
      { id: 'w', ast: astOf(`${P} when { principal has nope };`) },
    ]);
    expect(r.valid).toBe(true);
    expect(r.issues.map((i) => [i.code, i.severity])).toEqual([['impossiblePolicy', 'warning']]);
  });

  it('accepts anything with policies()', () => {
    const set = { policies: () => [{ id: 'x', ast: astOf(`${P} when { 1 };`) }] };
    const r = validatePolicies(schema, set);
    expect(r.valid).toBe(false);
    expect(r.issues[0]).toMatchObject({ policyId: 'x', code: 'typeMismatch', severity: 'error' });
  });

  it('rejects a schema that is not a Schema', () => {
    expect(() => validatePolicies({} as Schema, [])).toThrow(/expects a Schema/);
  });
});

// ---------------------------------------------------------------------------------------------
// Seeded differential test against cedar-wasm's verdict.

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ENT = [
    'principal',
    'resource',
    'principal.manager',
    'resource.owner',
    'User::"u"',
    'Group::"g"',
    'Doc::"d"',
  ];
  const ATTR = ['age', 'name', 'manager', 'prefs', 'owner', 'tags', 'level', 'nope'];
  const REC = ['context', 'principal.prefs', '{theme: "t", size: 1}', '{a: 1}'];
  const RATTR = ['ip', 'n', 'flag', 'theme', 'size', 'a'];
  const LONG = ['1', '-2', 'principal.age', 'resource.level', 'context.n', 'principal.prefs.size'];
  const STR = ['"a"', 'principal.name', 'principal.prefs.theme', 'resource.getTag("k")'];
  const EXT = [
    'ip("10.0.0.1").isIpv4()',
    'context.ip.isInRange(ip("10.0.0.0/8"))',
    'decimal("1.5").lessThan(decimal("2.0"))',
    'datetime("2024-01-01") < datetime("2024-01-01T10:00:00Z").offset(duration("1h"))',
    'duration("1h").toSeconds() > 1',
    'ip(principal.name).isIpv4()',
    'decimal("1.23456") == decimal("1.0")',
    'ip("1.2.3.4") < ip("1.2.3.5")',
    'datetime("2024-01-01").toDate() == datetime("2024-01-02")',
    'durationSince(1)',
  ];
  const any = (d: number): string => {
    const r = rnd();
    if (d <= 0 || r < 0.3) {
      return pick([
        pick(LONG),
        pick(STR),
        pick(ENT),
        pick(REC),
        'true',
        '[1, 2]',
        '["a"]',
        'resource.tags',
        '[]',
        '[principal]',
      ]);
    }
    if (r < 0.5) return `${pick(ENT)}.${pick(ATTR)}`;
    if (r < 0.6) return `${pick(REC)}.${pick(RATTR)}`;
    if (r < 0.75) return `(if ${bool(d - 1)} then ${any(d - 1)} else ${any(d - 1)})`;
    if (r < 0.85) return `[${any(d - 1)}, ${any(d - 1)}]`;
    return `${any(d - 1)} ${pick(['+', '-', '*'])} ${any(d - 1)}`;
  };
  const guarded = (d: number): string => {
    const obj = pick([...ENT.slice(0, 4), ...REC.slice(0, 2)]);
    const a = pick([...ATTR, ...RATTR]);
    const use = pick([
      `${obj}.${a} == ${any(d - 1)}`,
      `${obj}.${a} > 1`,
      `${obj}.${a} like "a*"`,
      `${obj}.${a}.contains(${any(d - 1)})`,
      `${obj}.${a} in ${pick(ENT)}`,
      `${bool(d - 1)}`,
    ]);
    return pick([
      `(${obj} has ${a} && ${use})`,
      `(if ${obj} has ${a} then ${use} else ${bool(d - 1)})`,
      `(!(${obj} has ${a}) || ${use})`,
      `(${obj} has ${a} || ${use})`,
    ]);
  };
  const bool = (d: number): string => {
    const r = rnd();
    if (d <= 0 || r < 0.15) {
      return pick([
        'true',
        'false',
        `${pick(ENT)} has ${pick(ATTR)}`,
        `${pick(REC)} has ${pick(RATTR)}`,
        'context.flag',
        pick(EXT),
        `resource.hasTag("k")`,
        `principal is ${pick(['User', 'Group', 'Doc'])}`,
        `action == Action::"${pick(['view', 'edit', 'act'])}"`,
        `action in [Action::"view", Action::"act"]`,
      ]);
    }
    if (r < 0.3) return guarded(d);
    if (r < 0.4) return `${any(d - 1)} == ${any(d - 1)}`;
    if (r < 0.45) return `${any(d - 1)} != ${any(d - 1)}`;
    if (r < 0.55) return `${any(d - 1)} ${pick(['<', '<=', '>', '>='])} ${any(d - 1)}`;
    if (r < 0.65)
      return `${pick(ENT)} in ${pick([pick(ENT), `[${pick(ENT)}, ${pick(ENT)}]`, any(d - 1)])}`;
    if (r < 0.7)
      return `${any(d - 1)}.${pick(['contains', 'containsAll', 'containsAny'])}(${any(d - 1)})`;
    if (r < 0.75) return `resource.hasTag("k") && ${bool(d - 1)}`;
    if (r < 0.8) return `(${bool(d - 1)} ${pick(['&&', '||'])} ${bool(d - 1)})`;
    if (r < 0.85) return `!(${bool(d - 1)})`;
    if (r < 0.9) return `(if ${bool(d - 1)} then ${bool(d - 1)} else ${bool(d - 1)})`;
    if (r < 0.95) return `${any(d - 1)} like "a*"`;
    return `${pick(ENT)} is ${pick(['User', 'Doc', 'Group'])}${rnd() < 0.5 ? ' in Group::"g"' : ''}`;
  };
  const principal = (): string =>
    pick([
      'principal',
      'principal',
      'principal is User',
      'principal in Group::"g"',
      'principal == User::"u"',
      'principal is Group',
    ]);
  const action = (): string =>
    pick([
      'action',
      'action',
      'action == Action::"view"',
      'action in [Action::"edit", Action::"act"]',
      'action == Action::"act"',
    ]);
  const resource = (): string =>
    pick(['resource', 'resource', 'resource is Doc', 'resource == Doc::"d"', 'resource is User']);
  return (): string => {
    const conds = Array.from(
      { length: 1 + Math.floor(rnd() * 2) },
      () => `${rnd() < 0.8 ? 'when' : 'unless'} { ${bool(3)} }`,
    );
    return `${pick(['permit', 'forbid'])}(${principal()}, ${action()}, ${resource()}) ${conds.join(' ')};`;
  };
}

describe('validatePolicies agrees with cedar-wasm on generated policies', () => {
  it('matches the per-policy verdict on seeded policies', () => {
    const N = Number(process.env.PLINTH_VALIDATE_CASES ?? 800);
    const next = generator(Number(process.env.PLINTH_VALIDATE_SEED ?? 20261207));
    const texts: string[] = [];
    while (texts.length < N) {
      const t = next();
      // Keep only what Cedar parses (the generator can write an unknown method).
      if ((cedar.checkParsePolicySet({ staticPolicies: t }) as Json).type === 'success')
        texts.push(t);
    }
    const oracle = cedarInvalid(SCHEMA, texts);
    const got = ours(texts);
    const disagreements = texts
      .map((t, i) => ({ t, id: `p${i}` }))
      .filter(({ id }) => oracle.has(id) !== got.has(id))
      .map(
        ({ t, id }) =>
          `${oracle.has(id) ? 'cedar: invalid' : 'cedar: valid'} ${id}: ${t} ${JSON.stringify(got.get(id) ?? [])}`,
      );
    const invalid = texts.filter((_, i) => oracle.has(`p${i}`)).length;
    // Both verdicts occur often enough for the comparison to mean something.
    expect(invalid).toBeGreaterThan(100);
    expect(texts.length - invalid).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  });
});
