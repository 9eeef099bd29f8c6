import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type SchemaSource, Validation } from '../src/index.js';

/** Same seed → the same samples and the same empirical result; another seed → other samples. */
const pairs: Array<[string, SchemaSource, SchemaSource]> = [
  [
    'avro',
    {
      format: 'avro',
      schema: {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: 'int' },
          { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
          { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
          { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
          { name: 'u', type: ['null', { type: 'int', logicalType: 'date' }, 'long'] },
          { name: 'tags', type: { type: 'array', items: 'string' } },
          { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } },
        ],
      },
    },
    {
      format: 'avro',
      schema: {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: 'long' },
          { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
        ],
      },
    },
  ],
  [
    'json-schema',
    {
      format: 'json-schema',
      schema: {
        type: 'object',
        properties: { a: { type: 'integer' }, s: { type: 'string', maxLength: 3 } },
        required: ['a'],
      },
    },
    {
      format: 'json-schema',
      schema: { type: 'object', properties: { a: { type: 'integer', maximum: 10 } } },
    },
  ],
  [
    'protobuf',
    { format: 'protobuf', schema: 'syntax = "proto3"; message M { int64 a = 1; string s = 2; }' },
    { format: 'protobuf', schema: 'syntax = "proto3"; message M { int32 a = 1; bytes s = 2; }' },
  ],
  [
    'zod',
    { format: 'zod', schema: z.object({ a: z.number().int(), s: z.string() }) },
    { format: 'zod', schema: z.object({ a: z.number().int().max(10), s: z.string() }) },
  ],
];

describe('seeded sampling and empirical checks', () => {
  it.each(pairs)('%s: a seed fixes the samples and the result', (_format, previous, next) => {
    const v = new Validation();
    const a = v.sample(previous, 20, 42);
    expect(a.length).toBeGreaterThan(0);
    expect(new Validation().sample(previous, 20, 42)).toEqual(a);
    expect(v.sample(previous, 20, 43)).not.toEqual(a);
    const r1 = v.empiricalCheck(previous, next, { seed: 42, samples: 50 });
    const r2 = new Validation().empiricalCheck(previous, next, { seed: 42, samples: 50 });
    expect(r2).toEqual(r1);
    expect(r1.compatible).toBe(false);
    const r3 = v.empiricalCheck(previous, next, { seed: 7, samples: 50 });
    expect(r3.counterexamples).not.toEqual(r1.counterexamples);
  });
});
