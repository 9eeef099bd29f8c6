import type { FlaggedChange } from '../../format-plugin.js';
import { isObject, jsonEqual, ptr } from '../../internal/json.js';
import type { JsonSchemaPolicy } from '../../types.js';
import {
  COSMETIC,
  compareArray,
  compareComposition,
  compareObject,
  type Effect,
  type Obj,
  type WalkContext,
} from './compare-structure.js';
import type { ParsedJsonSchema } from './plugin.js';
import { RefResolver } from './refs.js';

/**
 * JSON Schema compatibility: BACKWARD holds when every document valid under the old schema is
 * valid under the new one (the new one is not *narrower*); FORWARD is the reverse. Each change
 * says whether it narrows (breaks backward), widens (breaks forward), or both.
 */

const BOUNDS: ReadonlyArray<readonly [string, 'max' | 'min', string]> = [
  ['maximum', 'max', 'MAXIMUM'],
  ['exclusiveMaximum', 'max', 'EXCLUSIVE_MAXIMUM'],
  ['minimum', 'min', 'MINIMUM'],
  ['exclusiveMinimum', 'min', 'EXCLUSIVE_MINIMUM'],
  ['maxLength', 'max', 'MAX_LENGTH'],
  ['minLength', 'min', 'MIN_LENGTH'],
  ['maxItems', 'max', 'MAX_ITEMS'],
  ['minItems', 'min', 'MIN_ITEMS'],
  ['maxProperties', 'max', 'MAX_PROPERTIES'],
  ['minProperties', 'min', 'MIN_PROPERTIES'],
];
const HANDLED = new Set([
  ...COSMETIC,
  ...BOUNDS.map((b) => b[0]),
  '$ref',
  'definitions',
  '$defs',
  'type',
  'enum',
  'const',
  'pattern',
  'format',
  'multipleOf',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'contains',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);
const ALL_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

function typesOf(s: Obj): string[] | undefined {
  const t = s.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return undefined;
}
function accepts(types: string[] | undefined, t: string): boolean {
  if (types === undefined) return true;
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}
function norm(s: unknown): Obj {
  if (s === true || s === undefined) return {};
  if (s === false) return { not: {} };
  return isObject(s) ? s : {};
}

export function compareJsonSchemas(
  prev: ParsedJsonSchema,
  next: ParsedJsonSchema,
  policy: JsonSchemaPolicy,
): FlaggedChange[] {
  const out: FlaggedChange[] = [];
  const oldRefs = new RefResolver(prev.schema, prev.references);
  const newRefs = new RefResolver(next.schema, next.references);
  const seen = new Map<unknown, Set<unknown>>();

  const emit = (rule: string, path: string, effect: Effect, message: string, cosmetic = false) => {
    const breaksBackward = effect === 'narrow' || effect === 'both';
    const breaksForward = effect === 'widen' || effect === 'both';
    const severity = cosmetic
      ? 'cosmetic'
      : breaksBackward || breaksForward
        ? 'breaking'
        : 'additive';
    out.push({ rule, path, severity, message, breaksBackward, breaksForward });
  };

  const deref = (s: unknown, doc: unknown, refs: RefResolver): { s: unknown; doc: unknown } => {
    let cur = s;
    let d = doc;
    for (let i = 0; i < 32 && isObject(cur) && typeof cur.$ref === 'string'; i++) {
      const r = refs.resolve(cur.$ref, d);
      if (r === undefined) break;
      const siblings = Object.keys(cur).filter((k) => k !== '$ref');
      cur =
        siblings.length === 0
          ? r.schema
          : { ...norm(r.schema), ...Object.fromEntries(siblings.map((k) => [k, (cur as Obj)[k]])) };
      d = r.doc;
    }
    return { s: cur, doc: d };
  };

  const walk = (oRaw: unknown, nRaw: unknown, path: string, oDoc: unknown, nDoc: unknown): void => {
    const od = deref(oRaw, oDoc, oldRefs);
    const nd = deref(nRaw, nDoc, newRefs);
    if (jsonEqual(od.s, nd.s)) return;
    let pairs = seen.get(od.s);
    if (pairs === undefined) seen.set(od.s, (pairs = new Set()));
    if (pairs.has(nd.s)) return; // recursive schema: this pair is being compared already
    pairs.add(nd.s);
    const o = norm(od.s);
    const n = norm(nd.s);
    const sub = (a: unknown, b: unknown, p: string) => walk(a, b, p, od.doc, nd.doc);

    for (const k of COSMETIC) {
      if (k === '$schema' || k === 'id' || k === '$id') continue;
      if (!jsonEqual(o[k], n[k]))
        emit(
          `JSON_${k
            .replace(/^\$/, '')
            .replace(/([A-Z])/g, '_$1')
            .toUpperCase()}_CHANGED`,
          ptr(path, k),
          'none',
          `${k} changed`,
          true,
        );
    }
    // type
    const ot = typesOf(o);
    const nt = typesOf(n);
    if (!jsonEqual(ot?.slice().sort(), nt?.slice().sort())) {
      const narrowed = ALL_TYPES.some((t) => accepts(ot, t) && !accepts(nt, t));
      const widened = ALL_TYPES.some((t) => accepts(nt, t) && !accepts(ot, t));
      const desc = `type ${JSON.stringify(o.type ?? 'any')} → ${JSON.stringify(n.type ?? 'any')}`;
      if (narrowed && widened) emit('JSON_TYPE_CHANGED', ptr(path, 'type'), 'both', desc);
      else if (narrowed) emit('JSON_TYPE_NARROWED', ptr(path, 'type'), 'narrow', desc);
      else if (widened) emit('JSON_TYPE_WIDENED', ptr(path, 'type'), 'widen', desc);
    }
    // enum / const
    if (!jsonEqual(o.enum, n.enum)) {
      const oe = Array.isArray(o.enum) ? o.enum : undefined;
      const ne = Array.isArray(n.enum) ? n.enum : undefined;
      if (oe === undefined)
        emit('JSON_ENUM_ADDED', ptr(path, 'enum'), 'narrow', 'enum constraint added');
      else if (ne === undefined)
        emit('JSON_ENUM_REMOVED', ptr(path, 'enum'), 'widen', 'enum constraint removed');
      else {
        const removed = oe.filter((v) => !ne.some((w) => jsonEqual(v, w)));
        const added = ne.filter((v) => !oe.some((w) => jsonEqual(v, w)));
        if (removed.length > 0)
          emit(
            'JSON_ENUM_NARROWED',
            ptr(path, 'enum'),
            'narrow',
            `enum values removed: ${JSON.stringify(removed)}`,
          );
        if (added.length > 0)
          emit(
            'JSON_ENUM_EXTENDED',
            ptr(path, 'enum'),
            'widen',
            `enum values added: ${JSON.stringify(added)}`,
          );
      }
    }
    if (!jsonEqual(o.const, n.const)) {
      if (!('const' in o)) emit('JSON_CONST_ADDED', ptr(path, 'const'), 'narrow', 'const added');
      else if (!('const' in n))
        emit('JSON_CONST_REMOVED', ptr(path, 'const'), 'widen', 'const removed');
      else
        emit(
          'JSON_CONST_CHANGED',
          ptr(path, 'const'),
          'both',
          `const ${JSON.stringify(o.const)} → ${JSON.stringify(n.const)}`,
        );
    }
    // bounds
    for (const [kw, kind, id] of BOUNDS) {
      const a = o[kw];
      const b = n[kw];
      if (a === b || (typeof a !== 'number' && typeof b !== 'number')) continue;
      const p = ptr(path, kw);
      if (typeof a !== 'number') emit(`JSON_${id}_ADDED`, p, 'narrow', `${kw} ${String(b)} added`);
      else if (typeof b !== 'number') emit(`JSON_${id}_REMOVED`, p, 'widen', `${kw} ${a} removed`);
      else {
        const tighter = kind === 'max' ? b < a : b > a;
        emit(
          `JSON_${id}_${b < a ? 'DECREASED' : 'INCREASED'}`,
          p,
          tighter ? 'narrow' : 'widen',
          `${kw} ${a} → ${b}`,
        );
      }
    }
    for (const kw of ['pattern', 'format'] as const) {
      if (o[kw] === n[kw]) continue;
      const id = kw.toUpperCase();
      if (o[kw] === undefined)
        emit(`JSON_${id}_ADDED`, ptr(path, kw), 'narrow', `${kw} ${JSON.stringify(n[kw])} added`);
      else if (n[kw] === undefined)
        emit(
          `JSON_${id}_REMOVED`,
          ptr(path, kw),
          'widen',
          `${kw} ${JSON.stringify(o[kw])} removed`,
        );
      else
        emit(
          `JSON_${id}_CHANGED`,
          ptr(path, kw),
          'both',
          `${kw} ${JSON.stringify(o[kw])} → ${JSON.stringify(n[kw])}`,
        );
    }
    if (o.multipleOf !== n.multipleOf) {
      const a = o.multipleOf;
      const b = n.multipleOf;
      const p = ptr(path, 'multipleOf');
      if (typeof a !== 'number')
        emit('JSON_MULTIPLE_OF_ADDED', p, 'narrow', `multipleOf ${String(b)} added`);
      else if (typeof b !== 'number')
        emit('JSON_MULTIPLE_OF_REMOVED', p, 'widen', `multipleOf ${a} removed`);
      else {
        const effect: Effect = Number.isInteger(b / a)
          ? 'narrow'
          : Number.isInteger(a / b)
            ? 'widen'
            : 'both';
        emit('JSON_MULTIPLE_OF_CHANGED', p, effect, `multipleOf ${a} → ${b}`);
      }
    }
    if (Boolean(o.uniqueItems) !== Boolean(n.uniqueItems)) {
      if (n.uniqueItems === true)
        emit('JSON_UNIQUE_ITEMS_ADDED', ptr(path, 'uniqueItems'), 'narrow', 'uniqueItems added');
      else
        emit('JSON_UNIQUE_ITEMS_REMOVED', ptr(path, 'uniqueItems'), 'widen', 'uniqueItems removed');
    }
    const c: WalkContext = { policy, emit, sub };
    compareObject(o, n, path, c);
    compareArray(o, n, path, c);
    compareComposition(o, n, path, c);
    if (!jsonEqual(o.not, n.not))
      emit('JSON_NOT_CHANGED', ptr(path, 'not'), 'both', '"not" changed');
    for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) {
      if (HANDLED.has(k) || k.startsWith('x-') || jsonEqual(o[k], n[k])) continue;
      emit('JSON_KEYWORD_CHANGED', ptr(path, k), 'both', `keyword "${k}" changed`);
    }
  };

  walk(prev.schema, next.schema, '', prev.schema, next.schema);
  return out;
}
