/**
 * Policies, templates and template links for the differential suite: scopes of every form
 * (`==`, `in`, `is`, `is … in`, slots in templates), `action` alone, `==`, `in` one action and
 * `in` a list, `when`/`unless` conditions from the expression generator, and annotations
 * (`@id`, annotations with and without a value).
 *
 * Policy ids follow our PolicySet rule: the `@id` annotation when present, else `policy<N>` with
 * N the position in the text (templates count). The oracle names policies by position only, so
 * the suite hands it each policy under the id we expect ours to give it.
 */
import fc from 'fast-check';
import { strLit, uidLit } from './cedar-text.js';
import {
  collectOps,
  exprGenerator,
  renderExpr,
  type ExprGenOptions,
  type GExpr,
} from './expr-gen.js';
import { ACTION_UIDS, ENTITY_TYPES, ENTITY_UIDS, type Uid } from './universe.js';

export type GTarget = { readonly uid: Uid } | { readonly slot: '?principal' | '?resource' };

export type GScope =
  | { readonly op: 'all' }
  | { readonly op: '==' | 'in'; readonly target: GTarget }
  | { readonly op: 'is'; readonly type: string; readonly in?: GTarget };

export type GActionScope =
  | { readonly op: 'all' }
  | { readonly op: '=='; readonly uid: Uid }
  | { readonly op: 'in'; readonly uids: readonly Uid[]; readonly list: boolean };

export interface GCondition {
  readonly kind: 'when' | 'unless';
  readonly body: GExpr;
}

export interface GPolicy {
  readonly effect: 'permit' | 'forbid';
  /** Annotations other than `@id`, in order (`null`: written without a value). */
  readonly annotations: readonly (readonly [string, string | null])[];
  /** The `@id` annotation, when the policy has one. */
  readonly id: string | null;
  readonly principal: GScope;
  readonly action: GActionScope;
  readonly resource: GScope;
  readonly conditions: readonly GCondition[];
}

export interface GLink {
  readonly template: number;
  readonly principal?: Uid;
  readonly resource?: Uid;
}

/** A policy-set document: policies and templates in text order, and links to the templates. */
export interface GPolicySet {
  readonly policies: readonly GPolicy[];
  readonly links: readonly GLink[];
}

// ---------------------------------------------------------------------------------------------
// Rendering

function targetText(t: GTarget): string {
  return 'slot' in t ? t.slot : uidLit(t.uid);
}

function scopeText(v: 'principal' | 'resource', s: GScope): string {
  switch (s.op) {
    case 'all':
      return v;
    case '==':
    case 'in':
      return `${v} ${s.op} ${targetText(s.target)}`;
    case 'is':
      return `${v} is ${s.type}${s.in === undefined ? '' : ` in ${targetText(s.in)}`}`;
  }
}

function actionText(s: GActionScope): string {
  switch (s.op) {
    case 'all':
      return 'action';
    case '==':
      return `action == ${uidLit(s.uid)}`;
    case 'in':
      return s.list
        ? `action in [${s.uids.map(uidLit).join(', ')}]`
        : `action in ${uidLit(s.uids[0]!)}`;
  }
}

/** True when the policy's scope has a slot (it is a template). */
export function isTemplate(p: GPolicy): boolean {
  const slotted = (s: GScope): boolean =>
    s.op === '==' || s.op === 'in'
      ? 'slot' in s.target
      : s.op === 'is' && s.in !== undefined && 'slot' in s.in;
  return slotted(p.principal) || slotted(p.resource);
}

/** Slots a template uses. */
export function slotsOf(p: GPolicy): { principal: boolean; resource: boolean } {
  const has = (s: GScope): boolean =>
    (s.op === '==' || s.op === 'in') && 'slot' in s.target
      ? true
      : s.op === 'is' && s.in !== undefined && 'slot' in s.in;
  return { principal: has(p.principal), resource: has(p.resource) };
}

/** Cedar text of one policy or template. */
export function renderPolicy(p: GPolicy): string {
  const ann: string[] = [];
  if (p.id !== null) ann.push(`@id(${strLit(p.id)})`);
  for (const [k, v] of p.annotations) ann.push(v === null ? `@${k}` : `@${k}(${strLit(v)})`);
  const conds = p.conditions.map((c) => `${c.kind} { ${renderExpr(c.body)} }`);
  return [
    ...ann,
    `${p.effect}(${scopeText('principal', p.principal)}, ${actionText(p.action)}, ${scopeText('resource', p.resource)})`,
    ...conds,
  ]
    .join('\n')
    .concat(';');
}

/** The id our PolicySet gives the policy at `index` of the text. */
export function policyIdAt(set: GPolicySet, index: number): string {
  return set.policies[index]?.id ?? `policy${index}`;
}

export const linkId = (i: number): string => `link${i}`;

export interface RenderedSet {
  /** The whole document, as PolicySet.parse reads it. */
  readonly text: string;
  /** Static policies by id, templates by id, links (the oracle's policy-set format). */
  readonly statics: Readonly<Record<string, string>>;
  readonly templates: Readonly<Record<string, string>>;
  readonly links: readonly {
    readonly templateId: string;
    readonly newId: string;
    readonly values: Readonly<Record<string, { type: string; id: string }>>;
  }[];
}

export function renderSet(set: GPolicySet): RenderedSet {
  const statics: Record<string, string> = {};
  const templates: Record<string, string> = {};
  const texts = set.policies.map(renderPolicy);
  set.policies.forEach((p, i) => {
    (isTemplate(p) ? templates : statics)[policyIdAt(set, i)] = texts[i]!;
  });
  const links = set.links.map((l, i) => {
    const values: Record<string, { type: string; id: string }> = {};
    if (l.principal !== undefined)
      values['?principal'] = { type: l.principal.type, id: l.principal.id };
    if (l.resource !== undefined)
      values['?resource'] = { type: l.resource.type, id: l.resource.id };
    return { templateId: policyIdAt(set, l.template), newId: linkId(i), values };
  });
  return { text: texts.join('\n\n'), statics, templates, links };
}

/** Operator and extension-function counts of every condition of the set. */
export function countOps(set: GPolicySet, out: Map<string, number>): void {
  for (const p of set.policies) for (const c of p.conditions) collectOps(c.body, out);
}

/** Scope forms of the set, as `principal:is-in`, `action:in-list`, `annotation:id`, … */
export function countForms(set: GPolicySet, out: Map<string, number>): void {
  const bump = (k: string): void => {
    out.set(k, (out.get(k) ?? 0) + 1);
  };
  const scope = (v: string, s: GScope): void => {
    if (s.op === 'is')
      bump(
        `${v}:${s.in === undefined ? 'is' : 'is-in'}${s.in !== undefined && 'slot' in s.in ? '-slot' : ''}`,
      );
    else if (s.op === 'all') bump(`${v}:all`);
    else bump(`${v}:${s.op}${'slot' in s.target ? '-slot' : ''}`);
  };
  for (const p of set.policies) {
    bump(`effect:${p.effect}`);
    scope('principal', p.principal);
    scope('resource', p.resource);
    bump(`action:${p.action.op === 'in' ? (p.action.list ? 'in-list' : 'in') : p.action.op}`);
    if (p.id !== null) bump('annotation:id');
    for (const [, v] of p.annotations) bump(v === null ? 'annotation:bare' : 'annotation:value');
    for (const c of p.conditions) bump(`condition:${c.kind}`);
    if (isTemplate(p)) bump('template');
  }
  for (let i = 0; i < set.links.length; i++) bump('link');
}

// ---------------------------------------------------------------------------------------------
// Generators

const entityUid = fc.constantFrom(...ENTITY_UIDS);
/** Scope targets: mostly principals/resources, sometimes an action uid. */
const scopeUid = fc.oneof(
  { weight: 9, arbitrary: entityUid },
  { weight: 1, arbitrary: fc.constantFrom(...ACTION_UIDS) },
);
const actionUid = fc.constantFrom(...ACTION_UIDS);
const entityType = fc.constantFrom(...ENTITY_TYPES, ...ENTITY_TYPES, 'Action', 'Nope::Type');
/** Action scope uids: actions, and rarely a non-action (both engines must reject the policy). */
const actionScopeUid = fc.oneof(
  { weight: 1000, arbitrary: actionUid },
  { weight: 1, arbitrary: entityUid },
);

function scopeArb(slot: '?principal' | '?resource' | null): fc.Arbitrary<GScope> {
  const target: fc.Arbitrary<GTarget> =
    slot === null ? scopeUid.map((uid) => ({ uid })) : fc.constant({ slot });
  const arms: fc.Arbitrary<GScope>[] = [
    target.map((t): GScope => ({ op: '==', target: t })),
    target.map((t): GScope => ({ op: 'in', target: t })),
    fc.tuple(entityType, target).map(([type, t]): GScope => ({ op: 'is', type, in: t })),
  ];
  if (slot !== null) return fc.oneof(...arms);
  return fc.oneof(
    { weight: 9, arbitrary: fc.constant<GScope>({ op: 'all' }) },
    { weight: 2, arbitrary: arms[0]! },
    { weight: 2, arbitrary: arms[1]! },
    { weight: 2, arbitrary: entityType.map((type): GScope => ({ op: 'is', type })) },
    { weight: 1, arbitrary: arms[2]! },
  );
}

const actionScopeArb: fc.Arbitrary<GActionScope> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<GActionScope>({ op: 'all' }) },
  { weight: 3, arbitrary: actionScopeUid.map((uid): GActionScope => ({ op: '==', uid })) },
  {
    weight: 2,
    arbitrary: actionScopeUid.map((uid): GActionScope => ({ op: 'in', uids: [uid], list: false })),
  },
  {
    weight: 2,
    arbitrary: fc
      .uniqueArray(actionScopeUid, { maxLength: 3, selector: (u) => `${u.type}::${u.id}` })
      .map((uids): GActionScope => ({ op: 'in', uids, list: true })),
  },
);

const ANNOTATION_NAMES = ['advice', 'reason', 'owner', 'deprecated'] as const;
const annotationsArb = fc
  .uniqueArray(fc.constantFrom(...ANNOTATION_NAMES), { maxLength: 2 })
  .chain((names) =>
    fc
      .tuple(
        ...names.map(() =>
          fc.option(fc.constantFrom('', 'x', 'needs "review"', 'ü\\n'), { freq: 3 }),
        ),
      )
      .map((vals) => names.map((n, i) => [n, vals[i] ?? null] as const)),
  );

export interface PolicyGenOptions {
  /** Operator depth of generated conditions. */
  readonly depth: number;
  readonly maxPolicies: number;
  /** Options of the expression generator. @default DEFAULT_EXPR_OPTIONS */
  readonly expr?: ExprGenOptions;
}

export const DEFAULT_POLICY_OPTIONS: PolicyGenOptions = { depth: 4, maxPolicies: 5 };

/** One policy (a template when `template` is set: its scope gets one or two slots). */
export function policyArb(
  template: boolean,
  opts: PolicyGenOptions = DEFAULT_POLICY_OPTIONS,
): fc.Arbitrary<Omit<GPolicy, 'id'>> {
  const gen = exprGenerator(opts.expr);
  const condition: fc.Arbitrary<GCondition> = fc.record({
    kind: fc.constantFrom<'when' | 'unless'>('when', 'when', 'unless'),
    body: fc.integer({ min: 0, max: opts.depth }).chain((d) => gen('Bool', d)),
  });
  const scopes: fc.Arbitrary<[GScope, GScope]> = template
    ? fc
        .constantFrom('p', 'r', 'pr')
        .chain((which) =>
          fc.tuple(
            which.includes('p') ? scopeArb('?principal') : scopeArb(null),
            which.includes('r') ? scopeArb('?resource') : scopeArb(null),
          ),
        )
    : fc.tuple(scopeArb(null), scopeArb(null));
  return fc
    .record({
      effect: fc.constantFrom<'permit' | 'forbid'>('permit', 'permit', 'forbid'),
      annotations: annotationsArb,
      scopes,
      action: actionScopeArb,
      conditions: fc.array(condition, { maxLength: 2 }),
    })
    .map(({ scopes: [principal, resource], ...rest }) => ({ ...rest, principal, resource }));
}

/**
 * An expression battery: `size` permits open on every scope, each with one generated condition
 * and an `@id` naming it (`e0`, `e1`, …). For a request, the determining policies are exactly
 * the conditions that hold and the erroring policies the conditions that raise an error, so
 * one request checks the three-valued result of every expression of the battery.
 */
export function batteryArb(
  size: number,
  opts: PolicyGenOptions = DEFAULT_POLICY_OPTIONS,
): fc.Arbitrary<GPolicySet> {
  const gen = exprGenerator(opts.expr);
  const cond = fc.record({
    kind: fc.constantFrom<'when' | 'unless'>('when', 'when', 'when', 'unless'),
    body: fc.integer({ min: 1, max: opts.depth }).chain((d) => gen('Bool', d)),
  });
  return fc.array(cond, { minLength: size, maxLength: size }).map((conds): GPolicySet => ({
    policies: conds.map((c, i) => ({
      effect: 'permit',
      annotations: [],
      id: `e${i}`,
      principal: { op: 'all' },
      action: { op: 'all' },
      resource: { op: 'all' },
      conditions: [c],
    })),
    links: [],
  }));
}

/** A policy-set document: static policies and templates in random order, links to templates. */
export function policySetArb(
  opts: PolicyGenOptions = DEFAULT_POLICY_OPTIONS,
): fc.Arbitrary<GPolicySet> {
  const entry = fc.oneof(
    { weight: 5, arbitrary: policyArb(false, opts) },
    { weight: 1, arbitrary: policyArb(true, opts) },
  );
  return fc
    .tuple(
      fc.array(entry, { minLength: 1, maxLength: opts.maxPolicies }),
      fc.array(fc.boolean(), { maxLength: opts.maxPolicies }),
    )
    .map(([ps, withId]) =>
      // `@id`s are unique and never look like a positional id.
      ps.map((p, i): GPolicy => ({ ...p, id: withId[i] === true ? `id-${i}` : null })),
    )
    .chain((policies) => {
      const templates = policies.flatMap((p, i) => (isTemplate(p) ? [i] : []));
      if (templates.length === 0) return fc.constant<GPolicySet>({ policies, links: [] });
      const link: fc.Arbitrary<GLink> = fc
        .tuple(fc.constantFrom(...templates), entityUid, entityUid)
        .map(([t, pu, ru]) => {
          const slots = slotsOf(policies[t]!);
          return {
            template: t,
            ...(slots.principal ? { principal: pu } : {}),
            ...(slots.resource ? { resource: ru } : {}),
          };
        });
      return fc.array(link, { maxLength: 3 }).map((links): GPolicySet => ({ policies, links }));
    });
}
