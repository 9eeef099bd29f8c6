/**
 * Shared helpers of the static analyser and the semantic diff: canonical keys of values,
 * expressions and policies (spans and annotations ignored), attribute paths (`context.a.b`),
 * and folding of closed subexpressions (no variables, no entity data) to their value or error.
 */
import type { ActionConstraint, Expr, PolicyAst, ScopeConstraint, ScopeTarget } from '../ast.js';
import { compileExpr, type EvalEnv } from '../compile.js';
import { EvalError } from '../eval-error.js';
import type { EntityLookup } from '../ops.js';
import { CedarRecord, EntityUID, hashKey, type Value } from '../values.js';

/** Canonical, type-tagged text of a value: equal values (Cedar `==`) have equal text. */
export function valueText(v: Value): string {
  const k = hashKey(v);
  switch (typeof k) {
    case 'string':
      return k;
    case 'boolean':
      return k ? 'T' : 'F';
    default:
      return 'n' + String(k);
  }
}

/** Canonical text of an expression (no spans): structurally equal expressions have equal keys. */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case 'lit':
      return 'L' + valueText(e.value);
    case 'var':
      return 'V' + e.name;
    case 'slot':
      return 'S' + e.name;
    case 'unknown':
      return 'U' + JSON.stringify(e.name);
    case 'not':
    case 'neg':
    case 'isEmpty':
      return `(${e.kind} ${exprKey(e.arg)})`;
    case 'binary':
      return `(${e.op} ${exprKey(e.left)} ${exprKey(e.right)})`;
    case 'if':
      return `(if ${exprKey(e.cond)} ${exprKey(e.then)} ${exprKey(e.else)})`;
    case 'getAttr':
    case 'hasAttr':
      return `(${e.kind} ${exprKey(e.object)} ${JSON.stringify(e.attr)})`;
    case 'like':
      return `(like ${exprKey(e.object)} ${JSON.stringify(e.pattern)})`;
    case 'is':
      return `(is ${exprKey(e.object)} ${e.entityType}${e.in === undefined ? '' : ' ' + exprKey(e.in)})`;
    case 'set':
      return `[${e.elements.map(exprKey).join(' ')}]`;
    case 'record':
      return `{${e.fields.map(([k, x]) => JSON.stringify(k) + ':' + exprKey(x)).join(' ')}}`;
    case 'call':
      return `(call ${e.fn} ${e.args.map(exprKey).join(' ')})`;
  }
}

function targetKey(t: ScopeTarget): string {
  return t.kind === 'entity' ? t.uid.key : t.name;
}

function scopeKey(c: ScopeConstraint): string {
  switch (c.op) {
    case 'all':
      return '*';
    case '==':
    case 'in':
      return `${c.op} ${targetKey(c.target)}`;
    case 'is':
      return `is ${c.entityType}${c.in === undefined ? '' : ' in ' + targetKey(c.in)}`;
  }
}

function actionKey(c: ActionConstraint): string {
  switch (c.op) {
    case 'all':
      return '*';
    case '==':
      return `== ${c.uid.key}`;
    case 'in':
      return `in [${c.uids.map((u) => u.key).join(' ')}]`;
  }
}

/**
 * Canonical text of what decides a policy: effect, scope and conditions in order. Annotations
 * (the `@id` among them) and spans are left out, so a reformatted or renamed policy keeps its key.
 */
export function policyKey(ast: PolicyAst): string {
  const conds = ast.conditions.map((c) => `${c.kind} ${exprKey(c.body)}`).join(' ; ');
  return `${ast.effect} (${scopeKey(ast.principal)}) (${actionKey(ast.action)}) (${scopeKey(ast.resource)}) ${conds}`;
}

// ---------------------------------------------------------------------------------------------
// Paths

/** One step of a path: an attribute, or (first step after an entity variable only) a tag. */
export interface PathStep {
  readonly tag: boolean;
  readonly name: string;
}

/** `principal`, `context.a.b`, `resource.getTag("k")`: a variable and attribute (or tag) steps. */
export interface Path {
  readonly root: 'principal' | 'action' | 'resource' | 'context';
  readonly steps: readonly PathStep[];
}

/** The path an expression reads, when it is a variable followed by attribute accesses. */
export function asPath(e: Expr): Path | undefined {
  const steps: PathStep[] = [];
  let x = e;
  for (;;) {
    if (x.kind === 'getAttr') {
      steps.push({ tag: false, name: x.attr });
      x = x.object;
      continue;
    }
    if (x.kind === 'binary' && x.op === 'getTag') {
      const k = foldClosed(x.right);
      if (k?.kind !== 'value' || typeof k.value !== 'string') return undefined;
      if (x.left.kind !== 'var' || x.left.name === 'context') return undefined;
      steps.push({ tag: true, name: k.value });
      x = x.left;
      continue;
    }
    break;
  }
  if (x.kind !== 'var') return undefined;
  steps.reverse();
  return { root: x.name, steps };
}

export function pathKey(p: Path): string {
  return p.root + p.steps.map((s) => (s.tag ? '#' : '.') + JSON.stringify(s.name)).join('');
}

/** The path one step shorter (undefined for a bare variable). */
export function parentPath(p: Path): Path | undefined {
  return p.steps.length === 0 ? undefined : { root: p.root, steps: p.steps.slice(0, -1) };
}

// ---------------------------------------------------------------------------------------------
// Folding closed expressions

/** The folded result of a closed expression. */
export type Folded =
  | { readonly kind: 'value'; readonly value: Value }
  | { readonly kind: 'error'; readonly message: string };

const READS_STORE = Symbol('reads-store');

const POISONED: EntityLookup = Object.freeze({
  get(): never {
    throw READS_STORE;
  },
  isDescendant(): never {
    throw READS_STORE;
  },
});

const FOLD_UID = new EntityUID('__cedar::Analysis', '');
const FOLD_ENV: EvalEnv = Object.freeze({
  principal: FOLD_UID,
  action: FOLD_UID,
  resource: FOLD_UID,
  context: new CedarRecord(new Map()),
  store: POISONED,
});

function isClosed(e: Expr): boolean {
  switch (e.kind) {
    case 'lit':
      return true;
    case 'var':
    case 'slot':
    case 'unknown':
      return false;
    case 'not':
    case 'neg':
    case 'isEmpty':
      return isClosed(e.arg);
    case 'binary':
      return isClosed(e.left) && isClosed(e.right);
    case 'if':
      return isClosed(e.cond) && isClosed(e.then) && isClosed(e.else);
    case 'getAttr':
    case 'hasAttr':
    case 'like':
      return isClosed(e.object);
    case 'is':
      return isClosed(e.object) && (e.in === undefined || isClosed(e.in));
    case 'set':
      return e.elements.every(isClosed);
    case 'record':
      return e.fields.every(([, x]) => isClosed(x));
    case 'call':
      return e.args.every(isClosed);
  }
}

const foldCache = new WeakMap<Expr, Folded | null>();

/**
 * The value (or the error) of an expression that reads no variable and no entity data, or
 * `undefined` when its value depends on the request or the entity store.
 */
export function foldClosed(e: Expr): Folded | undefined {
  const hit = foldCache.get(e);
  if (hit !== undefined) return hit ?? undefined;
  let out: Folded | null = null;
  if (isClosed(e)) {
    try {
      out = { kind: 'value', value: compileExpr(e)(FOLD_ENV) };
    } catch (err) {
      if (err instanceof EvalError) out = { kind: 'error', message: err.message };
      else if (err !== READS_STORE) throw err;
    }
  }
  foldCache.set(e, out);
  return out ?? undefined;
}

/** Every subexpression of `e` (itself included), depth first. */
export function* subExprs(e: Expr): Generator<Expr> {
  yield e;
  switch (e.kind) {
    case 'not':
    case 'neg':
    case 'isEmpty':
      yield* subExprs(e.arg);
      return;
    case 'binary':
      yield* subExprs(e.left);
      yield* subExprs(e.right);
      return;
    case 'if':
      yield* subExprs(e.cond);
      yield* subExprs(e.then);
      yield* subExprs(e.else);
      return;
    case 'getAttr':
    case 'hasAttr':
    case 'like':
      yield* subExprs(e.object);
      return;
    case 'is':
      yield* subExprs(e.object);
      if (e.in !== undefined) yield* subExprs(e.in);
      return;
    case 'set':
      for (const x of e.elements) yield* subExprs(x);
      return;
    case 'record':
      for (const [, x] of e.fields) yield* subExprs(x);
      return;
    case 'call':
      for (const x of e.args) yield* subExprs(x);
      return;
    default:
      return;
  }
}

/** The scope of a policy as one Cedar expression (`principal == … && action in … && …`). */
export function scopeExprs(ast: PolicyAst): Expr[] {
  const out: Expr[] = [];
  const lit = (t: ScopeTarget): Expr =>
    t.kind === 'entity' ? { kind: 'lit', value: t.uid } : { kind: 'slot', name: t.name };
  const part = (name: 'principal' | 'resource', c: ScopeConstraint): void => {
    const v: Expr = { kind: 'var', name };
    if (c.op === '==' || c.op === 'in') {
      out.push({ kind: 'binary', op: c.op, left: v, right: lit(c.target) });
    } else if (c.op === 'is') {
      out.push(
        c.in === undefined
          ? { kind: 'is', object: v, entityType: c.entityType }
          : { kind: 'is', object: v, entityType: c.entityType, in: lit(c.in) },
      );
    }
  };
  part('principal', ast.principal);
  const a = ast.action;
  const av: Expr = { kind: 'var', name: 'action' };
  if (a.op === '==')
    out.push({ kind: 'binary', op: '==', left: av, right: { kind: 'lit', value: a.uid } });
  else if (a.op === 'in') {
    out.push({
      kind: 'binary',
      op: 'in',
      left: av,
      right: { kind: 'set', elements: a.uids.map((u): Expr => ({ kind: 'lit', value: u })) },
    });
  }
  part('resource', ast.resource);
  return out;
}
