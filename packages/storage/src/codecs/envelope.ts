/**
 * Value codecs: compression and AES-256-GCM encryption of stored values, in a self-describing
 * binary ENVELOPE (`ValueFormat.ENVELOPE`) that every adapter stores as plain bytes.
 *
 * Envelope layout, version 1 (all multi-byte integers are unsigned LEB128 varints):
 *
 * ```
 * offset     size  field
 * 0          1     magic 0xF7 (never the first byte of valid UTF-8, so never JSON or text)
 * 1          1     layout version (1)
 * 2          1     flags: bits 0-1 compression (0 none, 1 gzip, 2 brotli, 3 zstd),
 *                  bit 2 encrypted, bits 3-7 reserved (0)
 * 3          1     inner ValueFormat of the value (0 JSON, 1 BYTES, 2 STRING, 3 NUMBER)
 * 4          1     key id length n: 1-64 when encrypted, 0 when not (must agree with bit 2)
 * 5          n     key id (ASCII [A-Za-z0-9._-])
 * 5+n        1-5   payload length L (varint, minimal encoding)
 * ── header ends here (h bytes) ──
 * h          12    AES-GCM IV, fresh random bytes per value        (encrypted only)
 * h+12       16    AES-GCM authentication tag                       (encrypted only)
 * …          L     payload: the value's bytes, compressed when bits 0-1 say so, then encrypted
 * ```
 *
 * The envelope is exactly `h + (encrypted ? 28 : 0) + L` bytes: truncation or trailing bytes are
 * E_CODEC. Encryption authenticates, as GCM additional data, the header bytes followed by the
 * UTF-8 bytes of the record's `aad` (`${space}\u0000${key}`): a ciphertext moved to another
 * record, or whose header (format, compression, key id, length) was altered, fails with
 * E_DECRYPT instead of decrypting to something else. Because "encrypted" is recorded twice (flag
 * bit and key id length), no single corrupted byte can turn an encrypted envelope into an
 * unencrypted one. Unencrypted envelopes carry no integrity check of their own.
 *
 * The IV is 96 random bits per value: rotate keys long before 2^32 values were encrypted under
 * one key. Decompression is capped at {@link MAX_DECOMPRESSED_BYTES} (decompression bombs), and
 * values larger than that are stored uncompressed.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as zlib from 'node:zlib';
import { check, isPlinthError, resolveOptions } from '@plinth/core';
import type { ValueFormat } from '../adapter.js';
import { storageErrors } from '../errors.js';
import { KEY_BYTES, MAX_KEY_ID_LENGTH, type Keyring } from './keyring.js';

export interface CompressionOptions {
  /** `zstd` needs a Node.js runtime with `zlib.zstdCompressSync` (22.15+, 23.8+). */
  readonly algorithm: 'gzip' | 'brotli' | 'zstd';
  /** Compress only values at least this big, in bytes. @default 1024 */
  readonly thresholdBytes?: number;
  /**
   * Compression level: gzip -1..9 (default 6), brotli quality 0..11 (default 4: Node's default
   * of 11 is tuned for static assets and is many times slower), zstd 1..22 (default 3).
   */
  readonly level?: number;
}

export interface CodecOptions {
  /** Compress values of at least `thresholdBytes` when that makes them smaller. @default none */
  readonly compression?: CompressionOptions;
  /** Encrypt every value with the keyring's active key (AES-256-GCM). @default none */
  readonly encryption?: { readonly keyring: Keyring };
}

export interface ValueCodec {
  /** Wraps `plain` (the bytes of a value of `format`) into an envelope; `aad` binds it to its record (the Store passes `${space}\u0000${key}`). */
  encode(plain: Uint8Array, format: ValueFormat, aad: string): Uint8Array;
  /** Unwraps; throws E_DECRYPT (unknown key id, wrong key, tampered, or AAD of another record) or E_CODEC (malformed). */
  decode(envelope: Uint8Array, aad: string): { format: ValueFormat; plain: Uint8Array };
  /** True when the envelope is encrypted with a key other than the keyring's active key (or not encrypted while encryption is on). Always false on a codec without encryption. */
  needsRotation(envelope: Uint8Array): boolean;
  /** The key id of an envelope, or undefined when not encrypted. */
  keyIdOf(envelope: Uint8Array): string | undefined;
}

/** First byte of every envelope. */
const ENVELOPE_MAGIC = 0xf7;
/** The layout version this module writes (and the only one it reads). */
const ENVELOPE_VERSION = 1;
/** Largest decompressed value accepted (256 MiB); bigger values are stored uncompressed. */
const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

const IV_BYTES = 12;
const TAG_BYTES = 16;
const FLAG_COMPRESSION_MASK = 0b011;
const FLAG_ENCRYPTED = 0b100;
const FLAG_RESERVED = 0b1111_1000;
/** Payload lengths are at most 5 varint bytes (< 2^35). */
const MAX_VARINT_BYTES = 5;
/** Highest inner format an envelope may wrap (an envelope never wraps an envelope). */
const MAX_INNER_FORMAT = 3;

const Compression = { NONE: 0, GZIP: 1, BROTLI: 2, ZSTD: 3 } as const;
type Compression = (typeof Compression)[keyof typeof Compression];
const ALGORITHM_CODES = {
  gzip: Compression.GZIP,
  brotli: Compression.BROTLI,
  zstd: Compression.ZSTD,
};
const ALGORITHM_NAMES = ['none', 'gzip', 'brotli', 'zstd'] as const;

const LEVELS = {
  gzip: { min: -1, max: 9, default: 6 },
  brotli: { min: 0, max: 11, default: 4 },
  zstd: { min: 1, max: 22, default: 3 },
} as const;

const DEFAULT_THRESHOLD_BYTES = 1024;

/** zstd entry points of Node ≥ 22.15 / 23.8 (absent from Node 20 and its type definitions). */
interface ZstdApi {
  zstdCompressSync(buf: Uint8Array, options?: object): Buffer;
  zstdDecompressSync(buf: Uint8Array, options?: object): Buffer;
}

function zstdApi(): ZstdApi | undefined {
  const z = zlib as unknown as Partial<ZstdApi>;
  return typeof z.zstdCompressSync === 'function' && typeof z.zstdDecompressSync === 'function'
    ? (z as ZstdApi)
    : undefined;
}

// ─── errors ─────────────────────────────────────────────────────────────────────────────────────

function malformed(reason: string, details: Record<string, unknown> = {}, cause?: unknown): Error {
  return storageErrors.create('E_CODEC', `malformed value envelope: ${reason}`, {
    details: { reason, ...details },
    cause,
  });
}

// ─── parsing ────────────────────────────────────────────────────────────────────────────────────

interface Header {
  readonly compression: Compression;
  readonly encrypted: boolean;
  readonly format: ValueFormat;
  /** Undefined when not encrypted. */
  readonly keyId: string | undefined;
  /** Header length: the bytes authenticated as additional data. */
  readonly headerLength: number;
  /** Where the payload starts (after IV and tag when encrypted). */
  readonly payloadOffset: number;
  readonly payloadLength: number;
}

function isKeyIdByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x2d // -
  );
}

function parseHeader(envelope: Uint8Array): Header {
  if (!(envelope instanceof Uint8Array)) {
    throw malformed('not a Uint8Array');
  }
  const size = envelope.byteLength;
  if (size < 6) throw malformed('truncated', { size });
  if (envelope[0] !== ENVELOPE_MAGIC) throw malformed('bad magic byte', { size });
  const version = envelope[1] as number;
  if (version !== ENVELOPE_VERSION) {
    throw malformed(`unsupported layout version ${version}`, { version });
  }
  const flags = envelope[2] as number;
  if ((flags & FLAG_RESERVED) !== 0) throw malformed('reserved flag bits are set', { flags });
  const format = envelope[3] as number;
  if (format > MAX_INNER_FORMAT) throw malformed(`invalid inner format ${format}`, { format });
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  const idLength = envelope[4] as number;
  if (idLength > MAX_KEY_ID_LENGTH) throw malformed('key id too long', { idLength });
  if (encrypted !== idLength > 0) {
    throw malformed(encrypted ? 'encrypted envelope without key id' : 'key id without encryption');
  }
  let offset = 5;
  if (offset + idLength + 1 > size) throw malformed('truncated', { size });
  for (let i = offset; i < offset + idLength; i++) {
    if (!isKeyIdByte(envelope[i] as number)) throw malformed('invalid key id');
  }
  const keyId =
    idLength > 0 ? String.fromCharCode(...envelope.subarray(offset, offset + idLength)) : undefined;
  offset += idLength;

  // Payload length: minimal unsigned LEB128.
  let payloadLength = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (i === MAX_VARINT_BYTES) throw malformed('payload length too long');
    if (offset >= size) throw malformed('truncated', { size });
    const b = envelope[offset++] as number;
    payloadLength += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw malformed('non-minimal payload length');
      break;
    }
  }
  const headerLength = offset;
  const payloadOffset = headerLength + (encrypted ? IV_BYTES + TAG_BYTES : 0);
  const expected = payloadOffset + payloadLength;
  if (size !== expected) {
    throw malformed(size < expected ? 'truncated' : 'trailing bytes', { size, expected });
  }
  return {
    compression: (flags & FLAG_COMPRESSION_MASK) as Compression,
    encrypted,
    format: format as ValueFormat,
    keyId,
    headerLength,
    payloadOffset,
    payloadLength,
  };
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes the header into `out` (sized by the caller) and returns its length. */
function writeHeader(
  out: Uint8Array,
  compression: Compression,
  format: ValueFormat,
  keyId: Uint8Array | undefined,
  payloadLength: number,
): number {
  out[0] = ENVELOPE_MAGIC;
  out[1] = ENVELOPE_VERSION;
  out[2] = compression | (keyId === undefined ? 0 : FLAG_ENCRYPTED);
  out[3] = format;
  let offset = 5;
  if (keyId === undefined) {
    out[4] = 0;
  } else {
    out[4] = keyId.byteLength;
    out.set(keyId, offset);
    offset += keyId.byteLength;
  }
  let n = payloadLength;
  while (n >= 128) {
    out[offset++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[offset++] = n;
  return offset;
}

/** The additional authenticated data: header bytes, then the record's `aad` in UTF-8. */
function additionalData(header: Uint8Array, aad: string): Buffer {
  const aadBytes = Buffer.from(aad, 'utf8');
  const out = Buffer.allocUnsafe(header.byteLength + aadBytes.byteLength);
  out.set(header, 0);
  out.set(aadBytes, header.byteLength);
  return out;
}

/** A Uint8Array that owns exactly its bytes (never a view into a pooled or shared buffer). */
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer) : bytes;
  }
  return new Uint8Array(bytes);
}

// ─── compression ────────────────────────────────────────────────────────────────────────────────

interface ResolvedCompression {
  readonly code: Compression;
  readonly thresholdBytes: number;
  readonly level: number;
}

function compress(c: ResolvedCompression, plain: Uint8Array, format: ValueFormat): Uint8Array {
  switch (c.code) {
    case Compression.GZIP:
      return zlib.gzipSync(plain, { level: c.level });
    case Compression.BROTLI:
      return zlib.brotliCompressSync(plain, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: c.level,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.byteLength,
          [zlib.constants.BROTLI_PARAM_MODE]:
            format === 1 ? zlib.constants.BROTLI_MODE_GENERIC : zlib.constants.BROTLI_MODE_TEXT,
        },
      });
    case Compression.ZSTD: {
      const api = zstdApi() as ZstdApi; // checked by createCodec
      const levelParam =
        (zlib.constants as unknown as Record<string, number | undefined>)[
          'ZSTD_c_compressionLevel'
        ] ?? 100;
      return api.zstdCompressSync(plain, { params: { [levelParam]: c.level } });
    }
    default:
      return plain;
  }
}

function decompress(code: Compression, payload: Uint8Array): Uint8Array {
  const options = { maxOutputLength: MAX_DECOMPRESSED_BYTES };
  try {
    switch (code) {
      case Compression.GZIP:
        return zlib.gunzipSync(payload, options);
      case Compression.BROTLI:
        return zlib.brotliDecompressSync(payload, options);
      case Compression.ZSTD: {
        const api = zstdApi();
        if (api === undefined) {
          throw storageErrors.create(
            'E_CODEC',
            `value is zstd-compressed but this Node.js runtime (${process.version}) lacks zstd (zlib.zstdDecompressSync, Node.js >= 22.15)`,
            { details: { reason: 'zstd unavailable', nodeVersion: process.version } },
          );
        }
        return api.zstdDecompressSync(payload, options);
      }
      default:
        return payload;
    }
  } catch (error) {
    if (isPlinthError(error)) throw error;
    const algorithm = ALGORITHM_NAMES[code];
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw malformed(
        `decompressed value exceeds ${MAX_DECOMPRESSED_BYTES} bytes`,
        { algorithm, limit: MAX_DECOMPRESSED_BYTES },
        error,
      );
    }
    throw malformed(`corrupt ${algorithm} payload`, { algorithm }, error);
  }
}

// ─── options ────────────────────────────────────────────────────────────────────────────────────

const CODEC_OWNER = 'createCodec';
const COMPRESSION_OWNER = 'createCodec (compression)';
const ENCRYPTION_OWNER = 'createCodec (encryption)';

function resolveCompression(input: unknown): ResolvedCompression {
  const opts = resolveOptions<CompressionOptions, { thresholdBytes: number }>({
    package: storageErrors.package,
    owner: COMPRESSION_OWNER,
    spec: {
      algorithm: { check: check.oneOf(['gzip', 'brotli', 'zstd'] as const), required: true },
      thresholdBytes: check.number({ min: 0, integer: true }),
      level: check.number({ integer: true }),
    },
    defaults: { thresholdBytes: DEFAULT_THRESHOLD_BYTES },
    input,
  });
  const { algorithm } = opts;
  if (algorithm === 'zstd' && zstdApi() === undefined) {
    throw storageErrors.create(
      'E_INVALID_OPTION',
      `${COMPRESSION_OWNER}: option "algorithm" is "zstd" but this Node.js runtime (${process.version}) lacks zstd (zlib.zstdCompressSync needs Node.js >= 22.15 or >= 23.8); use "gzip" or "brotli"`,
      { details: { owner: COMPRESSION_OWNER, option: 'algorithm', nodeVersion: process.version } },
    );
  }
  const range = LEVELS[algorithm];
  const level = opts.level ?? range.default;
  if (level < range.min || level > range.max) {
    const expected = `an integer >= ${range.min} <= ${range.max} for ${algorithm}`;
    throw storageErrors.create(
      'E_INVALID_OPTION',
      `${COMPRESSION_OWNER}: option "level" must be ${expected}, got ${level}`,
      { details: { owner: COMPRESSION_OWNER, option: 'level', expected } },
    );
  }
  return { code: ALGORITHM_CODES[algorithm], thresholdBytes: opts.thresholdBytes, level };
}

interface ResolvedEncryption {
  readonly activeId: string;
  readonly activeIdBytes: Uint8Array;
  readonly keys: ReadonlyMap<string, KeyObject>;
}

function resolveEncryption(input: unknown): ResolvedEncryption {
  const opts = resolveOptions<{ keyring: Keyring }, Record<string, never>>({
    package: storageErrors.package,
    owner: ENCRYPTION_OWNER,
    spec: {
      keyring: {
        check: check.custom<Keyring>(
          'a Keyring (createKeyring())',
          (v) =>
            typeof v === 'object' &&
            v !== null &&
            typeof (v as Keyring).activeId === 'string' &&
            typeof (v as Keyring).get === 'function' &&
            typeof (v as Keyring).ids === 'function',
        ),
        required: true,
      },
    },
    defaults: {},
    input,
  });
  const { keyring } = opts;
  const keys = new Map<string, KeyObject>();
  for (const id of keyring.ids()) {
    const key = keyring.get(id);
    if (key === undefined || key.byteLength !== KEY_BYTES) {
      throw storageErrors.create(
        'E_INVALID_OPTION',
        `${ENCRYPTION_OWNER}: key "${id}" of option "keyring" is not a ${KEY_BYTES}-byte key`,
        { details: { owner: ENCRYPTION_OWNER, option: 'keyring', keyId: id } },
      );
    }
    keys.set(id, createSecretKey(key));
  }
  if (!keys.has(keyring.activeId)) {
    throw storageErrors.create(
      'E_INVALID_OPTION',
      `${ENCRYPTION_OWNER}: the active key "${keyring.activeId}" of option "keyring" is missing`,
      { details: { owner: ENCRYPTION_OWNER, option: 'keyring', keyId: keyring.activeId } },
    );
  }
  return {
    activeId: keyring.activeId,
    activeIdBytes: Buffer.from(keyring.activeId, 'latin1'),
    keys,
  };
}

// ─── the codec ──────────────────────────────────────────────────────────────────────────────────

/**
 * Builds a codec from its options (throws E_INVALID_OPTION). The codec always reads every
 * envelope layout it can (any compression algorithm the runtime has, encrypted or not, by any
 * key of the keyring), whatever it is configured to write.
 */
export function createCodec(options: CodecOptions): ValueCodec {
  const opts = resolveOptions<CodecOptions, Record<string, never>>({
    package: storageErrors.package,
    owner: CODEC_OWNER,
    spec: { compression: check.object(), encryption: check.object() },
    defaults: {},
    input: options,
  });
  const compression =
    opts.compression === undefined ? undefined : resolveCompression(opts.compression);
  const encryption = opts.encryption === undefined ? undefined : resolveEncryption(opts.encryption);

  function encode(plain: Uint8Array, format: ValueFormat, aad: string): Uint8Array {
    if (!(plain instanceof Uint8Array)) {
      throw storageErrors.create('E_CODEC', 'cannot encode: the value bytes must be a Uint8Array');
    }
    if (!Number.isInteger(format) || format < 0 || format > MAX_INNER_FORMAT) {
      throw storageErrors.create('E_CODEC', `cannot encode a value of format ${String(format)}`, {
        details: { format },
      });
    }
    let code: Compression = Compression.NONE;
    let body = plain;
    if (
      compression !== undefined &&
      plain.byteLength >= compression.thresholdBytes &&
      plain.byteLength <= MAX_DECOMPRESSED_BYTES
    ) {
      let packed: Uint8Array;
      try {
        packed = compress(compression, plain, format);
      } catch (error) {
        throw storageErrors.create('E_CODEC', 'compression failed', {
          details: { algorithm: ALGORITHM_NAMES[compression.code] },
          cause: error,
        });
      }
      if (packed.byteLength < plain.byteLength) {
        code = compression.code;
        body = packed;
      }
    }

    const keyId = encryption?.activeIdBytes;
    const headerSize = 5 + (keyId?.byteLength ?? 0) + varintLength(body.byteLength);
    if (encryption === undefined) {
      const out = new Uint8Array(headerSize + body.byteLength);
      out.set(body, writeHeader(out, code, format, undefined, body.byteLength));
      return out;
    }
    const out = new Uint8Array(headerSize + IV_BYTES + TAG_BYTES + body.byteLength);
    const headerLength = writeHeader(out, code, format, keyId, body.byteLength);
    const iv = randomBytes(IV_BYTES);
    const key = encryption.keys.get(encryption.activeId) as KeyObject;
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(out.subarray(0, headerLength), aad));
    const head = cipher.update(body);
    const tail = cipher.final();
    const payloadOffset = headerLength + IV_BYTES + TAG_BYTES;
    out.set(iv, headerLength);
    out.set(cipher.getAuthTag(), headerLength + IV_BYTES);
    out.set(head, payloadOffset);
    out.set(tail, payloadOffset + head.byteLength);
    return out;
  }

  function decrypt(envelope: Uint8Array, header: Header, aad: string): Uint8Array {
    const keyId = header.keyId as string;
    if (encryption === undefined) {
      throw storageErrors.create(
        'E_DECRYPT',
        `value is encrypted with key "${keyId}" but no keyring is configured (codecs.encryption)`,
        { details: { keyId } },
      );
    }
    const key = encryption.keys.get(keyId);
    if (key === undefined) {
      throw storageErrors.create(
        'E_DECRYPT',
        `value is encrypted with key "${keyId}", which is not in the keyring (keys: ${[
          ...encryption.keys.keys(),
        ].join(', ')})`,
        { details: { keyId, keyringIds: [...encryption.keys.keys()] } },
      );
    }
    const { headerLength, payloadOffset } = header;
    const iv = envelope.subarray(headerLength, headerLength + IV_BYTES);
    const tag = envelope.subarray(headerLength + IV_BYTES, payloadOffset);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      decipher.setAAD(additionalData(envelope.subarray(0, headerLength), aad));
      const head = decipher.update(envelope.subarray(payloadOffset));
      const tail = decipher.final();
      return tail.byteLength === 0 ? head : Buffer.concat([head, tail]);
    } catch (error) {
      throw storageErrors.create(
        'E_DECRYPT',
        `could not decrypt a value encrypted with key "${keyId}": wrong key, tampered data, or a value of another record`,
        { details: { keyId }, cause: error },
      );
    }
  }

  function decode(envelope: Uint8Array, aad: string): { format: ValueFormat; plain: Uint8Array } {
    const header = parseHeader(envelope);
    const payload = header.encrypted
      ? decrypt(envelope, header, aad)
      : envelope.subarray(header.payloadOffset);
    const plain = decompress(header.compression, payload);
    return { format: header.format, plain: copyOf(plain, envelope) };
  }

  function needsRotation(envelope: Uint8Array): boolean {
    const { keyId } = parseHeader(envelope);
    if (encryption === undefined) return false;
    return keyId !== encryption.activeId;
  }

  function keyIdOf(envelope: Uint8Array): string | undefined {
    return parseHeader(envelope).keyId;
  }

  return Object.freeze({ encode, decode, needsRotation, keyIdOf });
}

/** The plain bytes as a Uint8Array of their own (never a view into the envelope or a pool). */
function copyOf(plain: Uint8Array, envelope: Uint8Array): Uint8Array {
  return plain.buffer === envelope.buffer ? new Uint8Array(plain) : ownBytes(plain);
}
