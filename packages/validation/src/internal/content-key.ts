import type { SchemaSource } from '../types.js';

/**
 * A key for the parse cache: the format and the JSON text of the schema and references. Only for
 * JSON data and strings (zod schemas and other live objects are keyed by identity only).
 */
export function contentKey(source: SchemaSource): string | undefined {
  const plain = (x: unknown): boolean =>
    typeof x === 'string' ||
    (typeof x === 'object' &&
      x !== null &&
      (Array.isArray(x) || Object.getPrototypeOf(x) === Object.prototype));
  if (!plain(source.schema) || !(source.references ?? []).every((r) => plain(r.schema)))
    return undefined;
  try {
    return `${source.format}\u0000${JSON.stringify([source.schema, source.references ?? []])}`;
  } catch {
    return undefined;
  }
}
