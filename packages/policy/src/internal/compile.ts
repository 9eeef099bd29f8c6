/**
 * The policy compiler: each policy becomes a tree of JS closures, one per AST node, specialised
 * on the node's shape (a constant operand, a `like` pattern without wildcards, `principal in`
 * a literal, …). Subtrees without variables are folded to constants at compile time unless
 * folding raises an error, which then happens at evaluation, where Cedar raises it. Nothing of
 * the user's text is ever handed to `eval` or `new Function`.
 */
import type { NearMiss } from '../types.js';
import type {
  ActionConstraint,
  BinaryOp,
  Condition,
  Expr,
  PatternElem,
  PolicyAst,
  ScopeConstraint,
  ScopeTarget,
} from './ast.js';
import { EvalError, typeError } from './eval-error.js';
import { EXTENSION_FUNCTIONS } from './extensions/index.js';
import {
  EMPTY_LOOKUP,
  add,
  compare,
  contains,
  containsAll,
  containsAny,
  getAttr,
  getTag,
  hasAttr,
  hasTag,
  inOp,
  isEmpty,
  isType,
  likeMatch,
  mul,
  neg,
  sub,
  type EntityLookup,
} from './ops.js';
import { printExpr } from './printer.js';
import { CedarRecord, CedarSet, EntityUID, typeName, valueEquals, type Value } from './values.js';

/** What a policy is evaluated against: the request and the entity store. */
export interface EvalEnv {
  readonly principal: EntityUID;
  readonly action: EntityUID;
  readonly resource: EntityUID;
  readonly context: CedarRecord;
  readonly store: EntityLookup;
}

/** The part of a policy the compiler reads (a `Policy` of a `PolicySet` is one). */
export interface CompilablePolicy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  readonly ast: PolicyAst;
}

/** How one policy fared on one request (coverage and near misses use it). */
export interface PolicyTrace {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  readonly outcome: 'satisfied' | 'notApplicable' | 'error';
  /** The first part that was false (or raised the error). */
  readonly failed?: 'principal' | 'action' | 'resource' | 'condition';
  /** Index of that condition, with `failed: 'condition'`. */
  readonly condition?: number;
  /** The error message, with `outcome: 'error'`. */
  readonly error?: string;
}

type Fn = (env: EvalEnv) => Value;
type Pred = (env: EvalEnv) => boolean;

export interface CompiledPolicy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  readonly policy: CompilablePolicy;
  /** Scope and conditions (throws {@link EvalError}). */
  evaluate(env: EvalEnv): boolean;
  /** Like {@link evaluate}, with the first false part; never throws. */
  trace(env: EvalEnv): PolicyTrace;
  /** Principal and resource scope and conditions, for callers that matched the action already. */
  readonly matchAfterAction: Pred;
  /** The first false part as a near miss (on a request where the policy is not satisfied). */
  nearMiss(env: EvalEnv): NearMiss | undefined;
  /** `[id]`, shared, for single-policy answers. */
  readonly idList: readonly string[];
}

/** A compiled subtree: its closure, and the value when it folded to a constant. */
interface Node {
  readonly fn: Fn;
  readonly constant: boolean;
  readonly value?: Value;
  /** True when the closure always returns a Bool (no check needed where a Bool is required). */
  readonly bool: boolean;
}

const FOLD_ENV: EvalEnv = Object.freeze({
  principal: new EntityUID('__cedar::Fold', ''),
  action: new EntityUID('__cedar::Fold', ''),
  resource: new EntityUID('__cedar::Fold', ''),
  context: new CedarRecord(new Map()),
  store: EMPTY_LOOKUP,
});

function constant(value: Value): Node {
  return { fn: () => value, constant: true, value, bool: typeof value === 'boolean' };
}

function dynamic(fn: Fn, bool = false): Node {
  return { fn, constant: false, bool };
}

/** Folds a node whose inputs are all constants; an error stays in the closure, raised when run. */
function fold(fn: Fn, bool = false): Node {
  try {
    return constant(fn(FOLD_ENV));
  } catch (e) {
    if (e instanceof EvalError) return dynamic(fn, bool);
    throw e;
  }
}

function thrower(kind: EvalError['kind'], message: string): Node {
  return dynamic(() => {
    throw new EvalError(kind, message);
  });
}

function boolOf(v: Value, where: string): boolean {
  if (v === true) return true;
  if (v === false) return false;
  return typeError('Bool', typeName(v), where);
}

/** A closure that returns the node's value as a Bool (type error otherwise). */
function asPred(n: Node, where: string): Pred {
  if (n.constant && typeof n.value === 'boolean') {
    const v = n.value;
    return () => v;
  }
  const f = n.fn;
  if (n.bool) return f as Pred;
  return (env) => boolOf(f(env), where);
}

/** Compiles an expression into a closure. */
export function compileExpr(e: Expr): Fn {
  return compileNode(e).fn;
}

function compileNode(e: Expr): Node {
  switch (e.kind) {
    case 'lit':
      return constant(e.value);
    case 'var':
      switch (e.name) {
        case 'principal':
          return dynamic((env) => env.principal);
        case 'action':
          return dynamic((env) => env.action);
        case 'resource':
          return dynamic((env) => env.resource);
        default:
          return dynamic((env) => env.context);
      }
    case 'slot':
      return thrower('unlinkedSlot', `template slot ${e.name} is not linked`);
    case 'unknown':
      return thrower('unknown', `unknown \`${e.name}\` has no value`);
    case 'not': {
      const a = compileNode(e.arg);
      const p = asPred(a, '`!`');
      const fn: Fn = (env) => !p(env);
      return a.constant ? fold(fn, true) : dynamic(fn, true);
    }
    case 'neg': {
      const a = compileNode(e.arg);
      const f = a.fn;
      const fn: Fn = (env) => neg(f(env));
      return a.constant ? fold(fn) : dynamic(fn);
    }
    case 'isEmpty': {
      const a = compileNode(e.arg);
      const f = a.fn;
      const fn: Fn = (env) => isEmpty(f(env));
      return a.constant ? fold(fn, true) : dynamic(fn, true);
    }
    case 'if':
      return compileIf(e.cond, e.then, e.else);
    case 'binary':
      return compileBinary(e.op, e.left, e.right);
    case 'getAttr': {
      const o = compileNode(e.object);
      const f = o.fn;
      const attr = e.attr;
      const fn: Fn = (env) => getAttr(env.store, f(env), attr);
      return o.constant && !(o.value instanceof EntityUID) ? fold(fn) : dynamic(fn);
    }
    case 'hasAttr': {
      const o = compileNode(e.object);
      const f = o.fn;
      const attr = e.attr;
      const fn: Fn = (env) => hasAttr(env.store, f(env), attr);
      return o.constant && !(o.value instanceof EntityUID) ? fold(fn, true) : dynamic(fn, true);
    }
    case 'like':
      return compileLike(compileNode(e.object), e.pattern);
    case 'is': {
      const o = compileNode(e.object);
      const f = o.fn;
      const t = e.entityType;
      if (e.in === undefined) {
        const fn: Fn = (env) => isType(f(env), t);
        return o.constant ? fold(fn, true) : dynamic(fn, true);
      }
      // `x is T in y` is `x is T && x in y`: `y` is evaluated only for a `T`.
      const g = compileNode(e.in).fn;
      return dynamic((env) => {
        const v = f(env);
        return isType(v, t) && inOp(env.store, v, g(env));
      }, true);
    }
    case 'set':
      return compileSet(e.elements.map(compileNode));
    case 'record':
      return compileRecord(e.fields.map(([k, x]) => [k, compileNode(x)] as const));
    case 'call':
      return compileCall(e.fn, e.args.map(compileNode));
  }
}

function compileIf(c: Expr, t: Expr, f: Expr): Node {
  const cond = compileNode(c);
  const then = compileNode(t);
  const other = compileNode(f);
  if (cond.constant && typeof cond.value === 'boolean') return cond.value ? then : other;
  const p = asPred(cond, '`if`');
  const a = then.fn;
  const b = other.fn;
  return dynamic((env) => (p(env) ? a(env) : b(env)), then.bool && other.bool);
}

function compileBinary(op: BinaryOp, l: Expr, r: Expr): Node {
  const left = compileNode(l);
  const right = compileNode(r);
  const both = left.constant && right.constant;
  const a = left.fn;
  const b = right.fn;
  switch (op) {
    case '&&': {
      const pr = asPred(right, '`&&`');
      if (left.constant && left.value === false) return constant(false);
      if (left.constant && left.value === true) {
        return right.constant && typeof right.value === 'boolean' ? right : dynamic(pr, true);
      }
      const pl = asPred(left, '`&&`');
      return dynamic((env) => pl(env) && pr(env), true);
    }
    case '||': {
      const pr = asPred(right, '`||`');
      if (left.constant && left.value === true) return constant(true);
      if (left.constant && left.value === false) {
        return right.constant && typeof right.value === 'boolean' ? right : dynamic(pr, true);
      }
      const pl = asPred(left, '`||`');
      return dynamic((env) => pl(env) || pr(env), true);
    }
    case '==':
    case '!=': {
      const eq = equalsFn(left, right);
      if (both) return constant(op === '==' ? eq(FOLD_ENV) : !eq(FOLD_ENV));
      return dynamic(op === '==' ? eq : (env) => !eq(env), true);
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const fn: Fn = (env) => compare(op, a(env), b(env));
      return both ? fold(fn, true) : dynamic(fn, true);
    }
    case '+': {
      const fn: Fn = (env) => add(a(env), b(env));
      return both ? fold(fn) : dynamic(fn);
    }
    case '-': {
      const fn: Fn = (env) => sub(a(env), b(env));
      return both ? fold(fn) : dynamic(fn);
    }
    case '*': {
      const fn: Fn = (env) => mul(a(env), b(env));
      return both ? fold(fn) : dynamic(fn);
    }
    case 'in':
      return compileIn(left, right);
    case 'contains': {
      const fn: Fn = (env) => contains(a(env), b(env));
      return both ? fold(fn, true) : dynamic(fn, true);
    }
    case 'containsAll': {
      const fn: Fn = (env) => containsAll(a(env), b(env));
      return both ? fold(fn, true) : dynamic(fn, true);
    }
    case 'containsAny': {
      const fn: Fn = (env) => containsAny(a(env), b(env));
      return both ? fold(fn, true) : dynamic(fn, true);
    }
    case 'hasTag':
      return dynamic((env) => hasTag(env.store, a(env), b(env)), true);
    case 'getTag':
      return dynamic((env) => getTag(env.store, a(env), b(env)));
  }
}

/** `==` specialised on a constant side (never an error). */
function equalsFn(left: Node, right: Node): Pred {
  const a = left.fn;
  const b = right.fn;
  const k = right.constant ? right.value : left.constant ? left.value : undefined;
  const other = right.constant ? a : b;
  if (k !== undefined && !(left.constant && right.constant)) {
    if (typeof k !== 'object') return (env) => other(env) === k;
    if (k instanceof EntityUID) {
      const { type, id } = k;
      return (env) => {
        const v = other(env);
        return v instanceof EntityUID && v.id === id && v.type === type;
      };
    }
    return (env) => valueEquals(other(env), k);
  }
  return (env) => valueEquals(a(env), b(env));
}

function compileIn(left: Node, right: Node): Node {
  const a = left.fn;
  const b = right.fn;
  const k = right.value;
  if (right.constant && k instanceof EntityUID) {
    return dynamic((env) => {
      const v = a(env);
      if (!(v instanceof EntityUID)) typeError('Entity', typeName(v), '`in`');
      return (v.id === k.id && v.type === k.type) || env.store.isDescendant(v, k);
    }, true);
  }
  return dynamic((env) => inOp(env.store, a(env), b(env)), true);
}

function compileLike(o: Node, pattern: readonly PatternElem[]): Node {
  const f = o.fn;
  let test: (s: string) => boolean;
  const lits = pattern.map((p) => (p === 'wildcard' ? undefined : p.literal));
  const only = (i: number): string | undefined => lits[i];
  if (pattern.length === 0) test = (s) => s.length === 0;
  else if (pattern.length === 1 && only(0) !== undefined) {
    const x = only(0)!;
    test = (s) => s === x;
  } else if (pattern.length === 2 && only(0) !== undefined && only(1) === undefined) {
    const x = only(0)!;
    test = (s) => s.startsWith(x);
  } else if (pattern.length === 2 && only(0) === undefined && only(1) !== undefined) {
    const x = only(1)!;
    test = (s) => s.endsWith(x);
  } else if (
    pattern.length === 3 &&
    only(0) === undefined &&
    only(1) !== undefined &&
    only(2) === undefined
  ) {
    const x = only(1)!;
    test = (s) => s.includes(x);
  } else {
    test = (s) => likeMatch(s, pattern);
  }
  const fn: Fn = (env) => {
    const v = f(env);
    if (typeof v !== 'string') typeError('String', typeName(v), '`like`');
    return test(v);
  };
  return o.constant ? fold(fn, true) : dynamic(fn, true);
}

function compileSet(items: readonly Node[]): Node {
  const fns = items.map((n) => n.fn);
  const fn: Fn = (env) => {
    const out = new Array<Value>(fns.length);
    for (let i = 0; i < fns.length; i++) out[i] = fns[i]!(env);
    return new CedarSet(out);
  };
  return items.every((n) => n.constant) ? fold(fn) : dynamic(fn);
}

function compileRecord(fields: readonly (readonly [string, Node])[]): Node {
  const fn: Fn = (env) => {
    const m = new Map<string, Value>();
    for (const [k, n] of fields) m.set(k, n.fn(env));
    return new CedarRecord(m);
  };
  return fields.every(([, n]) => n.constant) ? fold(fn) : dynamic(fn);
}

function compileCall(name: string, args: readonly Node[]): Node {
  const f = EXTENSION_FUNCTIONS.get(name);
  if (f === undefined) return thrower('extension', `unknown extension function \`${name}\``);
  if (args.length !== f.arity) {
    return thrower(
      'type',
      `type error: \`${name}\` takes ${f.arity} argument(s), got ${args.length}`,
    );
  }
  const bool = f.returns === 'Bool';
  const fns = args.map((n) => n.fn);
  let fn: Fn;
  if (fns.length === 1) {
    const a = fns[0]!;
    fn = (env) => f.call([a(env)]);
  } else if (fns.length === 2) {
    const a = fns[0]!;
    const b = fns[1]!;
    fn = (env) => f.call([a(env), b(env)]);
  } else {
    fn = (env) => f.call(fns.map((g) => g(env)));
  }
  return args.every((n) => n.constant) ? fold(fn, bool) : dynamic(fn, bool);
}

// ---------------------------------------------------------------------------------------------
// Scope and policies

type Part = 'principal' | 'action' | 'resource';

function targetUid(t: ScopeTarget, part: Part): EntityUID | Node {
  return t.kind === 'entity'
    ? t.uid
    : thrower('unlinkedSlot', `template slot ${t.name} in the ${part} scope is not linked`);
}

function uidEq(k: EntityUID): (v: EntityUID) => boolean {
  const { type, id } = k;
  return (v) => v.id === id && v.type === type;
}

function scopePred(c: ScopeConstraint, part: 'principal' | 'resource'): Pred | undefined {
  const get: (env: EvalEnv) => EntityUID =
    part === 'principal' ? (env) => env.principal : (env) => env.resource;
  switch (c.op) {
    case 'all':
      return undefined;
    case '==': {
      const t = targetUid(c.target, part);
      if (!(t instanceof EntityUID)) return t.fn as Pred;
      const eq = uidEq(t);
      return (env) => eq(get(env));
    }
    case 'in': {
      const t = targetUid(c.target, part);
      if (!(t instanceof EntityUID)) return t.fn as Pred;
      const eq = uidEq(t);
      return (env) => {
        const v = get(env);
        return eq(v) || env.store.isDescendant(v, t);
      };
    }
    case 'is': {
      const type = c.entityType;
      if (c.in === undefined) return (env) => get(env).type === type;
      const t = targetUid(c.in, part);
      if (!(t instanceof EntityUID)) {
        const f = t.fn;
        return (env) => get(env).type === type && (f(env) as boolean);
      }
      const eq = uidEq(t);
      return (env) => {
        const v = get(env);
        return v.type === type && (eq(v) || env.store.isDescendant(v, t));
      };
    }
  }
}

function actionPred(c: ActionConstraint): Pred | undefined {
  switch (c.op) {
    case 'all':
      return undefined;
    case '==': {
      const eq = uidEq(c.uid);
      return (env) => eq(env.action);
    }
    case 'in': {
      const uids = c.uids;
      return (env) => {
        const a = env.action;
        for (const u of uids)
          if ((a.id === u.id && a.type === u.type) || env.store.isDescendant(a, u)) return true;
        return false;
      };
    }
  }
}

function conditionPred(c: Condition, index: number): Pred {
  const body = compileNode(c.body);
  const where = `the ${c.kind} condition #${index + 1}`;
  const p = asPred(body, where);
  return c.kind === 'when' ? p : (env) => !p(env);
}

function conjunction(preds: readonly Pred[]): Pred {
  switch (preds.length) {
    case 0:
      return () => true;
    case 1:
      return preds[0]!;
    case 2: {
      const [a, b] = preds as [Pred, Pred];
      return (env) => a(env) && b(env);
    }
    case 3: {
      const [a, b, c] = preds as [Pred, Pred, Pred];
      return (env) => a(env) && b(env) && c(env);
    }
    default:
      return (env) => {
        for (const p of preds) if (!p(env)) return false;
        return true;
      };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Cedar text of a scope part, for near misses. */
function scopeText(policy: PolicyAst, part: Part): string {
  const v: Expr = { kind: 'var', name: part };
  const lit = (t: ScopeTarget): Expr =>
    t.kind === 'entity' ? { kind: 'lit', value: t.uid } : { kind: 'slot', name: t.name };
  if (part === 'action') {
    const c = policy.action;
    if (c.op === '==')
      return printExpr({ kind: 'binary', op: '==', left: v, right: { kind: 'lit', value: c.uid } });
    if (c.op === 'in') {
      const right: Expr = c.list
        ? { kind: 'set', elements: c.uids.map((u) => ({ kind: 'lit', value: u }) as Expr) }
        : { kind: 'lit', value: c.uids[0]! };
      return printExpr({ kind: 'binary', op: 'in', left: v, right });
    }
    return 'action';
  }
  const c = part === 'principal' ? policy.principal : policy.resource;
  switch (c.op) {
    case 'all':
      return part;
    case '==':
    case 'in':
      return printExpr({ kind: 'binary', op: c.op, left: v, right: lit(c.target) });
    case 'is':
      return printExpr(
        c.in === undefined
          ? { kind: 'is', object: v, entityType: c.entityType }
          : { kind: 'is', object: v, entityType: c.entityType, in: lit(c.in) },
      );
  }
}

/** Compiles one policy (its slots already substituted when it is a linked template). */
export function compilePolicy(policy: CompilablePolicy): CompiledPolicy {
  const ast = policy.ast;
  const { id, effect } = policy;
  const principal = scopePred(ast.principal, 'principal');
  const action = actionPred(ast.action);
  const resource = scopePred(ast.resource, 'resource');
  const conds = ast.conditions.map(conditionPred);
  const cond = conjunction(conds);
  const scope: Pred[] = [];
  if (principal !== undefined) scope.push(principal);
  if (resource !== undefined) scope.push(resource);
  const afterAction = conds.length === 0 ? conjunction(scope) : conjunction([...scope, cond]);
  const full = action === undefined ? afterAction : conjunction([action, afterAction]);
  const parts: readonly [Part, Pred | undefined][] = [
    ['principal', principal],
    ['action', action],
    ['resource', resource],
  ];
  const misses = new Map<string, NearMiss>();
  const miss = (failed: NearMiss['failed'], condition?: number): NearMiss => {
    const key = condition === undefined ? failed : `c${condition}`;
    let m = misses.get(key);
    if (m === undefined) {
      let text: string;
      if (condition === undefined) text = scopeText(ast, failed as Part);
      else {
        const c = ast.conditions[condition]!;
        const body = printExpr(c.body);
        text = c.kind === 'when' ? body : `!(${body})`;
      }
      m = Object.freeze(
        condition === undefined
          ? { policyId: id, effect, failed, text }
          : { policyId: id, effect, failed, condition, text },
      );
      misses.set(key, m);
    }
    return m;
  };
  const trace = (env: EvalEnv): PolicyTrace => {
    for (const [name, p] of parts) {
      if (p === undefined) continue;
      try {
        if (!p(env)) return { id, effect, outcome: 'notApplicable', failed: name };
      } catch (e) {
        return { id, effect, outcome: 'error', failed: name, error: messageOf(e) };
      }
    }
    for (let i = 0; i < conds.length; i++) {
      try {
        if (!conds[i]!(env)) {
          return { id, effect, outcome: 'notApplicable', failed: 'condition', condition: i };
        }
      } catch (e) {
        return {
          id,
          effect,
          outcome: 'error',
          failed: 'condition',
          condition: i,
          error: messageOf(e),
        };
      }
    }
    return { id, effect, outcome: 'satisfied' };
  };
  return {
    id,
    effect,
    policy,
    evaluate: full,
    matchAfterAction: afterAction,
    trace,
    nearMiss(env) {
      const t = trace(env);
      if (t.outcome !== 'notApplicable' || t.failed === undefined) return undefined;
      return miss(t.failed, t.condition);
    },
    idList: Object.freeze([id]),
  };
}
