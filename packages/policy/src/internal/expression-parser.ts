/**
 * The expression grammar of Cedar policies, over the pulled tokens of {@link Lexer}: Cedar's
 * precedence (`if` … `||` … `&&` … relations … `+ -` … `*` … unary … member access), relations
 * that do not chain without parentheses, at most four repeated `!` or `-`, `-` folded into an
 * integer literal (so `-9223372036854775808` is a Long), `has a.b` desugared, reserved
 * identifiers, and extension functions only by their known names. {@link PolicyParser} in
 * `parser.ts` adds the policy grammar on top.
 *
 * Recursion is bounded: every nested expression counts against `maxExpressionDepth` (and so does
 * the depth of the tree built, which a long `a + b + c …` chain grows without recursing), and
 * passing it is an `E_LIMIT_EXCEEDED` error at that token, never a stack overflow.
 */
import { policyErrors } from '../errors.js';
import type { PolicyLimits } from '../types.js';
import type { BinaryOp, Expr, Span, Var } from './ast.js';
import { EXTENSION_FUNCTIONS } from './extensions/index.js';
import { Lexer, decodeString, parseError, type Token } from './lexer.js';
import { lineColumn } from './location.js';
import { EntityUID, LONG_MAX, toLong } from './values.js';

/** Identifiers Cedar reserves: never a variable, attribute, record key or name segment. */
export const RESERVED_IDENTIFIERS: ReadonlySet<string> = new Set([
  'true',
  'false',
  'if',
  'then',
  'else',
  'in',
  'is',
  'like',
  'has',
]);
/** The namespace Cedar keeps for itself; no name a policy writes may contain it. */
const RESERVED_NAMESPACE = '__cedar';

export const VARIABLES: ReadonlySet<string> = new Set([
  'principal',
  'action',
  'resource',
  'context',
]);
const RELATIONS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);
const RELATION_WORDS: ReadonlySet<string> = new Set(['in', 'has', 'like', 'is']);
/** Built-in methods with their arity; they become binary or `isEmpty` nodes. */
const BUILTIN_METHODS: ReadonlyMap<string, number> = new Map([
  ['contains', 1],
  ['containsAll', 1],
  ['containsAny', 1],
  ['hasTag', 1],
  ['getTag', 1],
  ['isEmpty', 0],
]);
const MAX_UNARY = 4;

const LONG_ABS_MIN = LONG_MAX + 1n;

/** How extension function `name` is written, or `undefined` when Cedar has no such function. */
export function extensionStyle(name: string): 'function' | 'method' | undefined {
  return EXTENSION_FUNCTIONS.get(name)?.style;
}

/** True when `name` can be written bare as an attribute, record key or `has` operand. */
export function isAttributeIdent(name: string): boolean {
  return (
    /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name) &&
    !RESERVED_IDENTIFIERS.has(name) &&
    name !== RESERVED_NAMESPACE
  );
}

/** A token cursor with the expression grammar; subclasses add statements. */
export class ExpressionParser {
  protected readonly lexer: Lexer;
  /** Current syntactic nesting (recursive `expr` calls in progress). */
  protected nesting = 0;
  /**
   * Depth of each tree built, so a left-leaning chain counts as deep as it is. Cleared after
   * each condition (a `Map` costs the collector far less than a `WeakMap` here).
   */
  protected readonly depths = new Map<Expr, number>();

  constructor(
    protected readonly text: string,
    protected readonly limits: PolicyLimits,
  ) {
    this.lexer = new Lexer(text);
  }

  peek(k = 0): Token {
    return this.lexer.peek(k);
  }

  protected fail(tok: Token | number, message: string): never {
    throw parseError(this.text, typeof tok === 'number' ? tok : tok.start, message);
  }

  protected unexpected(tok: Token): never {
    if (tok.kind === 'eof') this.fail(tok, 'unexpected end of input');
    const shown = tok.kind === 'string' ? `"${tok.value}"` : tok.value;
    this.fail(tok, `unexpected token \`${shown.length > 40 ? shown.slice(0, 40) + '…' : shown}\``);
  }

  protected isPunct(tok: Token, value: string): boolean {
    return tok.kind === 'punct' && tok.value === value;
  }

  protected isWord(tok: Token, value: string): boolean {
    return tok.kind === 'ident' && tok.value === value;
  }

  protected expectPunct(value: string): Token {
    const t = this.take();
    if (!this.isPunct(t, value)) {
      if (t.kind === 'eof') this.fail(t, `unexpected end of input, expected \`${value}\``);
      this.unexpected(t);
    }
    return t;
  }

  expectEof(): void {
    const t = this.peek();
    if (t.kind !== 'eof') this.unexpected(t);
  }

  protected limitError(offset: number, what: string): never {
    const { line, column } = lineColumn(this.text, offset);
    throw policyErrors.create(
      'E_LIMIT_EXCEEDED',
      `${what} deeper than maxExpressionDepth (${this.limits.maxExpressionDepth}) (line ${line}, column ${column})`,
      {
        details: {
          limit: 'maxExpressionDepth',
          max: this.limits.maxExpressionDepth,
          line,
          column,
          offset,
        },
      },
    );
  }

  /** Records the depth of a new node from its children, failing past the limit. */
  protected node<T extends Expr>(e: T, ...children: Expr[]): T {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depths.get(c) ?? 1);
    d += 1;
    if (d > this.limits.maxExpressionDepth) {
      const at = children[children.length - 1]?.span?.start ?? e.span?.start ?? 0;
      this.limitError(at, 'expression nested');
    }
    // Leaves are not recorded: an unknown node counts as depth 1.
    if (d > 1) this.depths.set(e, d);
    return e;
  }

  protected span(start: number, end: number): Span {
    return { start, end };
  }

  protected lastEnd = 0;

  protected take(): Token {
    const t = this.lexer.next();
    this.lastEnd = t.end;
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // Names

  protected checkSegment(tok: Token, name: string, full: string): void {
    if (RESERVED_IDENTIFIERS.has(name)) {
      this.fail(tok, `this identifier is reserved and cannot be used: ${name}`);
    }
    if (name === RESERVED_NAMESPACE) {
      this.fail(tok, `The name \`${full}\` contains \`${RESERVED_NAMESPACE}\`, which is reserved`);
    }
  }

  /** An identifier usable as an attribute name or record key. */
  protected attrIdent(tok: Token): string {
    this.checkSegment(tok, tok.value, tok.value);
    return tok.value;
  }

  /**
   * A `::`-separated path starting at the current identifier. Stops before a `::` that is
   * followed by a string (an entity reference), which the caller reads.
   */
  protected path(): { segments: Token[]; name: string } {
    const first = this.take();
    const segments: Token[] = [first];
    let name = first.value;
    while (this.isPunct(this.peek(), '::') && this.peek(1).kind === 'ident') {
      this.take();
      const s = this.take();
      segments.push(s);
      name += '::' + s.value;
    }
    for (const s of segments) this.checkSegment(s, s.value, name);
    return { segments, name };
  }

  /** An entity type name (after `is`). */
  protected typeName(): string {
    const t = this.peek();
    if (t.kind !== 'ident') this.unexpected(t);
    const { name } = this.path();
    if (this.isPunct(this.peek(), '::') && this.peek(1).kind === 'string') {
      this.fail(
        t,
        `right hand side of an \`is\` expression must be an entity type name, but got \`${name}::"${this.peek(1).value}"\``,
      );
    }
    return name;
  }

  protected entityId(type: string): EntityUID {
    this.expectPunct('::');
    const s = this.take();
    if (s.kind !== 'string') this.unexpected(s);
    return new EntityUID(type, decodeString(this.text, s.value, s.start + 1));
  }

  /** `A::B::"id"` at the current token. */
  entityUid(): EntityUID {
    const t = this.peek();
    if (t.kind !== 'ident') this.unexpected(t);
    const { name } = this.path();
    if (!(this.isPunct(this.peek(), '::') && this.peek(1).kind === 'string')) {
      this.fail(t, `expected an entity uid, found name \`${name}\``);
    }
    return this.entityId(name);
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  /** `if … then … else …` or an `||` chain. */
  expr(): Expr {
    const start = this.peek();
    if (++this.nesting > this.limits.maxExpressionDepth)
      this.limitError(start.start, 'expression nested');
    try {
      if (this.isWord(start, 'if')) {
        this.take();
        const cond = this.expr();
        this.expectWord('then');
        const then = this.expr();
        this.expectWord('else');
        const els = this.expr();
        return this.node(
          { kind: 'if', cond, then, else: els, span: this.span(start.start, this.lastEnd) },
          cond,
          then,
          els,
        );
      }
      return this.or();
    } finally {
      this.nesting--;
    }
  }

  private expectWord(word: string): void {
    const t = this.take();
    if (!this.isWord(t, word)) {
      if (t.kind === 'eof') this.fail(t, `unexpected end of input, expected \`${word}\``);
      this.unexpected(t);
    }
  }

  private binary(op: BinaryOp, left: Expr, right: Expr): Expr {
    const start = left.span?.start ?? 0;
    return this.node(
      { kind: 'binary', op, left, right, span: this.span(start, this.lastEnd) },
      left,
      right,
    );
  }

  private or(): Expr {
    let left = this.and();
    while (this.isPunct(this.peek(), '||')) {
      this.take();
      left = this.binary('||', left, this.and());
    }
    return left;
  }

  private and(): Expr {
    let left = this.relation();
    while (this.isPunct(this.peek(), '&&')) {
      this.take();
      left = this.binary('&&', left, this.relation());
    }
    return left;
  }

  private isRelationStart(t: Token): boolean {
    return (
      (t.kind === 'punct' && RELATIONS.has(t.value)) ||
      (t.kind === 'ident' && RELATION_WORDS.has(t.value))
    );
  }

  private relation(): Expr {
    const left = this.add();
    const t = this.peek();
    if (!this.isRelationStart(t)) return left;
    this.take();
    const start = left.span?.start ?? t.start;
    let e: Expr;
    if (t.kind === 'punct') {
      e = this.binary(t.value as BinaryOp, left, this.add());
    } else if (t.value === 'in') {
      e = this.binary('in', left, this.add());
    } else if (t.value === 'has') {
      e = this.has(left, start);
    } else if (t.value === 'like') {
      const s = this.take();
      if (s.kind !== 'string') {
        this.fail(
          s,
          `right hand side of a \`like\` expression must be a pattern literal, but got \`${s.value}\``,
        );
      }
      const pattern = decodeString(this.text, s.value, s.start + 1, true);
      e = this.node({ kind: 'like', object: left, pattern, span: this.span(start, s.end) }, left);
    } else {
      const entityType = this.typeName();
      if (this.isWord(this.peek(), 'in')) {
        this.take();
        const inner = this.add();
        e = this.node(
          { kind: 'is', object: left, entityType, in: inner, span: this.span(start, this.lastEnd) },
          left,
          inner,
        );
      } else {
        e = this.node(
          { kind: 'is', object: left, entityType, span: this.span(start, this.lastEnd) },
          left,
        );
      }
    }
    const after = this.peek();
    if (this.isRelationStart(after)) {
      this.fail(
        after,
        'multiple relational operators (>, ==, in, etc.) must be used with parentheses to make ordering explicit',
      );
    }
    return e;
  }

  /** `e has a`, `e has "a"`, and `e has a.b.c` (desugared to a chain of `has` joined by `&&`). */
  private has(object: Expr, start: number): Expr {
    const t = this.take();
    const invalid = (): never =>
      this.fail(
        t,
        'invalid RHS of a `has` operation (valid RHS of a `has` operation is either a sequence of identifiers separated by `.` or a string literal)',
      );
    const names: string[] = [];
    if (t.kind === 'string') {
      names.push(decodeString(this.text, t.value, t.start + 1));
    } else if (t.kind === 'ident') {
      names.push(this.attrIdent(t));
      while (this.isPunct(this.peek(), '.')) {
        this.take();
        const n = this.take();
        if (n.kind !== 'ident') invalid();
        names.push(this.attrIdent(n));
      }
    } else invalid();
    const nx = this.peek();
    if (this.isPunct(nx, '.') || this.isPunct(nx, '[') || this.isPunct(nx, '(')) invalid();
    const span = this.span(start, this.lastEnd);
    let target = object;
    let result: Expr | undefined;
    for (let i = 0; i < names.length; i++) {
      const attr = names[i]!;
      const test = this.node({ kind: 'hasAttr', object: target, attr, span }, target);
      result =
        result === undefined
          ? test
          : this.node({ kind: 'binary', op: '&&', left: result, right: test, span }, result, test);
      if (i + 1 < names.length)
        target = this.node({ kind: 'getAttr', object: target, attr, span }, target);
    }
    return result!;
  }

  private add(): Expr {
    let left = this.mul();
    for (;;) {
      const t = this.peek();
      if (!(this.isPunct(t, '+') || this.isPunct(t, '-'))) return left;
      this.take();
      left = this.binary(t.value as '+' | '-', left, this.mul());
    }
  }

  private mul(): Expr {
    let left = this.unary();
    while (this.isPunct(this.peek(), '*')) {
      this.take();
      left = this.binary('*', left, this.unary());
    }
    return left;
  }

  private unary(): Expr {
    const first = this.peek();
    if (!(this.isPunct(first, '!') || this.isPunct(first, '-'))) return this.member();
    const op = first.value;
    const ops: Token[] = [];
    while (this.isPunct(this.peek(), op)) ops.push(this.take());
    if (ops.length > MAX_UNARY) {
      this.fail(
        ops[MAX_UNARY]!,
        `too many occurrences of \`${op}\` (cannot chain more than ${MAX_UNARY} applications of a unary operator)`,
      );
    }
    let arg: Expr;
    const lit = this.peek();
    const after = this.peek(1);
    if (
      op === '-' &&
      lit.kind === 'int' &&
      !this.isPunct(after, '.') &&
      !this.isPunct(after, '[')
    ) {
      // `-` directly before an integer literal is part of the literal.
      this.take();
      const minus = ops.pop()!;
      const n = this.digits(lit, LONG_ABS_MIN);
      arg = this.node({ kind: 'lit', value: toLong(-n)!, span: this.span(minus.start, lit.end) });
    } else {
      if (this.isPunct(lit, '!') || this.isPunct(lit, '-')) this.unexpected(lit);
      arg = this.member();
    }
    for (let i = ops.length - 1; i >= 0; i--) {
      const kind = op === '!' ? 'not' : 'neg';
      arg = this.node({ kind, arg, span: this.span(ops[i]!.start, this.lastEnd) }, arg);
    }
    return arg;
  }

  /** The value of an integer literal, at most `max` in magnitude. */
  private digits(t: Token, max: bigint): bigint {
    const n = t.value.length > 20 ? max + 1n : BigInt(t.value);
    if (n > max) {
      const shown = t.value.length > 40 ? t.value.slice(0, 40) + '…' : t.value;
      this.fail(
        t,
        `integer literal \`${shown}\` is too large (maximum allowed integer literal is \`${LONG_MAX}\`)`,
      );
    }
    return n;
  }

  private member(): Expr {
    let e = this.primary();
    const start = e.span?.start ?? 0;
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '[')) {
        this.take();
        const s = this.take();
        if (s.kind !== 'string') {
          this.fail(s, `invalid string literal: ${s.kind === 'eof' ? 'end of input' : s.value}`);
        }
        const attr = decodeString(this.text, s.value, s.start + 1);
        this.expectPunct(']');
        e = this.node(
          { kind: 'getAttr', object: e, attr, span: this.span(start, this.lastEnd) },
          e,
        );
      } else if (this.isPunct(t, '.')) {
        this.take();
        const n = this.take();
        if (n.kind !== 'ident') this.unexpected(n);
        const attr = this.attrIdent(n);
        if (!this.isPunct(this.peek(), '(')) {
          e = this.node(
            { kind: 'getAttr', object: e, attr, span: this.span(start, this.lastEnd) },
            e,
          );
          continue;
        }
        e = this.method(e, n, start);
      } else return e;
    }
  }

  private method(receiver: Expr, name: Token, start: number): Expr {
    const args = this.args();
    const span = this.span(start, this.lastEnd);
    const arity = BUILTIN_METHODS.get(name.value);
    if (arity !== undefined) {
      if (args.length !== arity) {
        this.fail(
          name,
          `call to \`${name.value}\` requires exactly ${arity} argument${arity === 1 ? '' : 's'}, but got ${args.length} argument${args.length === 1 ? '' : 's'}`,
        );
      }
      if (arity === 0) return this.node({ kind: 'isEmpty', arg: receiver, span }, receiver);
      const right = args[0]!;
      return this.node(
        { kind: 'binary', op: name.value as BinaryOp, left: receiver, right, span },
        receiver,
        right,
      );
    }
    if (extensionStyle(name.value) !== 'method') {
      this.fail(name, `unknown extension function: \`${name.value}\` is not a valid method`);
    }
    const all = [receiver, ...args];
    return this.node({ kind: 'call', fn: name.value, args: all, span }, ...all);
  }

  /** `( e, … )` after a function or method name. */
  private args(): Expr[] {
    this.expectPunct('(');
    const out: Expr[] = [];
    while (!this.isPunct(this.peek(), ')')) {
      out.push(this.expr());
      if (!this.isPunct(this.peek(), ',')) break;
      this.take();
    }
    this.expectPunct(')');
    return out;
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int': {
        this.take();
        const n = this.digits(t, LONG_MAX);
        return this.node({ kind: 'lit', value: toLong(n)!, span: this.span(t.start, t.end) });
      }
      case 'string': {
        this.take();
        const value = decodeString(this.text, t.value, t.start + 1);
        return this.node({ kind: 'lit', value, span: this.span(t.start, t.end) });
      }
      case 'slot':
        return this.fail(
          t,
          `found template slot ${t.value} in a condition (slots are only allowed in the policy scope)`,
        );
      case 'ident':
        return this.namePrimary(t);
      case 'eof':
        return this.unexpected(t);
      case 'punct':
        break;
    }
    if (t.value === '(') {
      this.take();
      const e = this.expr();
      this.expectPunct(')');
      return e;
    }
    if (t.value === '[') {
      this.take();
      const elements: Expr[] = [];
      while (!this.isPunct(this.peek(), ']')) {
        elements.push(this.expr());
        if (!this.isPunct(this.peek(), ',')) break;
        this.take();
      }
      this.expectPunct(']');
      return this.node(
        { kind: 'set', elements, span: this.span(t.start, this.lastEnd) },
        ...elements,
      );
    }
    if (t.value === '{') return this.record(t);
    return this.unexpected(t);
  }

  private record(open: Token): Expr {
    this.take();
    const fields: (readonly [string, Expr])[] = [];
    const seen = new Set<string>();
    while (!this.isPunct(this.peek(), '}')) {
      const k = this.take();
      let key: string;
      if (k.kind === 'string') key = decodeString(this.text, k.value, k.start + 1);
      else if (k.kind === 'ident') key = this.attrIdent(k);
      else this.unexpected(k);
      if (seen.has(key)) this.fail(k, `duplicate key \`${key}\` in record literal`);
      seen.add(key);
      this.expectPunct(':');
      fields.push([key, this.expr()]);
      if (!this.isPunct(this.peek(), ',')) break;
      this.take();
    }
    this.expectPunct('}');
    return this.node(
      { kind: 'record', fields, span: this.span(open.start, this.lastEnd) },
      ...fields.map((f) => f[1]),
    );
  }

  /** `true`, `false`, a variable, an entity reference or an extension function call. */
  private namePrimary(t: Token): Expr {
    if (t.value === 'true' || t.value === 'false') {
      this.take();
      return this.node({ kind: 'lit', value: t.value === 'true', span: this.span(t.start, t.end) });
    }
    if (RESERVED_IDENTIFIERS.has(t.value)) this.unexpected(t);
    const { segments, name } = this.path();
    const nx = this.peek();
    if (this.isPunct(nx, '::') && this.peek(1).kind === 'string') {
      const uid = this.entityId(name);
      return this.node({ kind: 'lit', value: uid, span: this.span(t.start, this.lastEnd) });
    }
    if (this.isPunct(nx, '(') && name === 'unknown') {
      // A named unknown, as Cedar's partial evaluation writes residuals.
      const args = this.args();
      const arg = args[0];
      if (args.length !== 1 || arg?.kind !== 'lit' || typeof arg.value !== 'string') {
        this.fail(t, '`unknown` takes one string literal');
      }
      return this.node({
        kind: 'unknown',
        name: arg.value,
        span: this.span(t.start, this.lastEnd),
      });
    }
    if (this.isPunct(nx, '(')) {
      if (extensionStyle(name) !== 'function') {
        this.fail(t, `unknown extension function: \`${name}\` is not a valid function`);
      }
      const args = this.args();
      return this.node(
        { kind: 'call', fn: name, args, span: this.span(t.start, this.lastEnd) },
        ...args,
      );
    }
    if (segments.length === 1 && VARIABLES.has(name)) {
      return this.node({ kind: 'var', name: name as Var, span: this.span(t.start, t.end) });
    }
    return this.fail(
      t,
      `invalid variable: ${name} (the valid Cedar variables are \`principal\`, \`action\`, \`resource\`, and \`context\`; did you mean to enclose \`${name}\` in quotes to make a string?)`,
    );
  }
}
