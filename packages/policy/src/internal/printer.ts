/**
 * The AST back to Cedar text: {@link printExpr} for near misses and messages, {@link printPolicy}
 * for whole policies. The text parses back to an equal AST (spans aside): parentheses are added
 * exactly where Cedar's precedence, its non-associative relations, its limit of four repeated
 * unary operators and its folding of `-` into integer literals need them. A named unknown
 * (a residual of partial evaluation) prints as `unknown("name")`, which is not policy syntax.
 */
import type {
  ActionConstraint,
  Expr,
  PatternElem,
  PolicyAst,
  ScopeConstraint,
  ScopeTarget,
} from './ast.js';
import { extensionStyle, isAttributeIdent } from './expression-parser.js';
import { CedarRecord, CedarSet, EntityUID, ExtensionValue, type Value } from './values.js';

/** Binding strength, loosest first; an operand weaker than its slot needs parentheses. */
const enum Prec {
  If = 0,
  Or = 1,
  And = 2,
  Relation = 3,
  Add = 4,
  Mul = 5,
  Unary = 6,
  Member = 7,
}

const MAX_UNARY = 4;

/** Cedar text of an expression. */
export function printExpr(e: Expr): string {
  return print(e, Prec.If);
}

/** Cedar text of a policy or template, in Cedar's usual layout. */
export function printPolicy(ast: PolicyAst): string {
  let out = '';
  for (const [k, v] of ast.annotations) out += `@${k}(${quote(v, false)})\n`;
  out += `${ast.effect} (\n`;
  out += `  ${scopeText('principal', ast.principal)},\n`;
  out += `  ${actionText(ast.action)},\n`;
  out += `  ${scopeText('resource', ast.resource)}\n)`;
  for (const c of ast.conditions) out += `\n${c.kind} { ${printExpr(c.body)} }`;
  return out + ';';
}

function targetText(t: ScopeTarget): string {
  return t.kind === 'slot' ? t.name : uidText(t.uid);
}

function scopeText(v: 'principal' | 'resource', c: ScopeConstraint): string {
  switch (c.op) {
    case 'all':
      return v;
    case '==':
    case 'in':
      return `${v} ${c.op} ${targetText(c.target)}`;
    case 'is':
      return c.in === undefined
        ? `${v} is ${c.entityType}`
        : `${v} is ${c.entityType} in ${targetText(c.in)}`;
  }
}

function actionText(c: ActionConstraint): string {
  switch (c.op) {
    case 'all':
      return 'action';
    case '==':
      return `action == ${uidText(c.uid)}`;
    case 'in':
      return c.list || c.uids.length !== 1
        ? `action in [${c.uids.map(uidText).join(', ')}]`
        : `action in ${uidText(c.uids[0]!)}`;
  }
}

/** A Cedar string literal; with `pattern`, a literal `*` is escaped. */
function quote(s: string, pattern: boolean): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\0') out += '\\0';
    else if (pattern && ch === '*') out += '\\*';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

function patternText(p: readonly PatternElem[]): string {
  let body = '';
  for (const el of p) body += el === 'wildcard' ? '*' : quote(el.literal, true).slice(1, -1);
  return `"${body}"`;
}

function uidText(uid: EntityUID): string {
  return `${uid.type}::${quote(uid.id, false)}`;
}

function attrText(name: string): string {
  return isAttributeIdent(name) ? name : quote(name, false);
}

/** A literal value; extension values print as their constructor call, sets and records in full. */
function valueText(v: Value): string {
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(v);
    case 'string':
      return quote(v, false);
    default:
      break;
  }
  if (v instanceof EntityUID) return uidText(v);
  if (v instanceof CedarSet) return `[${v.items.map(valueText).join(', ')}]`;
  if (v instanceof CedarRecord) {
    return `{${[...v.attrs].map(([k, x]) => `${attrText(k)}: ${valueText(x)}`).join(', ')}}`;
  }
  if (v instanceof ExtensionValue) return `${v.constructorName}(${quote(v.arg(), false)})`;
  return String(v);
}

/** The binding strength of a node's own text. */
function precOf(e: Expr): Prec {
  switch (e.kind) {
    case 'if':
      return Prec.If;
    case 'binary':
      switch (e.op) {
        case '||':
          return Prec.Or;
        case '&&':
          return Prec.And;
        case '+':
        case '-':
          return Prec.Add;
        case '*':
          return Prec.Mul;
        case 'contains':
        case 'containsAll':
        case 'containsAny':
        case 'hasTag':
        case 'getTag':
          return Prec.Member;
        default:
          return Prec.Relation;
      }
    case 'hasAttr':
    case 'like':
    case 'is':
      return Prec.Relation;
    case 'not':
    case 'neg':
      return Prec.Unary;
    case 'lit':
      return isNegative(e.value) ? Prec.Unary : Prec.Member;
    default:
      return Prec.Member;
  }
}

function isNegative(v: Value): boolean {
  return (typeof v === 'number' || typeof v === 'bigint') && v < 0;
}

function print(e: Expr, min: Prec): string {
  const text = bare(e);
  return precOf(e) < min ? `(${text})` : text;
}

/** A receiver of `.attr`, `[..]` or a method: anything looser than a member gets parentheses. */
function receiver(e: Expr): string {
  return print(e, Prec.Member);
}

function bare(e: Expr): string {
  switch (e.kind) {
    case 'lit':
      return valueText(e.value);
    case 'var':
    case 'slot':
      return e.name;
    case 'unknown':
      return `unknown(${quote(e.name, false)})`;
    case 'not':
    case 'neg':
      return unaryText(e);
    case 'isEmpty':
      return `${receiver(e.arg)}.isEmpty()`;
    case 'binary':
      switch (e.op) {
        case '||':
          return `${print(e.left, Prec.Or)} || ${print(e.right, Prec.And)}`;
        case '&&':
          return `${print(e.left, Prec.And)} && ${print(e.right, Prec.Relation)}`;
        case '+':
        case '-':
          return `${print(e.left, Prec.Add)} ${e.op} ${print(e.right, Prec.Mul)}`;
        case '*':
          return `${print(e.left, Prec.Mul)} * ${print(e.right, Prec.Unary)}`;
        case 'contains':
        case 'containsAll':
        case 'containsAny':
        case 'hasTag':
        case 'getTag':
          return `${receiver(e.left)}.${e.op}(${printExpr(e.right)})`;
        default:
          return `${print(e.left, Prec.Add)} ${e.op} ${print(e.right, Prec.Add)}`;
      }
    case 'if':
      return `if ${printExpr(e.cond)} then ${printExpr(e.then)} else ${printExpr(e.else)}`;
    case 'getAttr':
      return isAttributeIdent(e.attr)
        ? `${receiver(e.object)}.${e.attr}`
        : `${receiver(e.object)}[${quote(e.attr, false)}]`;
    case 'hasAttr':
      return `${print(e.object, Prec.Add)} has ${attrText(e.attr)}`;
    case 'like':
      return `${print(e.object, Prec.Add)} like ${patternText(e.pattern)}`;
    case 'is':
      return e.in === undefined
        ? `${print(e.object, Prec.Add)} is ${e.entityType}`
        : `${print(e.object, Prec.Add)} is ${e.entityType} in ${print(e.in, Prec.Add)}`;
    case 'set':
      return `[${e.elements.map(printExpr).join(', ')}]`;
    case 'record':
      return `{${e.fields.map(([k, v]) => `${attrText(k)}: ${printExpr(v)}`).join(', ')}}`;
    case 'call': {
      const [first, ...rest] = e.args;
      if (extensionStyle(e.fn) === 'method' && first !== undefined) {
        return `${receiver(first)}.${e.fn}(${rest.map(printExpr).join(', ')})`;
      }
      return `${e.fn}(${e.args.map(printExpr).join(', ')})`;
    }
  }
}

/**
 * A run of `!` or of `-`: at most four in a row, never mixed without parentheses, and a `-`
 * before a non-negative integer literal parenthesises it (`-(5)`, not the literal `-5`).
 */
function unaryText(e: Expr & { kind: 'not' | 'neg' }): string {
  const op = e.kind === 'not' ? '!' : '-';
  let run = 1;
  let arg: Expr = e.arg;
  let ops = op;
  while (arg.kind === e.kind && run < MAX_UNARY) {
    ops += op;
    run++;
    arg = arg.arg;
  }
  if (arg.kind === 'lit' && (typeof arg.value === 'number' || typeof arg.value === 'bigint')) {
    // A negative literal prints with its own `-`, which joins a `-` run (and cannot follow `!`).
    if (arg.value < 0)
      return op === '-' && run < MAX_UNARY
        ? ops + valueText(arg.value)
        : `${ops}(${valueText(arg.value)})`;
    return op === '-' ? `${ops}(${valueText(arg.value)})` : ops + valueText(arg.value);
  }
  const inner = print(arg, Prec.Member);
  // Another unary (of the other operator, or past the run's limit) needs parentheses.
  return arg.kind === 'not' || arg.kind === 'neg' ? `${ops}(${bare(arg)})` : ops + inner;
}
