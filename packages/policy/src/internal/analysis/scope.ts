/**
 * Reasoning over policy scopes: whether a scope can match a request environment (a principal
 * type, an action and a resource type), whether one scope contains another, and whether two
 * scopes can overlap. With a schema, entity data is assumed to conform to it (Cedar's
 * validator assumes the same): an entity of type `T` is `in` an entity of type `G` only when
 * `T` may be a member of `G`, and the action hierarchy is the schema's.
 */
import type { RequestEnvironment } from '../../schema.js';
import type { ActionConstraint, PolicyAst, ScopeConstraint, ScopeTarget } from '../ast.js';
import type { SchemaModel } from '../schema/model.js';
import type { EntityUID } from '../values.js';

/** A request environment, or (without a schema) an environment with unknown types. */
export interface AnalysisEnv {
  readonly principalType?: string;
  readonly action?: EntityUID;
  readonly resourceType?: string;
  /** The request environment of the schema this one is, if any. */
  readonly schemaEnv?: RequestEnvironment;
}

/** A principal or resource constraint as required type, required identity, required ancestor. */
interface Norm {
  readonly type?: string;
  readonly eq?: EntityUID;
  readonly in?: EntityUID;
  /** A template slot: the constraint is unknown. */
  readonly slot?: true;
}

function uidOf(t: ScopeTarget): EntityUID | undefined {
  return t.kind === 'entity' ? t.uid : undefined;
}

function norm(c: ScopeConstraint): Norm {
  switch (c.op) {
    case 'all':
      return {};
    case '==': {
      const u = uidOf(c.target);
      return u === undefined ? { slot: true } : { type: u.type, eq: u };
    }
    case 'in': {
      const u = uidOf(c.target);
      return u === undefined ? { slot: true } : { in: u };
    }
    case 'is': {
      if (c.in === undefined) return { type: c.entityType };
      const u = uidOf(c.in);
      return u === undefined ? { type: c.entityType, slot: true } : { type: c.entityType, in: u };
    }
  }
}

/** True when an entity of type `child` may be `in` an entity of type `ancestor`. */
export function mayBeIn(model: SchemaModel | undefined, child: string, ancestor: string): boolean {
  if (child === ancestor) return true;
  if (model === undefined) return true;
  return model.entityDescendants.get(ancestor)?.has(child) ?? false;
}

function partAdmits(n: Norm, type: string | undefined, model: SchemaModel | undefined): boolean {
  if (type === undefined) return true;
  if (n.type !== undefined && n.type !== type) return false;
  if (n.in !== undefined && !mayBeIn(model, type, n.in.type)) return false;
  return true;
}

/** True when `action` satisfies the action constraint (the schema's hierarchy). */
export function actionAdmits(
  c: ActionConstraint,
  action: EntityUID | undefined,
  model: SchemaModel | undefined,
): boolean {
  if (action === undefined || c.op === 'all') return true;
  const uids = c.op === '==' ? [c.uid] : c.uids;
  for (const u of uids) {
    if (u.equals(action)) return true;
    if (
      c.op === 'in' &&
      (model === undefined || model.actionDescendants.get(u.key)?.has(action.key))
    ) {
      return true;
    }
  }
  return false;
}

/** True when the policy's scope can match some request of the environment. */
export function scopeAdmits(
  ast: PolicyAst,
  env: AnalysisEnv,
  model: SchemaModel | undefined,
): boolean {
  return (
    partAdmits(norm(ast.principal), env.principalType, model) &&
    actionAdmits(ast.action, env.action, model) &&
    partAdmits(norm(ast.resource), env.resourceType, model)
  );
}

function partContains(outer: Norm, inner: Norm, type: string | undefined): boolean {
  if (outer.slot || inner.slot)
    return (
      outer.type === undefined && outer.in === undefined && outer.eq === undefined && !outer.slot
    );
  const innerType = inner.type ?? type;
  if (outer.type !== undefined && outer.type !== innerType) return false;
  if (outer.eq !== undefined && !(inner.eq !== undefined && inner.eq.equals(outer.eq)))
    return false;
  if (outer.in !== undefined) {
    const ok =
      (inner.eq !== undefined && inner.eq.equals(outer.in)) ||
      (inner.in !== undefined && inner.in.equals(outer.in));
    if (!ok) return false;
  }
  return true;
}

function actionContains(
  outer: ActionConstraint,
  inner: ActionConstraint,
  env: AnalysisEnv,
  model: SchemaModel | undefined,
): boolean {
  if (outer.op === 'all') return true;
  if (env.action !== undefined && model !== undefined)
    return actionAdmits(outer, env.action, model);
  if (inner.op === 'all') return false;
  const innerUids = inner.op === '==' ? [inner.uid] : inner.uids;
  const outerUids = outer.op === '==' ? [outer.uid] : outer.uids;
  // Without a schema the action hierarchy is unknown: containment by identity only.
  if (outer.op === '==' && inner.op === 'in') return false;
  return innerUids.every((u) => outerUids.some((o) => o.equals(u)));
}

/**
 * True when every request of the environment that `inner`'s scope matches is matched by
 * `outer`'s scope too (decided without entity data: a sound under-approximation).
 */
export function scopeContains(
  outer: PolicyAst,
  inner: PolicyAst,
  env: AnalysisEnv,
  model: SchemaModel | undefined,
): boolean {
  return (
    partContains(norm(outer.principal), norm(inner.principal), env.principalType) &&
    actionContains(outer.action, inner.action, env, model) &&
    partContains(norm(outer.resource), norm(inner.resource), env.resourceType)
  );
}

function partsMayOverlap(
  a: Norm,
  b: Norm,
  type: string | undefined,
  model: SchemaModel | undefined,
): boolean {
  if (!partAdmits(a, type, model) || !partAdmits(b, type, model)) return false;
  if (a.type !== undefined && b.type !== undefined && a.type !== b.type) return false;
  if (a.eq !== undefined && b.eq !== undefined && !a.eq.equals(b.eq)) return false;
  const t = a.type ?? b.type;
  if (t !== undefined) {
    if (a.in !== undefined && !mayBeIn(model, t, a.in.type)) return false;
    if (b.in !== undefined && !mayBeIn(model, t, b.in.type)) return false;
  }
  return true;
}

/** False when no request of the environment can match both scopes. */
export function scopesMayOverlap(
  a: PolicyAst,
  b: PolicyAst,
  env: AnalysisEnv,
  model: SchemaModel | undefined,
): boolean {
  if (!actionAdmits(a.action, env.action, model) || !actionAdmits(b.action, env.action, model))
    return false;
  if (
    env.action === undefined &&
    a.action.op === '==' &&
    b.action.op === '==' &&
    !a.action.uid.equals(b.action.uid)
  ) {
    return false;
  }
  return (
    partsMayOverlap(norm(a.principal), norm(b.principal), env.principalType, model) &&
    partsMayOverlap(norm(a.resource), norm(b.resource), env.resourceType, model)
  );
}
