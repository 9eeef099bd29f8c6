import { checkName, describeValue, type PlinthError } from '@plinth/core';
import { cacheErrors } from '../errors.js';

/** Separates namespace path segments and the key in local keys; forbidden in keys. */
export const SEP = '\u001f';
/** Local key prefix of tag invalidation marks (no namespace can start with SEP). */
export const TAG_PREFIX = `${SEP}#tag${SEP}`;
/** Local key prefix of cross-instance locks. */
export const LOCK_PREFIX = `${SEP}#lock${SEP}`;

export const MAX_KEY_LENGTH = 1024;

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Throws `E_INVALID_KEY` unless `key` is a valid cache key. */
export function checkKey(key: unknown): asserts key is string {
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    key.length > MAX_KEY_LENGTH ||
    hasControl(key)
  ) {
    throw cacheErrors.create(
      'E_INVALID_KEY',
      `cache keys must be non-empty strings of at most ${MAX_KEY_LENGTH} characters without control characters, got ${describeValue(key)}`,
      { details: { type: typeof key, length: typeof key === 'string' ? key.length : undefined } },
    );
  }
}

const NAME = /^[A-Za-z0-9_.:@/-]{1,128}$/;

/** Namespace names: 1–128 of `A-Z a-z 0-9 _ . : @ / -`. */
export function checkNamespace(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw cacheErrors.create(
      'E_INVALID_ARGUMENT',
      `namespace names must match ${String(NAME)}, got ${describeValue(name)}`,
    );
  }
}

/**
 * Tags are names under the name policy of `@plinth/core` (NFC, no control, bidi or zero-width
 * characters), of at most 256 code points: a tag shows up in invalidation events and logs.
 */
export function checkTags(tags: unknown, what = 'tags'): asserts tags is readonly string[] {
  if (!Array.isArray(tags)) {
    throw cacheErrors.create('E_INVALID_ARGUMENT', `${what} must be an array of tag names`);
  }
  for (const tag of tags as unknown[]) {
    try {
      checkName(tag, { what: 'tag', maxLength: 256, package: '@plinth/cache' });
    } catch (error) {
      const e = error as PlinthError;
      throw cacheErrors.create(
        'E_INVALID_ARGUMENT',
        `${what}: ${e.message.replace(/^\[@plinth\/cache\] /, '')}`,
        { details: e.details, cause: error },
      );
    }
  }
}
