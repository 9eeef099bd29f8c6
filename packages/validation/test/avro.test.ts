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
