/**
 * Signed access tokens (JWT, RFC 7519 / RFC 9068 `at+jwt`) over `jose`: EdDSA (Ed25519) or
 * ES256 (P-256), keys named by their RFC 7638 thumbprint (`kid`), rotation that keeps retired
 * keys verifying until the last token they signed has expired, and a JWKS export for relying
 * parties. Verification takes exactly one algorithm (no `none`, no HMAC, so a public key can
 * never be used as an HMAC secret), needs a known `kid`, and checks type, issuer, audience,
 * expiry and not-before on the injected clock. Every refusal is `E_TOKEN_INVALID` with
 * `details.reason`.
 */
import {
  Lifecycle,
  check,
  resolveOptions,
  systemClock,
  type Clock,
  type Logger,
} from '@plinth/core';
import type { CollectionDefinitions, Store } from '@plinth/storage';
import {
  SignJWT,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose';
import {
  KeyObject,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { accessErrors } from './errors.js';
import { storageCall } from './internal/storage.js';
import { DEFAULT_ACCESS_LIMITS } from './options.js';
import type { ComponentOptions, JsonValue } from './types.js';

const COLLECTION = 'access.tokens.keys';
export const TOKEN_COLLECTIONS: CollectionDefinitions = { [COLLECTION]: {} };

export type TokenAlgorithm = 'EdDSA' | 'ES256';

/** A signing key handed in: a private KeyObject, a private JWK or PKCS#8 PEM. */
export interface TokenKeyInput {
  readonly privateKey: KeyObject | JWK | string;
  /** @default the RFC 7638 thumbprint of the public key */
  readonly kid?: string;
}

export interface TokensOptions extends Omit<ComponentOptions, 'audit'> {
  /** `iss` of every token, and the only issuer accepted. */
  readonly issuer: string;
  /** `aud` of every token, and what verification accepts (any of them). */
  readonly audience: string | readonly string[];
  /** @default 'EdDSA' */
  readonly algorithm?: TokenAlgorithm;
  /** Token lifetime. @default 900000 (15 min) */
  readonly ttlMs?: number;
  /** Leeway for exp / nbf. @default 5000 */
  readonly clockToleranceMs?: number;
  /** Keys to use, current first; the others only verify. @default one generated (or the store's) */
  readonly keys?: readonly TokenKeyInput[];
  /** Where generated keys are kept (shared by every instance on the store). @default none: keys live in memory */
  readonly store?: Store;
  /** Longest token accepted before parsing. @default 4096 */
  readonly maxTokenLength?: number;
}

export const DEFAULT_TOKENS_OPTIONS = Object.freeze({
  algorithm: 'EdDSA' as TokenAlgorithm,
  ttlMs: 900_000,
  clockToleranceMs: 5000,
  maxTokenLength: DEFAULT_ACCESS_LIMITS.maxCredentialLength,
});

/** Why a token was refused (`details.reason` of `E_TOKEN_INVALID`). */
export type TokenRefusal =
  | 'malformed'
  | 'oversized'
  | 'alg'
  | 'kid-missing'
  | 'kid-unknown'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'issuer'
  | 'audience'
  | 'type'
  | 'claims';

/** A verified token. */
export interface VerifiedToken {
  readonly payload: JWTPayload;
  readonly kid: string;
  readonly alg: TokenAlgorithm;
}

interface KeyEntry {
  readonly kid: string;
  readonly privateKey: KeyObject | undefined;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
  readonly createdAt: number;
  /** When it stopped signing; it verifies until retiredAt + ttl + tolerance. */
  readonly retiredAt: number | null;
}

interface KeyDoc {
  [field: string]: unknown;
  kid: string;
  alg: TokenAlgorithm;
  privateJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

const RESERVED = ['iss', 'aud', 'exp', 'nbf', 'iat', 'jti'];
const TYP = 'at+jwt';
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export class Tokens {
  readonly #o: ResolvedTokens;
  readonly #clock: Clock;
  readonly #audiences: readonly string[];
  #keys: KeyEntry[] = [];
  #lastReload = -Infinity;
  #stopWatch: (() => Promise<void>) | undefined;
  readonly #life = new Lifecycle('@plinth/access', 'Tokens', async () => {
    await this.#stopWatch?.();
    this.#keys = [];
  });

  private constructor(o: ResolvedTokens) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#audiences = typeof o.audience === 'string' ? [o.audience] : [...o.audience];
  }

  /** Validates the options and loads (or generates) the keys. */
  static async open(options: TokensOptions): Promise<Tokens> {
    const o = resolveTokensOptions(options);
    const tokens = new Tokens(o);
    if (o.keys !== undefined) {
      const now = tokens.#clock.now();
      tokens.#keys = await Promise.all(
        o.keys.map((k, i) => keyEntryOf(k, o.algorithm, now, i === 0 ? null : now, `keys[${i}]`)),
      );
    } else if (o.store !== undefined) {
      await storageCall(() => (o.store as Store).ensureCollections(TOKEN_COLLECTIONS));
      await tokens.#reload();
      if (tokens.#current() === undefined) await tokens.rotate();
      // A rotation by another instance reaches this one through the change feed.
      tokens.#stopWatch = await storageCall(() =>
        (o.store as Store).watch((change) => {
          if (change.collection !== COLLECTION || tokens.#life.closed) return;
          tokens.#reload().catch(() => {});
        }),
      );
    } else {
      await tokens.rotate();
    }
    return tokens;
  }

  /** The `kid` new tokens are signed with. */
  get currentKid(): string {
    return (this.#current() as KeyEntry).kid;
  }

  /**
   * Starts signing with a new key. The previous one keeps verifying for one token lifetime
   * (plus the clock tolerance), then leaves the JWKS. Returns the new `kid`.
   */
  async rotate(): Promise<string> {
    this.#life.assertOpen('rotate');
    const now = this.#clock.now();
    const { privateKey } =
      this.#o.algorithm === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const entry = await keyEntryOf({ privateKey }, this.#o.algorithm, now, null, 'rotate');
    const store = this.#o.store;
    if (store !== undefined && this.#o.keys === undefined) {
      await storageCall(() =>
        store.transaction(
          async (tx) => {
            const c = tx.collection<KeyDoc>(COLLECTION);
            const page = await c.list({ limit: 1000 });
            const grace = this.#o.ttlMs + this.#o.clockToleranceMs;
            for (const e of page.items) {
              if (e.value.alg !== this.#o.algorithm) continue; // another Tokens' key set
              if (e.value.retiredAt === null) {
                await c.put(e.key, { ...e.value, retiredAt: now }, { ifVersion: e.version });
              } else if (now > e.value.retiredAt + grace) {
                await c.delete(e.key, { ifVersion: e.version }); // verifies nothing any more
              }
            }
            await c.put(
              entry.kid,
              {
                kid: entry.kid,
                alg: this.#o.algorithm,
                privateJwk: privateKey.export({ format: 'jwk' }) as JWK,
                createdAt: now,
                retiredAt: null,
              },
              { ifAbsent: true },
            );
          },
          { retry: { attempts: 5 } },
        ),
      );
      await this.#reload();
      return entry.kid;
    }
    this.#keys = [
      entry,
      ...this.#keys.map((k) => (k.retiredAt === null ? { ...k, retiredAt: now } : k)),
    ];
    return entry.kid;
  }

  /** Re-reads the keys from the store (other instances may have rotated). */
  async refresh(): Promise<void> {
    this.#life.assertOpen('refresh');
    if (this.#o.store !== undefined && this.#o.keys === undefined) await this.#reload();
  }

  /** The public keys that verify tokens now, as a JWK Set (`/.well-known/jwks.json`). */
  jwks(): { keys: JWK[] } {
    const now = this.#clock.now();
    return {
      keys: this.#keys
        .filter((k) => this.#verifies(k, now))
        .map((k) => ({ ...k.publicJwk, kid: k.kid, alg: this.#o.algorithm, use: 'sig' })),
    };
  }

  /**
   * Signs a token. `claims` are the application's claims (`sub`, `scope`, …); `iss`, `aud`,
   * `iat`, `nbf`, `exp` and `jti` are set here.
   */
  async sign(
    claims: { readonly [claim: string]: JsonValue } = {},
    options: { readonly ttlMs?: number; readonly audience?: string } = {},
  ): Promise<string> {
    this.#life.assertOpen('sign');
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'claims must be a JSON object');
    }
    const opts = (options ?? {}) as { ttlMs?: unknown; audience?: unknown };
    for (const name of RESERVED) {
      if (Object.hasOwn(claims, name)) {
        throw accessErrors.create('E_INVALID_ARGUMENT', `claim "${name}" is set by Tokens`, {
          details: { claim: name },
        });
      }
    }
    let payload: JWTPayload;
    try {
      payload = JSON.parse(JSON.stringify(claims)) as JWTPayload;
    } catch {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'claims must be plain JSON');
    }
    const ttlMs = opts.ttlMs ?? this.#o.ttlMs;
    if (
      typeof ttlMs !== 'number' ||
      !Number.isSafeInteger(ttlMs) ||
      ttlMs < 1000 ||
      ttlMs > this.#o.ttlMs
    ) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        `ttlMs must be from 1000 to ${this.#o.ttlMs}`,
      );
    }
    const audience = opts.audience ?? this.#audiences;
    if (
      typeof audience === 'string'
        ? !this.#audiences.includes(audience)
        : audience !== this.#audiences
    ) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'audience must be one of the configured audiences',
      );
    }
    const key = this.#current() as KeyEntry;
    const now = Math.floor(this.#clock.now() / 1000);
    const jwt = await new SignJWT(payload)
      .setProtectedHeader({ alg: this.#o.algorithm, kid: key.kid, typ: TYP })
      .setIssuer(this.#o.issuer)
      .setAudience(audience as string | string[])
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + Math.floor(ttlMs / 1000))
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key.privateKey as KeyObject);
    if (jwt.length > this.#o.maxTokenLength) {
      throw accessErrors.create(
        'E_LIMIT_EXCEEDED',
        'the signed token would exceed maxTokenLength',
        {
          details: { limit: 'maxTokenLength', max: this.#o.maxTokenLength },
        },
      );
    }
    return jwt;
  }

  /** Verifies a token; `E_TOKEN_INVALID` with `details.reason` ({@link TokenRefusal}) otherwise. */
  async verify(
    token: string,
    options: { readonly audience?: string } = {},
  ): Promise<VerifiedToken> {
    this.#life.assertOpen('verify');
    if (typeof token !== 'string') throw refusal('malformed');
    if (token.length > this.#o.maxTokenLength) throw refusal('oversized');
    if (!COMPACT.test(token)) throw refusal('malformed');
    let header: { alg?: unknown; kid?: unknown };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw refusal('malformed');
    }
    if (header.alg !== this.#o.algorithm) throw refusal('alg');
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw refusal('kid-missing');
    const key = await this.#keyFor(header.kid);
    if (key === undefined) throw refusal('kid-unknown');
    const audience = (options ?? {}).audience;
    if (
      audience !== undefined &&
      (typeof audience !== 'string' || !this.#audiences.includes(audience))
    ) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'audience must be one of the configured audiences',
      );
    }
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [this.#o.algorithm],
        issuer: this.#o.issuer,
        audience: audience ?? [...this.#audiences],
        typ: TYP,
        clockTolerance: Math.floor(this.#o.clockToleranceMs / 1000),
        currentDate: new Date(this.#clock.now()),
        requiredClaims: ['exp', 'iat', 'nbf'],
      });
      return { payload, kid: key.kid, alg: this.#o.algorithm };
    } catch (error) {
      throw refusal(reasonOf(error));
    }
  }

  /** Forgets the keys; idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #current(): KeyEntry | undefined {
    return this.#keys.find((k) => k.retiredAt === null && k.privateKey !== undefined);
  }

  #verifies(k: KeyEntry, now: number): boolean {
    return k.retiredAt === null || now <= k.retiredAt + this.#o.ttlMs + this.#o.clockToleranceMs;
  }

  async #keyFor(kid: string): Promise<KeyEntry | undefined> {
    const now = this.#clock.now();
    let key = this.#keys.find((k) => k.kid === kid);
    // Another instance may have rotated: re-read at most once a second.
    if (key === undefined && this.#o.store !== undefined && this.#o.keys === undefined) {
      if (now - this.#lastReload >= 1000) {
        await this.#reload();
        key = this.#keys.find((k) => k.kid === kid);
      }
    }
    return key !== undefined && this.#verifies(key, now) ? key : undefined;
  }

  async #reload(): Promise<void> {
    const store = this.#o.store as Store;
    this.#lastReload = this.#clock.now();
    const page = await storageCall(() =>
      store.collection<KeyDoc>(COLLECTION).list({ limit: 1000 }),
    );
    const entries: KeyEntry[] = [];
    for (const e of page.items) {
      if (e.value.alg !== this.#o.algorithm) continue;
      try {
        entries.push(
          await keyEntryOf(
            { privateKey: e.value.privateJwk, kid: e.value.kid },
            this.#o.algorithm,
            e.value.createdAt,
            e.value.retiredAt,
            'store',
          ),
        );
      } catch {
        continue; // a damaged key document cannot sign or verify anything
      }
    }
    // Newest first: with two unretired keys (instances that opened at once), the newest signs.
    entries.sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? -1 : 1));
    this.#keys = entries;
  }
}

async function keyEntryOf(
  input: TokenKeyInput,
  algorithm: TokenAlgorithm,
  createdAt: number,
  retiredAt: number | null,
  option: string,
): Promise<KeyEntry> {
  const bad = (why: string) =>
    accessErrors.create('E_INVALID_OPTION', `Tokens: ${option}: ${why}`, {
      details: { option },
    });
  if (typeof input !== 'object' || input === null) throw bad('expected { privateKey, kid? }');
  let privateKey: KeyObject;
  try {
    const raw = input.privateKey;
    privateKey =
      raw instanceof KeyObject
        ? raw
        : typeof raw === 'string'
          ? createPrivateKey(raw)
          : createPrivateKey({ key: raw as never, format: 'jwk' });
  } catch {
    throw bad('privateKey is not a private key (KeyObject, JWK or PKCS#8 PEM)');
  }
  if (privateKey.type !== 'private') throw bad('privateKey must be a private key');
  const type = privateKey.asymmetricKeyType;
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (algorithm === 'EdDSA' ? type !== 'ed25519' : type !== 'ec' || curve !== 'prime256v1') {
    throw bad(algorithm === 'EdDSA' ? 'EdDSA needs an Ed25519 key' : 'ES256 needs a P-256 key');
  }
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = input.kid ?? (await calculateJwkThumbprint(publicJwk, 'sha256'));
  if (typeof kid !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(kid)) {
    throw bad('kid must match [A-Za-z0-9_.-]{1,128}');
  }
  return { kid, privateKey, publicKey, publicJwk, createdAt, retiredAt };
}

function refusal(reason: TokenRefusal) {
  return accessErrors.create('E_TOKEN_INVALID', `the access token is refused (${reason})`, {
    details: { reason },
  });
}

function reasonOf(error: unknown): TokenRefusal {
  const e = error as { code?: unknown; claim?: unknown };
  switch (e?.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'alg';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      switch (e.claim) {
        case 'nbf':
          return 'not-yet-valid';
        case 'iss':
          return 'issuer';
        case 'aud':
          return 'audience';
        case 'typ':
          return 'type';
        default:
          return 'claims';
      }
    default:
      return 'malformed';
  }
}

interface ResolvedTokens extends TokensOptions {
  readonly algorithm: TokenAlgorithm;
  readonly ttlMs: number;
  readonly clockToleranceMs: number;
  readonly maxTokenLength: number;
}

function resolveTokensOptions(options: TokensOptions): ResolvedTokens {
  const text = check.custom<string>(
    'a non-empty printable string of at most 256 characters',
    (v) => typeof v === 'string' && v.length > 0 && v.length <= 256 && /^[\x21-\x7e]+$/.test(v),
  );
  const o = resolveOptions<TokensOptions, typeof DEFAULT_TOKENS_OPTIONS>({
    package: '@plinth/access',
    owner: 'Tokens',
    spec: {
      issuer: { check: text, required: true },
      audience: {
        check: check.anyOf<string | readonly string[]>(
          text,
          check.custom(
            'a non-empty array of such strings',
            (v) => Array.isArray(v) && v.length > 0 && v.every((x) => text.test(x)),
          ),
        ),
        required: true,
      },
      algorithm: check.oneOf(['EdDSA', 'ES256'] as const),
      ttlMs: check.number({ min: 1000, max: 86_400_000, integer: true }),
      clockToleranceMs: check.number({ min: 0, max: 300_000, integer: true }),
      keys: check.custom<readonly TokenKeyInput[]>(
        'a non-empty array of keys',
        (v) => Array.isArray(v) && v.length > 0,
      ),
      store: check.implementing<Store>('transaction', 'ensureCollections', 'collection'),
      maxTokenLength: check.number({ min: 256, max: 65_536, integer: true }),
      clock: check.implementing<Clock>('now', 'setTimeout', 'setInterval'),
      logger: check.implementing<Logger>('info', 'warn', 'error', 'child'),
    },
    defaults: DEFAULT_TOKENS_OPTIONS,
    input: options,
  });
  return o as ResolvedTokens;
}
