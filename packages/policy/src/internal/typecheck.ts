/**
 * Cedar's strict-mode typechecker for one policy in one request environment.
 *
 * Types (./static-types.ts) follow Cedar's validator: singleton booleans let short-circuiting
 * and `has` tests prove a branch dead. Capabilities (`e has a`, `e.hasTag(k)`) flow through `&&`, `||` and
 * `if` and make optional-attribute and tag accesses safe.
 *
 * After an error, the offending expression gets the `error` type, which every later check
 * accepts silently, so one cause gives one error. Where Cedar's typechecker knows the type
 * despite the error (an unguarded optional attribute, arithmetic), typing goes on with it, so
 * follow-on errors are reported as Cedar reports them.
 */
import type { Expr, SlotName, Span } from './ast.js';
import type { RecordAttrs, SchemaModel } from './schema/model.js';
import { EXTENSION_SIGNATURES } from './extension-signatures.js';
import {
  BOOL,
  ERROR,
  FALSE,
  LONG,
  STRING,
  TRUE,
  fromSchemaType,
  isBoolish,
  lub,
  recordTy,
  sameTy,
  showTy,
  type AttrTy,
  type Ty,
} from './static-types.js';
import { CedarRecord, CedarSet, EntityUID, valueEquals, type Value } from './values.js';

/** Issue codes, named after Cedar's validation error kinds. */
export type ValidationIssueCode =
  | 'unknownEntityType'
  | 'unknownAction'
  | 'invalidEnumEntity'
  | 'invalidActionApplication'
  | 'impossiblePolicy'
  | 'typeMismatch'
  | 'lubError'
  | 'mixedSetTypes'
  | 'emptySetLiteral'
  | 'unknownAttribute'
  | 'unsafeOptionalAttributeAccess'
  | 'unsafeTagAccess'
  | 'unknownExtensionFunction'
  | 'wrongArity'
  | 'nonLitExtConstructor'
  | 'extensionArgument';

export interface TypeIssue {
  readonly code: ValidationIssueCode;
  readonly message: string;
  readonly span?: Span;
}

/** One request environment: types of the variables (and of the slots, for templates). */
export interface TypeEnv {
  readonly principal: string;
  readonly action: EntityUID;
  readonly resource: string;
  readonly context: Ty;
  readonly slots: Partial<Record<SlotName, string>>;
}

/**
 * Capabilities: keys of the attribute and tag accesses proven safe. Few at a time, so a small
 * array (never mutated) beats a set.
 */
export type Caps = readonly string[];
const NO_CAPS: Caps = [];

function union(a: Caps, b: Caps): Caps {
  if (a.length === 0) return b;
  if (b.length === 0 || a === b) return a;
  return [...a, ...b.filter((x) => !a.includes(x))];
}

function intersect(a: Caps, b: Caps): Caps {
  if (a.length === 0 || b.length === 0) return NO_CAPS;
  return a.filter((x) => b.includes(x));
}

interface Typed {
  readonly ty: Ty;
  readonly caps: Caps;
}

const ok = (ty: Ty, caps: Caps = NO_CAPS): Typed => ({ ty, caps });

/** A structural key of an expression (spans ignored), as capabilities compare expressions. */
export function exprKey(e: Expr): string {
  if (e.kind === 'var') return `V${e.name}`;
  let k = KEYS.get(e);
  if (k === undefined) {
    k = computeKey(e);
    KEYS.set(e, k);
  }
  return k;
}

const KEYS = new WeakMap<Expr, string>();

function computeKey(e: Expr): string {
  switch (e.kind) {
    case 'lit':
      return `L${valueKey(e.value)}`;
    case 'var':
      return `V${e.name}`;
    case 'slot':
      return `S${e.name}`;
    case 'unknown':
      return `U${JSON.stringify(e.name)}`;
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
      return `(is ${exprKey(e.object)} ${e.entityType}${e.in ? ' ' + exprKey(e.in) : ''})`;
    case 'set':
      return `[${e.elements.map(exprKey).join(' ')}]`;
    case 'record':
      return `{${e.fields.map(([k, v]) => `${JSON.stringify(k)} ${exprKey(v)}`).join(' ')}}`;
    case 'call':
      return `(${e.fn} ${e.args.map(exprKey).join(' ')})`;
  }
}

function valueKey(v: Value): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof EntityUID) return v.key;
  if (v instanceof CedarSet) return `[${v.items.map(valueKey).join(' ')}]`;
  if (v instanceof CedarRecord) {
    return `{${[...v.attrs].map(([k, x]) => `${JSON.stringify(k)} ${valueKey(x)}`).join(' ')}}`;
  }
  return `${v.constructorName}(${JSON.stringify(v.arg())})`;
}

const attrCap = (e: Expr, attr: string): string => `a${exprKey(e)}\u0000${attr}`;
const tagCap = (e: Expr, tag: Expr): string => `t${exprKey(e)}\u0000${exprKey(tag)}`;

const NO_ATTRS: ReadonlyMap<string, AttrTy> = new Map();
/** Entity shapes converted once per schema. */
const SHAPES = new WeakMap<RecordAttrs, ReadonlyMap<string, AttrTy>>();

/** Typechecks expressions of one policy in one environment, collecting issues. */
export class Typechecker {
  readonly issues: TypeIssue[] = [];

  constructor(
    private readonly model: SchemaModel,
    private readonly env: TypeEnv,
  ) {}

  private issue(code: ValidationIssueCode, message: string, span: Span | undefined): void {
    this.issues.push(span ? { code, message, span } : { code, message });
  }

  private mismatch(expected: string, t: Ty, span: Span | undefined, help?: string): void {
    this.issue(
      'typeMismatch',
      `unexpected type: expected ${expected} but saw ${showTy(t)}${help ? ` (${help})` : ''}`,
      span,
    );
  }

  /** Typechecks `e` and requires a boolean; a wrong type is reported and becomes `error`. */
  expectBool(e: Expr, caps: Caps): Typed {
    const r = this.check(e, caps);
    if (r.ty.k === 'error' || isBoolish(r.ty)) return r;
    this.mismatch('Bool', r.ty, e.span);
    return ok(ERROR);
  }

  private expectKind(
    e: Expr,
    caps: Caps,
    accept: (t: Ty) => boolean,
    expected: string,
    help?: string,
  ): Typed {
    const r = this.check(e, caps);
    if (r.ty.k === 'error' || accept(r.ty)) return r;
    this.mismatch(expected, r.ty, e.span, help);
    return ok(ERROR, r.caps);
  }

  private expectLong(e: Expr, caps: Caps, help?: string): Ty {
    return this.expectKind(e, caps, (t) => t.k === 'long', 'Long', help).ty;
  }

  private expectEntity(e: Expr, caps: Caps, help?: string): Ty {
    return this.expectKind(e, caps, (t) => t.k === 'entity', '__cedar::internal::AnyEntity', help)
      .ty;
  }

  private expectString(e: Expr, caps: Caps, help?: string): Ty {
    return this.expectKind(e, caps, (t) => t.k === 'string', 'String', help).ty;
  }

  private expectSet(e: Expr, caps: Caps, help?: string): Ty {
    return this.expectKind(e, caps, (t) => t.k === 'set', 'Set<__cedar::internal::Any>', help).ty;
  }

  private join(a: Ty, b: Ty, span: Span | undefined, what: string, code: ValidationIssueCode): Ty {
    const t = lub(a, b);
    if (!('fail' in t)) return t;
    this.issue(
      code,
      `the types ${showTy(a)} and ${showTy(b)} are not compatible: ${what}. ${t.fail}`,
      span,
    );
    return ERROR;
  }

  check(e: Expr, caps: Caps): Typed {
    switch (e.kind) {
      case 'lit':
        return ok(this.litType(e.value));
      case 'var':
        switch (e.name) {
          case 'principal':
            return ok({ k: 'entity', name: this.env.principal });
          case 'resource':
            return ok({ k: 'entity', name: this.env.resource });
          case 'action':
            return ok({ k: 'entity', name: this.env.action.type });
          case 'context':
            return ok(this.env.context);
        }
        break;
      case 'slot': {
        const t = this.env.slots[e.name];
        return ok(t === undefined ? ERROR : { k: 'entity', name: t });
      }
      case 'unknown':
        this.issue('typeMismatch', `unknown \`${e.name}\` cannot be typechecked`, e.span);
        return ok(ERROR);
      case 'not': {
        const r = this.expectBool(e.arg, caps);
        return ok(negate(r.ty));
      }
      case 'neg':
        this.expectLong(e.arg, caps);
        return ok(LONG);
      case 'isEmpty':
        this.expectSet(e.arg, caps);
        return ok(BOOL);
      case 'if':
        return this.checkIf(e, caps);
      case 'getAttr':
        return this.checkGetAttr(e, caps);
      case 'hasAttr':
        return this.checkHasAttr(e, caps);
      case 'like':
        this.expectString(e.object, caps);
        return ok(BOOL);
      case 'is': {
        const t = this.expectEntity(e.object, caps, 'try using `is` to test for an entity type');
        const isTy = t.k === 'entity' ? (t.name === e.entityType ? TRUE : FALSE) : BOOL;
        if (!e.in) return ok(t.k === 'error' ? ERROR : isTy);
        if (isTy.k === 'false') return ok(FALSE);
        const inTy = this.checkIn(e.object, e.in, caps, e.span);
        return ok(andTy(isTy, inTy));
      }
      case 'set':
        return ok(this.checkSet(e.elements, e.span, caps));
      case 'record': {
        const attrs = new Map<string, AttrTy>();
        let err = false;
        for (const [k, v] of e.fields) {
          const t = this.check(v, caps).ty;
          if (t.k === 'error') err = true;
          attrs.set(k, { ty: t, required: true });
        }
        return ok(err ? ERROR : { k: 'record', attrs, open: false });
      }
      case 'call':
        return ok(this.checkCall(e, caps));
      case 'binary':
        return this.checkBinary(e, caps);
    }
  }

  private litType(v: Value): Ty {
    if (typeof v === 'boolean') return v ? TRUE : FALSE;
    if (typeof v === 'number' || typeof v === 'bigint') return LONG;
    if (typeof v === 'string') return STRING;
    if (v instanceof EntityUID) {
      // Undeclared types and actions are reported once per policy by the scope/literal pass.
      if (this.model.actionTypes.has(v.type)) {
        return this.model.actions.has(v.key) ? { k: 'entity', name: v.type } : ERROR;
      }
      return this.model.entityTypes.has(v.type) ? { k: 'entity', name: v.type } : ERROR;
    }
    return ERROR;
  }

  private checkIf(e: Extract<Expr, { kind: 'if' }>, caps: Caps): Typed {
    const c = this.expectBool(e.cond, caps);
    if (c.ty.k === 'true') {
      const t = this.check(e.then, union(caps, c.caps));
      return ok(t.ty, union(c.caps, t.caps));
    }
    if (c.ty.k === 'false') return this.check(e.else, caps);
    const t = this.check(e.then, union(caps, c.caps));
    const f = this.check(e.else, caps);
    const ty = this.join(
      t.ty,
      f.ty,
      e.span,
      'both branches of a conditional must have compatible types',
      'lubError',
    );
    return ok(ty, intersect(union(c.caps, t.caps), f.caps));
  }

  private checkGetAttr(e: Extract<Expr, { kind: 'getAttr' }>, caps: Caps): Typed {
    const r = this.expectKind(
      e.object,
      caps,
      (t) => t.k === 'entity' || t.k === 'record',
      '__cedar::internal::AnyEntity, or __cedar::internal::OpenRecord{}',
    );
    const t = r.ty;
    if (t.k === 'error') return ok(ERROR);
    const attrs = this.attrsOf(t);
    const a = attrs?.get(e.attr);
    const where =
      t.k === 'entity'
        ? `on entity type \`${t.name}\``
        : e.object.kind === 'var' && e.object.name === 'context'
          ? `in context for ${this.env.action.key}`
          : '';
    if (!a) {
      this.issue(
        'unknownAttribute',
        `attribute \`${e.attr}\`${where ? ' ' + where : ''} not found`,
        e.span,
      );
      return ok(ERROR);
    }
    if (!a.required && !caps.includes(attrCap(e.object, e.attr))) {
      this.issue(
        'unsafeOptionalAttributeAccess',
        `unable to guarantee safety of access to optional attribute \`${e.attr}\`${where ? ' ' + where : ''}`,
        e.span,
      );
      // The attribute's type is known: typing goes on with it, as Cedar's does.
    }
    return ok(a.ty);
  }

  private attrsOf(t: Ty): ReadonlyMap<string, AttrTy> | undefined {
    if (t.k === 'record') return t.attrs;
    if (t.k !== 'entity') return undefined;
    const def = this.model.entityTypes.get(t.name);
    if (!def) return NO_ATTRS;
    let attrs = SHAPES.get(def.shape);
    if (!attrs) {
      attrs = (recordTy(def.shape, false) as { attrs: ReadonlyMap<string, AttrTy> }).attrs;
      SHAPES.set(def.shape, attrs);
    }
    return attrs;
  }

  private checkHasAttr(e: Extract<Expr, { kind: 'hasAttr' }>, caps: Caps): Typed {
    const r = this.expectKind(
      e.object,
      caps,
      (t) => t.k === 'entity' || t.k === 'record',
      '__cedar::internal::AnyEntity, or __cedar::internal::OpenRecord{}',
    );
    const t = r.ty;
    if (t.k === 'error') return ok(ERROR);
    const key = attrCap(e.object, e.attr);
    const a = this.attrsOf(t)?.get(e.attr);
    const capSet: Caps = [key];
    if (!a) {
      if (t.k === 'record' && t.open) return ok(BOOL, capSet);
      return ok(FALSE);
    }
    if (caps.includes(key)) return ok(TRUE, capSet);
    if (t.k === 'record' && a.required) return ok(TRUE, capSet);
    return ok(BOOL, capSet);
  }

  private checkSet(elements: readonly Expr[], span: Span | undefined, caps: Caps): Ty {
    if (elements.length === 0) {
      this.issue('emptySetLiteral', 'empty set literals are forbidden in policies', span);
      return ERROR;
    }
    let el: Ty = { k: 'never' };
    for (const x of elements) {
      const t = this.check(x, caps).ty;
      if (el.k === 'error') continue;
      el = this.join(el, t, span, 'elements of a set must have compatible types', 'mixedSetTypes');
    }
    return el.k === 'error' ? ERROR : { k: 'set', el };
  }

  private checkCall(e: Extract<Expr, { kind: 'call' }>, caps: Caps): Ty {
    const sig = EXTENSION_SIGNATURES.get(e.fn);
    if (!sig) {
      for (const a of e.args) this.check(a, caps);
      this.issue('unknownExtensionFunction', `undefined extension function: ${e.fn}`, e.span);
      return ERROR;
    }
    if (e.args.length !== sig.args.length) {
      for (const a of e.args) this.check(a, caps);
      this.issue(
        'wrongArity',
        `wrong number of arguments in extension function application. Expected ${sig.args.length}, got ${e.args.length}`,
        e.span,
      );
      return ERROR;
    }
    let err = false;
    e.args.forEach((a, i) => {
      const want = sig.args[i]!;
      const t = this.check(a, caps).ty;
      if (t.k === 'error') {
        err = true;
      } else if (!sameTy(t, want)) {
        this.mismatch(showTy(want), t, a.span);
        err = true;
      }
    });
    if (sig.validLiteral) {
      const arg = e.args[0]!;
      if (arg.kind !== 'lit') {
        this.issue(
          'nonLitExtConstructor',
          'extension constructors may not be called with non-literal expressions',
          e.span,
        );
        err = true;
      } else if (typeof arg.value === 'string' && !sig.validLiteral(arg.value)) {
        this.issue(
          'extensionArgument',
          `error during extension function argument validation: failed to parse as ${sig.returns.k === 'ext' ? sig.returns.name : 'a value'}: \`${JSON.stringify(arg.value)}\``,
          e.span,
        );
        err = true;
      }
    }
    return err ? ERROR : sig.returns;
  }

  private checkBinary(e: Extract<Expr, { kind: 'binary' }>, caps: Caps): Typed {
    const { left, right, span } = e;
    switch (e.op) {
      case '&&': {
        const l = this.expectBool(left, caps);
        if (l.ty.k === 'false') return ok(FALSE);
        const r = this.expectBool(right, union(caps, l.caps));
        if (r.ty.k === 'false') return ok(FALSE);
        return ok(andTy(l.ty, r.ty), union(l.caps, r.caps));
      }
      case '||': {
        const l = this.expectBool(left, caps);
        if (l.ty.k === 'true') return ok(TRUE, l.caps);
        const r = this.expectBool(right, caps);
        if (l.ty.k === 'false') return r;
        if (r.ty.k === 'true') return ok(TRUE, r.caps);
        if (r.ty.k === 'false') return l;
        if (l.ty.k === 'error' || r.ty.k === 'error') return ok(ERROR);
        return ok(BOOL, intersect(l.caps, r.caps));
      }
      case '==':
        return ok(this.checkEq(left, right, span, caps));
      case '!=':
        return ok(negate(this.checkEq(left, right, span, caps)));
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const ordered = (t: Ty): boolean =>
          t.k === 'long' || (t.k === 'ext' && (t.name === 'datetime' || t.name === 'duration'));
        // Both operands are typed first; an error inside either one stops the kind checks.
        const l = this.check(left, caps).ty;
        const r = this.check(right, caps).ty;
        if (l.k === 'error' || r.k === 'error') return ok(BOOL);
        const kinds = 'datetime, or duration, or Long';
        if (!ordered(l)) {
          this.mismatch(kinds, l, left.span);
          if (!ordered(r)) this.mismatch(kinds, r, right.span);
        } else if (!sameTy(r, l)) {
          this.mismatch(showTy(l), r, right.span);
        }
        return ok(BOOL);
      }
      case '+':
      case '-':
      case '*': {
        const help = e.op === '+' ? 'Cedar does not support string concatenation' : undefined;
        this.expectLong(left, caps, help);
        this.expectLong(right, caps, help);
        return ok(LONG);
      }
      case 'in':
        return ok(this.checkIn(left, right, caps, span));
      case 'contains': {
        const s = this.expectSet(left, caps);
        const x = this.check(right, caps).ty;
        if (s.k === 'set') {
          this.join(
            s.el,
            x,
            span,
            'elements of the first operand and the second operand to a `contains` expression must have compatible types',
            'lubError',
          );
        }
        return ok(BOOL);
      }
      case 'containsAll':
      case 'containsAny': {
        const help =
          e.op === 'containsAny' || e.op === 'containsAll'
            ? 'try using `contains` to test if a single element is in a set'
            : undefined;
        const a = this.expectSet(left, caps, help);
        const b = this.expectSet(right, caps, help);
        if (a.k === 'set' && b.k === 'set') {
          this.join(
            a,
            b,
            span,
            `elements of both set operands to a \`${e.op}\` expression must have compatible types`,
            'lubError',
          );
        }
        return ok(BOOL);
      }
      case 'hasTag': {
        const t = this.expectEntity(left, caps);
        const k = this.expectString(right, caps);
        if (t.k !== 'entity') return ok(t.k === 'error' || k.k === 'error' ? ERROR : BOOL);
        if (!this.model.entityTypes.get(t.name)?.tags) return ok(FALSE);
        const key = tagCap(left, right);
        return ok(caps.includes(key) ? TRUE : BOOL, [key]);
      }
      case 'getTag': {
        const t = this.expectEntity(left, caps);
        const k = this.expectString(right, caps);
        if (t.k !== 'entity') return ok(ERROR);
        const tags = this.model.entityTypes.get(t.name)?.tags;
        if (!tags || !caps.includes(tagCap(left, right))) {
          this.issue(
            'unsafeTagAccess',
            `unable to guarantee safety of access to tag \`${showExprBrief(right)}\` on entity type \`${t.name}\``,
            span,
          );
          return ok(ERROR);
        }
        return ok(k.k === 'error' ? ERROR : fromSchemaType(tags));
      }
    }
  }

  private checkEq(left: Expr, right: Expr, span: Span | undefined, caps: Caps): Ty {
    const l = this.check(left, caps).ty;
    const r = this.check(right, caps).ty;
    if (l.k === 'error' || r.k === 'error') return ERROR;
    const ty = this.typeOfEq(left, l, right, r);
    if (ty.k === 'false') return ty;
    const j = this.join(
      l,
      r,
      span,
      'both operands to a `==` expression must have compatible types',
      'lubError',
    );
    return j.k === 'error' ? ERROR : ty;
  }

  private typeOfEq(left: Expr, l: Ty, right: Expr, r: Ty): Ty {
    if (l.k === 'entity' && r.k === 'entity' && l.name !== r.name) return FALSE;
    if (left.kind === 'lit' && right.kind === 'lit') {
      return valueEquals(left.value, right.value) ? TRUE : FALSE;
    }
    // Only `action` is one known value per environment; `principal == principal` stays Bool.
    if (
      left.kind === 'var' &&
      right.kind === 'var' &&
      left.name === 'action' &&
      right.name === 'action'
    ) {
      return TRUE;
    }
    // `action` is one known entity in each environment: compared with any literal, the answer is known.
    const actionVsLit = (a: Expr, b: Expr): Ty | undefined =>
      a.kind === 'var' && a.name === 'action' && b.kind === 'lit'
        ? b.value instanceof EntityUID && b.value.equals(this.env.action)
          ? TRUE
          : FALSE
        : undefined;
    return actionVsLit(left, right) ?? actionVsLit(right, left) ?? BOOL;
  }

  /** The actions `e` denotes when it is known statically: literals, `action`, or a set of those. */
  private actionTargets(e: Expr): EntityUID[] | undefined {
    if (e.kind === 'lit' && e.value instanceof EntityUID) return [e.value];
    if (e.kind === 'var' && e.name === 'action') return [this.env.action];
    if (e.kind === 'set') {
      const out: EntityUID[] = [];
      for (const x of e.elements) {
        const t = this.actionTargets(x);
        if (!t) return undefined;
        out.push(...t);
      }
      return out;
    }
    return undefined;
  }

  private checkIn(left: Expr, right: Expr, caps: Caps, span: Span | undefined): Ty {
    const help =
      'try using `contains`, `containsAny`, or `containsAll` to examine the contents of a set';
    const l = this.expectEntity(left, caps, help);
    const rr = this.check(right, caps).ty;
    let target: Ty = rr;
    if (rr.k === 'set') target = rr.el;
    if (rr.k !== 'error' && target.k !== 'entity' && target.k !== 'error') {
      this.mismatch(
        'Set<__cedar::internal::AnyEntity>, or __cedar::internal::AnyEntity',
        rr,
        right.span,
        help,
      );
      return ERROR;
    }
    if (l.k !== 'entity' || target.k !== 'entity') return ERROR;
    void span;
    const lAction = this.model.actionTypes.has(l.name);
    const rAction = this.model.actionTypes.has(target.name);
    if (lAction !== rAction) return FALSE;
    if (lAction) {
      const lhs =
        left.kind === 'var' && left.name === 'action'
          ? this.env.action
          : left.kind === 'lit' && left.value instanceof EntityUID
            ? left.value
            : undefined;
      const targets = this.actionTargets(right);
      if (lhs && targets) {
        return targets.some((t) => this.model.actionDescendants.get(t.key)?.has(lhs.key))
          ? TRUE
          : FALSE;
      }
      return BOOL;
    }
    return this.model.entityDescendants.get(target.name)?.has(l.name) ? BOOL : FALSE;
  }
}

function showExprBrief(e: Expr): string {
  return e.kind === 'lit' && typeof e.value === 'string' ? JSON.stringify(e.value) : '…';
}

function negate(t: Ty): Ty {
  return t.k === 'true' ? FALSE : t.k === 'false' ? TRUE : t.k === 'error' ? ERROR : BOOL;
}

function andTy(a: Ty, b: Ty): Ty {
  if (a.k === 'false' || b.k === 'false') return FALSE;
  if (a.k === 'error' || b.k === 'error') return ERROR;
  if (a.k === 'true') return b;
  if (b.k === 'true') return a;
  return BOOL;
}
