/**
 * Argument checks and small constructors of the sessions component: every bad argument becomes
 * a typed error of the package here, before anything is read or written.
 */
import { checkName } from '@plinth/core';
import { accessErrors } from '../errors.js';
import { DEFAULT_ACCESS_LIMITS } from '../options.js';
import { randomToken, sha256Hex } from './secrets.js';

/** Why `validate` refused (`details.reason` of `E_UNAUTHENTICATED`). */
export type SessionRefusal =
  'malformed' | 'unknown' | 'expired' | 'idle' | 'revoked' | 'rotated' | 'mfa-required';

export function newId(prefix: string): { id: string; key: string; handle: string } {
  const id = `${prefix}${randomToken(32)}`;
  const key = sha256Hex(id);
  return { id, key, handle: key.slice(0, 24) };
}

export function refusal(reason: SessionRefusal) {
  const messages: Record<SessionRefusal, string> = {
    malformed: 'the session id is malformed',
    unknown: 'no such session',
    expired: 'the session expired',
    idle: 'the session expired after inactivity',
    revoked: 'the session was revoked',
    rotated: 'the session id was replaced by a newer one',
    'mfa-required': 'this action needs a recent MFA check',
  };
  return accessErrors.create('E_UNAUTHENTICATED', messages[reason], { details: { reason } });
}

export function principalOf(value: unknown): string {
  try {
    return checkName(value, {
      what: 'principal id',
      maxLength: DEFAULT_ACCESS_LIMITS.maxNameLength,
      package: '@plinth/access',
    });
  } catch (error) {
    if (accessErrors.is(error)) throw error;
    throw accessErrors.create('E_INVALID_NAME', 'principal id breaks the name policy', {
      cause: error,
    });
  }
}

export function objectOf<T extends object>(value: T | undefined, what: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw accessErrors.create('E_INVALID_ARGUMENT', `${what} must be an object`);
  }
  return value;
}

export function mfaOf(value: unknown, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > now) {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'mfaAt must be an epoch ms not in the future');
  }
  return value;
}

export function reasonOf(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(value)) {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'reason must match [a-z][a-z0-9-]{0,63}');
  }
  return value;
}

export function sourceOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw accessErrors.create(
      'E_INVALID_ARGUMENT',
      'source must be a string of 1 to 256 characters',
    );
  }
  try {
    return checkName(value, { what: 'source', package: '@plinth/access' });
  } catch (error) {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'source must be printable', { cause: error });
  }
}
