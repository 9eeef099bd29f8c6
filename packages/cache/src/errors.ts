import { defineErrors } from '@plinth/core';

/** @plinth/cache's error catalogue. */
export const cacheErrors = defineErrors('@plinth/cache', {
  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },
  E_INVALID_OPTION: {
    description: 'An option (instance or per call) is unknown or has a wrong value.',
  },
  E_INVALID_KEY: {
    description:
      'A cache key is not a non-empty string of at most 1024 characters without control characters.',
  },
  E_NOT_SERIALIZABLE: {
    description:
      'A value cannot be serialized faithfully (BigInt, cycle, function, symbol, Map/Set, NaN/Infinity, undefined in an array).',
  },
  E_DESERIALIZE: {
    description:
      'An L2 entry could not be decoded (corrupt, foreign or written by another serializer).',
  },
  E_FACTORY_FAILED: {
    description:
      'The getOrSet factory threw (or a negatively cached failure was replayed); the original error is the cause.',
  },
  E_FACTORY_TIMEOUT: {
    description:
      'The getOrSet factory did not finish within hardTimeout and no stale value could be served.',
    retryable: true,
  },
  E_L2_UNAVAILABLE: {
    description:
      'The L2 store (or the bus) could not be reached: at connect(), or on a call with throwOnL2Error.',
    retryable: true,
  },
  E_DRIVER_MISSING: {
    description:
      'An optional driver (ioredis, @plinth/storage) is not installed; the message says what to install.',
  },
  E_CLOSED: { description: 'The cache was closed; it accepts no more calls.' },
});

export const ERROR_CODES = cacheErrors.codes;
export type CacheErrorCode = keyof typeof ERROR_CODES;
