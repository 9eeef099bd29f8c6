/**
 * What the components of the package share: the option checks every one of them takes
 * (`store`, `clock`, `logger`, `audit`), principal id checks, and an audit hand-off that never
 * lets a secret through.
 */
import {
  check,
  checkName,
  isPlinthError,
  type Clock,
  type Logger,
  type TypedEmitter,
} from '@plinth/core';
import type { Store } from '@plinth/storage';
import { accessErrors } from '../errors.js';
import { DEFAULT_ACCESS_LIMITS } from '../options.js';
import type { AccessEvents } from '../events.js';
import type { Throttle } from '../throttle.js';
import type { AuditRecordInput, AuditSink } from '../types.js';

export const PACKAGE = '@plinth/access';

/** Option checks of `clock`, `logger` and `audit`, which every component takes. */
export const COMMON_OPTION_CHECKS = {
  clock: check.implementing<Clock>('now', 'setTimeout', 'setInterval'),
  logger: check.implementing<Logger>('info', 'warn', 'error', 'child'),
  audit: check.implementing<AuditSink>('append'),
};

/** A principal id under the one name policy, or `E_INVALID_NAME` (typed, from this package). */
export function checkPrincipalId(value: unknown): string {
  return checkName(value, {
    what: 'principal id',
    package: PACKAGE,
    maxLength: DEFAULT_ACCESS_LIMITS.maxNameLength,
  });
}

/** Throws `E_INVALID_OPTION` naming `store` unless it looks like a `@plinth/storage` Store. */
export function checkStoreOption(owner: string, store: unknown): Store {
  const s = store as Partial<Store> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.transaction !== 'function' ||
    typeof s.ensureCollections !== 'function' ||
    typeof s.collection !== 'function'
  ) {
    throw accessErrors.create(
      'E_INVALID_OPTION',
      `${owner}: \`store\` must be a @plinth/storage Store`,
      {
        details: { option: 'store' },
      },
    );
  }
  return s as Store;
}

/** Throws `E_INVALID_OPTION` naming `audit` unless it has `append()`. */
export function checkAuditOption(owner: string, audit: unknown): AuditSink | undefined {
  if (audit === undefined) return undefined;
  if (
    typeof audit !== 'object' ||
    audit === null ||
    typeof (audit as AuditSink).append !== 'function'
  ) {
    throw accessErrors.create(
      'E_INVALID_OPTION',
      `${owner}: \`audit\` must have an append() method`,
      {
        details: { option: 'audit' },
      },
    );
  }
  return audit as AuditSink;
}

/** An optional `source` (IP address or host-given origin) for audit records and throttling. */
export function checkSource(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return checkName(value, { what: 'source', package: PACKAGE, maxLength: 256 });
}

/** Appends to the audit sink when there is one; a failing sink becomes `E_STORAGE`. */
export async function appendAudit(
  audit: AuditSink | undefined,
  record: AuditRecordInput,
): Promise<void> {
  if (audit === undefined) return;
  try {
    await audit.append(record);
  } catch (error) {
    if (isPlinthError(error)) throw error;
    throw accessErrors.create('E_STORAGE', 'the audit sink failed', { cause: error });
  }
}

/** Throttle keys of a second-factor attempt: the principal's, and the source's when known. */
export function mfaThrottleKeys(principal: string, source: string | undefined): string[] {
  return source === undefined ? [`mfa:${principal}`] : [`mfa:${principal}`, `source:${source}`];
}

/** What a refused second-factor attempt leaves behind: a counted failure, an event, a record. */
export async function recordMfaFailure(
  emitter: TypedEmitter<AccessEvents>,
  throttle: Throttle,
  audit: AuditSink | undefined,
  attempt: {
    readonly at: number;
    readonly principal: string;
    readonly source: string | undefined;
    readonly factor: 'totp' | 'recovery';
    readonly keys: readonly string[];
    readonly reason: string;
  },
): Promise<void> {
  const { at, principal, source, factor, reason } = attempt;
  await throttle.fail(attempt.keys);
  emitter.emit('mfa:failed', { at, principal, reason });
  await appendAudit(audit, {
    type: 'mfa.failed',
    actor: principal,
    subject: principal,
    outcome: 'failure',
    ...(source !== undefined && { source }),
    data: { factor, reason },
  });
}
