/**
 * Cedar's JSON value format ↔ runtime values: booleans, integers (Long), strings, arrays (sets),
 * objects (records), `{ "__entity": { type, id } }` and `{ "__extn": { fn, arg } }`. Used for
 * entity attributes and tags, request contexts and template-link values.
 */
import { describeValue } from '@plinth/core';
import { policyErrors, type PolicyErrorCode } from '../errors.js';
import type { CedarJsonValue, EntityRef, PolicyLimits } from '../types.js';
import { EvalError } from './eval-error.js';
import { extensionFromJson } from './extensions/index.js';
import { parseEntityUid } from './parser.js';
import {
  CedarRecord,
  CedarSet,
  EntityUID,
  type ExtensionValue,
  toLong,
  type Value,
} from './values.js';

type BadInputCode = Extract<
  PolicyErrorCode,
  'E_INVALID_VALUE' | 'E_INVALID_ENTITY' | 'E_INVALID_REQUEST'
>;

const IDENT = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const RESERVED = new Set(['true', 'false', 'if', 'then', 'else', 'in', 'is', 'like', 'has']);

/** True when `type` is a valid Cedar entity type path (`A`, `A::B`), no reserved words. */
export function isEntityTypeName(type: string): boolean {
  if (KNOWN_TYPE_NAMES.has(type)) return true;
  if (type.length === 0 || type.length > 1024) return false;
  for (const seg of type.split('::')) {
    if (!IDENT.test(seg) || RESERVED.has(seg) || seg === '__cedar') return false;
  }
  // Requests name the same few types over and over: remember the valid ones (bounded).
  if (KNOWN_TYPE_NAMES.size >= 4096) KNOWN_TYPE_NAMES.clear();
  KNOWN_TYPE_NAMES.add(type);
  return true;
}

const KNOWN_TYPE_NAMES = new Set<string>();

function fail(code: BadInputCode, path: string, message: string, cause?: unknown): never {
  throw policyErrors.create(code, `${path}: ${message}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function typeAndId(v: unknown, code: BadInputCode, path: string): EntityUID {
  if (!isPlainObject(v)) fail(code, path, `expected { type, id }, got ${describeValue(v)}`);
  const keys = Object.keys(v);
  if (keys.length !== 2 || !('type' in v) || !('id' in v)) {
    fail(code, path, `an entity reference has exactly the keys "type" and "id"`);
  }
  const { type, id } = v;
  if (typeof type !== 'string' || !isEntityTypeName(type)) {
    fail(code, path, `invalid entity type ${describeValue(type)}`);
  }
  if (typeof id !== 'string')
    fail(code, path, `entity id must be a string, got ${describeValue(id)}`);
  return new EntityUID(type, id);
}

/**
 * An entity reference as hosts write it (`{ type, id }`, `{ __entity: { type, id } }` or the
 * text `User::"alice"`) → {@link EntityUID}. Bad shapes throw `code`.
 */
export function uidFromRef(
  ref: EntityRef | unknown,
  code: BadInputCode = 'E_INVALID_REQUEST',
  path = 'entity reference',
): EntityUID {
  if (typeof ref === 'string') {
    try {
      return parseEntityUid(ref);
    } catch (e) {
      return fail(code, path, `invalid entity reference ${describeValue(ref)}`, e);
    }
  }
  if (isPlainObject(ref) && '__entity' in ref) {
    if (Object.keys(ref).length !== 1) fail(code, path, '`__entity` must be the only key');
    return typeAndId(ref.__entity, code, `${path}.__entity`);
  }
  return typeAndId(ref, code, path);
}

/**
 * A value in Cedar's JSON value format → runtime {@link Value}. Malformed input (non-integer or
 * out-of-range numbers, null, bad escapes, over-long strings or arrays, over-deep nesting)
 * throws `code` (default `E_INVALID_VALUE`) naming the path.
 */
export function valueFromJson(
  json: unknown,
  limits: Pick<PolicyLimits, 'maxDepth' | 'maxStringLength' | 'maxArrayLength'>,
  path = 'value',
  code: BadInputCode = 'E_INVALID_VALUE',
): Value {
  return convert(json, limits, path, code, 0);
}

function convert(
  json: unknown,
  limits: Pick<PolicyLimits, 'maxDepth' | 'maxStringLength' | 'maxArrayLength'>,
  path: string,
  code: BadInputCode,
  depth: number,
): Value {
  switch (typeof json) {
    case 'boolean':
      return json;
    case 'string':
      if (json.length > limits.maxStringLength) {
        fail(code, path, `string longer than ${limits.maxStringLength} characters`);
      }
      return json;
    case 'number':
      if (!Number.isSafeInteger(json)) {
        fail(code, path, `expected an integer (Cedar Long), got ${describeValue(json)}`);
      }
      return json === 0 ? 0 : json;
    case 'bigint': {
      const n = toLong(json);
      if (n === undefined) fail(code, path, `integer ${json} is outside the 64-bit Long range`);
      return n;
    }
    case 'object':
      break;
    default:
      return fail(code, path, `not a Cedar value: ${describeValue(json)}`);
  }
  if (depth >= limits.maxDepth) fail(code, path, `nested deeper than ${limits.maxDepth} levels`);
  if (Array.isArray(json)) {
    if (json.length > limits.maxArrayLength) {
      fail(code, path, `set longer than ${limits.maxArrayLength} elements`);
    }
    const items: Value[] = [];
    for (let i = 0; i < json.length; i++) {
      items.push(convert(json[i], limits, `${path}[${i}]`, code, depth + 1));
    }
    return new CedarSet(items);
  }
  if (!isPlainObject(json)) fail(code, path, `not a Cedar value: ${describeValue(json)}`);
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0] === '__entity') {
    return typeAndId(json.__entity, code, `${path}.__entity`);
  }
  if (keys.length === 1 && keys[0] === '__extn') return extnFromJson(json.__extn, path, code);
  if (keys.length > limits.maxArrayLength) {
    fail(code, path, `record with more than ${limits.maxArrayLength} attributes`);
  }
  const attrs = new Map<string, Value>();
  for (const k of keys) {
    attrs.set(k, convert(json[k], limits, `${path}.${k}`, code, depth + 1));
  }
  return new CedarRecord(attrs);
}

function extnFromJson(v: unknown, path: string, code: BadInputCode): ExtensionValue {
  const at = `${path}.__extn`;
  if (!isPlainObject(v)) fail(code, at, `expected { fn, arg }, got ${describeValue(v)}`);
  const { fn, arg } = v;
  if (typeof fn !== 'string' || typeof arg !== 'string' || Object.keys(v).length !== 2) {
    fail(code, at, 'expected { fn: string, arg: string }');
  }
  try {
    return extensionFromJson(fn, arg);
  } catch (e) {
    if (e instanceof EvalError) return fail(code, at, e.message, e);
    throw e;
  }
}

/** A runtime value → Cedar's JSON value format (the inverse of {@link valueFromJson}). */
export function valueToJson(v: Value): CedarJsonValue {
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return v;
    default:
      break;
  }
  if (v instanceof EntityUID) return { __entity: { type: v.type, id: v.id } };
  if (v instanceof CedarSet) return v.items.map(valueToJson);
  if (v instanceof CedarRecord) {
    return Object.fromEntries([...v.attrs].map(([k, x]) => [k, valueToJson(x)]));
  }
  return { __extn: { fn: v.constructorName, arg: v.arg() } };
}

/** An entity uid → `{ type, id }`. */
export function uidToJson(uid: EntityUID): { type: string; id: string } {
  return { type: uid.type, id: uid.id };
}
