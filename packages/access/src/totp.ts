/**
 * TOTP second factor (RFC 6238 over RFC 4226 HOTP, implemented on node:crypto): enrolment with
 * an `otpauth://` URI, confirmation, verification with a ±`window` step tolerance, replay refusal
 * (a code whose step is not newer than the last accepted one is refused; the last step is written
 * with compare-and-set, so two instances cannot both accept one code) and failure throttling
 * through {@link Throttle} (`mfa:<principal>`, plus `source:<ip>` when a source is given).
 *
 * Seeds are stored in the `access.totp` collection; they are encrypted at rest when the store
 * was opened with `codecs.encryption` (recommended), and readable by whoever reads the database
 * otherwise.
 */
import { randomBytes } from 'node:crypto';
import { Lifecycle, TypedEmitter, check, resolveOptions, systemClock } from '@plinth/core';
import type { Clock } from '@plinth/core';
import type { CollectionDefinitions, Store } from '@plinth/storage';
import { accessErrors } from './errors.js';
import type { AccessEvents } from './events.js';
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
  mfaThrottleKeys,
  recordMfaFailure,
} from './internal/component.js';
import {
  TOTP_ALGORITHMS,
  decodeBase32,
  encodeBase32,
  hotpCode,
  timeStep,
  totpCode,
  type TotpAlgorithm,
} from './internal/totp-core.js';
import { Throttle } from './throttle.js';
import type { AuditSink, ComponentOptions } from './types.js';

export { decodeBase32, encodeBase32, hotpCode, totpCode, type TotpAlgorithm };

const COLLECTION = 'access.totp';
export const TOTP_COLLECTIONS: CollectionDefinitions = { [COLLECTION]: {} };

export interface TotpOptions extends ComponentOptions {
  readonly store: Store;
  /**
   * Failure throttling; by default a {@link Throttle} on the same store with its default rules
   * (5 failures per 15 min on `mfa:<principal>`, then doubling lockouts).
   */
  readonly throttle?: Throttle;
  /** @default 'SHA1' (what every authenticator app supports) */
  readonly algorithm?: TotpAlgorithm;
  /** 6, 7 or 8. @default 6 */
  readonly digits?: number;
  /** Step length in seconds. @default 30 */
  readonly period?: number;
  /** Steps accepted before and after the current one. @default 1 */
  readonly window?: number;
  /** Seed size; at least 20 (160 bits, RFC 4226 §4). @default 20 */
  readonly secretBytes?: number;
  /** Issuer shown by authenticator apps when `enroll()` is not given one. @default 'Plinth' */
  readonly issuer?: string;
}

export const DEFAULT_TOTP_OPTIONS = Object.freeze({
  algorithm: 'SHA1' as TotpAlgorithm,
  digits: 6,
  period: 30,
  window: 1,
  secretBytes: 20,
  issuer: 'Plinth',
});

/** What `enroll()` returns: show `uri` as a QR code (or `secret` for manual entry), once. */
export interface TotpEnrollment {
  readonly secret: string;
  readonly uri: string;
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  readonly period: number;
}

export interface TotpStatus {
  readonly confirmed: boolean;
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  readonly period: number;
  readonly createdAt: number;
  readonly confirmedAt?: number;
  /** Epoch ms of the last accepted code's step. */
  readonly lastUsedAt?: number;
}

interface TotpDoc {
  [field: string]: unknown;
  secret: string;
  algorithm: TotpAlgorithm;
  digits: number;
  period: number;
  confirmed: boolean;
  /** Last accepted step, -1 before any. */
  lastStep: number;
  createdAt: number;
  confirmedAt: number | null;
}

/** Why a code was refused (`details.reason` of `E_MFA_INVALID`). */
export type TotpRefusal = 'malformed' | 'wrong' | 'replayed';

/**
 * An `otpauth://totp/` Key URI (the format authenticator apps scan): label `Issuer:account`,
 * parameters secret, issuer, algorithm, digits, period.
 */
export function otpauthUri(params: {
  readonly secret: string;
  readonly issuer: string;
  readonly account: string;
  readonly algorithm?: TotpAlgorithm;
  readonly digits?: number;
  readonly period?: number;
}): string {
  const issuer = checkLabel(params.issuer, 'issuer');
  const account = checkLabel(params.account, 'account');
  const query = new URLSearchParams({
    secret: params.secret.replace(/=+$/, ''),
    issuer,
    algorithm: params.algorithm ?? 'SHA1',
    digits: String(params.digits ?? 6),
    period: String(params.period ?? 30),
  });
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?${query.toString().replace(/\+/g, '%20')}`;
}

function checkLabel(value: unknown, what: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 200 ||
    value.includes(':')
  ) {
    throw accessErrors.create(
      'E_INVALID_ARGUMENT',
      `${what} is a string of 1–200 characters without ':'`,
      {
        details: { argument: what },
      },
    );
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    throw accessErrors.create('E_INVALID_ARGUMENT', `${what} holds control characters`, {
      details: { argument: what },
    });
  }
  return value;
}

function refused(reason: TotpRefusal): Error {
  const messages: Record<TotpRefusal, string> = {
    malformed: 'the code is malformed',
    wrong: 'the code is wrong',
    replayed: 'the code was already used',
  };
  return accessErrors.create('E_MFA_INVALID', messages[reason], { details: { reason } });
}

/** A presented code as bytes of `digits` ASCII digits (spaces allowed), or undefined. */
function normalizeCode(code: unknown, digits: number): string | undefined {
  if (typeof code !== 'string' || code.length > 32) return undefined;
  const c = code.replace(/[\s-]/g, '');
  return c.length === digits && /^[0-9]+$/.test(c) ? c : undefined;
}

/**
 * TOTP enrolments in a `@plinth/storage` store.
 *
 * ```ts
 * const totp = await Totp.open({ store, audit });
 * const { uri } = await totp.enroll('alice', { account: 'alice@example.com' }); // show as QR
 * await totp.confirm('alice', codeFromApp);
 * await totp.verify('alice', codeAtLogin, { source: ip }); // throws E_MFA_INVALID / E_THROTTLED
 * ```
 */
export class Totp extends TypedEmitter<AccessEvents> {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #audit: AuditSink | undefined;
  readonly #throttle: Throttle;
  readonly #o: Readonly<typeof DEFAULT_TOTP_OPTIONS>;
  readonly #life: Lifecycle;

  private constructor(
    o: Readonly<typeof DEFAULT_TOTP_OPTIONS> & { clock?: Clock },
    store: Store,
    audit: AuditSink | undefined,
    throttle: Throttle,
  ) {
    super();
    this.#store = store;
    this.#clock = o.clock ?? systemClock;
    this.#audit = audit;
    this.#throttle = throttle;
    this.#o = o;
    this.#life = new Lifecycle(PACKAGE, 'Totp', () => {});
  }

  static async open(options: TotpOptions): Promise<Totp> {
    const o = resolveOptions<TotpOptions, typeof DEFAULT_TOTP_OPTIONS>({
      package: PACKAGE,
      owner: 'Totp',
      spec: {
        store: { check: check.object<Store>(), required: true },
        ...COMMON_OPTION_CHECKS,
        throttle: check.custom<Throttle>('a Throttle', (v) => v instanceof Throttle),
        algorithm: check.oneOf(TOTP_ALGORITHMS),
        digits: check.number({ min: 6, max: 8, integer: true }),
        period: check.number({ min: 1, max: 300, integer: true }),
        window: check.number({ min: 0, max: 10, integer: true }),
        secretBytes: check.number({ min: 20, max: 64, integer: true }),
        issuer: check.custom<string>('a string of 1–200 characters without ":"', (v) => {
          try {
            checkLabel(v, 'issuer');
            return true;
          } catch {
            return false;
          }
        }),
      },
      defaults: DEFAULT_TOTP_OPTIONS,
      input: options,
    });
    const store = checkStoreOption('Totp', o.store);
    const audit = checkAuditOption('Totp', o.audit);
    await storageCall(() => store.ensureCollections(TOTP_COLLECTIONS));
    const throttle =
      o.throttle ??
      (await Throttle.open({ store, ...(o.clock !== undefined && { clock: o.clock }) }));
    return new Totp(o, store, audit, throttle);
  }

  /**
   * Starts (or restarts) an enrolment: a fresh seed, pending until {@link confirm}. Refused with
   * `E_EXISTS` while a confirmed enrolment exists ({@link disable} it first).
   */
  async enroll(
    principalId: string,
    options: { readonly account?: string; readonly issuer?: string } = {},
  ): Promise<TotpEnrollment> {
    this.#life.assertOpen('enroll');
    const principal = checkPrincipalId(principalId);
    if (typeof options !== 'object' || options === null) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'options must be an object');
    }
    const issuer = checkLabel(options.issuer ?? this.#o.issuer, 'issuer');
    const account = checkLabel(options.account ?? principal, 'account');
    const secret = encodeBase32(randomBytes(this.#o.secretBytes));
    const now = this.#clock.now();
    const doc: TotpDoc = {
      secret,
      algorithm: this.#o.algorithm,
      digits: this.#o.digits,
      period: this.#o.period,
      confirmed: false,
      lastStep: -1,
      createdAt: now,
      confirmedAt: null,
    };
    await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<TotpDoc>(COLLECTION);
          const current = await c.get(principal);
          if (current?.value.confirmed === true) {
            throw accessErrors.create(
              'E_EXISTS',
              'the principal already has a confirmed TOTP enrolment',
              {
                details: { principal },
              },
            );
          }
          await c.put(
            principal,
            doc,
            current === undefined ? { ifAbsent: true } : { ifVersion: current.version },
          );
        },
        { retry: { attempts: 5 } },
      ),
    );
    return Object.freeze({
      secret,
      uri: otpauthUri({
        secret,
        issuer,
        account,
        algorithm: doc.algorithm,
        digits: doc.digits,
        period: doc.period,
      }),
      algorithm: doc.algorithm,
      digits: doc.digits,
      period: doc.period,
    });
  }

  /** Confirms a pending enrolment with a first code from the app. Throttled like `verify`. */
  async confirm(
    principalId: string,
    code: string,
    options: { readonly source?: string } = {},
  ): Promise<void> {
    this.#life.assertOpen('confirm');
    await this.#check(principalId, code, options, 'confirm');
  }

  /**
   * Checks a code of a confirmed enrolment. Throws `E_MFA_NOT_ENROLLED`, `E_THROTTLED`, or
   * `E_MFA_INVALID` with `details.reason` `malformed`, `wrong` or `replayed`. Returns the step
   * accepted.
   */
  async verify(
    principalId: string,
    code: string,
    options: { readonly source?: string } = {},
  ): Promise<{ readonly step: number }> {
    this.#life.assertOpen('verify');
    return this.#check(principalId, code, options, 'verify');
  }

  /** Removes the enrolment. Returns false when there was none. */
  async disable(principalId: string, options: { readonly actor?: string } = {}): Promise<boolean> {
    this.#life.assertOpen('disable');
    const principal = checkPrincipalId(principalId);
    const actor = options.actor === undefined ? undefined : checkPrincipalId(options.actor);
    const removed = await storageCall(() => this.#store.collection(COLLECTION).delete(principal));
    if (!removed) return false;
    const at = this.#clock.now();
    this.emit('mfa:disabled', { at, principal });
    await appendAudit(this.#audit, {
      type: 'mfa.disabled',
      actor: actor ?? principal,
      subject: principal,
      outcome: 'success',
      data: { factor: 'totp' },
    });
    return true;
  }

  /** The enrolment's state (never the seed), or undefined. */
  async status(principalId: string): Promise<TotpStatus | undefined> {
    this.#life.assertOpen('status');
    const principal = checkPrincipalId(principalId);
    const entry = await storageCall(() =>
      this.#store.collection<TotpDoc>(COLLECTION).get(principal),
    );
    if (entry === undefined) return undefined;
    const d = entry.value;
    return Object.freeze({
      confirmed: d.confirmed,
      algorithm: d.algorithm,
      digits: d.digits,
      period: d.period,
      createdAt: d.createdAt,
      ...(d.confirmedAt !== null && { confirmedAt: d.confirmedAt }),
      ...(d.lastStep >= 0 && { lastUsedAt: d.lastStep * d.period * 1000 }),
    });
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #check(
    principalId: unknown,
    code: unknown,
    options: { readonly source?: string },
    mode: 'confirm' | 'verify',
  ): Promise<{ readonly step: number }> {
    const principal = checkPrincipalId(principalId);
    const source =
      typeof options === 'object' && options !== null ? checkSource(options.source) : undefined;
    const keys = mfaThrottleKeys(principal, source);
    await this.#throttle.assert(keys);
    const now = this.#clock.now();
    const outcome: { step: number } | TotpRefusal = await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<TotpDoc>(COLLECTION);
          const current = await c.get(principal);
          const d = current?.value;
          if (d === undefined || (mode === 'verify' && !d.confirmed)) {
            throw accessErrors.create('E_MFA_NOT_ENROLLED', 'no confirmed TOTP enrolment', {
              details: { principal },
            });
          }
          if (mode === 'confirm' && d.confirmed) {
            throw accessErrors.create('E_EXISTS', 'the TOTP enrolment is already confirmed', {
              details: { principal },
            });
          }
          const presented = normalizeCode(code, d.digits);
          if (presented === undefined) return 'malformed' as const;
          const step = matchStep(d, presented, timeStep(now, d.period), this.#o.window);
          if (step === undefined) return 'wrong' as const;
          if (step <= d.lastStep) return 'replayed' as const;
          await c.put(
            principal,
            { ...d, lastStep: step, confirmed: true, confirmedAt: d.confirmedAt ?? now },
            { ifVersion: (current as { version: number }).version },
          );
          return { step };
        },
        // A lost race re-reads the last step: the loser then sees the code as replayed.
        { retry: { attempts: 8 } },
      ),
    );
    if (typeof outcome === 'string') {
      await recordMfaFailure(this, this.#throttle, this.#audit, {
        at: now,
        principal,
        source,
        factor: 'totp',
        keys,
        reason: outcome,
      });
      throw refused(outcome);
    }
    await this.#throttle.reset(keys);
    if (mode === 'confirm') {
      this.emit('mfa:enrolled', { at: now, principal });
      await appendAudit(this.#audit, {
        type: 'mfa.enrolled',
        actor: principal,
        subject: principal,
        outcome: 'success',
        ...(source !== undefined && { source }),
        data: { factor: 'totp', algorithm: this.#o.algorithm },
      });
    } else {
      this.emit('mfa:verified', { at: now, principal, factor: 'totp' });
      await appendAudit(this.#audit, {
        type: 'mfa.verified',
        actor: principal,
        subject: principal,
        outcome: 'success',
        ...(source !== undefined && { source }),
        data: { factor: 'totp' },
      });
    }
    return Object.freeze(outcome);
  }
}

/**
 * The oldest step in [current − window, current + window] whose code equals `presented` and that
 * is newer than the last accepted step, else the newest matching one (for the replay answer),
 * else undefined. Every step's code is computed and compared (fixed-length, constant time).
 */
function matchStep(
  d: TotpDoc,
  presented: string,
  current: number,
  window: number,
): number | undefined {
  const key = decodeBase32(d.secret);
  const given = Buffer.from(presented, 'ascii');
  let fresh: number | undefined;
  let stale: number | undefined;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const ok = digestsEqual(
      Buffer.from(hotpCode(key, step, d.algorithm, d.digits), 'ascii'),
      given,
    );
    if (!ok) continue;
    if (step > d.lastStep) fresh ??= step;
    else stale = step;
  }
  return fresh ?? stale;
}

/** The code at `timeMs` for a base32 secret (for hosts' tests and tools). */
export function generateTotp(
  secret: string,
  timeMs: number,
  options: {
    readonly algorithm?: TotpAlgorithm;
    readonly digits?: number;
    readonly period?: number;
  } = {},
): string {
  return totpCode(
    decodeBase32(secret),
    timeMs,
    options.algorithm ?? 'SHA1',
    options.digits ?? 6,
    options.period ?? 30,
  );
}
