import { isObject } from '../../internal/json.js';
import type { ParsedJsonSchema } from './plugin.js';
import { samplePattern } from './pattern-sample.js';
import { arrayParts } from './keywords.js';
import type { SchemaLocation } from './refs.js';

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
  const model = p.model;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  /**
   * The keywords in effect at a list of locations (later ones win: `allOf` parts and the
   * siblings of a reference), each with the location it comes from, references followed.
   */
  const view = (
    locs: readonly SchemaLocation[],
    scope: readonly SchemaLocation[],
    chosen: ReadonlySet<string>,
  ) => {
    const o: Obj = {};
    const from = new Map<string, SchemaLocation>();
    let never = false;
    const visit = (loc: SchemaLocation, hops: number): void => {
      const s = loc.schema;
      if (s === false) never = true;
      if (!isObject(s) || hops > 16) return;
      for (const kw of ['$ref', '$dynamicRef', '$recursiveRef'] as const) {
        const ref = s[kw];
        if (typeof ref !== 'string') continue;
        const t = kw === '$ref' ? model.resolve(loc, ref) : model.resolveDynamic(loc, ref, scope);
        if (t !== undefined) visit(t, hops + 1);
      }
      if (Array.isArray(s.allOf))
        s.allOf.forEach((_, i) => visit(model.at(loc, 'allOf', i), hops + 1));
      for (const [k, v] of Object.entries(s)) {
        if (k === '$ref' || k === '$dynamicRef' || k === '$recursiveRef' || k === 'allOf') continue;
        if (chosen.has(`${loc.resourceUri}#${loc.pointer}/${k}`)) continue;
        o[k] = v;
        from.set(k, loc);
      }
    };
    for (const l of locs) visit(l, 0);
    const at = (k: string, ...rest: Array<string | number>) =>
      model.at(from.get(k) as SchemaLocation, k, ...rest);
    const key = (k: string) => {
      const l = from.get(k) as SchemaLocation;
      return `${l.resourceUri}#${l.pointer}/${k}`;
    };
    return { o, at, key, never };
  };
  const gen = (
    locs: readonly SchemaLocation[],
    scope: readonly SchemaLocation[],
    depth: number,
    chosen: ReadonlySet<string> = new Set(),
  ): unknown => {
    const loc = locs[0] as SchemaLocation;
    // The dynamic scope: resources entered, outermost first (a resource entered again adds nothing).
    if (!scope.some((r) => r.resourceUri === loc.resourceUri))
      scope = [...scope, model.resource(loc.resourceUri) ?? loc];
    const { o, at, key, never } = view(locs, scope, chosen);
    if (locs.every((l) => l.schema === true || l.schema === undefined))
      return pick([1, 'x', true, null]);
    if (never) return null;
    const sub = (l: SchemaLocation) => gen([l], scope, depth + 1);
    if ('const' in o) return o.const;
    if (Array.isArray(o.enum) && o.enum.length > 0) return pick(o.enum);
    for (const kw of ['anyOf', 'oneOf'] as const) {
      const branches = o[kw];
      if (Array.isArray(branches) && branches.length > 0 && depth < 12) {
        // The chosen branch joins the keywords around it.
        const branch = at(kw, Math.floor(random() * branches.length));
        return gen([...locs, branch], scope, depth + 1, new Set([...chosen, key(kw)]));
      }
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
        const parts = arrayParts(o, model.draftAt(loc));
        const tuple = parts.tuple ?? [];
        const { tupleKey, restKey, rest } = parts;
        const out: unknown[] = [];
        for (let i = 0; i < Math.max(n, tuple.length); i++)
          out.push(
            i < tuple.length
              ? sub(at(tupleKey, i))
              : rest === undefined
                ? pick([1, 'x', null])
                : sub(at(restKey)),
          );
        return out;
      }
      default: {
        const props = isObject(o.properties) ? o.properties : {};
        const required = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
        const out: Obj = {};
        for (const k of Object.keys(props)) {
          if (required.has(k) || (depth < 6 && random() < 0.7)) out[k] = sub(at('properties', k));
        }
        for (const k of required)
          if (!(k in out))
            out[k] = isObject(o.additionalProperties)
              ? sub(at('additionalProperties'))
              : pick([1, 'x', null]);
        return out;
      }
    }
  };
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(gen([model.root], [model.root], 0));
  return out;
}

function inferTypes(o: Obj): string[] {
  if ('properties' in o || 'required' in o || 'additionalProperties' in o) return ['object'];
  if ('items' in o || 'prefixItems' in o) return ['array'];
  if ('minimum' in o || 'maximum' in o || 'multipleOf' in o) return ['number'];
  if ('minLength' in o || 'maxLength' in o || 'pattern' in o || 'format' in o) return ['string'];
  return ['string', 'integer', 'boolean', 'null', 'object'];
}
