import { coreErrors } from './errors.js';
import { limitExceeded } from './limits.js';

export interface CanonicalJsonOptions {
  /**
   * Deepest nesting written; deeper input throws `E_LIMIT_EXCEEDED` (`details.limit:
   * 'maxDepth'`) instead of overflowing the stack. Boundaries check their own, lower
   * `limits.maxDepth` first; this bound protects every other caller. @default 1000
   */
  readonly maxDepth?: number;
}

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
 * throw `E_INVALID_ARGUMENT` with the JSON pointer of the bad value. Nesting deeper than
 * `options.maxDepth` throws `E_LIMIT_EXCEEDED`.
 */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  const maxDepth = options.maxDepth ?? 1000;
  const out = write(value, '', [], [], maxDepth);
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

/** The JSON pointer of the value being written: built only when an error needs it. */
function pointer(keys: ReadonlyArray<string | number>): string {
  let p = '';
  for (const k of keys) p += '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1');
  return p;
}

function invalid(keys: ReadonlyArray<string | number>, what: string): never {
  const path = pointer(keys);
  throw coreErrors.create(
    'E_INVALID_ARGUMENT',
    `canonical JSON cannot represent ${what} at "${path}"`,
    { details: { path } },
  );
}

/**
 * Returns undefined for values JSON omits (undefined, functions, symbols). `key` is the property
 * name or array index holding `value` ('' at the top), as `JSON.stringify` passes it to `toJSON`.
 * `keys` is the path to `value` and `stack` the objects being written (cycle detection); both
 * are pushed and popped in place so the hot path allocates nothing but the output.
 */
function write(
  value: unknown,
  key: string | number,
  keys: Array<string | number>,
  stack: object[],
  maxDepth: number,
): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) invalid(keys, String(value));
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return invalid(keys, `a BigInt (${value}n)`);
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
    const replaced: unknown = toJSON.call(obj, String(key));
    if (typeof replaced !== 'object' || replaced === null) {
      return write(replaced, key, keys, stack, maxDepth);
    }
    obj = replaced;
  }
  const isArray = Array.isArray(obj);
  if (
    !isArray &&
    Object.getPrototypeOf(obj) !== Object.prototype &&
    (obj instanceof Number ||
      obj instanceof String ||
      obj instanceof Boolean ||
      obj instanceof BigInt)
  ) {
    return write(obj.valueOf(), key, keys, stack, maxDepth);
  }
  if (stack.length >= maxDepth) {
    throw limitExceeded(
      'maxDepth',
      maxDepth,
      'nests deeper than',
      { what: 'canonical JSON input' },
      {
        path: pointer(keys),
      },
    );
  }
  if (stack.includes(obj)) invalid(keys, 'a cycle');
  stack.push(obj);
  let s: string;
  if (isArray) {
    const arr = obj as unknown[];
    s = '[';
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) s += ',';
      keys.push(i);
      s += write(arr[i], i, keys, stack, maxDepth) ?? 'null';
      keys.pop();
    }
    s += ']';
  } else {
    const names = Object.keys(obj);
    if (!isSorted(names)) names.sort();
    s = '{';
    let first = true;
    for (const k of names) {
      keys.push(k);
      const v = write((obj as Record<string, unknown>)[k], k, keys, stack, maxDepth);
      keys.pop();
      if (v === undefined) continue;
      if (first) first = false;
      else s += ',';
      s += quote(k) + ':' + v;
    }
    s += '}';
  }
  stack.pop();
  return s;
}

// eslint-disable-next-line no-control-regex -- the characters JSON must escape
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** JSON string literal; the common no-escape case skips `JSON.stringify`. */
function quote(str: string): string {
  return str.length < 5000 && !NEEDS_ESCAPE.test(str) ? '"' + str + '"' : JSON.stringify(str);
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  }
  return true;
}
