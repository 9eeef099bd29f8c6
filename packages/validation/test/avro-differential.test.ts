import avsc from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';

/**
 * Differential test against avsc's resolver: the checker's BACKWARD verdict must agree with
 * whether `newType.createResolver(oldType)` exists, and when it says compatible, random data
 * written with the old schema must decode with the new one.
 */
const primitive = fc.constantFrom(
  'int',
  'long',
  'float',
  'double',
  'string',
  'bytes',
  'boolean',
  'null',
);
const enumType = fc.record({
  symbols: fc.subarray(['A', 'B', 'C', 'D'], { minLength: 1 }),
  withDefault: fc.boolean(),
});
const fieldType = (n: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    primitive,
    primitive.map((p) => ({ type: 'array', items: p })),
    primitive.map((p) => ({ type: 'map', values: p })),
    fc.uniqueArray(primitive, { minLength: 1, maxLength: 3 }),
    enumType.map((e) => ({
      type: 'enum',
      name: `E${n}`,
      symbols: e.symbols,
      ...(e.withDefault ? { default: e.symbols[0] } : {}),
    })),
    fc.constantFrom(4, 8).map((size) => ({ type: 'fixed', name: `F${n}`, size })),
  );
const defaultFor = (t: unknown): unknown => {
  const x = typeof t === 'string' ? t : Array.isArray(t) ? t[0] : (t as { type: string }).type;
  switch (x) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'string':
    case 'bytes':
      return '';
    case 'array':
      return [];
    case 'map':
      return {};
    case 'enum':
      return (t as { symbols: string[] }).symbols[0];
    case 'fixed':
      return 'x'.repeat((t as { size: number }).size);
    default:
      return 0;
  }
};
const field = fc
  .constantFrom('a', 'b', 'c', 'd')
  .chain((name) =>
    fc.record({ name: fc.constant(name), type: fieldType(name), withDefault: fc.boolean() }),
  );
const record = fc.uniqueArray(field, { selector: (f) => f.name, maxLength: 4 }).map((fields) => ({
  type: 'record',
  name: 'R',
  fields: fields.map((f) => ({
    name: f.name,
    type: f.type,
    ...(f.withDefault ? { default: defaultFor(f.type) } : {}),
  })),
}));

describe('Avro compatibility vs avsc (property-based)', () => {
  const v = new Validation();
  it('BACKWARD verdict agrees with avsc createResolver, and compatible pairs decode old data', () => {
    fc.assert(
      fc.property(record, record, (oldSchema, newSchema) => {
        const result = v.checkCompatibility(
          { format: 'avro', schema: newSchema },
          [{ format: 'avro', schema: oldSchema }],
          { level: 'BACKWARD' },
        );
        const oldType = avsc.Type.forSchema(oldSchema as avsc.Schema);
        const newType = avsc.Type.forSchema(newSchema as avsc.Schema);
        let resolver: ReturnType<avsc.Type['createResolver']> | undefined;
        try {
          resolver = newType.createResolver(oldType, { ignoreNamespaces: true } as never);
        } catch {
          resolver = undefined;
        }
        expect(result.compatible).toBe(resolver !== undefined);
        if (resolver !== undefined) {
          for (let i = 0; i < 5; i++) {
            const datum = oldType.random();
            expect(() => newType.fromBuffer(oldType.toBuffer(datum), resolver)).not.toThrow();
          }
        } else {
          const empirical = v.empiricalCheck(
            { format: 'avro', schema: oldSchema },
            { format: 'avro', schema: newSchema },
            { samples: 5 },
          );
          expect(empirical.compatible).toBe(false);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('FORWARD verdicts on small mutations (add/remove/promote/rename) agree with avsc in both directions', () => {
    const promote: Record<string, string> = {
      int: 'long',
      long: 'double',
      float: 'double',
      string: 'bytes',
      bytes: 'string',
    };
    const mutated = record.chain((old) =>
      fc.tuple(
        fc.constant(old),
        fc.oneof(
          fc.constant({ ...old, fields: [...old.fields, { name: 'z', type: 'int', default: 0 }] }),
          fc.constant({ ...old, fields: [...old.fields, { name: 'z', type: 'int' }] }),
          fc.constant({ ...old, fields: old.fields.slice(1) }),
          fc.constant({
            ...old,
            fields: old.fields.map((f) =>
              typeof f.type === 'string' && promote[f.type] ? { ...f, type: promote[f.type] } : f,
            ),
          }),
          fc.constant({
            ...old,
            fields: old.fields.map((f, i) =>
              i === 0 ? { ...f, name: 'renamed', aliases: [f.name] } : f,
            ),
          }),
        ),
      ),
    );
    let compatibleSeen = 0;
    fc.assert(
      fc.property(mutated, ([oldSchema, newSchema]) => {
        const oldType = avsc.Type.forSchema(oldSchema as avsc.Schema);
        const newType = avsc.Type.forSchema(newSchema as avsc.Schema);
        for (const [level, reader, writer] of [
          ['BACKWARD', newType, oldType],
          ['FORWARD', oldType, newType],
        ] as const) {
          const r = v.checkCompatibility(
            { format: 'avro', schema: newSchema },
            [{ format: 'avro', schema: oldSchema }],
            { level },
          );
          let ok = true;
          try {
            const resolver = reader.createResolver(writer, { ignoreNamespaces: true } as never);
            for (let i = 0; i < 3; i++)
              reader.fromBuffer(writer.toBuffer(writer.random()), resolver);
          } catch {
            ok = false;
          }
          expect(r.compatible).toBe(ok);
          if (ok) compatibleSeen++;
        }
      }),
      { numRuns: 200, seed: 11 },
    );
    expect(compatibleSeen).toBeGreaterThan(100);
  });
});
