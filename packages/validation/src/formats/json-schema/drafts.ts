import { Ajv, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { isObject } from '../../internal/json.js';
import { isEcmaScriptRegex, userRegExpEngine } from './patterns.js';

/** The JSON Schema drafts this package understands. */
export type JsonSchemaDraft = 'draft-04' | 'draft-06' | 'draft-07' | '2019-09' | '2020-12';

type AnyAjv = Ajv | Ajv2019 | Ajv2020;

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  typeof addFormatsModule === 'function'
    ? (addFormatsModule as unknown as AddFormats)
    : (addFormatsModule as unknown as { default: AddFormats }).default;

/** Which draft a schema declares through `$schema` (draft-07 when it says nothing). */
export function detectDraft(schema: unknown): JsonSchemaDraft {
  const uri = isObject(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  if (uri.includes('draft-04')) return 'draft-04';
  if (uri.includes('draft-06')) return 'draft-06';
  if (uri.includes('2019-09')) return '2019-09';
  if (uri.includes('2020-12')) return '2020-12';
  return 'draft-07';
}

/** A fresh ajv for one compiled schema (its `$id`s and references never collide with others). */
export function createAjv(draft: JsonSchemaDraft, allErrors: boolean): AnyAjv {
  const options: Options = {
    allErrors,
    strict: false,
    validateFormats: true,
    // Names that are not URIs (`address`) are accepted as `$ref` targets.
    addUsedSchema: false,
    // Schemas are checked against their meta-schema once, at parse time (a custom `$schema`
    // need not be known to ajv).
    validateSchema: false,
    // Unknown formats are ignored by the specification; ajv need not say so on the console.
    logger: false,
    // Patterns from schemas run on RE2 (linear time), never on the backtracking engine.
    code: { regExp: userRegExpEngine },
  };
  let ajv: AnyAjv;
  if (draft === '2019-09') ajv = new Ajv2019(options);
  else if (draft === '2020-12') ajv = new Ajv2020(options);
  else ajv = new Ajv(options);
  addFormats(ajv as Ajv);
  ajv.addFormat('regex', isEcmaScriptRegex);
  return ajv;
}

/**
 * Draft-06 is draft-07 without `if`/`then`/`else` and a few annotations, so a draft-06 schema is
 * validated by ajv's draft-07 mode once its `$schema` is dropped.
 */
export function fromDraft06(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

/**
 * Rewrites a draft-04 schema into its draft-07 equivalent (ajv 8 has no draft-04 mode):
 * `id` → `$id`, boolean `exclusiveMaximum`/`exclusiveMinimum` → the numeric form, `$schema`
 * dropped. Everything else means the same in both drafts.
 */
export function fromDraft04(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(fromDraft04);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$schema') continue;
    if (k === 'id' && typeof v === 'string') out.$id = v;
    else if (k === 'exclusiveMaximum' || k === 'exclusiveMinimum') continue;
    else if (k === 'enum' || k === 'default' || k === 'const' || k === 'examples') out[k] = v;
    else if (k === 'properties' || k === 'definitions' || k === 'patternProperties') {
      out[k] = isObject(v)
        ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, fromDraft04(s)]))
        : v;
    } else out[k] = typeof v === 'object' && v !== null ? fromDraft04(v) : v;
  }
  if (schema.exclusiveMaximum === true && typeof schema.maximum === 'number') {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  }
  if (schema.exclusiveMinimum === true && typeof schema.minimum === 'number') {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  }
  return out;
}
