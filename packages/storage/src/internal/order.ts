/**
 * The orders every adapter must agree on: record keys by Unicode code point (which is UTF-8
 * byte order, SQLite's BINARY collation and PostgreSQL's `COLLATE "C"`), index values by
 * unsigned byte comparison (`memcmp`, SQLite BLOB and PostgreSQL `bytea`).
 */

/**
 * Compares strings by code point. JavaScript's `<` compares UTF-16 code units, which puts
 * U+E000–U+FFFF after astral characters (surrogates D800–DFFF); this fixes that case only.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) sort above U+E000–U+FFFF in code point order.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** memcmp order on byte strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The smallest byte string greater than every string that starts with `prefix`; undefined if none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if ((out[i] as number) < 0xff) {
      out[i] = (out[i] as number) + 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

/** The smallest string greater than every string that starts with `prefix` (code point order). */
export function keyPrefixEnd(prefix: string): string | undefined {
  // Appending U+10FFFF is not enough (longer strings with that suffix exist); instead bump the
  // last code point, dropping trailing U+10FFFF.
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = (cps.pop() as string).codePointAt(0) as number;
    if (last < 0x10ffff) {
      let next = last + 1;
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
