/**
 * Validation of policies against a Cedar schema, as Cedar's strict-mode validator does it:
 * every entity type and action a policy names must be declared, and the policy must typecheck
 * in every request environment (principal type, action, resource type) the schema allows.
 * A policy that can never apply (its scope or condition is false in every environment) gets an
 * `impossiblePolicy` warning; warnings do not make a policy invalid.
 */
import { policyErrors } from './errors.js';
import { Schema } from './schema.js';
import type {
  ActionConstraint,
  Expr,
  PolicyAst,
  ScopeConstraint,
  ScopeTarget,
  SlotName,
  Span,
} from './internal/ast.js';
import { lineColumn } from './internal/location.js';
import type { SchemaModel } from './internal/schema/model.js';
import { BOOL, FALSE, TRUE, recordTy, type Ty } from './internal/static-types.js';
import {
  Typechecker,
  type Caps,
  type TypeEnv,
  type TypeIssue,
  type ValidationIssueCode,
} from './internal/typecheck.js';
import { EntityUID } from './internal/values.js';

export type { ValidationIssueCode } from './internal/typecheck.js';

/** One finding about one policy. */
export interface ValidationIssue {
  readonly policyId: string;
  readonly code: ValidationIssueCode;
  /** Errors make the policy (and the result) invalid; warnings do not. */
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** Offset of the culprit in the policy's own text (when the policy was parsed from text). */
  readonly offset?: number;
  /** The culprit's span in the parsed document (offsets as the parser gave them). */
  readonly span?: Span;
  /** Length of the culprit's source span. */
  readonly length?: number;
  /** 1-based line and column of {@link offset} in the policy's text (when the text is given). */
  readonly line?: number;
  readonly column?: number;
}

export interface ValidationResult {
  /** True when no policy has an error (warnings allowed). */
  readonly valid: boolean;
  readonly issues: readonly ValidationIssue[];
}

/** What the validator reads of a policy; `Policy` from a `PolicySet` fits. */
export interface ValidatablePolicy {
  readonly id: string;
  readonly ast: PolicyAst;
  /** The policy's source text, for line and column of issues. */
  readonly text?: string;
  /**
   * Set for a template-linked policy: as Cedar does, only the linked values are checked (the
   * template itself is typechecked under its own id).
   */
  readonly templateId?: string;
}

/** An array of policies, or a policy set (its templates are validated too when it has `templates()`). */
export type ValidationInput =
  | readonly ValidatablePolicy[]
  | {
      policies(): readonly ValidatablePolicy[];
      templates?(): readonly ValidatablePolicy[];
    };

export interface ValidateOptions {
  /** Cedar's validation mode; only `strict` (Cedar's default) is implemented. @default 'strict' */
  readonly mode?: 'strict';
}

/** Validates policies against `schema` in Cedar's strict mode. */
export function validatePolicies(
  schema: Schema,
  policies: ValidationInput,
  options: ValidateOptions = {},
): ValidationResult {
  if (!(schema instanceof Schema)) {
    throw policyErrors.create('E_INVALID_ARGUMENT', 'validatePolicies expects a Schema');
  }
  if (options.mode !== undefined && options.mode !== 'strict') {
    throw policyErrors.create(
      'E_INVALID_OPTION',
      `validation mode ${JSON.stringify(options.mode)} is not supported; use 'strict'`,
    );
  }
  const list = policyList(policies);
  if (!list) {
    throw policyErrors.create(
      'E_INVALID_ARGUMENT',
      'validatePolicies expects an array of policies or a PolicySet',
    );
  }
  const issues: ValidationIssue[] = [];
  for (const p of list) issues.push(...issuesOf(schema.model, p));
  return { valid: !issues.some((i) => i.severity === 'error'), issues };
}

function policyList(input: ValidationInput): readonly ValidatablePolicy[] | undefined {
  if (Array.isArray(input)) return input as readonly ValidatablePolicy[];
  const set = input as Exclude<ValidationInput, readonly ValidatablePolicy[]>;
  if (typeof set.policies !== 'function') return undefined;
  const templates = typeof set.templates === 'function' ? set.templates() : [];
  return [...templates, ...set.policies()];
}

/** The issues (errors and warnings) of one policy, template or link against `schema`. */
export function validatePolicy(schema: Schema, policy: ValidatablePolicy): ValidationIssue[] {
  if (!(schema instanceof Schema)) {
    throw policyErrors.create('E_INVALID_ARGUMENT', 'validatePolicy expects a Schema');
  }
  return issuesOf(schema.model, policy);
}

function issuesOf(model: SchemaModel, policy: ValidatablePolicy): ValidationIssue[] {
  const found: TypeIssue[] = [];
  const warnings: TypeIssue[] = [];
  checkNames(model, policy, found);
  let anyScope = false;
  let anyLive = false;
  const linked = policy.templateId !== undefined;
  for (const env of environments(model, policy.ast)) {
    const scope = scopeType(model, policy.ast, env);
    if (scope.k === 'false') continue;
    anyScope = true;
    if (linked) {
      anyLive = true;
      continue;
    }
    const tc = new Typechecker(model, env);
    let live = true;
    let caps: Caps = [];
    for (const c of policy.ast.conditions) {
      const r = tc.expectBool(c.body, caps);
      // `unless { e }` is `!e`: false exactly when `e` is true.
      const dead = c.kind === 'when' ? r.ty.k === 'false' : r.ty.k === 'true';
      if (dead) {
        live = false;
        break;
      }
      if (c.kind === 'when' && r.caps.length > 0) caps = [...caps, ...r.caps];
    }
    if (live) anyLive = true;
    found.push(...tc.issues);
  }
  const span = policy.ast.span;
  if (!anyScope) {
    warnings.push({
      code: 'invalidActionApplication',
      message: 'unable to find an applicable action given the policy scope constraints',
      ...(span ? { span } : {}),
    });
  }
  if (!anyLive && !linked) {
    warnings.push({
      code: 'impossiblePolicy',
      message:
        'policy is impossible: the policy expression evaluates to false for all valid requests',
      ...(span ? { span } : {}),
    });
  }
  const out: ValidationIssue[] = [];
  const seen = new Set<string>();
  const emit = (i: TypeIssue, severity: 'error' | 'warning'): void => {
    const key = `${i.code}\u0000${i.message}\u0000${i.span?.start ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(toIssue(policy, i, severity));
  };
  for (const i of found) emit(i, 'error');
  for (const i of warnings) emit(i, 'warning');
  return out;
}

function toIssue(
  policy: ValidatablePolicy,
  i: TypeIssue,
  severity: 'error' | 'warning',
): ValidationIssue {
  const base = {
    policyId: policy.id,
    code: i.code,
    severity,
    message: `policy \`${policy.id}\`: ${i.message}`,
  };
  if (!i.span) return base;
  // Spans are offsets in the parsed document; the policy's text starts at the policy's span.
  const offset = i.span.start - (policy.ast.span?.start ?? 0);
  const where = { offset, length: i.span.end - i.span.start, span: i.span };
  return policy.text === undefined
    ? { ...base, ...where }
    : { ...base, ...where, ...lineColumn(policy.text, offset) };
}

/** The schema's environments (no slots bound), computed once per schema. */
const BASE_ENVS = new WeakMap<SchemaModel, readonly TypeEnv[]>();

function baseEnvironments(model: SchemaModel): readonly TypeEnv[] {
  let envs = BASE_ENVS.get(model);
  if (envs) return envs;
  const out: TypeEnv[] = [];
  for (const a of model.actions.values()) {
    if (!a.appliesTo) continue;
    const action = new EntityUID(a.type, a.id);
    const context = recordTy(a.appliesTo.context, a.appliesTo.contextOpen);
    for (const principal of a.appliesTo.principalTypes) {
      for (const resource of a.appliesTo.resourceTypes) {
        out.push({ principal, action, resource, context, slots: {} });
      }
    }
  }
  envs = out;
  BASE_ENVS.set(model, envs);
  return envs;
}

/** Every environment the schema allows, with each slot of a template bound to each entity type. */
function environments(model: SchemaModel, p: PolicyAst): readonly TypeEnv[] {
  const slots: SlotName[] = [];
  const slotOf = (c: ScopeConstraint): void => {
    const t = c.op === '==' || c.op === 'in' ? c.target : c.op === 'is' ? c.in : undefined;
    if (t?.kind === 'slot' && !slots.includes(t.name)) slots.push(t.name);
  };
  slotOf(p.principal);
  slotOf(p.resource);
  const base = baseEnvironments(model);
  if (slots.length === 0) return base;
  let bindings: Partial<Record<SlotName, string>>[] = [{}];
  for (const s of slots) {
    bindings = bindings.flatMap((b) =>
      [...model.entityTypes.keys()].map((t) => ({ ...b, [s]: t })),
    );
  }
  return base.flatMap((env) => bindings.map((slotTypes) => ({ ...env, slots: slotTypes })));
}

/** The type of the scope in an environment: `false` when the policy cannot apply there. */
function scopeType(model: SchemaModel, p: PolicyAst, env: TypeEnv): Ty {
  const targetType = (t: ScopeTarget): string | undefined =>
    t.kind === 'entity' ? t.uid.type : env.slots[t.name];
  const part = (c: ScopeConstraint, varType: string): Ty => {
    switch (c.op) {
      case 'all':
        return TRUE;
      case '==':
        return targetType(c.target) === varType ? BOOL : FALSE;
      case 'in': {
        const t = targetType(c.target);
        return t !== undefined && model.entityDescendants.get(t)?.has(varType) ? BOOL : FALSE;
      }
      case 'is': {
        if (c.entityType !== varType) return FALSE;
        return c.in ? part({ op: 'in', target: c.in }, varType) : TRUE;
      }
    }
  };
  const action = (c: ActionConstraint): Ty => {
    switch (c.op) {
      case 'all':
        return TRUE;
      case '==':
        return c.uid.equals(env.action) ? TRUE : FALSE;
      case 'in':
        return c.uids.some((u) => model.actionDescendants.get(u.key)?.has(env.action.key))
          ? TRUE
          : FALSE;
    }
  };
  const parts = [
    part(p.principal, env.principal),
    action(p.action),
    part(p.resource, env.resource),
  ];
  return parts.some((t) => t.k === 'false') ? FALSE : BOOL;
}

/** Undeclared entity types and actions, and enum ids outside their enumeration, anywhere in the policy. */
function checkNames(model: SchemaModel, policy: ValidatablePolicy, out: TypeIssue[]): void {
  const p = policy.ast;
  const text = policy.text;
  // Scope targets and `is` type names carry no span of their own: find them in the text.
  const find = (
    span: Span | undefined,
    needles: readonly string[],
    from?: number,
  ): Span | undefined => {
    if (!span || text === undefined) return span;
    const origin = p.span?.start ?? 0;
    for (const needle of needles) {
      const at = text.indexOf(needle, (from ?? span.start) - origin);
      if (at >= 0 && at + origin < span.end) {
        return { start: at + origin, end: at + origin + needle.length };
      }
    }
    return span;
  };
  const scopeUid = (u: EntityUID, span: Span | undefined): void =>
    uid(u, find(span, [u.key, `${u.type}::`]));
  const uid = (u: EntityUID, span: Span | undefined): void => {
    if (model.actionTypes.has(u.type)) {
      if (!model.actions.has(u.key))
        push('unknownAction', `unrecognized action \`${u.key}\``, span);
      return;
    }
    const def = model.entityTypes.get(u.type);
    if (!def) {
      push('unknownEntityType', `unrecognized entity type \`${u.type}\``, span);
    } else if (def.enum && !def.enum.includes(u.id)) {
      push(
        'invalidEnumEntity',
        `entity \`${u.key}\` is of an enumerated entity type, but \`${JSON.stringify(u.id)}\` is not declared as a valid eid`,
        span,
      );
    }
  };
  const typeName = (t: string, span: Span | undefined): void => {
    if (!model.entityTypes.has(t) && !model.actionTypes.has(t)) {
      push('unknownEntityType', `unrecognized entity type \`${t}\``, span);
    }
  };
  const push = (code: ValidationIssueCode, message: string, span: Span | undefined): void => {
    out.push(span ? { code, message, span } : { code, message });
  };
  const scope = (c: ScopeConstraint, span: Span | undefined): void => {
    if ((c.op === '==' || c.op === 'in') && c.target.kind === 'entity') {
      scopeUid(c.target.uid, span);
    }
    if (c.op === 'is') {
      typeName(c.entityType, find(span, [c.entityType]));
      if (c.in?.kind === 'entity') scopeUid(c.in.uid, span);
    }
  };
  scope(p.principal, p.scopeSpans?.principal);
  if (p.action.op === '==') scopeUid(p.action.uid, p.scopeSpans?.action);
  if (p.action.op === 'in') for (const u of p.action.uids) scopeUid(u, p.scopeSpans?.action);
  scope(p.resource, p.scopeSpans?.resource);
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'lit':
        if (e.value instanceof EntityUID) uid(e.value, e.span);
        return;
      case 'var':
      case 'slot':
      case 'unknown':
        return;
      case 'not':
      case 'neg':
      case 'isEmpty':
        return walk(e.arg);
      case 'binary':
        walk(e.left);
        return walk(e.right);
      case 'if':
        walk(e.cond);
        walk(e.then);
        return walk(e.else);
      case 'getAttr':
      case 'hasAttr':
      case 'like':
        return walk(e.object);
      case 'is':
        walk(e.object);
        typeName(e.entityType, find(e.span, [e.entityType], e.object.span?.end));
        if (e.in) walk(e.in);
        return;
      case 'set':
        return e.elements.forEach(walk);
      case 'record':
        return e.fields.forEach(([, v]) => walk(v));
      case 'call':
        return e.args.forEach(walk);
    }
  };
  for (const c of p.conditions) walk(c.body);
}
