import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { isPlinthError } from '@plinth/core';
import { Validation } from '../src/index.js';

const money = `syntax = "proto3";
package common;
message Money { string currency = 1; int64 units = 2; }`;
const order = `syntax = "proto3";
package shop;
import "common/money.proto";
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  common.Money total = 2;
  repeated string items = 3;
  map<string, int32> counts = 4;
  Status status = 5;
  google.protobuf.Timestamp at = 6;
  oneof contact { string email = 7; string phone = 8; }
}
enum Status { UNKNOWN = 0; PAID = 1; }`;
const src = {
  format: 'protobuf',
  schema: order,
  references: [{ name: 'common/money.proto', schema: money }],
};

describe('Protobuf validators', () => {
  const v = new Validation();

  it('validates objects of the first message, following imports and well-known types', () => {
    const val = v.compile(src);
    expect(
      val.validate({
        id: 'a',
        total: { currency: 'EUR', units: 5 },
        items: ['x'],
        counts: { a: 1 },
        status: 1,
      }).valid,
    ).toBe(true);
    const bad = val.validate({ id: 5 });
    expect(bad.valid).toBe(false);
    expect(bad.issues[0]).toMatchObject({ path: '/id', rule: 'protobuf:verify' });
    expect(val.validate({ total: { units: 'many' } }).issues[0]?.path).toBe('/total/units');
  });

  it('validates encoded bytes', () => {
    const val = v.compile(src);
    const root = protobuf.parse(money, { keepCase: true }).root;
    const Money = root.lookupType('common.Money');
    const moneyVal = v.compile({ format: 'protobuf', schema: money });
    expect(
      moneyVal.validateEncoded(Money.encode({ currency: 'EUR', units: 3 }).finish()).valid,
    ).toBe(true);
    const truncated = val.validateEncoded(Uint8Array.from([0x0a, 0x05, 0x61]));
    expect(truncated.valid).toBe(false);
    expect(truncated.issues[0]?.rule).toBe('decode');
  });

  it('selects a message by name and accepts protobufjs JSON descriptors', () => {
    const json = protobuf.parse(money, { keepCase: true }).root.toJSON();
    const val = v.compile({
      format: 'protobuf',
      schema: { descriptor: json, message: 'common.Money' },
    });
    expect(val.is({ currency: 'x' })).toBe(true);
    expect(val.is({ currency: 1 })).toBe(false);
    expect(
      v.fingerprint({ format: 'protobuf', schema: { descriptor: json, message: 'common.Money' } }),
    ).toBe(v.fingerprint({ format: 'protobuf', schema: money }));
  });

  it('formatting and comments do not change the fingerprint', () => {
    const reformatted = `// money\nsyntax = "proto3";\n\npackage common;\n\nmessage Money {\n  string currency = 1; // ISO\n  int64 units = 2;\n}\n`;
    expect(v.fingerprint({ format: 'protobuf', schema: reformatted })).toBe(
      v.fingerprint({ format: 'protobuf', schema: money }),
    );
  });

  it('parse errors carry line and column', () => {
    try {
      v.compile({
        format: 'protobuf',
        schema: 'syntax = "proto3";\nmessage A {\n  int32 x = 1\n  string y = 2;\n}',
      });
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_INVALID_SCHEMA')).toBe(true);
      expect((e as { details: { location: unknown } }).details.location).toEqual({
        line: 4,
        column: 3,
      });
      expect((e as Error).message).toMatch(/line 4, column 3/);
    }
  });

  it('checks what buf build checks, with the line and column of the offending token', () => {
    const at = (schema: string) => {
      try {
        v.fingerprint({ format: 'protobuf', schema });
      } catch (e) {
        expect(isPlinthError(e, 'E_INVALID_SCHEMA')).toBe(true);
        return (e as { details: { location: unknown } }).details.location;
      }
      return 'valid';
    };
    expect(at('syntax = "proto3";\nmessage A {\n  int32 x = 0;\n}')).toEqual({
      line: 3,
      column: 13,
    });
    expect(at('syntax = "proto3";\nmessage A { int32 x = 19000; }')).toEqual({
      line: 2,
      column: 23,
    });
    expect(at('syntax = "proto3";\nmessage A { int32 x = 3;\n reserved 3; }')).toEqual({
      line: 2,
      column: 23,
    });
    expect(at('syntax = "proto3";\nenum E { A = 1; }')).toEqual({ line: 2, column: 14 });
    expect(at('syntax = "proto3";\nmessage A { int32 a_b = 1; int32 aB = 2; }')).toEqual({
      line: 2,
      column: 34,
    });
    expect(at('syntax = "proto3";\nmessage A { int32 x = 1 [default = 2]; }')).toEqual({
      line: 2,
      column: 26,
    });
    expect(
      at('syntax = "proto2";\nmessage A { optional int32 a_b = 1; optional int32 aB = 2; }'),
    ).toBe('valid');
  });

  it('a file of enums only is valid; its validator accepts no value', () => {
    const enums = {
      format: 'protobuf',
      schema: 'syntax = "proto3";\nenum Status { UNKNOWN = 0; }',
    };
    const val = v.compile(enums);
    expect(val.is({})).toBe(false);
    expect(val.validate({}).issues[0]?.message).toMatch(/defines no message/);
  });

  it('a missing import or type is E_MISSING_REFERENCE', () => {
    expect(() => v.compile({ format: 'protobuf', schema: order })).toThrow(
      expect.objectContaining({ code: 'E_MISSING_REFERENCE' }),
    );
    expect(() =>
      v.compile({ format: 'protobuf', schema: 'syntax = "proto3";\nmessage A { foo.Bar x = 1; }' }),
    ).toThrow(expect.objectContaining({ code: 'E_MISSING_REFERENCE' }));
  });
});

describe('Protobuf FileDescriptorSet input', () => {
  it('accepts a FileDescriptorSet as bytes, base64 or its JSON form', async () => {
    const descriptor = await import('protobufjs/ext/descriptor/index.js');
    const root = protobuf.parse(
      'syntax = "proto3"; package a; message M { string x = 1; int32 n = 2; }',
      { keepCase: true },
    ).root;
    const set = (root as unknown as { toDescriptor(s: string): protobuf.Message }).toDescriptor(
      'proto3',
    );
    const bytes = descriptor.FileDescriptorSet.encode(set).finish();
    const v = new Validation();
    for (const schema of [
      bytes,
      { fileDescriptorSet: Buffer.from(bytes).toString('base64'), message: 'a.M' },
      { fileDescriptorSet: descriptor.FileDescriptorSet.toObject(set) },
    ]) {
      const val = v.compile({ format: 'protobuf', schema });
      expect(val.is({ x: 'hi', n: 1 })).toBe(true);
      expect(val.is({ n: 'one' })).toBe(false);
    }
    expect(() =>
      v.compile({ format: 'protobuf', schema: { fileDescriptorSet: 'not base64 of a set!!' } }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_SCHEMA' }));
  });
});
