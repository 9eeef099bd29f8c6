import { canonicalJson } from '@plinth/core';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { invalidSchema, validationErrors } from '../../errors.js';
import type { CompiledCheck, FormatContext, FormatPlugin } from '../../format-plugin.js';
import { VALID } from '../../format-plugin.js';
import { checkDepth, checkSize, isObject } from '../../internal/json.js';
import type { SchemaSource, ValidationIssue } from '../../types.js';
import { compareJsonSchemas } from './compare.js';
import {
  createAjv,
  detectDraft,
  fromDraft04,
  fromDraft06,
  type JsonSchemaDraft,
} from './drafts.js';
import { RefResolver } from './refs.js';
import { sampleJsonSchema } from './sample.js';

/** A parsed JSON Schema: the draft, the (draft-04-translated) document and its references. */
export interface ParsedJsonSchema {
  readonly draft: JsonSchemaDraft;
  readonly schema: unknown;
  readonly references: ReadonlyArray<{ readonly name: string; readonly schema: unknown }>;
  readonly canonical: string;
}

function prepare(schema: unknown, name: string, context: FormatContext): unknown {
  if (typeof schema === 'string') {
    checkSize(schema.length, context.limits.maxSchemaSize, `JSON Schema ${name}`);
    try {
      schema = JSON.parse(schema) as unknown;
    } catch (error) {
      invalidSchema('json-schema', `${name} is not JSON (${(error as Error).message})`, '', error);
    }
  }
  if (typeof schema !== 'boolean' && !isObject(schema)) {
    invalidSchema('json-schema', `${name} must be an object or a boolean`, '');
  }
  checkDepth(schema, context.limits.maxSchemaDepth, `JSON Schema ${name}`);
  return schema;
}

function translate(schema: unknown): unknown {
  const d = detectDraft(schema);
  return d === 'draft-04' ? fromDraft04(schema) : d === 'draft-06' ? fromDraft06(schema) : schema;
}

const metaAjv = new Map<JsonSchemaDraft, ReturnType<typeof createAjv>>();

function metaCheck(draft: JsonSchemaDraft, schema: unknown, name: string): void {
  if (typeof schema === 'boolean') return;
  let ajv = metaAjv.get(draft);
  if (ajv === undefined) metaAjv.set(draft, (ajv = createAjv(draft, false)));
  const ok = ajv.validateSchema(schema as object);
  if (ok !== true) {
    const e = ajv.errors?.[0];
    invalidSchema(
      'json-schema',
      `${name}: ${e?.message ?? 'does not match its meta-schema'}`,
      e?.instancePath ?? '',
    );
  }
}

export function parseJsonSchema(source: SchemaSource, context: FormatContext): ParsedJsonSchema {
  const raw = prepare(source.schema, 'schema', context);
  const draft = detectDraft(raw);
  const schema = translate(raw);
  metaCheck(draft, schema, 'schema');
  const refs = source.references ?? [];
  if (refs.length > context.limits.maxReferences) {
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `${refs.length} references, more than limits.maxReferences (${context.limits.maxReferences})`,
      { details: { limit: 'maxReferences' } },
    );
  }
  const references = refs.map((r) => {
    const s = prepare(r.schema, `reference "${r.name}"`, context);
    const translated = translate(s);
    metaCheck(draft, translated, `reference "${r.name}"`);
    return { name: r.name, schema: translated };
  });
  let canonical = canonicalJson(normalize(raw));
  checkSize(canonical.length, context.limits.maxSchemaSize, 'JSON Schema');
  if (references.length > 0) {
    const sorted = [...references].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    canonical = canonicalJson({
      schema: normalize(raw),
      references: sorted.map((r) => ({ name: r.name, schema: normalize(r.schema) })),
    });
  }
  const parsed: ParsedJsonSchema = { draft, schema, references, canonical };
  checkRefs(parsed);
  return parsed;
}

/**
 * The normalized schema behind the canonical form: besides key order and formatting (canonical
 * JSON), the order of `required` names and of `type` lists means nothing, so both are sorted.
 */
function normalize(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalize);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (
      (k === 'required' || k === 'type') &&
      Array.isArray(v) &&
      v.every((x) => typeof x === 'string')
    ) {
      out[k] = [...new Set(v as string[])].sort();
    } else if (k === 'enum' || k === 'const' || k === 'default' || k === 'examples') out[k] = v;
    else out[k] = typeof v === 'object' && v !== null ? normalize(v) : v;
  }
  return out;
}

/** Compiles with a fresh ajv that knows the references. */
const sharedAjv = new Map<string, ReturnType<typeof createAjv>>();

/**
 * Compiles with ajv. A schema without references uses one shared ajv per draft and is removed
 * from it right after compiling (the compiled function stays valid; ajv keeps nothing, so the
 * LRU of validators alone decides memory); a schema with references gets a fresh ajv, so `$id`s
 * never collide.
 */
export function buildValidate(parsed: ParsedJsonSchema, allErrors: boolean): ValidateFunction {
  const shared = parsed.references.length === 0 && typeof parsed.schema === 'object';
  const key = `${parsed.draft}:${allErrors}`;
  let ajv = shared ? sharedAjv.get(key) : undefined;
  if (ajv === undefined) {
    ajv = createAjv(parsed.draft, allErrors);
    if (shared) sharedAjv.set(key, ajv);
  }
  try {
    for (const r of parsed.references) ajv.addSchema(r.schema as object, r.name);
    return ajv.compile(parsed.schema as object);
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
    if (shared) ajv.removeSchema(parsed.schema as object);
  }
}

/** Finds unresolvable `$ref`s at parse time (without compiling), as E_MISSING_REFERENCE. */
function checkRefs(parsed: ParsedJsonSchema): void {
  const refs = new RefResolver(parsed.schema, parsed.references);
  const docs: unknown[] = [parsed.schema, ...parsed.references.map((r) => r.schema)];
  for (const doc of docs) {
    const stack: unknown[] = [doc];
    while (stack.length > 0) {
      const s = stack.pop();
      if (typeof s !== 'object' || s === null) continue;
      if (isObject(s)) {
        const ref = s.$ref;
        if (
          typeof ref === 'string' &&
          refs.resolve(ref, doc) === undefined &&
          !/^https?:\/\/json-schema\.org\//.test(ref)
        ) {
          throw validationErrors.create(
            'E_MISSING_REFERENCE',
            `JSON Schema refers to "${ref}", which is neither in the schema nor among its references`,
            {
              details: { format: 'json-schema', reference: ref },
            },
          );
        }
        for (const [k, v] of Object.entries(s))
          if (k !== 'enum' && k !== 'const' && k !== 'default' && k !== 'examples') stack.push(v);
      } else stack.push(...(s as unknown[]));
    }
  }
}

const compiledFor = new WeakMap<ParsedJsonSchema, ValidateFunction>();

function cachedValidate(p: ParsedJsonSchema): ValidateFunction {
  let f = compiledFor.get(p);
  if (f === undefined) compiledFor.set(p, (f = buildValidate(p, false)));
  return f;
}

function toIssue(e: ErrorObject): ValidationIssue {
  const missing = (e.params as { missingProperty?: string }).missingProperty;
  const path =
    e.keyword === 'required' && typeof missing === 'string'
      ? `${e.instancePath}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`
      : e.instancePath;
  return { path, message: e.message ?? e.keyword, rule: e.keyword, severity: 'error' };
}

function compileJsonSchema(parsed: ParsedJsonSchema): CompiledCheck {
  const fast = cachedValidate(parsed);
  let full: ValidateFunction | undefined;
  return {
    test: (value) => fast(value) as boolean,
    validate(value, maxIssues) {
      if (fast(value) as boolean) return VALID;
      full ??= buildValidate(parsed, true);
      full(value);
      const errors = full.errors ?? fast.errors ?? [];
      return { valid: false, issues: errors.slice(0, maxIssues).map(toIssue) };
    },
  };
}

/** The JSON Schema format (drafts 04, 06, 07, 2019-09, 2020-12) over ajv + ajv-formats. */
export const jsonSchemaFormat: FormatPlugin<ParsedJsonSchema> = {
  format: 'json-schema',
  parse: parseJsonSchema,
  canonicalForm: (p) => p.canonical,
  compile: (p) => compileJsonSchema(p),
  compare: (prev, next, ctx) => compareJsonSchemas(prev, next, ctx.jsonSchemaPolicy),
  empirical: {
    sample: (p, count, random) => {
      const check = cachedValidate(p);
      return sampleJsonSchema(p, count, random).filter((v) => check(v) as boolean);
    },
    read(_writer, reader, value) {
      const check = cachedValidate(reader);
      if (check(value) as boolean) return { ok: true };
      const e = check.errors?.[0];
      return { ok: false, reason: `${e?.instancePath || '/'} ${e?.message ?? 'invalid'}` };
    },
  },
};
