/**
 * The Cedar policy parser: Cedar 4 policy text → {@link PolicyAst}. Annotations, `permit` /
 * `forbid`, the scope (`==`, `in`, `is … in`, action lists, template slots in their own
 * positions, action entities of type `Action`) and `when` / `unless` conditions, whose bodies
 * {@link ExpressionParser} reads. Also the entry points for one expression and one entity uid.
 */
import { policyErrors } from '../errors.js';
import { DEFAULT_POLICY_LIMITS } from '../options.js';
import type { PolicyLimits } from '../types.js';
import type {
  ActionConstraint,
  Condition,
  Expr,
  PolicyAst,
  ScopeConstraint,
  ScopeTarget,
  SlotName,
  Var,
} from './ast.js';
import { ExpressionParser, RESERVED_IDENTIFIERS, VARIABLES } from './expression-parser.js';
import { decodeString, type Token } from './lexer.js';
import type { EntityUID } from './values.js';

export { extensionStyle, isAttributeIdent, RESERVED_IDENTIFIERS } from './expression-parser.js';

/** One policy or template of a text, with its own source slice. */
export interface ParsedPolicy {
  readonly ast: PolicyAst;
  /** The policy's text, from its first annotation to its `;`. */
  readonly text: string;
}

function resolveLimits(limits: Partial<PolicyLimits> | undefined): PolicyLimits {
  return limits === undefined ? DEFAULT_POLICY_LIMITS : { ...DEFAULT_POLICY_LIMITS, ...limits };
}

function checkSize(text: string, limits: PolicyLimits): void {
  if (text.length > limits.maxDocumentSize) {
    throw policyErrors.create(
      'E_LIMIT_EXCEEDED',
      `policy text is ${text.length} characters, more than maxDocumentSize (${limits.maxDocumentSize})`,
      { details: { limit: 'maxDocumentSize', size: text.length, max: limits.maxDocumentSize } },
    );
  }
}

/** Parses every policy and template of `text`, in order. Throws `E_PARSE` or `E_LIMIT_EXCEEDED`. */
export function parsePolicies(text: string, limits?: Partial<PolicyLimits>): ParsedPolicy[] {
  const l = resolveLimits(limits);
  checkSize(text, l);
  const p = new PolicyParser(text, l);
  const out: ParsedPolicy[] = [];
  while (p.peek().kind !== 'eof') out.push(p.policy());
  return out;
}

/** Parses one Cedar expression (as in a `when` body). Throws `E_PARSE` or `E_LIMIT_EXCEEDED`. */
export function parseExpression(text: string, limits?: Partial<PolicyLimits>): Expr {
  const l = resolveLimits(limits);
  checkSize(text, l);
  const p = new PolicyParser(text, l);
  const e = p.expr();
  p.expectEof();
  return e;
}

/** Parses an entity reference `A::B::"id"`. Throws `E_PARSE`. */
export function parseEntityUid(text: string): EntityUID {
  checkSize(text, DEFAULT_POLICY_LIMITS);
  const p = new PolicyParser(text, DEFAULT_POLICY_LIMITS);
  const uid = p.entityUid();
  p.expectEof();
  return uid;
}

class PolicyParser extends ExpressionParser {
  // -------------------------------------------------------------------------------------------
  // Policies

  policy(): ParsedPolicy {
    const first = this.peek();
    const annotations = new Map<string, string>();
    while (this.isPunct(this.peek(), '@')) {
      this.take();
      const key = this.take();
      if (key.kind !== 'ident') this.unexpected(key);
      let value = '';
      if (this.isPunct(this.peek(), '(')) {
        this.take();
        const s = this.take();
        if (s.kind !== 'string') this.unexpected(s);
        value = decodeString(this.text, s.value, s.start + 1);
        this.expectPunct(')');
      }
      if (annotations.has(key.value)) this.fail(key, `duplicate annotation: @${key.value}`);
      annotations.set(key.value, value);
    }
    const eff = this.take();
    if (!(this.isWord(eff, 'permit') || this.isWord(eff, 'forbid'))) {
      if (eff.kind === 'eof')
        this.fail(eff, 'unexpected end of input, expected `permit` or `forbid`');
      this.fail(eff, `expected \`permit\` or \`forbid\`, found \`${eff.value}\``);
    }
    const effect = eff.value as 'permit' | 'forbid';
    this.expectPunct('(');
    const pStart = this.peek().start;
    const principal = this.scopePart('principal', '?principal');
    const pSpan = this.span(pStart, this.lastEnd);
    this.scopeComma('action');
    const aStart = this.peek().start;
    const action = this.actionPart();
    const aSpan = this.span(aStart, this.lastEnd);
    this.scopeComma('resource');
    const rStart = this.peek().start;
    const resource = this.scopePart('resource', '?resource');
    const rSpan = this.span(rStart, this.lastEnd);
    if (this.isPunct(this.peek(), ',')) this.take();
    this.expectPunct(')');
    const conditions: Condition[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'ident') break;
      if (t.value !== 'when' && t.value !== 'unless') {
        if (this.isPunct(this.peek(1), '{')) {
          this.fail(
            t,
            `invalid policy condition: ${t.value} (condition must be either \`when\` or \`unless\`)`,
          );
        }
        this.unexpected(t);
      }
      this.take();
      this.expectPunct('{');
      if (this.isPunct(this.peek(), '}'))
        this.fail(t, `\`${t.value}\` condition clause cannot be empty`);
      const body = this.expr();
      this.depths.clear();
      const close = this.expectPunct('}');
      this.lastEnd = close.end;
      conditions.push({ kind: t.value, body, span: this.span(t.start, close.end) });
    }
    const semi = this.expectPunct(';');
    const span = this.span(first.start, semi.end);
    const ast: PolicyAst = {
      effect,
      principal,
      action,
      resource,
      conditions,
      annotations,
      span,
      scopeSpans: { principal: pSpan, action: aSpan, resource: rSpan },
    };
    return { ast, text: this.text.slice(span.start, span.end) };
  }

  private scopeComma(nextVar: string): void {
    const t = this.peek();
    if (this.isPunct(t, ')')) {
      this.fail(
        t,
        `this policy is missing the \`${nextVar}\` variable in the scope (policy scopes must contain a \`principal\`, \`action\`, and \`resource\` element in that order)`,
      );
    }
    this.expectPunct(',');
  }

  private scopeVar(name: Var): Token {
    const t = this.take();
    if (t.kind === 'ident' && t.value === name) return t;
    const order =
      '(policy scopes must contain a `principal`, `action`, and `resource` element in that order)';
    if (this.isPunct(t, ')')) {
      this.fail(t, `this policy is missing the \`${name}\` variable in the scope ${order}`);
    }
    if (t.kind === 'ident' && VARIABLES.has(t.value)) {
      this.fail(
        t,
        `found the variable \`${t.value}\` where the variable \`${name}\` must be used ${order}`,
      );
    }
    this.unexpected(t);
  }

  private scopePart(name: 'principal' | 'resource', slot: SlotName): ScopeConstraint {
    this.scopeVar(name);
    const t = this.peek();
    if (this.isPunct(t, '==')) {
      this.take();
      return { op: '==', target: this.scopeTarget(slot) };
    }
    if (this.isWord(t, 'in')) {
      this.take();
      return { op: 'in', target: this.scopeTarget(slot) };
    }
    if (this.isWord(t, 'is')) {
      this.take();
      const entityType = this.typeName();
      if (this.isWord(this.peek(), 'in')) {
        this.take();
        return { op: 'is', entityType, in: this.scopeTarget(slot) };
      }
      return { op: 'is', entityType };
    }
    return { op: 'all' };
  }

  private scopeTarget(slot: SlotName): ScopeTarget {
    const t = this.peek();
    if (t.kind === 'slot') {
      this.take();
      if (t.value !== slot) {
        this.fail(
          t,
          `expected an entity uid or matching template slot, found ${t.value} instead of ${slot}`,
        );
      }
      return { kind: 'slot', name: slot };
    }
    return { kind: 'entity', uid: this.scopeEntity() };
  }

  /** An entity literal in a scope, with Cedar's messages for what it is not. */
  private scopeEntity(): EntityUID {
    const t = this.peek();
    if (t.kind === 'ident' && !RESERVED_IDENTIFIERS.has(t.value)) {
      const { name } = this.path();
      if (!(this.isPunct(this.peek(), '::') && this.peek(1).kind === 'string')) {
        this.fail(t, `expected an entity uid or matching template slot, found name \`${name}\``);
      }
      return this.entityId(name);
    }
    if (this.isPunct(t, '[')) {
      this.fail(t, 'expected single entity uid or template slot, found set of entity uids');
    }
    if (
      t.kind === 'string' ||
      t.kind === 'int' ||
      this.isWord(t, 'true') ||
      this.isWord(t, 'false')
    ) {
      const shown = t.kind === 'string' ? `"${t.value}"` : t.value;
      this.fail(t, `expected an entity uid or matching template slot, found literal \`${shown}\``);
    }
    if (t.kind === 'slot') this.fail(t, 'expected single entity uid, found template slot');
    this.unexpected(t);
  }

  private actionEntity(): EntityUID {
    const t = this.peek();
    if (t.kind === 'slot') this.fail(t, 'expected single entity uid, found template slot');
    const uid = this.scopeEntity();
    if (uid.type !== 'Action' && !uid.type.endsWith('::Action')) {
      this.fail(
        t,
        `expected an entity uid with type \`Action\` but got \`${uid.key}\` (action entities must have type \`Action\`, optionally in a namespace)`,
      );
    }
    return uid;
  }

  private actionPart(): ActionConstraint {
    this.scopeVar('action');
    const t = this.peek();
    if (this.isPunct(t, '==')) {
      this.take();
      return { op: '==', uid: this.actionEntity() };
    }
    if (this.isWord(t, 'is')) this.fail(t, '`is` cannot appear in the action scope');
    if (!this.isWord(t, 'in')) return { op: 'all' };
    this.take();
    if (!this.isPunct(this.peek(), '['))
      return { op: 'in', uids: [this.actionEntity()], list: false };
    this.take();
    const uids: EntityUID[] = [];
    while (!this.isPunct(this.peek(), ']')) {
      uids.push(this.actionEntity());
      if (!this.isPunct(this.peek(), ',')) break;
      this.take();
    }
    this.expectPunct(']');
    return { op: 'in', uids, list: true };
  }
}
