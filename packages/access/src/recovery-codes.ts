/**
 * Recovery codes: one-time codes a person keeps on paper for when the authenticator is lost.
 * `generate()` makes `count` codes of 60 random bits each (12 characters of Crockford base32,
 * shown as `xxxx-xxxx-xxxx`), stores only their HMAC-SHA-256 digests (keyed by the pepper when
 * given, and bound to the principal id), and replaces any earlier set. `use()` accepts each code
 * once: marking it used is a compare-and-set write, so two instances cannot both accept it.
 * Failures are throttled through {@link Throttle} on the same `mfa:<principal>` key as TOTP.
 */
import { randomBytes } from 'node:crypto';
import { Lifecycle, TypedEmitter, check, resolveOptions, systemClock } from '@plinth/core';
import type { Clock } from '@plinth/core';
import type { CollectionDefinitions, Store } from '@plinth/storage';
import { accessErrors } from './errors.js';
import type { AccessEvents } from './events.js';
import { digestsEqual, hmacSha256 } from './internal/secrets.js';
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
import { Throttle } from './throttle.js';
import type { AuditSink, ComponentOptions } from './types.js';

const COLLECTION = 'access.recovery';
export const RECOVERY_CODE_COLLECTIONS: CollectionDefinitions = { [COLLECTION]: {} };

/** Crockford's base32: no I, L, O, U, so codes read back unambiguously. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 12;
/** Used when no pepper is set: digests are still bound to this purpose and the principal. */
const DEFAULT_KEY = Buffer.from('plinth-access-recovery-code-v1', 'utf8');

export interface RecoveryCodesOptions extends ComponentOptions {
  readonly store: Store;
  /** @default a Throttle on the same store with its default rules */
  readonly throttle?: Throttle;
  /** Codes per set. @default 10 */
  readonly count?: number;
  /** Server-side secret keying the digests (keep it outside the store). @default none */
  readonly pepper?: string | Uint8Array;
}

export const DEFAULT_RECOVERY_CODES_OPTIONS = Object.freeze({ count: 10 });

/** Why a code was refused (`details.reason` of `E_MFA_INVALID`). */
export type RecoveryRefusal = 'malformed' | 'wrong' | 'used';

interface RecoveryDoc {
  [field: string]: unknown;
  /** base64url digests. */
  codes: { digest: string; usedAt: number | null }[];
  generatedAt: number;
}

/** A code as typed by a person → its canonical 12 characters, or undefined. */
export function normalizeRecoveryCode(code: unknown): string | undefined {
  if (typeof code !== 'string' || code.length > 64) return undefined;
  const c = code.toLowerCase().replace(/[\s-]/g, '').replace(/[o]/g, '0').replace(/[il]/g, '1');
  if (c.length !== CODE_LENGTH) return undefined;
  for (const ch of c) if (!ALPHABET.includes(ch)) return undefined;
  return c;
}

function randomCode(): string {
  // 12 characters × 5 bits = 60 bits from 8 random bytes.
  const bytes = randomBytes(8);
  let value = bytes.readBigUInt64BE(0);
  let out = '';
  for (let i = 0; i < CODE_LENGTH; i++) {
    out += ALPHABET[Number(value & 31n)];
    value >>= 5n;
  }
  return out;
}

function display(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/**
 * Recovery codes in a `@plinth/storage` store.
 *
 * ```ts
 * const recovery = await RecoveryCodes.open({ store, audit });
 * const codes = await recovery.generate('alice'); // show once, never stored in clear
 * await recovery.use('alice', 'k3v9-2q8m-x4ta'); // throws E_MFA_INVALID / E_THROTTLED
 * ```
 */
export class RecoveryCodes extends TypedEmitter<AccessEvents> {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #audit: AuditSink | undefined;
  readonly #throttle: Throttle;
  readonly #count: number;
  readonly #key: Buffer;
  readonly #life: Lifecycle;

  private constructor(
    o: RecoveryCodesOptions & typeof DEFAULT_RECOVERY_CODES_OPTIONS,
    store: Store,
    audit: AuditSink | undefined,
    throttle: Throttle,
  ) {
    super();
    this.#store = store;
    this.#clock = o.clock ?? systemClock;
    this.#audit = audit;
    this.#throttle = throttle;
    this.#count = o.count;
    this.#key =
      o.pepper === undefined
        ? DEFAULT_KEY
        : Buffer.from(typeof o.pepper === 'string' ? Buffer.from(o.pepper, 'utf8') : o.pepper);
    this.#life = new Lifecycle(PACKAGE, 'RecoveryCodes', () => {});
  }

  static async open(options: RecoveryCodesOptions): Promise<RecoveryCodes> {
    const o = resolveOptions<RecoveryCodesOptions, typeof DEFAULT_RECOVERY_CODES_OPTIONS>({
      package: PACKAGE,
      owner: 'RecoveryCodes',
      spec: {
        store: { check: check.object<Store>(), required: true },
        ...COMMON_OPTION_CHECKS,
        throttle: check.custom<Throttle>('a Throttle', (v) => v instanceof Throttle),
        count: check.number({ min: 1, max: 100, integer: true }),
        pepper: check.custom<string | Uint8Array>(
          'a string or Uint8Array of at least 16 bytes',
          (v) =>
            (typeof v === 'string' && Buffer.byteLength(v) >= 16) ||
            (v instanceof Uint8Array && v.length >= 16),
        ),
      },
      defaults: DEFAULT_RECOVERY_CODES_OPTIONS,
      input: options,
    });
    const store = checkStoreOption('RecoveryCodes', o.store);
    const audit = checkAuditOption('RecoveryCodes', o.audit);
    await storageCall(() => store.ensureCollections(RECOVERY_CODE_COLLECTIONS));
    const throttle =
      o.throttle ??
      (await Throttle.open({ store, ...(o.clock !== undefined && { clock: o.clock }) }));
    return new RecoveryCodes(o, store, audit, throttle);
  }

  /** A new set of codes for `principalId`, replacing any earlier set. Show them once. */
  async generate(
    principalId: string,
    options: { readonly actor?: string } = {},
  ): Promise<string[]> {
    this.#life.assertOpen('generate');
    const principal = checkPrincipalId(principalId);
    const actor = options?.actor === undefined ? undefined : checkPrincipalId(options.actor);
    const codes = new Set<string>();
    while (codes.size < this.#count) codes.add(randomCode());
    const now = this.#clock.now();
    const doc: RecoveryDoc = {
      codes: [...codes].map((c) => ({
        digest: this.#digest(principal, c).toString('base64url'),
        usedAt: null,
      })),
      generatedAt: now,
    };
    await storageCall(() => this.#store.collection<RecoveryDoc>(COLLECTION).put(principal, doc));
    await appendAudit(this.#audit, {
      type: 'recovery.generated',
      actor: actor ?? principal,
      subject: principal,
      outcome: 'success',
      data: { count: this.#count },
    });
    return [...codes].map(display);
  }

  /**
   * Accepts an unused code once. Throws `E_THROTTLED`, `E_MFA_NOT_ENROLLED` (no codes), or
   * `E_MFA_INVALID` with `details.reason` `malformed`, `wrong` or `used`. Returns how many unused
   * codes remain.
   */
  async use(
    principalId: string,
    code: string,
    options: { readonly source?: string } = {},
  ): Promise<{ readonly remaining: number }> {
    this.#life.assertOpen('use');
    const principal = checkPrincipalId(principalId);
    const source =
      typeof options === 'object' && options !== null ? checkSource(options.source) : undefined;
    const keys = mfaThrottleKeys(principal, source);
    await this.#throttle.assert(keys);
    const now = this.#clock.now();
    const normalized = normalizeRecoveryCode(code);
    const given = this.#digest(principal, normalized ?? '');
    const outcome = await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<RecoveryDoc>(COLLECTION);
          const current = await c.get(principal);
          if (current === undefined) {
            throw accessErrors.create('E_MFA_NOT_ENROLLED', 'the principal has no recovery codes', {
              details: { principal },
            });
          }
          if (normalized === undefined) return 'malformed' as const;
          let index = -1;
          // Every stored digest is compared (fixed length, constant time, no early exit).
          current.value.codes.forEach((entry, i) => {
            if (digestsEqual(Buffer.from(entry.digest, 'base64url'), given) && index < 0) index = i;
          });
          if (index < 0) return 'wrong' as const;
          const codes = current.value.codes.map((e) => ({ ...e }));
          const hit = codes[index] as { digest: string; usedAt: number | null };
          if (hit.usedAt !== null) return 'used' as const;
          hit.usedAt = now;
          await c.put(principal, { ...current.value, codes }, { ifVersion: current.version });
          return { remaining: codes.filter((e) => e.usedAt === null).length };
        },
        { retry: { attempts: 8 } },
      ),
    );
    if (typeof outcome === 'string') {
      await recordMfaFailure(this, this.#throttle, this.#audit, {
        at: now,
        principal,
        source,
        factor: 'recovery',
        keys,
        reason: outcome,
      });
      throw accessErrors.create(
        'E_MFA_INVALID',
        outcome === 'used'
          ? 'the recovery code was already used'
          : `the recovery code is ${outcome}`,
        { details: { reason: outcome } },
      );
    }
    await this.#throttle.reset(keys);
    this.emit('mfa:verified', { at: now, principal, factor: 'recovery' });
    await appendAudit(this.#audit, {
      type: 'recovery.used',
      actor: principal,
      subject: principal,
      outcome: 'success',
      ...(source !== undefined && { source }),
      data: { remaining: outcome.remaining },
    });
    return Object.freeze(outcome);
  }

  /** Unused codes left, or undefined when none were generated. */
  async remaining(principalId: string): Promise<number | undefined> {
    this.#life.assertOpen('remaining');
    const principal = checkPrincipalId(principalId);
    const entry = await storageCall(() =>
      this.#store.collection<RecoveryDoc>(COLLECTION).get(principal),
    );
    return entry?.value.codes.filter((e) => e.usedAt === null).length;
  }

  /** Deletes the set (with the TOTP enrolment, when MFA is turned off). */
  async clear(principalId: string): Promise<boolean> {
    this.#life.assertOpen('clear');
    const principal = checkPrincipalId(principalId);
    return storageCall(() => this.#store.collection(COLLECTION).delete(principal));
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #digest(principal: string, code: string): Buffer {
    return hmacSha256(this.#key, `${principal}\u0000${code}`);
  }
}
