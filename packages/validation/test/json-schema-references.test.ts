import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { DEFAULT_BASE_URI, ReferenceModel } from '../src/formats/json-schema/refs.js';
import { Validation } from '../src/index.js';

const S2020 = 'https://json-schema.org/draft/2020-12/schema';

describe('ReferenceModel', () => {
  it('tracks base URIs through $id, resolves RFC 3986 references and JSON pointers', () => {
    const m = new ReferenceModel(
      {
        $id: 'https://example.com/root.json',
        $defs: {
          a: { $id: 'nested/a.json', $defs: { b: { $anchor: 'bee', type: 'string' } } },
          'x/y~z': { type: 'integer' },
        },
      },
      [],
      '2020-12',
    );
    expect(m.root).toMatchObject({ baseUri: 'https://example.com/root.json', pointer: '' });
    const a = m.at(m.root, '$defs', 'a');
    expect(a).toMatchObject({
      baseUri: 'https://example.com/nested/a.json',
      resourceUri: 'https://example.com/nested/a.json',
      pointer: '',
    });
    expect(m.at(a, '$defs', 'b')).toMatchObject({ pointer: '/$defs/b' });
    expect(m.resolve(m.root, 'nested/a.json#bee')?.schema).toEqual({
      $anchor: 'bee',
      type: 'string',
    });
    expect(m.resolve(a, '#bee')?.pointer).toBe('/$defs/b');
    expect(m.resolve(m.root, '#bee')).toBeUndefined();
    expect(m.resolve(m.root, '#/$defs/x~1y~0z')?.schema).toEqual({ type: 'integer' });
    expect(m.resolve(m.root, '#/%24defs/x~1y~0z')?.schema).toEqual({ type: 'integer' });
    // A pointer through an embedded resource lands in that resource.
    expect(m.resolve(m.root, '#/$defs/a/$defs/b')).toMatchObject({
      resourceUri: 'https://example.com/nested/a.json',
      pointer: '/$defs/b',
    });
  });

  it('does not treat values of data keywords or unknown keywords as schemas', () => {
    const m = new ReferenceModel(
      {
        $schema: S2020,
        const: { $id: 'https://example.com/in-const.json' },
        'x-extension': { $id: 'https://example.com/in-unknown.json' },
        enum: [{ $anchor: 'nope' }],
      },
      [],
      '2020-12',
    );
    expect(m.resolve(m.root, 'https://example.com/in-const.json')).toBeUndefined();
    expect(m.resolve(m.root, 'https://example.com/in-unknown.json')).toBeUndefined();
    expect(m.resolve(m.root, '#nope')).toBeUndefined();
    expect(m.at(m.root, 'x-extension')).toMatchObject({ baseUri: DEFAULT_BASE_URI });
  });

  it('draft-04 ids, plain-name fragments, and $ref siblings ignored before 2019-09', () => {
    const m = new ReferenceModel(
      {
        id: 'http://example.com/root.json',
        definitions: { a: { id: '#foo', type: 'integer' }, b: { $ref: '#foo', id: 'ignored/' } },
      },
      [],
      'draft-04',
    );
    expect(m.resolve(m.root, '#foo')?.schema).toEqual({ id: '#foo', type: 'integer' });
    expect(m.at(m.root, 'definitions', 'b').baseUri).toBe('http://example.com/root.json');
  });

  it('registers named references under their $id, their name against the root and the bare name', () => {
    const customer = { $id: 'https://example.com/schemas/customer.json', type: 'object' };
    const m = new ReferenceModel(
      { $id: 'https://example.com/order.json' },
      [{ name: 'customer.json', schema: customer }],
      '2020-12',
    );
    expect(m.referenceUris.get('customer.json')).toEqual([
      'https://example.com/schemas/customer.json',
      'https://example.com/customer.json',
      'customer.json',
    ]);
    expect(m.resolve(m.root, 'customer.json')?.schema).toBe(customer);
    expect(m.resolve(m.root, 'schemas/customer.json')?.schema).toBe(customer);
  });

  it('the draft meta-schemas are built-in references', () => {
    const m = new ReferenceModel({}, [], 'draft-07');
    expect(m.resolve(m.root, 'http://json-schema.org/draft-04/schema#')).toBeDefined();
    expect(
      m.resolve(m.root, 'https://json-schema.org/draft/2020-12/meta/applicator'),
    ).toBeDefined();
    expect(
      m.resolve(m.root, 'https://json-schema.org/draft/2019-09/schema#/$defs/nope'),
    ).toBeUndefined();
  });

  it('resolveDynamic: the outermost dynamic anchor in scope wins; bookending is required', () => {
    const m = new ReferenceModel(
      {
        $id: 'https://example.com/outer.json',
        $dynamicAnchor: 'node',
        $defs: {
          inner: { $id: 'inner.json', $dynamicAnchor: 'node', items: { $dynamicRef: '#node' } },
          plain: { $id: 'plain.json', $anchor: 'node', items: { $dynamicRef: '#node' } },
        },
      },
      [],
      '2020-12',
    );
    const inner = m.resolve(m.root, 'inner.json') as NonNullable<ReturnType<typeof m.resolve>>;
    const from = m.at(inner, 'items');
    expect(m.resolveDynamic(from, '#node', [m.root, inner])?.resourceUri).toBe(
      'https://example.com/outer.json',
    );
    expect(m.resolveDynamic(from, '#node', [inner])?.resourceUri).toBe(
      'https://example.com/inner.json',
    );
    const plain = m.resolve(m.root, 'plain.json') as NonNullable<ReturnType<typeof m.resolve>>;
    // The initial target has no $dynamicAnchor "node": a plain $ref.
    expect(m.resolveDynamic(m.at(plain, 'items'), '#node', [m.root, plain])?.resourceUri).toBe(
      'https://example.com/plain.json',
    );
  });
});

describe('references through Validation', () => {
  const validation = new Validation();

  it('a schema may refer to its own draft meta-schema (draft-04 included)', () => {
    const v = validation.compile({
      format: 'json-schema',
      schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        $ref: 'http://json-schema.org/draft-04/schema#',
      },
    });
    expect(v.is({ minLength: 1 })).toBe(true);
    expect(v.is({ minLength: -1 })).toBe(false);
  });

  it('bundled schemas with $id-relative references to named references (Confluent style)', () => {
    const v = validation.compile({
      format: 'json-schema',
      schema: {
        $schema: S2020,
        $id: 'https://example.com/schemas/order.json',
        type: 'object',
        properties: {
          customer: { $ref: 'customer.json' },
          lines: { type: 'array', items: { $ref: '#/$defs/line' } },
        },
        $defs: {
          line: {
            $id: 'line.json',
            type: 'object',
            properties: { sku: { $ref: 'customer.json#/$defs/code' } },
          },
        },
      },
      references: [
        {
          name: 'customer.json',
          schema: {
            $schema: S2020,
            type: 'object',
            required: ['id'],
            properties: { id: { $ref: '#/$defs/code' } },
            $defs: { code: { type: 'string', pattern: '^[A-Z]+$' } },
          },
        },
      ],
    });
    expect(v.is({ customer: { id: 'ADA' }, lines: [{ sku: 'X' }] })).toBe(true);
    expect(
      v.validate({ customer: { id: 'ada' }, lines: [{ sku: 'x' }] }).issues.map((i) => i.path),
    ).toEqual(['/customer/id', '/lines/0/sku']);
  });

  it('a reference nothing uses is not required to resolve', () => {
    const v = validation.compile({
      format: 'json-schema',
      schema: { type: 'string' },
      references: [{ name: 'unused.json', schema: { $ref: 'missing.json' } }],
    });
    expect(v.is('x')).toBe(true);
  });

  it('canonical form sorts required/type at schema positions only', () => {
    const a = validation.canonicalForm({
      format: 'json-schema',
      schema: { required: ['b', 'a'], 'x-order': { required: ['b', 'a'] } },
    });
    expect(a).toBe('{"required":["a","b"],"x-order":{"required":["b","a"]}}');
  });

  it('duplicate $id for two different schemas is refused', () => {
    try {
      validation.compile({
        format: 'json-schema',
        schema: {
          $schema: S2020,
          $defs: { a: { $id: 'x.json', type: 'string' }, b: { $id: 'x.json', type: 'number' } },
        },
      });
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_INVALID_SCHEMA')).toBe(true);
    }
  });

  it('the README example', () => {
    const order = validation.compile({
      format: 'json-schema',
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://example.com/schemas/order.json',
        type: 'object',
        properties: { customer: { $ref: 'customer.json' } },
      },
      references: [{ name: 'customer.json', schema: { type: 'object', required: ['id'] } }],
    });
    expect(order.is({ customer: { id: 'c-1' } })).toBe(true);
    expect(order.is({ customer: {} })).toBe(false);
  });
});
