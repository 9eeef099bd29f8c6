/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) on node:crypto, and base32 (RFC 4648 §6), the encoding
 * authenticator apps read secrets in.
 */
import { createHmac } from 'node:crypto';
import { accessErrors } from '../errors.js';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export const TOTP_ALGORITHMS: readonly TotpAlgorithm[] = Object.freeze([
  'SHA1',
  'SHA256',
  'SHA512',
]);

const HMAC_NAMES: Readonly<Record<TotpAlgorithm, string>> = {
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA512: 'sha512',
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
  DECODE[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

/** Bytes as RFC 4648 base32 (upper case); `pad` adds the `=` padding. */
export function encodeBase32(bytes: Uint8Array, options: { readonly pad?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.pad === true) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * RFC 4648 base32 text as bytes. Accepts lower case, optional `=` padding and spaces (as people
 * type secrets); anything else is `E_INVALID_ARGUMENT`. At most 1024 characters.
 */
export function decodeBase32(text: unknown): Buffer {
  if (typeof text !== 'string' || text.length > 1024) {
    throw accessErrors.create(
      'E_INVALID_ARGUMENT',
      'a base32 secret is a string of at most 1024 characters',
    );
  }
  const clean = text.replace(/ /g, '').replace(/=+$/, '');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? (DECODE[c] as number) : -1;
    if (v < 0) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'a base32 secret holds only A–Z and 2–7', {
        details: { index: i },
      });
    }
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // 1, 3 and 6 leftover characters cannot come from whole bytes.
  if ([1, 3, 6].includes(clean.length % 8)) {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'the base32 secret has an impossible length');
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP value of `counter` under `key`, `digits` long (zero-padded). */
export function hotpCode(
  key: Uint8Array,
  counter: number,
  algorithm: TotpAlgorithm,
  digits: number,
): string {
  const message = Buffer.alloc(8);
  // Two 32-bit halves: counters past 2^32 (TOTP at 20000000000 s with 30 s steps is not, but a
  // 1 s period would be) stay exact up to 2^53.
  message.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(HMAC_NAMES[algorithm], key).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary =
    (((mac[offset] as number) & 0x7f) << 24) |
    ((mac[offset + 1] as number) << 16) |
    ((mac[offset + 2] as number) << 8) |
    (mac[offset + 3] as number);
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The RFC 6238 time step of `timeMs` (T0 = 0). */
export function timeStep(timeMs: number, periodSeconds: number): number {
  return Math.floor(Math.floor(timeMs / 1000) / periodSeconds);
}

/** RFC 6238 TOTP value at `timeMs`. */
export function totpCode(
  key: Uint8Array,
  timeMs: number,
  algorithm: TotpAlgorithm,
  digits: number,
  periodSeconds: number,
): string {
  return hotpCode(key, timeStep(timeMs, periodSeconds), algorithm, digits);
}
