import { storageErrors } from '../errors.js';

/** A value as short, safe text for messages (never throws, never walks a deep value). */
export function text(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') {
    return String(value);
  }
  return typeof value === 'bigint' ? `${value}n` : typeof value;
}

/** The options object of a call (`{}` when not given); anything else is `E_INVALID_ARGUMENT`. */
export function optionsOf<T extends object>(value: T | undefined, method: string): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw storageErrors.create(
      'E_INVALID_ARGUMENT',
      `${method}(): options must be an object, got ${text(value)}`,
    );
  }
  return value;
}

/** A callback argument; anything else is `E_INVALID_ARGUMENT`. */
export function callbackOf<F>(value: F, method: string): F {
  if (typeof value !== 'function') {
    throw storageErrors.create(
      'E_INVALID_ARGUMENT',
      `${method}() needs a function, got ${text(value)}`,
    );
  }
  return value;
}
