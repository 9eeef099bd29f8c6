import { checkJsonLimits, isPlinthError, limitExceeded, parseJson } from '@plinth/core';
import { invalidSchema } from '../errors.js';

const PKG = '@plinth/validation';

/** Escapes one JSON-pointer segment (RFC 6901). */
export function seg(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins a JSON pointer and a segment. */
export function ptr(base: string, key: string | number): string {
  return `${base}/${seg(key)}`;
}

/** True for a plain (non-array) object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validation's names of the shared limits, so errors name the option a user can raise. */
const NAMES = { maxDepth: 'maxSchemaDepth', maxDocumentSize: 'maxSchemaSize' } as const;

/**
 * Throws `E_LIMIT_EXCEEDED` when `value` nests deeper than `maxDepth` (iterative: a hostile
 * document cannot overflow the stack here). `0` means not checked.
 */
export function checkDepth(value: unknown, maxDepth: number, what: string): void {
  if (maxDepth <= 0) return;
  checkJsonLimits(value, { maxDepth }, { package: PKG, what, names: NAMES });
}

/** Depth of a value, stopping early past `max` (returns max + 1 then). */
export function depthExceeds(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

/** Throws `E_LIMIT_EXCEEDED` when a schema's text is longer than `max`. */
export function checkSize(size: number, max: number, what: string): void {
  if (size > max) {
    throw limitExceeded(
      'maxDocumentSize',
      max,
      `is ${size} characters, more than`,
      { package: PKG, what, names: NAMES },
      { size },
    );
  }
}

/**
 * Parses schema text with the limits checked first (size, then nesting depth by a scan of the
 * brackets, before any object is built); text that is not JSON is `E_INVALID_SCHEMA`.
 */
export function parseSchemaText(
  text: string,
  limits: { readonly maxSchemaSize: number; readonly maxSchemaDepth: number },
  format: string,
  what: string,
): unknown {
  try {
    return parseJson(
      text,
      {
        ...(limits.maxSchemaSize > 0 && { maxDocumentSize: limits.maxSchemaSize }),
        ...(limits.maxSchemaDepth > 0 && { maxDepth: limits.maxSchemaDepth }),
      },
      { package: PKG, what, names: NAMES },
    );
  } catch (error) {
    if (isPlinthError(error, 'E_INVALID_ARGUMENT')) {
      const cause = (error as { cause?: unknown }).cause;
      return invalidSchema(
        format,
        `${what} is not JSON (${(cause as Error | undefined)?.message ?? error.message})`,
        '',
        cause,
      );
    }
    throw error;
  }
}

/** Structural equality for JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const bo = b as Record<string, unknown>;
  return ka.every((k) => k in bo && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}
