/**
 * API keys the way GitHub and Stripe make them: `<prefix>_<id>_<secret><checksum>` (see
 * `internal/key-format.ts`), checked offline before any lookup, stored only as a SHA-256 (or
 * HMAC-SHA-256 with a pepper) digest, compared in constant time, with scopes, expiry, rotation
 * with a grace period, revocation, and usage counters written in batches.
 *
 * Verified records are kept in a bounded in-process cache, so a hot `verify()` is a checksum, one
 * SHA-256 and a map lookup. Every instance watches the store's change feed and drops a cached key
 * as soon as any instance revokes or rotates it (LISTEN/NOTIFY on PostgreSQL).
 */
import {
  Lifecycle,
  TypedEmitter,
  check,
  checkName as coreCheckName,
  noopLogger,
  resolveOptions,
  systemClock,
} from '@plinth/core';
import type { Clock, Logger, NameOptions, TimerHandle } from '@plinth/core';
import type { CollectionDefinitions, Store, StoreChange } from '@plinth/storage';
import { accessErrors } from './errors.js';
import type { AccessEvents } from './events.js';
import {
  KEY_CHECKSUM_LENGTH,
  KEY_ID_LENGTH,
  KEY_SECRET_LENGTH,
  PREFIX_PATTERN,
  formatApiKey,
  keyDigester,
  keyPatternSource,
  newKeyParts,
  parseApiKeyParts,
  type KeyFormatProblem,
  type ParsedApiKey,
} from './internal/key-format.js';
import { digestsEqual } from './internal/secrets.js';
import { storageCall } from './internal/storage.js';
import {
  PACKAGE,
  appendAudit,
  checkAuditOption,
  checkPrincipalId,
  checkSource,
  checkStoreOption,
  COMMON_OPTION_CHECKS,
} from './internal/component.js';
import { DEFAULT_ACCESS_LIMITS } from './options.js';
import type { AuditSink, ComponentOptions } from './types.js';

const KEYS = 'access.apikeys';
const USAGE = 'access.apikeys.usage';
const DAY = 86_400_000;

/** Collections the API keys component declares. */
export const API_KEY_COLLECTIONS: CollectionDefinitions = {
  [KEYS]: { indexes: { byPrincipal: { fields: ['principalId', 'createdAt'] } } },
  // Usage lives apart from the keys, so counter flushes never invalidate cached keys.
  [USAGE]: {},
};

/** Why a key was refused (`details.reason` of `E_API_KEY_INVALID`). */
export type ApiKeyRefusal = KeyFormatProblem | 'unknown' | 'revoked' | 'expired';

export interface ApiKeysOptions extends ComponentOptions {
  /** An open `@plinth/storage` store. */
  readonly store: Store;
  /** The first part of every key this instance issues and accepts: `[a-z][a-z0-9]{1,11}`. @default 'plk' */
  readonly prefix?: string;
  /**
   * A server-side secret: digests become HMAC-SHA-256 under it, so a stolen database alone does
   * not let anyone test guesses. Keep it outside the store. @default none (plain SHA-256)
   */
  readonly pepper?: string | Uint8Array;
  /** Lifetime of a new key. @default 7776000000 (90 days) */
  readonly expiresInMs?: number;
  /** Longest lifetime a caller may ask for. @default 31536000000 (365 days) */
  readonly maxExpiresInMs?: number;
  /** How long a rotated key stays valid. @default 604800000 (7 days) */
  readonly graceMs?: number;
  /** Most keys held in the verified-record cache. 0 disables it. @default 10000 */
  readonly cacheSize?: number;
  /** A cached record is re-read after this long even without a change-feed event. @default 60000 */
  readonly cacheTtlMs?: number;
  /** How often usage counters are written. @default 10000 */
  readonly flushIntervalMs?: number;
  /** Most scopes on one key. @default 64 */
  readonly maxScopes?: number;
}

/** Defaults of {@link ApiKeysOptions}. */
export const DEFAULT_API_KEYS_OPTIONS = Object.freeze({
  prefix: 'plk',
  expiresInMs: 90 * DAY,
  maxExpiresInMs: 365 * DAY,
  graceMs: 7 * DAY,
  cacheSize: 10_000,
  cacheTtlMs: 60_000,
  flushIntervalMs: 10_000,
  maxScopes: 64,
});

/** What `verify()` returns for a good key. Frozen; shared between calls. */
export interface ApiKeyVerified {
  readonly keyId: string;
  readonly principalId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

/** A newly issued key. `key` is the only copy of the secret: hand it over once. */
export interface CreatedApiKey extends ApiKeyVerified {
  readonly key: string;
  readonly createdAt: number;
  readonly name?: string;
}

/** What `rotate()` returns: the new key and until when the old one still works. */
export interface RotatedApiKey extends CreatedApiKey {
  readonly previous: { readonly keyId: string; readonly graceUntil: number };
}

export type ApiKeyStatus = 'active' | 'grace' | 'expired' | 'revoked';

/** A key's metadata (never its secret or digest). */
export interface ApiKeyInfo {
  readonly keyId: string;
  readonly principalId: string;
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly name?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly status: ApiKeyStatus;
  readonly revokedAt?: number;
  readonly rotatedTo?: string;
  readonly rotatedFrom?: string;
  readonly graceUntil?: number;
  /** Flushed usage (in-flight counts of this instance are added). */
  readonly uses: number;
  readonly lastUsedAt?: number;
}

export interface CreateApiKeyOptions {
  readonly scopes?: readonly string[];
  /** A label for people (`ci deploy`). */
  readonly name?: string;
  /** @default options.expiresInMs */
  readonly expiresInMs?: number;
  /** Who asked, for the audit record. */
  readonly actor?: string;
}

interface KeyDoc {
  [field: string]: unknown;
  principalId: string;
  prefix: string;
  alg: 'sha256' | 'hmac-sha256';
  /** base64url digest of `id.secret`. */
  digest: string;
  scopes: string[];
  name?: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  rotatedTo: string | null;
  rotatedFrom: string | null;
  graceUntil: number | null;
}

interface UsageDoc {
  [field: string]: unknown;
  uses: number;
  lastUsedAt: number;
}

interface CachedKey {
  readonly digest: Buffer;
  readonly revoked: boolean;
  /** min(expiresAt, graceUntil). */
  readonly validUntil: number;
  readonly cachedUntil: number;
  readonly result: ApiKeyVerified;
}

/** Digest compared when a key id is unknown, so both paths do the same work. */
const NO_DIGEST = Buffer.alloc(32);
/** An expired key's use is audited at most this often per key. */
const EXPIRED_AUDIT_EVERY_MS = 60_000;
const SCOPE = /^[A-Za-z0-9*][A-Za-z0-9_.:*/-]*$/;

/**
 * Whether `scopes` grant `action`: an exact scope, `*`, or a namespace wildcard (`docs:*` grants
 * `docs:read` and `docs:share:public`). Hosts map scopes to policy actions with it.
 */
export function scopesAllow(scopes: readonly string[], action: string): boolean {
  for (const scope of scopes) {
    if (scope === '*' || scope === action) return true;
    if (scope.endsWith(':*') && action.startsWith(scope.slice(0, -1))) return true;
  }
  return false;
}

/**
 * Parses `text` as an API key offline (shape, prefix and CRC32 checksum; no lookup) and returns
 * its public parts, or throws `E_API_KEY_INVALID` with `details.reason` `malformed`, `checksum`
 * or `prefix`. The secret part is not returned.
 */
export function parseApiKey(
  text: unknown,
  options: { readonly prefix?: string } = {},
): { readonly prefix: string; readonly keyId: string } {
  const parsed = checkKeyText(text, options.prefix);
  if (typeof parsed === 'string') throw refused(parsed);
  return { prefix: parsed.prefix, keyId: parsed.id };
}

/**
 * A RegExp (global) finding keys of `prefix` in text, for secret scanners and log scrubbing.
 * Matches only whole tokens. Scanners should then confirm hits with {@link parseApiKey}.
 */
export function apiKeyPattern(prefix: string): RegExp {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw accessErrors.create(
      'E_INVALID_ARGUMENT',
      `an API key prefix matches ${PREFIX_PATTERN.source}`,
    );
  }
  return new RegExp(`(?<![A-Za-z0-9_])${keyPatternSource(prefix)}(?![A-Za-z0-9_])`, 'g');
}

/** A RegExp (global) finding a Plinth API key of any prefix (GitHub secret-scanning style). */
export function secretScanningPattern(): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_])${keyPatternSource()}(?![A-Za-z0-9_])`, 'g');
}

function checkKeyText(text: unknown, prefix: string | undefined): ParsedApiKey | KeyFormatProblem {
  if (typeof text !== 'string' || text.length > DEFAULT_ACCESS_LIMITS.maxCredentialLength) {
    return 'malformed';
  }
  return parseApiKeyParts(text, prefix);
}

const REFUSALS: Readonly<Record<ApiKeyRefusal, string>> = {
  malformed: 'the API key is malformed',
  checksum: 'the API key checksum does not match (a typo or not a key)',
  prefix: 'the API key has another prefix',
  unknown: 'the API key is not valid',
  revoked: 'the API key was revoked',
  expired: 'the API key has expired',
};

function refused(reason: ApiKeyRefusal): Error {
  return accessErrors.create('E_API_KEY_INVALID', REFUSALS[reason], { details: { reason } });
}

/**
 * API keys in a `@plinth/storage` store.
 *
 * ```ts
 * const keys = await ApiKeys.open({ store, prefix: 'acme', audit });
 * const { key } = await keys.create('svc-billing', { scopes: ['invoices:*'] });
 * const { principalId, scopes } = await keys.verify(request.headers['x-api-key']);
 * ```
 */
export class ApiKeys extends TypedEmitter<AccessEvents> {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #audit: AuditSink | undefined;
  readonly #o: Readonly<typeof DEFAULT_API_KEYS_OPTIONS>;
  readonly #pepper: Buffer | undefined;
  readonly #digester: (id: string, secret: string) => Buffer;
  readonly #life: Lifecycle;
  readonly #cache = new Map<string, CachedKey>();
  /** Bumped on every invalidation: a read that overlapped one is not cached. */
  #generation = 0;
  #pending = new Map<string, { uses: number; lastUsedAt: number }>();
  /** When each expired key's use was last audited. */
  readonly #expiredAudited = new Map<string, number>();
  #flushing: Promise<number> | undefined;
  #timer: TimerHandle | undefined;
  #stopWatch: (() => Promise<void>) | undefined;

  private constructor(
    o: ApiKeysOptions & typeof DEFAULT_API_KEYS_OPTIONS,
    store: Store,
    audit: AuditSink | undefined,
  ) {
    super();
    this.#store = store;
    this.#clock = o.clock ?? systemClock;
    this.#logger = (o.logger ?? noopLogger).child({ component: `${PACKAGE}:ApiKeys` });
    this.#audit = audit;
    this.#o = o;
    this.#pepper =
      o.pepper === undefined
        ? undefined
        : Buffer.from(typeof o.pepper === 'string' ? Buffer.from(o.pepper, 'utf8') : o.pepper);
    this.#digester = keyDigester(this.#pepper);
    this.#life = new Lifecycle(PACKAGE, 'ApiKeys', () => this.#shutdown());
  }

  /** Validates the options, declares the collections and starts watching for revocations. */
  static async open(options: ApiKeysOptions): Promise<ApiKeys> {
    const o = resolveOptions<ApiKeysOptions, typeof DEFAULT_API_KEYS_OPTIONS>({
      package: PACKAGE,
      owner: 'ApiKeys',
      spec: {
        store: { check: check.object<Store>(), required: true },
        ...COMMON_OPTION_CHECKS,
        prefix: check.string({ pattern: PREFIX_PATTERN }),
        pepper: check.custom<string | Uint8Array>(
          'a non-empty string or Uint8Array of at least 16 bytes',
          (v) =>
            (typeof v === 'string' && Buffer.byteLength(v) >= 16) ||
            (v instanceof Uint8Array && v.length >= 16),
        ),
        expiresInMs: check.number({ min: 60_000, integer: true }),
        maxExpiresInMs: check.number({ min: 60_000, integer: true }),
        graceMs: check.number({ min: 0, integer: true }),
        cacheSize: check.number({ min: 0, max: 10_000_000, integer: true }),
        cacheTtlMs: check.number({ min: 0, integer: true }),
        flushIntervalMs: check.number({ min: 1, integer: true }),
        maxScopes: check.number({ min: 0, max: 10_000, integer: true }),
      },
      defaults: DEFAULT_API_KEYS_OPTIONS,
      input: options,
    });
    const store = checkStoreOption('ApiKeys', o.store);
    const audit = checkAuditOption('ApiKeys', o.audit);
    if (o.expiresInMs > o.maxExpiresInMs) {
      throw accessErrors.create('E_INVALID_OPTION', 'ApiKeys: expiresInMs exceeds maxExpiresInMs', {
        details: { option: 'expiresInMs' },
      });
    }
    await storageCall(() => store.ensureCollections(API_KEY_COLLECTIONS));
    const keys = new ApiKeys(o, store, audit);
    keys.#stopWatch = await storageCall(() => store.watch((c) => keys.#onChange(c)));
    keys.#timer = keys.#clock.setInterval(() => {
      keys
        .flush()
        .catch((error: unknown) =>
          keys.#logger.warn(
            { err: error },
            'writing API key usage counters failed; kept for the next flush',
          ),
        );
    }, o.flushIntervalMs);
    return keys;
  }

  /** The prefix this instance issues and accepts. */
  get prefix(): string {
    return this.#o.prefix;
  }

  /** Issues a key for `principalId`. The returned `key` is the only copy of the secret. */
  async create(principalId: string, options: CreateApiKeyOptions = {}): Promise<CreatedApiKey> {
    this.#life.assertOpen('create');
    const principal = checkPrincipalId(principalId);
    const opts = this.#callOptions(options);
    const scopes = this.#checkScopes(opts.scopes ?? []);
    const name = opts.name === undefined ? undefined : this.#checkLabel(opts.name);
    const lifetime = this.#checkLifetime(opts.expiresInMs);
    const actor = opts.actor === undefined ? undefined : checkPrincipalId(opts.actor);
    const now = this.#clock.now();
    const { id, secret } = newKeyParts();
    const doc = this.#newDoc(id, secret, principal, scopes, name, now, now + lifetime, null);
    await storageCall(() => this.#store.collection<KeyDoc>(KEYS).put(id, doc, { ifAbsent: true }));
    const created = this.#created(id, secret, doc);
    this.emit('apikey:created', { at: now, principal, keyId: id });
    await appendAudit(this.#audit, {
      type: 'apikey.created',
      ...(actor !== undefined && { actor }),
      subject: id,
      outcome: 'success',
      data: { principal, scopes, expiresAt: doc.expiresAt, ...(name !== undefined && { name }) },
    });
    return created;
  }

  /**
   * Checks a presented key: shape and checksum offline, then the digest of its secret against
   * the stored one (constant time, fixed-length digests), then revocation and expiry. Returns the
   * key's principal and scopes, or throws `E_API_KEY_INVALID` with `details.reason`
   * (`malformed`, `checksum`, `prefix`, `unknown`, `revoked`, `expired`). A wrong secret and an
   * unknown id are both `unknown`.
   */
  async verify(key: unknown, options?: { readonly source?: string }): Promise<ApiKeyVerified> {
    this.#life.assertOpen('verify');
    const parsed = checkKeyText(key, this.#o.prefix);
    if (typeof parsed === 'string') throw refused(parsed);
    const digest = this.#digest(parsed.id, parsed.secret);
    const now = this.#clock.now();
    let record = this.#cache.get(parsed.id);
    if (record === undefined || record.cachedUntil <= now)
      record = await this.#load(parsed.id, now);
    else if (this.#cache.size > 1) {
      // Refresh the entry's place for the least-recently-used eviction.
      this.#cache.delete(parsed.id);
      this.#cache.set(parsed.id, record);
    }
    const match = digestsEqual(digest, record === undefined ? NO_DIGEST : record.digest);
    if (record === undefined || !match) throw refused('unknown');
    if (record.revoked) throw refused('revoked');
    if (now >= record.validUntil) {
      const source = options?.source === undefined ? undefined : checkSource(options.source);
      // One record per key per minute: a client retrying an expired key cannot flood the log.
      const last = this.#expiredAudited.get(parsed.id);
      if (last === undefined || now - last >= EXPIRED_AUDIT_EVERY_MS) {
        if (this.#expiredAudited.size >= 10_000) this.#expiredAudited.clear();
        this.#expiredAudited.set(parsed.id, now);
        await appendAudit(this.#audit, {
          type: 'apikey.expired_used',
          actor: record.result.principalId,
          subject: parsed.id,
          outcome: 'failure',
          ...(source !== undefined && { source }),
          data: { expiresAt: record.validUntil },
        });
      }
      throw refused('expired');
    }
    const pending = this.#pending.get(parsed.id);
    if (pending === undefined) this.#pending.set(parsed.id, { uses: 1, lastUsedAt: now });
    else {
      pending.uses++;
      pending.lastUsedAt = now;
    }
    return record.result;
  }

  /**
   * Issues a new key with the same principal, scopes, name and lifetime, and keeps the old one
   * valid for `graceMs` (default `options.graceMs`, never past its own expiry). A revoked,
   * expired or already rotated key cannot be rotated (`E_CONFLICT`); unknown ids are `E_NOT_FOUND`.
   */
  async rotate(
    keyId: string,
    options: { readonly graceMs?: number; readonly actor?: string } = {},
  ): Promise<RotatedApiKey> {
    this.#life.assertOpen('rotate');
    const id = this.#checkKeyId(keyId);
    const opts = this.#callOptions(options);
    const graceMs = opts.graceMs ?? this.#o.graceMs;
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'graceMs must be an integer ≥ 0', {
        details: { argument: 'graceMs' },
      });
    }
    const actor = opts.actor === undefined ? undefined : checkPrincipalId(opts.actor);
    const now = this.#clock.now();
    const { id: newId, secret } = newKeyParts();
    const result = await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<KeyDoc>(KEYS);
          const current = await c.get(id);
          if (current === undefined) {
            throw accessErrors.create('E_NOT_FOUND', 'no such API key', { details: { keyId: id } });
          }
          const old = current.value;
          if (old.revokedAt !== null || old.rotatedTo !== null || now >= old.expiresAt) {
            const state =
              old.revokedAt !== null ? 'revoked' : old.rotatedTo !== null ? 'rotated' : 'expired';
            throw accessErrors.create(
              'E_CONFLICT',
              `the API key is ${state}; it cannot be rotated`,
              {
                details: { keyId: id, state },
              },
            );
          }
          const lifetime = Math.min(old.expiresAt - old.createdAt, this.#o.maxExpiresInMs);
          const doc = this.#newDoc(
            newId,
            secret,
            old.principalId,
            old.scopes,
            old.name,
            now,
            now + lifetime,
            id,
          );
          const graceUntil = Math.min(old.expiresAt, now + graceMs);
          await c.put(newId, doc, { ifAbsent: true });
          await c.put(id, { ...old, rotatedTo: newId, graceUntil }, { ifVersion: current.version });
          return { doc, graceUntil };
        },
        { retry: { attempts: 5 } },
      ),
    );
    this.#invalidate(id);
    const principal = result.doc.principalId;
    this.emit('apikey:rotated', {
      at: now,
      principal,
      from: id,
      to: newId,
      graceUntil: result.graceUntil,
    });
    await appendAudit(this.#audit, {
      type: 'apikey.rotated',
      ...(actor !== undefined && { actor }),
      subject: id,
      outcome: 'success',
      data: { principal, from: id, to: newId, graceUntil: result.graceUntil },
    });
    return {
      ...this.#created(newId, secret, result.doc),
      previous: { keyId: id, graceUntil: result.graceUntil },
    };
  }

  /**
   * Revokes a key at once, on every instance (each drops it from its cache on the change-feed
   * event). Returns false when it was already revoked; unknown ids are `E_NOT_FOUND`.
   */
  async revoke(
    keyId: string,
    options: { readonly actor?: string; readonly reason?: string } = {},
  ): Promise<boolean> {
    this.#life.assertOpen('revoke');
    const id = this.#checkKeyId(keyId);
    const opts = this.#callOptions(options);
    const actor = opts.actor === undefined ? undefined : checkPrincipalId(opts.actor);
    const reason = opts.reason === undefined ? undefined : this.#checkLabel(opts.reason);
    const now = this.#clock.now();
    const principal = await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<KeyDoc>(KEYS);
          const current = await c.get(id);
          if (current === undefined) {
            throw accessErrors.create('E_NOT_FOUND', 'no such API key', { details: { keyId: id } });
          }
          if (current.value.revokedAt !== null) return undefined;
          await c.put(id, { ...current.value, revokedAt: now }, { ifVersion: current.version });
          return current.value.principalId;
        },
        { retry: { attempts: 5 } },
      ),
    );
    this.#invalidate(id);
    if (principal === undefined) return false;
    this.emit('apikey:revoked', { at: now, principal, keyId: id });
    await appendAudit(this.#audit, {
      type: 'apikey.revoked',
      ...(actor !== undefined && { actor }),
      subject: id,
      outcome: 'success',
      data: { principal, ...(reason !== undefined && { reason }) },
    });
    return true;
  }

  /** One key's metadata, or undefined. */
  async get(keyId: string): Promise<ApiKeyInfo | undefined> {
    this.#life.assertOpen('get');
    const id = this.#checkKeyId(keyId);
    const [doc, usage] = await storageCall(() =>
      Promise.all([
        this.#store.collection<KeyDoc>(KEYS).get(id),
        this.#store.collection<UsageDoc>(USAGE).get(id),
      ]),
    );
    return doc === undefined ? undefined : this.#info(id, doc.value, usage?.value);
  }

  /** Every key of `principalId` (oldest first), revoked and expired ones included. */
  async list(principalId: string): Promise<ApiKeyInfo[]> {
    this.#life.assertOpen('list');
    const principal = checkPrincipalId(principalId);
    const out: ApiKeyInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await storageCall(() =>
        this.#store.collection<KeyDoc>(KEYS).find('byPrincipal', {
          eq: principal,
          limit: 500,
          ...(cursor !== undefined && { cursor }),
        }),
      );
      const usage = await storageCall(() =>
        this.#store.collection<UsageDoc>(USAGE).getMany(page.items.map((e) => e.key)),
      );
      page.items.forEach((e, i) => out.push(this.#info(e.key, e.value, usage[i]?.value)));
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  /**
   * Writes the usage counted since the last flush (one transaction per 500 keys, added with
   * compare-and-set so instances never lose each other's counts). Returns how many keys were
   * written. Runs every `flushIntervalMs` and on close; counts that fail to write are kept.
   */
  flush(): Promise<number> {
    const run = async (): Promise<number> => {
      if (this.#pending.size === 0) return 0;
      const batch = this.#pending;
      this.#pending = new Map();
      const entries = [...batch];
      let written = 0;
      try {
        for (let i = 0; i < entries.length; i += 500) {
          const chunk = entries.slice(i, i + 500);
          await storageCall(() =>
            this.#store.transaction(
              async (tx) => {
                const c = tx.collection<UsageDoc>(USAGE);
                const current = await c.getMany(chunk.map(([id]) => id));
                for (const [j, [id, counts]] of chunk.entries()) {
                  const was = current[j];
                  const doc: UsageDoc = {
                    uses: (was?.value.uses ?? 0) + counts.uses,
                    lastUsedAt: Math.max(was?.value.lastUsedAt ?? 0, counts.lastUsedAt),
                  };
                  await c.put(
                    id,
                    doc,
                    was === undefined ? { ifAbsent: true } : { ifVersion: was.version },
                  );
                }
              },
              { retry: { attempts: 8 } },
            ),
          );
          written += chunk.length;
          for (const [id] of chunk) batch.delete(id);
        }
      } finally {
        // Whatever was not written goes back, merged with what arrived meanwhile.
        for (const [id, counts] of batch) {
          const now = this.#pending.get(id);
          if (now === undefined) this.#pending.set(id, counts);
          else {
            now.uses += counts.uses;
            now.lastUsedAt = Math.max(now.lastUsedAt, counts.lastUsedAt);
          }
        }
      }
      return written;
    };
    const previous = this.#flushing ?? Promise.resolve(0);
    const next = previous.catch(() => 0).then(run);
    this.#flushing = next;
    void next
      .finally(() => {
        if (this.#flushing === next) this.#flushing = undefined;
      })
      .catch(() => {});
    return next;
  }

  /** Keys currently cached (for tests and metrics). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Stops the watcher and the flush timer, writes pending usage. Idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#timer?.cancel();
    await this.#stopWatch?.();
    try {
      await this.flush();
    } catch (error) {
      this.#logger.warn({ err: error }, 'writing API key usage counters on close failed');
    }
    this.#cache.clear();
  }

  #onChange(change: StoreChange): void {
    if (change.collection === KEYS) this.#invalidate(change.key);
  }

  #invalidate(id: string): void {
    this.#generation++;
    this.#cache.delete(id);
  }

  async #load(id: string, now: number): Promise<CachedKey | undefined> {
    const generation = this.#generation;
    const entry = await storageCall(() => this.#store.collection<KeyDoc>(KEYS).get(id));
    if (entry === undefined) return undefined;
    const d = entry.value;
    const expected = this.#pepper !== undefined ? 'hmac-sha256' : 'sha256';
    if (d.alg !== expected) {
      this.#logger.warn(
        { keyId: id, alg: d.alg },
        'an API key digest uses another scheme than this instance (pepper setting)',
      );
    }
    const record: CachedKey = {
      digest: d.alg === expected ? Buffer.from(d.digest, 'base64url') : NO_DIGEST,
      revoked: d.revokedAt !== null,
      validUntil: d.graceUntil === null ? d.expiresAt : Math.min(d.expiresAt, d.graceUntil),
      cachedUntil: now + this.#o.cacheTtlMs,
      result: Object.freeze({
        keyId: id,
        principalId: d.principalId,
        scopes: Object.freeze([...d.scopes]),
        expiresAt: d.graceUntil === null ? d.expiresAt : Math.min(d.expiresAt, d.graceUntil),
      }),
    };
    if (this.#o.cacheSize > 0 && this.#o.cacheTtlMs > 0 && generation === this.#generation) {
      if (this.#cache.size >= this.#o.cacheSize) {
        const oldest = this.#cache.keys().next();
        if (oldest.done !== true) this.#cache.delete(oldest.value);
      }
      this.#cache.set(id, record);
    }
    return record;
  }

  #digest(id: string, secret: string): Buffer {
    return this.#digester(id, secret);
  }

  #newDoc(
    id: string,
    secret: string,
    principalId: string,
    scopes: readonly string[],
    name: string | undefined,
    createdAt: number,
    expiresAt: number,
    rotatedFrom: string | null,
  ): KeyDoc {
    return {
      principalId,
      prefix: this.#o.prefix,
      alg: this.#pepper !== undefined ? 'hmac-sha256' : 'sha256',
      digest: this.#digest(id, secret).toString('base64url'),
      scopes: [...scopes],
      ...(name !== undefined && { name }),
      createdAt,
      expiresAt,
      revokedAt: null,
      rotatedTo: null,
      rotatedFrom,
      graceUntil: null,
    };
  }

  #created(id: string, secret: string, doc: KeyDoc): CreatedApiKey {
    return Object.freeze({
      key: formatApiKey(this.#o.prefix, id, secret),
      keyId: id,
      principalId: doc.principalId,
      scopes: Object.freeze([...doc.scopes]),
      createdAt: doc.createdAt,
      expiresAt: doc.expiresAt,
      ...(doc.name !== undefined && { name: doc.name }),
    });
  }

  #info(id: string, d: KeyDoc, usage: UsageDoc | undefined): ApiKeyInfo {
    const now = this.#clock.now();
    const pending = this.#pending.get(id);
    const validUntil = d.graceUntil === null ? d.expiresAt : Math.min(d.expiresAt, d.graceUntil);
    const status: ApiKeyStatus =
      d.revokedAt !== null
        ? 'revoked'
        : now >= validUntil
          ? 'expired'
          : d.rotatedTo !== null
            ? 'grace'
            : 'active';
    const lastUsedAt = Math.max(usage?.lastUsedAt ?? 0, pending?.lastUsedAt ?? 0);
    return Object.freeze({
      keyId: id,
      principalId: d.principalId,
      prefix: d.prefix,
      scopes: Object.freeze([...d.scopes]),
      ...(d.name !== undefined && { name: d.name }),
      createdAt: d.createdAt,
      expiresAt: d.expiresAt,
      status,
      ...(d.revokedAt !== null && { revokedAt: d.revokedAt }),
      ...(d.rotatedTo !== null && { rotatedTo: d.rotatedTo }),
      ...(d.rotatedFrom !== null && { rotatedFrom: d.rotatedFrom }),
      ...(d.graceUntil !== null && { graceUntil: d.graceUntil }),
      uses: (usage?.uses ?? 0) + (pending?.uses ?? 0),
      ...(lastUsedAt > 0 && { lastUsedAt }),
    });
  }

  #callOptions<T extends object>(options: T): T {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'options must be an object');
    }
    return options;
  }

  #checkKeyId(keyId: unknown): string {
    if (
      typeof keyId !== 'string' ||
      keyId.length !== KEY_ID_LENGTH ||
      !/^[0-9A-Za-z]+$/.test(keyId)
    ) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        `a key id is ${KEY_ID_LENGTH} base62 characters`,
        {
          details: { argument: 'keyId' },
        },
      );
    }
    return keyId;
  }

  #checkLabel(value: unknown): string {
    if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'a key name or reason is a string of 1–200 characters',
        {
          details: { argument: 'name' },
        },
      );
    }
    return checkName(value);
  }

  #checkScopes(scopes: unknown): string[] {
    if (!Array.isArray(scopes)) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'scopes must be an array of strings', {
        details: { argument: 'scopes' },
      });
    }
    if (scopes.length > this.#o.maxScopes) {
      throw accessErrors.create('E_LIMIT_EXCEEDED', `at most ${this.#o.maxScopes} scopes per key`, {
        details: { limit: 'maxScopes', max: this.#o.maxScopes },
      });
    }
    const out: string[] = [];
    for (const scope of scopes as unknown[]) {
      const s = checkName(scope, {
        what: 'scope',
        package: PACKAGE,
        maxLength: DEFAULT_ACCESS_LIMITS.maxNameLength,
      });
      if (!SCOPE.test(s)) {
        throw accessErrors.create(
          'E_INVALID_NAME',
          `scope ${JSON.stringify(s)} must match ${SCOPE.source}`,
          {
            details: { what: 'scope', rule: 'pattern' },
          },
        );
      }
      if (!out.includes(s)) out.push(s);
    }
    return out;
  }

  #checkLifetime(expiresInMs: unknown): number {
    if (expiresInMs === undefined) return this.#o.expiresInMs;
    if (
      typeof expiresInMs !== 'number' ||
      !Number.isSafeInteger(expiresInMs) ||
      expiresInMs < 1000 ||
      expiresInMs > this.#o.maxExpiresInMs
    ) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        `expiresInMs must be an integer from 1000 to ${this.#o.maxExpiresInMs}`,
        { details: { argument: 'expiresInMs' } },
      );
    }
    return expiresInMs;
  }
}

function checkName(value: unknown, options?: NameOptions): string {
  return coreCheckName(value, { package: PACKAGE, what: 'text', ...options });
}

/** Length of a key with `prefix`, for hosts sizing columns and headers. */
export function apiKeyLength(prefix: string): number {
  return prefix.length + 2 + KEY_ID_LENGTH + KEY_SECRET_LENGTH + KEY_CHECKSUM_LENGTH;
}
