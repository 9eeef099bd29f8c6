import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { Validation, type Validator } from '../src/index.js';

const person = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } },
  required: ['name'],
};

describe('JSON Schema validators', () => {
  const v = new Validation();

  it('validates a document and reports JSON-pointer issues with the keyword', () => {
    const val = v.compile({ format: 'json-schema', schema: person });
    expect(val.validate({ name: 'Ada', age: 36 })).toEqual({ valid: true, issues: [] });
    const bad = val.validate({ age: -1 });
    expect(bad.valid).toBe(false);
    expect(bad.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/name', rule: 'required' }),
        expect.objectContaining({ path: '/age', rule: 'minimum' }),
      ]),
    );
    expect(val.is({ name: 'x' })).toBe(true);
    expect(val.is({})).toBe(false);
  });

  it('assert() throws E_VALIDATION_FAILED with the issues', () => {
    const val: Validator<{ name: string }> = v.compile<{ name: string }>({
      format: 'json-schema',
      schema: person,
    });
    try {
      val.assert({});
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_VALIDATION_FAILED')).toBe(true);
      expect((e as { details: { issues: unknown[] } }).details.issues).toHaveLength(1);
    }
  });

  it.each([
    [
      'draft-04',
      {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'number',
        maximum: 10,
        exclusiveMaximum: true,
      },
      10,
      9,
    ],
    [
      'draft-06',
      { $schema: 'http://json-schema.org/draft-06/schema#', type: 'number', exclusiveMaximum: 10 },
      10,
      9,
    ],
    [
      'draft-07',
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        if: { minimum: 5 },
        then: { multipleOf: 5 },
      },
      7,
      10,
    ],
    [
      '2019-09',
      {
        $schema: 'https://json-schema.org/draft/2019-09/schema',
        type: 'array',
        contains: { type: 'string' },
        maxContains: 1,
      },
      ['a', 'b'],
      ['a', 1],
    ],
    [
      '2020-12',
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        prefixItems: [{ type: 'string' }],
        items: false,
      },
      ['a', 1],
      ['a'],
    ],
  ])('understands %s', (_draft, schema, bad, good) => {
    const val = v.compile({ format: 'json-schema', schema });
    expect(val.is(good)).toBe(true);
    expect(val.is(bad)).toBe(false);
  });

  it('checks formats through ajv-formats', () => {
    const val = v.compile({ format: 'json-schema', schema: { type: 'string', format: 'email' } });
    expect(val.is('a@example.com')).toBe(true);
    expect(val.is('nope')).toBe(false);
  });

  it('follows $ref across registered schemas', () => {
    const address = {
      $id: 'https://example.com/address.json',
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    };
    const val = v.compile({
      format: 'json-schema',
      schema: {
        type: 'object',
        properties: { home: { $ref: 'https://example.com/address.json' } },
      },
      references: [{ name: 'https://example.com/address.json', schema: address }],
    });
    expect(val.is({ home: { city: 'Oslo' } })).toBe(true);
    expect(val.validate({ home: {} }).issues[0]?.path).toBe('/home/city');
  });

  it('a missing reference is E_MISSING_REFERENCE', () => {
    expect(() =>
      v.compile({ format: 'json-schema', schema: { $ref: 'https://example.com/none.json' } }),
    ).toThrow(expect.objectContaining({ code: 'E_MISSING_REFERENCE' }));
  });

  it('an invalid schema is E_INVALID_SCHEMA with a JSON-pointer location', () => {
    try {
      v.compile({
        format: 'json-schema',
        schema: { type: 'object', properties: { a: { type: 'strin' } } },
      });
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_INVALID_SCHEMA')).toBe(true);
      expect((e as { details: { location: string } }).details.location).toBe('/properties/a/type');
    }
  });

  it('accepts JSON text and rejects broken text with E_INVALID_SCHEMA', () => {
    expect(v.compile({ format: 'json-schema', schema: '{"type":"string"}' }).is('x')).toBe(true);
    expect(() => v.compile({ format: 'json-schema', schema: '{"type":' })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_SCHEMA' }),
    );
  });

  it('fingerprints ignore key order and formatting; validators are cached by fingerprint', () => {
    const a = {
      format: 'json-schema',
      schema: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } },
    };
    const b = {
      format: 'json-schema',
      schema: JSON.parse(
        '{ "properties": {"x": {"type":"string"}}, "type":"object", "required":["x"] }',
      ) as unknown,
    };
    expect(v.fingerprint(a)).toBe(v.fingerprint(b));
    const c = { format: 'json-schema', schema: { type: ['string', 'null'], required: ['b', 'a'] } };
    const d = { format: 'json-schema', schema: { required: ['a', 'b'], type: ['null', 'string'] } };
    expect(v.fingerprint(c)).toBe(v.fingerprint(d));
    expect(v.fingerprint(c)).not.toBe(
      v.fingerprint({ format: 'json-schema', schema: { type: ['null'], required: ['a', 'b'] } }),
    );
    expect(v.fingerprint(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const before = v.cacheStats();
    const va = v.compile(a);
    const vb = v.compile(b);
    expect(vb).toBe(va);
    const after = v.cacheStats();
    expect(after.hits - before.hits).toBe(1);
    expect(after.misses - before.misses).toBe(1);
  });
});
