/**
 * What policies say about the request: for every attribute path of `principal`, `resource` and
 * `context`, the literals it is compared with, the bounds it is compared against, the members
 * it is tested for, its sub-attributes and tags; and every entity literal, with those used as
 * the right-hand side of `in`. The request universe draws its candidate values from these.
 */
import type { CompilablePolicy } from '../compile.js';
import type { Expr } from '../ast.js';
import { CedarSet, EntityUID, ExtensionValue, type Value } from '../values.js';
import { asPath, foldClosed, scopeExprs, subExprs, valueText, type Path } from './expr-facts.js';

export type Hint = 'Bool' | 'Long' | 'String' | 'Set' | 'Record' | 'Entity';

/** Facts about one path. */
export class PathFacts {
  /** Literal values the path is compared with (or may equal for a test to hold). */
  readonly values = new Map<string, Value>();
  /** Integer bounds (each comparison constant and its neighbours). */
  readonly longs = new Set<bigint>();
  /** Literals tested for membership when the path is a set. */
  readonly elements = new Map<string, Value>();
  readonly attrs = new Map<string, PathFacts>();
  readonly tags = new Map<string, PathFacts>();
  readonly hints = new Set<Hint>();
  /** Compared with another path (`resource.owner == principal`). */
  peer = false;

  addValue(v: Value): void {
    this.values.set(valueText(v), v);
  }
}

export class PolicyFacts {
  readonly roots = new Map<'principal' | 'resource' | 'context' | 'action', PathFacts>();
  /** Every entity literal, by key. */
  readonly entities = new Map<string, EntityUID>();
  /** Entity literals on the right of `in` (scopes, `in`, `is … in`). */
  readonly groups = new Map<string, EntityUID>();
  /** Action literals (scopes, and `action == …` in conditions). */
  readonly actions = new Map<string, EntityUID>();
  /** An `in` whose right-hand side is not a literal (`principal in resource.editors`). */
  dynamicIn = false;

  constructor(policies: readonly CompilablePolicy[]) {
    for (const p of policies) {
      const ast = p.ast;
      for (const s of [ast.principal, ast.resource]) {
        const t = s.op === '==' || s.op === 'in' ? s.target : s.op === 'is' ? s.in : undefined;
        if (t?.kind === 'entity') {
          this.#entity(t.uid);
          if (s.op !== '==') this.groups.set(t.uid.key, t.uid);
        }
      }
      if (ast.action.op === '==') this.actions.set(ast.action.uid.key, ast.action.uid);
      if (ast.action.op === 'in') for (const u of ast.action.uids) this.actions.set(u.key, u);
      for (const e of scopeExprs(ast)) this.#walk(e);
      for (const c of ast.conditions) {
        this.#boolPosition(c.body);
        this.#walk(c.body);
      }
    }
  }

  /** The facts of a path (created on first use, with its parents). */
  at(p: Path): PathFacts {
    if (p.root === 'action') return this.#root('action');
    let f = this.#root(p.root);
    for (const s of p.steps) {
      const m = s.tag ? f.tags : f.attrs;
      let g = m.get(s.name);
      if (g === undefined) m.set(s.name, (g = new PathFacts()));
      if (!s.tag) f.hints.add('Record');
      f = g;
    }
    return f;
  }

  #root(r: 'principal' | 'resource' | 'context' | 'action'): PathFacts {
    let f = this.roots.get(r);
    if (f === undefined) this.roots.set(r, (f = new PathFacts()));
    return f;
  }

  #entity(u: EntityUID): void {
    this.entities.set(u.key, u);
  }

  #boolPosition(e: Expr): void {
    for (const x of subExprs(e)) {
      const operands: Expr[] =
        x === e
          ? [x]
          : x.kind === 'not'
            ? [x.arg]
            : x.kind === 'if'
              ? [x.cond]
              : x.kind === 'binary' && (x.op === '&&' || x.op === '||')
                ? [x.left, x.right]
                : [];
      for (const o of operands) {
        const p = asPath(o);
        if (p !== undefined && p.steps.length > 0) this.at(p).hints.add('Bool');
      }
    }
  }

  #literals(v: Value): void {
    if (v instanceof EntityUID) this.#entity(v);
    else if (v instanceof CedarSet) for (const x of v.items) this.#literals(x);
  }

  #walk(root: Expr): void {
    for (const e of subExprs(root)) {
      if (e.kind === 'lit') {
        this.#literals(e.value);
        continue;
      }
      const p = asPath(e);
      if (p !== undefined) {
        if (p.root !== 'action' && p.steps.length > 0) this.at(p);
        continue;
      }
      switch (e.kind) {
        case 'hasAttr': {
          const o = asPath(e.object);
          if (o !== undefined)
            this.at({ root: o.root, steps: [...o.steps, { tag: false, name: e.attr }] });
          break;
        }
        case 'like': {
          const o = asPath(e.object);
          if (o !== undefined) {
            const f = this.at(o);
            f.hints.add('String');
            f.addValue(e.pattern.map((x) => (x === 'wildcard' ? '' : x.literal)).join(''));
          }
          break;
        }
        case 'is': {
          if (e.in !== undefined) this.#inRhs(e.in);
          break;
        }
        case 'isEmpty': {
          const o = asPath(e.arg);
          if (o !== undefined) this.at(o).hints.add('Set');
          break;
        }
        case 'binary':
          this.#binary(e);
          break;
        case 'call':
          this.#call(e.args);
          break;
        default:
          break;
      }
    }
  }

  #inRhs(rhs: Expr): void {
    const v = foldClosed(rhs);
    if (v?.kind === 'value') {
      const items = v.value instanceof CedarSet ? v.value.items : [v.value];
      for (const x of items) if (x instanceof EntityUID) this.groups.set(x.key, x);
    } else {
      this.dynamicIn = true;
      const p = asPath(rhs);
      if (p !== undefined) this.at(p).hints.add('Entity');
    }
  }

  #binary(e: Extract<Expr, { kind: 'binary' }>): void {
    const lp = asPath(e.left);
    const rp = asPath(e.right);
    const lv = foldClosed(e.left);
    const rv = foldClosed(e.right);
    const lval = lv?.kind === 'value' ? lv.value : undefined;
    const rval = rv?.kind === 'value' ? rv.value : undefined;
    switch (e.op) {
      case '==':
      case '!=':
        if (lp !== undefined && rval !== undefined) this.at(lp).addValue(rval);
        else if (rp !== undefined && lval !== undefined) this.at(rp).addValue(lval);
        else if (lp !== undefined && rp !== undefined) {
          this.at(lp).peer = true;
          this.at(rp).peer = true;
        }
        if (lp?.root === 'action' && rval instanceof EntityUID) this.actions.set(rval.key, rval);
        if (rp?.root === 'action' && lval instanceof EntityUID) this.actions.set(lval.key, lval);
        return;
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [p, v] = lp !== undefined ? [lp, rval] : [rp, lval];
        if (p === undefined || v === undefined) return;
        const f = this.at(p);
        if (typeof v === 'number' || typeof v === 'bigint') {
          f.hints.add('Long');
          const n = BigInt(v);
          for (const x of [n - 1n, n, n + 1n]) f.longs.add(x);
        } else if (v instanceof ExtensionValue) f.addValue(v);
        return;
      }
      case 'in':
        this.#inRhs(e.right);
        if (lp !== undefined && lp.steps.length > 0 && rval !== undefined) {
          const f = this.at(lp);
          f.hints.add('Entity');
          for (const x of rval instanceof CedarSet ? rval.items : [rval]) f.addValue(x);
        }
        if (e.right.kind !== 'lit' && rp !== undefined)
          this.at(rp).hints.add(rp.steps.length > 0 ? 'Set' : 'Entity');
        return;
      case 'contains':
        if (lp !== undefined) {
          const f = this.at(lp);
          f.hints.add('Set');
          if (rval !== undefined) f.elements.set(valueText(rval), rval);
          else if (rp !== undefined) f.peer = true;
        } else if (rp !== undefined && lval instanceof CedarSet) {
          for (const x of lval.items) this.at(rp).addValue(x);
        }
        return;
      case 'containsAll':
      case 'containsAny':
        for (const [p, v] of [
          [lp, rval],
          [rp, lval],
        ] as const) {
          if (p === undefined) continue;
          const f = this.at(p);
          f.hints.add('Set');
          if (v instanceof CedarSet) for (const x of v.items) f.elements.set(valueText(x), x);
        }
        return;
      case 'hasTag':
      case 'getTag':
        if (
          lp !== undefined &&
          lp.steps.length === 0 &&
          lp.root !== 'context' &&
          rval !== undefined &&
          typeof rval === 'string'
        ) {
          const f = this.at(lp);
          if (!f.tags.has(rval)) f.tags.set(rval, new PathFacts());
        }
        return;
      default:
        return;
    }
  }

  #call(args: readonly Expr[]): void {
    const paths = args.map(asPath);
    const values = args.map((a) => {
      const v = foldClosed(a);
      return v?.kind === 'value' ? v.value : undefined;
    });
    for (let i = 0; i < args.length; i++) {
      const p = paths[i];
      if (p === undefined || p.root === 'action') continue;
      for (const v of values) if (v instanceof ExtensionValue) this.at(p).addValue(v);
    }
  }
}
