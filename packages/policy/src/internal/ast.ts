/**
 * The policy AST: what both parsers (Cedar text and Cedar's JSON policy format) produce, and
 * what the compiler, the validator, the analyser and the partial evaluator read. Nodes are plain
 * readonly objects; every node parsed from text carries its source span.
 */
import type { EntityUID, Value } from './values.js';

/** Offsets into the policy text, `[start, end)` in UTF-16 code units. Absent for JSON input. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type Var = 'principal' | 'action' | 'resource' | 'context';
export type SlotName = '?principal' | '?resource';

/** Binary operators. `&&` and `||` short-circuit; the others evaluate both sides. */
export type BinaryOp =
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | '+'
  | '-'
  | '*'
  | '&&'
  | '||'
  | 'contains'
  | 'containsAll'
  | 'containsAny'
  | 'hasTag'
  | 'getTag';

/** One element of a `like` pattern: a literal run of characters, or `*`. */
export type PatternElem = { readonly literal: string } | 'wildcard';

interface Node {
  readonly span?: Span;
}

export type Expr =
  /** A literal: Bool, Long, String or an entity reference. */
  | (Node & { readonly kind: 'lit'; readonly value: Value })
  | (Node & { readonly kind: 'var'; readonly name: Var })
  | (Node & { readonly kind: 'slot'; readonly name: SlotName })
  /** A named unknown (partial evaluation residuals; JSON `Unknown`). */
  | (Node & { readonly kind: 'unknown'; readonly name: string })
  | (Node & { readonly kind: 'not'; readonly arg: Expr })
  | (Node & { readonly kind: 'neg'; readonly arg: Expr })
  | (Node & { readonly kind: 'isEmpty'; readonly arg: Expr })
  | (Node & {
      readonly kind: 'binary';
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
    })
  | (Node & {
      readonly kind: 'if';
      readonly cond: Expr;
      readonly then: Expr;
      readonly else: Expr;
    })
  /** `object.attr` and `object["attr"]`. */
  | (Node & { readonly kind: 'getAttr'; readonly object: Expr; readonly attr: string })
  /** `object has attr`; the parser desugars `e has a.b` to `e has a && e.a has b`. */
  | (Node & { readonly kind: 'hasAttr'; readonly object: Expr; readonly attr: string })
  | (Node & {
      readonly kind: 'like';
      readonly object: Expr;
      readonly pattern: readonly PatternElem[];
    })
  | (Node & {
      readonly kind: 'is';
      readonly object: Expr;
      readonly entityType: string;
      readonly in?: Expr;
    })
  | (Node & { readonly kind: 'set'; readonly elements: readonly Expr[] })
  | (Node & {
      readonly kind: 'record';
      readonly fields: readonly (readonly [string, Expr])[];
    })
  /**
   * An extension call. Constructors (`ip`, `decimal`, `datetime`, `duration`) are written as
   * functions; every other extension function is written as a method and `args[0]` is the
   * receiver (`a.lessThan(b)` is `{ fn: 'lessThan', args: [a, b] }`), as in Cedar's JSON format.
   */
  | (Node & { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[] });

/** A scope target: an entity literal, or a template slot. */
export type ScopeTarget =
  | { readonly kind: 'entity'; readonly uid: EntityUID }
  | { readonly kind: 'slot'; readonly name: SlotName };

/** The `principal` or `resource` part of a scope. */
export type ScopeConstraint =
  | { readonly op: 'all' }
  | { readonly op: '=='; readonly target: ScopeTarget }
  | { readonly op: 'in'; readonly target: ScopeTarget }
  | { readonly op: 'is'; readonly entityType: string; readonly in?: ScopeTarget };

/** The `action` part of a scope (`in` takes one entity or a list). */
export type ActionConstraint =
  | { readonly op: 'all' }
  | { readonly op: '=='; readonly uid: EntityUID }
  | { readonly op: 'in'; readonly uids: readonly EntityUID[]; readonly list: boolean };

export interface Condition {
  readonly kind: 'when' | 'unless';
  readonly body: Expr;
  readonly span?: Span;
}

/** One policy or template, as written. A template has at least one slot in its scope. */
export interface PolicyAst {
  readonly effect: 'permit' | 'forbid';
  readonly principal: ScopeConstraint;
  readonly action: ActionConstraint;
  readonly resource: ScopeConstraint;
  readonly conditions: readonly Condition[];
  /** Annotations in source order; a bare `@name` has the value `''` (as Cedar stores it). */
  readonly annotations: ReadonlyMap<string, string>;
  readonly span?: Span;
  /** Span of each scope part, for validation errors. */
  readonly scopeSpans?: {
    readonly principal?: Span;
    readonly action?: Span;
    readonly resource?: Span;
  };
}

/** True when the policy's scope uses a slot (it is a template). */
export function isTemplate(p: PolicyAst): boolean {
  const slotted = (c: ScopeConstraint): boolean =>
    c.op === '==' || c.op === 'in'
      ? c.target.kind === 'slot'
      : c.op === 'is' && c.in?.kind === 'slot';
  return slotted(p.principal) || slotted(p.resource);
}
