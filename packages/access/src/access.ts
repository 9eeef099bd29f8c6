/**
 * The whole package wired together on one store: directory, passwords, sessions, API keys, TOTP,
 * recovery codes, optional signed access tokens, the audit log every component writes to, and
 * `authorize()`. Each part stays usable on its own; `Access` adds the flows that span several:
 * a login that asks for a second factor when one is enrolled, `authenticate()` that takes any
 * credential a request carries, and authorization that honours API-key scopes and the session's
 * MFA time.
 */
import {
  closeAll,
  isPlinthError,
  noopLogger,
  systemClock,
  type Clock,
  type Logger,
} from '@plinth/core';
import type { CedarJsonValue, EntityRef } from '@plinth/policy';
import type { Store } from '@plinth/storage';
import { ApiKeys, scopesAllow, type ApiKeysOptions } from './api-keys.js';
import { AuditLog, type AuditLogOptions } from './audit-log.js';
import { AccessControl, type AccessDecision, type AccessPolicies } from './authorize.js';
import { Directory, type DirectoryOptions } from './directory.js';
import { accessErrors } from './errors.js';
import { Passwords, type PasswordsOptions } from './passwords.js';
import { RecoveryCodes, type RecoveryCodesOptions } from './recovery-codes.js';
import { Sessions, type IssuedSession, type Session, type SessionsOptions } from './sessions.js';
import { Throttle, type ThrottleRule } from './throttle.js';
import { Tokens, type TokensOptions } from './tokens.js';
import { Totp, type TotpOptions } from './totp.js';
import type { AuditSink } from './types.js';

type Own<T> = Omit<T, 'store' | 'clock' | 'logger' | 'audit' | 'throttle'>;

export interface AccessOptions {
  /** An open `@plinth/storage` store: every part keeps its state there. */
  readonly store: Store;
  /** The Cedar policy set `authorize()` decides with (replace it with `control.swap`). */
  readonly policies: AccessPolicies;
  /**
   * The audit log: options of {@link AuditLog} (give `signingKey` for signed checkpoints), an
   * existing sink, or `false` for none. @default an AuditLog named 'default' without checkpoints
   */
  readonly audit?: Own<AuditLogOptions> | AuditSink | false;
  /** Failure limits shared by passwords, TOTP and recovery codes. @default DEFAULT_THROTTLE_RULES */
  readonly throttle?: { readonly [kind: string]: Partial<ThrottleRule> };
  readonly directory?: Own<DirectoryOptions>;
  readonly passwords?: Own<PasswordsOptions>;
  readonly sessions?: Own<SessionsOptions>;
  readonly apiKeys?: Own<ApiKeysOptions>;
  readonly totp?: Own<TotpOptions>;
  readonly recoveryCodes?: Own<RecoveryCodesOptions>;
  /** Signed access tokens (JWT); only when given. */
  readonly tokens?: Omit<TokensOptions, 'clock' | 'logger'>;
  /** Near misses on denials. @default true */
  readonly explain?: boolean;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
}

/** Who is calling, as {@link Access.authenticate} established it. */
export interface Caller {
  readonly principalId: string;
  readonly via: 'session' | 'apikey' | 'token';
  /** For an API key: the scopes it carries (authorization is limited to them). */
  readonly scopes?: readonly string[];
  /** When the caller last passed MFA (sessions; tokens with an `mfa_at` claim). */
  readonly mfaAt?: number;
  readonly session?: Session;
  readonly keyId?: string;
}

/** What {@link Access.login} answers. */
export type LoginResult =
  | { readonly status: 'ok'; readonly session: IssuedSession }
  /** The password was right and a TOTP is enrolled: call `login` again with `totp` (or `recoveryCode`). */
  | { readonly status: 'mfa-required' };

export class Access {
  readonly directory: Directory;
  readonly passwords: Passwords;
  readonly sessions: Sessions;
  readonly apiKeys: ApiKeys;
  readonly totp: Totp;
  readonly recoveryCodes: RecoveryCodes;
  readonly tokens: Tokens | undefined;
  /** The audit log, when this instance opened one. */
  readonly audit: AuditLog | undefined;
  readonly control: AccessControl;
  readonly throttle: Throttle;
  readonly #clock: Clock;
  readonly #owned: { close(): Promise<void> }[];
  #closed = false;

  private constructor(parts: {
    directory: Directory;
    passwords: Passwords;
    sessions: Sessions;
    apiKeys: ApiKeys;
    totp: Totp;
    recoveryCodes: RecoveryCodes;
    tokens: Tokens | undefined;
    audit: AuditLog | undefined;
    control: AccessControl;
    throttle: Throttle;
    clock: Clock;
  }) {
    this.directory = parts.directory;
    this.passwords = parts.passwords;
    this.sessions = parts.sessions;
    this.apiKeys = parts.apiKeys;
    this.totp = parts.totp;
    this.recoveryCodes = parts.recoveryCodes;
    this.tokens = parts.tokens;
    this.audit = parts.audit;
    this.control = parts.control;
    this.throttle = parts.throttle;
    this.#clock = parts.clock;
    // Closed in reverse: the audit log last, so the others' final records reach it.
    this.#owned = [
      ...(parts.audit === undefined ? [] : [parts.audit]),
      parts.directory,
      parts.passwords,
      parts.sessions,
      parts.apiKeys,
      parts.totp,
      parts.recoveryCodes,
      ...(parts.tokens === undefined ? [] : [parts.tokens]),
    ];
  }

  /** Opens every part on `options.store`. If one fails to open, those already open are closed. */
  static async open(options: AccessOptions): Promise<Access> {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.store?.ensureCollections !== 'function'
    ) {
      throw accessErrors.create('E_INVALID_OPTION', 'Access needs { store, policies }', {
        details: { option: 'store' },
      });
    }
    const { store } = options;
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? noopLogger;
    const opened: { close(): Promise<void> }[] = [];
    const track = <T extends { close(): Promise<void> }>(x: T): T => {
      opened.push(x);
      return x;
    };
    try {
      let auditLog: AuditLog | undefined;
      let sink: AuditSink | undefined;
      if (options.audit !== false) {
        const a = options.audit;
        if (a !== undefined && typeof (a as AuditSink).append === 'function') sink = a as AuditSink;
        else {
          auditLog = track(
            await AuditLog.open({
              ...(a as Own<AuditLogOptions> | undefined),
              store,
              clock,
              logger,
            }),
          );
          sink = auditLog;
        }
      }
      const common = { store, clock, logger, ...(sink === undefined ? {} : { audit: sink }) };
      const throttle = await Throttle.open({
        store,
        clock,
        ...(options.throttle === undefined ? {} : { rules: options.throttle }),
      });
      const directory = track(await Directory.open({ ...options.directory, ...common }));
      const passwords = track(await Passwords.open({ ...options.passwords, ...common, throttle }));
      const sessions = track(await Sessions.open({ ...options.sessions, ...common }));
      const apiKeys = track(await ApiKeys.open({ ...options.apiKeys, ...common }));
      const totp = track(await Totp.open({ ...options.totp, ...common, throttle }));
      const recoveryCodes = track(
        await RecoveryCodes.open({ ...options.recoveryCodes, ...common, throttle }),
      );
      const tokens =
        options.tokens === undefined
          ? undefined
          : track(await Tokens.open({ ...options.tokens, clock, logger }));
      const control = new AccessControl({
        directory,
        policies: options.policies,
        clock,
        logger,
        ...(options.explain === undefined ? {} : { explain: options.explain }),
        ...(sink === undefined ? {} : { audit: sink }),
      });
      return new Access({
        directory,
        passwords,
        sessions,
        apiKeys,
        totp,
        recoveryCodes,
        tokens,
        audit: auditLog,
        control,
        throttle,
        clock,
      });
    } catch (error) {
      await closeAll(opened).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Password login, with the second factor when the principal has a confirmed TOTP: without
   * `totp` (or `recoveryCode`) the answer is `mfa-required` and no session is made. A principal
   * unknown to the directory or disabled fails exactly like a wrong password.
   */
  async login(
    principalId: string,
    password: string,
    options: {
      readonly source?: string;
      readonly totp?: string;
      readonly recoveryCode?: string;
      readonly data?: Session['data'];
    } = {},
  ): Promise<LoginResult> {
    const source = options.source === undefined ? {} : { source: options.source };
    await this.passwords.verifyPassword(principalId, password, source);
    const principal = this.directory.getPrincipal(principalId);
    if (principal === undefined || principal.disabled || principal.kind === 'group') {
      throw accessErrors.create('E_INVALID_CREDENTIALS', 'invalid credentials');
    }
    let mfaAt: number | undefined;
    const enrolled = (await this.totp.status(principalId))?.confirmed === true;
    if (enrolled) {
      if (options.totp !== undefined) await this.totp.verify(principalId, options.totp, source);
      else if (options.recoveryCode !== undefined)
        await this.recoveryCodes.use(principalId, options.recoveryCode, source);
      else return { status: 'mfa-required' };
      mfaAt = this.#clock.now();
    }
    const session = await this.sessions.create(principalId, {
      ...source,
      ...(mfaAt === undefined ? {} : { mfaAt }),
      ...(options.data === undefined ? {} : { data: options.data }),
    });
    return { status: 'ok', session };
  }

  /**
   * Establishes the caller from the credential a request carries: a session id, an API key or
   * (when tokens are configured) a signed access token, told apart by their shape. Anything
   * else, and a credential of a principal the directory does not hold or has disabled, is
   * `E_UNAUTHENTICATED`; the part's own error (`E_API_KEY_INVALID`, `E_TOKEN_INVALID`) is kept
   * as the cause.
   */
  async authenticate(
    credential: unknown,
    options: { readonly source?: string } = {},
  ): Promise<Caller> {
    if (typeof credential !== 'string' || credential.length === 0 || credential.length > 4096) {
      throw accessErrors.create('E_UNAUTHENTICATED', 'no usable credential', {
        details: { reason: 'malformed' },
      });
    }
    let caller: Caller;
    try {
      if (credential.startsWith(`${this.apiKeys.prefix}_`)) {
        const key = await this.apiKeys.verify(
          credential,
          options.source === undefined ? {} : { source: options.source },
        );
        caller = {
          principalId: key.principalId,
          via: 'apikey',
          scopes: key.scopes,
          keyId: key.keyId,
        };
      } else if (this.tokens !== undefined && credential.split('.').length === 3) {
        const token = await this.tokens.verify(credential);
        const sub = token.payload.sub;
        if (typeof sub !== 'string') {
          throw accessErrors.create('E_TOKEN_INVALID', 'the token names no subject', {
            details: { reason: 'claims' },
          });
        }
        const mfa = token.payload.mfa_at;
        caller = {
          principalId: sub,
          via: 'token',
          ...(typeof mfa === 'number' ? { mfaAt: mfa * 1000 } : {}),
        };
      } else {
        const session = await this.sessions.validate(credential);
        caller = {
          principalId: session.principalId,
          via: 'session',
          session,
          ...(session.mfaAt === undefined ? {} : { mfaAt: session.mfaAt }),
        };
      }
    } catch (error) {
      if (isPlinthError(error, 'E_UNAUTHENTICATED')) throw error;
      if (isPlinthError(error, ['E_API_KEY_INVALID', 'E_TOKEN_INVALID'])) {
        throw accessErrors.create('E_UNAUTHENTICATED', 'the credential was refused', {
          cause: error,
          details: {
            reason: (error.details as { reason?: string } | undefined)?.reason ?? 'refused',
          },
        });
      }
      throw error;
    }
    const principal = this.directory.getPrincipal(caller.principalId);
    if (principal === undefined || principal.disabled) {
      throw accessErrors.create('E_UNAUTHENTICATED', 'the credential was refused', {
        details: { reason: 'principal' },
      });
    }
    return caller;
  }

  /**
   * Decides a request of an authenticated caller (or a principal id): Cedar's decision over the
   * directory, obligations included, the caller's MFA time for `@requireMfa`, and for an API key
   * its scopes: an action outside them is denied whatever the policies say.
   */
  authorize(
    caller: Caller | string,
    action: string,
    resource: EntityRef,
    options: {
      readonly context?: { readonly [name: string]: CedarJsonValue };
      readonly source?: string;
    } = {},
  ): AccessDecision {
    const c: Caller = typeof caller === 'string' ? { principalId: caller, via: 'session' } : caller;
    const decision = this.control.authorize({
      principal: c.principalId,
      action,
      resource,
      ...(options.context === undefined ? {} : { context: options.context }),
      ...(c.mfaAt === undefined ? {} : { mfaAt: c.mfaAt }),
      ...(options.source === undefined ? {} : { source: options.source }),
    });
    if (decision.allowed && c.scopes !== undefined && !scopesAllow(c.scopes, action)) {
      return { ...decision, decision: 'deny', allowed: false, reason: 'scope' };
    }
    return decision;
  }

  /** Closes every part this instance opened (pending audit records and counters are written). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeAll(this.#owned);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
