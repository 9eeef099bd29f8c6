/**
 * The Cedar policy lexer: turns text into tokens on demand (the parser pulls them one at a time,
 * so a huge input never becomes a huge token array). It follows Cedar 4.5's lexer: ASCII
 * identifiers, unsigned decimal integers, double-quoted strings whose escapes are decoded later
 * (string and pattern literals decode differently), `//` comments up to a line break, and
 * Unicode `White_Space` between tokens.
 */
import { policyErrors } from '../errors.js';
import { lineColumn } from './location.js';

export type TokenKind = 'ident' | 'int' | 'string' | 'slot' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier name, integer digits, raw string body (between the quotes), slot name
   * (`?principal`), or the punctuation itself. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** Builds an `E_PARSE` error at `offset` of `text`. */
export function parseError(text: string, offset: number, message: string): Error {
  const { line, column } = lineColumn(text, offset);
  return policyErrors.create('E_PARSE', `${message} (line ${line}, column ${column})`, {
    details: { line, column, offset },
  });
}

/** The two-character operator starting with char codes `a` `b`, if any. */
function punct2(a: number, b: number): string | undefined {
  switch (a) {
    case 61: // =
      return b === 61 ? '==' : undefined;
    case 33: // !
      return b === 61 ? '!=' : undefined;
    case 60: // <
      return b === 61 ? '<=' : undefined;
    case 62: // >
      return b === 61 ? '>=' : undefined;
    case 38: // &
      return b === 38 ? '&&' : undefined;
    case 124: // |
      return b === 124 ? '||' : undefined;
    case 58: // :
      return b === 58 ? '::' : undefined;
    default:
      return undefined;
  }
}
const PUNCT1 = new Set([
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  ';',
  ':',
  '.',
  '@',
  '<',
  '>',
  '+',
  '-',
  '*',
  '!',
]);

/** Unicode `White_Space` (what Cedar's lexer skips); U+FEFF is not in it. */
export function isCedarWhitespace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

export class Lexer {
  private pos = 0;
  private readonly buffer: Token[] = [];

  constructor(readonly text: string) {}

  /** The token `k` places ahead (0 = next) without consuming it. */
  peek(k = 0): Token {
    while (this.buffer.length <= k) this.buffer.push(this.scan());
    return this.buffer[k]!;
  }

  next(): Token {
    const t = this.peek();
    this.buffer.shift();
    return t;
  }

  private scan(): Token {
    const text = this.text;
    const n = text.length;
    let i = this.pos;
    for (;;) {
      while (i < n && isCedarWhitespace(text.charCodeAt(i))) i++;
      if (i + 1 < n && text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 47) {
        i += 2;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === 10 || c === 13) break;
          i++;
        }
        continue;
      }
      break;
    }
    const start = i;
    if (i >= n) {
      this.pos = i;
      return { kind: 'eof', value: '', start, end: start };
    }
    const c = text.charCodeAt(i);
    let tok: Token;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      tok = { kind: 'ident', value: text.slice(i, j), start, end: j };
    } else if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      tok = { kind: 'int', value: text.slice(i, j), start, end: j };
    } else if (c === 34) {
      tok = this.scanString(start);
    } else if (c === 63 && i + 1 < n && isIdentStart(text.charCodeAt(i + 1))) {
      let j = i + 2;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      tok = { kind: 'slot', value: text.slice(i, j), start, end: j };
    } else {
      const two = i + 1 < n ? punct2(c, text.charCodeAt(i + 1)) : undefined;
      if (two !== undefined) tok = { kind: 'punct', value: two, start, end: i + 2 };
      else if (PUNCT1.has(text[i]!)) tok = { kind: 'punct', value: text[i]!, start, end: i + 1 };
      else throw parseError(text, start, invalidTokenMessage(text, i));
    }
    this.pos = tok.end;
    return tok;
  }

  private scanString(start: number): Token {
    const text = this.text;
    const n = text.length;
    let j = start + 1;
    for (;;) {
      if (j >= n) throw parseError(text, start, 'unterminated string literal');
      const c = text.charCodeAt(j);
      if (c === 34) break;
      if (c === 92) {
        // `\` escapes any one character except a line feed (Cedar's `\\.`).
        if (j + 1 >= n || text.charCodeAt(j + 1) === 10) {
          throw parseError(text, start, 'unterminated string literal');
        }
        j += 2;
        continue;
      }
      j++;
    }
    return { kind: 'string', value: text.slice(start + 1, j), start, end: j + 1 };
  }
}

function invalidTokenMessage(text: string, i: number): string {
  const ch = text[i]!;
  const code = text.charCodeAt(i);
  if (ch === "'") return 'invalid token: strings must use double quotes, not single quotes';
  if (ch === '=') return "'=' is not a valid operator in Cedar (use '==')";
  if (ch === '/') return 'invalid token: division is not supported';
  if (ch === '%') return 'invalid token: remainder/modulo is not supported';
  if (ch === '&' || ch === '|') return `invalid token '${ch}' (use '${ch}${ch}')`;
  if (code >= 0xd800 && code <= 0xdfff) return 'invalid token: unpaired surrogate';
  if (code < 32 || code === 127) return `invalid token: control character U+${hex4(code)}`;
  const cp = text.codePointAt(i)!;
  return `invalid token ${JSON.stringify(String.fromCodePoint(cp))}`;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/** True when a string body has no escape and no surrogate: it decodes to itself. */
function isPlain(body: string): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 92 || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** One element of a decoded pattern: a literal code-point run or a wildcard. */
export type RawPatternElem = { literal: string } | 'wildcard';

/**
 * Decodes the body of a string literal as Cedar does (`\n \r \t \\ \0 \' \"`, `\xHH` up to
 * 0x7F, `\u{…}` with 1–6 hex digits and `_` separators after the first). With `pattern`, `\*`
 * is a literal star and a bare `*` is a wildcard. Lone surrogates are rejected: Cedar strings are
 * Unicode scalar values. Throws `E_PARSE` at the offending escape (`bodyStart` is the offset of
 * the body in `text`).
 */
export function decodeString(
  text: string,
  body: string,
  bodyStart: number,
  pattern: true,
): RawPatternElem[];
export function decodeString(
  text: string,
  body: string,
  bodyStart: number,
  pattern?: false,
): string;
export function decodeString(
  text: string,
  body: string,
  bodyStart: number,
  pattern = false,
): string | RawPatternElem[] {
  if (!pattern && isPlain(body)) return body;
  const elems: RawPatternElem[] = [];
  let run = '';
  const n = body.length;
  let i = 0;
  const flush = (): void => {
    if (run !== '') elems.push({ literal: run });
    run = '';
  };
  while (i < n) {
    const c = body.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = body.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        run += body.slice(i, i + 2);
        i += 2;
        continue;
      }
      throw parseError(text, bodyStart + i, 'invalid string literal: unpaired surrogate');
    }
    if (c !== 92) {
      if (pattern && c === 42) {
        flush();
        elems.push('wildcard');
      } else run += body[i];
      i++;
      continue;
    }
    const escStart = i;
    const e = body[i + 1];
    const bad = (upto: number): Error =>
      parseError(
        text,
        bodyStart + escStart,
        `the input \`${body.slice(escStart, Math.min(upto, n))}\` is not a valid escape`,
      );
    i += 2;
    let decoded: string;
    switch (e) {
      case 'n':
        decoded = '\n';
        break;
      case 'r':
        decoded = '\r';
        break;
      case 't':
        decoded = '\t';
        break;
      case '\\':
        decoded = '\\';
        break;
      case '0':
        decoded = '\0';
        break;
      case "'":
        decoded = "'";
        break;
      case '"':
        decoded = '"';
        break;
      case '*':
        if (!pattern) throw bad(i);
        run += '*';
        continue;
      case 'x': {
        const h = body.slice(i, i + 2);
        if (!/^[0-7][0-9a-fA-F]$/.test(h)) throw bad(i + 2);
        decoded = String.fromCharCode(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u': {
        if (body[i] !== '{') throw bad(i + 1);
        let j = i + 1;
        let digits = '';
        if (!/[0-9a-fA-F]/.test(body[j] ?? '')) throw bad(j + 1);
        while (j < n && /[0-9a-fA-F_]/.test(body[j]!)) {
          if (body[j] !== '_') digits += body[j];
          j++;
        }
        if (body[j] !== '}' || digits.length > 6) throw bad(j + 1);
        const cp = parseInt(digits, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw bad(j + 1);
        decoded = String.fromCodePoint(cp);
        i = j + 1;
        break;
      }
      default:
        throw bad(i);
    }
    if (pattern && decoded === '*') {
      flush();
      elems.push('wildcard');
    } else run += decoded;
  }
  if (!pattern) return run;
  flush();
  return elems;
}
