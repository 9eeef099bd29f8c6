import { isObject, ptr } from '../../internal/json.js';
import type { JsonSchemaPolicy } from '../../types.js';
import { arrayParts, isActive } from './keywords.js';
import { child, draftOf, type Node } from './subsume.js';

/** How a change may move the set of accepted documents. */
export type Effect = 'narrow' | 'widen' | 'both' | 'none';
export type Obj = Record<string, unknown>;

/** What the structural comparisons need from the walker. Paths are relative to the node pair. */
export interface WalkContext {
  readonly policy: JsonSchemaPolicy;
  emit(rule: string, path: string, effect: Effect, message: string, cosmetic?: boolean): void;
  /** Compares two subschemas (recursively), reporting their changes under `path`. */
  sub(a: Node, b: Node, path: string): void;
  /** Proven: no instance is valid under both. */
  disjoint(a: Node, b: Node): boolean;
  /** Proven: the same subschema text once references are resolved. */
  same(a: Node, b: Node): boolean;
  /** The subschema (after its references) accepts everything. */
  open(n: Node): boolean;
}

/** Annotations: they never change which documents are valid. */
export const COSMETIC = [
  'title',
  'description',
  '$comment',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$id',
  'id',
  '$schema',
  '$anchor',
];

const schemaOf = (n: Node): Obj => (isObject(n.loc.schema) ? n.loc.schema : {});

/** Patterns of `patternProperties` that match a property name (an unreadable pattern matches). */
function matching(s: Obj, name: string): string[] {
  if (!isObject(s.patternProperties)) return [];
  return Object.keys(s.patternProperties).filter((p) => {
    try {
      return new RegExp(p, 'u').test(name);
    } catch {
      return true;
    }
  });
}

/**
 * Properties, patternProperties and additionalProperties. The constraint on a property name is
 * the conjunction of its `properties` entry and every matching pattern, else
 * `additionalProperties`; a name declared on one side only is compared with whatever
 * constrains it on the other side.
 */
export function compareObject(on: Node, nn: Node, c: WalkContext): void {
  const o = schemaOf(on);
  const n = schemaOf(nn);
  const oReq = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
  const nReq = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
  for (const r of nReq)
    if (!oReq.has(r))
      c.emit(
        'JSON_REQUIRED_ADDED',
        ptr(ptr('', 'required'), r),
        'narrow',
        `property "${r}" became required`,
      );
  for (const r of oReq)
    if (!nReq.has(r))
      c.emit(
        'JSON_REQUIRED_REMOVED',
        ptr(ptr('', 'required'), r),
        'widen',
        `property "${r}" is no longer required`,
      );
  const op = isObject(o.properties) ? o.properties : {};
  const np = isObject(n.properties) ? n.properties : {};
  const oHasAdd = 'additionalProperties' in o;
  const nHasAdd = 'additionalProperties' in n;
  const strict = c.policy === 'strict';
  for (const name of new Set([...Object.keys(op), ...Object.keys(np)])) {
    const p = ptr(ptr('', 'properties'), name);
    if (name in op && name in np) {
      c.sub(child(on, 'properties', name), child(nn, 'properties', name), p);
      continue;
    }
    if (name in np) {
      const added = child(nn, 'properties', name);
      const patterns = matching(o, name);
      const first = patterns[0];
      if (first !== undefined) c.sub(child(on, 'patternProperties', first), added, p);
      else if (o.additionalProperties === false)
        c.emit(
          'JSON_PROPERTY_ADDED_TO_CLOSED_MODEL',
          p,
          'widen',
          `property "${name}" added to a closed content model`,
        );
      else if (oHasAdd && !c.open(child(on, 'additionalProperties')))
        c.sub(child(on, 'additionalProperties'), added, p);
      else
        c.emit(
          'JSON_PROPERTY_ADDED_TO_OPEN_MODEL',
          p,
          strict && !c.open(added) ? 'narrow' : 'none',
          `property "${name}" added to an open content model`,
        );
      continue;
    }
    const removed = child(on, 'properties', name);
    const patterns = matching(n, name);
    const first = patterns[0];
    if (first !== undefined) c.sub(removed, child(nn, 'patternProperties', first), p);
    else if (n.additionalProperties === false)
      c.emit(
        'JSON_PROPERTY_REMOVED_FROM_CLOSED_MODEL',
        p,
        'narrow',
        `property "${name}" removed from a closed content model`,
      );
    else if (nHasAdd && !c.open(child(nn, 'additionalProperties')))
      c.sub(removed, child(nn, 'additionalProperties'), p);
    else
      c.emit(
        'JSON_PROPERTY_REMOVED_FROM_OPEN_MODEL',
        p,
        strict && !c.open(removed) ? 'widen' : 'none',
        `property "${name}" removed from an open content model`,
      );
  }
  const oAdd = oHasAdd ? child(on, 'additionalProperties') : undefined;
  const nAdd = nHasAdd ? child(nn, 'additionalProperties') : undefined;
  if (!c.same(child(on, 'additionalProperties'), child(nn, 'additionalProperties'))) {
    const p = ptr('', 'additionalProperties');
    const oOpen = oAdd === undefined || c.open(oAdd);
    const nOpen = nAdd === undefined || c.open(nAdd);
    if (oOpen && nOpen) {
      // both accept any additional property
    } else if (n.additionalProperties === false || (oOpen && !nOpen))
      c.emit('JSON_ADDITIONAL_PROPERTIES_NARROWED', p, 'narrow', 'additional properties narrowed');
    else if (o.additionalProperties === false || nOpen)
      c.emit('JSON_ADDITIONAL_PROPERTIES_EXTENDED', p, 'widen', 'additional properties extended');
    else if (oAdd !== undefined && nAdd !== undefined) c.sub(oAdd, nAdd, p);
  }
  if (!c.same(child(on, 'patternProperties'), child(nn, 'patternProperties'))) {
    const opp = isObject(o.patternProperties) ? o.patternProperties : {};
    const npp = isObject(n.patternProperties) ? n.patternProperties : {};
    for (const k of new Set([...Object.keys(opp), ...Object.keys(npp)])) {
      const p = ptr(ptr('', 'patternProperties'), k);
      if (k in opp && k in npp)
        c.sub(child(on, 'patternProperties', k), child(nn, 'patternProperties', k), p);
      else
        c.emit(
          'JSON_PATTERN_PROPERTIES_CHANGED',
          p,
          'both',
          `pattern property ${JSON.stringify(k)} ${k in npp ? 'added' : 'removed'}`,
        );
    }
  }
}

/** Tuple positions, the rest of the items and `contains`, each read as its draft reads it. */
export function compareArray(on: Node, nn: Node, c: WalkContext): void {
  const o = schemaOf(on);
  const n = schemaOf(nn);
  const oa = arrayParts(o, draftOf(on));
  const na = arrayParts(n, draftOf(nn));
  const oRest = oa.rest === undefined ? undefined : child(on, oa.restKey);
  const nRest = na.rest === undefined ? undefined : child(nn, na.restKey);
  // An absent item schema accepts anything.
  const anything = (x: Node | undefined, other: Node): Node =>
    x ?? { ...other, loc: { ...other.loc, schema: true, pointer: `${other.loc.pointer}/~absent` } };
  if (oa.tuple !== undefined || na.tuple !== undefined) {
    const a = oa.tuple?.length ?? 0;
    const b = na.tuple?.length ?? 0;
    for (let i = 0; i < Math.max(a, b); i++) {
      const p = ptr(ptr('', b > i ? na.tupleKey : oa.tupleKey), i);
      const x = i < a ? child(on, oa.tupleKey, i) : oRest;
      const y = i < b ? child(nn, na.tupleKey, i) : nRest;
      if (x === undefined && y === undefined) continue;
      c.sub(anything(x, on), anything(y, nn), p);
    }
  }
  if (
    !(oRest === undefined && nRest === undefined) &&
    !(oRest !== undefined && nRest !== undefined && c.same(oRest, nRest))
  )
    c.sub(
      anything(oRest, on),
      anything(nRest, nn),
      ptr('', nRest !== undefined ? na.restKey : oa.restKey),
    );
  if (!c.same(child(on, 'contains'), child(nn, 'contains'))) {
    const p = ptr('', 'contains');
    // Without maxContains and with the same minContains, "enough items match" is monotone.
    const counts = (s: Obj, x: Node) =>
      JSON.stringify([
        isActive(draftOf(x), 'minContains') ? (s.minContains ?? 1) : 1,
        isActive(draftOf(x), 'maxContains') ? s.maxContains : undefined,
      ]);
    const monotone =
      counts(o, on) === counts(n, nn) &&
      !(isActive(draftOf(on), 'maxContains') && o.maxContains !== undefined);
    if (o.contains === undefined) c.emit('JSON_CONTAINS_ADDED', p, 'narrow', 'contains added');
    else if (n.contains === undefined)
      c.emit('JSON_CONTAINS_REMOVED', p, 'widen', 'contains removed');
    else if (monotone) c.sub(child(on, 'contains'), child(nn, 'contains'), p);
    else c.emit('JSON_CONTAINS_CHANGED', p, 'both', 'contains changed');
  }
}

/**
 * anyOf / oneOf / allOf: branches are paired (equal text first, then by position) and compared;
 * unpaired branches are added or removed. `oneOf` is exclusive, so its branches must stay
 * pairwise disjoint where they were: an old branch's documents must match no other new branch
 * (and the reverse for FORWARD), else JSON_ONE_OF_OVERLAP.
 */
export function compareComposition(on: Node, nn: Node, c: WalkContext): void {
  const o = schemaOf(on);
  const n = schemaOf(nn);
  for (const kw of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (c.same(child(on, kw), child(nn, kw))) continue;
    const a = Array.isArray(o[kw]) ? (o[kw] as unknown[]) : undefined;
    const b = Array.isArray(n[kw]) ? (n[kw] as unknown[]) : undefined;
    const p = ptr('', kw);
    const id = kw === 'allOf' ? 'ALL_OF' : kw === 'anyOf' ? 'ANY_OF' : 'ONE_OF';
    if (a === undefined && b === undefined) continue;
    if (a === undefined) {
      c.emit(`JSON_${id}_ADDED`, p, 'narrow', `${kw} added`);
      continue;
    }
    if (b === undefined) {
      c.emit(`JSON_${id}_REMOVED`, p, 'widen', `${kw} removed`);
      continue;
    }
    const pairOf = new Map<number, number>();
    const taken = new Set<number>();
    a.forEach((_, i) => {
      const j = b.findIndex((_, k) => !taken.has(k) && c.same(child(on, kw, i), child(nn, kw, k)));
      if (j >= 0) {
        pairOf.set(i, j);
        taken.add(j);
      }
    });
    const restOld = a.map((_, i) => i).filter((i) => !pairOf.has(i));
    const restNew = b.map((_, j) => j).filter((j) => !taken.has(j));
    const common = Math.min(restOld.length, restNew.length);
    for (let k = 0; k < common; k++) {
      pairOf.set(restOld[k] as number, restNew[k] as number);
      taken.add(restNew[k] as number);
    }
    for (const [i, j] of pairOf) c.sub(child(on, kw, i), child(nn, kw, j), ptr(p, j));
    const removed = restOld.length - common;
    const added = restNew.length - common;
    // More anyOf/oneOf branches accept more; more allOf branches accept less.
    const more: Effect = kw === 'allOf' ? 'narrow' : 'widen';
    const less: Effect = kw === 'allOf' ? 'widen' : 'narrow';
    if (added > 0) c.emit(`JSON_${id}_BRANCH_ADDED`, p, more, `${added} ${kw} branch(es) added`);
    if (removed > 0)
      c.emit(`JSON_${id}_BRANCH_REMOVED`, p, less, `${removed} ${kw} branch(es) removed`);
    if (kw === 'oneOf') compareExclusivity(on, nn, a.length, b.length, pairOf, c);
  }
}

function compareExclusivity(
  on: Node,
  nn: Node,
  oldCount: number,
  newCount: number,
  pairOf: ReadonlyMap<number, number>,
  c: WalkContext,
): void {
  const overlaps: string[] = [];
  let backward = false;
  let forward = false;
  for (const [i, j] of pairOf) {
    const oi = child(on, 'oneOf', i);
    for (let k = 0; k < newCount; k++) {
      if (k === j || c.disjoint(oi, child(nn, 'oneOf', k))) continue;
      backward = true;
      overlaps.push(`old branch ${i} and new branch ${k}`);
    }
    const nj = child(nn, 'oneOf', j);
    for (let k = 0; k < oldCount; k++) {
      if (k === i || c.disjoint(nj, child(on, 'oneOf', k))) continue;
      forward = true;
      overlaps.push(`new branch ${j} and old branch ${k}`);
    }
  }
  if (!backward && !forward) return;
  c.emit(
    'JSON_ONE_OF_OVERLAP',
    ptr('', 'oneOf'),
    backward && forward ? 'both' : backward ? 'narrow' : 'widen',
    `oneOf branches may overlap (${[...new Set(overlaps)].slice(0, 4).join('; ')}): a document matching two branches is rejected`,
  );
}

/**
 * Applicators that are monotone in their subschemas, compared subschema by subschema:
 * `if`/`then`/`else` with the same `if`, `propertyNames`, `dependencies`/`dependentRequired`/
 * `dependentSchemas` key by key. Returns the keywords it compared (the others are left to the
 * generic rule, which reports them as changed both ways).
 */
export function compareApplicators(on: Node, nn: Node, c: WalkContext): Set<string> {
  const o = schemaOf(on);
  const n = schemaOf(nn);
  const od = draftOf(on);
  const nd = draftOf(nn);
  const done = new Set<string>();
  const both = (kw: string) => isActive(od, kw) && isActive(nd, kw);
  const anything = (x: Node): Node => ({
    ...x,
    loc: { ...x.loc, schema: true, pointer: `${x.loc.pointer}/~absent` },
  });
  const pair = (kw: string, ...path: string[]) => {
    const x = child(on, kw, ...path);
    const y = child(nn, kw, ...path);
    c.sub(
      x.loc.schema === undefined ? anything(x) : x,
      y.loc.schema === undefined ? anything(y) : y,
      [kw, ...path].reduce((acc, k) => ptr(acc, k), ''),
    );
  };
  // if/then/else: with the same condition, then ⊆ then' and else ⊆ else' is enough.
  if (both('if') && 'if' in o && 'if' in n && c.same(child(on, 'if'), child(nn, 'if'))) {
    for (const kw of ['then', 'else']) if (kw in o || kw in n) pair(kw);
    done.add('if').add('then').add('else');
  }
  if (both('propertyNames') && ('propertyNames' in o || 'propertyNames' in n)) {
    pair('propertyNames');
    done.add('propertyNames');
  }
  for (const kw of ['dependencies', 'dependentRequired', 'dependentSchemas']) {
    if (!both(kw) || !(kw in o || kw in n)) continue;
    const a = isObject(o[kw]) ? o[kw] : {};
    const b = isObject(n[kw]) ? n[kw] : {};
    if ((kw in o && !isObject(o[kw])) || (kw in n && !isObject(n[kw]))) continue;
    let ok = true;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = a[key];
      const y = b[key];
      const names = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : undefined);
      const xs = names(x);
      const ys = names(y);
      const p = ptr(ptr('', kw), key);
      if (xs !== undefined && ys !== undefined && kw !== 'dependentSchemas') {
        const added = ys.filter((r) => !xs.includes(r));
        const removed = xs.filter((r) => !ys.includes(r));
        if (added.length > 0)
          c.emit(
            'JSON_DEPENDENCY_ADDED',
            p,
            'narrow',
            `when "${key}" is present, ${JSON.stringify(added)} become required`,
          );
        if (removed.length > 0)
          c.emit(
            'JSON_DEPENDENCY_REMOVED',
            p,
            'widen',
            `when "${key}" is present, ${JSON.stringify(removed)} are no longer required`,
          );
      } else if (!Array.isArray(x) && !Array.isArray(y)) pair(kw, key);
      else ok = false;
    }
    if (ok) done.add(kw);
  }
  return done;
}
