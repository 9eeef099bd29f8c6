import { isPlinthError } from '@plinth/core';
import type { CacheNamespace, Factory } from '@plinth/cache';

/** `getOrSet` that rethrows the factory's own error (a 404 stays a 404, not a cache error). */
export async function cached<T>(ns: CacheNamespace, key: string, factory: Factory<T>): Promise<T> {
  try {
    return await ns.getOrSet(key, factory);
  } catch (error) {
    if (isPlinthError(error, 'E_FACTORY_FAILED') && error.cause !== undefined) throw error.cause;
    throw error;
  }
}
