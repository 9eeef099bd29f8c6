/**
 * Where things are in a `.proto` text. protobufjs gives a reflection tree without positions, so
 * a small comment- and string-aware scanner indexes the declarations the validity checks point
 * at: types, fields, enum values, reserved and extension ranges, and field options.
 */

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

interface Token extends Position {
  readonly text: string;
  /** `str` for a quoted string, `word` for identifiers and numbers, `punct` otherwise. */
  readonly kind: 'str' | 'word' | 'punct';
}

export interface FieldDecl {
  /** Full name of the message (no leading dot). */
  readonly scope: string;
  readonly name: string;
  readonly number: string;
  readonly at: Position;
  readonly numberAt: Position;
  /** The label written (`optional`, `required`, `repeated`), `map`, or '' (none). */
  readonly label: string;
  /** Position of the statement's first token. */
  readonly start: Position;
  readonly inOneof: boolean;
  /** Option name → position of the name and the value's first token. */
  readonly options: ReadonlyMap<string, { at: Position; value: Token; negative: boolean }>;
}

export interface EnumValueDecl {
  readonly scope: string;
  readonly name: string;
  readonly number: string;
  readonly at: Position;
  readonly numberAt: Position;
}

export interface RangeDecl {
  readonly scope: string;
  readonly kind: 'reserved' | 'extensions';
  /** Numbers (`lo`, `hi`, `max` resolved by the caller) or a quoted name. */
  readonly items: ReadonlyArray<
    { name: string; at: Position } | { lo: string; hi: string; at: Position; hiAt: Position }
  >;
}

export interface ProtoIndex {
  readonly syntax: 'proto2' | 'proto3' | 'editions';
  readonly package: string;
  readonly types: ReadonlyMap<string, Position>;
  readonly fields: readonly FieldDecl[];
  readonly values: readonly EnumValueDecl[];
  readonly ranges: readonly RangeDecl[];
  /** Oneof full name (message + `.` + oneof) → position of its name. */
  readonly oneofs: ReadonlyMap<string, Position>;
  /** `scope` + `.` + option name → position (statement options such as `allow_alias`). */
  readonly statementOptions: ReadonlyMap<string, Position>;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      i += 2;
      continue;
    }
    const start = i;
    const column = i - lineStart + 1;
    if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      out.push({ text: text.slice(start + 1, i - 1), kind: 'str', line, column });
      continue;
    }
    if (/[A-Za-z0-9_.]/.test(c)) {
      while (i < n && /[A-Za-z0-9_.]/.test(text[i] as string)) i++;
      // An exponent sign belongs to the number: 1e-5.
      if (/^\d[\d.]*[eE]$/.test(text.slice(start, i)) && /[+-]/.test(text[i] ?? '')) {
        i++;
        while (i < n && /[0-9]/.test(text[i] as string)) i++;
      }
      out.push({ text: text.slice(start, i), kind: 'word', line, column });
      continue;
    }
    out.push({ text: c, kind: 'punct', line, column });
    i++;
  }
  return out;
}

const at = (t: Token | undefined): Position =>
  t === undefined ? { line: 1, column: 1 } : { line: t.line, column: t.column };

type ScopeKind = 'file' | 'message' | 'enum' | 'service' | 'oneof' | 'extend' | 'other';

/** Indexes the declarations of one `.proto` text (best effort on text protobufjs accepted). */
export function indexProto(text: string): ProtoIndex {
  const toks = tokenize(text);
  let syntax: ProtoIndex['syntax'] = 'proto2';
  let pkg = '';
  const types = new Map<string, Position>();
  const fields: FieldDecl[] = [];
  const values: EnumValueDecl[] = [];
  const ranges: RangeDecl[] = [];
  const oneofs = new Map<string, Position>();
  const statementOptions = new Map<string, Position>();
  const stack: Array<{ kind: ScopeKind; path: string }> = [{ kind: 'file', path: '' }];
  const join = (a: string, b: string) => (a === '' ? b : `${a}.${b}`);
  let i = 0;
  const t = (k = 0) => toks[i + k];
  /** Skips to the end of the statement: past the next `;` at depth 0, or a balanced block. */
  const skipStatement = () => {
    let depth = 0;
    while (i < toks.length) {
      const x = (toks[i] as Token).text;
      i++;
      if (x === '{') depth++;
      else if (x === '}') {
        depth--;
        if (depth <= 0) return;
      } else if (x === ';' && depth === 0) return;
    }
  };
  /** Reads `[a = v, (b).c = { … }]` starting at `[`. */
  const readOptions = (): Map<string, { at: Position; value: Token; negative: boolean }> => {
    const opts = new Map<string, { at: Position; value: Token; negative: boolean }>();
    i++; // [
    while (i < toks.length && t()?.text !== ']') {
      const nameStart = t();
      let name = '';
      while (i < toks.length && t()?.text !== '=' && t()?.text !== ']') {
        name += t()?.text ?? '';
        i++;
      }
      if (t()?.text !== '=') break;
      i++;
      const negative = t()?.text === '-';
      if (negative) i++;
      const value = t() as Token;
      let depth = 0;
      while (i < toks.length) {
        const x = t()?.text;
        if (depth === 0 && (x === ',' || x === ']')) break;
        if (x === '{' || x === '[') depth++;
        if (x === '}' || x === ']') depth--;
        i++;
      }
      if (nameStart !== undefined && value !== undefined)
        opts.set(name, { at: at(nameStart), value, negative });
      if (t()?.text === ',') i++;
    }
    i++; // ]
    return opts;
  };
  while (i < toks.length) {
    const scope = stack[stack.length - 1] as { kind: ScopeKind; path: string };
    const tok = t() as Token;
    const w = tok.text;
    if (w === '}') {
      if (stack.length > 1) stack.pop();
      i++;
      continue;
    }
    if (w === ';') {
      i++;
      continue;
    }
    if ((w === 'syntax' || w === 'edition') && t(1)?.text === '=') {
      const v = t(2)?.text;
      syntax = w === 'edition' ? 'editions' : v === 'proto3' ? 'proto3' : 'proto2';
      skipStatement();
      continue;
    }
    if (w === 'package' && scope.kind === 'file') {
      pkg = t(1)?.text ?? '';
      stack[0] = { kind: 'file', path: pkg };
      skipStatement();
      continue;
    }
    if (
      (w === 'message' || w === 'enum' || w === 'service') &&
      t(1)?.kind === 'word' &&
      t(2)?.text === '{' &&
      scope.kind !== 'enum'
    ) {
      const path = join(scope.path, (t(1) as Token).text);
      types.set(path, at(t(1)));
      stack.push({ kind: w, path });
      i += 3;
      continue;
    }
    if (w === 'oneof' && t(1)?.kind === 'word' && t(2)?.text === '{') {
      oneofs.set(`${scope.path}.${(t(1) as Token).text}`, at(t(1)));
      stack.push({ kind: 'oneof', path: scope.path });
      i += 3;
      continue;
    }
    if (w === 'extend' && scope.kind !== 'enum') {
      while (i < toks.length && t()?.text !== '{') i++;
      stack.push({ kind: 'extend', path: scope.path });
      i++;
      continue;
    }
    if (w === 'option') {
      let name = '';
      let j = i + 1;
      while (j < toks.length && toks[j]?.text !== '=') {
        name += toks[j]?.text ?? '';
        j++;
      }
      statementOptions.set(`${scope.path}.${name}`, at(t(1)));
      skipStatement();
      continue;
    }
    if ((w === 'reserved' || w === 'extensions') && scope.kind !== 'extend') {
      const items: RangeDecl['items'][number][] = [];
      i++;
      while (i < toks.length && t()?.text !== ';') {
        const x = t() as Token;
        if (x.text === '[') {
          readOptions();
          continue;
        }
        if (x.kind === 'str') items.push({ name: x.text, at: at(x) });
        else if (x.kind === 'word' || x.text === '-') {
          const neg = x.text === '-';
          const loTok = neg ? (t(1) as Token) : x;
          if (neg) i++;
          const lo = `${neg ? '-' : ''}${loTok?.text ?? ''}`;
          if (t(1)?.text === 'to') {
            i += 2;
            const hiNeg = t()?.text === '-';
            if (hiNeg) i++;
            const hiTok = t() as Token;
            items.push({
              lo,
              hi: `${hiNeg ? '-' : ''}${hiTok?.text ?? ''}`,
              at: at(x),
              hiAt: at(hiTok),
            });
          } else items.push({ lo, hi: lo, at: at(x), hiAt: at(x) });
        }
        i++;
      }
      ranges.push({ scope: scope.path, kind: w, items });
      i++;
      continue;
    }
    if (scope.kind === 'enum' && tok.kind === 'word' && t(1)?.text === '=') {
      const neg = t(2)?.text === '-';
      values.push({
        scope: scope.path,
        name: w,
        number: `${neg ? '-' : ''}${t(neg ? 3 : 2)?.text ?? ''}`,
        at: at(tok),
        numberAt: at(t(2)),
      });
      i += t(2)?.text === '-' ? 4 : 3;
      if (t()?.text === '[') readOptions();
      skipStatement();
      continue;
    }
    if (scope.kind === 'message' || scope.kind === 'oneof' || scope.kind === 'extend') {
      // [label] type name = number [options] ;   or   [label] group Name = number { … }
      let j = i;
      while (j < toks.length && !['=', ';', '{', '}'].includes(toks[j]?.text ?? '')) j++;
      if (toks[j]?.text === '=' && toks[j - 1]?.kind === 'word') {
        const nameTok = toks[j - 1] as Token;
        const isGroup = toks[j - 2]?.text === 'group';
        const numberTok = toks[j + 1];
        i = j + 2;
        const options =
          t()?.text === '['
            ? readOptions()
            : new Map<string, { at: Position; value: Token; negative: boolean }>();
        const first = tok.text;
        if (scope.kind !== 'extend')
          fields.push({
            label: ['optional', 'required', 'repeated', 'map'].includes(first) ? first : '',
            start: at(tok),
            inOneof: scope.kind === 'oneof',
            scope: scope.path,
            name: isGroup ? nameTok.text.toLowerCase() : nameTok.text,
            number: numberTok?.text ?? '',
            at: at(nameTok),
            numberAt: at(numberTok),
            options,
          });
        if (isGroup && t()?.text === '{') {
          const path = join(scope.path, nameTok.text);
          types.set(path, at(nameTok));
          stack.push({ kind: 'message', path });
          i++;
          continue;
        }
        skipStatement();
        continue;
      }
    }
    skipStatement();
  }
  return { syntax, package: pkg, types, fields, values, ranges, oneofs, statementOptions };
}
