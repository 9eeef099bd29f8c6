import { canonicalJson } from '@plinth/core';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { invalidSchema, validationErrors } from '../../errors.js';
import type { CompiledCheck, FormatContext, FormatPlugin } from '../../format-plugin.js';
import { VALID } from '../../format-plugin.js';
import { checkDepth, checkSize, isObject, parseSchemaText } from '../../internal/json.js';
import type { SchemaSource, ValidationIssue } from '../../types.js';
import { compareJsonSchemas } from './compare.js';
import {
  createAjv,
  detectDraft,
  fromDraft04,
  fromDraft06,
  type JsonSchemaDraft,
} from './drafts.js';
import { checkInPlaceGraph, Deadline } from './bounds.js';
import { customMetaSchema, interpreterReason, SchemaInterpreter } from './interpreter.js';
import { META_SCHEMAS } from './metaschemas.js';
import { checkSchemaPatterns } from './patterns.js';
import {
  DEFAULT_BASE_URI,
  draftOfMetaSchema,
  ReferenceModel,
  resolveUri,
  subschemaKind,
  type SchemaLocation,
  uriKey,
} from './refs.js';
import { sampleJsonSchema } from './sample.js';

/** A parsed JSON Schema: the draft, the (draft-04-translated) document and its references. */
export interface ParsedJsonSchema {
  readonly draft: JsonSchemaDraft;
  readonly schema: unknown;
  readonly references: ReadonlyArray<{ readonly name: string; readonly schema: unknown }>;
  readonly canonical: string;
  /** Where every subschema lives and what every reference points to (one per parsed schema). */
  readonly model: ReferenceModel;
  /** Names of the references the schema reaches through its references (directly or not). */
  readonly reachable: ReadonlySet<string>;
}

function prepare(schema: unknown, name: string, context: FormatContext): unknown {
  if (typeof schema === 'string') {
    schema = parseSchemaText(schema, context.limits, 'json-schema', `JSON Schema ${name}`);
  }
  if (typeof schema !== 'boolean' && !isObject(schema)) {
    invalidSchema('json-schema', `${name} must be an object or a boolean`, '');
  }
  checkDepth(schema, context.limits.maxSchemaDepth, `JSON Schema ${name}`);
  return schema;
}

/** A schema in the form ajv reads; `inherited` is the draft of a schema without `$schema`. */
function translate(schema: unknown, inherited?: JsonSchemaDraft): unknown {
  const d =
    inherited !== undefined && !(isObject(schema) && typeof schema.$schema === 'string')
      ? inherited
      : detectDraft(schema);
  return d === 'draft-04' ? fromDraft04(schema) : d === 'draft-06' ? fromDraft06(schema) : schema;
}

const metaAjv = new Map<JsonSchemaDraft, ReturnType<typeof createAjv>>();

/** The meta-schema ajv checks a (translated) schema of each draft against. */
const META_URI: Record<JsonSchemaDraft, string> = {
  'draft-04': 'http://json-schema.org/draft-07/schema',
  'draft-06': 'http://json-schema.org/draft-07/schema',
  'draft-07': 'http://json-schema.org/draft-07/schema',
  '2019-09': 'https://json-schema.org/draft/2019-09/schema',
  '2020-12': 'https://json-schema.org/draft/2020-12/schema',
};

function metaCheck(draft: JsonSchemaDraft, schema: unknown, name: string): void {
  if (typeof schema === 'boolean') return;
  let ajv = metaAjv.get(draft);
  if (ajv === undefined) metaAjv.set(draft, (ajv = createAjv(draft, false)));
  const ok = ajv.validate(META_URI[draft], schema);
  if (ok !== true) {
    const e = ajv.errors?.[0];
    invalidSchema(
      'json-schema',
      `${name}: ${e?.message ?? 'does not match its meta-schema'}`,
      e?.instancePath ?? '',
    );
  }
}

/**
 * The draft a schema is written in: its `$schema` when that names a draft; when it names a
 * custom meta-schema among the references, that meta-schema's draft (followed a few hops);
 * `inherited` (draft-07 for a root) when it says nothing.
 */
function draftOf(
  schema: unknown,
  references: ReadonlyArray<{ readonly name: string; readonly schema: unknown }>,
  inherited: JsonSchemaDraft,
): JsonSchemaDraft {
  let cur = schema;
  for (let hop = 0; hop < 8; hop++) {
    const uri = isObject(cur) ? cur.$schema : undefined;
    if (typeof uri !== 'string') return hop === 0 ? inherited : detectDraft(cur);
    const known = draftOfMetaSchema(uri);
    if (known !== undefined) return known;
    const key = uriKey(uri);
    const meta = references.find((r) => {
      if (uriKey(r.name) === key) return true;
      const id = isObject(r.schema) ? r.schema.$id : undefined;
      return typeof id === 'string' && uriKey(resolveUri(r.name, id)) === key;
    });
    if (meta === undefined) return detectDraft(cur);
    cur = meta.schema;
  }
  return detectDraft(cur);
}

export function parseJsonSchema(source: SchemaSource, context: FormatContext): ParsedJsonSchema {
  const raw = prepare(source.schema, 'schema', context);
  const refs = source.references ?? [];
  if (refs.length > context.limits.maxReferences) {
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `${refs.length} references, more than limits.maxReferences (${context.limits.maxReferences})`,
      { details: { limit: 'maxReferences' } },
    );
  }
  const rawRefs = refs.map((r) => ({
    name: r.name,
    schema: prepare(r.schema, `reference "${r.name}"`, context),
  }));
  const deadline = new Deadline(context.limits.maxCompileMs);
  const draft = draftOf(raw, rawRefs, 'draft-07');
  let canonical = canonicalJson(normalize(raw, draft));
  checkSize(canonical.length, context.limits.maxSchemaSize, 'JSON Schema');
  deadline.checkNow('canonical form');
  const schema = translate(raw, draft);
  metaCheck(draft, schema, 'schema');
  deadline.checkNow('meta-schema check');
  checkSchemaPatterns(schema);
  const references = rawRefs.map((r) => {
    const own = draftOf(r.schema, rawRefs, draft);
    const translated = translate(r.schema, own);
    metaCheck(own, translated, `reference "${r.name}"`);
    checkSchemaPatterns(translated);
    return { name: r.name, schema: translated };
  });
  if (references.length > 0) {
    const sorted = [...references].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    canonical = canonicalJson({
      schema: normalize(raw, draft),
      references: sorted.map((r) => ({
        name: r.name,
        schema: normalize(r.schema, draftOf(r.schema, rawRefs, draft)),
      })),
    });
  }
  const model = new ReferenceModel(schema, references, draft, {
    maxSchemaNodes: context.limits.maxSchemaNodes,
    deadline,
  });
  const reachable = checkRefs(model);
  checkInPlaceGraph(
    model,
    new Set(['', ...reachable]),
    context.limits.maxReferenceDepth,
    context.limits.maxSchemaNodes,
    deadline,
  );
  return { draft, schema, references, canonical, model, reachable };
}

/**
 * The normalized schema behind the canonical form: besides key order and formatting (canonical
 * JSON), the order of `required` names and of `type` lists means nothing, so both are sorted at
 * schema positions (as the reference model defines them: not inside `enum`, `const`, `default`,
 * `examples` or unknown keywords, whose values are data).
 */
function normalize(schema: unknown, inherited: JsonSchemaDraft): unknown {
  if (!isObject(schema)) return schema;
  const draft = draftOfMetaSchema(schema.$schema) ?? inherited;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    const kind = subschemaKind(draft, k);
    if (
      (k === 'required' || k === 'type') &&
      Array.isArray(v) &&
      v.every((x) => typeof x === 'string')
    ) {
      out[k] = [...new Set(v as string[])].sort();
    } else if (kind === 'single' || (kind === 'items' && !Array.isArray(v))) {
      out[k] = normalize(v, draft);
    } else if ((kind === 'array' || kind === 'items') && Array.isArray(v)) {
      out[k] = v.map((x) => normalize(x, draft));
    } else if (kind === 'map' && isObject(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([name, x]) => [name, Array.isArray(x) ? x : normalize(x, draft)]),
      );
    } else out[k] = v;
  }
  return out;
}

/** One ajv per draft and error mode for schemas that declare no identifiers of their own. */
const sharedAjv = new Map<string, ReturnType<typeof createAjv>>();

type AnyAjv = ReturnType<typeof createAjv>;

function ajvHas(ajv: AnyAjv, uri: string): boolean {
  return ajv.schemas[uri] !== undefined || ajv.refs[uri] !== undefined;
}

/** A schema whose `$id` is made absolute (ajv must use the base URI the model uses). */
function withBase(schema: unknown, base: string): unknown {
  if (!isObject(schema)) return schema;
  const id = schema.$id;
  if (typeof id !== 'string' || uriKey(id) === base) return schema;
  return { ...schema, $id: base };
}

/** Makes the draft meta-schemas that `model`'s references land in known to `ajv`. */
function addMetaSchemas(ajv: AnyAjv, model: ReferenceModel): void {
  const wanted = new Set<string>();
  for (const loc of model.locations()) {
    const s = loc.schema;
    if (!isObject(s) || typeof s.$ref !== 'string') continue;
    const target = model.resolve(loc, s.$ref);
    if (target !== undefined && META_SCHEMAS.has(target.resourceUri)) {
      const draft = META_SCHEMAS.get(target.resourceUri)?.draft;
      for (const m of META_SCHEMAS.values()) if (m.draft === draft) wanted.add(m.uri);
    }
  }
  for (const uri of wanted) {
    if (ajvHas(ajv, uri)) continue;
    const m = META_SCHEMAS.get(uri);
    if (m === undefined) continue;
    const schema = m.draft === 'draft-04' ? fromDraft04(m.schema) : m.schema;
    ajv.addSchema(schema as object, uri, undefined, false);
  }
}

/**
 * Compiles with ajv, in the same world as the reference model: the root under the model's base
 * URI, each named reference under every URI the model registers it under, the draft
 * meta-schemas it refers to. A schema that declares no identifiers (no embedded `$id`, no
 * anchor: ajv keeps those across compiles) and reaches no references uses
 * one shared ajv per draft and is removed from it right after compiling (the compiled function
 * stays valid; ajv keeps nothing, so the LRU of validators alone decides memory); any other gets
 * a fresh ajv, so identifiers never collide.
 */
export function buildValidate(parsed: ParsedJsonSchema, allErrors: boolean): ValidateFunction {
  const { model } = parsed;
  const shared =
    parsed.reachable.size === 0 && typeof parsed.schema === 'object' && !model.declaresIdentifiers;
  const key = `${parsed.draft}:${allErrors}`;
  let ajv = shared ? sharedAjv.get(key) : undefined;
  if (ajv === undefined) {
    ajv = createAjv(parsed.draft, allErrors);
    if (shared) sharedAjv.set(key, ajv);
  }
  const rootKey = model.root.baseUri;
  try {
    addMetaSchemas(ajv, model);
    for (const r of parsed.references) {
      if (!parsed.reachable.has(r.name)) continue;
      const uris = model.referenceUris.get(r.name) ?? [];
      const schema = withBase(r.schema, uris[0] ?? r.name);
      for (const uri of uris) {
        if (model.resource(uri)?.schema !== r.schema || ajvHas(ajv, uri) || uri === rootKey)
          continue;
        ajv.addSchema(schema as object, uri);
      }
    }
    if (typeof parsed.schema === 'boolean') return ajv.compile(parsed.schema as never);
    ajv.addSchema(withBase(parsed.schema, rootKey) as object, rootKey);
    const validate = ajv.getSchema(rootKey);
    if (validate === undefined) throw new Error(`ajv did not compile ${rootKey}`);
    return validate;
  } catch (error) {
    const e = error as { missingRef?: string; missingSchema?: string; message?: string };
    if (e.missingRef !== undefined || e.missingSchema !== undefined) {
      throw validationErrors.create(
        'E_MISSING_REFERENCE',
        `JSON Schema refers to "${e.missingRef ?? e.missingSchema}", which is neither in the schema nor among its references`,
        {
          details: { format: 'json-schema', reference: e.missingRef ?? e.missingSchema },
          cause: error,
        },
      );
    }
    return invalidSchema('json-schema', e.message ?? String(error), '', error);
  } finally {
    if (shared) ajv.removeSchema(rootKey);
  }
}

/** The reference keywords of a draft. */
function refKeywords(draft: JsonSchemaDraft): readonly string[] {
  if (draft === '2019-09') return ['$ref', '$recursiveRef'];
  if (draft === '2020-12') return ['$ref', '$dynamicRef'];
  return ['$ref'];
}

/**
 * Finds unresolvable references at parse time (without compiling), as E_MISSING_REFERENCE with
 * the JSON pointer of the offending keyword (and the reference it is in, if not the root). Only
 * documents the root reaches count: a supplied reference nothing uses is not checked.
 */
function checkRefs(model: ReferenceModel): ReadonlySet<string> {
  const byDoc = new Map<string, SchemaLocation[]>();
  for (const loc of model.locations()) {
    const doc = model.origin(loc).document;
    let list = byDoc.get(doc);
    if (list === undefined) byDoc.set(doc, (list = []));
    list.push(loc);
  }
  const reached = new Set<string>(['']);
  const queue = [''];
  while (queue.length > 0) {
    for (const loc of byDoc.get(queue.pop() as string) ?? []) {
      const s = loc.schema;
      if (!isObject(s)) continue;
      for (const kw of refKeywords(model.draftAt(loc))) {
        const ref = s[kw];
        if (typeof ref !== 'string') continue;
        const target = model.resolve(loc, ref);
        if (target === undefined) missingReference(model, loc, kw, ref);
        const doc = model.origin(target).document;
        if (!reached.has(doc)) {
          reached.add(doc);
          queue.push(doc);
        }
      }
    }
  }
  reached.delete('');
  return reached;
}

function missingReference(
  model: ReferenceModel,
  loc: SchemaLocation,
  keyword: string,
  ref: string,
): never {
  const origin = model.origin(loc);
  const pointer = `${origin.pointer}/${keyword}`;
  const where = origin.document === '' ? pointer : `${origin.document}#${pointer}`;
  throw validationErrors.create(
    'E_MISSING_REFERENCE',
    `JSON Schema refers to "${ref}" at ${where}, which is neither in the schema nor among its references (resolved against ${loc.baseUri === DEFAULT_BASE_URI ? 'a schema without $id' : loc.baseUri})`,
    {
      details: {
        format: 'json-schema',
        reference: ref,
        location: pointer,
        ...(origin.document === '' ? {} : { document: origin.document }),
      },
    },
  );
}

function toIssue(e: ErrorObject): ValidationIssue {
  const missing = (e.params as { missingProperty?: string }).missingProperty;
  const path =
    e.keyword === 'required' && typeof missing === 'string'
      ? `${e.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`
      : e.instancePath;
  return { path, message: e.message ?? e.keyword, rule: e.keyword, severity: 'error' };
}

/** A compiled check, with the engine that runs it. */
interface EngineCheck extends CompiledCheck {
  readonly engine: 'ajv' | 'interpreter';
  /** Why the interpreter runs this schema (undefined for ajv). */
  readonly reason?: string;
}

function ajvCheck(parsed: ParsedJsonSchema, fast: ValidateFunction): EngineCheck {
  let full: ValidateFunction | undefined;
  // A value nested deeper than ajv's generated code can recurse is answered by the interpreter
  // (which bounds its depth) instead of a stack overflow.
  let deep: EngineCheck | undefined;
  const deeper = () => (deep ??= interpreterCheck(parsed, 'deep value'));
  return {
    engine: 'ajv',
    test(value) {
      try {
        return fast(value) as boolean;
      } catch (error) {
        if (error instanceof RangeError) return deeper().test(value);
        throw error;
      }
    },
    validate(value, maxIssues) {
      try {
        if (fast(value) as boolean) return VALID;
        full ??= buildValidate(parsed, true);
        full(value);
      } catch (error) {
        if (error instanceof RangeError) return deeper().validate(value, maxIssues);
        throw error;
      }
      const errors = full.errors ?? fast.errors ?? [];
      return { valid: false, issues: errors.slice(0, maxIssues).map(toIssue) };
    },
  };
}

function interpreterCheck(parsed: ParsedJsonSchema, reason: string): EngineCheck {
  const interpreter = new SchemaInterpreter(parsed.model, {
    metaSchema: customMetaSchema(parsed.model),
  });
  return {
    engine: 'interpreter',
    reason,
    test: (value) => interpreter.test(value),
    validate(value, maxIssues) {
      if (interpreter.test(value)) return VALID;
      return { valid: false, issues: interpreter.validate(value, maxIssues) };
    },
  };
}

/**
 * Picks the engine: Plinth's interpreter for the schemas whose keywords ajv gets wrong
 * (`interpreterReason`) or cannot compile, ajv's generated code for every other.
 */
function chooseEngine(parsed: ParsedJsonSchema): EngineCheck {
  const reason = interpreterReason(parsed.model, parsed.reachable, customMetaSchema(parsed.model));
  if (reason !== undefined) return interpreterCheck(parsed, reason);
  let fast: ValidateFunction;
  try {
    fast = buildValidate(parsed, false);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof RangeError) return interpreterCheck(parsed, 'ajv cannot compile');
    throw error;
  }
  return ajvCheck(parsed, fast);
}

const compiledFor = new WeakMap<ParsedJsonSchema, EngineCheck>();

function cachedCheck(p: ParsedJsonSchema): EngineCheck {
  let c = compiledFor.get(p);
  if (c === undefined) compiledFor.set(p, (c = chooseEngine(p)));
  return c;
}

/** Which engine validates a parsed schema, and why (for the conformance table and docs). */
export function jsonSchemaEngine(p: ParsedJsonSchema): {
  engine: 'ajv' | 'interpreter';
  reason?: string;
} {
  const c = cachedCheck(p);
  return c.reason === undefined ? { engine: c.engine } : { engine: c.engine, reason: c.reason };
}

/** The JSON Schema format (drafts 04, 06, 07, 2019-09, 2020-12) over ajv + ajv-formats. */
export const jsonSchemaFormat: FormatPlugin<ParsedJsonSchema> = {
  format: 'json-schema',
  parse: parseJsonSchema,
  canonicalForm: (p) => p.canonical,
  compile: (p) => cachedCheck(p),
  compare: (prev, next, ctx) => compareJsonSchemas(prev, next, ctx.jsonSchemaPolicy),
  empirical: {
    sample: (p, count, random) => {
      const check = cachedCheck(p);
      return sampleJsonSchema(p, count, random).filter((v) => check.test(v));
    },
    read(_writer, reader, value) {
      const check = cachedCheck(reader);
      if (check.test(value)) return { ok: true };
      const e = check.validate(value, 1).issues[0];
      return { ok: false, reason: `${e?.path || '/'} ${e?.message ?? 'invalid'}` };
    },
  },
};
