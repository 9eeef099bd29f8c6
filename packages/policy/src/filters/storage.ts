/**
 * A residual filter → a plan over one `@plinth/storage` collection of resources: ONE scan (a
 * declared secondary index, a key range, or the whole collection in key order) that returns
 * every document the filter can match, and the filter itself checked on each scanned document
 * in memory by {@link matchesFilter} — the one matcher of the package, over the document read
 * back as a Cedar entity. The scan only narrows; the decision is always the matcher's, so a
 * plan returns exactly the documents the filter matches, whichever scan it picked.
 *
 * ## Mapping (document ↔ resource)
 *
 * The document with key `k` is the resource `entityType::"k"`. Its data:
 *
 * | resource                       | document                                                          |
 * | ------------------------------ | ----------------------------------------------------------------- |
 * | attribute `a.b` (Cedar JSON)   | `doc[attrs].a.b`, or `doc.a.b` when `attrs` is omitted            |
 * | tag `t`, `getTag("t").a`       | `doc[tags].t`, `doc[tags].t.a`                                    |
 * | parents (for `resource in G`)  | `doc[parents]`: entity references (`{type,id}`, `__entity`, text) |
 * | attribute `a` of a typed field | `doc[fields.a.field]`: a plain String/Long/Bool, or an entity id  |
 *
 * Values are in Cedar's JSON value format (entities `{"__entity":{type,id}}`, extension values
 * `{"__extn":{fn,arg}}`, sets as arrays, records as objects, Longs as safe integers). When
 * `attrs` is omitted the document itself is the attribute record, without the fields named by
 * `tags`, `parents` and the typed fields. A typed field (`fields`) stores one top-level
 * attribute as a plain scalar — storage indexes only scalars — e.g. `{ owner: { field:
 * 'ownerId', type: 'Entity', entityType: 'User' } }` reads `ownerId: "ada"` as `owner ==
 * User::"ada"`; an absent or `null` field is an absent attribute.
 *
 * The hierarchy above a resource and every other entity a filter reads (the owner's
 * attributes, a folder's ancestors) come from the {@link EntityStore} given to the plan — the
 * same store partial evaluation read. Other documents of the collection are visible only
 * through that store.
 *
 * ## Index choice
 *
 * `indexes` repeats the collection's declared indexes (document field paths, as given to
 * `ensureCollections`). An index is usable when the filter, on its conjunctive path (reached
 * from the root through `and` only), fixes its leading fields by equality, optionally bounds
 * the next one (`<`, `<=`, `>`, `>=`, or a `like` with a literal prefix), and implies that every
 * remaining field is present (storage indexes are sparse: a document lacking a field of the
 * index has no entry). An index field is an attribute or tag path, or its entity id / type
 * (`owner.__entity.id`, `owner.__entity.type`), or a typed field. `resource == E` becomes a key
 * range, preferred over any index; the index fixing the most fields wins otherwise; with none,
 * the plan lists the whole collection.
 */
import type { Collection, Document, Entry, Page } from '@plinth/storage';
import { EntityStore } from '../entities.js';
import { policyErrors } from '../errors.js';
import { isEntityTypeName, uidFromRef, valueFromJson } from '../internal/json-values.js';
import type { EntityData, EntityLookup } from '../internal/ops.js';
import { CedarRecord, EntityUID, type Value } from '../internal/values.js';
import { DEFAULT_POLICY_LIMITS } from '../options.js';
import {
  planScan,
  type StorageField,
  type StorageMapping,
  type StorageScan,
} from '../internal/storage-scan.js';
import { matchesFilter, type ResourceFilter } from './filter.js';

export type { StorageField, StorageMapping, StorageScan };

export interface StorageFilterOptions {
  /** The entities other than the collection's resources (hierarchy, owners…). @default empty */
  readonly entities?: EntityStore;
}

/** What {@link toStorageFilter} returns: a scan, and the in-memory check of each document. */
export interface StoragePlan {
  readonly scan: StorageScan;
  /** The filter, checked on every scanned document. */
  readonly filter: ResourceFilter;
  readonly mapping: StorageMapping;
  /** The resource a document stands for. */
  resourceOf(key: string): EntityUID;
  /** The document read back as a Cedar entity (`E_INVALID_VALUE` on malformed data). */
  entityOf(entry: Entry<Document>): EntityData;
  /** Whether the document is a resource the filter matches. */
  matches(entry: Entry<Document>): boolean;
}

// ---------------------------------------------------------------------------------------------
// Mapping checks and document → entity

function badOption(option: string, message: string): never {
  throw policyErrors.create('E_INVALID_OPTION', `toStorageFilter: ${message}`, {
    details: { option },
  });
}

const FIELD_NAME = /^[^.]+$/;

function checkField(option: string, v: unknown): string {
  if (typeof v !== 'string' || !FIELD_NAME.test(v)) {
    badOption(
      option,
      `${option} must be a top-level document field name (no dots), got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function checkMapping(m: StorageMapping): void {
  if (typeof m !== 'object' || m === null) badOption('mapping', 'the mapping must be an object');
  if (typeof m.entityType !== 'string' || !isEntityTypeName(m.entityType)) {
    badOption(
      'entityType',
      `entityType must be an entity type name, got ${JSON.stringify(m.entityType)}`,
    );
  }
  const used = new Map<string, string>();
  const claim = (option: string, field: string) => {
    const other = used.get(field);
    if (other !== undefined)
      badOption(option, `${option} and ${other} both name the field "${field}"`);
    used.set(field, option);
  };
  for (const k of ['attrs', 'tags', 'parents'] as const) {
    const v = m[k];
    if (v !== undefined) claim(k, checkField(k, v));
  }
  for (const [attr, f] of Object.entries(m.fields ?? {})) {
    const at = `fields.${attr}`;
    if (typeof f !== 'object' || f === null) badOption(at, `${at} must be { field, type }`);
    claim(at, checkField(`${at}.field`, f.field));
    if (!['String', 'Long', 'Bool', 'Entity'].includes(f.type)) {
      badOption(`${at}.type`, `${at}.type must be String, Long, Bool or Entity`);
    }
    if (
      f.type === 'Entity' &&
      (typeof f.entityType !== 'string' || !isEntityTypeName(f.entityType))
    ) {
      badOption(`${at}.entityType`, `the Entity field for ${attr} needs an entityType`);
    }
  }
  for (const [name, ix] of Object.entries(m.indexes ?? {})) {
    const ok =
      typeof ix === 'object' &&
      ix !== null &&
      Array.isArray(ix.fields) &&
      ix.fields.length > 0 &&
      ix.fields.every((f) => typeof f === 'string' && f !== '');
    if (!ok) badOption(`indexes.${name}`, `indexes.${name} must be { fields: ['a', 'b.c', …] }`);
  }
}

function invalidDoc(key: string, message: string, cause?: unknown): never {
  throw policyErrors.create('E_INVALID_VALUE', `document "${key}": ${message}`, {
    details: { key },
    ...(cause === undefined ? {} : { cause }),
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readEntity(m: StorageMapping, entry: Entry<Document>): EntityData {
  const { key, value: doc } = entry;
  const uid = new EntityUID(m.entityType, key);
  const limits = DEFAULT_POLICY_LIMITS;
  const convert = (json: unknown, path: string): Value => {
    try {
      return valueFromJson(json, limits, path);
    } catch (e) {
      return invalidDoc(key, `${path} is not a Cedar JSON value`, e);
    }
  };
  const attrs = new Map<string, Value>();
  let source: unknown;
  if (m.attrs !== undefined) source = doc[m.attrs];
  else {
    const skip = new Set([m.tags, m.parents, ...Object.values(m.fields ?? {}).map((f) => f.field)]);
    source = Object.fromEntries(Object.entries(doc).filter(([k]) => !skip.has(k)));
  }
  if (source !== undefined) {
    const rec = convert(source, m.attrs ?? 'document');
    if (!(rec instanceof CedarRecord)) invalidDoc(key, `${m.attrs ?? 'document'} must be a record`);
    for (const [k, v] of rec.attrs) attrs.set(k, v);
  }
  for (const [attr, f] of Object.entries(m.fields ?? {})) {
    const raw = doc[f.field];
    if (raw === undefined || raw === null) {
      attrs.delete(attr);
      continue;
    }
    const want =
      f.type === 'Entity'
        ? 'string'
        : f.type === 'Long'
          ? 'number'
          : f.type === 'Bool'
            ? 'boolean'
            : 'string';
    if (typeof raw !== want)
      invalidDoc(key, `${f.field} must be a ${want} (the ${f.type} attribute ${attr})`);
    attrs.set(
      attr,
      f.type === 'Entity' ? new EntityUID(f.entityType!, raw as string) : convert(raw, f.field),
    );
  }
  const tags = new Map<string, Value>();
  if (m.tags !== undefined && doc[m.tags] !== undefined) {
    const t = doc[m.tags];
    if (!isObject(t)) invalidDoc(key, `${m.tags} must be an object of tags`);
    for (const [k, v] of Object.entries(t)) tags.set(k, convert(v, `${m.tags}.${k}`));
  }
  const parents: EntityUID[] = [];
  if (m.parents !== undefined && doc[m.parents] !== undefined) {
    const p = doc[m.parents];
    if (!Array.isArray(p)) invalidDoc(key, `${m.parents} must be an array of entity references`);
    p.forEach((ref, i) => {
      try {
        parents.push(uidFromRef(ref, 'E_INVALID_VALUE', `${m.parents}[${i}]`));
      } catch (e) {
        invalidDoc(key, `${m.parents}[${i}] is not an entity reference`, e);
      }
    });
  }
  return { uid, attrs: new CedarRecord(attrs), parents, tags };
}

/** The store, with one resource read from its document in front of it. */
function overlay(store: EntityStore, resource: EntityData): EntityLookup {
  return {
    get: (uid) => (uid.equals(resource.uid) ? resource : store.get(uid)),
    isDescendant: (child, ancestor) => {
      if (!child.equals(resource.uid)) return store.isDescendant(child, ancestor);
      return resource.parents.some((p) => p.equals(ancestor) || store.isDescendant(p, ancestor));
    },
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * The plan that finds the documents of a collection the filter matches (see the module
 * comment for the mapping and the index choice). `E_INVALID_OPTION` for a malformed mapping.
 */
export function toStorageFilter(
  filter: ResourceFilter,
  mapping: StorageMapping,
  options: StorageFilterOptions = {},
): StoragePlan {
  checkMapping(mapping);
  const store = options.entities ?? new EntityStore();
  if (!(store instanceof EntityStore)) {
    throw policyErrors.create(
      'E_INVALID_ARGUMENT',
      'toStorageFilter: entities must be an EntityStore',
    );
  }
  const scan = planScan(filter, mapping);
  const entityOf = (entry: Entry<Document>) => readEntity(mapping, entry);
  return Object.freeze({
    scan,
    filter,
    mapping,
    resourceOf: (key: string) => new EntityUID(mapping.entityType, key),
    entityOf,
    matches: (entry: Entry<Document>) => {
      const data = entityOf(entry);
      return matchesFilter(filter, data.uid, overlay(store, data));
    },
  });
}

export interface FindAuthorizedOptions {
  /** Most documents per page. @default 100; at most 10000 */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
}

const MAX_LIMIT = 10_000;
const MIN_BATCH = 100;

/**
 * One page of the documents the plan matches, in scan order. Scans on until `limit` documents
 * matched or the scan ends; `cursor` (undefined after the last page) resumes right after the
 * last returned document. The cursor is the collection's own, so it stays valid across writes.
 */
export async function findAuthorized<T extends Document>(
  collection: Collection<T>,
  plan: StoragePlan,
  options: FindAuthorizedOptions = {},
): Promise<Page<Entry<T>>> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw policyErrors.create(
      'E_INVALID_ARGUMENT',
      `findAuthorized: limit must be an integer from 1 to ${MAX_LIMIT}`,
    );
  }
  const scan = plan.scan;
  if (scan.kind === 'none') return { items: [], cursor: undefined };
  const read = (cursor: string | undefined, n: number): Promise<Page<Entry<T>>> => {
    const at = cursor === undefined ? {} : { cursor };
    if (scan.kind === 'list') {
      return collection.list({
        limit: n,
        ...at,
        ...(scan.gte !== undefined && { gte: scan.gte }),
        ...(scan.lt !== undefined && { lt: scan.lt }),
      });
    }
    const { kind: _kind, index, eq, ...range } = scan;
    return collection.find(index, { limit: n, ...at, ...(eq.length > 0 && { eq }), ...range });
  };
  const items: Entry<T>[] = [];
  let cursor = options.cursor;
  while (items.length < limit) {
    const want = limit - items.length;
    let page = await read(cursor, Math.min(MAX_LIMIT, Math.max(want, MIN_BATCH)));
    let hits = page.items.filter((e) => plan.matches(e));
    // More matches than wanted: read again up to the last wanted one, so that the collection's
    // cursor lands right after it.
    while (hits.length > want) {
      page = await read(cursor, page.items.indexOf(hits[want - 1]!) + 1);
      hits = page.items.filter((e) => plan.matches(e));
    }
    items.push(...hits);
    cursor = page.cursor;
    if (cursor === undefined) break;
  }
  return { items, cursor };
}
