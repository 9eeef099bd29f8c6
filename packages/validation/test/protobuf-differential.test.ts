import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';

/**
 * Differential test against protobufjs: when the checker says a change is WIRE-compatible,
 * messages encoded with the old schema decode with the new one and keep every value both types
 * can represent; when it reports an incompatible type change, the empirical check (encode old,
 * decode new) usually finds a counterexample.
 */
const SCALARS = [
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'bool',
  'string',
  'bytes',
  'fixed32',
  'sfixed32',
  'fixed64',
  'double',
  'float',
];
interface F {
  id: number;
  name: string;
  type: string;
  repeated: boolean;
}
const fieldArb = (id: number) =>
  fc.record({
    id: fc.constant(id),
    name: fc.constantFrom(`f${id}`, `g${id}`),
    type: fc.constantFrom(...SCALARS),
    repeated: fc.boolean(),
  });
const messageArb = fc
  .tuple(fieldArb(1), fieldArb(2), fieldArb(3), fc.boolean())
  .map(([a, b, c, withC]) => (withC ? [a, b, c] : [a, b]));
const mutate = (fields: F[]): fc.Arbitrary<F[]> =>
  fc.oneof(
    fc
      .record({ i: fc.nat(fields.length - 1), type: fc.constantFrom(...SCALARS) })
      .map(({ i, type }) => fields.map((f, j) => (j === i ? { ...f, type } : f))),
    fc
      .nat(fields.length - 1)
      .map((i) => fields.map((f, j) => (j === i ? { ...f, repeated: !f.repeated } : f))),
    fc
      .nat(fields.length - 1)
      .map((i) => fields.map((f, j) => (j === i ? { ...f, name: `${f.name}x` } : f))),
    fc.nat(fields.length - 1).map((i) => fields.filter((_, j) => j !== i)),
    fc.constant<F[]>([...fields, { id: 9, name: 'added', type: 'string', repeated: false }]),
  );
const text = (fields: F[]) =>
  `syntax = "proto3";\npackage d;\nmessage M {\n${fields.map((f) => `  ${f.repeated ? 'repeated ' : ''}${f.type} ${f.name} = ${f.id};`).join('\n')}\n}`;

const j = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Uint8Array
      ? Buffer.from(x).toString('hex')
      : (x as { type?: string; data?: number[] })?.type === 'Buffer'
        ? Buffer.from((x as { data: number[] }).data).toString('hex')
        : x,
  );
const small = (v: unknown): boolean =>
  Array.isArray(v)
    ? v.every(small)
    : typeof v === 'number'
      ? Number.isInteger(v) && v >= 0 && v < 128
      : typeof v === 'boolean';

describe('Protobuf compatibility vs protobufjs (property-based)', () => {
  const v = new Validation();
  it('WIRE-compatible changes decode old data; incompatible type changes usually yield counterexamples', () => {
    let incompatibleTypeChanges = 0;
    let found = 0;
    fc.assert(
      fc.property(
        messageArb.chain((old) => fc.tuple(fc.constant(old), mutate(old))),
        ([oldFields, newFields]) => {
          const oldSrc = { format: 'protobuf', schema: text(oldFields) };
          const newSrc = { format: 'protobuf', schema: text(newFields) };
          const r = v.checkCompatibility(newSrc, [oldSrc], {
            level: 'BACKWARD',
            protobufStrictness: 'WIRE',
          });
          const oldType = protobuf
            .parse(text(oldFields), { keepCase: true })
            .root.lookupType('d.M');
          const newType = protobuf
            .parse(text(newFields), { keepCase: true })
            .root.lookupType('d.M');
          const samples = v.sample(oldSrc, 20);
          if (r.compatible) {
            const narrowed = oldFields.filter((of) => {
              const nf = newFields.find((f) => f.id === of.id);
              return nf !== undefined && /64$/.test(of.type) && /32$|^bool$/.test(nf.type);
            });
            for (const s of samples) {
              // protobufjs's 32-bit varint reader cannot skip a 6–9-byte varint (the spec allows the
              // change, values are truncated): such samples are left out.
              if (narrowed.some((f) => !small((s as Record<string, unknown>)[f.name] ?? 0)))
                continue;
              const bytes = oldType.encode(oldType.fromObject(s as object)).finish();
              const decoded = newType.toObject(newType.decode(bytes), {
                longs: Number,
                defaults: false,
              });
              for (const of of oldFields) {
                const nf = newFields.find((f) => f.id === of.id);
                const wrote = (s as Record<string, unknown>)[of.name];
                if (nf === undefined || wrote === undefined) continue;
                if (nf.type === of.type || small(wrote)) {
                  let expected =
                    nf.type === of.type
                      ? oldType.toObject(oldType.fromObject(s as object), { longs: Number })[
                          of.name
                        ]
                      : wrote;
                  // Repeated → singular keeps the last value; singular → repeated reads one element.
                  if (of.repeated && !nf.repeated) expected = (expected as unknown[]).at(-1);
                  if (!of.repeated && nf.repeated) expected = [expected];
                  if (nf.type !== of.type && (nf.type === 'bool' || of.type === 'bool')) {
                    const conv = (x: unknown) => (nf.type === 'bool' ? Boolean(x) : Number(x));
                    expected = Array.isArray(expected) ? expected.map(conv) : conv(expected);
                  }
                  const got = decoded[nf.name];
                  if (nf.type === of.type || !(nf.type === 'bytes' || nf.type === 'string'))
                    expect(j(got ?? (Array.isArray(expected) ? [] : expected))).toBe(j(expected));
                }
              }
            }
          } else if (r.violations.some((x) => x.rule === 'FIELD_WIRE_COMPATIBLE_TYPE')) {
            incompatibleTypeChanges++;
            if (!v.empiricalCheck(oldSrc, newSrc, { samples: 50 }).compatible) found++;
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    expect(incompatibleTypeChanges).toBeGreaterThan(10);
    expect(found / incompatibleTypeChanges).toBeGreaterThan(0.8);
  });
});
