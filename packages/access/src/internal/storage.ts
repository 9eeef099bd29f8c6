import { isPlinthError } from '@plinth/core';
import { accessErrors } from '../errors.js';

/**
 * Runs a storage call; Plinth errors of this package pass through, a lost compare-and-set race
 * becomes `E_CONFLICT`, and anything else from the storage layer is wrapped as `E_STORAGE`.
 */
export async function storageCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (accessErrors.is(error)) throw error;
    if (isPlinthError(error, 'E_CONFLICT')) {
      throw accessErrors.create('E_CONFLICT', 'a concurrent change won; retry', { cause: error });
    }
    throw accessErrors.create(
      'E_STORAGE',
      `storage failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}
