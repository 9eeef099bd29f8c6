/**
 * The few primitives every credential in the package is built from: CSPRNG bytes, SHA-256,
 * HMAC-SHA-256 and a comparison whose time does not depend on where two values differ.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` CSPRNG bytes as unpadded base64url. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex of UTF-8 text (or bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA-256 of `data` under `key`, as a Buffer. */
export function hmacSha256(key: Uint8Array | string, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** True when two equal-length digests are equal, in constant time (false on a length mismatch). */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
