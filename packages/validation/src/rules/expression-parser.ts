import { validationErrors } from '../errors.js';

/**
 * The parser of Plinth's rule expressions: a small, side-effect-free language over one record.
 *
 *   amount > 0 && currency in ['EUR', 'USD']
 *   len(trim(name)) >= 2 or status == 'draft'
 *   shipped_at == null || date(shipped_at) >= date(ordered_at)
 *   email matches '^[^@]+@[^@]+$'
 *
 * Operators (loosest first): `? :`, `||`/`or`, `&&`/`and`, `!`/`not`, comparisons
 * (`== != < <= > >= in`, `not in`, `matches`), `+ -`, `* / %`, unary `-`, then member access
 * (`a.b`, `a[0]`) and calls of built-in functions only. No assignment, no loops, no access to
 * prototypes: user strings are parsed, never passed to `eval` or `new Function`.
 */
export type Node =
  | { readonly t: 'lit'; readonly v: unknown }
  | { readonly t: 'id'; readonly name: string }
  | { readonly t: 'list'; readonly items: readonly Node[] }
  | { readonly t: 'member'; readonly obj: Node; readonly key: Node }
  | { readonly t: 'call'; readonly fn: string; readonly args: readonly Node[] }
  | { readonly t: 'unary'; readonly op: '!' | '-'; readonly arg: Node }
  | { readonly t: 'bin'; readonly op: string; readonly l: Node; readonly r: Node }
  | { readonly t: 'cond'; readonly test: Node; readonly then: Node; readonly else: Node };

interface Token {
  readonly k: 'num' | 'str' | 'id' | 'op' | 'end';
  readonly v: string;
  readonly pos: number;
}

const OPS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  '?',
  ':',
];
/** Longest accepted expression, in characters. */
export const MAX_EXPRESSION_LENGTH = 4096;
const MAX_NESTING = 64;

function syntax(source: string, pos: number, message: string): never {
  throw validationErrors.create(
    'E_EXPRESSION_SYNTAX',
    `expression ${JSON.stringify(source.length > 60 ? `${source.slice(0, 60)}…` : source)}: ${message} at position ${pos}`,
    {
      details: { expression: source, position: pos },
    },
  );
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ k: 'num', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let s = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === '\\') {
          j++;
          const e = src[j];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
        } else s += src[j];
      }
      if (j >= src.length) syntax(src, i, 'unterminated string');
      out.push({ k: 'str', v: s, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i)) as RegExpExecArray;
      out.push({ k: 'id', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) syntax(src, i, `unexpected character ${JSON.stringify(c)}`);
    out.push({ k: 'op', v: op, pos: i });
    i += op.length;
  }
  out.push({ k: 'end', v: '', pos: src.length });
  return out;
}

/** Parses an expression into its syntax tree (throws `E_EXPRESSION_SYNTAX` with the position). */
export function parseExpression(src: string): Node {
  if (typeof src !== 'string')
    throw validationErrors.create('E_INVALID_ARGUMENT', 'an expression must be a string');
  if (src.length > MAX_EXPRESSION_LENGTH)
    syntax(src, MAX_EXPRESSION_LENGTH, `longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p] as Token;
  const isOp = (v: string) => peek().k === 'op' && peek().v === v;
  const isWord = (v: string) => peek().k === 'id' && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v))
      syntax(
        src,
        peek().pos,
        `expected "${v}"${peek().k === 'end' ? ' before the end' : `, found "${peek().v}"`}`,
      );
    p++;
  };
  const nest = <T>(f: () => T): T => {
    if (++depth > MAX_NESTING) syntax(src, peek().pos, `nested deeper than ${MAX_NESTING}`);
    try {
      return f();
    } finally {
      depth--;
    }
  };

  const ternary = (): Node =>
    nest(() => {
      const test = or();
      if (!isOp('?')) return test;
      p++;
      const then = ternary();
      expect(':');
      return { t: 'cond', test, then, else: ternary() };
    });
  const or = (): Node => {
    let l = and();
    while (isOp('||') || isWord('or')) {
      p++;
      l = { t: 'bin', op: '||', l, r: and() };
    }
    return l;
  };
  const and = (): Node => {
    let l = not();
    while (isOp('&&') || isWord('and')) {
      p++;
      l = { t: 'bin', op: '&&', l, r: not() };
    }
    return l;
  };
  const not = (): Node => {
    if (isOp('!') || (isWord('not') && !(toks[p + 1]?.k === 'id' && toks[p + 1]?.v === 'in'))) {
      p++;
      return nest(() => ({ t: 'unary', op: '!', arg: not() }));
    }
    return cmp();
  };
  const cmp = (): Node => {
    const l = add();
    const t = peek();
    if (t.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      p++;
      return { t: 'bin', op: t.v, l, r: add() };
    }
    if (isWord('in') || isWord('matches')) {
      p++;
      return { t: 'bin', op: t.v, l, r: add() };
    }
    if (isWord('not') && toks[p + 1]?.k === 'id' && toks[p + 1]?.v === 'in') {
      p += 2;
      return { t: 'unary', op: '!', arg: { t: 'bin', op: 'in', l, r: add() } };
    }
    return l;
  };
  const add = (): Node => {
    let l = mul();
    while (isOp('+') || isOp('-')) {
      const op = peek().v;
      p++;
      l = { t: 'bin', op, l, r: mul() };
    }
    return l;
  };
  const mul = (): Node => {
    let l = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = peek().v;
      p++;
      l = { t: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      p++;
      return nest(() => ({ t: 'unary', op: '-', arg: unary() }));
    }
    if (isOp('!')) {
      p++;
      return nest(() => ({ t: 'unary', op: '!', arg: unary() }));
    }
    return postfix();
  };
  const postfix = (): Node => {
    let n = primary();
    for (;;) {
      if (isOp('.')) {
        p++;
        const t = peek();
        if (t.k !== 'id') syntax(src, t.pos, 'expected a field name after "."');
        p++;
        n = { t: 'member', obj: n, key: { t: 'lit', v: t.v } };
      } else if (isOp('[')) {
        p++;
        const key = ternary();
        expect(']');
        n = { t: 'member', obj: n, key };
      } else return n;
    }
  };
  const primary = (): Node => {
    const t = peek();
    if (t.k === 'num') {
      p++;
      return { t: 'lit', v: Number(t.v) };
    }
    if (t.k === 'str') {
      p++;
      return { t: 'lit', v: t.v };
    }
    if (t.k === 'id') {
      p++;
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { t: 'lit', v: null };
      if (isOp('(')) {
        p++;
        const args: Node[] = [];
        if (!isOp(')')) {
          do {
            if (args.length > 0) p++;
            args.push(ternary());
          } while (isOp(','));
        }
        expect(')');
        return { t: 'call', fn: t.v, args };
      }
      return { t: 'id', name: t.v };
    }
    if (isOp('(')) {
      p++;
      const e = ternary();
      expect(')');
      return e;
    }
    if (isOp('[')) {
      p++;
      const items: Node[] = [];
      if (!isOp(']')) {
        do {
          if (items.length > 0) p++;
          items.push(ternary());
        } while (isOp(','));
      }
      expect(']');
      return { t: 'list', items };
    }
    return syntax(src, t.pos, t.k === 'end' ? 'unexpected end' : `unexpected "${t.v}"`);
  };

  const tree = ternary();
  if (peek().k !== 'end') syntax(src, peek().pos, `unexpected "${peek().v}"`);
  return tree;
}
