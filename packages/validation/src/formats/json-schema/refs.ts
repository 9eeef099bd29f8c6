import fastUri from 'fast-uri';
import { validationErrors } from '../../errors.js';
import { isObject, ptr } from '../../internal/json.js';
import type { JsonSchemaDraft } from './drafts.js';
import { META_SCHEMAS } from './metaschemas.js';

/**
 * The JSON Schema reference model: where every (sub)schema lives (base URI, schema resource,
 * JSON pointer inside it) and what every `$ref`, `$dynamicRef` and `$recursiveRef` points to,
 * by RFC 3986 and the JSON Schema core specifications of drafts 04 to 2020-12. One model is built
 * per parsed schema (one bounded walk); the parse-time check, the compiler, the diff, the sampler
 * and the canonical form all read it.
 */

/** One place in the schema world. */
export interface SchemaLocation {
  /** The (sub)schema here (boolean or object). */
  readonly schema: unknown;
  /** Base URI in effect for this schema (after its own `$id` / draft-04 `id`). */
  readonly baseUri: string;
  /** URI of the schema resource (document or embedded `$id` resource) it lives in. */
  readonly resourceUri: string;
  /** JSON Pointer from that resource's root, e.g. "/properties/a". */
  readonly pointer: string;
}

/** Limits of one model (see `ValidationLimits`). */
export interface ReferenceModelLimits {
  /** Most subschemas indexed over the schema and its references. @default 100_000 */
  readonly maxSchemaNodes?: number;
  /** Called during the walk; throws to stop it (the compile time box). */
  readonly deadline?: { check(where: string): void };
}

/**
 * The base URI of a schema that has no `$id`. RFC 2606 reserves `.invalid`, so no real
 * identifier can be the same; it is hierarchical, so relative names resolve to paths under it.
 */
export const DEFAULT_BASE_URI = 'https://plinth.invalid/schema/root.json';

/** How a keyword holds subschemas, in a given draft (undefined: not a schema keyword). */
export type SubschemaKind = 'single' | 'array' | 'map' | 'items';

const COMMON: Record<string, SubschemaKind> = {
  additionalProperties: 'single',
  not: 'single',
  allOf: 'array',
  anyOf: 'array',
  oneOf: 'array',
  properties: 'map',
  patternProperties: 'map',
  definitions: 'map',
  dependencies: 'map',
};
const DRAFT4: Record<string, SubschemaKind> = {
  ...COMMON,
  items: 'items',
  additionalItems: 'single',
};
const DRAFT6: Record<string, SubschemaKind> = {
  ...DRAFT4,
  contains: 'single',
  propertyNames: 'single',
};
const DRAFT7: Record<string, SubschemaKind> = {
  ...DRAFT6,
  if: 'single',
  then: 'single',
  else: 'single',
};
const DRAFT2019: Record<string, SubschemaKind> = {
  ...DRAFT7,
  $defs: 'map',
  dependentSchemas: 'map',
  unevaluatedItems: 'single',
  unevaluatedProperties: 'single',
  contentSchema: 'single',
};
const { additionalItems: _a, ...DRAFT2020_BASE } = DRAFT2019;
const DRAFT2020: Record<string, SubschemaKind> = {
  ...DRAFT2020_BASE,
  items: 'single',
  prefixItems: 'array',
};
const KEYWORDS: Record<JsonSchemaDraft, Record<string, SubschemaKind>> = {
  'draft-04': DRAFT4,
  'draft-06': DRAFT6,
  'draft-07': DRAFT7,
  '2019-09': DRAFT2019,
  '2020-12': DRAFT2020,
};

/** How `keyword` holds subschemas in `draft` (undefined for keywords whose value is data). */
export function subschemaKind(draft: JsonSchemaDraft, keyword: string): SubschemaKind | undefined {
  return Object.hasOwn(KEYWORDS[draft], keyword) ? KEYWORDS[draft][keyword] : undefined;
}

/** The draft a `$schema` URI names, or undefined for an unknown meta-schema. */
export function draftOfMetaSchema(uri: unknown): JsonSchemaDraft | undefined {
  if (typeof uri !== 'string') return undefined;
  const key = uriKey(uri);
  const m = META_SCHEMAS.get(key);
  return m !== undefined && key.endsWith('/schema') ? m.draft : undefined;
}

/** Normalized absolute URI without its fragment: the key of a resource. */
export function uriKey(uri: string): string {
  const n = fastUri.normalize(uri);
  const hash = n.indexOf('#');
  return hash < 0 ? n : n.slice(0, hash);
}

/** Resolves `ref` against `base` (RFC 3986 §5.2, through fast-uri). */
export function resolveUri(base: string, ref: string): string {
  return fastUri.resolve(base, ref);
}

/** Splits a URI into its fragment-less key and its decoded fragment (undefined when absent). */
function splitFragment(uri: string): { key: string; fragment: string | undefined } {
  const hash = uri.indexOf('#');
  if (hash < 0) return { key: uriKey(uri), fragment: undefined };
  return { key: uriKey(uri.slice(0, hash)), fragment: uri.slice(hash + 1) };
}

/** Decodes one JSON-pointer token of a URI fragment: percent-decoding, then `~1` and `~0`. */
function decodeToken(raw: string): string | undefined {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Percent-decodes a plain-name fragment (undefined when the escapes are malformed). */
function decodeName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** A location the model made: a SchemaLocation plus whether it is a schema position. */
class Loc implements SchemaLocation {
  constructor(
    readonly schema: unknown,
    readonly baseUri: string,
    readonly resourceUri: string,
    readonly pointer: string,
    /** False below a keyword whose value is data (`enum`, `const`, unknown keywords...). */
    readonly isSchema: boolean,
    readonly draft: JsonSchemaDraft,
    /** JSON pointer from the document the schema was supplied in (for error details). */
    readonly docPointer: string,
    /** Name of that document: '' for the root schema, the reference name otherwise. */
    readonly doc: string,
  ) {}
}

/** The identifier a schema object declares, in its draft ($ref siblings ignored before 2019-09). */
function declaredId(s: Record<string, unknown>, draft: JsonSchemaDraft): unknown {
  const legacy = draft === 'draft-04' || draft === 'draft-06' || draft === 'draft-07';
  if (legacy && '$ref' in s) return undefined;
  if (draft === 'draft-04') return s.id ?? s.$id;
  return s.$id;
}

/** The draft an embedded resource switches to through its own `$schema`. */
function draftHere(s: unknown, inherited: JsonSchemaDraft): JsonSchemaDraft {
  return isObject(s) ? (draftOfMetaSchema(s.$schema) ?? inherited) : inherited;
}

function invalidId(loc: { doc: string; docPointer: string }, value: unknown, why: string): never {
  const pointer = ptr(loc.docPointer, '$id');
  const where = loc.doc === '' ? pointer || '/' : `${loc.doc}#${pointer}`;
  throw validationErrors.create(
    'E_INVALID_SCHEMA',
    `invalid json-schema schema at ${where}: $id ${JSON.stringify(value)} ${why}`,
    {
      details: {
        format: 'json-schema',
        location: pointer,
        ...(loc.doc === '' ? {} : { reference: loc.doc }),
      },
    },
  );
}

/** Resources, anchors and dynamic anchors of a set of documents. */
class Index {
  readonly resources = new Map<string, Loc>();
  readonly anchors = new Map<string, Loc>();
  readonly dynamicAnchors = new Map<string, Loc>();
  /** Every schema position indexed, in walk order. */
  readonly locations: Loc[] = [];
  nodes = 0;

  constructor(
    readonly maxNodes: number,
    readonly deadline?: { check(where: string): void },
  ) {}

  /** Enters a schema position: a new base and resource when the schema declares an `$id`. */
  static enter(
    schema: unknown,
    parent: Loc | undefined,
    key: string | number,
    base: { baseUri: string; draft: JsonSchemaDraft; doc: string },
  ): Loc {
    const draft = draftHere(schema, parent?.draft ?? base.draft);
    const docPointer = parent === undefined ? '' : ptr(parent.docPointer, key);
    const baseUri = parent?.baseUri ?? base.baseUri;
    const resourceUri = parent?.resourceUri ?? uriKey(base.baseUri);
    const pointer = parent === undefined ? '' : ptr(parent.pointer, key);
    const doc = parent?.doc ?? base.doc;
    if (isObject(schema)) {
      const id = declaredId(schema, draft);
      if (id !== undefined) {
        const at = { doc, docPointer };
        if (typeof id !== 'string') invalidId(at, id, 'is not a string');
        const parsed = fastUri.parse(id);
        if (parsed.error !== undefined || /[\s<>"{}|\\^`]/.test(id)) {
          invalidId(at, id, `is not a URI reference (${parsed.error ?? 'illegal character'})`);
        }
        const hash = id.indexOf('#');
        const path = hash < 0 ? id : id.slice(0, hash);
        if (path !== '') {
          const uri = uriKey(resolveUri(baseUri, path));
          return new Loc(schema, uri, uri, '', true, draft, docPointer, doc);
        }
      }
    }
    return new Loc(schema, baseUri, resourceUri, pointer, true, draft, docPointer, doc);
  }

  /** Indexes one document (bounded, iterative walk over schema positions only). */
  add(schema: unknown, baseUri: string, draft: JsonSchemaDraft, doc: string): Loc {
    const root = Index.enter(schema, undefined, '', { baseUri, draft, doc });
    this.#register(root.resourceUri, root, root.docPointer, root.doc);
    const stack: Loc[] = [root];
    while (stack.length > 0) {
      const loc = stack.pop() as Loc;
      this.deadline?.check('indexing subschemas');
      if (++this.nodes > this.maxNodes) {
        throw validationErrors.create(
          'E_LIMIT_EXCEEDED',
          `JSON Schema has more than limits.maxSchemaNodes (${this.maxNodes}) subschemas`,
          {
            details: {
              format: 'json-schema',
              limit: 'maxSchemaNodes',
              max: this.maxNodes,
              location: loc.docPointer,
            },
          },
        );
      }
      this.locations.push(loc);
      const s = loc.schema;
      if (!isObject(s)) continue;
      this.#anchorsOf(loc, s);
      for (const k of Object.keys(s)) {
        const kind = subschemaKind(loc.draft, k);
        if (kind === undefined) continue;
        const v = s[k];
        const keyLoc = new Loc(
          v,
          loc.baseUri,
          loc.resourceUri,
          ptr(loc.pointer, k),
          false,
          loc.draft,
          ptr(loc.docPointer, k),
          loc.doc,
        );
        const push = (child: unknown, parent: Loc, name: string | number) => {
          if (typeof child !== 'boolean' && !isObject(child)) return;
          const c = Index.enter(child, parent, name, { baseUri, draft, doc });
          if (c.pointer === '') this.#register(c.resourceUri, c, c.docPointer, c.doc);
          stack.push(c);
        };
        if (kind === 'single' || (kind === 'items' && !Array.isArray(v))) push(v, loc, k);
        else if (kind === 'array' || kind === 'items') {
          if (Array.isArray(v)) v.forEach((c, i) => push(c, keyLoc, i));
        } else if (isObject(v)) {
          for (const [name, c] of Object.entries(v)) push(c, keyLoc, name);
        }
      }
    }
    return root;
  }

  #register(uri: string, loc: Loc, docPointer: string, doc: string): void {
    const seen = this.resources.get(uri);
    if (seen === undefined) {
      this.resources.set(uri, loc);
      return;
    }
    if (seen.schema === loc.schema || JSON.stringify(seen.schema) === JSON.stringify(loc.schema))
      return;
    // The same identifier for two different schemas: only the document root (the reference
    // name alias) may be shadowed by an embedded `$id`; two `$id`s may not collide.
    if (loc.pointer === '' && loc.docPointer !== '' && seen.docPointer !== '') {
      invalidId({ doc, docPointer }, uri, 'identifies two different schemas');
    }
  }

  #anchorsOf(loc: Loc, s: Record<string, unknown>): void {
    const legacy = loc.draft === 'draft-04' || loc.draft === 'draft-06' || loc.draft === 'draft-07';
    if (legacy) {
      const id = declaredId(s, loc.draft);
      if (typeof id === 'string') {
        const hash = id.indexOf('#');
        const name = hash < 0 ? '' : decodeName(id.slice(hash + 1));
        if (name !== undefined && name !== '' && !name.startsWith('/'))
          this.#anchor(this.anchors, `${loc.resourceUri}#${name}`, loc);
      }
      return;
    }
    if (typeof s.$anchor === 'string')
      this.#anchor(this.anchors, `${loc.resourceUri}#${s.$anchor}`, loc);
    if (loc.draft === '2020-12' && typeof s.$dynamicAnchor === 'string') {
      const key = `${loc.resourceUri}#${s.$dynamicAnchor}`;
      this.#anchor(this.anchors, key, loc);
      this.#anchor(this.dynamicAnchors, key, loc);
    }
  }

  #anchor(map: Map<string, Loc>, key: string, loc: Loc): void {
    if (!map.has(key)) map.set(key, loc);
  }
}

let metaIndex: Index | undefined;

/** The draft meta-schemas, indexed once per process. */
function metaSchemas(): Index {
  if (metaIndex === undefined) {
    const index = new Index(Number.MAX_SAFE_INTEGER);
    for (const m of META_SCHEMAS.values()) index.add(m.schema, m.uri, m.draft, m.uri);
    metaIndex = index;
  }
  return metaIndex;
}

/** Every URI under which a named reference is registered, first the one it is based on. */
function referenceUris(name: string, schema: unknown, draft: JsonSchemaDraft, rootBase: string) {
  const byName = resolveUri(rootBase, name);
  const uris: string[] = [];
  const id = isObject(schema) ? declaredId(schema, draftHere(schema, draft)) : undefined;
  if (typeof id === 'string' && fastUri.parse(id).error === undefined) {
    const hash = id.indexOf('#');
    const path = hash < 0 ? id : id.slice(0, hash);
    if (path !== '') uris.push(uriKey(resolveUri(byName, path)));
  }
  uris.push(uriKey(byName));
  if (fastUri.parse(name).error === undefined) uris.push(uriKey(name));
  return { base: uris[0] as string, uris: [...new Set(uris)] };
}

/**
 * The reference model of one schema and its named references. Named references are registered
 * under their `$id` (resolved against their name), under their name resolved against the root's
 * base URI (what a Confluent-style referrer writes in `$ref`, e.g. "customer.json" next to the
 * referrer's `$id`) and under the bare name; the draft meta-schemas are always available.
 */
export class ReferenceModel {
  readonly root: SchemaLocation;
  /** Each named reference's root location, by reference name. */
  readonly references: ReadonlyMap<string, SchemaLocation>;
  /** Every URI a named reference is registered under (what the compiler must also know). */
  readonly referenceUris: ReadonlyMap<string, readonly string[]>;
  readonly #index: Index;

  constructor(
    root: unknown,
    references: ReadonlyArray<{ readonly name: string; readonly schema: unknown }>,
    readonly draft: JsonSchemaDraft,
    limits: ReferenceModelLimits = {},
  ) {
    this.#index = new Index(limits.maxSchemaNodes ?? 100_000, limits.deadline);
    const rootLoc = this.#index.add(root, DEFAULT_BASE_URI, draft, '');
    this.root = rootLoc;
    const refs = new Map<string, SchemaLocation>();
    const uris = new Map<string, readonly string[]>();
    for (const r of references) {
      const { base, uris: all } = referenceUris(r.name, r.schema, draft, rootLoc.baseUri);
      const loc = this.#index.add(r.schema, base, draftHere(r.schema, draft), r.name);
      for (const u of all) if (!this.#index.resources.has(u)) this.#index.resources.set(u, loc);
      refs.set(r.name, loc);
      uris.set(r.name, all);
    }
    this.references = refs;
    this.referenceUris = uris;
  }

  /** Every schema position of the schema and its references (not the meta-schemas). */
  locations(): readonly SchemaLocation[] {
    return this.#index.locations;
  }

  /**
   * Whether the schema declares identifiers of its own besides its root `$id`: an embedded
   * resource (`$id` inside) or an anchor. A compiler that keeps identifiers across schemas must
   * not share its state with such a schema.
   */
  get declaresIdentifiers(): boolean {
    return (
      this.#index.anchors.size > 0 ||
      this.#index.locations.some((l) => l.pointer === '' && l.docPointer !== '')
    );
  }

  /** The draft in effect at a location (an embedded `$schema` may switch it). */
  draftAt(loc: SchemaLocation): JsonSchemaDraft {
    return loc instanceof Loc ? loc.draft : this.draft;
  }

  /** Whether a location is a schema position (false below data keywords such as `enum`). */
  isSchema(loc: SchemaLocation): boolean {
    return !(loc instanceof Loc) || loc.isSchema;
  }

  /** Where a location is in the document it was supplied in: reference name ('' = root), pointer. */
  origin(loc: SchemaLocation): { readonly document: string; readonly pointer: string } {
    return loc instanceof Loc
      ? { document: loc.doc, pointer: loc.docPointer }
      : { document: '', pointer: loc.pointer };
  }

  /** Child location by keyword path (['properties','a'], ['items', 0], ['$defs','x']); base URI follows $id. */
  at(parent: SchemaLocation, ...path: ReadonlyArray<string | number>): SchemaLocation {
    let cur = this.#own(parent);
    let i = 0;
    while (i < path.length) {
      const key = path[i++] as string | number;
      const s = cur.schema;
      const value = Array.isArray(s)
        ? s[Number(key)]
        : isObject(s) && Object.hasOwn(s, String(key))
          ? s[String(key)]
          : undefined;
      const kind = cur.isSchema && isObject(s) ? subschemaKind(cur.draft, String(key)) : undefined;
      const child = (v: unknown, parent: Loc, k: string | number, schemaPos: boolean): Loc =>
        schemaPos && (typeof v === 'boolean' || isObject(v))
          ? Index.enter(v, parent, k, {
              baseUri: parent.baseUri,
              draft: parent.draft,
              doc: parent.doc,
            })
          : new Loc(
              v,
              parent.baseUri,
              parent.resourceUri,
              ptr(parent.pointer, k),
              false,
              parent.draft,
              ptr(parent.docPointer, k),
              parent.doc,
            );
      if (kind === 'single' || (kind === 'items' && !Array.isArray(value))) {
        cur = child(value, cur, key, true);
      } else if (kind !== undefined && i < path.length) {
        const container = child(value, cur, key, false);
        const name = path[i++] as string | number;
        const inner = Array.isArray(value)
          ? value[Number(name)]
          : isObject(value) && Object.hasOwn(value, String(name))
            ? value[String(name)]
            : undefined;
        const arrayKind = kind === 'array' || kind === 'items';
        const ok = arrayKind ? Array.isArray(value) : isObject(value) && !Array.isArray(inner);
        cur = child(inner, container, name, ok);
      } else {
        cur = child(value, cur, key, false);
      }
    }
    return cur;
  }

  /** Resolves a `$ref` value written at `from`; undefined when it resolves to nothing. */
  resolve(from: SchemaLocation, ref: string): SchemaLocation | undefined {
    if (fastUri.parse(ref).error !== undefined) return undefined;
    const { key, fragment } = splitFragment(resolveUri(from.baseUri, ref));
    const resource = this.#resource(key);
    if (resource === undefined) return undefined;
    if (fragment === undefined || fragment === '') return resource;
    if (fragment.startsWith('/')) {
      const tokens: Array<string | number> = [];
      for (const raw of fragment.slice(1).split('/')) {
        const t = decodeToken(raw);
        if (t === undefined) return undefined;
        tokens.push(t);
      }
      const target = this.at(resource, ...tokens);
      return target.schema === undefined ? undefined : target;
    }
    const name = decodeName(fragment);
    if (name === undefined) return undefined;
    return this.#anchor('anchors', `${key}#${name}`);
  }

  /** `$dynamicRef` (2020-12) / `$recursiveRef` (2019-09) with the dynamic scope (outermost first). */
  resolveDynamic(
    from: SchemaLocation,
    ref: string,
    dynamicScope: readonly SchemaLocation[],
  ): SchemaLocation | undefined {
    const initial = this.resolve(from, ref);
    if (initial === undefined) return undefined;
    if (this.draftAt(from) === '2019-09') {
      // $recursiveRef: when the target's resource root says `$recursiveAnchor: true`, the
      // outermost resource in the dynamic scope that also says so is the target.
      const root = this.#resource(initial.resourceUri);
      if (!isObject(root?.schema) || root.schema.$recursiveAnchor !== true) return initial;
      for (const scope of dynamicScope) {
        const r = this.#resource(scope.resourceUri);
        if (isObject(r?.schema) && r.schema.$recursiveAnchor === true) return r;
      }
      return initial;
    }
    // $dynamicRef: only a plain-name fragment that lands on a `$dynamicAnchor` of that name is
    // dynamic; then the outermost resource in scope with that dynamic anchor wins.
    const hash = ref.indexOf('#');
    const name = hash < 0 ? undefined : decodeName(ref.slice(hash + 1));
    if (name === undefined || name === '' || name.startsWith('/')) return initial;
    if (!isObject(initial.schema) || initial.schema.$dynamicAnchor !== name) return initial;
    for (const scope of dynamicScope) {
      const hit = this.#anchor('dynamicAnchors', `${scope.resourceUri}#${name}`);
      if (hit !== undefined) return hit;
    }
    return initial;
  }

  /** The root location of a schema resource by its URI (no fragment). */
  resource(uri: string): SchemaLocation | undefined {
    return this.#resource(uriKey(uri));
  }

  #resource(key: string): Loc | undefined {
    return this.#index.resources.get(key) ?? metaSchemas().resources.get(key);
  }

  #anchor(map: 'anchors' | 'dynamicAnchors', key: string): Loc | undefined {
    return this.#index[map].get(key) ?? metaSchemas()[map].get(key);
  }

  #own(loc: SchemaLocation): Loc {
    if (loc instanceof Loc) return loc;
    return new Loc(
      loc.schema,
      loc.baseUri,
      loc.resourceUri,
      loc.pointer,
      true,
      this.draft,
      loc.pointer,
      '',
    );
  }
}
