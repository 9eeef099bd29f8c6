import { describeValue } from '@plinth/core';
import { storageErrors } from '../errors.js';

/** The options object of a call (`{}` when not given); anything else is `E_INVALID_ARGUMENT`. */
export function optionsOf<T extends object>(value: T | undefined, method: string): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw storageErrors.create(
      'E_INVALID_ARGUMENT',
      `${method}(): options must be an object, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A callback argument; anything else is `E_INVALID_ARGUMENT`. */
export function callbackOf<F>(value: F, method: string): F {
  if (typeof value !== 'function') {
    throw storageErrors.create(
      'E_INVALID_ARGUMENT',
      `${method}() needs a function, got ${describeValue(value)}`,
    );
  }
  return value;
}
