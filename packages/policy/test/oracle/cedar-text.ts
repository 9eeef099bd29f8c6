/**
 * Rendering generated values as Cedar text: string literals with Cedar's escapes, `like`
 * patterns (a literal star is `\*`), entity references, and attribute names (an identifier when
 * it is one and not reserved, else a quoted string).
 */
import type { Uid } from './universe.js';

const RESERVED = new Set([
  'true',
  'false',
  'if',
  'then',
  'else',
  'in',
  'is',
  'like',
  'has',
  '__cedar',
]);

/** True when `name` can be written bare (`e.name`, `e has name`, record key `name:`). */
export function isIdent(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name);
}

function escapeChars(s: string, star: boolean): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (star && ch === '*') out += '\\*';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u{${cp.toString(16)}}`;
    // One non-ASCII character is always written as an escape, so `\u{…}` is exercised.
    else if (ch === 'ü') out += '\\u{fc}';
    else out += ch;
  }
  return out;
}

/** A Cedar string literal. */
export function strLit(s: string): string {
  return `"${escapeChars(s, false)}"`;
}

/** A `like` pattern literal from literal runs and wildcards. */
export function patternLit(elems: readonly (string | null)[]): string {
  return `"${elems.map((e) => (e === null ? '*' : escapeChars(e, true))).join('')}"`;
}

/** `Type::"id"`. */
export function uidLit(uid: Uid): string {
  return `${uid.type}::${strLit(uid.id)}`;
}

/** `.name` or `["name"]`. */
export function attrSuffix(name: string, bracket: boolean): string {
  return bracket || !isIdent(name) ? `[${strLit(name)}]` : `.${name}`;
}

/** A record key: bare identifier or quoted string. */
export function recordKey(name: string): string {
  return isIdent(name) ? name : strLit(name);
}
