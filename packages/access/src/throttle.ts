/**
 * Failure throttling shared by passwords, TOTP and recovery codes (RFC 4226 §7.3 asks for it):
 * failures are counted per key (`principal:alice`, `source:203.0.113.7`) in a sliding window;
 * past the limit the key is locked out, each lockout twice as long as the one before, up to a
 * cap. Counters live in `@plinth/storage`, so every instance on one database sees the same
 * counts; updates are compare-and-set transactions, so concurrent failures are never lost.
 */
import { systemClock, type Clock } from '@plinth/core';
import type { CollectionDefinitions, Store } from '@plinth/storage';
import { accessErrors } from './errors.js';
import { storageCall } from './internal/storage.js';

const COLLECTION = 'access.throttle';
export const THROTTLE_COLLECTIONS: CollectionDefinitions = { [COLLECTION]: {} };

/** One limit: at most `maxFailures` in `windowMs`, then a lockout. */
export interface ThrottleRule {
  /** @default 5 */
  readonly maxFailures: number;
  /** @default 900000 (15 min) */
  readonly windowMs: number;
  /** First lockout; each further one doubles. @default 60000 */
  readonly lockoutMs: number;
  /** Longest lockout. @default 3600000 */
  readonly maxLockoutMs: number;
}

export interface ThrottleOptions {
  readonly store: Store;
  /** The limit per key kind: the part of the key before the first `:`. */
  readonly rules?: { readonly [kind: string]: Partial<ThrottleRule> };
  /** @default systemClock */
  readonly clock?: Clock;
}

export const DEFAULT_THROTTLE_RULES: { readonly [kind: string]: ThrottleRule } = Object.freeze({
  principal: Object.freeze({
    maxFailures: 5,
    windowMs: 900_000,
    lockoutMs: 60_000,
    maxLockoutMs: 3_600_000,
  }),
  source: Object.freeze({
    maxFailures: 20,
    windowMs: 900_000,
    lockoutMs: 60_000,
    maxLockoutMs: 3_600_000,
  }),
  mfa: Object.freeze({
    maxFailures: 5,
    windowMs: 900_000,
    lockoutMs: 60_000,
    maxLockoutMs: 3_600_000,
  }),
});

interface ThrottleDoc {
  [field: string]: unknown;
  /** Epoch ms of failures inside the window, oldest first. */
  failures: number[];
  lockedUntil: number;
  lockouts: number;
}

/** What {@link Throttle.check} answers. */
export interface ThrottleState {
  readonly allowed: boolean;
  /** 0 when allowed. */
  readonly retryAfterMs: number;
  /** The key that is locked, when one is. */
  readonly key?: string;
}

export class Throttle {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #rules: { readonly [kind: string]: ThrottleRule };

  private constructor(options: ThrottleOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    const rules: { [kind: string]: ThrottleRule } = { ...DEFAULT_THROTTLE_RULES };
    for (const [kind, rule] of Object.entries(options.rules ?? {})) {
      const merged = {
        ...(rules[kind] ?? DEFAULT_THROTTLE_RULES.principal),
        ...rule,
      } as ThrottleRule;
      for (const [name, value] of Object.entries(merged)) {
        if (!Number.isSafeInteger(value) || value < 1) {
          throw accessErrors.create(
            'E_INVALID_OPTION',
            `throttle rule ${kind}.${name} must be an integer ≥ 1`,
            {
              details: { option: `rules.${kind}.${name}` },
            },
          );
        }
      }
      rules[kind] = Object.freeze(merged);
    }
    this.#rules = rules;
  }

  static async open(options: ThrottleOptions): Promise<Throttle> {
    const throttle = new Throttle(options);
    await storageCall(() => options.store.ensureCollections(THROTTLE_COLLECTIONS));
    return throttle;
  }

  #rule(key: string): ThrottleRule {
    const colon = key.indexOf(':');
    const kind = colon < 0 ? key : key.slice(0, colon);
    return this.#rules[kind] ?? (DEFAULT_THROTTLE_RULES.principal as ThrottleRule);
  }

  /** Whether every key may try now; when not, which is locked and for how long. */
  async check(keys: readonly string[]): Promise<ThrottleState> {
    const now = this.#clock.now();
    const docs = await storageCall(() =>
      this.#store.collection<ThrottleDoc>(COLLECTION).getMany(keys),
    );
    let worst: ThrottleState = { allowed: true, retryAfterMs: 0 };
    docs.forEach((entry, i) => {
      const wait = entry === undefined ? 0 : entry.value.lockedUntil - now;
      if (wait > worst.retryAfterMs)
        worst = { allowed: false, retryAfterMs: wait, key: keys[i] as string };
    });
    return worst;
  }

  /** Throws `E_THROTTLED` (retryable, `details.retryAfterMs`) when any key is locked. */
  async assert(keys: readonly string[]): Promise<void> {
    const state = await this.check(keys);
    if (!state.allowed) {
      throw accessErrors.create(
        'E_THROTTLED',
        `too many failed attempts; retry in ${Math.ceil(state.retryAfterMs / 1000)} s`,
        {
          details: { retryAfterMs: state.retryAfterMs },
        },
      );
    }
  }

  /** Counts one failure on each key; returns the state after it (locked when a limit was hit). */
  async fail(keys: readonly string[]): Promise<ThrottleState> {
    const now = this.#clock.now();
    let worst: ThrottleState = { allowed: true, retryAfterMs: 0 };
    await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          worst = { allowed: true, retryAfterMs: 0 };
          const c = tx.collection<ThrottleDoc>(COLLECTION);
          // A key given twice counts once: a second CAS on its buffered write would be invalid.
          for (const key of new Set(keys)) {
            const rule = this.#rule(key);
            const current = await c.get(key);
            const doc: ThrottleDoc = current?.value
              ? {
                  ...current.value,
                  failures: current.value.failures.filter((t) => t > now - rule.windowMs),
                }
              : { failures: [], lockedUntil: 0, lockouts: 0 };
            // A quiet period as long as the longest lockout forgives earlier lockouts.
            if (doc.lockouts > 0 && doc.lockedUntil + rule.maxLockoutMs <= now) doc.lockouts = 0;
            // An attempt made while locked out is refused before it is tried: it does not count.
            if (doc.lockedUntil > now) {
              if (doc.lockedUntil - now > worst.retryAfterMs) {
                worst = { allowed: false, retryAfterMs: doc.lockedUntil - now, key };
              }
              continue;
            }
            doc.failures.push(now);
            if (doc.failures.length > rule.maxFailures)
              doc.failures.splice(0, doc.failures.length - rule.maxFailures);
            if (doc.failures.length >= rule.maxFailures && doc.lockedUntil <= now) {
              const ms = Math.min(rule.maxLockoutMs, rule.lockoutMs * 2 ** doc.lockouts);
              doc.lockedUntil = now + ms;
              doc.lockouts += 1;
              doc.failures = [];
            }
            if (doc.lockedUntil - now > worst.retryAfterMs) {
              worst = { allowed: false, retryAfterMs: doc.lockedUntil - now, key };
            }
            await c.put(key, doc, current ? { ifVersion: current.version } : { ifAbsent: true });
          }
        },
        { retry: { attempts: 8 } },
      ),
    );
    return worst;
  }

  /**
   * Deletes the records that no longer matter: no failure inside the window and no lockout in the
   * last `maxLockoutMs` (so guesses at ids nobody owns do not grow storage). Run it on a schedule;
   * returns how many were deleted (at most `limit`).
   */
  async purge(options: { readonly limit?: number } = {}): Promise<number> {
    const limit = options.limit ?? 10_000;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'limit must be an integer ≥ 1');
    }
    const now = this.#clock.now();
    let deleted = 0;
    let cursor: string | undefined;
    const c = this.#store.collection<ThrottleDoc>(COLLECTION);
    do {
      const page = await storageCall(() =>
        c.list({ limit: 500, ...(cursor === undefined ? {} : { cursor }) }),
      );
      for (const entry of page.items) {
        const rule = this.#rule(entry.key);
        const d = entry.value;
        const stale =
          d.failures.every((t) => t <= now - rule.windowMs) &&
          d.lockedUntil + rule.maxLockoutMs <= now;
        if (!stale) continue;
        // A record changed meanwhile (a new failure) is kept: the delete is conditional.
        const gone = await storageCall(() =>
          c.delete(entry.key, { ifVersion: entry.version }),
        ).catch((error: unknown) => {
          if (accessErrors.is(error, 'E_CONFLICT')) return false;
          throw error;
        });
        if (gone) deleted++;
        if (deleted >= limit) return deleted;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return deleted;
  }

  /** Clears the failures of each key (after a success). Lockout history is kept. */
  async reset(keys: readonly string[]): Promise<void> {
    await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<ThrottleDoc>(COLLECTION);
          for (const key of keys) {
            const current = await c.get(key);
            if (current === undefined || current.value.failures.length === 0) continue;
            await c.put(key, { ...current.value, failures: [] }, { ifVersion: current.version });
          }
        },
        { retry: { attempts: 8 } },
      ),
    );
  }
}
