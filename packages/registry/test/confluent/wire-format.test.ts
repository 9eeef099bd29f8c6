import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createConfluentHandler,
  decodeWireFormat,
  encodeWireFormat,
} from '../../src/confluent/index.js';
import { isPlinthError } from '@plinth/core';

describe('wire format', () => {
  it('frames with magic byte 0 and a 4-byte big-endian id', () => {
    const framed = encodeWireFormat(0x01020304, Uint8Array.of(9, 8));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 9, 8]);
    const { schemaId, payload } = decodeWireFormat(framed);
    expect(schemaId).toBe(0x01020304);
    expect([...payload]).toEqual([9, 8]);
  });

  it('round-trips any id and payload', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.uint8Array(), (id, bytes) => {
        const out = decodeWireFormat(encodeWireFormat(id, bytes));
        return out.schemaId === id && Buffer.compare(out.payload, Buffer.from(bytes)) === 0;
      }),
    );
  });

  it('rejects bad ids, short buffers and an unknown magic byte with E_INVALID_ARGUMENT', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isPlinthError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => encodeWireFormat(-1, new Uint8Array()))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => encodeWireFormat(2 ** 32, new Uint8Array()))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => decodeWireFormat(Uint8Array.of(0, 0, 0)))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => decodeWireFormat(Uint8Array.of(1, 0, 0, 0, 1)))).toBe('E_INVALID_ARGUMENT');
  });

  it('validates the handler options', () => {
    expect(() => createConfluentHandler({} as never)).toThrow(/registry/);
    expect(() =>
      createConfluentHandler({
        registry: { publish() {}, listVersions() {}, getContent() {}, setRules() {} } as never,
        group: 'bad/group',
      }),
    ).toThrow(/group/);
  });
});
