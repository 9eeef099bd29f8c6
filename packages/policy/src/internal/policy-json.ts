/**
 * Cedar's JSON policy format (the "EST") ↔ {@link PolicyAst}, as Cedar 4 reads and writes it:
 * scopes as `{ op, entity | entities | slot | entity_type, in }`, expressions as one-key objects
 * (`{ "==": { left, right } }`, `{ "Value": 1 }`, `{ "ip": [ … ] }`), `like` patterns as lists
 * of `"Wildcard"` and `{ "Literal": c }` (one per character, as Cedar writes them).
 *
 * Reading is strict where Cedar is: one key per expression object, no unknown fields, no `null`,
 * no slot outside the scope, action entities of type `Action`, only known extension functions.
 * `{ "Value": { "__extn": … } }` becomes a constructor call (a bad literal then fails where Cedar
 * fails, at evaluation), `has` with a list of attributes is desugared as the parser does it, and
 * nesting deeper than `maxExpressionDepth` is an `E_LIMIT_EXCEEDED` error.
 *
 * Writing cannot tell a bare annotation `@a` from `@a("")` (both are `""` in the AST), writes an
 * action list of one entity as `{ op: "in", entity }` (as Cedar does for text), and keeps a
 * desugared `has a.b` as the `&&` it is.
 */
import { describeValue } from '@plinth/core';
import { policyErrors } from '../errors.js';
import { DEFAULT_POLICY_LIMITS } from '../options.js';
import type { CedarJsonValue, PolicyLimits } from '../types.js';
import type {
  ActionConstraint,
  BinaryOp,
  Condition,
  Expr,
  PatternElem,
  PolicyAst,
  ScopeConstraint,
  ScopeTarget,
  SlotName,
  Var,
} from './ast.js';
import { EXTENSION_FUNCTIONS } from './extensions/index.js';
import { isEntityTypeName, valueToJson } from './json-values.js';
import { EntityUID, toLong, type Value } from './values.js';

/** An expression in Cedar's JSON policy format: an object with exactly one key. */
export type ExprJson = { readonly [key: string]: unknown };

/** An entity in a scope: `{ type, id }` (Cedar also reads `{ __entity: { type, id } }`). */
export interface EntityJsonRef {
  readonly type: string;
  readonly id: string;
}

export type ScopeJson =
  | { readonly op: 'All' }
  | { readonly op: '==' | 'in'; readonly entity: EntityJsonRef }
  | { readonly op: '==' | 'in'; readonly slot: SlotName }
  | {
      readonly op: 'is';
      readonly entity_type: string;
      readonly in?: { readonly entity: EntityJsonRef } | { readonly slot: SlotName };
    };

export type ActionScopeJson =
  | { readonly op: 'All' }
  | { readonly op: '=='; readonly entity: EntityJsonRef }
  | { readonly op: 'in'; readonly entity: EntityJsonRef }
  | { readonly op: 'in'; readonly entities: readonly EntityJsonRef[] };

/** One policy or template in Cedar's JSON policy format. */
export interface PolicyJson {
  readonly effect: 'permit' | 'forbid';
  readonly principal: ScopeJson;
  readonly action: ActionScopeJson;
  readonly resource: ScopeJson;
  readonly conditions: readonly { readonly kind: 'when' | 'unless'; readonly body: ExprJson }[];
  /** Absent when the policy has none. */
  readonly annotations?: { readonly [key: string]: string };
}

const BINARY_OPS: ReadonlySet<string> = new Set<BinaryOp>([
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  '+',
  '-',
  '*',
  '&&',
  '||',
  'contains',
  'containsAll',
  'containsAny',
  'hasTag',
  'getTag',
]);
const VARIABLES: ReadonlySet<string> = new Set(['principal', 'action', 'resource', 'context']);
/** Cedar's partial evaluation writes a named unknown as the call `unknown("name")`. */
const UNKNOWN_FN = 'unknown';

// ---------------------------------------------------------------------------------------------
// Reading

function fail(path: string, message: string): never {
  throw policyErrors.create('E_PARSE', `JSON policy ${path}: ${message}`, { details: { path } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function object(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isObject(v)) fail(path, `expected an object, got ${describeValue(v)}`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      fail(path, `unknown field \`${k}\`, expected ${allowed.map((a) => `\`${a}\``).join(', ')}`);
    }
  }
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${describeValue(v)}`);
  return v;
}

function entityType(v: unknown, path: string): string {
  const t = str(v, path);
  if (!isEntityTypeName(t)) fail(path, `invalid entity type ${JSON.stringify(t)}`);
  return t;
}

function entityRef(v: unknown, path: string): EntityUID {
  if (isObject(v) && '__entity' in v && Object.keys(v).length === 1) {
    return entityRef(v.__entity, `${path}.__entity`);
  }
  const o = object(v, path, ['type', 'id']);
  if (!('type' in o) || !('id' in o)) fail(path, 'an entity has the fields `type` and `id`');
  return new EntityUID(entityType(o.type, `${path}.type`), str(o.id, `${path}.id`));
}

function slotName(v: unknown, expected: SlotName, path: string): SlotName {
  if (v !== expected) {
    fail(path, `invalid slot ${describeValue(v)}: only ${expected} may be used here`);
  }
  return expected;
}

function scopeFromJson(v: unknown, slot: SlotName, path: string): ScopeConstraint {
  if (!isObject(v)) fail(path, `expected an object, got ${describeValue(v)}`);
  const target = (o: Record<string, unknown>, p: string): ScopeTarget => {
    if ('slot' in o) return { kind: 'slot', name: slotName(o.slot, slot, `${p}.slot`) };
    if ('entity' in o) return { kind: 'entity', uid: entityRef(o.entity, `${p}.entity`) };
    return fail(p, 'expected `entity` or `slot`');
  };
  switch (v.op) {
    case 'All':
    case 'all':
      object(v, path, ['op']);
      return { op: 'all' };
    case '==':
    case 'in': {
      const o = object(v, path, ['op', 'entity', 'slot']);
      if ('entity' in o && 'slot' in o) fail(path, 'expected one of `entity` and `slot`');
      return { op: v.op, target: target(o, path) };
    }
    case 'is': {
      const o = object(v, path, ['op', 'entity_type', 'in']);
      const et = entityType(o.entity_type, `${path}.entity_type`);
      if (o.in === undefined) return { op: 'is', entityType: et };
      const inner = object(o.in, `${path}.in`, ['entity', 'slot']);
      return { op: 'is', entityType: et, in: target(inner, `${path}.in`) };
    }
    default:
      return fail(`${path}.op`, `unknown scope operator ${describeValue(v.op)}`);
  }
}

function actionEntity(v: unknown, path: string): EntityUID {
  const uid = entityRef(v, path);
  if (uid.type !== 'Action' && !uid.type.endsWith('::Action')) {
    fail(path, `expected an entity uid with type \`Action\` but got \`${uid.key}\``);
  }
  return uid;
}

function actionFromJson(v: unknown, path: string): ActionConstraint {
  if (!isObject(v)) fail(path, `expected an object, got ${describeValue(v)}`);
  switch (v.op) {
    case 'All':
    case 'all':
      object(v, path, ['op']);
      return { op: 'all' };
    case '==': {
      const o = object(v, path, ['op', 'entity']);
      return { op: '==', uid: actionEntity(o.entity, `${path}.entity`) };
    }
    case 'in': {
      const o = object(v, path, ['op', 'entity', 'entities']);
      if ('entities' in o) {
        if ('entity' in o) fail(path, 'expected one of `entity` and `entities`');
        if (!Array.isArray(o.entities)) fail(`${path}.entities`, 'expected an array');
        const uids = o.entities.map((e, i) => actionEntity(e, `${path}.entities[${i}]`));
        return { op: 'in', uids, list: true };
      }
      return { op: 'in', uids: [actionEntity(o.entity, `${path}.entity`)], list: false };
    }
    default:
      return fail(`${path}.op`, `unknown action scope operator ${describeValue(v.op)}`);
  }
}

class ExprReader {
  constructor(private readonly limits: PolicyLimits) {}

  private deeper(depth: number, path: string): number {
    if (depth >= this.limits.maxExpressionDepth) {
      throw policyErrors.create(
        'E_LIMIT_EXCEEDED',
        `JSON policy ${path}: expression nested deeper than maxExpressionDepth (${this.limits.maxExpressionDepth})`,
        { details: { limit: 'maxExpressionDepth', max: this.limits.maxExpressionDepth, path } },
      );
    }
    return depth + 1;
  }

  expr(v: unknown, path: string, depth: number): Expr {
    const d = this.deeper(depth, path);
    if (!isObject(v)) fail(path, `expected an expression object, got ${describeValue(v)}`);
    const keys = Object.keys(v);
    if (keys.length !== 1) {
      fail(path, `an expression object has exactly one key, found ${keys.length}`);
    }
    const key = keys[0]!;
    const body = v[key];
    const at = `${path}[${JSON.stringify(key)}]`;
    if (BINARY_OPS.has(key)) {
      const o = this.fields(body, at, ['left', 'right']);
      return {
        kind: 'binary',
        op: key as BinaryOp,
        left: this.expr(o.left, `${at}.left`, d),
        right: this.expr(o.right, `${at}.right`, d),
      };
    }
    switch (key) {
      case 'Value':
        return this.value(body, at, d);
      case 'Var': {
        if (typeof body !== 'string' || !VARIABLES.has(body)) {
          fail(at, `unknown variable ${describeValue(body)}`);
        }
        return { kind: 'var', name: body as Var };
      }
      case 'Slot':
        return fail(at, 'template slots are only allowed in the policy scope');
      case '!':
      case 'neg':
      case 'isEmpty': {
        const o = this.fields(body, at, ['arg']);
        const arg = this.expr(o.arg, `${at}.arg`, d);
        return { kind: key === '!' ? 'not' : key, arg };
      }
      case '.': {
        const o = this.fields(body, at, ['left', 'attr']);
        return {
          kind: 'getAttr',
          object: this.expr(o.left, `${at}.left`, d),
          attr: str(o.attr, `${at}.attr`),
        };
      }
      case 'has':
        return this.has(body, at, d);
      case 'like': {
        const o = this.fields(body, at, ['left', 'pattern']);
        return {
          kind: 'like',
          object: this.expr(o.left, `${at}.left`, d),
          pattern: pattern(o.pattern, `${at}.pattern`),
        };
      }
      case 'is': {
        const o = object(body, at, ['left', 'entity_type', 'in']);
        if (!('left' in o) || !('entity_type' in o)) fail(at, 'expected `left` and `entity_type`');
        const object_ = this.expr(o.left, `${at}.left`, d);
        const et = entityType(o.entity_type, `${at}.entity_type`);
        if (o.in === undefined) return { kind: 'is', object: object_, entityType: et };
        return { kind: 'is', object: object_, entityType: et, in: this.expr(o.in, `${at}.in`, d) };
      }
      case 'if-then-else': {
        const o = this.fields(body, at, ['if', 'then', 'else']);
        return {
          kind: 'if',
          cond: this.expr(o.if, `${at}.if`, d),
          then: this.expr(o.then, `${at}.then`, d),
          else: this.expr(o.else, `${at}.else`, d),
        };
      }
      case 'Set': {
        if (!Array.isArray(body)) fail(at, `expected an array, got ${describeValue(body)}`);
        return { kind: 'set', elements: body.map((e, i) => this.expr(e, `${at}[${i}]`, d)) };
      }
      case 'Record': {
        if (!isObject(body)) fail(at, `expected an object, got ${describeValue(body)}`);
        return {
          kind: 'record',
          fields: Object.keys(body).map(
            (k) => [k, this.expr(body[k], `${at}[${JSON.stringify(k)}]`, d)] as const,
          ),
        };
      }
      default:
        return this.call(key, body, at, d);
    }
  }

  /** An object with exactly `names` as its fields. */
  private fields(v: unknown, path: string, names: readonly string[]): Record<string, unknown> {
    const o = object(v, path, names);
    for (const n of names) if (!(n in o)) fail(path, `missing field \`${n}\``);
    return o;
  }

  private has(body: unknown, at: string, d: number): Expr {
    const o = this.fields(body, at, ['left', 'attr']);
    const left = this.expr(o.left, `${at}.left`, d);
    const attrs = o.attr;
    if (typeof attrs === 'string') return { kind: 'hasAttr', object: left, attr: attrs };
    if (!Array.isArray(attrs) || attrs.length === 0) {
      fail(`${at}.attr`, 'expected a string or a non-empty list of strings');
    }
    let target = left;
    let result: Expr | undefined;
    attrs.forEach((a, i) => {
      const attr = str(a, `${at}.attr[${i}]`);
      const test: Expr = { kind: 'hasAttr', object: target, attr };
      result =
        result === undefined ? test : { kind: 'binary', op: '&&', left: result, right: test };
      target = { kind: 'getAttr', object: target, attr };
    });
    return result!;
  }

  private call(fn: string, body: unknown, at: string, d: number): Expr {
    if (fn === UNKNOWN_FN) {
      if (!Array.isArray(body) || body.length !== 1) fail(at, '`unknown` takes one string');
      const arg = this.expr(body[0], `${at}[0]`, d);
      if (arg.kind !== 'lit' || typeof arg.value !== 'string') {
        fail(`${at}[0]`, '`unknown` takes a string literal');
      }
      return { kind: 'unknown', name: arg.value };
    }
    if (!EXTENSION_FUNCTIONS.has(fn)) fail(at, `unknown extension function \`${fn}\``);
    if (!Array.isArray(body)) fail(at, `expected a list of arguments, got ${describeValue(body)}`);
    return { kind: 'call', fn, args: body.map((e, i) => this.expr(e, `${at}[${i}]`, d)) };
  }

  /** A `Value` (Cedar's JSON value format) as an expression. */
  value(v: unknown, path: string, depth: number): Expr {
    switch (typeof v) {
      case 'boolean':
      case 'string':
        return { kind: 'lit', value: v };
      case 'number':
      case 'bigint':
        return { kind: 'lit', value: long(v, path) };
      default:
        break;
    }
    if (v === null) fail(path, 'JSON `null`s are not allowed in Cedar');
    const d = this.deeper(depth, path);
    if (Array.isArray(v)) {
      return { kind: 'set', elements: v.map((e, i) => this.value(e, `${path}[${i}]`, d)) };
    }
    if (!isObject(v)) fail(path, `not a Cedar value: ${describeValue(v)}`);
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '__entity') {
      return { kind: 'lit', value: entityRef(v.__entity, `${path}.__entity`) };
    }
    if (keys.length === 1 && keys[0] === '__extn') {
      const o = this.fields(v.__extn, `${path}.__extn`, ['fn', 'arg']);
      const fn = str(o.fn, `${path}.__extn.fn`);
      if (EXTENSION_FUNCTIONS.get(fn)?.style !== 'function') {
        fail(`${path}.__extn.fn`, `unknown extension constructor \`${fn}\``);
      }
      return this.call(fn, [{ Value: o.arg }], path, d);
    }
    return {
      kind: 'record',
      fields: keys.map((k) => [k, this.value(v[k], `${path}[${JSON.stringify(k)}]`, d)] as const),
    };
  }
}

/** A Long from a JSON number (an integer within the 64-bit range) or a bigint. */
function long(v: number | bigint, path: string): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(path, `expected an integer (Cedar Long), got ${v}`);
    if (Number.isSafeInteger(v)) return v === 0 ? 0 : v;
    v = BigInt(v);
  }
  const n = toLong(v);
  if (n === undefined) fail(path, `integer ${v} is outside the 64-bit Long range`);
  return n;
}

function pattern(v: unknown, path: string): PatternElem[] {
  if (!Array.isArray(v)) fail(path, `expected a list of pattern elements, got ${describeValue(v)}`);
  const out: PatternElem[] = [];
  let run = '';
  v.forEach((el, i) => {
    if (el === 'Wildcard') {
      if (run !== '') out.push({ literal: run });
      run = '';
      out.push('wildcard');
      return;
    }
    const o = object(el, `${path}[${i}]`, ['Literal']);
    run += str(o.Literal, `${path}[${i}].Literal`);
  });
  if (run !== '') out.push({ literal: run });
  return out;
}

/**
 * A policy or template in Cedar's JSON policy format → AST. Throws `E_PARSE` (details.path
 * names the offending part) or `E_LIMIT_EXCEEDED`.
 */
export function policyFromJson(json: unknown, limits?: Partial<PolicyLimits>): PolicyAst {
  const l = limits === undefined ? DEFAULT_POLICY_LIMITS : { ...DEFAULT_POLICY_LIMITS, ...limits };
  const o = object(json, 'policy', [
    'effect',
    'principal',
    'action',
    'resource',
    'conditions',
    'annotations',
  ]);
  if (o.effect !== 'permit' && o.effect !== 'forbid') {
    fail('effect', `expected "permit" or "forbid", got ${describeValue(o.effect)}`);
  }
  for (const k of ['principal', 'action', 'resource', 'conditions']) {
    if (!(k in o)) fail('policy', `missing field \`${k}\``);
  }
  const reader = new ExprReader(l);
  if (!Array.isArray(o.conditions)) fail('conditions', 'expected an array');
  const conditions: Condition[] = o.conditions.map((c, i) => {
    const at = `conditions[${i}]`;
    const co = object(c, at, ['kind', 'body']);
    if (co.kind !== 'when' && co.kind !== 'unless') {
      fail(`${at}.kind`, `expected "when" or "unless", got ${describeValue(co.kind)}`);
    }
    return { kind: co.kind, body: reader.expr(co.body, `${at}.body`, 0) };
  });
  const annotations = new Map<string, string>();
  if (o.annotations !== undefined) {
    if (!isObject(o.annotations)) fail('annotations', 'expected an object');
    for (const [k, v] of Object.entries(o.annotations)) {
      if (!/^[_a-zA-Z][_a-zA-Z0-9]*$/.test(k))
        fail('annotations', `invalid annotation key ${JSON.stringify(k)}`);
      annotations.set(k, v === null ? '' : str(v, `annotations[${JSON.stringify(k)}]`));
    }
  }
  return {
    effect: o.effect,
    principal: scopeFromJson(o.principal, '?principal', 'principal'),
    action: actionFromJson(o.action, 'action'),
    resource: scopeFromJson(o.resource, '?resource', 'resource'),
    conditions,
    annotations,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing

function uidJson(uid: EntityUID): EntityJsonRef {
  return { type: uid.type, id: uid.id };
}

function targetJson(t: ScopeTarget): { entity: EntityJsonRef } | { slot: SlotName } {
  return t.kind === 'slot' ? { slot: t.name } : { entity: uidJson(t.uid) };
}

function scopeToJson(c: ScopeConstraint): ScopeJson {
  switch (c.op) {
    case 'all':
      return { op: 'All' };
    case '==':
    case 'in':
      return { op: c.op, ...targetJson(c.target) };
    case 'is':
      return c.in === undefined
        ? { op: 'is', entity_type: c.entityType }
        : { op: 'is', entity_type: c.entityType, in: targetJson(c.in) };
  }
}

function actionToJson(c: ActionConstraint): ActionScopeJson {
  switch (c.op) {
    case 'all':
      return { op: 'All' };
    case '==':
      return { op: '==', entity: uidJson(c.uid) };
    case 'in':
      return c.uids.length === 1
        ? { op: 'in', entity: uidJson(c.uids[0]!) }
        : { op: 'in', entities: c.uids.map(uidJson) };
  }
}

function literalJson(v: Value): CedarJsonValue {
  return valueToJson(v);
}

function patternJson(p: readonly PatternElem[]): unknown[] {
  const out: unknown[] = [];
  for (const el of p) {
    if (el === 'wildcard') out.push('Wildcard');
    else for (const ch of el.literal) out.push({ Literal: ch });
  }
  return out;
}

/** An expression → Cedar's JSON policy format. */
export function exprToJson(e: Expr): ExprJson {
  switch (e.kind) {
    case 'lit':
      return { Value: literalJson(e.value) };
    case 'var':
      return { Var: e.name };
    case 'slot':
      return { Slot: e.name };
    case 'unknown':
      return { [UNKNOWN_FN]: [{ Value: e.name }] };
    case 'not':
      return { '!': { arg: exprToJson(e.arg) } };
    case 'neg':
      return { neg: { arg: exprToJson(e.arg) } };
    case 'isEmpty':
      return { isEmpty: { arg: exprToJson(e.arg) } };
    case 'binary':
      return { [e.op]: { left: exprToJson(e.left), right: exprToJson(e.right) } };
    case 'if':
      return {
        'if-then-else': {
          if: exprToJson(e.cond),
          then: exprToJson(e.then),
          else: exprToJson(e.else),
        },
      };
    case 'getAttr':
      return { '.': { left: exprToJson(e.object), attr: e.attr } };
    case 'hasAttr':
      return { has: { left: exprToJson(e.object), attr: e.attr } };
    case 'like':
      return { like: { left: exprToJson(e.object), pattern: patternJson(e.pattern) } };
    case 'is':
      return {
        is:
          e.in === undefined
            ? { left: exprToJson(e.object), entity_type: e.entityType }
            : { left: exprToJson(e.object), entity_type: e.entityType, in: exprToJson(e.in) },
      };
    case 'set':
      return { Set: e.elements.map(exprToJson) };
    case 'record': {
      const fields = [...e.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { Record: Object.fromEntries(fields.map(([k, v]) => [k, exprToJson(v)])) };
    }
    case 'call':
      return { [e.fn]: e.args.map(exprToJson) };
  }
}

/** A policy or template → Cedar's JSON policy format (record keys and annotations sorted, as Cedar writes them). */
export function policyToJson(ast: PolicyAst): PolicyJson {
  const base = {
    effect: ast.effect,
    principal: scopeToJson(ast.principal),
    action: actionToJson(ast.action),
    resource: scopeToJson(ast.resource),
    conditions: ast.conditions.map((c) => ({ kind: c.kind, body: exprToJson(c.body) })),
  };
  if (ast.annotations.size === 0) return base;
  const keys = [...ast.annotations.keys()].sort();
  return {
    ...base,
    annotations: Object.fromEntries(keys.map((k) => [k, ast.annotations.get(k)!])),
  };
}

/** Parses an expression in Cedar's JSON policy format (a `when` body). */
export function exprFromJson(json: unknown, limits?: Partial<PolicyLimits>): Expr {
  const l = limits === undefined ? DEFAULT_POLICY_LIMITS : { ...DEFAULT_POLICY_LIMITS, ...limits };
  return new ExprReader(l).expr(json, 'expression', 0);
}
