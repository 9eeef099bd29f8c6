/**
 * Shared fixtures of the residual-filter tests: policy sets from Cedar text, the agreement
 * check (filter ⇔ authorizer, resource by resource), and a seeded generator of random resource
 * tables (attributes of mixed and wrong types, hostile strings, hierarchies, tags) with policy
 * conditions over them.
 */
import { Authorizer } from '../src/authorizer.js';
import { type EntityStore } from '../src/entities.js';
import { matchesFilter, printFilter, type ResourceFilter } from '../src/filters/filter.js';
import { residualFilter } from '../src/partial.js';
import { PolicySet } from '../src/policy-set.js';
import { EntityUID } from '../src/internal/values.js';
import type { CedarJsonValue, EntityJson } from '../src/types.js';

export function policySet(text: string): PolicySet {
  return PolicySet.parse(text);
}

export interface Agreement {
  readonly filter: ResourceFilter;
  /** Keys (`Type::"id"`) of the resources the authorizer allows, in universe order. */
  readonly allowed: string[];
  /** Resources where the filter and the authorizer disagree (empty when exact). */
  readonly mismatches: string[];
  readonly checked: number;
}

export interface Request {
  readonly principal: string;
  readonly action: string;
  readonly context?: { readonly [k: string]: CedarJsonValue };
  readonly resourceType?: string;
}

/**
 * The residual filter of `text` for the request, checked against `Authorizer.isAuthorized` on
 * every resource of `universe` (default: every stored entity plus `extra`).
 */
export function agreement(
  text: string | PolicySet,
  store: EntityStore,
  req: Request,
  extra: readonly string[] = [],
): Agreement {
  const set = typeof text === 'string' ? policySet(text) : text;
  const authorizer = new Authorizer({ policies: set, explain: false });
  const { filter } = residualFilter({
    policies: set,
    principal: req.principal,
    action: req.action,
    entities: store,
    ...(req.context !== undefined && { context: req.context }),
    ...(req.resourceType !== undefined && { resourceType: req.resourceType }),
  });
  const universe = [...store.entities().map((e) => e.uid), ...extra.map(parseUid)];
  const allowed: string[] = [];
  const mismatches: string[] = [];
  for (const r of universe) {
    const decision = authorizer.isAuthorized(
      {
        principal: req.principal,
        action: req.action,
        resource: { type: r.type, id: r.id },
        ...(req.context !== undefined && { context: req.context }),
      },
      store,
    ).decision;
    let allow = decision === 'allow';
    if (req.resourceType !== undefined && r.type !== req.resourceType) allow = false;
    if (allow) allowed.push(r.key);
    if (matchesFilter(filter, r, store) !== allow) {
      mismatches.push(
        `${r.key}: authorizer ${allow ? 'allows' : 'denies'}, filter ${printFilter(filter)}`,
      );
    }
  }
  return { filter, allowed, mismatches, checked: universe.length };
}

function parseUid(text: string): EntityUID {
  const m = /^(.+)::"(.*)"$/.exec(text);
  if (m === null) throw new Error(`bad uid ${text}`);
  return new EntityUID(m[1]!, JSON.parse(`"${m[2]!}"`) as string);
}

// ---------------------------------------------------------------------------------------------
// Seeded random resource tables

/** mulberry32: a small, seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A Cedar string literal (Cedar writes `\\u{0}` where JSON writes `\\u0000`). */
export const cedarString = (s: string): string =>
  JSON.stringify(s).replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => `\\u{${h}}`);

/** Strings that break naive SQL or pattern splicing. */
export const HOSTILE = [
  "o'brien",
  '50%',
  'a_b',
  'back\\slash',
  '"quoted"',
  "x'); DROP TABLE t; --",
  'star*',
  '[br]',
  '?q',
  '!bang',
  'ünï',
  '',
];
export const NUL = 'nul\u0000byte';

export interface RandomTable {
  readonly entities: EntityJson[];
  /** The resources (`Doc`), in insertion order. */
  readonly docs: EntityJson[];
}

const USERS = ['u0', 'u1', 'u2'];
const FOLDERS = ['f0', 'f1', 'f2', 'f3'];
const GROUPS = ['g0', 'g1'];

/**
 * Users (in groups), a folder tree, and `n` documents whose attributes are usually of the
 * expected type, sometimes of another or absent: `owner` (User, typed: never of another type),
 * `rank` (Long, typed), `n` (Long or String), `name` (String with hostile characters), `flag`
 * (Bool or Long), `labels` (Set of Strings), `readers` (Set of Groups), `meta` (record),
 * `folder` (Folder), and the tag `level`; parents among the folders.
 */
export function randomTable(
  seed: number,
  n: number,
  options: { nul?: boolean; bigints?: boolean } = {},
): RandomTable {
  const r = rng(seed);
  const strings = [...HOSTILE, 'alpha', 'alpine', 'beta', ...(options.nul === true ? [NUL] : [])];
  const maybe = (p: number) => r() < p;
  const entities: EntityJson[] = [];
  for (const g of GROUPS) entities.push({ uid: { type: 'Group', id: g }, attrs: {}, parents: [] });
  USERS.forEach((u, i) =>
    entities.push({
      uid: { type: 'User', id: u },
      attrs: { level: i * 2, dept: pick(r, ['eng', 'ops']) },
      parents: i === 0 ? [{ type: 'Group', id: 'g0' }] : [{ type: 'Group', id: pick(r, GROUPS) }],
    }),
  );
  FOLDERS.forEach((f, i) =>
    entities.push({
      uid: { type: 'Folder', id: f },
      attrs: {},
      parents: i === 0 ? [] : [{ type: 'Folder', id: FOLDERS[Math.floor(r() * i)]! }],
    }),
  );
  const docs: EntityJson[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < n; i++) {
    let id = maybe(0.2) ? `${pick(r, strings)}#${i}` : `d${i}`;
    if (ids.has(id)) id = `d${i}`;
    ids.add(id);
    const attrs: Record<string, CedarJsonValue> = {};
    if (maybe(0.85)) attrs.owner = { __entity: { type: 'User', id: pick(r, USERS) } };
    if (maybe(0.8)) attrs.rank = Math.floor(r() * 10) - 2;
    if (maybe(0.85)) attrs.n = maybe(0.8) ? Math.floor(r() * 12) - 3 : pick(r, ['7', 'x']);
    if (maybe(0.05)) {
      const big = pick(r, [9_007_199_254_740_993n, -9_223_372_036_854_775_808n]);
      if (options.bigints !== false) attrs.n = big; // JSON documents hold no bigints
    }
    if (maybe(0.85))
      attrs.name = maybe(0.5) ? pick(r, strings) : `${pick(r, strings)}.${pick(r, ['pdf', 'txt'])}`;
    if (maybe(0.8)) attrs.flag = maybe(0.85) ? maybe(0.5) : 1;
    if (maybe(0.75)) {
      const k = Math.floor(r() * 3);
      attrs.labels = Array.from({ length: k }, () =>
        pick(r, ['red', 'green', 'blue', "o'brien", '50%']),
      );
    }
    if (maybe(0.6))
      attrs.readers = GROUPS.filter(() => maybe(0.5)).map((g) => ({
        __entity: { type: 'Group', id: g },
      }));
    if (maybe(0.6))
      attrs.meta = maybe(0.8) ? { k: pick(r, strings), x: Math.floor(r() * 3) } : { k: 3 };
    if (maybe(0.6)) attrs.folder = { __entity: { type: 'Folder', id: pick(r, FOLDERS) } };
    const tags: Record<string, CedarJsonValue> = {};
    if (maybe(0.6)) tags.level = maybe(0.85) ? Math.floor(r() * 5) : 'high';
    const parents = maybe(0.7) ? [{ type: 'Folder', id: pick(r, FOLDERS) }] : [];
    docs.push({
      uid: { type: 'Doc', id },
      attrs,
      parents,
      ...(Object.keys(tags).length > 0 && { tags }),
    });
  }
  entities.push(...docs);
  return { entities, docs };
}

/** Conditions over `Doc` resources that every SQL dialect and the storage plan can express. */
export function randomCondition(
  r: () => number,
  depth = 0,
  options: { nul?: boolean } = {},
): string {
  const s = () =>
    cedarString(pick(r, [...HOSTILE, 'alpha', 'alpine', ...(options.nul === true ? [NUL] : [])]));
  const atoms = [
    () => 'resource.owner == principal',
    () => `resource.owner == User::${JSON.stringify(pick(r, USERS))}`,
    () => `resource.rank ${pick(r, ['<', '<=', '>', '>='])} ${Math.floor(r() * 8) - 2}`,
    () => `resource.n ${pick(r, ['<', '<=', '>', '>=', '==', '!='])} ${Math.floor(r() * 8) - 2}`,
    () => `${Math.floor(r() * 8)} < resource.n`,
    () => `resource.name == ${s()}`,
    // Cedar text: `\\` is one backslash, `\*` a literal star.
    () =>
      `resource.name like ${pick(r, ['"al*"', '"*.pdf"', '"*%*"', '"*_*"', '"o\'*"', '"*\\\\*"', '"*"', '"a*p*e"', '"\\**"'])}`,
    () => `resource.name like ${s().replace(/\*/g, '\\*')}`,
    () => 'resource.flag',
    () => 'resource.flag == true',
    () => `resource has ${pick(r, ['owner', 'n', 'name', 'meta', 'labels'])}`,
    () => 'resource has meta.k',
    () => `resource.meta.k == ${s()}`,
    () => `resource.meta.x > ${Math.floor(r() * 3)}`,
    () =>
      `resource.labels.contains(${JSON.stringify(pick(r, ['red', 'green', "o'brien", '50%']))})`,
    () => 'resource.labels.containsAll(["red", "green"])',
    () => `resource.labels.containsAny(["blue", ${JSON.stringify(pick(r, ['red', '50%']))}])`,
    () => 'resource.labels.isEmpty()',
    () => `[${s()}, "alpha", "beta.txt"].contains(resource.name)`,
    () => 'resource.readers.contains(Group::"g0")',
    () => 'principal in resource.readers',
    () => `resource in Folder::${JSON.stringify(pick(r, FOLDERS))}`,
    () => `resource.folder in Folder::${JSON.stringify(pick(r, FOLDERS))}`,
    () => 'resource is Doc',
    () => 'resource.owner is User',
    () => 'resource.hasTag("level")',
    () => `resource.getTag("level") >= ${Math.floor(r() * 4)}`,
    () => 'resource.owner.level > 1',
    () => `resource.owner.dept == ${JSON.stringify(pick(r, ['eng', 'ops']))}`,
    () =>
      `resource == Doc::${JSON.stringify(pick(r, ['d1', 'd2', 'd3', ...HOSTILE.map((h) => `${h}#4`)]))}`,
    () => `resource.n + ${Math.floor(r() * 5)} > ${Math.floor(r() * 8)}`,
    () => `${Math.floor(r() * 9)} - resource.rank * 2 <= ${Math.floor(r() * 4)}`,
    () => 'resource.n * 4611686018427387904 >= 0',
    () => 'context.open',
    () => 'principal.level >= 2',
  ];
  const roll = r();
  if (depth >= 2 || roll < 0.45) return pick(r, atoms)();
  const a = () => randomCondition(r, depth + 1, options);
  if (roll < 0.65) return `(${a()} && ${a()})`;
  if (roll < 0.82) return `(${a()} || ${a()})`;
  if (roll < 0.92) return `!(${a()})`;
  return `(if ${a()} then ${a()} else ${a()})`;
}

/** A random policy set of permits and forbids over {@link randomCondition}s. */
export function randomPolicies(r: () => number, options: { nul?: boolean } = {}): string {
  const count = 1 + Math.floor(r() * 3);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const effect = i > 0 && r() < 0.35 ? 'forbid' : 'permit';
    const scope = pick(r, ['resource', 'resource is Doc', 'resource in Folder::"f1"', 'resource']);
    const conds = Array.from(
      { length: 1 + Math.floor(r() * 2) },
      () => `${r() < 0.8 ? 'when' : 'unless'} { ${randomCondition(r, 0, options)} }`,
    );
    out.push(`${effect}(principal, action == Action::"read", ${scope}) ${conds.join(' ')};`);
  }
  return out.join('\n');
}

export const ACTION = 'Action::"read"';
export const PRINCIPALS = USERS.map((u) => `User::"${u}"`);
