import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';

const proto = (body: string, extra = '') => ({
  format: 'protobuf',
  schema: `syntax = "proto3";\npackage p;\n${extra}\nmessage M {\n${body}\n}`,
});
const base = proto('string name = 1;\n int32 count = 2;\n string note = 3;');

describe('Protobuf compatibility', () => {
  const v = new Validation();
  const rules = (
    next: ReturnType<typeof proto>,
    strictness: 'WIRE' | 'WIRE_JSON' | 'FILE',
    prev = base,
  ) => [
    ...new Set(
      v
        .checkCompatibility(next, [prev], { level: 'FULL', protobufStrictness: strictness })
        .violations.map((x) => x.rule),
    ),
  ];

  it('deleting a field: FILE breaks; WIRE breaks unless the number is reserved; WIRE_JSON also needs the name', () => {
    const deleted = proto('string name = 1;\n int32 count = 2;');
    expect(rules(deleted, 'FILE')).toContain('FIELD_NO_DELETE');
    expect(rules(deleted, 'WIRE')).toContain('FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED');
    const reservedNum = proto('string name = 1;\n int32 count = 2;\n reserved 3;');
    expect(rules(reservedNum, 'WIRE')).toEqual([]);
    expect(rules(reservedNum, 'WIRE_JSON')).toContain('FIELD_NO_DELETE_UNLESS_NAME_RESERVED');
    const reservedBoth = proto(
      'string name = 1;\n int32 count = 2;\n reserved 3;\n reserved "note";',
    );
    expect(rules(reservedBoth, 'WIRE_JSON')).toEqual([]);
  });

  it('renaming a field is wire-compatible but breaks WIRE_JSON', () => {
    const renamed = proto('string title = 1;\n int32 count = 2;\n string note = 3;');
    expect(rules(renamed, 'WIRE')).toEqual([]);
    expect(rules(renamed, 'WIRE_JSON')).toContain('FIELD_SAME_NAME');
  });

  it('type changes follow the wire groups', () => {
    const widened = proto('string name = 1;\n int64 count = 2;\n string note = 3;');
    expect(rules(widened, 'WIRE')).toEqual([]);
    expect(rules(widened, 'WIRE_JSON')).toContain('FIELD_WIRE_JSON_COMPATIBLE_TYPE');
    expect(rules(widened, 'FILE')).toContain('FIELD_SAME_TYPE');
    const zigzag = proto('string name = 1;\n sint32 count = 2;\n string note = 3;');
    expect(rules(zigzag, 'WIRE')).toContain('FIELD_WIRE_COMPATIBLE_TYPE');
    const bytes = proto('bytes name = 1;\n int32 count = 2;\n string note = 3;');
    expect(rules(bytes, 'WIRE')).toEqual([]);
    // bytes → string, int32 → enum and renaming a map field break the wire (Buf's groups).
    expect(rules(base, 'WIRE', bytes)).toEqual(['FIELD_WIRE_COMPATIBLE_TYPE']);
    const asEnum = proto('string name = 1;\n E count = 2;\n string note = 3;', 'enum E { Z = 0; }');
    expect(rules(asEnum, 'WIRE')).toEqual(['FIELD_WIRE_COMPATIBLE_TYPE']);
    const map = proto('map<string, int32> tags = 1;');
    const renamed = proto('map<string, int32> labels = 1;');
    expect(rules(renamed, 'WIRE', map)).toEqual(['FIELD_WIRE_COMPATIBLE_TYPE']);
  });

  it('reusing a field number with another type breaks the wire', () => {
    const reused = proto('string name = 1;\n int32 count = 2;\n double note = 3;');
    expect(rules(reused, 'WIRE')).toContain('FIELD_WIRE_COMPATIBLE_TYPE');
    const prevReserved = proto('string name = 1;\n reserved 2;');
    const reuse = proto('string name = 1;\n int32 again = 2;');
    // As in Buf: reusing a reserved number means it is no longer reserved.
    expect(rules(reuse, 'WIRE', prevReserved)).toEqual(['RESERVED_MESSAGE_NO_DELETE']);
  });

  it('moving a field into or out of a oneof is FIELD_SAME_ONEOF at every level, as in Buf', () => {
    const newOneof = proto('string name = 1;\n oneof c { int32 count = 2; }\n string note = 3;');
    expect(rules(newOneof, 'WIRE')).toEqual(['FIELD_SAME_ONEOF']);
    expect(rules(newOneof, 'WIRE_JSON')).toEqual(['FIELD_SAME_ONEOF']);
    expect(rules(newOneof, 'FILE').sort()).toEqual(['FIELD_SAME_CARDINALITY', 'FIELD_SAME_ONEOF']);
    expect(rules(base, 'WIRE', newOneof)).toEqual(['FIELD_SAME_ONEOF']);
    const prev = proto('string name = 1;\n oneof c { int32 count = 2; }\n string note = 3;');
    const existing = proto('string name = 1;\n oneof c { int32 count = 2; string note = 3; }');
    expect(rules(existing, 'WIRE', prev)).toContain('FIELD_SAME_ONEOF');
  });

  it('cardinality: singular ↔ repeated breaks WIRE for every type, as in Buf', () => {
    expect(
      rules(proto('repeated string name = 1;\n int32 count = 2;\n string note = 3;'), 'WIRE'),
    ).toEqual(['FIELD_WIRE_COMPATIBLE_CARDINALITY']);
    expect(
      rules(proto('string name = 1;\n optional int32 count = 2;\n string note = 3;'), 'WIRE'),
    ).toEqual([]);
    expect(
      rules(proto('string name = 1;\n repeated int32 count = 2;\n string note = 3;'), 'WIRE'),
    ).toContain('FIELD_WIRE_COMPATIBLE_CARDINALITY');
  });

  it('adding fields, messages and enum values is compatible and a minor bump', () => {
    const r = v.checkCompatibility(
      proto(
        'string name = 1;\n int32 count = 2;\n string note = 3;\n bool flag = 4;',
        'message Extra { int32 x = 1; }',
      ),
      [base],
      { level: 'FULL_TRANSITIVE', protobufStrictness: 'FILE' },
    );
    expect(r.compatible).toBe(true);
    expect(r.changes.map((c) => c.rule).sort()).toEqual(['FIELD_ADDED', 'MESSAGE_ADDED']);
    expect(r.bump).toBe('minor');
  });

  it('enum value deletions and renames follow the strictness', () => {
    const e1 = {
      format: 'protobuf',
      schema: 'syntax = "proto3";\nenum E { A = 0; B = 1; C = 2; }\nmessage M { E e = 1; }',
    };
    const e2 = {
      format: 'protobuf',
      schema: 'syntax = "proto3";\nenum E { A = 0; B = 1; }\nmessage M { E e = 1; }',
    };
    const e3 = {
      format: 'protobuf',
      schema: 'syntax = "proto3";\nenum E { A = 0; BEE = 1; C = 2; }\nmessage M { E e = 1; }',
    };
    expect(
      v.checkCompatibility(e2, [e1], { protobufStrictness: 'WIRE' }).violations.map((x) => x.rule),
    ).toContain('ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED');
    expect(v.checkCompatibility(e3, [e1], { protobufStrictness: 'WIRE' }).compatible).toBe(true);
    expect(
      v
        .checkCompatibility(e3, [e1], { protobufStrictness: 'WIRE_JSON' })
        .violations.map((x) => x.rule),
    ).toContain('ENUM_VALUE_SAME_NAME');
  });

  it('the empirical check encodes old data and decodes it with the new schema', () => {
    const zigzag = proto('string name = 1;\n sint32 count = 2;\n string note = 3;');
    const r = v.empiricalCheck(base, zigzag, { samples: 50 });
    expect(r.compatible).toBe(false);
    expect(r.counterexamples[0]?.reason).toMatch(/field 2/);
    expect(
      v.empiricalCheck(base, proto('string name = 1;\n int64 count = 2;\n string note = 3;'), {
        samples: 50,
      }).compatible,
    ).toBe(true);
  });
  it('PACKAGE compares the schema and its references as one set of packages', () => {
    const dep = (extra: string) => ({
      name: 'shop/dep.proto',
      schema: `syntax = "proto3";\npackage shop;\nmessage Shared { string s = 1; }\n${extra}`,
    });
    const main = (extra: string, refExtra: string) => ({
      format: 'protobuf',
      schema: `syntax = "proto3";\npackage shop;\nimport "shop/dep.proto";\nmessage Order { Shared s = 1; }\n${extra}`,
      references: [dep(refExtra)],
    });
    const check = (
      next: ReturnType<typeof main>,
      prev: ReturnType<typeof main>,
      s: 'FILE' | 'PACKAGE' | 'WIRE_JSON',
    ) => [
      ...new Set(
        v
          .checkCompatibility(next, [prev], { level: 'BACKWARD', protobufStrictness: s })
          .violations.map((x) => x.rule),
      ),
    ];
    // A message moved from the main file to a reference of the same package.
    const before = main('message Line { string sku = 1; }', '');
    const moved = main('', 'message Line { string sku = 1; }');
    expect(check(moved, before, 'FILE')).toEqual(['MESSAGE_NO_DELETE']);
    expect(check(moved, before, 'PACKAGE')).toEqual([]);
    // Deleted from a reference: the package lost it.
    const withRef = main('', 'message Line { string sku = 1; }');
    expect(check(main('', ''), withRef, 'PACKAGE')).toEqual(['PACKAGE_MESSAGE_NO_DELETE']);
    expect(check(main('', ''), withRef, 'WIRE_JSON')).toEqual([]);
  });
});
