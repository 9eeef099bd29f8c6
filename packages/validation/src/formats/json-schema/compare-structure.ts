import { isObject, jsonEqual, ptr } from '../../internal/json.js';
import type { JsonSchemaPolicy } from '../../types.js';

/** How a change moves the set of accepted documents. */
export type Effect = 'narrow' | 'widen' | 'both' | 'none';
export type Obj = Record<string, unknown>;

/** What the structural comparisons need from the walker. */
export interface WalkContext {
  readonly policy: JsonSchemaPolicy;
  emit(rule: string, path: string, effect: Effect, message: string, cosmetic?: boolean): void;
  sub(a: unknown, b: unknown, path: string): void;
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

/** An annotation-only schema (or `true`): accepts anything. */
export function isAnything(s: unknown): boolean {
  return s === true || (isObject(s) && Object.keys(s).every((k) => COSMETIC.includes(k)));
}

/** Open (anything else allowed), closed (`additionalProperties: false`) or partially open. */
export function model(s: Obj): 'open' | 'closed' | 'partial' {
  const ap = s.additionalProperties ?? s.unevaluatedProperties;
  if (ap === false) return 'closed';
  if (isObject(s.patternProperties) && Object.keys(s.patternProperties).length > 0)
    return 'partial';
  if (ap === undefined || ap === true || isAnything(ap)) return 'open';
  return 'partial';
}

export function compareObject(o: Obj, n: Obj, path: string, c: WalkContext): void {
  const oReq = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
  const nReq = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
  for (const r of nReq)
    if (!oReq.has(r))
      c.emit(
        'JSON_REQUIRED_ADDED',
        ptr(ptr(path, 'required'), r),
        'narrow',
        `property "${r}" became required`,
      );
  for (const r of oReq)
    if (!nReq.has(r))
      c.emit(
        'JSON_REQUIRED_REMOVED',
        ptr(ptr(path, 'required'), r),
        'widen',
        `property "${r}" is no longer required`,
      );
  const op = isObject(o.properties) ? o.properties : {};
  const np = isObject(n.properties) ? n.properties : {};
  const om = model(o);
  const nm = model(n);
  const oAdd = o.additionalProperties;
  const nAdd = n.additionalProperties;
  for (const name of new Set([...Object.keys(op), ...Object.keys(np)])) {
    const p = ptr(ptr(path, 'properties'), name);
    if (name in op && name in np) c.sub(op[name], np[name], p);
    else if (name in np) {
      if (om === 'closed')
        c.emit(
          'JSON_PROPERTY_ADDED_TO_CLOSED_MODEL',
          p,
          'widen',
          `property "${name}" added to a closed content model`,
        );
      else if (om === 'partial') c.sub(oAdd, np[name], p);
      else {
        const strict = c.policy === 'strict' && !isAnything(np[name]);
        c.emit(
          'JSON_PROPERTY_ADDED_TO_OPEN_MODEL',
          p,
          strict ? 'narrow' : 'none',
          `property "${name}" added to an open content model`,
        );
      }
    } else if (nm === 'closed')
      c.emit(
        'JSON_PROPERTY_REMOVED_FROM_CLOSED_MODEL',
        p,
        'narrow',
        `property "${name}" removed from a closed content model`,
      );
    else if (nm === 'partial') c.sub(op[name], nAdd, p);
    else {
      const strict = c.policy === 'strict' && !isAnything(op[name]);
      c.emit(
        'JSON_PROPERTY_REMOVED_FROM_OPEN_MODEL',
        p,
        strict ? 'widen' : 'none',
        `property "${name}" removed from an open content model`,
      );
    }
  }
  if (!jsonEqual(oAdd, nAdd)) {
    const p = ptr(path, 'additionalProperties');
    const oOpen = oAdd === undefined || isAnything(oAdd);
    const nOpen = nAdd === undefined || isAnything(nAdd);
    if (oOpen && nOpen) return;
    if (nAdd === false || (oOpen && !nOpen))
      c.emit('JSON_ADDITIONAL_PROPERTIES_NARROWED', p, 'narrow', 'additional properties narrowed');
    else if (oAdd === false || (!oOpen && nOpen))
      c.emit('JSON_ADDITIONAL_PROPERTIES_EXTENDED', p, 'widen', 'additional properties extended');
    else c.sub(oAdd, nAdd, p);
  }
  if (!jsonEqual(o.patternProperties, n.patternProperties)) {
    const opp = isObject(o.patternProperties) ? o.patternProperties : {};
    const npp = isObject(n.patternProperties) ? n.patternProperties : {};
    for (const k of new Set([...Object.keys(opp), ...Object.keys(npp)])) {
      const p = ptr(ptr(path, 'patternProperties'), k);
      if (k in opp && k in npp) c.sub(opp[k], npp[k], p);
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

export function compareArray(o: Obj, n: Obj, path: string, c: WalkContext): void {
  const oTuple = Array.isArray(o.prefixItems)
    ? o.prefixItems
    : Array.isArray(o.items)
      ? o.items
      : undefined;
  const nTuple = Array.isArray(n.prefixItems)
    ? n.prefixItems
    : Array.isArray(n.items)
      ? n.items
      : undefined;
  const oItems = Array.isArray(o.items) ? o.additionalItems : o.items;
  const nItems = Array.isArray(n.items) ? n.additionalItems : n.items;
  if (oTuple !== undefined || nTuple !== undefined) {
    const a = oTuple ?? [];
    const b = nTuple ?? [];
    const key = Array.isArray(n.prefixItems) ? 'prefixItems' : 'items';
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = ptr(ptr(path, key), i);
      c.sub(i < a.length ? a[i] : oItems, i < b.length ? b[i] : nItems, p);
    }
  }
  if (!jsonEqual(oItems, nItems)) {
    const key = Array.isArray(n.items) ? 'additionalItems' : 'items';
    c.sub(oItems, nItems, ptr(path, key));
  }
  if (!jsonEqual(o.contains, n.contains)) {
    const p = ptr(path, 'contains');
    if (o.contains === undefined) c.emit('JSON_CONTAINS_ADDED', p, 'narrow', 'contains added');
    else if (n.contains === undefined)
      c.emit('JSON_CONTAINS_REMOVED', p, 'widen', 'contains removed');
    else c.emit('JSON_CONTAINS_CHANGED', p, 'both', 'contains changed');
  }
}

export function compareComposition(o: Obj, n: Obj, path: string, c: WalkContext): void {
  for (const kw of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (jsonEqual(o[kw], n[kw])) continue;
    const a = Array.isArray(o[kw]) ? (o[kw] as unknown[]) : undefined;
    const b = Array.isArray(n[kw]) ? (n[kw] as unknown[]) : undefined;
    const p = ptr(path, kw);
    const id = kw === 'allOf' ? 'ALL_OF' : kw === 'anyOf' ? 'ANY_OF' : 'ONE_OF';
    if (a === undefined) {
      c.emit(`JSON_${id}_ADDED`, p, 'narrow', `${kw} added`);
      continue;
    }
    if (b === undefined) {
      c.emit(`JSON_${id}_REMOVED`, p, 'widen', `${kw} removed`);
      continue;
    }
    if (a.length === b.length) {
      for (let i = 0; i < a.length; i++) c.sub(a[i], b[i], ptr(p, i));
      continue;
    }
    const removed = a.filter((x) => !b.some((y) => jsonEqual(x, y))).length;
    const added = b.filter((x) => !a.some((y) => jsonEqual(x, y))).length;
    // More anyOf/oneOf branches accept more; more allOf branches accept less.
    const more: Effect = kw === 'allOf' ? 'narrow' : 'widen';
    const less: Effect = kw === 'allOf' ? 'widen' : 'narrow';
    if (added > 0) c.emit(`JSON_${id}_BRANCH_ADDED`, p, more, `${added} ${kw} branch(es) added`);
    if (removed > 0)
      c.emit(`JSON_${id}_BRANCH_REMOVED`, p, less, `${removed} ${kw} branch(es) removed`);
  }
}
