import { coreErrors } from './errors.js';

/**
 * Canonical JSON: one byte-exact text per JSON value, whatever the key order or formatting of
 * the input, so equal documents hash equally. It follows RFC 8785 (JSON Canonicalization
 * Scheme):
 * - object keys sorted by UTF-16 code units (JavaScript's default string order), no whitespace;
 * - numbers in ECMAScript's shortest round-trip form (`1e21`, `1.5`, `-0` → `0`);
 * - strings escaped as `JSON.stringify` does (lone surrogates as `\udxxx`).
 *
 * It reads values the way `JSON.stringify` does (`toJSON()` is honoured, `undefined`, functions
 * and symbols are dropped from objects and become `null` in arrays), but refuses what JSON cannot
 * represent faithfully instead of silently changing it: `NaN`, `±Infinity`, `BigInt` and cycles
 * throw `E_INVALID_ARGUMENT` with the JSON pointer of the bad value.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, '', '', new Set<object>());
  if (out === undefined) {
    throw coreErrors.create(
      'E_INVALID_ARGUMENT',
      `canonical JSON needs a JSON value, got ${describe(value)}`,
      { details: { path: '' } },
    );
  }
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `a BigInt (${value}n)`;
  return typeof value;
}

function invalid(path: string, what: string): never {
  throw coreErrors.create(
    'E_INVALID_ARGUMENT',
    `canonical JSON cannot represent ${what} at "${path}"`,
    { details: { path } },
  );
}

function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Returns undefined for values JSON omits (undefined, functions, symbols). `key` is the property
 * name or array index holding `value` ('' at the top), as `JSON.stringify` passes it to `toJSON`.
 */
function write(value: unknown, key: string, path: string, stack: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) invalid(path, String(value));
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return invalid(path, `a BigInt (${value}n)`);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';

  let obj = value as object;
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const replaced: unknown = toJSON.call(obj, key);
    if (typeof replaced !== 'object' || replaced === null) {
      return write(replaced, key, path, stack);
    }
    obj = replaced;
  }
  if (
    obj instanceof Number ||
    obj instanceof String ||
    obj instanceof Boolean ||
    obj instanceof BigInt
  ) {
    return write(obj.valueOf(), key, path, stack);
  }
  if (stack.has(obj)) invalid(path, 'a cycle');
  stack.add(obj);
  try {
    if (Array.isArray(obj)) {
      let s = '[';
      for (let i = 0; i < obj.length; i++) {
        if (i > 0) s += ',';
        s += write(obj[i], String(i), `${path}/${i}`, stack) ?? 'null';
      }
      return s + ']';
    }
    const keys = Object.keys(obj);
    if (!isSorted(keys)) keys.sort();
    let s = '{';
    let first = true;
    for (const k of keys) {
      const v = write(
        (obj as Record<string, unknown>)[k],
        k,
        `${path}/${pointerSegment(k)}`,
        stack,
      );
      if (v === undefined) continue;
      if (!first) s += ',';
      first = false;
      s += JSON.stringify(k) + ':' + v;
    }
    return s + '}';
  } finally {
    stack.delete(obj);
  }
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  }
  return true;
}
