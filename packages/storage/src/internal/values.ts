import { limitExceeded } from '@plinth/core';
import { ValueFormat } from '../adapter.js';
import { storageErrors } from '../errors.js';
import type { Document, KvValue } from '../types.js';

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof value === 'string') return `a string`;
  return typeof value === 'bigint' ? 'a BigInt' : String(value);
}

/** Throws E_INVALID_KEY unless `key` is a non-empty, well-formed string of ≤ 1024 UTF-8 bytes. */
export function checkKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string') {
    throw storageErrors.create('E_INVALID_KEY', `${what} must be a string, got ${describe(key)}`, {
      details: { what },
    });
  }
  if (key.length === 0) {
    throw storageErrors.create('E_INVALID_KEY', `${what} must not be empty`, { details: { what } });
  }
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw storageErrors.create(
      'E_INVALID_KEY',
      `${what} is ${Buffer.byteLength(key)} UTF-8 bytes; the limit is ${MAX_KEY_BYTES}`,
      { details: { what, bytes: Buffer.byteLength(key), limit: MAX_KEY_BYTES } },
    );
  }
  if (!key.isWellFormed()) {
    throw storageErrors.create(
      'E_INVALID_KEY',
      `${what} contains a lone surrogate (not valid UTF-8)`,
      {
        details: { what },
      },
    );
  }
}

function invalidValue(path: string, message: string): never {
  throw storageErrors.create('E_INVALID_VALUE', `${message} at "${path || '/'}"`, {
    details: { path },
  });
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Validates a document and returns a deep copy of it, frozen when `freeze` is set. The copy
 * drops `undefined` properties (as JSON does). Everything JSON cannot store faithfully is an
 * `E_INVALID_VALUE` naming the JSON pointer: functions, symbols, BigInt, NaN/±Infinity,
 * `undefined` in arrays, class instances (Date, Map…), cycles, and U+0000 in strings (which
 * PostgreSQL's jsonb cannot hold, so no adapter accepts it).
 */
export function copyDocument(doc: unknown, freeze: boolean): Document {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !isPlainObject(doc)) {
    throw storageErrors.create(
      'E_INVALID_VALUE',
      `a document must be a plain JSON object, got ${describe(doc)}`,
      { details: { path: '' } },
    );
  }
  return copy(doc, undefined, new Set(), freeze) as Document;
}

/**
 * Validates a document by the rules of {@link copyDocument} without copying it (for adapters that
 * store JSON text: the text is the copy). On any doubt the precise error comes from
 * `copyDocument`, which names the JSON pointer.
 */
export function checkDocument(doc: unknown): asserts doc is Document {
  if (
    typeof doc !== 'object' ||
    doc === null ||
    Array.isArray(doc) ||
    !isPlainObject(doc) ||
    !valid(doc, [])
  ) {
    copyDocument(doc, false);
  }
}

function valid(value: unknown, stack: object[]): boolean {
  switch (typeof value) {
    case 'string':
      return !value.includes('\u0000') && value.isWellFormed();
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (stack.includes(value) || stack.length >= MAX_DEPTH) return false;
  stack.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined || !valid(item, stack)) return false;
    }
  } else {
    if (!isPlainObject(value)) return false;
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      if (k.includes('\u0000') || !valid(v, stack)) return false;
    }
  }
  stack.pop();
  return true;
}

/** Where a value sits, built into a JSON pointer only when an error needs it. */
interface Step {
  readonly parent: Step | undefined;
  readonly key: string | number;
}

function pointer(at: Step | undefined): string {
  const parts: string[] = [];
  for (let s = at; s !== undefined; s = s.parent) {
    parts.push(String(s.key).replace(/~/g, '~0').replace(/\//g, '~1'));
  }
  return parts.length === 0 ? '' : `/${parts.reverse().join('/')}`;
}

/**
 * Deepest document nesting stored (copying and every codec recurse over documents, so a
 * document nested 100,000 levels deep is refused with `E_LIMIT_EXCEEDED` instead of
 * overflowing the stack). Above core's shared `maxDepth` (64): a store holds other packages'
 * documents, which check their own, lower limits.
 */
export const MAX_DEPTH = 256;

function copy(value: unknown, at: Step | undefined, stack: Set<object>, freeze: boolean): unknown {
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000')) invalidValue(pointer(at), 'strings must not contain U+0000');
      if (!value.isWellFormed()) {
        invalidValue(pointer(at), 'strings must not contain lone surrogates');
      }
      return value;
    case 'number':
      if (!Number.isFinite(value)) invalidValue(pointer(at), `${value} is not a JSON number`);
      return value === 0 ? 0 : value; // -0 is stored as 0, as JSON does
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return invalidValue(pointer(at), `${describe(value)} is not a JSON value`);
  }
  if (value === null) return null;
  const obj = value as object;
  if (stack.has(obj)) invalidValue(pointer(at), 'a cycle');
  if (stack.size >= MAX_DEPTH) {
    throw limitExceeded(
      'maxDepth',
      MAX_DEPTH,
      'nests deeper than',
      {
        package: '@plinth/storage',
        what: 'the document',
      },
      { path: pointer(at) },
    );
  }
  stack.add(obj);
  let out: unknown[] | Record<string, unknown>;
  if (Array.isArray(obj)) {
    const arr = new Array<unknown>(obj.length);
    for (let i = 0; i < obj.length; i++) {
      const item: unknown = obj[i];
      const step = { parent: at, key: i };
      if (item === undefined) invalidValue(pointer(step), 'undefined is not a JSON value');
      arr[i] = copy(item, step, stack, freeze);
    }
    out = arr;
  } else {
    if (!isPlainObject(obj)) {
      invalidValue(pointer(at), `${describe(obj)} is not a plain JSON object (convert it first)`);
    }
    const rec: Record<string, unknown> = {};
    for (const k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined) continue;
      if (k.includes('\u0000')) {
        invalidValue(pointer({ parent: at, key: k }), 'property names must not contain U+0000');
      }
      const item = copy(v, { parent: at, key: k }, stack, freeze);
      // A "__proto__" key (JSON.parse makes it an own property) must stay data, not a prototype.
      if (k === '__proto__') {
        Object.defineProperty(rec, k, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else rec[k] = item;
    }
    out = rec;
  }
  stack.delete(obj);
  return freeze ? Object.freeze(out) : out;
}

/** Bytes + format of a KV value. Throws E_INVALID_VALUE for anything else. */
export function encodeKvValue(value: unknown): { format: ValueFormat; bytes: Uint8Array } {
  if (value instanceof Uint8Array) {
    return { format: ValueFormat.BYTES, bytes: Uint8Array.prototype.slice.call(value) };
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) invalidValue('', 'KV strings must not contain lone surrogates');
    return { format: ValueFormat.STRING, bytes: encoder.encode(value) };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalidValue('', `${value} cannot be stored`);
    return { format: ValueFormat.NUMBER, bytes: encoder.encode(String(value)) };
  }
  throw storageErrors.create(
    'E_INVALID_VALUE',
    `a KV value must be a Uint8Array, a string or a finite number, got ${describe(value)}`,
    { details: { path: '' } },
  );
}

/** The KV value held by `bytes` of `format`. */
export function decodeKvValue(format: ValueFormat, bytes: Uint8Array): KvValue {
  switch (format) {
    case ValueFormat.BYTES:
      return new Uint8Array(bytes);
    case ValueFormat.STRING:
      return decoder.decode(bytes);
    case ValueFormat.NUMBER:
      return Number(decoder.decode(bytes));
    default:
      throw storageErrors.create('E_CODEC', `a KV record has unexpected format ${format}`, {
        details: { format },
      });
  }
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
