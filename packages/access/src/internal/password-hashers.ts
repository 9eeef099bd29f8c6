/**
 * The two password hashers Plinth knows, both producing PHC strings that carry their own
 * parameters, so a stored hash can always be checked and an outdated one recognised:
 * - argon2id through `@node-rs/argon2`: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`;
 * - scrypt from `node:crypto`: `$scrypt$ln=…,r=…,p=…$salt$hash` (salt and hash unpadded base64,
 *   N = 2^ln, a 16-byte salt and a 32-byte key).
 * Parsing never throws: a stored string that is not one of these reads as `undefined`.
 */
import { hash as argon2Hash, verify as argon2Verify, parseOptions } from '@node-rs/argon2';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** Argon2id cost parameters (RFC 9106). */
export interface Argon2idParams {
  /** Memory in KiB. @default 19456 (19 MiB, the OWASP minimum) */
  readonly memoryCost: number;
  /** Passes. @default 2 */
  readonly timeCost: number;
  /** Lanes. @default 1 */
  readonly parallelism: number;
}

/** scrypt cost parameters (RFC 7914). */
export interface ScryptParams {
  /** log2 of N, the CPU/memory cost. @default 17 (N = 131072, the OWASP minimum) */
  readonly ln: number;
  /** Block size. @default 8 */
  readonly r: number;
  /** Parallelism. @default 1 */
  readonly p: number;
}

export type HasherName = 'argon2id' | 'scrypt';

export const DEFAULT_ARGON2ID_PARAMS: Argon2idParams = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ ln: 17, r: 8, p: 1 });

const ARGON2ID = 2; // Algorithm.Argon2id (a const enum in the binding's types)
const SCRYPT_KEY_BYTES = 32;
const SALT_BYTES = 16;
const SCRYPT_RE =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{16,88})$/;
const ARGON2ID_RE =
  /^\$argon2id\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]{11,88}\$[A-Za-z0-9+/]{16,88}$/;

/** A stored hash, parsed. */
export type ParsedHash =
  | { readonly hasher: 'argon2id'; readonly params: Argon2idParams; readonly phc: string }
  | {
      readonly hasher: 'scrypt';
      readonly params: ScryptParams;
      readonly salt: Buffer;
      readonly key: Buffer;
      readonly phc: string;
    };

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

function scryptRaw(input: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  // scrypt needs 128 · N · r bytes (plus a little); allow twice that.
  const maxmem = 256 * N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(input, salt, SCRYPT_KEY_BYTES, { N, r: params.r, p: params.p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes `input` with a fresh random salt; returns the PHC string. */
export async function hashPassword(
  input: Uint8Array,
  hasher: HasherName,
  params: Argon2idParams | ScryptParams,
): Promise<string> {
  if (hasher === 'argon2id') {
    const p = params as Argon2idParams;
    return argon2Hash(input, {
      algorithm: ARGON2ID as never,
      memoryCost: p.memoryCost,
      timeCost: p.timeCost,
      parallelism: p.parallelism,
      outputLen: 32,
      salt: randomBytes(SALT_BYTES),
    });
  }
  const p = params as ScryptParams;
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptRaw(input, salt, p);
  return `$scrypt$ln=${p.ln},r=${p.r},p=${p.p}$${b64(salt)}$${b64(key)}`;
}

/** Parses a stored PHC string; `undefined` when it is not a hash this module made. */
export function parseHash(phc: unknown): ParsedHash | undefined {
  if (typeof phc !== 'string' || phc.length > 512) return undefined;
  const s = SCRYPT_RE.exec(phc);
  if (s !== null) {
    const params = { ln: Number(s[1]), r: Number(s[2]), p: Number(s[3]) };
    if (params.ln < 1 || params.ln > 24 || params.r < 1 || params.p < 1) return undefined;
    return {
      hasher: 'scrypt',
      params,
      salt: Buffer.from(s[4] as string, 'base64'),
      key: Buffer.from(s[5] as string, 'base64'),
      phc,
    };
  }
  if (!ARGON2ID_RE.test(phc)) return undefined;
  try {
    const o = parseOptions(phc);
    return {
      hasher: 'argon2id',
      params: { memoryCost: o.memoryCost, timeCost: o.timeCost, parallelism: o.parallelism },
      phc,
    };
  } catch {
    return undefined;
  }
}

/** Whether `input` matches the parsed hash. The final comparison takes constant time. */
export async function verifyHash(parsed: ParsedHash, input: Uint8Array): Promise<boolean> {
  if (parsed.hasher === 'argon2id') {
    try {
      return await argon2Verify(parsed.phc, input);
    } catch {
      return false;
    }
  }
  const key = await scryptRaw(input, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** Whether a hash was made with another hasher or other parameters than the current ones. */
export function isOutdated(
  parsed: ParsedHash,
  hasher: HasherName,
  params: Argon2idParams | ScryptParams,
): boolean {
  if (parsed.hasher !== hasher) return true;
  const want = params as unknown as Record<string, number>;
  const have = parsed.params as unknown as Record<string, number>;
  return Object.keys(want).some((k) => want[k] !== have[k]);
}
