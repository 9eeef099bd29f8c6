/**
 * Cedar's static types as the strict-mode typechecker uses them: singleton booleans (`True`,
 * `False`) beside `Bool`, single named entity types (strict mode never joins two), records with
 * required and optional attributes, and the strict least upper bound that decides whether two
 * types are compatible (set elements, `==` operands, `if` branches).
 */
import type { RecordAttrs, SchemaType } from './schema/model.js';

export type Ty =
  | { readonly k: 'never' }
  | { readonly k: 'true' }
  | { readonly k: 'false' }
  | { readonly k: 'bool' }
  | { readonly k: 'long' }
  | { readonly k: 'string' }
  | { readonly k: 'set'; readonly el: Ty }
  | { readonly k: 'record'; readonly attrs: ReadonlyMap<string, AttrTy>; readonly open: boolean }
  | { readonly k: 'entity'; readonly name: string }
  | { readonly k: 'ext'; readonly name: string }
  /** The type of an expression that already has an error: accepted everywhere. */
  | { readonly k: 'error' };

export interface AttrTy {
  readonly ty: Ty;
  readonly required: boolean;
}

export const TRUE: Ty = { k: 'true' };
export const FALSE: Ty = { k: 'false' };
export const BOOL: Ty = { k: 'bool' };
export const LONG: Ty = { k: 'long' };
export const STRING: Ty = { k: 'string' };
export const ERROR: Ty = { k: 'error' };

export function fromSchemaType(t: SchemaType): Ty {
  switch (t.kind) {
    case 'Long':
      return LONG;
    case 'String':
      return STRING;
    case 'Bool':
      return BOOL;
    case 'Set':
      return { k: 'set', el: fromSchemaType(t.element) };
    case 'Record':
      return recordTy(t.attrs, t.open);
    case 'Entity':
      return { k: 'entity', name: t.name };
    case 'Extension':
      return { k: 'ext', name: t.name };
  }
}

export function recordTy(attrs: RecordAttrs, open: boolean): Ty {
  const out = new Map<string, AttrTy>();
  for (const [n, a] of attrs) out.set(n, { ty: fromSchemaType(a.type), required: a.required });
  return { k: 'record', attrs: out, open };
}

/** Cedar's display of a type, as its messages print it. */
export function showTy(t: Ty): string {
  switch (t.k) {
    case 'never':
      return 'Never';
    case 'true':
      return '__cedar::internal::True';
    case 'false':
      return '__cedar::internal::False';
    case 'bool':
      return 'Bool';
    case 'long':
      return 'Long';
    case 'string':
      return 'String';
    case 'set':
      return `Set<${showTy(t.el)}>`;
    case 'record':
      return `{${[...t.attrs].map(([n, a]) => `${n}${a.required ? '' : '?'}: ${showTy(a.ty)},`).join('')}}`;
    case 'entity':
      return t.name;
    case 'ext':
      return t.name;
    case 'error':
      return 'error';
  }
}

export const isBoolish = (t: Ty): boolean => t.k === 'true' || t.k === 'false' || t.k === 'bool';

/** Strict least upper bound: equal types (singleton booleans join to `Bool`), or a reason. */
export function lub(a: Ty, b: Ty): Ty | { readonly fail: string } {
  if (a.k === 'error' || b.k === 'error') return ERROR;
  if (a.k === 'never') return b;
  if (b.k === 'never') return a;
  if (isBoolish(a) && isBoolish(b)) return a.k === b.k ? a : BOOL;
  if (a.k === 'set' && b.k === 'set') {
    const el = lub(a.el, b.el);
    return 'fail' in el ? el : { k: 'set', el };
  }
  if (a.k === 'entity' && b.k === 'entity') {
    return a.name === b.name
      ? a
      : {
          fail: 'Different entity types are never compatible even when their attributes would be compatible',
        };
  }
  if (a.k === 'record' && b.k === 'record') {
    const sameKeys =
      a.attrs.size === b.attrs.size && [...a.attrs.keys()].every((n) => b.attrs.has(n));
    if (!sameKeys || a.open !== b.open) {
      return { fail: 'Compatible record types must have exactly the same attributes' };
    }
    const attrs = new Map<string, AttrTy>();
    for (const [n, x] of a.attrs) {
      const y = b.attrs.get(n)!;
      if (x.required !== y.required) {
        return { fail: 'Compatible record types must have exactly the same attributes' };
      }
      const t = lub(x.ty, y.ty);
      if ('fail' in t) return t;
      attrs.set(n, { ty: t, required: x.required });
    }
    return { k: 'record', attrs, open: a.open };
  }
  if (a.k === b.k && (a.k !== 'ext' || a.name === (b as { name: string }).name)) return a;
  return { fail: 'Types must be exactly equal to be compatible' };
}

/** Same kind of type (any two booleans match; extension types by name). */
export function sameTy(a: Ty, b: Ty): boolean {
  if (isBoolish(a) && isBoolish(b)) return true;
  if (a.k !== b.k) return false;
  if (a.k === 'ext') return a.name === (b as { name: string }).name;
  return true;
}
