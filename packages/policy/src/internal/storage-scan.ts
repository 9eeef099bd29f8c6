/**
 * The scan of a storage plan (`toStorageFilter`): which declared index, key range or full list
 * returns every document a residual filter can match, read off the filter's conjunctive part.
 * The rules are in the module comment of `filters/storage.ts`.
 */
import type { FindOptions, IndexableValue } from '@plinth/storage';
import type { ResourceFilter, ResourcePath } from '../filters/filter.js';
import { EntityUID, type Value } from './values.js';

/** One top-level attribute stored as a plain scalar document field. */
export interface StorageField {
  /** The top-level document field. */
  readonly field: string;
  /** `Entity`: the field holds the entity id (a string) of an entity of `entityType`. */
  readonly type: 'String' | 'Long' | 'Bool' | 'Entity';
  readonly entityType?: string;
}

/** How the documents of a collection hold its resources (see the module comment of `filters/storage.ts`). */
export interface StorageMapping {
  /** The entity type of every document: key `k` is the resource `entityType::"k"`. */
  readonly entityType: string;
  /** Top-level field holding the attribute record. @default the document itself */
  readonly attrs?: string;
  /** Top-level field holding the tags (an object). @default no tags */
  readonly tags?: string;
  /** Top-level field holding the parents (an array of entity references). @default no parents */
  readonly parents?: string;
  /** Top-level attributes held as plain scalars, by attribute name. */
  readonly fields?: { readonly [attribute: string]: StorageField };
  /** The collection's declared indexes (as given to `ensureCollections`), by index name. */
  readonly indexes?: { readonly [name: string]: { readonly fields: readonly string[] } };
}

/** The one scan of a plan. */
export type StorageScan =
  /** The filter matches no document of the collection. */
  | { readonly kind: 'none' }
  /** `collection.list` in key order, within `[gte, lt)` when set (a key range for `resource == E`). */
  | { readonly kind: 'list'; readonly gte?: string; readonly lt?: string }
  /** `collection.find(index, { eq, gt/gte, lt/lte })`. */
  | {
      readonly kind: 'find';
      readonly index: string;
      readonly eq: readonly IndexableValue[];
      readonly gt?: IndexableValue;
      readonly gte?: IndexableValue;
      readonly lt?: IndexableValue;
      readonly lte?: IndexableValue;
    };

/** What an index field holds, in terms of the resource. */
interface FieldMeaning {
  readonly path: ResourcePath;
  /** `value`: the scalar at the path; `id`/`type`: the id or type of the entity at the path. */
  readonly proj: 'value' | 'id' | 'type';
}

function pathKey(p: ResourcePath): string {
  return JSON.stringify([p.tag ?? null, p.attrs]);
}

function meaningOf(m: StorageMapping, field: string): FieldMeaning | undefined {
  const segs = field.split('.');
  const first = segs[0]!;
  for (const [attr, f] of Object.entries(m.fields ?? {})) {
    if (f.field === first) {
      if (segs.length !== 1) return undefined;
      return { path: { attrs: [attr] }, proj: f.type === 'Entity' ? 'id' : 'value' };
    }
  }
  let tag: string | undefined;
  let rest: string[];
  if (m.tags !== undefined && first === m.tags) {
    if (segs.length < 2) return undefined;
    tag = segs[1]!;
    rest = segs.slice(2);
  } else if (m.attrs !== undefined) {
    if (first !== m.attrs) return undefined;
    rest = segs.slice(1);
  } else {
    if (first === m.parents) return undefined;
    rest = segs;
  }
  let proj: FieldMeaning['proj'] = 'value';
  const n = rest.length;
  if (n >= 2 && rest[n - 2] === '__entity' && (rest[n - 1] === 'id' || rest[n - 1] === 'type')) {
    proj = rest[n - 1] as 'id' | 'type';
    rest = rest.slice(0, n - 2);
  }
  if (rest.includes('__entity') || rest.includes('__extn')) return undefined;
  if (tag === undefined && rest.length === 0) return undefined;
  return { path: tag === undefined ? { attrs: rest } : { tag, attrs: rest }, proj };
}

interface Bound {
  readonly value: IndexableValue;
  readonly strict: boolean;
}

/** What the conjunctive part of the filter fixes, per resource path. */
interface Facts {
  none: boolean;
  key: string | undefined;
  readonly eq: Map<string, Value>;
  readonly lower: Map<string, Bound>;
  readonly upper: Map<string, Bound>;
  /** Paths that resolve, and paths that resolve to an entity, on every match. */
  readonly present: Set<string>;
  readonly entity: Set<string>;
}

function scalar(v: Value): IndexableValue | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  return undefined; // a bigint Long is outside what a JSON document can hold
}

function tighter(a: Bound | undefined, b: Bound, lower: boolean): Bound {
  if (a === undefined) return b;
  if (a.value === b.value) return a.strict ? a : b;
  return (
    lower ? (b.value as number) > (a.value as number) : (b.value as number) < (a.value as number)
  )
    ? b
    : a;
}

/** The literal prefix of a `like` pattern as a string range `[p, next(p))`, when it has one. */
function prefixRange(f: Extract<ResourceFilter, { kind: 'like' }>): [string, string] | undefined {
  const head = f.pattern[0];
  if (head === undefined || head === 'wildcard' || head.literal === '') return undefined;
  const p = head.literal;
  const last = p.charCodeAt(p.length - 1);
  if (last >= 0xd7ff) return undefined; // keep clear of surrogates: next(p) stays simple
  return [p, p.slice(0, -1) + String.fromCharCode(last + 1)];
}

function collectFacts(filter: ResourceFilter, m: StorageMapping): Facts {
  const facts: Facts = {
    none: false,
    key: undefined,
    eq: new Map(),
    lower: new Map(),
    upper: new Map(),
    present: new Set(),
    entity: new Set(),
  };
  const walk = (f: ResourceFilter): void => {
    switch (f.kind) {
      case 'const':
        if (!f.value) facts.none = true;
        return;
      case 'and':
        f.args.forEach(walk);
        return;
      case 'resourceEq':
        if (f.uid.type !== m.entityType) facts.none = true;
        else if (facts.key !== undefined && facts.key !== f.uid.id) facts.none = true;
        else facts.key = f.uid.id;
        return;
      case 'resourceIs':
        if (f.entityType !== m.entityType) facts.none = true;
        return;
      case 'or':
      case 'not':
      case 'resourceIn':
      case 'ext':
        return;
      default:
        break;
    }
    const k = pathKey(f.path);
    facts.present.add(k);
    switch (f.kind) {
      case 'eq':
        facts.eq.set(k, f.value);
        if (f.value instanceof EntityUID) facts.entity.add(k);
        return;
      case 'entityIs':
        facts.entity.add(k);
        return;
      case 'typeOf':
        if (f.type === 'Entity') facts.entity.add(k);
        return;
      case 'cmp': {
        if (typeof f.value !== 'number') return;
        const b = { value: f.value, strict: f.op === '<' || f.op === '>' };
        if (f.op === '>' || f.op === '>=') facts.lower.set(k, tighter(facts.lower.get(k), b, true));
        else facts.upper.set(k, tighter(facts.upper.get(k), b, false));
        return;
      }
      case 'like': {
        const r = prefixRange(f);
        if (r === undefined || facts.lower.has(k) || facts.upper.has(k)) return;
        facts.lower.set(k, { value: r[0], strict: false });
        facts.upper.set(k, { value: r[1], strict: true });
        return;
      }
      default:
        return;
    }
  };
  walk(filter);
  return facts;
}

/** The index value a field must hold on every match, or undefined when the filter does not fix it. */
function fixedValue(facts: Facts, meaning: FieldMeaning): IndexableValue | undefined {
  const v = facts.eq.get(pathKey(meaning.path));
  if (v === undefined) return undefined;
  if (meaning.proj === 'value') return scalar(v);
  if (!(v instanceof EntityUID)) return undefined;
  return meaning.proj === 'id' ? v.id : v.type;
}

function presentOnMatch(facts: Facts, meaning: FieldMeaning): boolean {
  const k = pathKey(meaning.path);
  return meaning.proj === 'value' ? facts.present.has(k) : facts.entity.has(k);
}

function chooseScan(facts: Facts, m: StorageMapping): StorageScan {
  if (facts.none) return { kind: 'none' };
  if (facts.key !== undefined) return { kind: 'list', gte: facts.key, lt: facts.key + '\u0000' };
  let best: { scan: StorageScan; score: number } | undefined;
  for (const [name, ix] of Object.entries(m.indexes ?? {})) {
    const meanings = ix.fields.map((f) => meaningOf(m, f));
    const eq: IndexableValue[] = [];
    let i = 0;
    for (; i < meanings.length; i++) {
      const mn = meanings[i];
      const v = mn === undefined ? undefined : fixedValue(facts, mn);
      if (v === undefined) break;
      eq.push(v);
    }
    let range: Pick<FindOptions, 'gt' | 'gte' | 'lt' | 'lte'> | undefined;
    const next = meanings[i];
    if (next !== undefined && next.proj === 'value') {
      const k = pathKey(next.path);
      const lo = facts.lower.get(k);
      const hi = facts.upper.get(k);
      if (lo !== undefined || hi !== undefined) {
        // One-sided number ranges stay among numbers (index order: … < numbers < strings).
        const numeric = typeof (lo ?? hi)!.value === 'number';
        range = {
          ...(lo === undefined
            ? numeric && { gte: -Number.MAX_VALUE }
            : lo.strict
              ? { gt: lo.value }
              : { gte: lo.value }),
          ...(hi === undefined
            ? numeric && { lt: '' }
            : hi.strict
              ? { lt: hi.value }
              : { lte: hi.value }),
        };
      }
    }
    const used = eq.length + (range === undefined ? 0 : 1);
    if (used === 0) continue;
    // Fields after the used ones: a document lacking one has no entry, so they must be present.
    const rest = meanings.slice(used);
    if (!rest.every((mn) => mn !== undefined && presentOnMatch(facts, mn))) continue;
    const score = eq.length * 2 + (range === undefined ? 0 : 1);
    if (best === undefined || score > best.score) {
      best = { scan: { kind: 'find', index: name, eq, ...range }, score };
    }
  }
  return best?.scan ?? { kind: 'list' };
}

/** The scan for `filter` over a collection laid out as `mapping` (already checked). */
export function planScan(filter: ResourceFilter, mapping: StorageMapping): StorageScan {
  return chooseScan(collectFacts(filter, mapping), mapping);
}
