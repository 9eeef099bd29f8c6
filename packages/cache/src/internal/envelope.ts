import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, gunzip, gzip } from 'node:zlib';
import { cacheErrors } from '../errors.js';
import type { CompressionOptions } from '../types.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);

const MAGIC = 0xca;
const VERSION = 1;
const FLAG_GZIP = 1;
const FLAG_BROTLI = 2;

/** What an entry is: a value, a cached "nothing", or a cached failure (negative caching). */
export const Kind = Object.freeze({ Value: 0, Absent: 1, Failure: 2 } as const);
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The entry metadata both tiers keep. Times are epoch ms; Infinity = never. */
export interface EntryMeta {
  readonly kind: Kind;
  readonly createdAt: number;
  /** Fresh until. */
  readonly expiresAt: number;
  /** Servable as stale (grace) until; L2 drops the key then. */
  readonly staleUntil: number;
  readonly tags: readonly string[] | undefined;
  /** For Failure entries: what the factory threw. */
  readonly failure?:
    { readonly name: string; readonly message: string; readonly code?: string } | undefined;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * The L2 wire format: magic, version, flags, a JSON header with the metadata (so an entry filled
 * into L1 from L2 keeps its remaining TTL, never a default), then the serialized payload,
 * compressed when it is at least the threshold.
 */
export async function encodeEnvelope(
  meta: EntryMeta,
  payload: Uint8Array,
  compression: CompressionOptions | undefined,
): Promise<Uint8Array> {
  const header = utf8.encode(
    JSON.stringify({
      k: meta.kind,
      c: meta.createdAt,
      e: meta.expiresAt === Infinity ? null : meta.expiresAt,
      s: meta.staleUntil === Infinity ? null : meta.staleUntil,
      ...(meta.tags !== undefined && { t: meta.tags }),
      ...(meta.failure !== undefined && { f: meta.failure }),
    }),
  );
  let flags = 0;
  let body = payload;
  if (compression !== undefined && payload.length >= compression.threshold) {
    if (compression.algorithm === 'brotli') {
      body = await brotliAsync(payload);
      flags |= FLAG_BROTLI;
    } else {
      body = await gzipAsync(payload);
      flags |= FLAG_GZIP;
    }
  }
  const out = new Uint8Array(7 + header.length + body.length);
  out[0] = MAGIC;
  out[1] = VERSION;
  out[2] = flags;
  new DataView(out.buffer).setUint32(3, header.length);
  out.set(header, 7);
  out.set(body, 7 + header.length);
  return out;
}

export interface DecodedEnvelope {
  readonly meta: EntryMeta;
  readonly payload: Uint8Array;
  readonly compressed: boolean;
}

function corrupt(why: string): never {
  throw cacheErrors.create('E_DESERIALIZE', `L2 entry is not a @plinth/cache envelope: ${why}`);
}

export async function decodeEnvelope(data: Uint8Array): Promise<DecodedEnvelope> {
  if (data.length < 7 || data[0] !== MAGIC) corrupt('bad magic');
  if (data[1] !== VERSION) corrupt(`unknown version ${String(data[1])}`);
  const flags = data[2] as number;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = view.getUint32(3);
  if (7 + len > data.length) corrupt('truncated header');
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(fromUtf8.decode(data.subarray(7, 7 + len))) as Record<string, unknown>;
  } catch {
    corrupt('unreadable header');
  }
  if (typeof h.c !== 'number' || (h.k !== 0 && h.k !== 1 && h.k !== 2)) corrupt('bad header');
  let payload = data.subarray(7 + len);
  if ((flags & FLAG_GZIP) !== 0) payload = await gunzipAsync(payload);
  else if ((flags & FLAG_BROTLI) !== 0) payload = await unbrotliAsync(payload);
  const meta: EntryMeta = {
    kind: h.k as Kind,
    createdAt: h.c,
    expiresAt: typeof h.e === 'number' ? h.e : Infinity,
    staleUntil: typeof h.s === 'number' ? h.s : Infinity,
    tags: Array.isArray(h.t) ? (h.t as string[]) : undefined,
    ...(typeof h.f === 'object' &&
      h.f !== null && { failure: h.f as EntryMeta['failure'] & object }),
  };
  return { meta, payload, compressed: flags !== 0 };
}

/** Bytes of a serializer's output. */
export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? utf8.encode(data) : data;
}
