import type { IndexEntry } from '../adapter.js';
import { storageErrors } from '../errors.js';
import type {
  CollectionDefinition,
  CollectionDefinitions,
  Document,
  StandardSchema,
} from '../types.js';
import { encodeIndexValue, isIndexable, type IndexableValue } from './index-value.js';

/** The space that holds KV entries; collection names cannot collide with it. */
export const KV_SPACE = '$kv';

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
// eslint-disable-next-line no-control-regex -- NUL is the one character a field path may not hold
const FIELD_RE = /^[^.\u0000]+(\.[^.\u0000]+)*$/;

export interface ResolvedIndex {
  readonly name: string;
  readonly fields: readonly (readonly string[])[];
  readonly unique: boolean;
}

export interface ResolvedCollection {
  readonly name: string;
  readonly schema: StandardSchema<Document> | undefined;
  readonly indexes: ReadonlyMap<string, ResolvedIndex>;
}

function invalid(option: string, message: string): never {
  throw storageErrors.create('E_INVALID_OPTION', `openStore: ${message}`, {
    details: { option },
  });
}

/** Validates the `collections` option once, at open. */
export function resolveCollections(defs: CollectionDefinitions): Map<string, ResolvedCollection> {
  const out = new Map<string, ResolvedCollection>();
  for (const [name, def] of Object.entries(defs)) {
    const where = `collections.${name}`;
    if (!NAME_RE.test(name)) {
      invalid(where, `collection name "${name}" must match ${String(NAME_RE)}`);
    }
    if (typeof def !== 'object' || def === null) invalid(where, `${where} must be an object`);
    const d = def as CollectionDefinition;
    for (const k of Object.keys(d)) {
      if (k !== 'schema' && k !== 'indexes')
        invalid(`${where}.${k}`, `unknown option "${where}.${k}"`);
    }
    const schema = d.schema;
    if (
      schema !== undefined &&
      (typeof schema !== 'object' ||
        schema === null ||
        typeof (schema as StandardSchema)['~standard']?.validate !== 'function')
    ) {
      invalid(
        `${where}.schema`,
        `${where}.schema must be a Standard Schema (zod, valibot, arktype…)`,
      );
    }
    const indexes = new Map<string, ResolvedIndex>();
    for (const [iname, idx] of Object.entries(d.indexes ?? {})) {
      const iwhere = `${where}.indexes.${iname}`;
      if (!NAME_RE.test(iname))
        invalid(iwhere, `index name "${iname}" must match ${String(NAME_RE)}`);
      if (
        typeof idx !== 'object' ||
        idx === null ||
        !Array.isArray(idx.fields) ||
        idx.fields.length === 0 ||
        !idx.fields.every((f) => typeof f === 'string' && FIELD_RE.test(f))
      ) {
        invalid(
          `${iwhere}.fields`,
          `${iwhere}.fields must be a non-empty array of field paths like "owner.team"`,
        );
      }
      if (idx.unique !== undefined && typeof idx.unique !== 'boolean') {
        invalid(`${iwhere}.unique`, `${iwhere}.unique must be a boolean`);
      }
      indexes.set(iname, {
        name: iname,
        fields: idx.fields.map((f) => f.split('.')),
        unique: idx.unique ?? false,
      });
    }
    out.set(name, { name, schema, indexes });
  }
  return out;
}

function fieldValue(doc: Document, path: readonly string[]): unknown {
  let v: unknown = doc;
  for (const part of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * The index entries of a document. An index has no entry for a document lacking any of its
 * fields (sparse); an indexed field holding an object or array is an E_INVALID_VALUE.
 */
export function indexEntriesOf(collection: ResolvedCollection, doc: Document): IndexEntry[] {
  if (collection.indexes.size === 0) return [];
  const entries: IndexEntry[] = [];
  for (const index of collection.indexes.values()) {
    const values: IndexableValue[] = [];
    let complete = true;
    for (const path of index.fields) {
      const v = fieldValue(doc, path);
      if (v === undefined) {
        complete = false;
        break;
      }
      if (!isIndexable(v)) {
        throw storageErrors.create(
          'E_INVALID_VALUE',
          `field "${path.join('.')}" of index "${index.name}" must be a string, number, boolean or null, not ${Array.isArray(v) ? 'an array' : 'an object'}`,
          { details: { collection: collection.name, index: index.name, field: path.join('.') } },
        );
      }
      values.push(v);
    }
    if (complete)
      entries.push({ index: index.name, value: encodeIndexValue(values), unique: index.unique });
  }
  return entries;
}

/** Runs the collection's schema; returns the (possibly transformed) document. */
export async function applySchema(collection: ResolvedCollection, doc: unknown): Promise<unknown> {
  const schema = collection.schema;
  if (schema === undefined) return doc;
  let result = schema['~standard'].validate(doc);
  if (result instanceof Promise) result = await result;
  if (result.issues !== undefined) {
    const issues = result.issues.map((i) => ({
      message: i.message,
      path: (i.path ?? [])
        .map((p) => (typeof p === 'object' && p !== null ? p.key : p))
        .map(String)
        .join('.'),
    }));
    const first = issues[0];
    throw storageErrors.create(
      'E_SCHEMA_VIOLATION',
      `document does not match the schema of "${collection.name}"` +
        (first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''),
      { details: { collection: collection.name, issues } },
    );
  }
  return result.value;
}
