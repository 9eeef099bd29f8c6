import { inspect } from 'node:util';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isPlinthError, type PlinthError } from '@plinth/core';
import type { ValueFormat } from '../../src/adapter.js';
import { storageErrors } from '../../src/errors.js';
import {
  createCodec,
  createKeyring,
  generateKey,
  type CodecOptions,
  type ValueCodec,
} from '../../src/codecs/index.js';

const HAS_ZSTD = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

/** The error `fn` throws (fails the test when it does not throw a Plinth error). */
function errorOf(fn: () => unknown): PlinthError {
  try {
    fn();
  } catch (error) {
    if (isPlinthError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

function expectCode(
  fn: () => unknown,
  code: 'E_CODEC' | 'E_DECRYPT' | 'E_INVALID_OPTION',
): PlinthError {
  const error = errorOf(fn);
  expect(error.code).toBe(code);
  expect(storageErrors.is(error)).toBe(true);
  return error;
}

// Envelope field access (see the layout in src/codecs/envelope.ts).
const compressionOf = (envelope: Uint8Array): number => (envelope[2] as number) & 0b11;
const isEncrypted = (envelope: Uint8Array): boolean => ((envelope[2] as number) & 0b100) !== 0;

const keyA = generateKey();
const keyB = generateKey();
const ringA = createKeyring({ active: { id: 'key-a', key: keyA } });
const ringBA = createKeyring({
  active: { id: 'key-b', key: keyB },
  previous: [{ id: 'key-a', key: keyA }],
});

const CONFIGS: Record<string, CodecOptions> = {
  none: {},
  gzip: { compression: { algorithm: 'gzip', thresholdBytes: 0 } },
  brotli: { compression: { algorithm: 'brotli', thresholdBytes: 0 } },
  encryption: { encryption: { keyring: ringA } },
  'gzip+encryption': {
    compression: { algorithm: 'gzip', thresholdBytes: 0 },
    encryption: { keyring: ringA },
  },
  'brotli+encryption': {
    compression: { algorithm: 'brotli', thresholdBytes: 64, level: 9 },
    encryption: { keyring: ringA },
  },
};
const ENCRYPTED_CONFIGS = ['encryption', 'gzip+encryption', 'brotli+encryption'] as const;
const XOR_ALL = Array.from({ length: 255 }, (_, i) => i + 1);
const XOR_BITS = [1, 2, 4, 8, 16, 32, 64, 128, 255];

const codecs = Object.fromEntries(
  Object.entries(CONFIGS).map(([name, options]) => [name, createCodec(options)]),
) as Record<keyof typeof CONFIGS, ValueCodec>;

function codec(name: string): ValueCodec {
  return codecs[name] as ValueCodec;
}

const arbFormat = fc.constantFrom<ValueFormat>(0, 1, 2, 3);
/** Random bytes, and highly compressible repetitions, so both compression outcomes occur. */
const arbBytes = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 400 }))
    .map(([unit, times]) => new Uint8Array(Buffer.concat(Array(times).fill(Buffer.from(unit))))),
);
const arbAad = fc.tuple(fc.string(), fc.string()).map(([space, key]) => `${space}\u0000${key}`);

function compressible(size: number): Uint8Array {
  const text = 'the quick brown fox jumps over the lazy dog; '.repeat(Math.ceil(size / 45) + 1);
  return new Uint8Array(Buffer.from(text.slice(0, size)));
}

function random(size: number): Uint8Array {
  return new Uint8Array(Buffer.from(Array.from({ length: size }, () => (Math.random() * 256) | 0)));
}

describe.each(Object.keys(CONFIGS))('codec %s', (name) => {
  const c = codec(name);

  it('round-trips random bytes, formats and record ids', () => {
    fc.assert(
      fc.property(arbBytes, arbFormat, arbAad, (plain, format, aad) => {
        const envelope = c.encode(plain, format, aad);
        const out = c.decode(envelope, aad);
        expect(out.format).toBe(format);
        expect(out.plain).toBeInstanceOf(Uint8Array);
        expect(out.plain).toEqual(plain);
        expect(c.keyIdOf(envelope)).toBe(name.includes('encryption') ? 'key-a' : undefined);
        expect(c.needsRotation(envelope)).toBe(false);
      }),
    );
  });

  it('round-trips empty and large values', () => {
    for (const plain of [new Uint8Array(0), compressible(300_000), random(70_000)]) {
      const out = c.decode(c.encode(plain, 1, 'kv\u0000big'), 'kv\u0000big');
      expect(Buffer.from(out.plain).equals(Buffer.from(plain))).toBe(true);
    }
  });

  it('returns bytes of their own, not views into the envelope', () => {
    const envelope = c.encode(compressible(100), 2, 'a');
    const { plain } = c.decode(envelope, 'a');
    expect(plain.buffer).not.toBe(envelope.buffer);
    expect(plain.byteOffset).toBe(0);
    expect(plain.byteLength).toBe(plain.buffer.byteLength);
  });

  it('rejects every truncation and trailing bytes with E_CODEC', () => {
    for (const plain of [new Uint8Array(0), compressible(500), random(200)]) {
      const envelope = c.encode(plain, 0, 'docs\u0000k');
      for (let len = 0; len < envelope.byteLength; len++) {
        expectCode(() => c.decode(envelope.subarray(0, len), 'docs\u0000k'), 'E_CODEC');
        expectCode(() => c.keyIdOf(envelope.slice(0, len)), 'E_CODEC');
      }
      const longer = new Uint8Array(envelope.byteLength + 1);
      longer.set(envelope);
      expectCode(() => c.decode(longer, 'docs\u0000k'), 'E_CODEC');
    }
  });
});

describe('envelope layout', () => {
  it('is compact', () => {
    const plain = new Uint8Array([1, 2, 3]);
    // magic, version, flags, format, key id length, payload length: 6 bytes
    expect(codec('none').encode(plain, 1, 'a').byteLength).toBe(6 + 3);
    // + key id (5) + IV (12) + tag (16)
    expect(codec('encryption').encode(plain, 1, 'a').byteLength).toBe(6 + 5 + 12 + 16 + 3);
    const env = codec('none').encode(plain, 3, 'a');
    expect([...env.subarray(0, 6)]).toEqual([0xf7, 1, 0, 3, 0, 3]);
    expect([...env.subarray(6)]).toEqual([1, 2, 3]);
  });

  it('writes a fresh IV per value', () => {
    const c = codec('encryption');
    const plain = compressible(64);
    const a = c.encode(plain, 2, 'kv\u0000x');
    const b = c.encode(plain, 2, 'kv\u0000x');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(isEncrypted(a)).toBe(true);
    expect(Buffer.from(a).includes(Buffer.from(plain.subarray(0, 16)))).toBe(false);
  });

  it('is self-describing: any codec reads any unencrypted envelope', () => {
    const plain = compressible(5000);
    for (const writer of ['none', 'gzip', 'brotli']) {
      const envelope = codec(writer).encode(plain, 2, 'x');
      for (const reader of Object.keys(CONFIGS)) {
        expect(codec(reader).decode(envelope, 'x')).toEqual({ format: 2, plain });
      }
    }
  });

  it('rejects malformed headers with E_CODEC', () => {
    const good = codec('none').encode(new Uint8Array([9, 9]), 1, 'a');
    const variant = (index: number, value: number): Uint8Array => {
      const copy = new Uint8Array(good);
      copy[index] = value;
      return copy;
    };
    const cases: Array<[string, Uint8Array]> = [
      ['bad magic', variant(0, 0x7b)],
      ['future layout version', variant(1, 2)],
      ['reserved flag bits', variant(2, 0b1000)],
      ['encrypted flag without key id', variant(2, 0b100)],
      ['inner format ENVELOPE', variant(3, 4)],
      ['key id length without encryption', variant(4, 1)],
      ['non-minimal payload length', new Uint8Array([0xf7, 1, 0, 1, 0, 0x82, 0x00, 9, 9])],
      [
        'overlong payload length',
        new Uint8Array([0xf7, 1, 0, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0]),
      ],
    ];
    for (const [reason, envelope] of cases) {
      const e = expectCode(() => codec('none').decode(envelope, 'a'), 'E_CODEC');
      expect(e.message, reason).toContain('malformed value envelope');
    }
    expectCode(() => codec('none').decode('not bytes' as never, 'a'), 'E_CODEC');
    expectCode(() => codec('none').needsRotation(new Uint8Array([1, 2, 3, 4, 5, 6])), 'E_CODEC');
  });

  it('rejects encoding an invalid format or non-bytes with E_CODEC', () => {
    expectCode(() => codec('none').encode(new Uint8Array(1), 4 as ValueFormat, 'a'), 'E_CODEC');
    expectCode(() => codec('none').encode(new Uint8Array(1), -1 as ValueFormat, 'a'), 'E_CODEC');
    expectCode(() => codec('none').encode('text' as never, 2, 'a'), 'E_CODEC');
  });
});

describe('compression', () => {
  it('compresses only values of at least thresholdBytes (default 1024)', () => {
    const c = createCodec({ compression: { algorithm: 'gzip' } });
    expect(compressionOf(c.encode(compressible(1023), 2, 'a'))).toBe(0);
    expect(c.encode(compressible(1023), 2, 'a').byteLength).toBe(1023 + 7);
    const big = c.encode(compressible(1024), 2, 'a');
    expect(compressionOf(big)).toBe(1);
    expect(big.byteLength).toBeLessThan(300);

    const b = createCodec({ compression: { algorithm: 'brotli', thresholdBytes: 100 } });
    expect(compressionOf(b.encode(compressible(99), 0, 'a'))).toBe(0);
    expect(compressionOf(b.encode(compressible(100), 0, 'a'))).toBe(2);
  });

  it('leaves incompressible values uncompressed', () => {
    for (const algorithm of ['gzip', 'brotli'] as const) {
      const c = createCodec({ compression: { algorithm, thresholdBytes: 0 } });
      for (const size of [1, 20, 2000, 100_000]) {
        const plain = random(size);
        const envelope = c.encode(plain, 1, 'a');
        expect(compressionOf(envelope)).toBe(0);
        expect(envelope.byteLength).toBe(size + 5 + (size < 128 ? 1 : size < 16384 ? 2 : 3));
        expect(c.decode(envelope, 'a').plain).toEqual(plain);
      }
    }
  });

  it('uses the level', () => {
    const plain = compressible(50_000);
    const fast = createCodec({ compression: { algorithm: 'brotli', level: 0 } }).encode(
      plain,
      2,
      'a',
    );
    const best = createCodec({ compression: { algorithm: 'brotli', level: 11 } }).encode(
      plain,
      2,
      'a',
    );
    expect(best.byteLength).toBeLessThan(fast.byteLength);
  });

  it('rejects a corrupt compressed payload with E_CODEC', () => {
    const c = codec('gzip');
    const envelope = c.encode(compressible(5000), 2, 'a');
    expect(compressionOf(envelope)).toBe(1);
    const corrupt = new Uint8Array(envelope);
    const middle = Math.floor(envelope.byteLength / 2);
    corrupt[middle] = (corrupt[middle] as number) ^ 0xff;
    const e = expectCode(() => c.decode(corrupt, 'a'), 'E_CODEC');
    expect(e.message).toContain('gzip');
  });

  it('caps decompressed output at 256 MiB (decompression bombs) with E_CODEC', () => {
    // 257 concatenated gzip members of 1 MiB of zeros each: ~260 KB that inflate to 257 MiB.
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array<Buffer>(257).fill(member));
    const len: number[] = [];
    for (let n = bomb.byteLength; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        len.push(n);
        break;
      }
      len.push((n % 128) | 0x80);
    }
    const envelope = new Uint8Array(Buffer.concat([Buffer.from([0xf7, 1, 1, 1, 0, ...len]), bomb]));
    const e = expectCode(() => codec('none').decode(envelope, 'a'), 'E_CODEC');
    expect(e.message).toContain(String(256 * 1024 * 1024));
  });

  // One test whatever the runtime: Node.js >= 22.15 has zstd, older ones must refuse it cleanly.
  it(`zstd on this runtime (${HAS_ZSTD ? 'available' : 'unavailable'}): round-trips, or is a clear E_CODEC`, () => {
    if (HAS_ZSTD) {
      const c = createCodec({ compression: { algorithm: 'zstd', thresholdBytes: 0 } });
      const plain = compressible(10_000);
      const envelope = c.encode(plain, 2, 'a');
      expect(compressionOf(envelope)).toBe(3);
      expect(c.decode(envelope, 'a').plain).toEqual(plain);
    } else {
      const envelope = new Uint8Array(codec('gzip').encode(compressible(2000), 2, 'a'));
      envelope[2] = 3;
      const e = expectCode(() => codec('none').decode(envelope, 'a'), 'E_CODEC');
      expect(e.message).toContain('zstd');
    }
  });
});

describe('zstd code path (runtime with zlib.zstd*Sync, simulated)', () => {
  afterEach(() => {
    vi.doUnmock('node:zlib');
    vi.resetModules();
  });

  it('writes flag 3 with the level and reads it back', async () => {
    vi.resetModules();
    const calls: unknown[] = [];
    vi.doMock('node:zlib', async (importOriginal) => {
      const real = await importOriginal<typeof zlib>();
      return {
        ...real,
        zstdCompressSync: (buf: Uint8Array, options: unknown) => {
          calls.push(options);
          return real.deflateRawSync(buf);
        },
        zstdDecompressSync: (buf: Uint8Array, options: zlib.ZlibOptions) => {
          calls.push(options);
          return real.inflateRawSync(buf, options);
        },
      };
    });
    const mod = await import('../../src/codecs/envelope.js');
    const c = mod.createCodec({
      compression: { algorithm: 'zstd', thresholdBytes: 0, level: 7 },
      encryption: { keyring: ringA },
    });
    const plain = compressible(4000);
    const envelope = c.encode(plain, 2, 'kv\u0000z');
    expect(compressionOf(envelope)).toBe(3);
    expect(c.decode(envelope, 'kv\u0000z')).toEqual({ format: 2, plain });
    expect(JSON.stringify(calls[0])).toContain('7');
    expect(calls[1]).toMatchObject({ maxOutputLength: 256 * 1024 * 1024 });
    expectCode(
      () => mod.createCodec({ compression: { algorithm: 'zstd', level: 23 } }),
      'E_INVALID_OPTION',
    );
  });
});

describe('encryption', () => {
  const aad = 'docs\u0000user-1';

  it('fails with E_DECRYPT naming the key id when the keyring lacks it', () => {
    const envelope = codec('encryption').encode(compressible(100), 0, aad);
    const other = createCodec({
      encryption: { keyring: createKeyring({ active: { id: 'key-z', key: generateKey() } }) },
    });
    const e = expectCode(() => other.decode(envelope, aad), 'E_DECRYPT');
    expect(e.message).toContain('"key-a"');
    expect(e.details.keyId).toBe('key-a');
    expect(other.keyIdOf(envelope)).toBe('key-a');
    expect(other.needsRotation(envelope)).toBe(true);

    const plainCodec = expectCode(() => codec('gzip').decode(envelope, aad), 'E_DECRYPT');
    expect(plainCodec.message).toContain('"key-a"');
    expect(codec('gzip').needsRotation(envelope)).toBe(false);
  });

  it('fails with E_DECRYPT (never garbage) for a wrong key under the same id', () => {
    const impostor = createCodec({
      compression: { algorithm: 'gzip', thresholdBytes: 0 },
      encryption: { keyring: createKeyring({ active: { id: 'key-a', key: generateKey() } }) },
    });
    fc.assert(
      fc.property(arbBytes, arbFormat, (plain, format) => {
        for (const name of ENCRYPTED_CONFIGS) {
          const envelope = codec(name).encode(plain, format, aad);
          const e = expectCode(() => impostor.decode(envelope, aad), 'E_DECRYPT');
          expect(e.details.keyId).toBe('key-a');
        }
      }),
      { numRuns: 30 },
    );
  });

  it('fails with E_DECRYPT when a value is moved to another record', () => {
    fc.assert(
      fc.property(arbBytes, arbFormat, arbAad, arbAad, (plain, format, aad1, aad2) => {
        fc.pre(aad1 !== aad2);
        for (const name of ENCRYPTED_CONFIGS) {
          const envelope = codec(name).encode(plain, format, aad1);
          expectCode(() => codec(name).decode(envelope, aad2), 'E_DECRYPT');
        }
      }),
      { numRuns: 50 },
    );
    const envelope = codec('encryption').encode(compressible(10), 2, 'kv\u0000a');
    for (const moved of ['kv\u0000b', 'kv\u0000a ', 'kv2\u0000a', 'kv', '', 'kva']) {
      expectCode(() => codec('encryption').decode(envelope, moved), 'E_DECRYPT');
    }
  });

  it('detects every single-byte change of an encrypted envelope (E_DECRYPT or E_CODEC)', () => {
    for (const name of ENCRYPTED_CONFIGS) {
      const c = codec(name);
      for (const plain of [new Uint8Array(0), compressible(200), random(40)]) {
        const envelope = c.encode(plain, 1, aad);
        expect(c.decode(envelope, aad).plain).toEqual(plain);
        const headerAndIv = 6 + 'key-a'.length + 12;
        const wrong: string[] = [];
        for (let i = 0; i < envelope.byteLength; i++) {
          // Every possible value of the header and IV bytes; every bit (and all bits) elsewhere:
          // GCM authenticates those bytes as a whole, the values add nothing there.
          const xors = i < headerAndIv ? XOR_ALL : XOR_BITS;
          for (const x of xors) {
            const tampered = new Uint8Array(envelope);
            tampered[i] = (tampered[i] as number) ^ x;
            try {
              c.decode(tampered, aad);
              wrong.push(`byte ${i} ^ ${x}: decoded`);
            } catch (error) {
              if (!storageErrors.is(error, ['E_DECRYPT', 'E_CODEC'])) {
                wrong.push(`byte ${i} ^ ${x}: ${String(error)}`);
              }
            }
          }
        }
        expect(wrong).toEqual([]);
      }
    }
  });

  it('detects random single-byte changes of random envelopes', () => {
    fc.assert(
      fc.property(
        arbBytes,
        arbFormat,
        fc.constantFrom(...ENCRYPTED_CONFIGS),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (plain, format, name, at, x) => {
          const c = codec(name);
          const envelope = c.encode(plain, format, aad);
          const i = at % envelope.byteLength;
          envelope[i] = (envelope[i] as number) ^ x;
          const error = errorOf(() => c.decode(envelope, aad));
          expect(['E_DECRYPT', 'E_CODEC']).toContain(error.code);
        },
      ),
    );
  });

  it('rotates: old values decode, need rotation, and re-encode under the active key', () => {
    const oldCodec = codec('gzip+encryption');
    const newCodec = createCodec({
      compression: { algorithm: 'gzip', thresholdBytes: 0 },
      encryption: { keyring: ringBA },
    });
    fc.assert(
      fc.property(arbBytes, arbFormat, arbAad, (plain, format, recordAad) => {
        const old = oldCodec.encode(plain, format, recordAad);
        expect(newCodec.keyIdOf(old)).toBe('key-a');
        expect(newCodec.needsRotation(old)).toBe(true);
        const decoded = newCodec.decode(old, recordAad);
        expect(decoded).toEqual({ format, plain });
        const rotated = newCodec.encode(decoded.plain, decoded.format, recordAad);
        expect(newCodec.keyIdOf(rotated)).toBe('key-b');
        expect(newCodec.needsRotation(rotated)).toBe(false);
        expect(newCodec.decode(rotated, recordAad)).toEqual({ format, plain });
        // The old keyring cannot read what the new key wrote.
        expectCode(() => oldCodec.decode(rotated, recordAad), 'E_DECRYPT');
      }),
      { numRuns: 50 },
    );
  });

  it('flags unencrypted envelopes for rotation once encryption is on', () => {
    const plainEnvelope = codec('gzip').encode(compressible(3000), 0, aad);
    const c = codec('encryption');
    expect(c.keyIdOf(plainEnvelope)).toBeUndefined();
    expect(c.needsRotation(plainEnvelope)).toBe(true);
    expect(c.decode(plainEnvelope, aad).plain).toEqual(compressible(3000));
    expect(codec('gzip').needsRotation(plainEnvelope)).toBe(false);
    expect(codec('none').needsRotation(plainEnvelope)).toBe(false);
  });

  it('never puts key bytes in errors', () => {
    const envelope = codec('encryption').encode(compressible(64), 1, aad);
    const errors = [
      errorOf(() => codec('encryption').decode(envelope, 'elsewhere')),
      errorOf(() =>
        createCodec({
          encryption: { keyring: createKeyring({ active: { id: 'key-a', key: keyB } }) },
        }).decode(envelope, aad),
      ),
      errorOf(() =>
        createCodec({ encryption: { keyring: ringBA } }).decode(envelope.subarray(0, 20), aad),
      ),
    ];
    for (const e of errors) {
      const text = [e.message, JSON.stringify(e), inspect(e, { depth: 5 })].join('\n');
      for (const key of [keyA, keyB]) {
        expect(text).not.toContain(Buffer.from(key).toString('hex').slice(0, 16));
        expect(text).not.toContain(Buffer.from(key).toString('base64').slice(0, 16));
        expect(text).not.toContain([...key.subarray(0, 6)].join(', '));
      }
    }
  });
});

describe('createCodec options', () => {
  function optionError(options: unknown): PlinthError {
    return expectCode(() => createCodec(options as CodecOptions), 'E_INVALID_OPTION');
  }

  it('works with neither compression nor encryption', () => {
    const c = createCodec({});
    const envelope = c.encode(new Uint8Array([1]), 1, 'a');
    expect(compressionOf(envelope)).toBe(0);
    expect(isEncrypted(envelope)).toBe(false);
  });

  it.skipIf(HAS_ZSTD)('rejects zstd on a runtime without it (Node 20)', () => {
    const e = optionError({ compression: { algorithm: 'zstd' } });
    expect(e.details.option).toBe('algorithm');
    expect(e.message).toContain('zstd');
    expect(e.message).toContain('lacks');
    expect(e.message).toContain(process.version);
  });

  it('rejects a bad threshold', () => {
    for (const thresholdBytes of [-1, 1.5, '1k', Number.NaN, Infinity]) {
      const e = optionError({ compression: { algorithm: 'gzip', thresholdBytes } });
      expect(e.details.option).toBe('thresholdBytes');
      expect(e.message).toContain('"thresholdBytes"');
      expect(e.message).toContain('compression');
    }
  });

  it('rejects a bad algorithm or level', () => {
    expect(optionError({ compression: {} }).details.option).toBe('algorithm');
    expect(optionError({ compression: { algorithm: 'lz4' } }).details.option).toBe('algorithm');
    for (const [algorithm, level] of [
      ['gzip', 10],
      ['gzip', -2],
      ['brotli', 12],
      ['brotli', 1.5],
      ['gzip', '9'],
    ] as const) {
      const e = optionError({ compression: { algorithm, level } });
      expect(e.details.option).toBe('level');
      expect(e.message).toContain('"level"');
    }
  });

  it('rejects unknown options, suggesting the intended one', () => {
    const e = optionError({ compresion: { algorithm: 'gzip' } });
    expect(e.details.option).toBe('compresion');
    expect(e.message).toContain('did you mean "compression"');
    expect(optionError({ compression: { algorithm: 'gzip', threshold: 10 } }).details.option).toBe(
      'threshold',
    );
    expect(optionError({ encryption: { keyring: ringA, key: keyA } }).details.option).toBe('key');
    expect(optionError('gzip').details.option).toBe('(options)');
    expect(optionError({ compression: 'gzip' }).details.option).toBe('compression');
  });

  it('requires a keyring for encryption', () => {
    expect(optionError({ encryption: {} }).details.option).toBe('keyring');
    expect(optionError({ encryption: { keyring: { activeId: 'a' } } }).details.option).toBe(
      'keyring',
    );
    const fake = { activeId: 'a', ids: () => ['a'], get: () => new Uint8Array(16) };
    const e = optionError({ encryption: { keyring: fake } });
    expect(e.details).toMatchObject({ option: 'keyring', keyId: 'a' });
  });
});
