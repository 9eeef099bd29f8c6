import { validationErrors } from '../../errors.js';
import { isObject } from '../../internal/json.js';
import type { JsonSchemaDraft } from './drafts.js';
import type { ReferenceModel, SchemaLocation } from './refs.js';

/**
 * Bounds on the work a schema can cause before any validator exists: the in-place evaluation
 * graph (a schema applied to the same instance through `$ref`, `allOf`, `anyOf`, `oneOf`, `not`,
 * `if`/`then`/`else`, `dependentSchemas`) must have no cycle (a cycle never consumes the instance,
 * so evaluating it never ends), no path longer than `limits.maxReferenceDepth`, and no schema
 * that applies more than `limits.maxSchemaNodes` schemas to one value (a small schema whose
 * `allOf`s refer to the same definitions twice at every level applies 2^n); and every walk checks
 * the compile deadline (`limits.maxCompileMs`).
 */

/** A point in time after which compiling gives up with E_LIMIT_EXCEEDED. */
export class Deadline {
  readonly #at: number;
  #ticks = 0;

  constructor(
    readonly ms: number,
    readonly now: () => number = () => performance.now(),
  ) {
    this.#at = ms > 0 ? now() + ms : Number.POSITIVE_INFINITY;
  }

  /** Throws when the deadline has passed (looks at the clock every 256 calls). */
  check(where: string): void {
    if ((++this.#ticks & 255) === 0) this.checkNow(where);
  }

  /** Throws when the deadline has passed. */
  checkNow(where: string): void {
    if (this.now() <= this.#at) return;
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `JSON Schema took longer than limits.maxCompileMs (${this.ms} ms) to compile (${where})`,
      { details: { format: 'json-schema', limit: 'maxCompileMs', max: this.ms } },
    );
  }
}

const LEGACY = new Set<JsonSchemaDraft>(['draft-04', 'draft-06', 'draft-07']);

interface Edge {
  readonly target: SchemaLocation;
  /** Keyword path from the source (for the error's pointer). */
  readonly via: string;
}

function inPlaceEdges(model: ReferenceModel, loc: SchemaLocation): Edge[] {
  const s = loc.schema;
  if (!isObject(s) || !model.isSchema(loc)) return [];
  const draft = model.draftAt(loc);
  const out: Edge[] = [];
  const ref = (kw: string) => {
    const value = s[kw];
    if (typeof value !== 'string') return;
    const target = model.resolve(loc, value);
    if (target !== undefined) out.push({ target, via: `/${kw}` });
  };
  ref('$ref');
  if (LEGACY.has(draft) && typeof s.$ref === 'string') return out;
  if (draft === '2019-09') ref('$recursiveRef');
  if (draft === '2020-12') ref('$dynamicRef');
  for (const kw of ['allOf', 'anyOf', 'oneOf']) {
    const list = s[kw];
    if (Array.isArray(list))
      list.forEach((_, i) => out.push({ target: model.at(loc, kw, i), via: `/${kw}/${i}` }));
  }
  const single =
    draft === 'draft-04' || draft === 'draft-06' ? ['not'] : ['not', 'if', 'then', 'else'];
  for (const kw of single) if (kw in s) out.push({ target: model.at(loc, kw), via: `/${kw}` });
  const deps = LEGACY.has(draft) ? 'dependencies' : 'dependentSchemas';
  const map = s[deps];
  if (isObject(map)) {
    for (const [k, v] of Object.entries(map)) {
      if (Array.isArray(v)) continue;
      out.push({
        target: model.at(loc, deps, k),
        via: `/${deps}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      });
    }
  }
  return out;
}

function where(
  model: ReferenceModel,
  loc: SchemaLocation,
  via: string,
): { pointer: string; text: string; document: string } {
  const o = model.origin(loc);
  const pointer = `${o.pointer}${via}`;
  return {
    pointer,
    document: o.document,
    text: o.document === '' ? pointer : `${o.document}#${pointer}`,
  };
}

/**
 * Checks the in-place evaluation graph of every schema position in `documents` (names of the
 * documents in use: '' for the root): E_INVALID_SCHEMA for a cycle, E_LIMIT_EXCEEDED for a chain
 * longer than `maxDepth`. Iterative, linear in the graph's size.
 */
export function checkInPlaceGraph(
  model: ReferenceModel,
  documents: ReadonlySet<string>,
  maxDepth: number,
  maxApplied: number,
  deadline: Deadline,
): void {
  const depth = new Map<string, number>();
  /** How many schemas evaluating this one applies to the same value (itself included). */
  const weight = new Map<string, number>();
  const onStack = new Set<string>();
  const keyOf = (l: SchemaLocation) => `${l.resourceUri}#${l.pointer}`;
  interface Frame {
    readonly loc: SchemaLocation;
    readonly key: string;
    readonly edges: Edge[];
    /** The edge from the parent frame. */
    readonly via: string;
    i: number;
    best: number;
    applied: number;
  }
  const tooDeep = (loc: SchemaLocation, via: string): never => {
    const w = where(model, loc, via);
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `JSON Schema applies more than limits.maxReferenceDepth (${maxDepth}) schemas in place (through $ref and in-place applicators) at ${w.text}`,
      {
        details: {
          format: 'json-schema',
          limit: 'maxReferenceDepth',
          max: maxDepth,
          location: w.pointer,
          ...(w.document === '' ? {} : { document: w.document }),
        },
      },
    );
  };
  const tooMany = (loc: SchemaLocation, via: string): never => {
    const w = where(model, loc, via);
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `JSON Schema applies more than limits.maxSchemaNodes (${maxApplied}) schemas to one value (shared subschemas referenced many times over) at ${w.text}`,
      {
        details: {
          format: 'json-schema',
          limit: 'maxSchemaNodes',
          max: maxApplied,
          location: w.pointer,
          ...(w.document === '' ? {} : { document: w.document }),
        },
      },
    );
  };
  for (const start of model.locations()) {
    if (!documents.has(model.origin(start).document)) continue;
    const startKey = keyOf(start);
    if (depth.has(startKey)) continue;
    const stack: Frame[] = [
      {
        loc: start,
        key: startKey,
        edges: inPlaceEdges(model, start),
        via: '',
        i: 0,
        best: 0,
        applied: 1,
      },
    ];
    onStack.add(startKey);
    while (stack.length > 0) {
      deadline.check('checking references');
      const top = stack[stack.length - 1] as Frame;
      if (top.i < top.edges.length) {
        const e = top.edges[top.i++] as Edge;
        const k = keyOf(e.target);
        if (onStack.has(k)) {
          const w = where(model, top.loc, e.via);
          throw validationErrors.create(
            'E_INVALID_SCHEMA',
            `invalid json-schema schema at ${w.text}: it applies itself to the same value again (a reference cycle with no base case), so validating would never end`,
            {
              details: {
                format: 'json-schema',
                location: w.pointer,
                ...(w.document === '' ? {} : { document: w.document }),
              },
            },
          );
        }
        const known = depth.get(k);
        if (known !== undefined) {
          top.best = Math.max(top.best, known + 1);
          if (top.best > maxDepth) tooDeep(top.loc, e.via);
          top.applied += weight.get(k) ?? 1;
          if (top.applied > maxApplied) tooMany(top.loc, e.via);
          continue;
        }
        if (stack.length >= maxDepth) tooDeep(top.loc, e.via);
        onStack.add(k);
        stack.push({
          loc: e.target,
          key: k,
          edges: inPlaceEdges(model, e.target),
          via: e.via,
          i: 0,
          best: 0,
          applied: 1,
        });
      } else {
        stack.pop();
        onStack.delete(top.key);
        depth.set(top.key, top.best);
        weight.set(top.key, top.applied);
        const parent = stack[stack.length - 1];
        if (parent !== undefined) {
          parent.best = Math.max(parent.best, top.best + 1);
          if (parent.best > maxDepth) tooDeep(parent.loc, top.via);
          parent.applied += top.applied;
          if (parent.applied > maxApplied) tooMany(parent.loc, top.via);
        }
      }
    }
  }
}
