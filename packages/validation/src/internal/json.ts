import { validationErrors } from '../errors.js';

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

/**
 * Throws `E_LIMIT_EXCEEDED` when `value` nests deeper than `maxDepth` (iterative: a hostile
 * document cannot overflow the stack here).
 */
export function checkDepth(value: unknown, maxDepth: number, what: string): void {
  if (maxDepth <= 0 || typeof value !== 'object' || value === null) return;
  const stack: Array<[unknown, number]> = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    if (d > maxDepth) {
      throw validationErrors.create(
        'E_LIMIT_EXCEEDED',
        `${what} nests deeper than limits.maxSchemaDepth/maxValueDepth (${maxDepth})`,
        { details: { limit: 'depth', max: maxDepth } },
      );
    }
    seen.add(v);
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
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
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `${what} is ${size} characters, more than limits.maxSchemaSize (${max})`,
      { details: { limit: 'maxSchemaSize', max, size } },
    );
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
