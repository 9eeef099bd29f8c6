/**
 * Password credentials: argon2id (scrypt as the fallback), parameters kept in the stored hash
 * and upgraded on the next successful login, length limits applied before any hashing, and
 * login failures throttled per principal and per source. An unknown principal costs the same
 * hash as a wrong password and fails with the same error, so logins do not reveal who exists.
 */
import {
  Lifecycle,
  TypedEmitter,
  check,
  noopLogger,
  resolveOptions,
  systemClock,
  type Clock,
  type Logger,
} from '@plinth/core';
import type { CollectionDefinitions, Store } from '@plinth/storage';
import { randomBytes } from 'node:crypto';
import { accessErrors } from './errors.js';
import { COMMON_OPTION_CHECKS } from './internal/component.js';
import type { AccessEvents } from './events.js';
import {
  DEFAULT_ARGON2ID_PARAMS,
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  isOutdated,
  parseHash,
  verifyHash,
  type Argon2idParams,
  type HasherName,
  type ParsedHash,
  type ScryptParams,
} from './internal/password-hashers.js';
import {
  lockedKind,
  policyMessage,
  prepare,
  principalOf,
  sourceOf,
  validName,
} from './internal/password-policy.js';
import { hmacSha256 } from './internal/secrets.js';
import { storageCall } from './internal/storage.js';
import { DEFAULT_ACCESS_LIMITS } from './options.js';
import { Throttle, type ThrottleRule } from './throttle.js';
import type { AuditRecordInput, AuditSink, ComponentOptions } from './types.js';

export type { Argon2idParams, HasherName, ScryptParams };
export { DEFAULT_ARGON2ID_PARAMS, DEFAULT_SCRYPT_PARAMS };

const COLLECTION = 'access.passwords';
export const PASSWORD_COLLECTIONS: CollectionDefinitions = { [COLLECTION]: {} };

export interface PasswordsOptions extends ComponentOptions {
  readonly store: Store;
  /** The hasher new hashes use; hashes of the other one still verify and are upgraded. @default 'argon2id' */
  readonly hasher?: HasherName;
  /** Cost parameters of `hasher` (merged over its defaults). @default DEFAULT_ARGON2ID_PARAMS / DEFAULT_SCRYPT_PARAMS */
  readonly params?: Partial<Argon2idParams> | Partial<ScryptParams>;
  /** Fewest code points (after NFKC), NIST SP 800-63B's minimum. @default 8 */
  readonly minLength?: number;
  /** Most UTF-8 bytes (after NFKC); longer passwords are refused before hashing. @default 1024 */
  readonly maxBytes?: number;
  /** A Throttle to share, or rules for one this component opens on `store`. @default default rules */
  readonly throttle?: Throttle | { readonly [kind: string]: Partial<ThrottleRule> };
  /** A server-side secret mixed in with HMAC-SHA-256 before hashing (kept outside the database). @default none */
  readonly pepper?: string | Uint8Array;
}

export const DEFAULT_PASSWORDS_OPTIONS = Object.freeze({
  hasher: 'argon2id' as HasherName,
  minLength: 8,
  maxBytes: DEFAULT_ACCESS_LIMITS.maxPasswordBytes,
});

/** What a successful {@link Passwords.verifyPassword} answers. */
export interface PasswordCheck {
  readonly principalId: string;
  /** True when the stored hash was upgraded to the current hasher and parameters. */
  readonly rehashed: boolean;
}

interface PasswordDoc {
  [field: string]: unknown;
  hash: string;
  peppered: boolean;
  changedAt: number;
}

export class Passwords extends TypedEmitter<AccessEvents> {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #audit: AuditSink | undefined;
  readonly #hasher: HasherName;
  readonly #params: Argon2idParams | ScryptParams;
  readonly #minLength: number;
  readonly #maxBytes: number;
  readonly #pepper: Uint8Array | string | undefined;
  readonly #throttle: Throttle;
  readonly #life = new Lifecycle('@plinth/access', 'Passwords', () => {});
  /** The tail of the queue of logins per principal id on this instance. */
  readonly #inflight = new Map<string, Promise<void>>();
  /** A hash of a random password with the current parameters: what unknown principals cost. */
  #dummy!: ParsedHash;

  private constructor(o: ResolvedPasswords, throttle: Throttle) {
    super();
    this.#store = o.store;
    this.#clock = o.clock ?? systemClock;
    this.#logger = (o.logger ?? noopLogger).child({
      component: '@plinth/access',
      part: 'passwords',
    });
    this.#audit = o.audit;
    this.#hasher = o.hasher;
    this.#params = o.resolvedParams;
    this.#minLength = o.minLength;
    this.#maxBytes = o.maxBytes;
    this.#pepper = o.pepper;
    this.#throttle = throttle;
  }

  /** Validates the options, declares `access.passwords` (and the throttle's collection). */
  static async open(options: PasswordsOptions): Promise<Passwords> {
    const o = resolvePasswordsOptions(options);
    const throttle =
      o.throttle instanceof Throttle
        ? o.throttle
        : await Throttle.open({
            store: o.store,
            ...(o.throttle !== undefined && { rules: o.throttle }),
            ...(o.clock !== undefined && { clock: o.clock }),
          });
    await storageCall(() => o.store.ensureCollections(PASSWORD_COLLECTIONS));
    const passwords = new Passwords(o, throttle);
    const dummy = await hashPassword(randomBytes(32), o.hasher, o.resolvedParams);
    passwords.#dummy = parseHash(dummy) as ParsedHash;
    return passwords;
  }

  /** The hasher and parameters new hashes get. */
  get policy(): { readonly hasher: HasherName; readonly params: Argon2idParams | ScryptParams } {
    return { hasher: this.#hasher, params: this.#params };
  }

  /**
   * Sets (or replaces) the password of `principalId`. Refuses with `E_PASSWORD_POLICY`
   * (`details.rule`: `min-length`, `max-length`, `characters`) before hashing anything.
   */
  async setPassword(
    principalId: string,
    password: string,
    options: { readonly actor?: string } = {},
  ): Promise<void> {
    this.#life.assertOpen('setPassword');
    const id = principalOf(principalId);
    const actor = options?.actor === undefined ? undefined : principalOf(options.actor, 'actor');
    if (typeof password !== 'string') {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'setPassword expects the password as a string',
      );
    }
    const prepared = prepare(password, this.#minLength, this.#maxBytes);
    if ('rule' in prepared) {
      throw accessErrors.create('E_PASSWORD_POLICY', policyMessage(prepared.rule), {
        details: { rule: prepared.rule, minLength: this.#minLength, maxBytes: this.#maxBytes },
      });
    }
    const hash = await hashPassword(this.#input(prepared.text, true), this.#hasher, this.#params);
    const at = this.#clock.now();
    const doc: PasswordDoc = { hash, peppered: this.#pepper !== undefined, changedAt: at };
    await storageCall(() => this.#store.collection<PasswordDoc>(COLLECTION).put(id, doc));
    await this.#record({
      type: 'password.changed',
      subject: id,
      outcome: 'success',
      ...(actor !== undefined && { actor }),
      data: { hasher: this.#hasher },
    });
    this.emit('password:changed', { at, principal: id });
  }

  /**
   * A principal changing its own password: the new one must pass the policy, then the current
   * one is checked exactly like a login (throttled, same errors), then the new one is set.
   */
  async changePassword(
    principalId: string,
    currentPassword: string,
    newPassword: string,
    options: { readonly source?: string } = {},
  ): Promise<void> {
    this.#life.assertOpen('changePassword');
    if (typeof newPassword !== 'string') {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'changePassword expects the new password as a string',
      );
    }
    const prepared = prepare(newPassword, this.#minLength, this.#maxBytes);
    if ('rule' in prepared) {
      throw accessErrors.create('E_PASSWORD_POLICY', policyMessage(prepared.rule), {
        details: { rule: prepared.rule, minLength: this.#minLength, maxBytes: this.#maxBytes },
      });
    }
    const { principalId: id } = await this.verifyPassword(principalId, currentPassword, options);
    await this.setPassword(id, newPassword, { actor: id });
  }

  /** Whether `principalId` has a password (an administrative call: it reveals existence). */
  async hasPassword(principalId: string): Promise<boolean> {
    this.#life.assertOpen('hasPassword');
    const id = principalOf(principalId);
    return storageCall(() => this.#store.collection(COLLECTION).has(id));
  }

  /** Removes the password of `principalId`; true when there was one. */
  async deletePassword(principalId: string): Promise<boolean> {
    this.#life.assertOpen('deletePassword');
    const id = principalOf(principalId);
    return storageCall(() => this.#store.collection(COLLECTION).delete(id));
  }

  /**
   * Checks a login. Resolves when the password is right; otherwise rejects with
   * `E_INVALID_CREDENTIALS` (unknown principal, no password, wrong password, malformed input:
   * all the same error after the same hashing work) or `E_THROTTLED` (`details.retryAfterMs`)
   * while the principal or the source is locked out. A right password under outdated
   * parameters is rehashed with the current ones.
   */
  async verifyPassword(
    principalId: string,
    password: string,
    options: { readonly source?: string } = {},
  ): Promise<PasswordCheck> {
    this.#life.assertOpen('verifyPassword');
    if (typeof principalId !== 'string' || typeof password !== 'string') {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'verifyPassword expects the principal id and the password as strings',
      );
    }
    const source = sourceOf(options);
    const id = validName(principalId);
    // Attempts on one principal run one after another on this instance: a burst of parallel
    // guesses cannot all pass the throttle check before the first failure is counted.
    return this.#serial(id, () => this.#verify(id, password, source));
  }

  async #serial<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return fn();
    const previous = this.#inflight.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.#inflight.set(key, tail);
    if (previous !== undefined) await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#inflight.get(key) === tail) this.#inflight.delete(key);
    }
  }

  async #verify(
    id: string | undefined,
    password: string,
    source: string | undefined,
  ): Promise<PasswordCheck> {
    const shown = id ?? '(invalid)';
    const keys = [
      ...(id !== undefined ? [`principal:${id}`] : []),
      ...(source !== undefined ? [`source:${source}`] : []),
    ];
    const state = keys.length > 0 ? await this.#throttle.check(keys) : undefined;
    if (state !== undefined && !state.allowed) {
      await this.#failed(shown, source, 'throttled');
      throw accessErrors.create(
        'E_THROTTLED',
        `too many failed attempts; retry in ${Math.ceil(state.retryAfterMs / 1000)} s`,
        { details: { retryAfterMs: state.retryAfterMs } },
      );
    }
    const entry =
      id === undefined
        ? undefined
        : await storageCall(() => this.#store.collection<PasswordDoc>(COLLECTION).get(id));
    const prepared = prepare(password, 1, this.#maxBytes);
    const stored = entry === undefined ? undefined : parseHash(entry.value.hash);
    let ok = false;
    if ('text' in prepared) {
      // Same work whether or not the principal exists: the dummy hash has current parameters.
      const input = this.#input(prepared.text, entry?.value.peppered === true);
      const target = stored ?? this.#dummy;
      const matched = await verifyHash(target, input);
      ok = matched && stored !== undefined;
    }
    if (!ok || entry === undefined || stored === undefined || id === undefined) {
      const after = keys.length > 0 ? await this.#throttle.fail(keys) : undefined;
      await this.#failed(shown, source, 'credentials');
      if (after !== undefined && !after.allowed) {
        await this.#record({
          type: 'login.locked',
          subject: shown,
          outcome: 'deny',
          ...(source !== undefined && { source }),
          data: { key: lockedKind(after.key), retryAfterMs: after.retryAfterMs },
        });
      }
      throw accessErrors.create('E_INVALID_CREDENTIALS', 'invalid principal or password');
    }
    if (keys.length > 0) await this.#throttle.reset(keys);
    const rehashed = await this.#upgrade(id, entry, stored, (prepared as { text: string }).text);
    const at = this.#clock.now();
    await this.#record({
      type: 'login.succeeded',
      actor: id,
      subject: id,
      outcome: 'success',
      ...(source !== undefined && { source }),
      data: { factor: 'password' },
    });
    this.emit('login:succeeded', { at, principal: id, ...(source !== undefined && { source }) });
    return { principalId: id, rehashed };
  }

  /** Whether a stored PHC string would be rehashed on the next login (unknown strings: true). */
  needsRehash(hash: string): boolean {
    const parsed = parseHash(hash);
    return parsed === undefined || isOutdated(parsed, this.#hasher, this.#params);
  }

  /** Nothing to release (the throttle and store belong to the caller); idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Rehashes an outdated (or unpeppered) hash after a successful login; CAS, so a password changed meanwhile wins. */
  async #upgrade(
    id: string,
    entry: { readonly version: number; readonly value: PasswordDoc },
    stored: ParsedHash,
    text: string,
  ): Promise<boolean> {
    const needs =
      isOutdated(stored, this.#hasher, this.#params) ||
      (this.#pepper !== undefined && entry.value.peppered !== true);
    if (!needs) return false;
    const hash = await hashPassword(this.#input(text, true), this.#hasher, this.#params);
    const at = this.#clock.now();
    try {
      await storageCall(() =>
        this.#store
          .collection<PasswordDoc>(COLLECTION)
          .put(
            id,
            { hash, peppered: this.#pepper !== undefined, changedAt: entry.value.changedAt },
            { ifVersion: entry.version },
          ),
      );
    } catch (error) {
      if (accessErrors.is(error, 'E_CONFLICT')) return false; // changed meanwhile: keep theirs
      this.#logger.warn({ err: error }, 'rehashing a password failed; the old hash stays');
      return false;
    }
    await this.#record({
      type: 'password.rehashed',
      subject: id,
      outcome: 'success',
      data: { from: stored.hasher, to: this.#hasher },
    });
    this.emit('password:rehashed', { at, principal: id });
    return true;
  }

  #input(text: string, peppered: boolean): Uint8Array {
    // Base64 text of the HMAC: the argon2 binding takes only UTF-8 input.
    if (peppered && this.#pepper !== undefined) {
      return Buffer.from(hmacSha256(this.#pepper, text).toString('base64'), 'utf8');
    }
    return Buffer.from(text, 'utf8');
  }

  async #failed(
    principal: string,
    source: string | undefined,
    reason: 'credentials' | 'throttled',
  ) {
    await this.#record({
      type: 'login.failed',
      subject: principal,
      outcome: 'failure',
      ...(source !== undefined && { source }),
      data: { reason, factor: 'password' },
    });
    this.emit('login:failed', {
      at: this.#clock.now(),
      principal,
      reason,
      ...(source !== undefined && { source }),
    });
  }

  async #record(record: AuditRecordInput): Promise<void> {
    if (this.#audit === undefined) return;
    try {
      await this.#audit.append(record);
    } catch (error) {
      throw accessErrors.create('E_STORAGE', 'appending the audit record failed', { cause: error });
    }
  }
}

interface ResolvedPasswords extends PasswordsOptions {
  readonly hasher: HasherName;
  readonly minLength: number;
  readonly maxBytes: number;
  readonly resolvedParams: Argon2idParams | ScryptParams;
}

function resolvePasswordsOptions(options: PasswordsOptions): ResolvedPasswords {
  const o = resolveOptions<PasswordsOptions, typeof DEFAULT_PASSWORDS_OPTIONS>({
    package: '@plinth/access',
    owner: 'Passwords',
    spec: {
      store: {
        check: check.implementing<Store>('transaction', 'ensureCollections', 'collection'),
        required: true,
      },
      ...COMMON_OPTION_CHECKS,
      hasher: check.oneOf(['argon2id', 'scrypt'] as const),
      params: check.object<Partial<Argon2idParams>>(),
      minLength: check.number({ min: 1, max: 128, integer: true }),
      maxBytes: check.number({ min: 16, max: 4096, integer: true }),
      throttle: check.object<Throttle>(),
      pepper: check.custom<string | Uint8Array>(
        'a non-empty string or Uint8Array',
        (v) => (typeof v === 'string' || v instanceof Uint8Array) && v.length > 0,
      ),
    },
    defaults: DEFAULT_PASSWORDS_OPTIONS,
    input: options,
  });
  const bounds: Record<string, readonly [number, number]> =
    o.hasher === 'argon2id'
      ? { memoryCost: [8, 4_194_304], timeCost: [1, 64], parallelism: [1, 255] }
      : { ln: [1, 24], r: [1, 64], p: [1, 16] };
  const base = (o.hasher === 'argon2id'
    ? DEFAULT_ARGON2ID_PARAMS
    : DEFAULT_SCRYPT_PARAMS) as unknown as Record<string, number>;
  const given = (o.params ?? {}) as Record<string, unknown>;
  const params: Record<string, number> = { ...base };
  for (const [name, value] of Object.entries(given)) {
    const range = bounds[name];
    if (range === undefined) {
      throw accessErrors.create(
        'E_INVALID_OPTION',
        `Passwords: params.${name} is not a ${o.hasher} parameter`,
        {
          details: { option: `params.${name}` },
        },
      );
    }
    if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < range[0] ||
      value > range[1]
    ) {
      throw accessErrors.create(
        'E_INVALID_OPTION',
        `Passwords: params.${name} must be an integer from ${range[0]} to ${range[1]}`,
        { details: { option: `params.${name}` } },
      );
    }
    params[name] = value;
  }
  if (
    o.hasher === 'argon2id' &&
    (params.memoryCost as number) < 8 * (params.parallelism as number)
  ) {
    throw accessErrors.create(
      'E_INVALID_OPTION',
      'Passwords: params.memoryCost must be ≥ 8 × parallelism',
      {
        details: { option: 'params.memoryCost' },
      },
    );
  }
  return {
    ...o,
    resolvedParams: Object.freeze(params) as unknown as Argon2idParams | ScryptParams,
  };
}
