/**
 * A finite universe of concrete requests, built from the schema's request environments and the
 * literals of the policies: the principal and the resource range over the entity literals of
 * their type plus one fresh entity per type; each `in` target is a possible parent; each
 * attribute, tag and context field the policies read ranges over the literals it is compared
 * with (and neighbours of the comparison bounds), a fresh value, and absence when optional.
 *
 * Every combination is one "dimension" choice; choice 0 is the neutral value. Requests are
 * enumerated by the number of dimensions off neutral (0, then 1, 2, …), round-robin over the
 * environments, so a truncated enumeration has covered every small combination first. The
 * order depends only on the policies' content, never on their order or formatting.
 */
import { EntityStore } from '../../entities.js';
import type { Schema } from '../../schema.js';
import type { AuthorizationRequest, CedarJsonValue, EntityJson } from '../../types.js';
import type { CompilablePolicy } from '../compile.js';
import { uidToJson, valueToJson } from '../json-values.js';
import { isActionTypeName, type RecordAttrs, type SchemaModel } from '../schema/model.js';
import { CedarRecord, EntityUID, type Value } from '../values.js';
import { ABSENT, Candidates } from './candidates.js';
import { PolicyFacts } from './facts.js';
import { mayBeIn, scopeAdmits, type AnalysisEnv } from './scope.js';

/**
 * One concrete request. Its entity data is the universe's baseline (every literal and fresh
 * entity with neutral attributes, and the actions) with the principal and resource replaced
 * by `own`.
 */
export interface Scenario {
  readonly principal: EntityUID;
  readonly action: EntityUID;
  readonly resource: EntityUID;
  readonly context: CedarRecord;
  /** The principal's and the resource's data. */
  readonly own: readonly EntityJson[];
}

export interface UniverseInput {
  readonly schema?: Schema | undefined;
  /** The policies whose literals span the universe. */
  readonly policies: readonly CompilablePolicy[];
  /** Policies whose paths are varied first (the rest follow). @default all */
  readonly focus?: readonly CompilablePolicy[];
  /** Keep only the environments one of these policies' scopes admits. @default all */
  readonly admitting?: readonly CompilablePolicy[];
  /** Keep only the environments this accepts. @default all */
  readonly envFilter?: (env: AnalysisEnv) => boolean;
}

interface Builder {
  principal: EntityUID;
  resource: EntityUID;
  readonly pAttrs: Map<string, Value>;
  readonly rAttrs: Map<string, Value>;
  readonly pTags: Map<string, Value>;
  readonly rTags: Map<string, Value>;
  readonly pParents: EntityUID[];
  readonly rParents: EntityUID[];
  readonly ctx: Map<string, Value>;
}

interface Dim {
  readonly label: string;
  readonly size: number;
  readonly focus: boolean;
  apply(b: Builder, choice: number): void;
}

interface EnvPlan {
  readonly env: AnalysisEnv & { readonly action: EntityUID };
  readonly dims: readonly Dim[];
  readonly base: () => Builder;
}

function sortedUids(m: Iterable<EntityUID>): EntityUID[] {
  return [...m].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export class RequestUniverse {
  readonly #model: SchemaModel | undefined;
  readonly #facts: PolicyFacts;
  readonly #focus: PolicyFacts;
  readonly #values: Candidates;
  readonly #plans: EnvPlan[] = [];
  readonly #baseline: EntityJson[] = [];
  readonly #baselineKeys: string[] = [];
  readonly #baselineIndex = new Map<string, number>();
  #work: EntityStore | undefined;
  #dirty: string[] = [];
  readonly #dirtyUids = new Map<string, { type: string; id: string }>();

  constructor(input: UniverseInput) {
    const schema = input.schema;
    this.#model = schema?.model;
    this.#facts = new PolicyFacts(input.policies);
    this.#focus = input.focus === undefined ? this.#facts : new PolicyFacts(input.focus);
    this.#values = new Candidates(this.#facts, this.#model);
    const envs = this.#environments(schema);
    const admitting = input.admitting;
    for (const env of envs) {
      if (admitting !== undefined && !admitting.some((p) => scopeAdmits(p.ast, env, this.#model)))
        continue;
      if (input.envFilter !== undefined && !input.envFilter(env)) continue;
      this.#plans.push(this.#plan(env, schema));
    }
    this.#buildBaseline(schema);
  }

  /** How many requests the universe holds (may exceed any enumeration budget). */
  get size(): number {
    let n = 0;
    for (const p of this.#plans) n += p.dims.reduce((acc, d) => acc * d.size, 1);
    return n;
  }

  /** The request environments kept. */
  get environments(): readonly AnalysisEnv[] {
    return this.#plans.map((p) => p.env);
  }

  // -------------------------------------------------------------------------------------------
  // Environments and entities

  #environments(schema: Schema | undefined): (AnalysisEnv & { action: EntityUID })[] {
    if (schema !== undefined) {
      return schema.requestEnvironments().map((e) => ({
        principalType: e.principalType,
        action: e.action,
        resourceType: e.resourceType,
        schemaEnv: e,
      }));
    }
    const types = this.#values.literalTypes();
    if (types.length === 0) types.push('Entity');
    const actions = sortedUids(this.#facts.actions.values());
    actions.push(this.#values.freshEntity('Action'));
    const out: (AnalysisEnv & { action: EntityUID })[] = [];
    for (const action of actions) {
      for (const principalType of types) {
        for (const resourceType of types) out.push({ principalType, action, resourceType });
      }
    }
    return out;
  }

  #buildBaseline(schema: Schema | undefined): void {
    const seen = new Set<string>();
    const add = (e: EntityJson, key: string): void => {
      if (seen.has(key)) return;
      seen.add(key);
      this.#baselineIndex.set(key, this.#baseline.length);
      this.#baseline.push(e);
      this.#baselineKeys.push(key);
    };
    const model = this.#model;
    const types = new Set<string>(this.#values.literalTypes());
    if (model !== undefined) for (const t of model.entityTypes.keys()) types.add(t);
    for (const p of this.#plans) {
      if (p.env.principalType !== undefined) types.add(p.env.principalType);
      if (p.env.resourceType !== undefined) types.add(p.env.resourceType);
    }
    for (const type of [...types].sort()) {
      for (const u of [...this.#values.literalsOf(type), this.#values.freshEntity(type)]) {
        const attrs = this.#values.requiredAttrs(type);
        add(entityJson(u, attrs, [], new Map()), u.key);
      }
    }
    for (const e of this.#values.synthesizedEntities()) {
      add(entityJson(e.uid, e.attrs.attrs, [], new Map()), e.uid.key);
    }
    if (model !== undefined && schema !== undefined) {
      for (const a of model.actions.values()) {
        const uid = new EntityUID(a.type, a.id);
        const parents = a.memberOf.map((k) => {
          const g = model.actions.get(k)!;
          return new EntityUID(g.type, g.id);
        });
        add(entityJson(uid, new Map(), parents, new Map()), uid.key);
      }
    } else {
      for (const p of this.#plans)
        add(entityJson(p.env.action, new Map(), [], new Map()), p.env.action.key);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Dimensions of one environment

  #plan(env: AnalysisEnv & { action: EntityUID }, schema: Schema | undefined): EnvPlan {
    const model = this.#model;
    const facts = this.#facts;
    const focus = this.#focus;
    const pt = env.principalType!;
    const rt = env.resourceType!;
    const dims: Dim[] = [];
    const principals = [this.#values.freshEntity(pt), ...this.#values.literalsOf(pt)];
    // With one type on both sides, the resource gets a fresh entity of its own first, so that
    // principal and resource data do not overwrite each other in the neutral request.
    const resources =
      rt === pt
        ? [
            this.#values.freshResource(rt),
            this.#values.freshEntity(rt),
            ...this.#values.literalsOf(rt),
          ]
        : [this.#values.freshEntity(rt), ...this.#values.literalsOf(rt)];
    dims.push({
      label: 'principal',
      size: principals.length,
      focus: true,
      apply: (b, i) => void (b.principal = principals[i]!),
    });
    dims.push({
      label: 'resource',
      size: resources.length,
      focus: true,
      apply: (b, i) => void (b.resource = resources[i]!),
    });

    const parentDims = (who: 'principal' | 'resource', type: string): void => {
      const groups = new Map<string, EntityUID>();
      for (const g of facts.groups.values()) {
        if (isActionTypeName(g.type) || model?.actionTypes.has(g.type)) continue;
        if (
          model === undefined ||
          (mayBeIn(model, type, g.type) &&
            (g.type !== type || model.entityTypes.get(type)?.memberOfTypes.includes(type)))
        ) {
          groups.set(g.key, g);
        }
      }
      if (facts.dynamicIn && model !== undefined) {
        for (const t of model.entityTypes.get(type)?.memberOfTypes ?? []) {
          const g = this.#values.freshEntity(t);
          groups.set(g.key, g);
        }
      }
      for (const g of sortedUids(groups.values())) {
        dims.push({
          label: `${who} in ${g.key}`,
          size: 2,
          focus: focus.groups.has(g.key),
          apply: (b, i) => {
            if (i === 1) (who === 'principal' ? b.pParents : b.rParents).push(g);
          },
        });
      }
    };
    parentDims('principal', pt);
    parentDims('resource', rt);

    const attrDims = (
      who: 'principal' | 'resource' | 'context',
      shape: RecordAttrs | undefined,
      open: boolean,
      closedEntity: boolean,
    ): Map<string, Value> => {
      const base = new Map<string, Value>();
      const f = facts.roots.get(who);
      const ff = focus.roots.get(who);
      const names = new Set<string>([...(f?.attrs.keys() ?? [])]);
      for (const [name, a] of shape ?? []) if (a.required) names.add(name);
      for (const name of [...names].sort()) {
        const a = shape?.get(name);
        if (a === undefined && shape !== undefined && (closedEntity || !open)) continue;
        const c = this.#values.candidates(
          a?.type,
          f?.attrs.get(name),
          a === undefined || !a.required,
          0,
        );
        if (c[0] !== ABSENT) base.set(name, c[0] as Value);
        if (c.length < 2 || f?.attrs.has(name) !== true) continue;
        dims.push({
          label: `${who}.${name}`,
          size: c.length,
          focus: ff?.attrs.has(name) === true,
          apply: (b, i) => {
            const m = who === 'principal' ? b.pAttrs : who === 'resource' ? b.rAttrs : b.ctx;
            const x = c[i]!;
            if (x === ABSENT) m.delete(name);
            else m.set(name, x);
          },
        });
      }
      return base;
    };
    const tagDims = (who: 'principal' | 'resource', type: string): void => {
      const f = facts.roots.get(who);
      const tagType = model?.entityTypes.get(type)?.tags;
      if (model !== undefined && tagType === undefined) return;
      for (const name of [...(f?.tags.keys() ?? [])].sort()) {
        const c = this.#values.candidates(tagType, f?.tags.get(name), false, 0);
        dims.push({
          label: `${who}#${name}`,
          size: c.length + 1,
          focus: focus.roots.get(who)?.tags.has(name) === true,
          apply: (b, i) => {
            if (i > 0) (who === 'principal' ? b.pTags : b.rTags).set(name, c[i - 1] as Value);
          },
        });
      }
    };
    const pShape = model?.entityTypes.get(pt)?.shape;
    const rShape = model?.entityTypes.get(rt)?.shape;
    const ctxType = schema?.action(env.action)?.appliesTo;
    const ctxBase = attrDims('context', ctxType?.context, ctxType?.contextOpen ?? true, false);
    const pBase = attrDims('principal', pShape, true, model !== undefined);
    const rBase = attrDims('resource', rShape, true, model !== undefined);
    tagDims('principal', pt);
    tagDims('resource', rt);
    // Identity first, then what the focus policies read, then the rest (stable).
    const ordered = [...dims.filter((d) => d.focus), ...dims.filter((d) => !d.focus)];
    return {
      env,
      dims: ordered,
      base: () => ({
        principal: principals[0]!,
        resource: resources[0]!,
        pAttrs: new Map(pBase),
        rAttrs: new Map(rBase),
        pTags: new Map(),
        rTags: new Map(),
        pParents: [],
        rParents: [],
        ctx: new Map(ctxBase),
      }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Enumeration

  /**
   * The requests, fewest dimensions off neutral first, round-robin over the environments: first
   * the combinations of the focus dimensions alone (the rest neutral), then all the others.
   */
  *scenarios(): Generator<Scenario> {
    const split = this.#plans.some((p) => p.dims.some((d) => !d.focus && d.size > 1));
    if (split) yield* this.#byWeight(true);
    yield* this.#byWeight(false, split);
  }

  *#byWeight(focusOnly: boolean, skipFocusOnly = false): Generator<Scenario> {
    const sizesOf = (p: EnvPlan): number[] =>
      p.dims.map((d) => (focusOnly && !d.focus ? 1 : d.size));
    const maxWeight = Math.max(
      0,
      ...this.#plans.map((p) => sizesOf(p).filter((s) => s > 1).length),
    );
    for (let w = 0; w <= maxWeight; w++) {
      let live = this.#plans.map((p) => ({ p, g: vectorsOfWeight(sizesOf(p), w) }));
      while (live.length > 0) {
        const next: typeof live = [];
        for (const x of live) {
          let r = x.g.next();
          // Vectors that vary focus dimensions only were enumerated already.
          while (
            skipFocusOnly &&
            r.done !== true &&
            x.p.dims.every((d, i) => d.focus || r.value![i] === 0)
          ) {
            r = x.g.next();
          }
          if (r.done === true) continue;
          next.push(x);
          yield this.#materialize(x.p, r.value);
        }
        live = next;
      }
    }
  }

  /**
   * The contexts of one environment (by index in {@link environments}), fewest fields off
   * neutral first; for requests over a host's own entities.
   */
  *contexts(envIndex: number): Generator<CedarRecord> {
    const plan = this.#plans[envIndex];
    if (plan === undefined) return;
    const dims = plan.dims.filter((d) => d.label.startsWith('context.'));
    const sizes = dims.map((d) => d.size);
    for (let w = 0; w <= dims.length; w++) {
      for (const v of vectorsOfWeight(sizes, w)) {
        const b = plan.base();
        dims.forEach((d, i) => d.apply(b, v[i]!));
        yield new CedarRecord(b.ctx);
      }
    }
  }

  /** Entities of the schema's action hierarchy (or the actions the policies name). */
  actionEntities(): readonly EntityJson[] {
    return this.#baseline.filter((e) => {
      const t = (e.uid as { type: string }).type;
      return isActionTypeName(t) || this.#model?.actionTypes.has(t) === true;
    });
  }

  /** Every entity of the scenario's store, in Cedar's JSON entity format. */
  entitiesOf(s: Scenario): EntityJson[] {
    const taken = new Set(s.own.map((e) => uidKey(e)));
    return [...s.own, ...this.#baseline.filter((_, i) => !taken.has(this.#baselineKeys[i]!))];
  }

  /**
   * The scenario's entity store, or undefined when its data is invalid (a cycle in parents).
   * One store serves every scenario: the baseline, with the previous scenario's principal and
   * resource put back before this one's are written, so the answer is valid until the next call.
   */
  storeOf(s: Scenario): EntityStore | undefined {
    let work = this.#work;
    if (work === undefined) work = this.#work = EntityStore.fromJson(this.#baseline);
    if (this.#dirty.length > 0) {
      const back: EntityJson[] = [];
      const gone: { type: string; id: string }[] = [];
      for (const key of this.#dirty) {
        const i = this.#baselineIndex.get(key);
        if (i === undefined) gone.push(this.#dirtyUids.get(key)!);
        else back.push(this.#baseline[i]!);
      }
      if (gone.length > 0) work.remove(gone);
      if (back.length > 0) work.upsert(back);
      this.#dirty = [];
      this.#dirtyUids.clear();
    }
    try {
      work.upsert(s.own);
    } catch {
      return undefined;
    }
    for (const e of s.own) {
      const key = uidKey(e);
      this.#dirty.push(key);
      this.#dirtyUids.set(key, e.uid as { type: string; id: string });
    }
    return work;
  }

  #materialize(plan: EnvPlan, vector: readonly number[]): Scenario {
    const b = plan.base();
    plan.dims.forEach((d, i) => d.apply(b, vector[i]!));
    const entities: EntityJson[] = [];
    const taken = new Set<string>();
    const own = (
      uid: EntityUID,
      attrs: Map<string, Value>,
      parents: EntityUID[],
      tags: Map<string, Value>,
    ): void => {
      if (taken.has(uid.key)) return;
      taken.add(uid.key);
      entities.push(
        entityJson(
          uid,
          attrs,
          parents.filter((p) => !p.equals(uid)),
          tags,
        ),
      );
    };
    if (b.principal.equals(b.resource)) {
      // One entity on both sides: the union of both sides' data.
      own(
        b.principal,
        new Map([...b.pAttrs, ...b.rAttrs]),
        [...b.pParents, ...b.rParents],
        new Map([...b.pTags, ...b.rTags]),
      );
    } else {
      own(b.principal, b.pAttrs, b.pParents, b.pTags);
      own(b.resource, b.rAttrs, b.rParents, b.rTags);
    }
    return {
      principal: b.principal,
      action: plan.env.action,
      resource: b.resource,
      context: new CedarRecord(b.ctx),
      own: entities,
    };
  }
}

function entityJson(
  uid: EntityUID,
  attrs: ReadonlyMap<string, Value>,
  parents: readonly EntityUID[],
  tags: ReadonlyMap<string, Value>,
): EntityJson {
  const out: {
    uid: { type: string; id: string };
    attrs: Record<string, CedarJsonValue>;
    parents: { type: string; id: string }[];
    tags?: Record<string, CedarJsonValue>;
  } = {
    uid: uidToJson(uid),
    attrs: Object.fromEntries([...attrs].map(([k, v]) => [k, valueToJson(v)])),
    parents: sortedUids(new Map(parents.map((p) => [p.key, p])).values()).map(uidToJson),
  };
  if (tags.size > 0) out.tags = Object.fromEntries([...tags].map(([k, v]) => [k, valueToJson(v)]));
  return out;
}

/** Index vectors with exactly `w` positions off 0, in lexicographic order of positions and digits. */
export function* vectorsOfWeight(sizes: readonly number[], w: number): Generator<number[]> {
  const free = sizes.map((s, i) => (s > 1 ? i : -1)).filter((i) => i >= 0);
  if (w > free.length) return;
  const combo = Array.from({ length: w }, (_, i) => i);
  for (;;) {
    const positions = combo.map((c) => free[c]!);
    const digits = positions.map(() => 1);
    for (;;) {
      const v = new Array<number>(sizes.length).fill(0);
      positions.forEach((p, i) => (v[p] = digits[i]!));
      yield v;
      let k = w - 1;
      while (k >= 0 && digits[k] === sizes[positions[k]!]! - 1) digits[k--] = 1;
      if (k < 0) break;
      digits[k]!++;
    }
    let j = w - 1;
    while (j >= 0 && combo[j] === free.length - w + j) j--;
    if (j < 0) return;
    combo[j]!++;
    for (let k = j + 1; k < w; k++) combo[k] = combo[k - 1]! + 1;
  }
}

/** The request in the JSON form `isAuthorized` takes. */
export function scenarioRequest(s: Scenario): AuthorizationRequest {
  return {
    principal: uidToJson(s.principal),
    action: uidToJson(s.action),
    resource: uidToJson(s.resource),
    context: Object.fromEntries([...s.context.attrs].map(([k, v]) => [k, valueToJson(v)])),
  };
}

function uidKey(e: EntityJson): string {
  const u = e.uid as { type: string; id: string };
  return new EntityUID(u.type, u.id).key;
}
