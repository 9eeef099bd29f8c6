/**
 * The API key text format: `<prefix>_<id>_<secret><checksum>`.
 *
 * - `prefix`: host-chosen, `[a-z][a-z0-9]{1,11}` (`plk`, `acmelive`), so scanners and people can
 *   tell whose key it is;
 * - `id`: 14 random base62 characters (≈ 83 bits), the public lookup key (indexed, not secret);
 * - `secret`: 30 random base62 characters (≈ 178 bits of CSPRNG output);
 * - `checksum`: CRC32 (node:zlib) of everything before it, as 6 base62 digits (zero-padded).
 *
 * Every part has a fixed length and alphabet, so a string is checked offline, without any
 * lookup: a typo, a truncated paste or a random string fails the shape or the checksum. CRC32
 * detects every single-character change and every swap of two neighbouring characters.
 */
import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_ID_LENGTH = 14;
export const KEY_SECRET_LENGTH = 30;
export const KEY_CHECKSUM_LENGTH = 6;
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,11}$/;

/** Why a string is not an API key (the `reason` of `E_API_KEY_INVALID`). */
export type KeyFormatProblem = 'malformed' | 'checksum' | 'prefix';

/** The parts of a well-formed key. */
export interface ParsedApiKey {
  readonly prefix: string;
  readonly id: string;
  readonly secret: string;
  readonly checksum: string;
}

/** `length` uniformly random base62 characters (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i] as number;
      if (b < 248) out += BASE62[b % 62];
    }
  }
  return out;
}

/** An unsigned 32-bit number as exactly 6 base62 digits (62^6 > 2^32). */
export function base62Checksum(value: number): string {
  let n = value >>> 0;
  const chars = ['0', '0', '0', '0', '0', '0'];
  for (let i = KEY_CHECKSUM_LENGTH - 1; i >= 0 && n > 0; i--) {
    chars[i] = BASE62[n % 62] as string;
    n = Math.floor(n / 62);
  }
  return chars.join('');
}

/** The checksum of the text before it. */
export function checksumOf(body: string): string {
  return base62Checksum(crc32(body));
}

/** Builds a key from its parts (the checksum is computed). */
export function formatApiKey(prefix: string, id: string, secret: string): string {
  const body = `${prefix}_${id}_${secret}`;
  return body + checksumOf(body);
}

/** A fresh id and secret; the caller chooses the prefix. */
export function newKeyParts(): { id: string; secret: string } {
  return { id: randomBase62(KEY_ID_LENGTH), secret: randomBase62(KEY_SECRET_LENGTH) };
}

/** Value of a base62 char code, or -1. */
function base62Value(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 90) return c - 55;
  if (c >= 97 && c <= 122) return c - 61;
  return -1;
}

/** True when `text[from, to)` is all base62. */
function allBase62(text: string, from: number, to: number): boolean {
  let ok = true;
  // No early exit: the loop visits every character of the key's fixed-length tail.
  for (let i = from; i < to; i++) ok = base62Value(text.charCodeAt(i)) >= 0 && ok;
  return ok;
}

/** True when `text[0, end)` matches `[a-z][a-z0-9]*`. */
function validPrefix(text: string, end: number): boolean {
  const first = text.charCodeAt(0);
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

/**
 * Parses `text` as a key, checking shape and checksum. Returns the parts, or the problem.
 * With `prefix`, a well-formed key of another prefix is `prefix`. Runs in time linear in the
 * (bounded) prefix length and otherwise fixed; no lookup.
 */
export function parseApiKeyParts(text: unknown, prefix?: string): ParsedApiKey | KeyFormatProblem {
  if (typeof text !== 'string') return 'malformed';
  const tail = 1 + KEY_ID_LENGTH + 1 + KEY_SECRET_LENGTH + KEY_CHECKSUM_LENGTH;
  const p = text.length - tail;
  // The shortest prefix is 2 characters, the longest 12.
  if (p < 2 || p > 12) return 'malformed';
  if (text.charCodeAt(p) !== 95 || text.charCodeAt(p + 1 + KEY_ID_LENGTH) !== 95) {
    return 'malformed';
  }
  if (!validPrefix(text, p)) return 'malformed';
  if (
    !allBase62(text, p + 1, p + 1 + KEY_ID_LENGTH) ||
    !allBase62(text, p + 2 + KEY_ID_LENGTH, text.length)
  ) {
    return 'malformed';
  }
  const bodyEnd = text.length - KEY_CHECKSUM_LENGTH;
  let presented = 0;
  for (let i = bodyEnd; i < text.length; i++) {
    presented = presented * 62 + base62Value(text.charCodeAt(i));
  }
  if (crc32(text.slice(0, bodyEnd)) !== presented) return 'checksum';
  if (prefix !== undefined && (p !== prefix.length || !text.startsWith(prefix))) return 'prefix';
  return {
    prefix: text.slice(0, p),
    id: text.slice(p + 1, p + 1 + KEY_ID_LENGTH),
    secret: text.slice(p + 2 + KEY_ID_LENGTH, bodyEnd),
    checksum: text.slice(bodyEnd),
  };
}

/** Regex source of one key for `prefix` (or any valid prefix), without anchors. */
export function keyPatternSource(prefix?: string): string {
  const p = prefix === undefined ? '[a-z][a-z0-9]{1,11}' : prefix;
  return `${p}_[0-9A-Za-z]{${KEY_ID_LENGTH}}_[0-9A-Za-z]{${KEY_SECRET_LENGTH + KEY_CHECKSUM_LENGTH}}`;
}

/**
 * The digest stored for a key: SHA-256 of `id.secret`, or with a pepper HMAC-SHA-256 (RFC 2104)
 * of it. HMAC is computed from precomputed pads with two one-shot `crypto.hash` calls, which
 * costs half of `createHmac` on the verify hot path; a test checks it against `createHmac`.
 */
export function keyDigester(pepper?: Uint8Array): (id: string, secret: string) => Buffer {
  if (pepper === undefined) return (id, secret) => hash('sha256', `${id}.${secret}`, 'buffer');
  const key = pepper.length > 64 ? hash('sha256', pepper, 'buffer') : Buffer.from(pepper);
  const inner = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64 + 32, 0);
  outer.fill(0x5c, 0, 64);
  for (let i = 0; i < key.length; i++) {
    inner[i] = (inner[i] as number) ^ (key[i] as number);
    outer[i] = (outer[i] as number) ^ (key[i] as number);
  }
  return (id, secret) => {
    const message = Buffer.from(`${id}.${secret}`, 'utf8');
    const innerHash = hash(
      'sha256',
      Buffer.concat([inner, message], 64 + message.length),
      'buffer',
    );
    // A fresh buffer per call: the result must not alias scratch space.
    const o = Buffer.allocUnsafe(96);
    outer.copy(o, 0, 0, 64);
    innerHash.copy(o, 64);
    return hash('sha256', o, 'buffer');
  };
}
