import { promotionErrors } from '../errors.js';
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

/** A required non-empty string argument. */
export function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw promotionErrors.create('E_INVALID_ARGUMENT', `${what} must be a non-empty string`, {
      details: { argument: what },
    });
  }
  return value;
}
