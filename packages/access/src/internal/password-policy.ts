/**
 * The password policy (NFKC, length in code points and UTF-8 bytes, well-formed text) and the
 * argument checks of the passwords component.
 */
import { checkName } from '@plinth/core';
import { accessErrors } from '../errors.js';
import { DEFAULT_ACCESS_LIMITS } from '../options.js';

const PRINCIPAL_LIMIT = DEFAULT_ACCESS_LIMITS.maxNameLength;
const MAX_SOURCE_LENGTH = 256;

/** A password as the hasher gets it, or the rule it breaks. */
export type Prepared = { readonly text: string } | { readonly rule: string };

export function prepare(password: string, minLength: number, maxBytes: number): Prepared {
  // UTF-8 never takes fewer bytes than UTF-16 code units: this bounds the work of normalising.
  if (password.length > maxBytes) return { rule: 'max-length' };
  if (!password.isWellFormed()) return { rule: 'characters' };
  const text = password.normalize('NFKC');
  if (Buffer.byteLength(text, 'utf8') > maxBytes) return { rule: 'max-length' };
  let count = 0;
  for (const _ of text) count++;
  if (count < minLength) return { rule: 'min-length' };
  return { text };
}

export function principalOf(value: unknown, what = 'principal id'): string {
  try {
    return checkName(value, { what, maxLength: PRINCIPAL_LIMIT, package: '@plinth/access' });
  } catch (error) {
    if (accessErrors.is(error)) throw error;
    throw accessErrors.create('E_INVALID_NAME', `${what} breaks the name policy`, { cause: error });
  }
}

export function validName(value: string): string | undefined {
  try {
    return checkName(value, { maxLength: PRINCIPAL_LIMIT });
  } catch {
    return undefined;
  }
}

export function sourceOf(options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'verifyPassword options must be an object');
  }
  const source = (options as { source?: unknown }).source;
  if (source === undefined) return undefined;
  if (
    typeof source !== 'string' ||
    source.length > MAX_SOURCE_LENGTH ||
    validName(source) === undefined
  ) {
    throw accessErrors.create(
      'E_INVALID_ARGUMENT',
      `source must be a printable string of at most ${MAX_SOURCE_LENGTH} characters`,
    );
  }
  return source;
}

export function lockedKind(key: string | undefined): string {
  return key === undefined ? 'unknown' : key.slice(0, key.indexOf(':'));
}

export function policyMessage(rule: string): string {
  switch (rule) {
    case 'min-length':
      return 'the password is too short';
    case 'max-length':
      return 'the password is too long';
    default:
      return 'the password holds unpaired surrogate characters';
  }
}
