/**
 * Seeded generator of Cedar policies for the validator's differential test: each "world" fits
 * one schema with pools of expressions of known types, so generated policies mix well-typed
 * ones (attribute accesses guarded by `has`, tags guarded by `hasTag`) with every kind of type
 * error Cedar's strict validator reports.
 */

export const SCHEMA = `
entity Group;
entity User in [Group] { age: Long, name?: String, manager?: User, prefs: { theme: String, size?: Long } };
entity Doc { owner: User, tags: Set<String>, level: Long } tags String;
entity Color enum ["red", "blue"];
action view appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr, n?: Long } };
action edit in [view] appliesTo { principal: [User], resource: [Doc] };
action act appliesTo { principal: [User, Group], resource: [Doc, User], context: { flag: Bool } };
`;
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

/** The vocabulary the generator draws from, fitted to one schema. */
export interface World {
  readonly schema: string;
  /** Entity-typed expressions. */
  readonly ent: readonly string[];
  readonly attrs: readonly string[];
  /** Record-typed expressions and record attribute names. */
  readonly rec: readonly string[];
  readonly recAttrs: readonly string[];
  readonly long: readonly string[];
  readonly str: readonly string[];
  readonly set: readonly string[];
  /** Boolean atoms specific to the schema (actions, tags, extension calls). */
  readonly boolAtoms: readonly string[];
  readonly types: readonly string[];
  readonly principalScopes: readonly string[];
  readonly actionScopes: readonly string[];
  readonly resourceScopes: readonly string[];
}

const EXT_ATOMS = [
  'ip("10.0.0.1").isIpv4()',
  'ip("::1").isLoopback()',
  'ip("10.0.0.1").isInRange(ip("10.0.0.0/8"))',
  'ip("1.2.3.4/33").isIpv4()',
  'decimal("1.5").lessThan(decimal("2.0"))',
  'decimal("1.5").greaterThanOrEqual(1)',
  'decimal("1.23456") == decimal("1.0")',
  'datetime("2024-01-01") < datetime("2024-01-01T10:00:00Z").offset(duration("1h"))',
  'datetime("2024-13-01") < datetime("2024-01-01")',
  'datetime("2024-01-01").durationSince(datetime("2023-01-01")) > duration("1d")',
  'duration("1h").toSeconds() > 1',
  'duration("1x").toSeconds() > 1',
  'datetime("2024-01-01").toTime() == duration("0ms")',
  'ip("1.2.3.4") < ip("1.2.3.5")',
  'datetime("2024-01-01").toDate() == datetime("2024-01-02")',
  'duration("1h") < datetime("2024-01-01")',
  'decimal("1.0").isIpv4()',
];

export const WORLD_1: World = {
  schema: SCHEMA,
  ent: [
    'principal',
    'resource',
    'principal.manager',
    'resource.owner',
    'User::"u"',
    'Group::"g"',
    'Doc::"d"',
    'action',
    'Action::"view"',
  ],
  attrs: ['age', 'name', 'manager', 'prefs', 'owner', 'tags', 'level', 'nope'],
  rec: ['context', 'principal.prefs', '{theme: "t", size: 1}', '{a: 1}', '{theme: "u"}'],
  recAttrs: ['ip', 'n', 'flag', 'theme', 'size', 'a'],
  long: ['1', '-2', 'principal.age', 'resource.level', 'context.n', 'principal.prefs.size'],
  str: [
    '"a"',
    'principal.name',
    'principal.prefs.theme',
    'resource.getTag("k")',
    'principal.manager.name',
  ],
  set: [
    '[1, 2]',
    '["a"]',
    'resource.tags',
    '[]',
    '[principal]',
    '[User::"u", User::"v"]',
    '[{a: 1}, {a: 2}]',
  ],
  boolAtoms: [
    'context.flag',
    'resource.hasTag("k")',
    'resource.hasTag(principal.name)',
    'context has ip && context.ip.isLoopback()',
    'principal has manager.name',
    'action in Action::"view"',
    'action == Action::"view"',
    'action in [Action::"view", Action::"act"]',
    'Color::"red" == Color::"blue"',
    'Color::"green" == Color::"red"',
  ],
  types: ['User', 'Group', 'Doc', 'Color', 'Action'],
  principalScopes: [
    'principal',
    'principal',
    'principal is User',
    'principal in Group::"g"',
    'principal == User::"u"',
    'principal is Group',
    'principal == ?principal',
    'principal is User in ?principal',
  ],
  actionScopes: [
    'action',
    'action',
    'action == Action::"view"',
    'action in [Action::"edit", Action::"act"]',
    'action == Action::"act"',
    'action in Action::"view"',
  ],
  resourceScopes: [
    'resource',
    'resource',
    'resource is Doc',
    'resource == Doc::"d"',
    'resource is User',
    'resource in ?resource',
  ],
};

export const SCHEMA_2 = `
namespace App {
  type Profile = { nick?: String, langs: Set<String> };
  type Ctx = { at: datetime, src?: ipaddr, tokens: Set<Long>, budget?: decimal };
  entity Team;
  entity Member in [Team] { level: Long, email?: String, profile: Profile, team?: Team, teams: Set<Team>, boss?: Member } tags Set<String>;
  entity Folder in [Folder] { owner: Member };
  entity File in [Folder] { owner: Member, size: Long, created: datetime };
  action read appliesTo { principal: [Member], resource: [File, Folder], context: Ctx };
  action write in [read] appliesTo { principal: [Member], resource: [File], context: Ctx };
  action admin;
}
`;

export const WORLD_2: World = {
  schema: SCHEMA_2,
  ent: [
    'principal',
    'resource',
    'resource.owner',
    'principal.team',
    'App::Member::"m"',
    'App::Team::"t"',
    'App::Folder::"f"',
    'action',
    'App::Action::"read"',
    'principal.boss',
  ],
  attrs: ['level', 'email', 'profile', 'team', 'owner', 'size', 'created', 'nope', 'teams', 'boss'],
  rec: ['context', 'principal.profile', '{nick: "n", langs: ["en"]}', '{langs: ["en"]}'],
  recAttrs: ['at', 'src', 'tokens', 'budget', 'nick', 'langs'],
  long: ['1', 'principal.level', 'resource.size', 'resource.owner.level'],
  str: ['"a"', 'principal.email', 'principal.profile.nick', 'resource.owner.email'],
  set: [
    'context.tokens',
    'principal.profile.langs',
    'principal.getTag("roles")',
    '[1]',
    '[principal, resource.owner]',
  ],
  boolAtoms: [
    'principal.hasTag("roles") && principal.getTag("roles").contains("admin")',
    'principal.getTag("roles").isEmpty()',
    'context.at < resource.created',
    'context has src && context.src.isIpv4()',
    'context has budget && context.budget.lessThan(decimal("10.0"))',
    'resource.created.offset(duration("1d")) > context.at',
    'action in App::Action::"read"',
    'action == App::Action::"admin"',
    'resource in App::Folder::"f"',
    'principal in principal.team',
    'principal in principal.teams',
    'principal.teams.contains(App::Team::"t")',
    'principal has boss && principal.boss in principal.teams',
    'principal.boss.teams.containsAny(principal.teams)',
    'resource.owner.teams.containsAll([principal])',
  ],
  types: ['App::Member', 'App::Team', 'App::Folder', 'App::File', 'App::Action', 'Member'],
  principalScopes: [
    'principal',
    'principal is App::Member',
    'principal in App::Team::"t"',
    'principal == ?principal',
    'principal is App::Team',
  ],
  actionScopes: [
    'action',
    'action == App::Action::"write"',
    'action in [App::Action::"read"]',
    'action == App::Action::"admin"',
  ],
  resourceScopes: [
    'resource',
    'resource is App::File',
    'resource in App::Folder::"f"',
    'resource is App::Folder in ?resource',
    'resource == App::File::"x"',
  ],
};

export function generator(seed: number, w: World): () => string {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const atom = (): string =>
    pick([pick(w.long), pick(w.str), pick(w.ent), pick(w.rec), pick(w.set), 'true']);
  const any = (d: number): string => {
    const r = rnd();
    if (d <= 0 || r < 0.3) return atom();
    if (r < 0.45) return `${pick(w.ent)}.${pick(w.attrs)}`;
    if (r < 0.55) return `${pick(w.rec)}.${pick(w.recAttrs)}`;
    if (r < 0.65) return `(if ${bool(d - 1)} then ${any(d - 1)} else ${any(d - 1)})`;
    if (r < 0.72) return `[${any(d - 1)}, ${any(d - 1)}]`;
    if (r < 0.78) return `{${pick(w.recAttrs)}: ${any(d - 1)}}`;
    if (r < 0.82) return `-${any(d - 1)}`;
    if (r < 0.86) return `${pick(w.ent)}.getTag(${pick(w.str)})`;
    return `${any(d - 1)} ${pick(['+', '-', '*'])} ${any(d - 1)}`;
  };
  const guarded = (d: number): string => {
    const obj = pick([...w.ent.slice(0, 4), ...w.rec.slice(0, 2)]);
    const a = pick([...w.attrs, ...w.recAttrs]);
    const use = pick([
      `${obj}.${a} == ${any(d - 1)}`,
      `${obj}.${a} > 1`,
      `${obj}.${a} like "a*"`,
      `${obj}.${a}.contains(${any(d - 1)})`,
      `${obj}.${a} in ${pick(w.ent)}`,
      `${obj}.${a}.isEmpty()`,
      `${bool(d - 1)}`,
    ]);
    return pick([
      `(${obj} has ${a} && ${use})`,
      `(if ${obj} has ${a} then ${use} else ${bool(d - 1)})`,
      `(!(${obj} has ${a}) || ${use})`,
      `(${obj} has ${a} || ${use})`,
      `((${obj} has ${a} && ${bool(d - 1)}) || (${obj} has ${a} && ${bool(d - 1)})) && ${use}`,
    ]);
  };
  const bool = (d: number): string => {
    const r = rnd();
    if (d <= 0 || r < 0.15) {
      return pick([
        'true',
        'false',
        `${pick(w.ent)} has ${pick(w.attrs)}`,
        `${pick(w.rec)} has ${pick(w.recAttrs)}`,
        pick(EXT_ATOMS),
        pick(w.boolAtoms),
        pick(w.boolAtoms),
        `principal is ${pick(w.types)}`,
      ]);
    }
    if (r < 0.3) return guarded(d);
    if (r < 0.4) return `${any(d - 1)} == ${any(d - 1)}`;
    if (r < 0.45) return `${any(d - 1)} != ${any(d - 1)}`;
    if (r < 0.52) return `${any(d - 1)} ${pick(['<', '<=', '>', '>='])} ${any(d - 1)}`;
    if (r < 0.6) {
      return `${pick(w.ent)} in ${pick([pick(w.ent), `[${pick(w.ent)}, ${pick(w.ent)}]`, any(d - 1)])}`;
    }
    if (r < 0.66) {
      return `${any(d - 1)}.${pick(['contains', 'containsAll', 'containsAny'])}(${any(d - 1)})`;
    }
    if (r < 0.68) return `${any(d - 1)}.isEmpty()`;
    if (r < 0.75) return `(${bool(d - 1)} ${pick(['&&', '||'])} ${bool(d - 1)})`;
    if (r < 0.8) return `!(${bool(d - 1)})`;
    if (r < 0.87) return `(if ${bool(d - 1)} then ${bool(d - 1)} else ${bool(d - 1)})`;
    if (r < 0.9)
      return `(if ${bool(d - 1)} then ${pick(w.ent)} else ${pick(w.ent)}) == ${pick(w.ent)}`;
    if (r < 0.94) return `${any(d - 1)} like "a*"`;
    return `${pick(w.ent)} is ${pick(w.types)}${rnd() < 0.5 ? ` in ${pick(w.ent)}` : ''}`;
  };
  return (): string => {
    const conds = Array.from(
      { length: 1 + Math.floor(rnd() * 2) },
      () => `${rnd() < 0.8 ? 'when' : 'unless'} { ${bool(3)} }`,
    );
    const scope = `${pick(w.principalScopes)}, ${pick(w.actionScopes)}, ${pick(w.resourceScopes)}`;
    return `${pick(['permit', 'forbid'])}(${scope}) ${conds.join(' ')};`;
  };
}
