import { registryErrors } from '../errors.js';

/** Confluent's magic byte: the first byte of every framed message. */
export const MAGIC_BYTE = 0;

/** Frames a serialized payload: magic byte 0, the schema id as 4 bytes big-endian, the payload. */
export function encodeWireFormat(schemaId: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffff_ffff) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `schemaId must be an integer in 0..4294967295, got ${String(schemaId)}`,
    );
  }
  if (!(payload instanceof Uint8Array)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'payload must be a Uint8Array');
  }
  const out = Buffer.allocUnsafe(5 + payload.byteLength);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  out.set(payload, 5);
  return out;
}

/** Splits a framed message into its schema id and payload (a view, not a copy). */
export function decodeWireFormat(buf: Uint8Array): { schemaId: number; payload: Buffer } {
  if (!(buf instanceof Uint8Array)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'decodeWireFormat() takes a Uint8Array');
  }
  if (buf.byteLength < 5) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `a framed message has at least 5 bytes, got ${buf.byteLength}`,
    );
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `unknown magic byte ${String(buf[0])} (Confluent framing starts with 0)`,
    );
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { schemaId: b.readUInt32BE(1), payload: b.subarray(5) };
}
