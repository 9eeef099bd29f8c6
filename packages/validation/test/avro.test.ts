import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { avroFingerprint, rabin64, Validation } from '../src/index.js';

const user = {
  type: 'record',
  name: 'User',
  namespace: 'com.example',
  doc: 'a user',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'int' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
    { name: 'createdAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};
const good = {
  id: 1,
  email: null,
  tags: ['x'],
  attrs: { a: 1 },
  kind: 'A',
  hash: Buffer.from('abcd'),
  createdAt: 5,
};

describe('Avro validators', () => {
  const v = new Validation();

  it('validates records, unions, enums, fixed, maps, arrays and logical types', () => {
    const val = v.compile({ format: 'avro', schema: user });
    expect(val.validate(good).valid).toBe(true);
    const out = val.validate({ ...good, kind: 'Z', tags: [1] });
    expect(out.valid).toBe(false);
    expect(out.issues.map((i) => i.path).sort()).toEqual(['/kind', '/tags/0']);
  });

  it('validates encoded bytes', () => {
    const val = v.compile({ format: 'avro', schema: user });
    const avsc = v.compile({
      format: 'avro',
      schema: { type: 'record', name: 'P', fields: [{ name: 'n', type: 'int' }] },
    });
    expect(avsc.validateEncoded(Buffer.from([0x02])).valid).toBe(true);
    expect(val.validateEncoded(Buffer.from([0xff])).valid).toBe(false);
  });

  it('resolves named references', () => {
    const val = v.compile({
      format: 'avro',
      schema: {
        type: 'record',
        name: 'Order',
        namespace: 'shop',
        fields: [{ name: 'buyer', type: 'com.example.User' }],
      },
      references: [{ name: 'com.example.User', schema: user }],
    });
    expect(val.is({ buyer: good })).toBe(true);
  });

  it('a missing named type is E_MISSING_REFERENCE', () => {
    expect(() =>
      v.compile({
        format: 'avro',
        schema: { type: 'record', name: 'R', fields: [{ name: 'x', type: 'Nope' }] },
      }),
    ).toThrow(expect.objectContaining({ code: 'E_MISSING_REFERENCE' }));
  });

  it('invalid schemas give E_INVALID_SCHEMA with the JSON pointer', () => {
    try {
      v.compile({
        format: 'avro',
        schema: { type: 'record', name: 'R', fields: [{ name: 'x', type: 'int', default: 'no' }] },
      });
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_INVALID_SCHEMA')).toBe(true);
      expect((e as { details: { location: string } }).details.location).toBe('/fields/0/default');
    }
    expect(() =>
      v.compile({ format: 'avro', schema: { type: 'enum', name: 'E', symbols: ['A', 'A'] } }),
    ).toThrow(/unique/);
    expect(() => v.compile({ format: 'avro', schema: ['int', 'int'] })).toThrow(/two branches/);
  });

  it('produces the Parsing Canonical Form (full names, stripped attributes, fixed key order)', () => {
    expect(v.canonicalForm({ format: 'avro', schema: user })).toBe(
      '{"name":"com.example.User","type":"record","fields":[{"name":"id","type":"long"},{"name":"email","type":["null","string"]},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attrs","type":{"type":"map","values":"int"}},{"name":"kind","type":{"name":"com.example.Kind","type":"enum","symbols":["A","B"]}},{"name":"hash","type":{"name":"com.example.Hash","type":"fixed","size":4}},{"name":"createdAt","type":"long"}]}',
    );
    expect(v.canonicalForm({ format: 'avro', schema: { type: 'int' } })).toBe('"int"');
  });

  it('computes the standard fingerprints (CRC-64-AVRO reference values from the Avro test suite)', () => {
    // "null" → 7195948357588979594 (0x63dd24e7cc258f8a), as in the Avro project's schema tests.
    expect(rabin64(Buffer.from('"null"'))).toBe(7195948357588979594n);
    const fp = avroFingerprint({ type: 'null' });
    expect(Buffer.from(fp).readBigUInt64LE()).toBe(7195948357588979594n);
    expect(avroFingerprint('"int"', 'MD5')).toHaveLength(16);
    expect(Buffer.from(avroFingerprint('"int"', 'SHA-256')).toString('hex')).toBe(
      '3f2b87a9fe7cc9b13835598c3981cd45e3e355309e5090aa0933d7becb6fba45',
    );
    const fa = v.fingerprint({ format: 'avro', schema: user });
    const fb = v.fingerprint({ format: 'avro', schema: { ...user, doc: 'other doc' } });
    expect(fa).toBe(fb);
  });
});

describe('Avro logical types', () => {
  const v = new Validation();
  const schema = {
    type: 'record',
    name: 'Event',
    fields: [
      { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'time', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'odd', type: { type: 'string', logicalType: 'timestamp-millis' } },
    ],
  };
  const val = v.compile({ format: 'avro', schema });
  const good = {
    id: '0190c8a4-8f7e-7c3a-9a1b-2b3c4d5e6f70',
    at: new Date(0),
    day: 19_000,
    time: 1000,
    odd: 'any string',
  };

  it('accepts native values (Date) and underlying numbers, and enforces the logical constraint', () => {
    expect(val.validate(good).valid).toBe(true);
    expect(val.validate({ ...good, at: 5 }).valid).toBe(true);
    expect(val.validate({ ...good, id: 'not-a-uuid' }).issues.map((i) => i.path)).toEqual(['/id']);
    expect(val.validate({ ...good, time: 86_400_000 }).valid).toBe(false);
  });

  it('ignores a logical type on the wrong underlying type, as the specification says', () => {
    expect(val.validate({ ...good, odd: 'still a string' }).valid).toBe(true);
  });

  it('round-trips encoded bytes and samples valid values', () => {
    const p = v.sample({ format: 'avro', schema }, 5);
    for (const x of p) expect(val.is(x)).toBe(true);
    expect(
      v.empiricalCheck({ format: 'avro', schema }, { format: 'avro', schema }, { samples: 20 })
        .compatible,
    ).toBe(true);
  });
});

describe('Avro decimal', () => {
  const v = new Validation();
  const bytesDec = v.compile({
    format: 'avro',
    schema: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 },
  });
  const fixedDec = v.compile({
    format: 'avro',
    schema: { type: 'fixed', name: 'D', size: 4, logicalType: 'decimal', precision: 9, scale: 0 },
  });

  it('accepts Buffers within the precision and decimal numbers/strings with the scale', () => {
    expect(bytesDec.is(Buffer.from([0x30, 0x39]))).toBe(true); // 12345 → 123.45
    expect(bytesDec.is('123.45')).toBe(true);
    expect(bytesDec.is(-1.5)).toBe(true);
    expect(bytesDec.is('1234.5')).toBe(false); // 123450 has 6 digits
    expect(bytesDec.is('1.234')).toBe(false); // more fraction digits than the scale
    expect(bytesDec.is(Buffer.from([0x0f, 0x42, 0x40]))).toBe(false); // 1000000
    expect(fixedDec.is(Buffer.from([0, 0, 0, 1]))).toBe(true);
    expect(fixedDec.is(Buffer.from([0, 1]))).toBe(false); // wrong size
    expect(fixedDec.is(123456789n)).toBe(true);
  });

  it('round-trips through the binary encoding and samples valid values', () => {
    for (const x of v.sample(
      { format: 'avro', schema: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 } },
      10,
    )) {
      expect(bytesDec.is(x)).toBe(true);
    }
    expect(bytesDec.validateEncoded(Buffer.from([0x04, 0x30, 0x39])).valid).toBe(true);
  });
});

describe('Avro unions with logical types', () => {
  const v = new Validation();
  const dateOrLong = v.compile({
    format: 'avro',
    schema: ['null', { type: 'int', logicalType: 'date' }, 'long'],
  });

  it('a date (an int) next to a long is a valid union, wrapped: both branches are usable', () => {
    expect(dateOrLong.is(null)).toBe(true);
    expect(dateOrLong.is({ int: 5 })).toBe(true);
    expect(dateOrLong.is({ int: new Date(86_400_000) })).toBe(true);
    expect(dateOrLong.is({ long: 5 })).toBe(true);
    expect(dateOrLong.is({ long: 2 ** 40 })).toBe(true);
    expect(dateOrLong.is({ int: 2 ** 40 })).toBe(false);
    // A bare number could be either branch: ambiguous, as for ["int", "long"].
    expect(dateOrLong.is(5)).toBe(false);
    expect(v.compile({ format: 'avro', schema: ['null', 'int', 'long'] }).is({ long: 5 })).toBe(
      true,
    );
  });

  it('unions that stay unambiguous stay unwrapped', () => {
    const optDate = v.compile({
      format: 'avro',
      schema: ['null', { type: 'int', logicalType: 'date' }],
    });
    expect(optDate.is(5)).toBe(true);
    expect(optDate.is(new Date(0))).toBe(true);
    const ts = v.compile({
      format: 'avro',
      schema: ['null', { type: 'long', logicalType: 'timestamp-millis' }, 'string'],
    });
    expect(ts.is(new Date(0))).toBe(true);
    expect(ts.is('x')).toBe(true);
  });

  it('a decimal next to a string is wrapped, so "1.5" is not ambiguous', () => {
    const u = v.compile({
      format: 'avro',
      schema: ['null', 'string', { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 1 }],
    });
    expect(u.is({ string: '1.5' })).toBe(true);
    expect(u.is({ bytes: '1.5' })).toBe(true);
    expect(u.is({ bytes: '12345' })).toBe(false);
  });

  it('two branches of one type stay invalid, logical type or not (the specification)', () => {
    for (const schema of [
      [{ type: 'int', logicalType: 'date' }, 'int'],
      ['null', { type: 'string', logicalType: 'uuid' }, 'string'],
    ]) {
      expect(() => v.compile({ format: 'avro', schema })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_SCHEMA' }),
      );
    }
  });

  it('wrapped values round-trip through the binary encoding', () => {
    // union index 2 (long), zig-zag 5 → 0x0a
    expect(dateOrLong.validateEncoded(Buffer.from([0x04, 0x0a])).valid).toBe(true);
    expect(dateOrLong.validateEncoded(Buffer.from([0x06])).valid).toBe(false);
  });
});

describe('Avro invalid logical types are ignored (the specification)', () => {
  const v = new Validation();
  const cases: Array<[string, unknown, unknown, unknown]> = [
    // [what, schema, a value of the underlying type, a value it refuses]
    [
      'decimal without precision',
      { type: 'bytes', logicalType: 'decimal' },
      Buffer.alloc(40, 1),
      '1.5',
    ],
    [
      'decimal precision 0',
      { type: 'bytes', logicalType: 'decimal', precision: 0 },
      Buffer.from([1]),
      1,
    ],
    [
      'decimal precision 2.5',
      { type: 'bytes', logicalType: 'decimal', precision: 2.5 },
      Buffer.from([1]),
      1,
    ],
    [
      'decimal scale > precision',
      { type: 'bytes', logicalType: 'decimal', precision: 2, scale: 3 },
      Buffer.from([0x7f, 0xff]),
      '0.1',
    ],
    [
      'decimal negative scale',
      { type: 'bytes', logicalType: 'decimal', precision: 2, scale: -1 },
      Buffer.from([0x7f, 0xff]),
      '0.1',
    ],
    [
      'decimal precision beyond a fixed',
      { type: 'fixed', name: 'Small', size: 2, logicalType: 'decimal', precision: 9 },
      Buffer.from([0x7f, 0xff]),
      '1',
    ],
    ['uuid on an int', { type: 'int', logicalType: 'uuid' }, 5, 'x'],
    ['date on a string', { type: 'string', logicalType: 'date' }, 'not a date', 5],
    [
      'timestamp-millis on an int',
      { type: 'int', logicalType: 'timestamp-millis' },
      5,
      new Date(0),
    ],
    ['time-micros on an int', { type: 'int', logicalType: 'time-micros' }, -1, 2 ** 40],
    [
      'decimal on a record',
      { type: 'record', name: 'Rd', logicalType: 'decimal', fields: [] },
      {},
      1,
    ],
  ];

  it.each(cases)(
    '%s: the schema compiles and validates as its underlying type',
    (_w, schema, ok, no) => {
      const val = v.compile({ format: 'avro', schema });
      expect(val.is(ok)).toBe(true);
      expect(val.is(no)).toBe(false);
    },
  );

  it('an ignored logical type is a custom property in the diff, with the reason', () => {
    const d = v.diff(
      { format: 'avro', schema: 'bytes' },
      { format: 'avro', schema: { type: 'bytes', logicalType: 'decimal', scale: 2 } },
    );
    expect(d.changes.map((c) => c.rule)).toEqual(['AVRO_PROPERTY_CHANGED']);
    expect(d.changes[0]?.message).toMatch(
      /invalid logicalType is ignored: decimal needs an integer "precision"/,
    );
    const real = v.diff(
      { format: 'avro', schema: 'bytes' },
      { format: 'avro', schema: { type: 'bytes', logicalType: 'decimal', precision: 4 } },
    );
    expect(real.changes.map((c) => c.rule)).toContain('AVRO_LOGICAL_TYPE_CHANGED');
  });
});

describe('Avro defaults of logical types are in the underlying JSON encoding', () => {
  const v = new Validation();
  const withDefault = (type: unknown, def: unknown) => ({
    format: 'avro',
    schema: {
      type: 'record',
      name: 'D',
      fields: [
        { name: 'k', type: 'int' },
        { name: 'x', type, default: def },
      ],
    },
  });
  const valid: Array<[string, unknown, unknown]> = [
    [
      'decimal bytes: a string of code points',
      { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 },
      '\u0000\u00ff',
    ],
    [
      'decimal bytes beyond the precision',
      { type: 'bytes', logicalType: 'decimal', precision: 1 },
      '\u00ff\u00ff',
    ],
    [
      'decimal fixed',
      { type: 'fixed', name: 'Dx', size: 2, logicalType: 'decimal', precision: 4 },
      '\u0000\u0001',
    ],
    [
      'timestamp-millis: a long',
      { type: 'long', logicalType: 'timestamp-millis' },
      1_700_000_000_000,
    ],
    ['timestamp-micros: a long', { type: 'long', logicalType: 'timestamp-micros' }, 5],
    ['date: an int', { type: 'int', logicalType: 'date' }, 19_000],
    ['time-millis out of the day', { type: 'int', logicalType: 'time-millis' }, 86_400_000],
    ['uuid: any string', { type: 'string', logicalType: 'uuid' }, 'x'],
    ['a union whose first branch is logical', [{ type: 'int', logicalType: 'date' }, 'null'], 3],
    ['a uuid first in a union: any string', [{ type: 'string', logicalType: 'uuid' }, 'null'], 's'],
  ];

  it.each(valid)(
    '%s is a valid default, used when reading data without the field',
    (_w, type, def) => {
      const source = withDefault(type, def);
      expect(() => v.compile(source)).not.toThrow();
      // Data written without the field reads with the default.
      const old = {
        format: 'avro',
        schema: { type: 'record', name: 'D', fields: [{ name: 'k', type: 'int' }] },
      };
      expect(v.checkCompatibility(source, [old], { level: 'BACKWARD' }).compatible).toBe(true);
      expect(v.empiricalCheck(old, source, { samples: 5 }).compatible).toBe(true);
    },
  );

  it('defaults that are not of the underlying type are still refused', () => {
    for (const [type, def] of [
      [{ type: 'long', logicalType: 'timestamp-millis' }, '2020-01-01T00:00:00Z'],
      [{ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 }, 1.5],
      [{ type: 'int', logicalType: 'date' }, 2 ** 40],
      [{ type: 'string', logicalType: 'uuid' }, 5],
    ] as const) {
      expect(() => v.compile(withDefault(type, def))).toThrow(
        expect.objectContaining({ code: 'E_INVALID_SCHEMA' }),
      );
    }
  });
});
