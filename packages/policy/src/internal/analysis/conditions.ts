/**
 * Which outcomes a boolean expression can have: true (`T`), false (`F`) or an evaluation error
 * (`E`). The expression is split into atoms (`path has a`, `path == literal`, `path < 5`,
 * `path like "…"`, `path is T`, `var in E`, and opaque others); a depth-first search assigns
 * outcomes to the atoms in Cedar's evaluation order (short-circuit `&&`, `||`, `if`) and prunes
 * assignments that contradict each other: one path equal to two literals, an empty integer
 * interval, an attribute read after `has` said it is absent (that read is an error), a type
 * fixed by the request environment. The answer over-approximates: an outcome left out of it
 * never happens (for schema-conformant data when a schema is given).
 */
import type { Expr } from '../ast.js';
import { likeMatch } from '../ops.js';
import type { RecordAttrs, SchemaModel, SchemaType } from '../schema/model.js';
import {
  CedarRecord,
  CedarSet,
  EntityUID,
  LONG_MAX,
  LONG_MIN,
  valueEquals,
  type Value,
} from '../values.js';
import { asPath, exprKey, foldClosed, parentPath, pathKey, type Path } from './expr-facts.js';
import { mayBeIn, type AnalysisEnv } from './scope.js';

export type Outcome = 'T' | 'F' | 'E';

/** The schema view of one request environment (undefined parts are unknown). */
export interface TypeEnv extends AnalysisEnv {
  readonly model?: SchemaModel;
  readonly context?: { readonly attrs: RecordAttrs; readonly open: boolean };
}

type CmpOp = '<' | '<=' | '>' | '>=';

interface Atom {
  readonly key: string;
  readonly kind: 'has' | 'eq' | 'cmp' | 'like' | 'is' | 'in' | 'opaque';
  /** Key of the subject path (for `has`, the object whose attribute is tested). */
  readonly subject?: string;
  /** `has` atoms (keys) that must be true for the subject to evaluate without error. */
  readonly requires: readonly string[];
  /** Outcomes this environment allows, before looking at the other atoms. */
  readonly allowed: readonly Outcome[];
  /** True when no error is possible once `requires` all hold. */
  readonly errorFree: boolean;
  readonly value?: Value;
  readonly cmp?: { readonly op: CmpOp; readonly n: bigint };
  readonly attr?: string;
  readonly test?: (v: Value) => boolean | undefined;
}

type State = ReadonlyMap<string, Outcome>;

/** Raised when the search passes its budget: the answer is then "anything". */
class Budget extends Error {}

const ALL: readonly Outcome[] = ['T', 'F', 'E'];
const TF: readonly Outcome[] = ['T', 'F'];

function toBig(v: Value): bigint | undefined {
  return typeof v === 'number' || typeof v === 'bigint' ? BigInt(v) : undefined;
}

function typeMatches(
  req: 'Long' | 'String' | 'Entity' | 'EntityOrRecord' | 'Bool',
  t: SchemaType,
): boolean {
  switch (req) {
    case 'Long':
      return t.kind === 'Long';
    case 'String':
      return t.kind === 'String';
    case 'Bool':
      return t.kind === 'Bool';
    case 'Entity':
      return t.kind === 'Entity';
    case 'EntityOrRecord':
      return t.kind === 'Entity' || t.kind === 'Record';
  }
}

/** The search over one expression in one environment. */
class Search {
  readonly #atoms = new Map<string, Atom>();
  #budget: number;

  constructor(
    private readonly env: TypeEnv,
    budget: number,
  ) {
    this.#budget = budget;
  }

  // -------------------------------------------------------------------------------------------
  // Types from the schema

  /** The schema type of a path: a type, `'absent'` (declared not to exist) or undefined (unknown). */
  typeOf(p: Path): SchemaType | 'absent' | undefined {
    const env = this.env;
    const model = env.model;
    let t: SchemaType | undefined;
    switch (p.root) {
      case 'principal':
        t =
          env.principalType === undefined ? undefined : { kind: 'Entity', name: env.principalType };
        break;
      case 'resource':
        t = env.resourceType === undefined ? undefined : { kind: 'Entity', name: env.resourceType };
        break;
      case 'action':
        t = env.action === undefined ? undefined : { kind: 'Entity', name: env.action.type };
        break;
      case 'context':
        t =
          env.context === undefined
            ? undefined
            : { kind: 'Record', attrs: env.context.attrs, open: env.context.open };
        break;
    }
    for (const step of p.steps) {
      if (t === undefined || model === undefined) return undefined;
      if (step.tag) {
        if (t.kind !== 'Entity') return undefined;
        t = model.entityTypes.get(t.name)?.tags;
        continue;
      }
      const a = this.attrOf(t, step.name);
      if (a === 'absent') return 'absent';
      t = a?.type;
    }
    return t;
  }

  /** A declared attribute, `'absent'` when the type declares it cannot exist, else unknown. */
  attrOf(
    t: SchemaType,
    name: string,
  ): { type: SchemaType; required: boolean } | 'absent' | undefined {
    const model = this.env.model;
    if (t.kind === 'Entity') {
      if (model === undefined || model.actionTypes.has(t.name)) return undefined;
      const def = model.entityTypes.get(t.name);
      if (def === undefined) return undefined;
      return def.shape.get(name) ?? 'absent';
    }
    if (t.kind === 'Record') return t.attrs.get(name) ?? (t.open ? undefined : 'absent');
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Atoms

  #register(a: Atom): Atom {
    const known = this.#atoms.get(a.key);
    if (known !== undefined) return known;
    this.#atoms.set(a.key, a);
    return a;
  }

  /** The `has` atoms that make the path evaluate (registered), outermost first. */
  #requiresOf(p: Path): string[] {
    const out: string[] = [];
    for (let q: Path | undefined = p; q !== undefined && q.steps.length > 0; q = parentPath(q)) {
      out.unshift(this.#hasAtom(parentPath(q)!, q.steps[q.steps.length - 1]!).key);
    }
    return out;
  }

  #hasAtom(obj: Path, step: { tag: boolean; name: string }): Atom {
    const key = `has ${pathKey(obj)} ${step.tag ? '#' : '.'}${JSON.stringify(step.name)}`;
    const known = this.#atoms.get(key);
    if (known !== undefined) return known;
    const requires = this.#requiresOf(obj);
    const t = this.typeOf(obj);
    // `var has a` never errors: principal, action and resource are entities, context a record.
    let errorFree = obj.steps.length === 0;
    let base: readonly Outcome[] = TF;
    if (t === 'absent') {
      base = [];
      errorFree = false;
    } else if (t !== undefined) {
      errorFree = t.kind === 'Entity' || t.kind === 'Record';
      if (!errorFree) base = [];
      else if (!step.tag) {
        const a = this.attrOf(t, step.name);
        if (a === 'absent') base = ['F'];
        else if (a?.required === true) base = ['T'];
      }
    }
    const allowed: readonly Outcome[] = errorFree ? base : [...base, 'E'];
    return this.#register({
      key,
      kind: 'has',
      subject: pathKey(obj),
      requires,
      allowed,
      errorFree,
      attr: (step.tag ? '#' : '.') + step.name,
    });
  }

  #opaque(e: Expr, requires: readonly string[] = []): Atom {
    return this.#register({
      key: 'opaque ' + exprKey(e),
      kind: 'opaque',
      requires,
      allowed: ALL,
      errorFree: false,
    });
  }

  /** The atom for a boolean-position expression that is not `&&`, `||`, `!`, `if` or a literal. */
  atom(e: Expr): Atom {
    const path = asPath(e);
    if (path !== undefined && path.steps.length > 0) {
      // A Bool attribute read as a condition: with its type known it is `path == true`;
      // otherwise an opaque atom that errors when the attribute is missing.
      const t = this.typeOf(path);
      if (t !== undefined && t !== 'absent' && t.kind === 'Bool') {
        return this.#subjectAtom(
          'eq',
          path,
          'eq ' + exprKey({ kind: 'lit', value: true }),
          undefined,
          {
            value: true,
            test: (x) => valueEquals(x, true),
          },
        );
      }
      return this.#opaque(e, this.#requiresOf(path));
    }
    switch (e.kind) {
      case 'hasAttr': {
        const p = asPath(e.object);
        return p === undefined ? this.#opaque(e) : this.#hasAtom(p, { tag: false, name: e.attr });
      }
      case 'binary':
        return this.#binaryAtom(e);
      case 'like': {
        const p = asPath(e.object);
        if (p === undefined) return this.#opaque(e);
        const pattern = e.pattern;
        return this.#subjectAtom('like', p, 'like ' + JSON.stringify(pattern), 'String', {
          test: (v) => (typeof v === 'string' ? likeMatch(v, pattern) : undefined),
        });
      }
      case 'is': {
        const p = asPath(e.object);
        if (p === undefined || e.in !== undefined) return this.#opaque(e);
        const t = e.entityType;
        return this.#subjectAtom('is', p, 'is ' + t, 'Entity', {
          test: (v) => (v instanceof EntityUID ? v.type === t : undefined),
        });
      }
      default:
        return this.#opaque(e);
    }
  }

  #subjectAtom(
    kind: 'eq' | 'cmp' | 'like' | 'is',
    p: Path,
    what: string,
    typeReq: 'Long' | 'String' | 'Entity' | undefined,
    extra: Partial<Atom>,
  ): Atom {
    const subject = pathKey(p);
    const key = `${kind} ${subject} ${what}`;
    const known = this.#atoms.get(key);
    if (known !== undefined) return known;
    const requires = this.#requiresOf(p);
    const t = this.typeOf(p);
    // `==` never errors; the other tests need their subject's type.
    let errorFree =
      typeReq === undefined ||
      (typeReq === 'Entity' && p.root !== 'context' && p.steps.length === 0);
    let typeBad = t === 'absent';
    if (t !== undefined && t !== 'absent' && typeReq !== undefined) {
      if (typeMatches(typeReq, t)) errorFree = true;
      else typeBad = true;
    }
    const decided = this.#decide(kind, p, extra);
    const base: readonly Outcome[] = decided === undefined ? TF : [decided];
    const allowed: readonly Outcome[] = typeBad ? ['E'] : errorFree ? base : [...base, 'E'];
    return this.#register({ key, kind, subject, requires, allowed, errorFree, ...extra });
  }

  /** An outcome the environment alone fixes (types of the variables, the exact action). */
  #decide(kind: 'eq' | 'cmp' | 'like' | 'is', p: Path, extra: Partial<Atom>): Outcome | undefined {
    if (p.steps.length > 0) return undefined;
    const env = this.env;
    const known: EntityUID | string | undefined =
      p.root === 'action'
        ? env.action
        : p.root === 'principal'
          ? env.principalType
          : p.root === 'resource'
            ? env.resourceType
            : undefined;
    if (known === undefined) return undefined;
    if (kind === 'is' && extra.test !== undefined) {
      const type = typeof known === 'string' ? known : known.type;
      return extra.test(new EntityUID(type, '')) === true ? 'T' : 'F';
    }
    if (kind === 'eq') {
      const v = extra.value;
      if (!(v instanceof EntityUID)) return 'F';
      if (typeof known === 'string') return v.type === known ? undefined : 'F';
      return v.equals(known) ? 'T' : 'F';
    }
    return undefined;
  }

  #binaryAtom(e: Extract<Expr, { kind: 'binary' }>): Atom {
    const { op, left, right } = e;
    if (op === '==' || op === '!=') {
      const lp = asPath(left);
      const rp = asPath(right);
      const lv = foldClosed(left);
      const rv = foldClosed(right);
      const [p, v] =
        lp !== undefined && rv?.kind === 'value'
          ? [lp, rv.value]
          : rp !== undefined && lv?.kind === 'value'
            ? [rp, lv.value]
            : [undefined, undefined];
      if (p !== undefined && v !== undefined) {
        const value = v;
        return this.#subjectAtom('eq', p, 'eq ' + exprKey({ kind: 'lit', value }), undefined, {
          value,
          test: (x) => valueEquals(x, value),
        });
      }
      if (lp !== undefined && rp !== undefined) {
        return this.#opaque({ ...e, op: '==' }, [...this.#requiresOf(lp), ...this.#requiresOf(rp)]);
      }
      return this.#opaque({ ...e, op: '==' });
    }
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      const lp = asPath(left);
      const rp = asPath(right);
      const lv = foldClosed(left);
      const rv = foldClosed(right);
      const flip: Record<CmpOp, CmpOp> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
      let p: Path | undefined;
      let n: bigint | undefined;
      let o: CmpOp = op;
      if (lp !== undefined && rv?.kind === 'value') {
        p = lp;
        n = toBig(rv.value);
      } else if (rp !== undefined && lv?.kind === 'value') {
        p = rp;
        n = toBig(lv.value);
        o = flip[op];
      }
      if (p !== undefined && n !== undefined) {
        const bound = n;
        const cmpOp = o;
        return this.#subjectAtom('cmp', p, `${o} ${n}`, 'Long', {
          cmp: { op: o, n },
          test: (x) => {
            const b = toBig(x);
            return b === undefined ? undefined : cmpTest(cmpOp, b, bound);
          },
        });
      }
      return this.#opaque(e);
    }
    if (op === 'in') {
      const lp = asPath(left);
      const rv = foldClosed(right);
      if (lp !== undefined && lp.steps.length === 0 && rv?.kind === 'value')
        return this.#inAtom(e, lp, rv.value);
    }
    return this.#opaque(e);
  }

  #inAtom(e: Expr, p: Path, target: Value): Atom {
    const targets =
      target instanceof EntityUID
        ? [target]
        : target instanceof CedarSet
          ? target.items
          : undefined;
    if (targets === undefined || !targets.every((t) => t instanceof EntityUID))
      return this.#opaque(e);
    const uids = targets as EntityUID[];
    const env = this.env;
    const model = env.model;
    let allowed: readonly Outcome[] = TF;
    if (p.root === 'action' && env.action !== undefined && model !== undefined) {
      const a = env.action;
      allowed = uids.some((u) => u.equals(a) || model.actionDescendants.get(u.key)?.has(a.key))
        ? ['T']
        : ['F'];
    } else if (p.root === 'principal' || p.root === 'resource') {
      const t = p.root === 'principal' ? env.principalType : env.resourceType;
      if (t !== undefined && !uids.some((u) => mayBeIn(model, t, u.type))) allowed = ['F'];
    } else if (p.root === 'context') {
      allowed = ['E'];
    }
    return this.#register({
      key: 'in ' + exprKey(e),
      kind: 'in',
      subject: pathKey(p),
      requires: [],
      allowed,
      errorFree: true,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Consistency of an assignment

  consistent(s: State): boolean {
    const bySubject = new Map<string, Atom[]>();
    for (const [k, o] of s) {
      if (o === 'E') continue;
      const a = this.#atoms.get(k)!;
      if (a.subject === undefined || a.kind === 'in' || a.kind === 'opaque') continue;
      let list = bySubject.get(a.subject);
      if (list === undefined) bySubject.set(a.subject, (list = []));
      list.push(a);
    }
    for (const list of bySubject.values()) if (!this.#subjectConsistent(list, s)) return false;
    return true;
  }

  #subjectConsistent(list: readonly Atom[], s: State): boolean {
    let fixed: Value | undefined;
    let needs: 'Long' | 'String' | 'Entity' | 'EntityOrRecord' | undefined;
    const need = (t: 'Long' | 'String' | 'Entity' | 'EntityOrRecord'): boolean => {
      if (needs === undefined || needs === t) needs = t;
      else if (
        (needs === 'EntityOrRecord' && t === 'Entity') ||
        (needs === 'Entity' && t === 'EntityOrRecord')
      )
        needs = 'Entity';
      else return false;
      return true;
    };
    for (const a of list) {
      if (a.kind === 'eq' && s.get(a.key) === 'T') {
        if (fixed !== undefined && !valueEquals(fixed, a.value!)) return false;
        fixed = a.value;
      }
      if ((a.kind === 'cmp' && !need('Long')) || (a.kind === 'like' && !need('String')))
        return false;
      if ((a.kind === 'is' && !need('Entity')) || (a.kind === 'has' && !need('EntityOrRecord')))
        return false;
    }
    if (fixed !== undefined) {
      for (const a of list) {
        const want = s.get(a.key) === 'T';
        if (a.kind === 'has') {
          if (fixed instanceof CedarRecord) {
            if (a.attr!.startsWith('#') || fixed.has(a.attr!.slice(1)) !== want) return false;
          } else if (!(fixed instanceof EntityUID)) return false;
          continue;
        }
        const r = a.test!(fixed);
        if (r === undefined || r !== want) return false;
      }
      return true;
    }
    // Integer interval from the comparisons, minus the excluded values.
    let lo = LONG_MIN;
    let hi = LONG_MAX;
    const excluded = new Set<bigint>();
    let types: string | undefined;
    for (const a of list) {
      const want = s.get(a.key) === 'T';
      if (a.kind === 'cmp') {
        const { op, n } = a.cmp!;
        const eff = want ? op : negate(op);
        if (eff === '<') hi = min(hi, n - 1n);
        else if (eff === '<=') hi = min(hi, n);
        else if (eff === '>') lo = max(lo, n + 1n);
        else lo = max(lo, n);
      } else if (a.kind === 'eq' && !want) {
        const b = toBig(a.value!);
        if (b !== undefined) excluded.add(b);
      } else if (a.kind === 'is' && want) {
        const t = a.key.slice(a.key.lastIndexOf(' ') + 1);
        if (types !== undefined && types !== t) return false;
        types = t;
      }
    }
    if (lo > hi) return false;
    if (hi - lo < BigInt(excluded.size)) {
      for (let x = lo; x <= hi; x++) if (!excluded.has(x)) return true;
      return false;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // The search

  #tick(): void {
    if (--this.#budget < 0) throw new Budget();
  }

  /** Every (outcome, assignment) the atom can take from `s`. */
  *#branch(a: Atom, s: State): Generator<[Outcome, State]> {
    const known = s.get(a.key);
    if (known !== undefined) {
      yield [known, s];
      return;
    }
    const reqFailed = a.requires.some((r) => s.get(r) === 'F' || s.get(r) === 'E');
    // An error from a missing step of the path is possible while some step is undecided and
    // may be absent. (An error ends the evaluation, so nothing needs assigning for it.)
    const reqMayFail = a.requires.some(
      (r) => s.get(r) === undefined && !this.#atoms.get(r)!.allowed.every((o) => o === 'T'),
    );
    const outcomes: readonly Outcome[] = reqFailed
      ? ['E']
      : reqMayFail && !a.allowed.includes('E')
        ? [...a.allowed, 'E']
        : a.allowed;
    for (const o of outcomes) {
      this.#tick();
      if (o === 'E') {
        yield ['E', s];
        continue;
      }
      const next = new Map(s);
      next.set(a.key, o);
      let ok = true;
      for (const r of a.requires) {
        const have = next.get(r);
        if (have === undefined) {
          const ra = this.#atoms.get(r)!;
          if (!ra.allowed.includes('T')) ok = false;
          next.set(r, 'T');
        } else if (have !== 'T') ok = false;
      }
      if (!ok) continue;
      if (!this.consistent(next)) continue;
      yield [o, next];
    }
  }

  /** Every (outcome, assignment) of a boolean-position expression from `s`. */
  *eval(e: Expr, s: State): Generator<[Outcome, State]> {
    this.#tick();
    const folded = foldClosed(e);
    if (folded !== undefined) {
      yield [
        folded.kind === 'error'
          ? 'E'
          : folded.value === true
            ? 'T'
            : folded.value === false
              ? 'F'
              : 'E',
        s,
      ];
      return;
    }
    switch (e.kind) {
      case 'not':
        for (const [o, t] of this.eval(e.arg, s))
          yield [o === 'T' ? 'F' : o === 'F' ? 'T' : 'E', t];
        return;
      case 'if':
        for (const [o, t] of this.eval(e.cond, s)) {
          if (o === 'E') yield [o, t];
          else yield* this.eval(o === 'T' ? e.then : e.else, t);
        }
        return;
      case 'binary':
        if (e.op === '&&' || e.op === '||') {
          const stop: Outcome = e.op === '&&' ? 'F' : 'T';
          for (const [o, t] of this.eval(e.left, s)) {
            if (o === 'E' || o === stop) yield [o, t];
            else yield* this.eval(e.right, t);
          }
          return;
        }
        if (e.op === '!=') {
          // `a != b` is `!(a == b)`: the same atom, negated.
          for (const [o, t] of this.#branch(this.atom({ ...e, op: '==' }), s)) {
            yield [o === 'T' ? 'F' : o === 'F' ? 'T' : 'E', t];
          }
          return;
        }
        break;
      case 'var':
        // A variable is never a Bool (context is a record, the others entities).
        yield ['E', s];
        return;
      case 'set':
      case 'record':
        yield ['E', s];
        return;
      default:
        break;
    }
    yield* this.#branch(this.atom(e), s);
  }
}

function cmpTest(op: CmpOp, a: bigint, b: bigint): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function negate(op: CmpOp): CmpOp {
  return op === '<' ? '>=' : op === '<=' ? '>' : op === '>' ? '<=' : '<';
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Outcomes of `target` on every path where each of `assumptions` is true first; undefined past the budget. */
export function possibleOutcomes(
  target: Expr,
  assumptions: readonly Expr[],
  env: TypeEnv,
  budget = 20_000,
): ReadonlySet<Outcome> | undefined {
  const search = new Search(env, budget);
  const out = new Set<Outcome>();
  const walk = function* (i: number, s: State): Generator<State> {
    if (i === assumptions.length) {
      yield s;
      return;
    }
    for (const [o, t] of search.eval(assumptions[i]!, s)) if (o === 'T') yield* walk(i + 1, t);
  };
  try {
    for (const s of walk(0, new Map())) {
      for (const [o] of search.eval(target, s)) {
        out.add(o);
        if (out.size === 3) return out;
      }
    }
  } catch (e) {
    if (e instanceof Budget) return undefined;
    throw e;
  }
  return out;
}

/** A condition as the boolean it must be for the policy to apply (`unless c` is `!c`). */
export function conditionExpr(c: { readonly kind: 'when' | 'unless'; readonly body: Expr }): Expr {
  return c.kind === 'when' ? c.body : { kind: 'not', arg: c.body };
}
