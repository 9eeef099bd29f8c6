import { checkName, isPlinthError, printableName } from '@plinth/core';
import { promotionErrors } from '../errors.js';

/** A value as short, safe text for messages and details (never throws, never walks deep). */
export function shown(value: unknown): string {
  if (typeof value === 'string') return printableName(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') {
    return String(value);
  }
  return typeof value === 'bigint' ? `${value}n` : typeof value;
}
import type { Principal } from '../types.js';

/** The principal of automatic requests (auto-promotion). */
export const SYSTEM: Principal = Object.freeze({ id: 'plinth:auto' });
const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous' });

/** Checks a principal argument; undefined means anonymous. */
export function principalOf(p: Principal | undefined): Principal {
  if (p === undefined) return ANONYMOUS;
  if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || p.id.length === 0) {
    throw promotionErrors.create('E_INVALID_ARGUMENT', 'a principal needs a non-empty string id');
  }
  return p;
}

/**
 * A required non-empty string argument (names and ids): core's name policy applies, so no
 * control, bidi or invisible character and no lone surrogate reaches storage or the logs.
 */
export function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw promotionErrors.create('E_INVALID_ARGUMENT', `${what} must be a non-empty string`, {
      details: { argument: what },
    });
  }
  try {
    return checkName(value, { what, package: '@plinth/promotion' });
  } catch (error) {
    if (!isPlinthError(error, 'E_INVALID_NAME')) throw error;
    throw promotionErrors.create('E_INVALID_ARGUMENT', error.message.replace(/^\[[^\]]*\] /, ''), {
      details: { argument: what, ...error.details },
      cause: error,
    });
  }
}
