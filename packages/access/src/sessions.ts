/**
 * Server-side sessions: opaque ids of 256 CSPRNG bits, stored only as their SHA-256, with an
 * absolute and an idle expiry, rotation on privilege change (the old id dies in the same
 * transaction that creates the new one), step-up (`elevate`) recording when MFA was last
 * passed, and revocation of one session or all of a principal's. Validated sessions are cached
 * per instance; the storage change feed drops a cached entry as soon as its document changes on
 * any instance (LISTEN/NOTIFY on PostgreSQL), and `cacheTtlMs` bounds staleness should the
 * feed ever stall.
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
  type TimerHandle,
} from '@plinth/core';
import type { CollectionDefinitions, Store, StoreChange } from '@plinth/storage';
import { accessErrors } from './errors.js';
import { COMMON_OPTION_CHECKS } from './internal/component.js';
import type { AccessEvents } from './events.js';
import {
  mfaOf,
  newId,
  objectOf,
  principalOf,
  reasonOf,
  refusal,
  sourceOf,
  type SessionRefusal,
} from './internal/session-args.js';
import { sha256Hex } from './internal/secrets.js';
import { SessionCache } from './internal/session-cache.js';
import { storageCall } from './internal/storage.js';
import { DEFAULT_ACCESS_LIMITS } from './options.js';
import type { AuditRecordInput, AuditSink, ComponentOptions, JsonValue } from './types.js';

const COLLECTION = 'access.sessions';
export const SESSION_COLLECTIONS: CollectionDefinitions = {
  [COLLECTION]: {
    indexes: {
      byPrincipal: { fields: ['principal'] },
      byHandle: { fields: ['handle'], unique: true },
      byExpiry: { fields: ['expiresAt'] },
    },
  },
};

export interface SessionsOptions extends ComponentOptions {
  readonly store: Store;
  /** Text before the random part of every id (helps secret scanners): `[a-z][a-z0-9]{0,15}_` or ''. @default 'pls_' */
  readonly prefix?: string;
  /** Lifetime from creation, whatever the activity. @default 43200000 (12 h) */
  readonly absoluteTtlMs?: number;
  /** Lifetime without activity. @default 1800000 (30 min) */
  readonly idleTtlMs?: number;
  /** Activity is written at most this often per session (batched); at most idleTtlMs / 2. @default 60000 */
  readonly touchIntervalMs?: number;
  /** Delay of the batched activity write. @default 1000 */
  readonly flushDelayMs?: number;
  /** Validated sessions kept per instance; 0 turns the cache off. @default 10000 */
  readonly cacheSize?: number;
  /** Oldest cached read used, whatever the change feed says. @default 5000 */
  readonly cacheTtlMs?: number;
  /** Largest `data` (JSON bytes). @default 8192 */
  readonly maxDataBytes?: number;
  /** Follow the change feed to invalidate the cache (turn off only for a single instance). @default true */
  readonly watch?: boolean;
}

export const DEFAULT_SESSIONS_OPTIONS = Object.freeze({
  prefix: 'pls_',
  absoluteTtlMs: 43_200_000,
  idleTtlMs: 1_800_000,
  touchIntervalMs: 60_000,
  flushDelayMs: 1000,
  cacheSize: 10_000,
  cacheTtlMs: 5000,
  maxDataBytes: 8192,
  watch: true,
});

/** A live session as a host sees it. Never holds the session id. */
export interface Session {
  /** Public, non-secret id (a prefix of the stored hash) for logs, events, audit and admin UIs. */
  readonly handle: string;
  readonly principalId: string;
  readonly createdAt: number;
  /** Absolute expiry (epoch ms). */
  readonly expiresAt: number;
  /** When the session dies without further activity. */
  readonly idleExpiresAt: number;
  readonly lastSeenAt: number;
  /** When the principal last passed MFA in this session (undefined: never). */
  readonly mfaAt: number | undefined;
  readonly data: { readonly [key: string]: JsonValue };
}

/** A session just created or rotated: the only time its id is seen. */
export interface IssuedSession extends Session {
  /** The secret id to hand the client (a cookie value). */
  readonly id: string;
}

export type { SessionRefusal } from './internal/session-args.js';

interface SessionDoc {
  [field: string]: unknown;
  principal: string;
  handle: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  mfaAt: number | null;
  data: { [key: string]: JsonValue };
  revokedAt: number | null;
  revokeReason: string | null;
}

/** What `create` (and, but for `source`, `rotate`) accepts. */
export interface SessionCreateOptions {
  readonly data?: { readonly [key: string]: JsonValue };
  readonly mfaAt?: number;
  readonly source?: string;
}

export class Sessions extends TypedEmitter<AccessEvents> {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #audit: AuditSink | undefined;
  readonly #o: ResolvedSessions;
  readonly #pattern: RegExp;
  readonly #cache: SessionCache<SessionDoc>;
  /** Keys being read now, and those of them that changed meanwhile (not to be cached). */
  readonly #reading = new Map<string, number>();
  readonly #raced = new Set<string>();
  readonly #pending = new Map<string, number>();
  #flushTimer: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;
  #stopWatch: (() => Promise<void>) | undefined;
  readonly #life: Lifecycle;

  private constructor(o: ResolvedSessions) {
    super();
    this.#o = o;
    this.#store = o.store;
    this.#clock = o.clock ?? systemClock;
    this.#logger = (o.logger ?? noopLogger).child({
      component: '@plinth/access',
      part: 'sessions',
    });
    this.#audit = o.audit;
    this.#pattern = new RegExp(`^${o.prefix}[A-Za-z0-9_-]{43}$`);
    this.#cache = new SessionCache(o.cacheSize);
    this.#life = new Lifecycle('@plinth/access', 'Sessions', () => this.#shutdown());
  }

  /** Validates the options, declares `access.sessions` and starts following the change feed. */
  static async open(options: SessionsOptions): Promise<Sessions> {
    const o = resolveSessionsOptions(options);
    await storageCall(() => o.store.ensureCollections(SESSION_COLLECTIONS));
    const sessions = new Sessions(o);
    if (o.watch) {
      sessions.#stopWatch = await storageCall(() =>
        o.store.watch((change) => sessions.#onChange(change)),
      );
    }
    return sessions;
  }

  /** Starts a session for `principalId`. The returned `id` is the secret the client keeps. */
  async create(principalId: string, options: SessionCreateOptions = {}): Promise<IssuedSession> {
    this.#life.assertOpen('create');
    const principal = principalOf(principalId);
    const opts = objectOf(options, 'create options');
    const data = this.#dataOf(opts.data);
    const now = this.#clock.now();
    const mfaAt = mfaOf(opts.mfaAt, now);
    const source = sourceOf(opts.source);
    const { id, key, handle } = newId(this.#o.prefix);
    const doc: SessionDoc = {
      principal,
      handle,
      createdAt: now,
      expiresAt: now + this.#o.absoluteTtlMs,
      lastSeenAt: now,
      mfaAt: mfaAt ?? null,
      data,
      revokedAt: null,
      revokeReason: null,
    };
    await storageCall(() =>
      this.#store.collection<SessionDoc>(COLLECTION).put(key, doc, { ifAbsent: true }),
    );
    await this.#record({
      type: 'session.created',
      actor: principal,
      subject: handle,
      outcome: 'success',
      ...(source !== undefined && { source }),
      data: { principal, mfa: mfaAt !== undefined },
    });
    this.emit('session:created', { at: now, principal, session: handle });
    return { id, ...this.#view(doc, now) };
  }

  /**
   * The session behind `id`, or `E_UNAUTHENTICATED` with `details.reason` (`malformed`,
   * `unknown`, `expired`, `idle`, `revoked`, `rotated`). A malformed id is refused without a
   * lookup. Records activity (batched) unless `touch: false`.
   */
  async validate(id: string, options: { readonly touch?: boolean } = {}): Promise<Session> {
    this.#life.assertOpen('validate');
    const key = this.#keyOf(id);
    if (key === undefined) throw refusal('malformed');
    const now = this.#clock.now();
    const doc = await this.#read(key, now);
    const reason = this.#deadReason(doc, key, now);
    if (reason !== undefined) throw refusal(reason);
    const live = doc as SessionDoc;
    if (options?.touch !== false && now - this.#lastSeen(key, live) >= this.#o.touchIntervalMs) {
      this.#pending.set(key, now);
      this.#scheduleFlush();
    }
    return this.#view(live, now, this.#lastSeen(key, live));
  }

  /**
   * Replaces the session by a new one (privilege change, login completion): the old id is dead
   * from the moment this resolves. Keeps the absolute expiry; `data` and `mfaAt` may change.
   */
  async rotate(
    id: string,
    options: Omit<SessionCreateOptions, 'source'> & { readonly reason?: string } = {},
  ): Promise<IssuedSession> {
    this.#life.assertOpen('rotate');
    const opts = objectOf(options, 'rotate options');
    const key = this.#keyOf(id);
    if (key === undefined) throw refusal('malformed');
    const now = this.#clock.now();
    const data = opts.data === undefined ? undefined : this.#dataOf(opts.data);
    const mfaAt = mfaOf(opts.mfaAt, now);
    const reason = reasonOf(opts.reason, 'privilege-change');
    const next = newId(this.#o.prefix);
    const created = await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<SessionDoc>(COLLECTION);
          const current = await c.get(key);
          const dead = this.#deadReason(current?.value, key, now);
          if (dead !== undefined) throw refusal(dead);
          const old = (current as { value: SessionDoc; version: number }).value;
          const doc: SessionDoc = {
            ...old,
            handle: next.handle,
            createdAt: now,
            lastSeenAt: now,
            mfaAt: mfaAt ?? old.mfaAt,
            data: data ?? old.data,
          };
          await c.put(
            key,
            { ...old, revokedAt: now, revokeReason: 'rotated' },
            { ifVersion: (current as { version: number }).version },
          );
          await c.put(next.key, doc, { ifAbsent: true });
          return { old, doc };
        },
        { retry: { attempts: 3 } },
      ),
    );
    this.#forget(key);
    const { old, doc } = created;
    await this.#record({
      type: 'session.rotated',
      actor: old.principal,
      subject: doc.handle,
      outcome: 'success',
      data: { principal: old.principal, from: old.handle, to: doc.handle, reason },
    });
    this.emit('session:rotated', {
      at: now,
      principal: old.principal,
      from: old.handle,
      to: doc.handle,
    });
    return { id: next.id, ...this.#view(doc, now) };
  }

  /** Step-up: records a passed MFA check now (or at `mfaAt`) and rotates the id. */
  elevate(
    id: string,
    options: {
      readonly mfaAt?: number;
      readonly data?: { readonly [key: string]: JsonValue };
    } = {},
  ): Promise<IssuedSession> {
    const opts = objectOf(options, 'elevate options');
    return this.rotate(id, {
      ...opts,
      mfaAt: opts.mfaAt ?? this.#clock.now(),
      reason: 'elevate',
    });
  }

  /**
   * Throws `E_UNAUTHENTICATED` (`reason: 'mfa-required'`, `details.maxAgeMs`) unless the
   * session passed MFA within `maxAgeMs`: what the "require recent MFA" obligation checks.
   */
  requireRecentMfa(session: Session, maxAgeMs: number): void {
    if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < 0) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'maxAgeMs must be an integer ≥ 0');
    }
    const mfaAt = (session as Partial<Session> | undefined)?.mfaAt;
    if (typeof mfaAt !== 'number' || this.#clock.now() - mfaAt > maxAgeMs) {
      throw accessErrors.create('E_UNAUTHENTICATED', 'this action needs a recent MFA check', {
        details: { reason: 'mfa-required', maxAgeMs },
      });
    }
  }

  /** Ends the session behind `id` (logout). False when it was not live (or `id` is malformed). */
  async revoke(
    id: string,
    options: { readonly reason?: string; readonly actor?: string } = {},
  ): Promise<boolean> {
    this.#life.assertOpen('revoke');
    const opts = objectOf(options, 'revoke options');
    const reason = reasonOf(opts.reason, 'logout');
    const actor = opts.actor === undefined ? undefined : principalOf(opts.actor);
    const key = this.#keyOf(id);
    if (key === undefined) return false;
    const revoked = await this.#revokeKeys([key], reason);
    await this.#announce(revoked, reason, actor);
    return revoked.length > 0;
  }

  /** Ends the session with this public handle (an administrative call). */
  async revokeHandle(
    handle: string,
    options: { readonly reason?: string; readonly actor?: string } = {},
  ): Promise<boolean> {
    this.#life.assertOpen('revokeHandle');
    const opts = objectOf(options, 'revokeHandle options');
    const reason = reasonOf(opts.reason, 'admin');
    const actor = opts.actor === undefined ? undefined : principalOf(opts.actor);
    if (typeof handle !== 'string' || !/^[0-9a-f]{24}$/.test(handle)) return false;
    const found = await storageCall(() =>
      this.#store.collection<SessionDoc>(COLLECTION).findOne('byHandle', handle),
    );
    if (found === undefined) return false;
    const revoked = await this.#revokeKeys([found.key], reason);
    await this.#announce(revoked, reason, actor);
    return revoked.length > 0;
  }

  /** Ends every live session of `principalId` (but `except`, a session id); returns how many. */
  async revokeAll(
    principalId: string,
    options: { readonly except?: string; readonly reason?: string; readonly actor?: string } = {},
  ): Promise<number> {
    this.#life.assertOpen('revokeAll');
    const principal = principalOf(principalId);
    const opts = objectOf(options, 'revokeAll options');
    const reason = reasonOf(opts.reason, 'revoke-all');
    const actor = opts.actor === undefined ? undefined : principalOf(opts.actor);
    const except = opts.except === undefined ? undefined : this.#keyOf(opts.except);
    const keys = (await this.#entriesOf(principal))
      .filter((e) => e.value.revokedAt === null && e.key !== except)
      .map((e) => e.key);
    const revoked = await this.#revokeKeys(keys, reason);
    await this.#announce(revoked, reason, actor);
    return revoked.length;
  }

  /** The live sessions of `principalId` (without their ids). */
  async list(principalId: string): Promise<Session[]> {
    this.#life.assertOpen('list');
    const principal = principalOf(principalId);
    const now = this.#clock.now();
    return (await this.#entriesOf(principal))
      .filter((e) => this.#deadReason(e.value, e.key, now) === undefined)
      .map((e) => this.#view(e.value, now, this.#lastSeen(e.key, e.value)));
  }

  /** Deletes session documents past their absolute expiry; returns how many. */
  async purgeExpired(options: { readonly limit?: number } = {}): Promise<number> {
    this.#life.assertOpen('purgeExpired');
    const limit = objectOf(options, 'purgeExpired options').limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'limit must be an integer from 1 to 10000');
    }
    const now = this.#clock.now();
    const page = await storageCall(() =>
      this.#store.collection<SessionDoc>(COLLECTION).find('byExpiry', { lte: now, limit }),
    );
    let purged = 0;
    for (const e of page.items) {
      if (
        await storageCall(() =>
          this.#store
            .collection(COLLECTION)
            .delete(e.key, { ifVersion: e.version })
            .catch(() => false),
        )
      ) {
        purged++;
      }
      this.#forget(e.key);
    }
    return purged;
  }

  /** Writes the batched activity now. */
  async flush(): Promise<void> {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#flushing = this.#writeTouches(batch).finally(() => {
      this.#flushing = undefined;
      // The cached documents predate the activity just written (and, without the change feed,
      // nothing else would drop them): read them again.
      for (const [key] of batch) {
        if (this.#reading.has(key)) this.#raced.add(key);
        this.#cache.delete(key);
      }
    });
    await this.#flushing;
  }

  /** How many validated sessions this instance caches now. */
  get cachedSessions(): number {
    return this.#cache.size;
  }

  /** Flushes activity, stops the change feed; idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    await this.flush().catch((error: unknown) =>
      this.#logger.warn({ err: error }, 'writing session activity on close failed'),
    );
    await this.#stopWatch?.();
    this.#cache.clear();
  }

  #onChange(change: StoreChange): void {
    if (change.collection !== COLLECTION) return;
    if (this.#reading.has(change.key)) this.#raced.add(change.key);
    this.#cache.delete(change.key);
  }

  #forget(key: string): void {
    if (this.#reading.has(key)) this.#raced.add(key);
    this.#cache.delete(key);
    this.#pending.delete(key);
  }

  #keyOf(id: unknown): string | undefined {
    if (typeof id !== 'string' || id.length > DEFAULT_ACCESS_LIMITS.maxCredentialLength)
      return undefined;
    if (!this.#pattern.test(id)) return undefined;
    return sha256Hex(id);
  }

  async #read(key: string, now: number): Promise<SessionDoc | undefined> {
    const cached = this.#cache.get(key, now - this.#o.cacheTtlMs);
    if (cached !== undefined) return cached;
    this.#reading.set(key, (this.#reading.get(key) ?? 0) + 1);
    let entry;
    let raced: boolean;
    try {
      entry = await storageCall(() => this.#store.collection<SessionDoc>(COLLECTION).get(key));
    } finally {
      raced = this.#raced.has(key);
      const left = (this.#reading.get(key) ?? 1) - 1;
      if (left === 0) {
        this.#reading.delete(key);
        this.#raced.delete(key);
      } else {
        this.#reading.set(key, left);
      }
    }
    // Cache only live sessions, and only when no change to this one arrived while reading.
    if (entry !== undefined && entry.value.revokedAt === null && !raced) {
      this.#cache.set(key, entry.value, now);
    }
    return entry?.value;
  }

  #deadReason(doc: SessionDoc | undefined, key: string, now: number): SessionRefusal | undefined {
    if (doc === undefined) return 'unknown';
    if (doc.revokedAt !== null) return doc.revokeReason === 'rotated' ? 'rotated' : 'revoked';
    if (now >= doc.expiresAt) return 'expired';
    if (now - this.#lastSeen(key, doc) >= this.#o.idleTtlMs) return 'idle';
    return undefined;
  }

  #lastSeen(key: string, doc: SessionDoc): number {
    return Math.max(doc.lastSeenAt, this.#pending.get(key) ?? 0);
  }

  #view(doc: SessionDoc, now: number, lastSeenAt = doc.lastSeenAt): Session {
    void now;
    return {
      handle: doc.handle,
      principalId: doc.principal,
      createdAt: doc.createdAt,
      expiresAt: doc.expiresAt,
      idleExpiresAt: Math.min(doc.expiresAt, lastSeenAt + this.#o.idleTtlMs),
      lastSeenAt,
      mfaAt: doc.mfaAt ?? undefined,
      data: doc.data,
    };
  }

  #dataOf(data: unknown): { [key: string]: JsonValue } {
    if (data === undefined) return {};
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'session data must be a JSON object');
    }
    let text: string;
    try {
      text = JSON.stringify(data, (_k, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError('non-finite');
        if (typeof v === 'string' && !v.isWellFormed()) throw new TypeError('lone surrogate');
        return v;
      });
    } catch {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'session data must be plain JSON');
    }
    if (Buffer.byteLength(text, 'utf8') > this.#o.maxDataBytes) {
      throw accessErrors.create(
        'E_LIMIT_EXCEEDED',
        `session data is larger than ${this.#o.maxDataBytes} bytes`,
        {
          details: { limit: 'maxDataBytes', max: this.#o.maxDataBytes },
        },
      );
    }
    return JSON.parse(text) as { [key: string]: JsonValue };
  }

  async #entriesOf(principal: string) {
    const c = this.#store.collection<SessionDoc>(COLLECTION);
    const out: { key: string; value: SessionDoc; version: number }[] = [];
    let cursor: string | undefined;
    do {
      const page = await storageCall(() =>
        c.find('byPrincipal', {
          eq: principal,
          limit: 1000,
          ...(cursor !== undefined && { cursor }),
        }),
      );
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  /** Marks sessions revoked (one transaction per 500); returns the docs that were live. */
  async #revokeKeys(keys: readonly string[], reason: string): Promise<SessionDoc[]> {
    const now = this.#clock.now();
    const revoked: SessionDoc[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const done = await storageCall(() =>
        this.#store.transaction(
          async (tx) => {
            const c = tx.collection<SessionDoc>(COLLECTION);
            const out: SessionDoc[] = [];
            for (const key of chunk) {
              const current = await c.get(key);
              if (current === undefined || current.value.revokedAt !== null) continue;
              await c.put(
                key,
                { ...current.value, revokedAt: now, revokeReason: reason },
                { ifVersion: current.version },
              );
              out.push(current.value);
            }
            return out;
          },
          { retry: { attempts: 5 } },
        ),
      );
      revoked.push(...done);
      for (const key of chunk) this.#forget(key);
    }
    return revoked;
  }

  async #announce(revoked: readonly SessionDoc[], reason: string, actor: string | undefined) {
    const byPrincipal = new Map<string, string[]>();
    for (const d of revoked) {
      const list = byPrincipal.get(d.principal) ?? [];
      list.push(d.handle);
      byPrincipal.set(d.principal, list);
    }
    const at = this.#clock.now();
    for (const [principal, handles] of byPrincipal) {
      for (const handle of handles) {
        await this.#record({
          type: 'session.revoked',
          actor: actor ?? principal,
          subject: handle,
          outcome: 'success',
          data: { principal, reason },
        });
      }
      this.emit('session:revoked', { at, principal, sessions: handles, reason });
    }
  }

  #scheduleFlush(): void {
    if (this.#flushTimer?.active === true) return;
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush().catch((error: unknown) =>
        this.#logger.warn({ err: error }, 'writing session activity failed'),
      );
    }, this.#o.flushDelayMs);
  }

  async #writeTouches(batch: ReadonlyArray<readonly [string, number]>): Promise<void> {
    await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const c = tx.collection<SessionDoc>(COLLECTION);
          for (const [key, at] of batch) {
            const current = await c.get(key);
            if (current === undefined || current.value.revokedAt !== null) continue;
            if (current.value.lastSeenAt >= at) continue;
            await c.put(key, { ...current.value, lastSeenAt: at }, { ifVersion: current.version });
          }
        },
        { retry: { attempts: 5 } },
      ),
    );
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

interface ResolvedSessions extends Readonly<typeof DEFAULT_SESSIONS_OPTIONS> {
  readonly store: Store;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly audit?: AuditSink;
}

function resolveSessionsOptions(options: SessionsOptions): ResolvedSessions {
  const ms = (min: number) => check.number({ min, max: 10 * 365 * 86_400_000, integer: true });
  const o = resolveOptions<SessionsOptions, typeof DEFAULT_SESSIONS_OPTIONS>({
    package: '@plinth/access',
    owner: 'Sessions',
    spec: {
      store: {
        check: check.implementing<Store>('transaction', 'ensureCollections', 'collection', 'watch'),
        required: true,
      },
      ...COMMON_OPTION_CHECKS,
      prefix: check.string({ pattern: /^(?:[a-z][a-z0-9]{0,15}_)?$/ }),
      absoluteTtlMs: ms(1000),
      idleTtlMs: ms(1000),
      touchIntervalMs: ms(1),
      flushDelayMs: check.number({ min: 0, max: 60_000, integer: true }),
      cacheSize: check.number({ min: 0, max: 10_000_000, integer: true }),
      cacheTtlMs: check.number({ min: 0, max: 3_600_000, integer: true }),
      maxDataBytes: check.number({ min: 2, max: 1_048_576, integer: true }),
      watch: check.boolean(),
    },
    defaults: DEFAULT_SESSIONS_OPTIONS,
    input: options,
  });
  if (o.touchIntervalMs * 2 > o.idleTtlMs) {
    throw accessErrors.create(
      'E_INVALID_OPTION',
      'Sessions: touchIntervalMs must be at most idleTtlMs / 2',
      {
        details: { option: 'touchIntervalMs' },
      },
    );
  }
  return o as ResolvedSessions;
}
