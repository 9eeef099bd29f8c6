import { canonicalJson } from '@plinth/core';
import { z } from 'zod';
import { invalidSchema } from '../../errors.js';
import type { CompiledCheck, FormatContext, FormatPlugin } from '../../format-plugin.js';
import { VALID } from '../../format-plugin.js';
import { isObject } from '../../internal/json.js';
import type { SchemaSource, ValidationIssue } from '../../types.js';
import { compareJsonSchemas } from '../json-schema/compare.js';
import { type ParsedJsonSchema, parseJsonSchema } from '../json-schema/plugin.js';
import { sampleJsonSchema } from '../json-schema/sample.js';

/** A zod schema with its JSON Schema projection (used for canonical form and compatibility). */
export interface ParsedZod {
  readonly schema: z.ZodType;
  readonly json: ParsedJsonSchema;
}

function isZod(v: unknown): v is z.ZodType {
  return (
    isObject(v) && typeof (v as { safeParse?: unknown }).safeParse === 'function' && '_zod' in v
  );
}

/** zod 4's JSON Schema for a schema (draft 2020-12); unrepresentable parts become `{}`. */
export function zodToJsonSchema(p: unknown): unknown {
  return (p as ParsedZod).json.schema;
}

function parseZod(source: SchemaSource, context: FormatContext): ParsedZod {
  const schema = source.schema;
  if (!isZod(schema))
    return invalidSchema('zod', 'expected a zod 4 schema (z.object(...), z.string(), ...)', '');
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
  } catch (error) {
    return invalidSchema(
      'zod',
      `cannot be expressed as JSON Schema: ${(error as Error).message}`,
      '',
      error,
    );
  }
  return { schema, json: parseJsonSchema({ format: 'json-schema', schema: json }, context) };
}

function toIssues(error: z.ZodError, max: number): ValidationIssue[] {
  return error.issues.slice(0, max).map((i) => ({
    path: i.path.map((x) => `/${String(x).replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''),
    message: i.message,
    rule: `zod:${i.code}`,
    severity: 'error' as const,
  }));
}

function compileZod(p: ParsedZod): CompiledCheck {
  const schema = p.schema;
  return {
    test: (value) => schema.safeParse(value).success,
    validate(value, maxIssues) {
      const r = schema.safeParse(value);
      return r.success ? VALID : { valid: false, issues: toIssues(r.error, maxIssues) };
    },
  };
}

/** zod 4 as a first-class format: validates with safeParse, compares through its JSON Schema. */
export const zodFormat: FormatPlugin<ParsedZod> = {
  format: 'zod',
  parse: parseZod,
  canonicalForm: (p) => canonicalJson(p.json.schema),
  compile: (p) => compileZod(p),
  compare: (prev, next, ctx) => compareJsonSchemas(prev.json, next.json, ctx.jsonSchemaPolicy),
  empirical: {
    sample: (p, count, random) =>
      sampleJsonSchema(p.json, count, random).filter((v) => p.schema.safeParse(v).success),
    read(_writer, reader, value) {
      const r = reader.schema.safeParse(value);
      return r.success
        ? { ok: true }
        : { ok: false, reason: r.error.issues[0]?.message ?? 'invalid' };
    },
  },
};
