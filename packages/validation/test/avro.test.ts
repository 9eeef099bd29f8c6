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
