import { isObject } from '../../internal/json.js';
import type { ParsedJsonSchema } from './plugin.js';
import { samplePattern } from './pattern-sample.js';
import { RefResolver } from './refs.js';

type Obj = Record<string, unknown>;
const FORMATS: Record<string, string[]> = {
  email: ['a@example.com', 'user.name@example.org'],
  'date-time': ['2024-01-02T03:04:05Z', '1999-12-31T23:59:59.5+01:00'],
  date: ['2024-01-02', '1970-01-01'],
  time: ['03:04:05Z'],
  uuid: ['0190c8a4-8f7e-7c3a-9a1b-2b3c4d5e6f70'],
  uri: ['https://example.com/a'],
  hostname: ['example.com'],
  ipv4: ['127.0.0.1'],
  ipv6: ['::1'],
};

/**
 * Draws sample documents from a JSON Schema: declared properties (optional ones sometimes
 * omitted), enum/const values, bounds, boundary values. Candidates are checked against the
 * schema by the caller; the generator aims to be right, not to be complete.
 */
export function sampleJsonSchema(
  p: ParsedJsonSchema,
  count: number,
  random: () => number,
): unknown[] {
  const refs = new RefResolver(p.schema, p.references);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const gen = (raw: unknown, doc: unknown, depth: number): unknown => {
    let s: unknown = raw;
    let d = doc;
    for (let i = 0; i < 16 && isObject(s) && typeof s.$ref === 'string'; i++) {
      const r = refs.resolve(s.$ref, d);
      if (r === undefined) return null;
      s = r.schema;
      d = r.doc;
    }
    if (s === true || s === undefined) return pick([1, 'x', true, null]);
    if (!isObject(s)) return null;
    const o = s as Obj;
    if ('const' in o) return o.const;
    if (Array.isArray(o.enum) && o.enum.length > 0) return pick(o.enum);
    for (const kw of ['anyOf', 'oneOf'] as const) {
      if (Array.isArray(o[kw]) && (o[kw] as unknown[]).length > 0)
        return gen(pick(o[kw] as unknown[]), d, depth + 1);
    }
    if (Array.isArray(o.allOf) && o.allOf.length > 0) {
      const merged: Obj = {};
      for (const part of o.allOf) if (isObject(part)) Object.assign(merged, part);
      return gen(
        { ...merged, ...Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'allOf')) },
        d,
        depth + 1,
      );
    }
    const types =
      typeof o.type === 'string'
        ? [o.type]
        : Array.isArray(o.type)
          ? (o.type as string[])
          : inferTypes(o);
    const type = pick(types.length > 0 ? types : ['string']);
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return random() < 0.5;
      case 'integer':
      case 'number': {
        let lo =
          typeof o.minimum === 'number'
            ? o.minimum
            : typeof o.exclusiveMinimum === 'number'
              ? o.exclusiveMinimum + 1
              : -1000;
        let hi =
          typeof o.maximum === 'number'
            ? o.maximum
            : typeof o.exclusiveMaximum === 'number'
              ? o.exclusiveMaximum - 1
              : 1000;
        if (hi < lo) [lo, hi] = [hi, lo];
        const edge = random();
        let v = edge < 0.15 ? lo : edge < 0.3 ? hi : lo + random() * (hi - lo);
        if (type === 'integer') v = Math.round(v);
        if (typeof o.multipleOf === 'number') v = Math.round(v / o.multipleOf) * o.multipleOf;
        return v;
      }
      case 'string': {
        if (typeof o.format === 'string' && FORMATS[o.format])
          return pick(FORMATS[o.format] as string[]);
        if (typeof o.pattern === 'string') {
          const s = samplePattern(o.pattern, random);
          if (s !== undefined) return s;
        }
        const min = typeof o.minLength === 'number' ? o.minLength : 0;
        const max = typeof o.maxLength === 'number' ? o.maxLength : Math.max(min, 12);
        const len =
          random() < 0.2
            ? min
            : random() < 0.2
              ? max
              : min + Math.floor(random() * (max - min + 1));
        let out = '';
        for (let i = 0; i < len; i++) out += String.fromCharCode(97 + Math.floor(random() * 26));
        return out;
      }
      case 'array': {
        if (depth > 6) return [];
        const min = typeof o.minItems === 'number' ? o.minItems : 0;
        const max = typeof o.maxItems === 'number' ? o.maxItems : Math.max(min, 3);
        const n = min + Math.floor(random() * (max - min + 1));
        const tuple = Array.isArray(o.prefixItems)
          ? o.prefixItems
          : Array.isArray(o.items)
            ? o.items
            : [];
        const rest = Array.isArray(o.items) ? o.additionalItems : o.items;
        const out: unknown[] = [];
        for (let i = 0; i < Math.max(n, tuple.length); i++)
          out.push(gen(i < tuple.length ? tuple[i] : rest, d, depth + 1));
        return out;
      }
      default: {
        const props = isObject(o.properties) ? o.properties : {};
        const required = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
        const out: Obj = {};
        for (const [k, v] of Object.entries(props)) {
          if (required.has(k) || (depth < 6 && random() < 0.7)) out[k] = gen(v, d, depth + 1);
        }
        for (const k of required)
          if (!(k in out))
            out[k] = gen(
              isObject(o.additionalProperties) ? o.additionalProperties : true,
              d,
              depth + 1,
            );
        return out;
      }
    }
  };
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(gen(p.schema, p.schema, 0));
  return out;
}

function inferTypes(o: Obj): string[] {
  if ('properties' in o || 'required' in o || 'additionalProperties' in o) return ['object'];
  if ('items' in o || 'prefixItems' in o) return ['array'];
  if ('minimum' in o || 'maximum' in o || 'multipleOf' in o) return ['number'];
  if ('minLength' in o || 'maxLength' in o || 'pattern' in o || 'format' in o) return ['string'];
  return ['string', 'integer', 'boolean', 'null', 'object'];
}
