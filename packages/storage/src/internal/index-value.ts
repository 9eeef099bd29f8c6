/**
 * Order-preserving encoding of index values into byte strings, so that every adapter sorts and
 * range-scans them with a plain byte comparison. Type order: null < false < true < numbers <
 * strings. Compound (multi-field) values are the concatenation of their parts, so an equality
 * on the leading fields is a prefix scan.
 */
import { prefixEnd } from './order.js';

export type IndexableValue = string | number | boolean | null;

const TAG_NULL = 0x05;
const TAG_FALSE = 0x06;
const TAG_TRUE = 0x07;
const TAG_NUMBER = 0x10;
const TAG_STRING = 0x20;

const encoder = new TextEncoder();
const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function pushNumber(out: number[], n: number): void {
  f64[0] = n === 0 ? 0 : n; // -0 sorts and matches as 0
  const bytes: number[] = [];
  for (let i = 0; i < 8; i++) bytes.push(f64bytes[littleEndian ? 7 - i : i] as number);
  if (((bytes[0] as number) & 0x80) === 0) {
    bytes[0] = (bytes[0] as number) | 0x80;
  } else {
    for (let i = 0; i < 8; i++) bytes[i] = ~(bytes[i] as number) & 0xff;
  }
  out.push(TAG_NUMBER, ...bytes);
}

function pushString(out: number[], s: string): void {
  out.push(TAG_STRING);
  for (const b of encoder.encode(s)) {
    if (b === 0x00) out.push(0x00, 0xff);
    else out.push(b);
  }
  out.push(0x00);
}

/** Encodes one or more values (a compound index) into one order-preserving byte string. */
export function encodeIndexValue(values: readonly IndexableValue[]): Uint8Array {
  const out: number[] = [];
  for (const v of values) {
    if (v === null) out.push(TAG_NULL);
    else if (v === false) out.push(TAG_FALSE);
    else if (v === true) out.push(TAG_TRUE);
    else if (typeof v === 'number') pushNumber(out, v);
    else pushString(out, v);
  }
  return Uint8Array.from(out);
}

/** Byte range [gte, lt) holding every entry whose leading values equal `values`. */
export function prefixRange(values: readonly IndexableValue[]): {
  gte: Uint8Array;
  lt: Uint8Array | undefined;
} {
  const gte = encodeIndexValue(values);
  return { gte, lt: prefixEnd(gte) };
}

export function isIndexable(value: unknown): value is IndexableValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
