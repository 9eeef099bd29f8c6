import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { Validation, type ValidationLimits } from '../src/index.js';

/**
 * Hostile JSON Schemas: each gets a typed error naming the offending keyword by JSON pointer,
 * never a stack overflow, a raw TypeError/RangeError or a hang.
 */

const S2020 = 'https://json-schema.org/draft/2020-12/schema';

function failure(schema: unknown, limits?: ValidationLimits, references: unknown[] = []) {
  const validation = new Validation(limits === undefined ? {} : { limits });
  try {
    validation.compile({
      format: 'json-schema',
      schema,
      references: references as Array<{ name: string; schema: unknown }>,
    });
  } catch (error) {
    if (!isPlinthError(error)) throw error;
    return error as Error & { code: string; details: Record<string, unknown> };
  }
  throw new Error('compiled');
}

function chain(hops: number): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (let i = 0; i < hops; i++) defs[`d${i}`] = { $ref: `#/$defs/d${i + 1}` };
  defs[`d${hops}`] = { type: 'string' };
  return { $schema: S2020, $ref: '#/$defs/d0', $defs: defs };
}

describe('hostile JSON Schemas', () => {
  it('10,000 nested $ref hops: E_LIMIT_EXCEEDED at the hop past limits.maxReferenceDepth', () => {
    const e = failure(chain(10_000));
    expect(e.code).toBe('E_LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ limit: 'maxReferenceDepth', max: 1000 });
    expect(e.details.location).toMatch(/^\/\$defs\/d\d+\/\$ref$/);
  });

  it('a chain within limits.maxReferenceDepth compiles and validates', () => {
    const v = new Validation().compile({ format: 'json-schema', schema: chain(200) });
    expect(v.is('x')).toBe(true);
    expect(v.is(1)).toBe(false);
  });

  it.each([
    ['{"$ref":"#"}', { $ref: '#' }, '/$ref'],
    ['{"$ref":"#"} in 2020-12', { $schema: S2020, $ref: '#' }, '/$ref'],
    [
      'a → b → a',
      {
        $schema: S2020,
        $ref: '#/$defs/a',
        $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } },
      },
      '/$defs/b/$ref',
    ],
    ['through anyOf', { anyOf: [{ type: 'string' }, { $ref: '#' }] }, '/anyOf/1/$ref'],
    [
      'through an unused definition',
      {
        properties: { a: { $ref: '#/definitions/x' } },
        definitions: { x: { allOf: [{ $ref: '#/definitions/x' }] } },
      },
      '/definitions/x/allOf/0/$ref',
    ],
  ])(
    'a $ref cycle with no base case (%s): E_INVALID_SCHEMA at the closing $ref',
    (_n, schema, at) => {
      const e = failure(schema);
      expect(e.code).toBe('E_INVALID_SCHEMA');
      expect(e.details.location).toBe(at);
      expect(e.message).toMatch(/cycle with no base case/);
    },
  );

  it('recursion that consumes the value (a tree) is fine', () => {
    const v = new Validation().compile({
      format: 'json-schema',
      schema: {
        type: 'object',
        properties: {
          value: { type: 'number' },
          children: { type: 'array', items: { $ref: '#' } },
        },
      },
    });
    expect(v.is({ value: 1, children: [{ value: 2, children: [] }] })).toBe(true);
    expect(v.is({ value: 1, children: [{ value: 'x' }] })).toBe(false);
  });

  it('a cycle across two named references is found too, in the reference that closes it', () => {
    const e = failure(
      { $schema: S2020, $id: 'https://example.com/a.json', $ref: 'b.json' },
      undefined,
      [{ name: 'b.json', schema: { $ref: 'a.json' } }],
    );
    expect(e.code).toBe('E_INVALID_SCHEMA');
    expect(e.details).toMatchObject({ location: '/$ref' });
  });

  const wide: Record<string, unknown> = {};
  for (let i = 0; i < 60_000; i++)
    wide[`property_number_${i}`] = { type: 'string', description: 'x'.repeat(50) };
  const big = { type: 'object', properties: wide };

  it('a 5 MB schema: E_LIMIT_EXCEEDED (maxSchemaSize), as text and as an object', () => {
    const text = JSON.stringify(big);
    expect(text.length).toBeGreaterThan(5_000_000);
    for (const schema of [text, big]) {
      const e = failure(schema);
      expect(e.code).toBe('E_LIMIT_EXCEEDED');
      expect(e.details).toMatchObject({ limit: 'maxSchemaSize' });
    }
  });

  it('a 5 MB schema under a raised size limit is stopped by limits.maxCompileMs', () => {
    const e = failure(big, { maxSchemaSize: 8_000_000, maxCompileMs: 1 });
    expect(e.code).toBe('E_LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ limit: 'maxCompileMs', max: 1 });
  });

  it('more subschemas than limits.maxSchemaNodes: E_LIMIT_EXCEEDED with the pointer reached', () => {
    const e = failure(big, { maxSchemaSize: 8_000_000, maxSchemaNodes: 1_000 });
    expect(e.code).toBe('E_LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ limit: 'maxSchemaNodes', max: 1_000 });
    expect(e.details.location).toMatch(/^\/properties\/property_number_\d+$/);
  });

  it.each([
    ['a malformed host', 'http://[bad'],
    ['spaces', 'not a uri'],
    ['a backslash', 'a\\b.json'],
  ])('an $id that is not a URI (%s): E_INVALID_SCHEMA at that $id', (_n, id) => {
    const e = failure({ $schema: S2020, properties: { a: { $id: id, type: 'string' } } });
    expect(e.code).toBe('E_INVALID_SCHEMA');
    expect(e.details.location).toBe('/properties/a/$id');
  });

  it('an $id that is not a string: E_INVALID_SCHEMA at that $id', () => {
    const e = failure({ properties: { a: { $id: 42 } } });
    expect(e.code).toBe('E_INVALID_SCHEMA');
    expect(e.details.location).toBe('/properties/a/$id');
  });

  it.each([
    [
      'an unknown anchor',
      { $schema: S2020, properties: { a: { $ref: '#nope' } } },
      '/properties/a/$ref',
    ],
    ['an unknown pointer', { items: { $ref: '#/definitions/missing' } }, '/items/$ref'],
    ['a malformed escape', { $ref: '#/%E0%A4%A' }, '/$ref'],
    ['an unknown document', { not: { $ref: 'https://example.com/other.json' } }, '/not/$ref'],
    [
      'an anchor of another resource',
      { $schema: S2020, $defs: { x: { $id: 'x.json', $anchor: 'here' } }, $ref: '#here' },
      '/$ref',
    ],
  ])('a reference to %s: E_MISSING_REFERENCE at that $ref', (_n, schema, at) => {
    const e = failure(schema);
    expect(e.code).toBe('E_MISSING_REFERENCE');
    expect(e.details.location).toBe(at);
  });

  it('a missing reference inside a named reference names the document', () => {
    const e = failure({ $ref: 'customer.json' }, undefined, [
      { name: 'customer.json', schema: { properties: { a: { $ref: 'address.json' } } } },
    ]);
    expect(e.code).toBe('E_MISSING_REFERENCE');
    expect(e.details).toMatchObject({ document: 'customer.json', location: '/properties/a/$ref' });
  });

  it('deep values against a recursive schema answer with an outcome, not a stack overflow', () => {
    const v = new Validation().compile({
      format: 'json-schema',
      schema: {
        $schema: S2020,
        $dynamicAnchor: 'n',
        type: 'object',
        additionalProperties: { $dynamicRef: '#n' },
      },
    });
    let value: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) value = { a: value };
    const outcome = v.validate(value);
    expect(outcome.valid).toBe(false);
    expect(outcome.issues[0]).toMatchObject({ rule: 'limit' });
  });

  it('deep values against a recursive schema on ajv answer with an outcome too', () => {
    const v = new Validation().compile({
      format: 'json-schema',
      schema: { type: 'object', additionalProperties: { $ref: '#' } },
    });
    let value: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) value = { a: value };
    expect(v.is(value)).toBe(false);
    expect(v.validate(value).issues[0]).toMatchObject({ rule: 'limit' });
    expect(v.is({ a: { b: {} } })).toBe(true);
  });

  it('a schema that applies 2^40 schemas to one value (shared definitions): E_LIMIT_EXCEEDED', () => {
    const defs: Record<string, unknown> = { d40: { type: 'string' } };
    for (let i = 0; i < 40; i++)
      defs[`d${i}`] = { allOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    const e = failure({ $schema: S2020, $ref: '#/$defs/d0', $defs: defs });
    expect(e.code).toBe('E_LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ limit: 'maxSchemaNodes', max: 100_000 });
    expect(e.details.location).toMatch(/^\/\$defs\/d\d+\/allOf\/\d(\/\$ref)?$/);
  });
});
