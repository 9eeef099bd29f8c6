import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type SchemaSource, Validation } from '../src/index.js';

/**
 * The compiled-validator cache must never hand one schema the validator of another with
 * different verdicts. Each schema's cached validator is compared with one compiled alone (a fresh
 * instance), on values drawn from every schema of the run.
 */

/** Avro field types that share a Parsing Canonical Form but not their verdicts. */
const avroFieldType = fc.oneof(
  fc.constant('string'),
  fc.constant({ type: 'string', logicalType: 'uuid' }),
  fc.constant('int'),
  fc.constant({ type: 'int', logicalType: 'date' }),
  fc.constant({ type: 'int', logicalType: 'time-millis' }),
  fc.constant('long'),
  fc.constant({ type: 'long', logicalType: 'timestamp-millis' }),
  fc.constant({ type: 'long', logicalType: 'time-micros' }),
  fc.constant('bytes'),
  fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 6 }))
    .map(([precision, scale]) => ({
      type: 'bytes',
      logicalType: 'decimal',
      precision,
      scale,
    })),
  fc.tuple(fc.constantFrom(2, 4), fc.integer({ min: 1, max: 9 })).map(([size, precision]) => ({
    type: 'fixed',
    name: 'F',
    size,
    logicalType: 'decimal',
    precision,
  })),
  fc.constant({ type: 'fixed', name: 'F', size: 2 }),
  fc.constant(['null', 'string']),
  fc.constant(['null', { type: 'string', logicalType: 'uuid' }]),
);
const avroSchema = fc
  .uniqueArray(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 2 })
  .chain((names) =>
    fc.tuple(
      ...names.map((n) =>
        avroFieldType.map((type) => ({
          name: n,
          // Named types are defined once per schema: name each after its field.
          type: typeof type === 'object' && 'name' in type ? { ...type, name: `F${n}` } : type,
        })),
      ),
    ),
  )
  .map((fields) => ({ type: 'record', name: 'R', fields }));

/** Probe values for a set of Avro schemas: samples of each, plus values the samplers never draw. */
function avroProbes(v: Validation, sources: readonly SchemaSource[]): unknown[] {
  const probes: unknown[] = [];
  sources.forEach((s, i) => probes.push(...v.sample(s, 4, i + 1)));
  for (const x of ['x', 'not-a-uuid', 5, 86_400_000, -1, Buffer.from([0x7f, 0xff]), null])
    probes.push({ a: x, b: x });
  return probes;
}

/** Every cached validator agrees with a fresh compile; returns pairs that share a PCF. */
function checkCache(sources: readonly SchemaSource[], probes: (v: Validation) => unknown[]) {
  const shared = new Validation();
  const cached = sources.map((s) => shared.compile(s));
  const values = probes(new Validation());
  let samePcfDifferentVerdict = 0;
  sources.forEach((s, i) => {
    const alone = new Validation().compile(s);
    for (const x of values) expect(cached[i]?.is(x), JSON.stringify(s.schema)).toBe(alone.is(x));
    for (let j = 0; j < i; j++) {
      const other = sources[j] as SchemaSource;
      if (shared.fingerprint(other) !== shared.fingerprint(s)) continue;
      const otherAlone = new Validation().compile(other);
      if (values.some((x) => otherAlone.is(x) !== alone.is(x))) {
        samePcfDifferentVerdict++;
        expect(cached[i]).not.toBe(cached[j]);
      }
    }
  });
  return samePcfDifferentVerdict;
}

describe('compiled-validator cache key', () => {
  it('Avro: schemas that differ only in logical types, precision or scale never share a validator', () => {
    let pairs = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(avroSchema, { minLength: 3, maxLength: 8 }), (schemas) => {
        const sources = schemas.map((schema) => ({ format: 'avro', schema }));
        pairs += checkCache(sources, (v) => avroProbes(v, sources));
        runs++;
      }),
      { numRuns: 200, seed: 20260412 },
    );
    console.log(
      `avro compile cache: ${runs} runs, ${pairs} pairs with one fingerprint and different verdicts, none shared a validator`,
    );
    expect(pairs).toBeGreaterThan(30);
  }, 60_000);

  it('the uuid/plain string case of the report', () => {
    const v = new Validation();
    const rec = (type: unknown) => ({
      format: 'avro',
      schema: { type: 'record', name: 'R', fields: [{ name: 'id', type }] },
    });
    const uuid = v.compile(rec({ type: 'string', logicalType: 'uuid' }));
    const plain = v.compile(rec('string'));
    expect(plain).not.toBe(uuid);
    expect(plain.is({ id: 'x' })).toBe(true);
    expect(uuid.is({ id: 'x' })).toBe(false);
    // Same schema, other key order and formatting: one validator.
    expect(v.compile({ format: 'avro', schema: JSON.stringify(rec('string').schema) })).not.toBe(
      uuid,
    );
    expect(
      v.compile({
        format: 'avro',
        schema: { fields: [{ type: 'string', name: 'id' }], name: 'R', type: 'record' },
      }),
    ).toBe(plain);
  });

  it('JSON Schema: keywords outside the canonical normalisation always count', () => {
    const schemas = [
      { type: 'string' },
      { type: 'string', format: 'email' },
      { type: 'string', format: 'uuid' },
      {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'number',
        exclusiveMinimum: true,
        minimum: 0,
      },
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'number',
        exclusiveMinimum: 0,
      },
      { type: ['string', 'null'] },
      { type: ['null', 'string'] },
      { type: 'object', required: ['a', 'b'] },
      { type: 'object', required: ['b', 'a'] },
      { type: 'object', required: ['a'] },
    ];
    const sources = schemas.map((schema) => ({ format: 'json-schema', schema }));
    const probes = () => [
      'x',
      'a@b.co',
      '0190c8a4-8f7e-7c3a-9a1b-2b3c4d5e6f70',
      0,
      1,
      null,
      { a: 1 },
      { a: 1, b: 2 },
    ];
    checkCache(sources, probes);
    const v = new Validation();
    // Equal meaning (sorted `type` and `required`) may share; different meaning may not.
    expect(v.compile(sources[5] as SchemaSource).is(null)).toBe(true);
    expect(v.compile(sources[1] as SchemaSource)).not.toBe(v.compile(sources[0] as SchemaSource));
  });

  it('Protobuf: field types and references are part of the key', () => {
    const proto = (t: string) => `syntax = "proto3"; message M { ${t} a = 1; }`;
    const sources: SchemaSource[] = [
      { format: 'protobuf', schema: proto('int32') },
      { format: 'protobuf', schema: proto('string') },
      { format: 'protobuf', schema: proto('uint32') },
      { format: 'protobuf', schema: proto('bool') },
    ];
    checkCache(sources, () => [{ a: 1 }, { a: 'x' }, { a: -1 }, { a: true }, {}]);
  });

  it('zod: schemas with one JSON Schema but different refinements never share a validator', () => {
    const sources: SchemaSource[] = [
      { format: 'zod', schema: z.string() },
      { format: 'zod', schema: z.string().refine((s) => s.length > 2) },
      { format: 'zod', schema: z.string().refine((s) => s.startsWith('a')) },
    ];
    const v = new Validation();
    expect(v.fingerprint(sources[0] as SchemaSource)).toBe(
      v.fingerprint(sources[1] as SchemaSource),
    );
    expect(checkCache(sources, () => ['x', 'abc', 'bcd', 1])).toBeGreaterThan(0);
    const same = sources[1] as SchemaSource;
    expect(v.compile({ ...same })).toBe(v.compile({ ...same }));
  });
});
