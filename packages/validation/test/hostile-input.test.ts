import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { Validation } from '../src/index.js';

/** Whatever a caller passes as a schema, the answer is a validator or a typed PlinthError. */
describe('hostile schemas and values', () => {
  const v = new Validation();
  const attempt = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!isPlinthError(e)) throw e;
    }
  };

  it.each(['json-schema', 'avro', 'protobuf', 'zod'])(
    '%s: arbitrary schema values never throw anything but PlinthError',
    (format) => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.anything(),
            fc.string(),
            fc.json().map((j) => JSON.parse(j) as unknown),
          ),
          (schema) => {
            attempt(() => v.compile({ format, schema }));
            attempt(() =>
              v.checkCompatibility({ format, schema }, [
                {
                  format,
                  schema: format === 'avro' ? 'int' : format === 'protobuf' ? 'message A {}' : {},
                },
              ]),
            );
          },
        ),
        { numRuns: 150, seed: 9 },
      );
    },
  );

  it('arbitrary .proto-like text never throws anything but PlinthError', () => {
    const token = fc.constantFrom(
      'syntax',
      '=',
      '"proto3"',
      ';',
      'message',
      'A',
      '{',
      '}',
      'int32',
      'x',
      '1',
      'oneof',
      'enum',
      'import',
      '"b.proto"',
      'repeated',
      'map<',
      '>',
      ',',
      'reserved',
      'to',
      'max',
      'option',
      '(',
      ')',
      '[',
      ']',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        attempt(() => v.compile({ format: 'protobuf', schema: tokens.join(' ') }));
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it('validators answer any value with an outcome', () => {
    const validators = [
      v.compile({
        format: 'json-schema',
        schema: { type: 'object', properties: { a: { type: 'array', items: { type: 'number' } } } },
      }),
      v.compile({
        format: 'avro',
        schema: {
          type: 'record',
          name: 'R',
          fields: [{ name: 'a', type: { type: 'array', items: 'double' } }],
        },
      }),
      v.compile({
        format: 'protobuf',
        schema: 'syntax = "proto3"; message R { repeated double a = 1; }',
      }),
    ];
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const val of validators) {
          const out = val.validate(value);
          expect(typeof out.valid).toBe('boolean');
          expect(val.is(value)).toBe(out.valid);
        }
      }),
      { numRuns: 300, seed: 2 },
    );
  });
});
