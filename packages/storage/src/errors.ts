import { defineErrors } from '@plinth/core';

/** `@plinth/storage`'s error catalogue. */
export const storageErrors = defineErrors('@plinth/storage', {
  E_INVALID_OPTION: {
    description: 'An option of openStore() or an adapter factory is missing, unknown or invalid.',
  },
  E_INVALID_KEY: {
    description:
      'A key is empty, longer than 1024 UTF-8 bytes, not a string, or holds a lone surrogate.',
  },
  E_INVALID_ARGUMENT: {
    description:
      'An argument has the wrong type: options that are not an object, a callback that is not a function.',
  },
  E_INVALID_VALUE: {
    description:
      'A value cannot be stored: not a plain JSON object (collections), not bytes/string/number (KV), a cycle, a BigInt, a function, NaN/Infinity, or a U+0000 character in a document.',
  },
  E_LIMIT_EXCEEDED: {
    description:
      'A document nests deeper than the storage depth bound (`details.limit: "maxDepth"`, 256 levels). Nothing was written.',
  },
  E_SCHEMA_VIOLATION: {
    description: "A document does not satisfy its collection's schema. Nothing was written.",
  },
  E_UNKNOWN_COLLECTION: {
    description: 'The collection was not declared when the store was opened.',
  },
  E_UNKNOWN_INDEX: { description: 'The index was not declared on the collection.' },
  E_INVALID_QUERY: {
    description: 'A scan or index query is malformed (bad bounds, limit or cursor).',
  },
  E_CONFLICT: {
    description:
      'A conditional write or a transaction lost a race: a record it depended on changed. Retry.',
    retryable: true,
  },
  E_UNIQUE_VIOLATION: {
    description:
      'A write would give two records the same value on a unique index. Nothing was written.',
  },
  E_BUSY: {
    description: 'The database stayed locked by another process past the busy timeout.',
    retryable: true,
  },
  E_TRANSACTION: {
    description:
      'A transaction handle was used after its transaction ended, or transactions were misused.',
  },
  E_DECRYPT: {
    description:
      'A value could not be decrypted: its key id is not in the keyring, or the key is wrong, or the data was tampered with.',
  },
  E_CODEC: { description: 'A stored value or codec envelope is malformed.' },
  E_BACKUP_INVALID: {
    description:
      'A backup is truncated, corrupted (checksum mismatch) or of an unknown format version.',
  },
  E_RESTORE_TARGET_NOT_EMPTY: { description: 'A restore target already holds records.' },
  E_DRIVER_MISSING: {
    description:
      'The adapter needs a driver package that is not installed (the message says which).',
  },
  E_ADAPTER: {
    description: 'The storage engine failed; the driver error is the cause.',
    retryable: false,
  },
  E_CLOSED: { description: 'The store was closed.' },
});

/** The codes `@plinth/storage` raises, e.g. `ERROR_CODES.E_CONFLICT`. */
export const ERROR_CODES = storageErrors.codes;
export type StorageErrorCode = keyof typeof ERROR_CODES;
