import { createHash } from 'node:crypto';
import type { AvroNode } from './schema.js';

/**
 * Avro Parsing Canonical Form (specification, "Parsing Canonical Form for Schemas"):
 * PRIMITIVES (bare names), FULLNAMES (full names, no namespace), STRIP (only type, name,
 * fields, symbols, items, values, size), ORDER (that key order), STRINGS/INTEGERS (JSON's
 * minimal forms), WHITESPACE (none). A named type is written in full once, then by name.
 */
export function parsingCanonicalForm(node: AvroNode): string {
  const written = new Set<string>();
  const w = (n: AvroNode): string => {
    switch (n.kind) {
      case 'primitive':
        return JSON.stringify(n.type);
      case 'array':
        return `{"type":"array","items":${w(n.items)}}`;
      case 'map':
        return `{"type":"map","values":${w(n.values)}}`;
      case 'union':
        return `[${n.branches.map(w).join(',')}]`;
      default: {
        if (written.has(n.name)) return JSON.stringify(n.name);
        written.add(n.name);
        const name = JSON.stringify(n.name);
        if (n.kind === 'fixed') return `{"name":${name},"type":"fixed","size":${n.size}}`;
        if (n.kind === 'enum')
          return `{"name":${name},"type":"enum","symbols":[${n.symbols.map((s) => JSON.stringify(s)).join(',')}]}`;
        const fields = n.fields.map(
          (f) => `{"name":${JSON.stringify(f.name)},"type":${w(f.type)}}`,
        );
        return `{"name":${name},"type":"record","fields":[${fields.join(',')}]}`;
      }
    }
  };
  return w(node);
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
let TABLE: BigUint64Array | undefined;

function table(): BigUint64Array {
  if (TABLE) return TABLE;
  TABLE = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    TABLE[i] = fp;
  }
  return TABLE;
}

/** The 64-bit Rabin fingerprint "CRC-64-AVRO" of some bytes, as an unsigned bigint. */
export function rabin64(data: Uint8Array): bigint {
  const t = table();
  let fp = EMPTY;
  for (const b of data) fp = (fp >> 8n) ^ (t[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp;
}

export type AvroFingerprintAlgorithm = 'CRC-64-AVRO' | 'MD5' | 'SHA-256';

/**
 * A standard Avro fingerprint of a canonical form. Bytes are as the Java reference returns them:
 * CRC-64-AVRO little-endian (the order single-object encoding writes), MD5/SHA-256 as digested.
 */
export function avroFingerprintOf(
  canonical: string,
  algorithm: AvroFingerprintAlgorithm,
): Uint8Array {
  const data = Buffer.from(canonical, 'utf8');
  if (algorithm === 'MD5') return new Uint8Array(createHash('md5').update(data).digest());
  if (algorithm === 'SHA-256') return new Uint8Array(createHash('sha256').update(data).digest());
  const fp = rabin64(data);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((fp >> BigInt(8 * i)) & 0xffn);
  return out;
}
