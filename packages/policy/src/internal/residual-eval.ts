/**
 * Partial evaluation of one policy with the resource unknown: everything that does not depend on
 * `resource` is evaluated with the evaluator's value operations (`ops.ts`, Cedar's exact error
 * semantics); what does is kept symbolically, as residual filter predicates.
 *
 * A Bool residual is a pair `(t, f)` of filters: the expression evaluates to `true` (without an
 * error) exactly on resources matching `t`, to `false` exactly on `f`, and errors on the rest.
 * A policy is satisfied where its scope matches and every `when` is `t` / `unless` is `f`, so an
 * erroring policy never authorises (permit) nor denies (forbid), as Cedar's decision rule says.
 *
 * Other residual values: a path on the resource (its attributes and tags, through records
 * only); a conditional value (disjoint cases, from `if` and from reading an attribute of an
 * entity a resource attribute names — one case per distinct stored value); set and record
 * literals holding residual values; and arithmetic on one attribute with known operands
 * (`residual-linear.ts`). Anything else that depends on the resource is `UnsupportedResidual`.
 */
import type { Expr, PolicyAst, ScopeConstraint, ScopeTarget } from './ast.js';
import { EvalError } from './eval-error.js';
import { EXTENSION_FUNCTIONS } from './extensions/index.js';
import * as ops from './ops.js';
import {
  linCompare,
  linDefined,
  linEquals,
  linOfPath,
  linStep,
  type Lin,
} from './residual-linear.js';
import {
  type CedarRecord,
  CedarSet,
  EntityUID,
  ExtensionValue,
  hashKey,
  valueEquals,
  type Value,
} from './values.js';
import {
  and,
  FALSE,
  not,
  or,
  TRUE,
  type ResourceFilter,
  type ResourcePath,
} from '../filters/filter.js';

/** Raised for a construct the filter algebra cannot express; `construct` names it. */
export class UnsupportedResidual extends Error {
  constructor(readonly construct: string) {
    super(construct);
  }
}

/** What partial evaluation knows: the request without its resource, and the entity store. */
export interface ResidualEnv {
  readonly principal: EntityUID;
  readonly action: EntityUID;
  readonly context: CedarRecord;
  readonly lookup: ops.EntityLookup;
  /** Strict ancestors of a uid (including uids only named as parents). */
  ancestors(uid: EntityUID): readonly EntityUID[];
  /** Strict descendants of a uid among the stored entities. */
  descendants(uid: EntityUID): readonly EntityUID[];
  /** Every stored entity (the attribute of an entity a resource attribute names is one of theirs). */
  entities(): Iterable<ops.EntityData>;
  /** When set, the resource is known to have this entity type. */
  readonly resourceType?: string;
}

interface Bool {
  readonly t: ResourceFilter;
  readonly f: ResourceFilter;
}

type PVal =
  | { readonly k: 'val'; readonly v: Value }
  | { readonly k: 'err' }
  | { readonly k: 'bool'; readonly b: Bool }
  /** The resource entity itself. */
  | { readonly k: 'res' }
  /** The value at a path on the resource (an error where the path does not resolve). */
  | { readonly k: 'path'; readonly p: ResourcePath }
  /** `a` where `c` is true, `b` where it is false, an error elsewhere. */
  /** The `then` of the case whose `when` holds (the `when`s are disjoint); an error where none does. */
  | { readonly k: 'cond'; readonly cases: readonly Case[] }
  /** A set literal with resource-dependent elements (none `err`, `cond` or `setlit`). */
  | { readonly k: 'setlit'; readonly elems: readonly PVal[] }
  /** A record literal with resource-dependent fields (none `err`, `cond`, `setlit` or `reclit`). */
  | { readonly k: 'reclit'; readonly fields: ReadonlyMap<string, PVal> }
  /** Arithmetic on one resource attribute with known operands (see `residual-linear.ts`). */
  | { readonly k: 'lin'; readonly l: Lin };

interface Case {
  readonly when: ResourceFilter;
  readonly then: PVal;
}

const ERR: PVal = { k: 'err' };

/** A conditional value: nested conditionals flattened, impossible and erroring cases dropped. */
function cond(cases: readonly Case[]): PVal {
  const out: Case[] = [];
  for (const c of cases) {
    if (c.when.kind === 'const' && !c.when.value) continue;
    if (c.then.k === 'err') continue;
    if (c.then.k === 'cond') {
      for (const d of c.then.cases) {
        const when = and(c.when, d.when);
        if (!(when.kind === 'const' && !when.value)) out.push({ when, then: d.then });
      }
    } else out.push(c);
  }
  if (out.length === 0) return ERR;
  const only = out[0]!;
  if (out.length === 1 && only.when.kind === 'const') return only.then;
  return { k: 'cond', cases: out };
}
const NEVER: Bool = { t: FALSE, f: FALSE };
const val = (v: Value): PVal => ({ k: 'val', v });
const bool = (t: ResourceFilter, f: ResourceFilter): PVal => ({ k: 'bool', b: { t, f } });

/** Runs a known-value operation; a Cedar evaluation error becomes `ERR`. */
function known(fn: () => Value): PVal {
  try {
    return val(fn());
  } catch (e) {
    if (e instanceof EvalError) return ERR;
    throw e;
  }
}

function extend(p: ResourcePath, attr: string): ResourcePath {
  return p.tag === undefined
    ? { attrs: [...p.attrs, attr] }
    : { tag: p.tag, attrs: [...p.attrs, attr] };
}

const has = (path: ResourcePath): ResourceFilter => ({ kind: 'has', path });
const typeOf = (path: ResourcePath, type: 'Set' | 'String' | 'Record' | 'Entity' | 'EntitySet') =>
  ({ kind: 'typeOf', path, type }) as const;
const eqAt = (path: ResourcePath, value: Value): ResourceFilter => ({ kind: 'eq', path, value });

const NEGATE = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' } as const;
const FLIP = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

export class ResidualEvaluator {
  readonly #byAttr = new Map<string, { value: Value; uids: EntityUID[] }[]>();
  constructor(private readonly env: ResidualEnv) {}

  /** The stored entities having the attribute (or the tag) `name`, grouped by its value. */
  #entitiesWith(
    name: string,
    kind: 'attr' | 'tag' = 'attr',
  ): readonly { value: Value; uids: EntityUID[] }[] {
    const cacheKey = `${kind}:${name}`;
    let groups = this.#byAttr.get(cacheKey);
    if (groups === undefined) {
      const byValue = new Map<
        string | number | boolean | bigint,
        { value: Value; uids: EntityUID[] }
      >();
      for (const e of this.env.entities()) {
        const v = kind === 'attr' ? e.attrs.get(name) : e.tags.get(name);
        if (v === undefined) continue;
        const k = hashKey(v);
        let g = byValue.get(k);
        if (g === undefined) byValue.set(k, (g = { value: v, uids: [] }));
        g.uids.push(e.uid);
      }
      groups = [...byValue.values()];
      this.#byAttr.set(cacheKey, groups);
    }
    return groups;
  }

  /**
   * The attribute (or tag) `name` of the stored entity the path names: one case per distinct
   * value, and an error for an entity missing from the store or lacking it.
   */
  #storedValue(p: ResourcePath, name: string, kind: 'attr' | 'tag'): Case[] {
    return this.#entitiesWith(name, kind).map((g) => ({
      when: or(...g.uids.map((u) => eqAt(p, u))),
      then: val(g.value),
    }));
  }

  /**
   * `p.attr` for a value on the resource: the field of a record, or — when `p` is an entity —
   * the attribute of that entity, read from the store now. Every path in a filter therefore
   * walks records only (a SQL translation reads it from the row), and a reference to an entity
   * becomes equality with the entities holding each value (one case per distinct value).
   */
  #pathAttr(p: ResourcePath, attr: string): PVal {
    return cond([
      ...this.#storedValue(p, attr, 'attr'),
      { when: typeOf(p, 'Record'), then: { k: 'path', p: extend(p, attr) } },
    ]);
  }

  /** The filter of resources on which the policy is satisfied (true, without an error). */
  policy(ast: PolicyAst): ResourceFilter {
    const env = this.env;
    if (!this.#scope(ast.principal, env.principal)) return FALSE;
    const a = ast.action;
    if (a.op === '==' && !a.uid.equals(env.action)) return FALSE;
    if (a.op === 'in' && !a.uids.some((u) => ops.inOp(env.lookup, env.action, u))) return FALSE;
    const parts: ResourceFilter[] = [this.#resourceScope(ast.resource)];
    if (parts[0]!.kind === 'const' && !parts[0]!.value) return FALSE;
    for (const c of ast.conditions) {
      const b = this.#toBool(this.eval(c.body));
      const holds = c.kind === 'when' ? b.t : b.f;
      if (holds.kind === 'const' && !holds.value) return FALSE;
      parts.push(holds);
    }
    return and(...parts);
  }

  #target(t: ScopeTarget): EntityUID {
    if (t.kind === 'slot') throw new UnsupportedResidual(`the unlinked slot ${t.name}`);
    return t.uid;
  }

  #scope(c: ScopeConstraint, uid: EntityUID): boolean {
    const lookup = this.env.lookup;
    switch (c.op) {
      case 'all':
        return true;
      case '==':
        return uid.equals(this.#target(c.target));
      case 'in':
        return ops.inOp(lookup, uid, this.#target(c.target));
      case 'is':
        return (
          uid.type === c.entityType &&
          (c.in === undefined || ops.inOp(lookup, uid, this.#target(c.in)))
        );
    }
  }

  #resourceScope(c: ScopeConstraint): ResourceFilter {
    switch (c.op) {
      case 'all':
        return TRUE;
      case '==':
        return this.#resEq(this.#target(c.target));
      case 'in':
        return { kind: 'resourceIn', ancestor: this.#target(c.target) };
      case 'is': {
        const is = this.#resIs(c.entityType);
        return c.in === undefined
          ? is
          : and(is, { kind: 'resourceIn', ancestor: this.#target(c.in) });
      }
    }
  }

  #resEq(uid: EntityUID): ResourceFilter {
    const rt = this.env.resourceType;
    if (rt !== undefined && uid.type !== rt) return FALSE;
    return { kind: 'resourceEq', uid };
  }

  #resIs(entityType: string): ResourceFilter {
    const rt = this.env.resourceType;
    if (rt !== undefined) return rt === entityType ? TRUE : FALSE;
    return { kind: 'resourceIs', entityType };
  }

  /** `(t, f)` of a value used where Cedar needs a Bool. */
  #toBool(x: PVal): Bool {
    switch (x.k) {
      case 'val':
        return typeof x.v === 'boolean'
          ? x.v
            ? { t: TRUE, f: FALSE }
            : { t: FALSE, f: TRUE }
          : NEVER;
      case 'err':
      case 'res':
      case 'setlit':
      case 'reclit':
      case 'lin':
        return NEVER;
      case 'bool':
        return x.b;
      case 'path':
        return { t: eqAt(x.p, true), f: eqAt(x.p, false) };
      case 'cond': {
        const bs = x.cases.map((c) => [c.when, this.#toBool(c.then)] as const);
        return {
          t: or(...bs.map(([w, b]) => and(w, b.t))),
          f: or(...bs.map(([w, b]) => and(w, b.f))),
        };
      }
    }
  }

  /** Pushes an operation into both branches of a conditional value. */
  #lift1(x: PVal, fn: (x: PVal) => PVal): PVal {
    if (x.k === 'cond')
      return cond(x.cases.map((c) => ({ when: c.when, then: this.#lift1(c.then, fn) })));
    return fn(x);
  }

  #lift2(x: PVal, y: PVal, fn: (x: PVal, y: PVal) => PVal): PVal {
    if (x.k === 'err' || y.k === 'err') return ERR;
    if (x.k === 'cond') return this.#lift1(x, (a) => this.#lift2(a, y, fn));
    if (y.k === 'cond') return this.#lift1(y, (b) => this.#lift2(x, b, fn));
    return fn(x, y);
  }

  eval(e: Expr): PVal {
    const env = this.env;
    switch (e.kind) {
      case 'lit':
        return val(e.value);
      case 'var':
        switch (e.name) {
          case 'principal':
            return val(env.principal);
          case 'action':
            return val(env.action);
          case 'context':
            return val(env.context);
          default:
            return { k: 'res' };
        }
      case 'slot':
        throw new UnsupportedResidual(`the unlinked slot ${e.name}`);
      case 'unknown':
        throw new UnsupportedResidual(`the unknown \`${e.name}\``);
      case 'not':
        return this.#lift1(this.eval(e.arg), (x) => {
          if (x.k === 'val') return typeof x.v === 'boolean' ? val(!x.v) : ERR;
          const b = this.#toBool(x);
          return bool(b.f, b.t);
        });
      case 'neg':
        return this.#lift1(this.eval(e.arg), (x) => {
          if (x.k === 'val') return known(() => ops.neg(x.v));
          const l = x.k === 'path' ? linOfPath(x.p) : x.k === 'lin' ? x.l : undefined;
          if (l === undefined) return ERR; // not a Long
          const next = linStep(l, -l.a, -l.b);
          return next === undefined ? ERR : { k: 'lin', l: next };
        });
      case 'isEmpty':
        return this.#lift1(this.eval(e.arg), (x) => {
          if (x.k === 'val') return known(() => ops.isEmpty(x.v));
          if (x.k === 'setlit') return bool(FALSE, this.#litDefined(x));
          if (x.k === 'path')
            return bool(
              { kind: 'isEmpty', path: x.p },
              and(typeOf(x.p, 'Set'), not({ kind: 'isEmpty', path: x.p })),
            );
          return ERR;
        });
      case 'getAttr':
        return this.#lift1(this.eval(e.object), (x) => {
          if (x.k === 'val') return known(() => ops.getAttr(env.lookup, x.v, e.attr));
          if (x.k === 'res') return { k: 'path', p: { attrs: [e.attr] } };
          if (x.k === 'path') return this.#pathAttr(x.p, e.attr);
          if (x.k === 'reclit') {
            const field = x.fields.get(e.attr);
            if (field === undefined) return ERR;
            return cond([{ when: this.#defined(x), then: field }]);
          }
          return ERR;
        });
      case 'hasAttr':
        return this.#lift1(this.eval(e.object), (x) => {
          if (x.k === 'val') return known(() => ops.hasAttr(env.lookup, x.v, e.attr));
          if (x.k === 'res') {
            const h = has({ attrs: [e.attr] });
            return bool(h, not(h));
          }
          if (x.k === 'reclit') {
            const d = this.#defined(x);
            return x.fields.has(e.attr) ? bool(d, FALSE) : bool(FALSE, d);
          }
          if (x.k === 'path') {
            // A record's field, or an attribute of the stored entity the path names.
            const h = has(extend(x.p, e.attr));
            const isRecord = typeOf(x.p, 'Record');
            const holders = or(
              ...this.#entitiesWith(e.attr).flatMap((g) => g.uids.map((u) => eqAt(x.p, u))),
            );
            return bool(
              or(and(isRecord, h), holders),
              or(and(isRecord, not(h)), and(typeOf(x.p, 'Entity'), not(holders))),
            );
          }
          return ERR;
        });
      case 'like':
        return this.#lift1(this.eval(e.object), (x) => {
          if (x.k === 'val') return known(() => ops.likeMatch(x.v, e.pattern));
          if (x.k === 'path') {
            const l: ResourceFilter = { kind: 'like', path: x.p, pattern: e.pattern };
            return bool(l, and(typeOf(x.p, 'String'), not(l)));
          }
          return ERR;
        });
      case 'is': {
        const isPart = this.#lift1(this.eval(e.object), (x) => {
          if (x.k === 'val') return known(() => ops.isType(x.v, e.entityType));
          if (x.k === 'res') {
            const r = this.#resIs(e.entityType);
            return bool(r, not(r));
          }
          if (x.k === 'path') {
            const r: ResourceFilter = { kind: 'entityIs', path: x.p, entityType: e.entityType };
            return bool(r, and(typeOf(x.p, 'Entity'), not(r)));
          }
          return ERR;
        });
        const inExpr = e.in;
        if (inExpr === undefined) return isPart;
        return this.#and(isPart, () => this.#in(this.eval(e.object), this.eval(inExpr)));
      }
      case 'if': {
        const c = this.eval(e.cond);
        if (c.k === 'val') {
          if (typeof c.v !== 'boolean') return ERR;
          return this.eval(c.v ? e.then : e.else);
        }
        if (c.k === 'err') return ERR;
        const b = this.#toBool(c);
        return cond([
          { when: b.t, then: this.eval(e.then) },
          { when: b.f, then: this.eval(e.else) },
        ]);
      }
      case 'set': {
        const elems: PVal[] = [];
        let failed = false;
        for (const x of e.elements) {
          const v = this.eval(x);
          if (v.k === 'err') failed = true;
          else if (v.k === 'cond' || v.k === 'setlit')
            throw new UnsupportedResidual(
              'a set literal holding a value chosen by a resource-dependent `if` or another such set',
            );
          else elems.push(v);
        }
        if (failed) return ERR;
        if (elems.every((v) => v.k === 'val'))
          return val(ops.makeSet(elems.map((v) => (v as { v: Value }).v)));
        return { k: 'setlit', elems };
      }
      case 'record': {
        const fields = new Map<string, PVal>();
        let failed = false;
        for (const [k, x] of e.fields) {
          const v = this.eval(x);
          if (v.k === 'err') failed = true;
          else if (v.k === 'cond' || v.k === 'setlit' || v.k === 'reclit')
            throw new UnsupportedResidual(
              'a record literal holding a value chosen by a resource-dependent `if`, a set or a record literal',
            );
          else fields.set(k, v);
        }
        if (failed) return ERR;
        if ([...fields.values()].every((v) => v.k === 'val'))
          return val(
            ops.makeRecord(new Map([...fields].map(([k, v]) => [k, (v as { v: Value }).v]))),
          );
        return { k: 'reclit', fields };
      }
      case 'call':
        return this.#call(
          e.fn,
          e.args.map((a) => this.eval(a)),
        );
      case 'binary':
        return this.#binary(e);
    }
  }

  #and(l: PVal, right: () => PVal): PVal {
    if (l.k === 'val') {
      if (typeof l.v !== 'boolean') return ERR;
      if (!l.v) return l;
      return this.#boolResult(right());
    }
    if (l.k === 'err') return ERR;
    const a = this.#toBool(l);
    const b = this.#toBool(right());
    return bool(and(a.t, b.t), or(a.f, and(a.t, b.f)));
  }

  #or(l: PVal, right: () => PVal): PVal {
    if (l.k === 'val') {
      if (typeof l.v !== 'boolean') return ERR;
      if (l.v) return l;
      return this.#boolResult(right());
    }
    if (l.k === 'err') return ERR;
    const a = this.#toBool(l);
    const b = this.#toBool(right());
    return bool(or(a.t, and(a.f, b.t)), and(a.f, b.f));
  }

  /** The right operand of `&&`/`||` after a known left: it must be a Bool. */
  #boolResult(r: PVal): PVal {
    if (r.k === 'val') return typeof r.v === 'boolean' ? r : ERR;
    if (r.k === 'err') return ERR;
    const b = this.#toBool(r);
    return bool(b.t, b.f);
  }

  #binary(e: Extract<Expr, { kind: 'binary' }>): PVal {
    if (e.op === '&&') return this.#and(this.eval(e.left), () => this.eval(e.right));
    if (e.op === '||') return this.#or(this.eval(e.left), () => this.eval(e.right));
    const l = this.eval(e.left);
    const r = this.eval(e.right);
    const lookup = this.env.lookup;
    switch (e.op) {
      case '==':
        return this.#lift2(l, r, (x, y) => this.#eq(x, y));
      case '!=':
        return this.#lift2(l, r, (x, y) => {
          const q = this.#eq(x, y);
          if (q.k === 'val') return val(!(q.v as boolean));
          const b = this.#toBool(q);
          return bool(b.f, b.t);
        });
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const op = e.op;
        return this.#lift2(l, r, (x, y) => {
          if (x.k === 'val' && y.k === 'val') return known(() => ops.compare(op, x.v, y.v));
          if (x.k === 'lin' && y.k === 'val') return this.#linCmp(x.l, op, y.v);
          if (x.k === 'val' && y.k === 'lin') return this.#linCmp(y.l, FLIP[op], x.v);
          if (x.k === 'lin' || y.k === 'lin') {
            const other = x.k === 'lin' ? y : x;
            if (other.k === 'path' || other.k === 'lin')
              throw new UnsupportedResidual(`\`${op}\` between two resource attributes`);
            return ERR;
          }
          if (x.k === 'path' && y.k === 'val') return this.#cmp(x.p, op, y.v);
          if (x.k === 'val' && y.k === 'path') return this.#cmp(y.p, FLIP[op], x.v);
          if (x.k === 'path' && y.k === 'path')
            throw new UnsupportedResidual(`\`${op}\` between two resource attributes`);
          return ERR; // an entity or a Bool is never comparable
        });
      }
      case 'in':
        return this.#lift2(l, r, (x, y) => this.#in(x, y));
      case '+':
      case '-':
      case '*': {
        const op = e.op;
        return this.#lift2(l, r, (x, y) => {
          if (x.k === 'val' && y.k === 'val')
            return known(() => (op === '+' ? ops.add : op === '-' ? ops.sub : ops.mul)(x.v, y.v));
          return this.#arith(op, x, y);
        });
      }
      case 'contains':
        return this.#lift2(l, r, (x, y) => this.#contains(x, y));
      case 'containsAll':
      case 'containsAny': {
        const op = e.op;
        return this.#lift2(l, r, (x, y) => {
          if (x.k === 'val' && y.k === 'val')
            return known(() =>
              (op === 'containsAll' ? ops.containsAll : ops.containsAny)(x.v, y.v),
            );
          if (x.k === 'setlit' || y.k === 'setlit') return this.#litContainsSet(op, x, y);
          if (x.k === 'path' && y.k === 'val') {
            if (!(y.v instanceof CedarSet)) return ERR;
            const c: ResourceFilter = { kind: op, path: x.p, values: y.v.items };
            return bool(c, and(typeOf(x.p, 'Set'), not(c)));
          }
          if (x.k === 'val' && y.k === 'path') {
            if (!(x.v instanceof CedarSet)) return ERR;
            if (op === 'containsAll')
              throw new UnsupportedResidual(
                '`containsAll` with a resource attribute as its argument',
              );
            const c: ResourceFilter = { kind: 'containsAny', path: y.p, values: x.v.items };
            return bool(c, and(typeOf(y.p, 'Set'), not(c)));
          }
          if (x.k === 'path' && y.k === 'path')
            throw new UnsupportedResidual(`\`${op}\` between two resource attributes`);
          return ERR;
        });
      }
      case 'hasTag':
        return this.#lift2(l, r, (x, y) => {
          if (x.k === 'val' && y.k === 'val') return known(() => ops.hasTag(lookup, x.v, y.v));
          if (
            y.k === 'res' ||
            y.k === 'bool' ||
            y.k === 'setlit' ||
            y.k === 'reclit' ||
            y.k === 'lin'
          )
            return ERR; // never a String
          if (x.k === 'res' && y.k === 'val') {
            if (typeof y.v !== 'string') return ERR;
            const h = has({ tag: y.v, attrs: [] });
            return bool(h, not(h));
          }
          if (x.k === 'path' && y.k === 'val') {
            if (typeof y.v !== 'string') return ERR;
            const holders = or(
              ...this.#entitiesWith(y.v, 'tag').flatMap((g) => g.uids.map((u) => eqAt(x.p, u))),
            );
            return bool(holders, and(typeOf(x.p, 'Entity'), not(holders)));
          }
          if (x.k === 'path')
            throw new UnsupportedResidual('`hasTag` with a resource-dependent tag name');
          if (x.k === 'val' || x.k === 'res')
            throw new UnsupportedResidual('`hasTag` with a resource-dependent tag name');
          return ERR;
        });
      case 'getTag':
        return this.#lift2(l, r, (x, y) => {
          if (x.k === 'val' && y.k === 'val') return known(() => ops.getTag(lookup, x.v, y.v));
          if (
            y.k === 'res' ||
            y.k === 'bool' ||
            y.k === 'setlit' ||
            y.k === 'reclit' ||
            y.k === 'lin'
          )
            return ERR; // never a String
          if (x.k === 'res' && y.k === 'val') {
            if (typeof y.v !== 'string') return ERR;
            return { k: 'path', p: { tag: y.v, attrs: [] } };
          }
          if (x.k === 'path' && y.k === 'val') {
            if (typeof y.v !== 'string') return ERR;
            return cond(this.#storedValue(x.p, y.v, 'tag'));
          }
          if (x.k === 'path')
            throw new UnsupportedResidual('`getTag` with a resource-dependent tag name');
          if (x.k === 'val' || x.k === 'res')
            throw new UnsupportedResidual('`getTag` with a resource-dependent tag name');
          return ERR;
        });
    }
  }

  /** `x == y` on two operands that are not `err` or `cond`. */
  #eq(x: PVal, y: PVal): PVal {
    if (x.k === 'val' && y.k === 'val') return val(valueEquals(x.v, y.v));
    if (x.k === 'setlit' || y.k === 'setlit')
      throw new UnsupportedResidual('`==` with a set literal holding a resource-dependent value');
    if (x.k === 'reclit' || y.k === 'reclit')
      throw new UnsupportedResidual(
        '`==` with a record literal holding a resource-dependent value',
      );
    if (x.k === 'lin' || y.k === 'lin') {
      const [l, other] = x.k === 'lin' ? [x.l, y] : [(y as { l: Lin }).l, x];
      if (other.k !== 'val')
        throw new UnsupportedResidual(
          '`==` between arithmetic on a resource attribute and another resource value',
        );
      const v = other.v;
      if (typeof v !== 'number' && typeof v !== 'bigint') return bool(FALSE, linDefined(l));
      return this.#where(linDefined(l), linEquals(l, BigInt(v)));
    }
    if (x.k === 'val') [x, y] = [y, x];
    // From here x is residual.
    switch (x.k) {
      case 'res':
        if (y.k === 'val') {
          if (!(y.v instanceof EntityUID)) return val(false);
          const r = this.#resEq(y.v);
          return bool(r, not(r));
        }
        if (y.k === 'res') return val(true);
        if (y.k === 'bool') return bool(FALSE, or(y.b.t, y.b.f));
        throw new UnsupportedResidual('`==` between the resource and one of its attributes');
      case 'path': {
        const p = x.p;
        if (y.k === 'val') return bool(eqAt(p, y.v), and(has(p), not(eqAt(p, y.v))));
        if (y.k === 'path') {
          if (samePath(p, y.p)) return bool(has(p), FALSE);
          throw new UnsupportedResidual('`==` between two resource attributes');
        }
        if (y.k === 'bool') {
          const t = or(and(y.b.t, eqAt(p, true)), and(y.b.f, eqAt(p, false)));
          return bool(t, and(or(y.b.t, y.b.f), has(p), not(t)));
        }
        throw new UnsupportedResidual('`==` between the resource and one of its attributes');
      }
      case 'bool': {
        const b = x.b;
        if (y.k === 'val') {
          if (y.v === true) return bool(b.t, b.f);
          if (y.v === false) return bool(b.f, b.t);
          return bool(FALSE, or(b.t, b.f));
        }
        if (y.k === 'bool')
          return bool(or(and(b.t, y.b.t), and(b.f, y.b.f)), or(and(b.t, y.b.f), and(b.f, y.b.t)));
        return this.#eq(y, x);
      }
      default:
        return ERR;
    }
  }

  #cmp(p: ResourcePath, op: ops.CompareOp, v: Value): PVal {
    if (typeof v !== 'number' && typeof v !== 'bigint' && !(v instanceof ExtensionValue))
      return ERR;
    return bool(
      { kind: 'cmp', path: p, op, value: v },
      { kind: 'cmp', path: p, op: NEGATE[op], value: v },
    );
  }

  /** The entities `e` with `e in v` for a known `v` (an entity or a set of entities), or undefined on a type error. */
  #below(v: Value): EntityUID[] | undefined {
    const targets = v instanceof EntityUID ? [v] : v instanceof CedarSet ? v.items : undefined;
    if (targets === undefined || !targets.every((x) => x instanceof EntityUID)) return undefined;
    const out = new Map<string, EntityUID>();
    for (const t of targets as EntityUID[]) {
      out.set(t.key, t);
      for (const d of this.env.descendants(t)) out.set(d.key, d);
    }
    return [...out.values()];
  }

  #in(x: PVal, y: PVal): PVal {
    if (x.k === 'err' || y.k === 'err') return ERR;
    if (x.k === 'cond' || y.k === 'cond') return this.#lift2(x, y, (a, b) => this.#in(a, b));
    const env = this.env;
    if (x.k === 'val' && y.k === 'val') return known(() => ops.inOp(env.lookup, x.v, y.v));
    if (
      x.k === 'bool' ||
      y.k === 'bool' ||
      x.k === 'setlit' ||
      x.k === 'reclit' ||
      y.k === 'reclit' ||
      x.k === 'lin' ||
      y.k === 'lin'
    )
      return ERR; // not an entity (nor a set of entities)
    if (y.k === 'setlit') return this.#inLit(x, y);
    if (x.k === 'res') {
      if (y.k === 'res') return val(true);
      if (y.k === 'val') {
        const targets =
          y.v instanceof EntityUID ? [y.v] : y.v instanceof CedarSet ? y.v.items : undefined;
        if (targets === undefined || !targets.every((t) => t instanceof EntityUID)) return ERR;
        const t = or(
          ...(targets as EntityUID[]).map((a): ResourceFilter => ({
            kind: 'resourceIn',
            ancestor: a,
          })),
        );
        return bool(t, not(t));
      }
      throw new UnsupportedResidual('`resource in` one of its own attributes');
    }
    if (x.k === 'path') {
      if (y.k === 'val') {
        const below = this.#below(y.v);
        if (below === undefined) return ERR;
        const t = or(...below.map((d) => eqAt(x.p, d)));
        return bool(t, and(typeOf(x.p, 'Entity'), not(t)));
      }
      throw new UnsupportedResidual('`in` between the resource and one of its attributes');
    }
    // x is a known value: y is the resource or a path.
    if (!(x.v instanceof EntityUID)) return ERR;
    const above = [x.v, ...env.ancestors(x.v)];
    if (y.k === 'res') {
      const t = or(...above.map((a) => this.#resEq(a)));
      return bool(t, not(t));
    }
    if (y.k !== 'path') return ERR;
    const p = y.p;
    const one = or(...above.map((a) => eqAt(p, a)));
    const any: ResourceFilter = { kind: 'containsAny', path: p, values: above };
    return bool(
      or(one, and(typeOf(p, 'EntitySet'), any)),
      or(and(typeOf(p, 'Entity'), not(one)), and(typeOf(p, 'EntitySet'), not(any))),
    );
  }

  #contains(x: PVal, y: PVal): PVal {
    if (x.k === 'val' && y.k === 'val') return known(() => ops.contains(x.v, y.v));
    if (x.k === 'setlit') return this.#litContains(x, y);
    if (y.k === 'setlit' || y.k === 'reclit')
      throw new UnsupportedResidual('`contains` of a literal holding a resource-dependent value');
    if (x.k === 'path') {
      if (y.k === 'val') {
        const c: ResourceFilter = { kind: 'contains', path: x.p, value: y.v };
        return bool(c, and(typeOf(x.p, 'Set'), not(c)));
      }
      throw new UnsupportedResidual(
        '`contains` with a resource-dependent argument on a resource attribute',
      );
    }
    if (x.k !== 'val') return ERR; // the resource entity or a Bool is not a Set
    const s = x.v;
    if (!(s instanceof CedarSet)) return ERR;
    if (y.k === 'path') {
      const t = or(...s.items.map((v) => eqAt(y.p, v)));
      return bool(t, and(has(y.p), not(t)));
    }
    if (y.k === 'lin') {
      const l = y.l;
      const hits = s.items.map((v) =>
        typeof v === 'number' || typeof v === 'bigint' ? linEquals(l, BigInt(v)) : FALSE,
      );
      return this.#where(linDefined(l), or(...hits));
    }
    if (y.k === 'res') {
      const t = or(
        ...s.items.filter((v) => v instanceof EntityUID).map((v) => this.#resEq(v as EntityUID)),
      );
      return bool(t, not(t));
    }
    if (y.k === 'bool') {
      const t = or(s.has(true) ? y.b.t : FALSE, s.has(false) ? y.b.f : FALSE);
      return bool(t, and(or(y.b.t, y.b.f), not(t)));
    }
    return ERR;
  }

  /** `x op y` (`+`, `-`, `*`) where one operand is a resource attribute (or arithmetic on one). */
  #arith(op: '+' | '-' | '*', x: PVal, y: PVal): PVal {
    const linOf = (v: PVal) => (v.k === 'path' ? linOfPath(v.p) : v.k === 'lin' ? v.l : undefined);
    const lx = linOf(x);
    const ly = linOf(y);
    if (lx !== undefined && ly !== undefined)
      throw new UnsupportedResidual(`arithmetic between two resource attributes (\`${op}\`)`);
    const l = lx ?? ly;
    const other = lx !== undefined ? y : x;
    if (l === undefined || other.k !== 'val') return ERR; // an entity, a Bool, a set or a record
    if (typeof other.v !== 'number' && typeof other.v !== 'bigint') return ERR;
    const c = BigInt(other.v);
    let a = l.a;
    let b: bigint;
    if (op === '+') b = l.b + c;
    else if (op === '-') {
      if (lx !== undefined) b = l.b - c;
      else [a, b] = [-l.a, c - l.b];
    } else [a, b] = [l.a * c, l.b * c];
    if (a === 0n) return cond([{ when: linDefined(l), then: val(0) }]);
    const next = linStep(l, a, b);
    return next === undefined ? ERR : { k: 'lin', l: next };
  }

  /** `a·p + b op v` for a known `v`. */
  #linCmp(l: Lin, op: ops.CompareOp, v: Value): PVal {
    if (typeof v !== 'number' && typeof v !== 'bigint') return ERR; // a Long is only compared with a Long
    return this.#where(linDefined(l), linCompare(l, op, BigInt(v)));
  }

  /** Where a residual value evaluates without an error. */
  #defined(v: PVal): ResourceFilter {
    switch (v.k) {
      case 'val':
      case 'res':
        return TRUE;
      case 'path':
        return has(v.p);
      case 'bool':
        return or(v.b.t, v.b.f);
      case 'setlit':
        return this.#litDefined(v);
      case 'reclit':
        return and(...[...v.fields.values()].map((f) => this.#defined(f)));
      case 'lin':
        return linDefined(v.l);
      default:
        return FALSE;
    }
  }

  #litDefined(s: Extract<PVal, { k: 'setlit' }>): ResourceFilter {
    return and(...s.elems.map((e) => this.#defined(e)));
  }

  /** `(t, f)` of a test that holds on `core`, where the operands are defined (`defined`). */
  #where(defined: ResourceFilter, core: ResourceFilter): PVal {
    return bool(and(defined, core), and(defined, not(core)));
  }

  /** `[e1, …, en].contains(y)`: some element equals `y`. */
  #litContains(s: Extract<PVal, { k: 'setlit' }>, y: PVal): PVal {
    if (y.k === 'setlit')
      throw new UnsupportedResidual(
        '`contains` of a set literal holding a resource-dependent value',
      );
    const hit = or(...s.elems.map((e) => this.#toBool(this.#eq(e, y)).t));
    return this.#where(and(this.#litDefined(s), this.#defined(y)), hit);
  }

  /** `containsAll`/`containsAny` with a set literal on one side and a known set on the other. */
  #litContainsSet(op: 'containsAll' | 'containsAny', x: PVal, y: PVal): PVal {
    const join = op === 'containsAll' ? and : or;
    if (x.k === 'setlit' && y.k === 'val') {
      if (!(y.v instanceof CedarSet)) return ERR;
      const each = y.v.items.map((v) => this.#toBool(this.#litContains(x, val(v))).t);
      return this.#where(this.#litDefined(x), join(...each));
    }
    if (x.k === 'val' && y.k === 'setlit') {
      if (!(x.v instanceof CedarSet)) return ERR;
      const each = y.elems.map((e) => this.#toBool(this.#contains(x, e)).t);
      return this.#where(this.#litDefined(y), join(...each));
    }
    if (x.k === 'path' || y.k === 'path' || (x.k === 'setlit' && y.k === 'setlit'))
      throw new UnsupportedResidual(`\`${op}\` between a set literal and a resource-dependent set`);
    return ERR; // the resource entity or a Bool is not a Set
  }

  /** `x in [e1, …, en]`: every element must be an entity; `x` is in one of them. */
  #inLit(x: PVal, s: Extract<PVal, { k: 'setlit' }>): PVal {
    const parts: Bool[] = [];
    for (const e of s.elems) {
      if (e.k === 'bool' || (e.k === 'val' && !(e.v instanceof EntityUID))) return ERR;
      const b = this.#toBool(this.#in(x, e));
      if (e.k === 'path') {
        const ent = typeOf(e.p, 'Entity');
        parts.push({ t: and(ent, b.t), f: and(ent, b.f) });
      } else parts.push(b);
    }
    const defined = and(...parts.map((b) => or(b.t, b.f)));
    return this.#where(defined, or(...parts.map((b) => b.t)));
  }

  #call(fn: string, args: readonly PVal[]): PVal {
    if (args.some((a) => a.k === 'err')) return ERR;
    if (args.every((a) => a.k === 'val')) {
      return known(() =>
        ops.callExtension(
          fn,
          args.map((a) => (a as { v: Value }).v),
        ),
      );
    }
    const spec = EXTENSION_FUNCTIONS.get(fn);
    if (spec === undefined || spec.arity !== args.length) return ERR;
    const ci = args.findIndex((a) => a.k === 'cond');
    if (ci >= 0) {
      return this.#lift1(args[ci]!, (x) =>
        this.#call(
          fn,
          args.map((a, i) => (i === ci ? x : a)),
        ),
      );
    }
    const out: ({ value: Value } | { path: ResourcePath })[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a.k === 'val') out.push({ value: a.v });
      else if (a.k === 'path') out.push({ path: a.p });
      else if (spec.argTypes[i] === 'Bool')
        throw new UnsupportedResidual(`\`${fn}\` on a resource-dependent Bool`);
      else return ERR; // an entity or a Bool where the function takes another type
    }
    if (spec.returns !== 'Bool')
      throw new UnsupportedResidual(
        `\`${fn}\` on a resource attribute (it returns ${spec.returns})`,
      );
    return bool(
      { kind: 'ext', fn, args: out, expect: true },
      { kind: 'ext', fn, args: out, expect: false },
    );
  }
}

function samePath(a: ResourcePath, b: ResourcePath): boolean {
  return (
    a.tag === b.tag &&
    a.attrs.length === b.attrs.length &&
    a.attrs.every((x, i) => x === b.attrs[i])
  );
}
