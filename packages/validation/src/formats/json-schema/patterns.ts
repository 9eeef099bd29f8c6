import { compileUserPattern, isPlinthError, type UserPattern } from '@plinth/core';
import { invalidSchema } from '../../errors.js';
import { isObject, ptr } from '../../internal/json.js';

/**
 * ajv's `code.regExp` engine: every `pattern`, `patternProperties` key and `propertyNames`
 * pattern of a user's schema runs on RE2 through core's `compileUserPattern` (linear time, so a
 * pattern like `^(a+)+$` cannot freeze the event loop).
 */
export const userRegExpEngine = Object.assign(
  (source: string, flags: string): UserPattern =>
    compileUserPattern(source, flags, { package: '@plinth/validation' }),
  { code: 'compileUserPattern' },
);

/**
 * `format: "regex"`: a valid ECMAScript regular expression in Unicode mode (the dialect JSON
 * Schema names). Only parsed, never run, so it cannot backtrack.
 */
export function isEcmaScriptRegex(value: string): boolean {
  try {
    new RegExp(value, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Keywords whose value is data, not a schema: nothing under them is a pattern. */
const DATA = new Set(['const', 'enum', 'default', 'examples']);

/**
 * Refuses, at parse time, every pattern of a schema that the linear-time engine cannot run with
 * its ECMAScript meaning: `E_INVALID_SCHEMA` naming the pattern, the reason and its JSON pointer.
 * Iterative; the schema's depth was bounded before.
 */
export function checkSchemaPatterns(schema: unknown, base = ''): void {
  const stack: Array<[unknown, string]> = [[schema, base]];
  while (stack.length > 0) {
    const [node, at] = stack.pop() as [unknown, string];
    if (Array.isArray(node)) {
      node.forEach((v, i) => stack.push([v, ptr(at, i)]));
      continue;
    }
    if (!isObject(node)) continue;
    if (typeof node.pattern === 'string') check(node.pattern, ptr(at, 'pattern'));
    if (isObject(node.patternProperties)) {
      const where = ptr(at, 'patternProperties');
      for (const key of Object.keys(node.patternProperties)) check(key, ptr(where, key));
    }
    for (const [k, v] of Object.entries(node)) {
      if (!DATA.has(k) && typeof v === 'object' && v !== null) stack.push([v, ptr(at, k)]);
    }
  }
}

function check(source: string, pointer: string): void {
  try {
    compileUserPattern(source, 'u', { package: '@plinth/validation' });
  } catch (error) {
    if (!isPlinthError(error, 'E_INVALID_PATTERN')) throw error;
    const reason = (error.details as { reason?: string }).reason ?? error.message;
    invalidSchema(
      'json-schema',
      `pattern ${JSON.stringify(source)} ${reason.startsWith('Invalid') ? 'is invalid' : 'cannot be used'}: ${reason}`,
      pointer,
      error,
    );
  }
}
