import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';

const v1 = { format: 'protobuf', schema: 'syntax = "proto3";\nmessage M { string a = 1; }\n' };
const v2 = { format: 'protobuf', schema: 'syntax = "proto3";\nmessage M { string b = 1; }\n' };

describe('per-call comparison options', () => {
  const validation = new Validation();

  it('refuse an unknown Protobuf strictness or JSON Schema policy instead of comparing with none', () => {
    for (const [option, value] of [
      ['protobufStrictness', 'WIRE_JSN'],
      ['protobufStrictness', 'wire'],
      ['jsonSchemaPolicy', 'loose'],
    ] as const) {
      for (const call of [
        () => validation.checkCompatibility(v2, [v1], { [option]: value } as never),
        () => validation.diff(v1, v2, { [option]: value } as never),
      ]) {
        expect(call).toThrow(
          expect.objectContaining({ code: 'E_INVALID_ARGUMENT', details: { option } }),
        );
      }
    }
  });

  it('take every documented value', () => {
    for (const protobufStrictness of ['WIRE', 'WIRE_JSON', 'FILE', 'PACKAGE'] as const) {
      const r = validation.checkCompatibility(v2, [v1], { protobufStrictness });
      // A field rename keeps the wire format but not the JSON names.
      expect(r.compatible, protobufStrictness).toBe(protobufStrictness === 'WIRE');
    }
  });
});
