import { describeValue } from '@plinth/core';
import { validationErrors } from '../../errors.js';
import type { SchemaSource } from '../../types.js';
import { type AvroFingerprintAlgorithm, avroFingerprintOf } from './canonical.js';
import { defaultValidation } from '../../default.js';

export { rabin64 } from './canonical.js';

/**
 * A standard Avro fingerprint of a schema's Parsing Canonical Form: `CRC-64-AVRO` (8 bytes,
 * little-endian, as single-object encoding writes it), `MD5` (16) or `SHA-256` (32).
 */
export function avroFingerprint(
  source: SchemaSource | unknown,
  algorithm: AvroFingerprintAlgorithm = 'CRC-64-AVRO',
): Uint8Array {
  if (!['CRC-64-AVRO', 'MD5', 'SHA-256'].includes(algorithm)) {
    throw validationErrors.create(
      'E_INVALID_ARGUMENT',
      `unknown Avro fingerprint algorithm ${describeValue(algorithm)} (CRC-64-AVRO, MD5, SHA-256)`,
    );
  }
  const s =
    typeof source === 'object' && source !== null && 'format' in source && 'schema' in source
      ? (source as SchemaSource)
      : { format: 'avro', schema: source };
  if (s.format !== 'avro')
    throw validationErrors.create('E_FORMAT_MISMATCH', 'avroFingerprint() needs an Avro schema');
  return avroFingerprintOf(defaultValidation().canonicalForm(s), algorithm);
}
