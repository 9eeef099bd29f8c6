import { cacheErrors } from './errors.js';
import type { Serializer } from './types.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function unfaithful(what: string, path: string): never {
  throw cacheErrors.create(
    'E_NOT_SERIALIZABLE',
    `value cannot be stored as JSON faithfully: ${what} at ${path || '(root)'}`,
    { details: { path: path || '(root)', what } },
  );
}

/** JSON.stringify would silently drop or change these; the replacer refuses them instead. */
function replacer(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) unfaithful(String(value), key);
      return value;
    case 'bigint':
      return unfaithful('a BigInt', key);
    case 'function':
      return unfaithful('a function', key);
    case 'symbol':
      return unfaithful('a symbol', key);
    case 'undefined':
      if (Array.isArray(this)) unfaithful('undefined in an array', key);
      return value;
    case 'object':
      if (value instanceof Map || value instanceof Set) unfaithful(value.constructor.name, key);
      return value;
    default:
      return value;
  }
}

/**
 * The default serializer: JSON, strict. Values JSON would corrupt (NaN, BigInt, Map, Set,
 * functions, cycles, `undefined` in arrays) are refused with `E_NOT_SERIALIZABLE` instead of
 * being stored mangled. Dates become ISO strings, as in JSON.
 */
export const jsonSerializer: Serializer = Object.freeze({
  name: 'json',
  serialize(value: unknown): string {
    let out: string | undefined;
    try {
      out = JSON.stringify(value, replacer);
    } catch (error) {
      if (cacheErrors.is(error)) throw error;
      throw cacheErrors.create(
        'E_NOT_SERIALIZABLE',
        `value cannot be stored as JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (out === undefined) unfaithful(`a value of type ${typeof value}`, '');
    return out;
  },
  deserialize(data: Uint8Array): unknown {
    return JSON.parse(decoder.decode(data));
  },
});
