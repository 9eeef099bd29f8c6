import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json' with { type: 'json' };
import d2019Applicator from 'ajv/dist/refs/json-schema-2019-09/meta/applicator.json' with { type: 'json' };
import d2019Content from 'ajv/dist/refs/json-schema-2019-09/meta/content.json' with { type: 'json' };
import d2019Core from 'ajv/dist/refs/json-schema-2019-09/meta/core.json' with { type: 'json' };
import d2019Format from 'ajv/dist/refs/json-schema-2019-09/meta/format.json' with { type: 'json' };
import d2019MetaData from 'ajv/dist/refs/json-schema-2019-09/meta/meta-data.json' with { type: 'json' };
import d2019Validation from 'ajv/dist/refs/json-schema-2019-09/meta/validation.json' with { type: 'json' };
import d2019 from 'ajv/dist/refs/json-schema-2019-09/schema.json' with { type: 'json' };
import d2020Applicator from 'ajv/dist/refs/json-schema-2020-12/meta/applicator.json' with { type: 'json' };
import d2020Content from 'ajv/dist/refs/json-schema-2020-12/meta/content.json' with { type: 'json' };
import d2020Core from 'ajv/dist/refs/json-schema-2020-12/meta/core.json' with { type: 'json' };
import d2020Format from 'ajv/dist/refs/json-schema-2020-12/meta/format-annotation.json' with { type: 'json' };
import d2020MetaData from 'ajv/dist/refs/json-schema-2020-12/meta/meta-data.json' with { type: 'json' };
import d2020Unevaluated from 'ajv/dist/refs/json-schema-2020-12/meta/unevaluated.json' with { type: 'json' };
import d2020Validation from 'ajv/dist/refs/json-schema-2020-12/meta/validation.json' with { type: 'json' };
import d2020 from 'ajv/dist/refs/json-schema-2020-12/schema.json' with { type: 'json' };
import type { JsonSchemaDraft } from './drafts.js';

/** The draft-04 meta-schema (ajv 8 does not ship it), as published at json-schema.org. */
const draft04 = {
  id: 'http://json-schema.org/draft-04/schema#',
  $schema: 'http://json-schema.org/draft-04/schema#',
  description: 'Core schema meta-schema',
  definitions: {
    schemaArray: { type: 'array', minItems: 1, items: { $ref: '#' } },
    positiveInteger: { type: 'integer', minimum: 0 },
    positiveIntegerDefault0: { allOf: [{ $ref: '#/definitions/positiveInteger' }, { default: 0 }] },
    simpleTypes: { enum: ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'] },
    stringArray: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
  },
  type: 'object',
  properties: {
    id: { type: 'string' },
    $schema: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    default: {},
    multipleOf: { type: 'number', minimum: 0, exclusiveMinimum: true },
    maximum: { type: 'number' },
    exclusiveMaximum: { type: 'boolean', default: false },
    minimum: { type: 'number' },
    exclusiveMinimum: { type: 'boolean', default: false },
    maxLength: { $ref: '#/definitions/positiveInteger' },
    minLength: { $ref: '#/definitions/positiveIntegerDefault0' },
    pattern: { type: 'string', format: 'regex' },
    additionalItems: { anyOf: [{ type: 'boolean' }, { $ref: '#' }], default: {} },
    items: { anyOf: [{ $ref: '#' }, { $ref: '#/definitions/schemaArray' }], default: {} },
    maxItems: { $ref: '#/definitions/positiveInteger' },
    minItems: { $ref: '#/definitions/positiveIntegerDefault0' },
    uniqueItems: { type: 'boolean', default: false },
    maxProperties: { $ref: '#/definitions/positiveInteger' },
    minProperties: { $ref: '#/definitions/positiveIntegerDefault0' },
    required: { $ref: '#/definitions/stringArray' },
    additionalProperties: { anyOf: [{ type: 'boolean' }, { $ref: '#' }], default: {} },
    definitions: { type: 'object', additionalProperties: { $ref: '#' }, default: {} },
    properties: { type: 'object', additionalProperties: { $ref: '#' }, default: {} },
    patternProperties: { type: 'object', additionalProperties: { $ref: '#' }, default: {} },
    dependencies: {
      type: 'object',
      additionalProperties: { anyOf: [{ $ref: '#' }, { $ref: '#/definitions/stringArray' }] },
    },
    enum: { type: 'array', minItems: 1, uniqueItems: true },
    type: {
      anyOf: [
        { $ref: '#/definitions/simpleTypes' },
        {
          type: 'array',
          items: { $ref: '#/definitions/simpleTypes' },
          minItems: 1,
          uniqueItems: true,
        },
      ],
    },
    format: { type: 'string' },
    allOf: { $ref: '#/definitions/schemaArray' },
    anyOf: { $ref: '#/definitions/schemaArray' },
    oneOf: { $ref: '#/definitions/schemaArray' },
    not: { $ref: '#' },
  },
  dependencies: { exclusiveMaximum: ['maximum'], exclusiveMinimum: ['minimum'] },
  default: {},
};

/** A draft meta-schema, with the draft it is written in. */
export interface MetaSchema {
  readonly uri: string;
  readonly draft: JsonSchemaDraft;
  readonly schema: Record<string, unknown>;
}

const meta = (uri: string, draft: JsonSchemaDraft, schema: object): MetaSchema => ({
  uri,
  draft,
  schema: schema as Record<string, unknown>,
});

/**
 * Every draft meta-schema and vocabulary meta-schema, keyed by its URI (no fragment): the
 * built-in references every schema can `$ref` without supplying them.
 */
export const META_SCHEMAS: ReadonlyMap<string, MetaSchema> = new Map(
  [
    meta('http://json-schema.org/draft-04/schema', 'draft-04', draft04),
    meta('http://json-schema.org/draft-06/schema', 'draft-06', draft06),
    meta('http://json-schema.org/draft-07/schema', 'draft-07', draft07),
    meta('https://json-schema.org/draft/2019-09/schema', '2019-09', d2019),
    meta('https://json-schema.org/draft/2019-09/meta/core', '2019-09', d2019Core),
    meta('https://json-schema.org/draft/2019-09/meta/applicator', '2019-09', d2019Applicator),
    meta('https://json-schema.org/draft/2019-09/meta/validation', '2019-09', d2019Validation),
    meta('https://json-schema.org/draft/2019-09/meta/meta-data', '2019-09', d2019MetaData),
    meta('https://json-schema.org/draft/2019-09/meta/format', '2019-09', d2019Format),
    meta('https://json-schema.org/draft/2019-09/meta/content', '2019-09', d2019Content),
    meta('https://json-schema.org/draft/2020-12/schema', '2020-12', d2020),
    meta('https://json-schema.org/draft/2020-12/meta/core', '2020-12', d2020Core),
    meta('https://json-schema.org/draft/2020-12/meta/applicator', '2020-12', d2020Applicator),
    meta('https://json-schema.org/draft/2020-12/meta/unevaluated', '2020-12', d2020Unevaluated),
    meta('https://json-schema.org/draft/2020-12/meta/validation', '2020-12', d2020Validation),
    meta('https://json-schema.org/draft/2020-12/meta/meta-data', '2020-12', d2020MetaData),
    meta('https://json-schema.org/draft/2020-12/meta/format-annotation', '2020-12', d2020Format),
    meta('https://json-schema.org/draft/2020-12/meta/content', '2020-12', d2020Content),
  ].map((m) => [m.uri, m]),
);
