import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  StreamingDigest,
  assertDigest,
  canonicalJson,
  contentDigest,
  digestOf,
  isDigest,
  isPlinthError,
  sha256Hex,
} from '../src/index.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 vectors for "" and "abc"', () => {
    expect(sha256Hex('')).toBe(EMPTY);
    expect(sha256Hex('abc')).toBe(ABC);
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('hashes bytes and their UTF-8 string equally', () => {
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(ABC);
    expect(sha256Hex(new TextEncoder().encode('héllo €'))).toBe(sha256Hex('héllo €'));
    expect(sha256Hex(Buffer.from('abc'))).toBe(ABC);
  });
});

describe('digestOf', () => {
  it('prefixes the hex digest with the algorithm', () => {
    expect(digestOf('abc')).toBe(`sha256:${ABC}`);
    expect(digestOf(new Uint8Array())).toBe(`sha256:${EMPTY}`);
  });
});

describe('contentDigest', () => {
  it('is the digest of the canonical JSON text', () => {
    expect(contentDigest({ b: 1, a: 2 })).toBe(digestOf('{"a":2,"b":1}'));
  });

  it('is equal for documents that differ only in key order, at any depth', () => {
    expect(contentDigest({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      contentDigest({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('differs for different documents', () => {
    const base = contentDigest({ a: 1, b: [1, 2] });
    expect(contentDigest({ a: 2, b: [1, 2] })).not.toBe(base);
    expect(contentDigest({ a: 1, b: [2, 1] })).not.toBe(base);
    expect(contentDigest({ a: '1', b: [1, 2] })).not.toBe(base);
    expect(contentDigest({ a: 1, b: [1, 2], c: null })).not.toBe(base);
  });

  it('matches exactly when the canonical JSON texts match', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (x, y) => {
        expect(contentDigest(x)).toBe(digestOf(canonicalJson(x)));
        return (contentDigest(x) === contentDigest(y)) === (canonicalJson(x) === canonicalJson(y));
      }),
    );
  });

  it('propagates canonical JSON errors', () => {
    let error: unknown;
    try {
      contentDigest({ n: Number.NaN });
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('isDigest / assertDigest', () => {
  it('accepts sha256: followed by 64 lowercase hex digits', () => {
    expect(isDigest(`sha256:${ABC}`)).toBe(true);
    expect(isDigest(digestOf('x'))).toBe(true);
  });

  it.each([
    ['no prefix', ABC],
    ['uppercase hex', `sha256:${ABC.toUpperCase()}`],
    ['another algorithm', `sha512:${ABC}`],
    ['a short digest', `sha256:${ABC.slice(1)}`],
    ['a long digest', `sha256:${ABC}0`],
    ['a non-hex digit', `sha256:${ABC.slice(1)}g`],
    ['trailing whitespace', `sha256:${ABC}\n`],
    ['a non-string', 42],
  ])('rejects %s', (_, value) => {
    expect(isDigest(value)).toBe(false);
  });

  it('assertDigest passes a valid digest', () => {
    expect(() => assertDigest(`sha256:${EMPTY}`)).not.toThrow();
  });

  it('assertDigest throws E_INVALID_ARGUMENT naming the value', () => {
    let error: unknown;
    try {
      assertDigest('md5:abc', 'checksum');
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_INVALID_ARGUMENT')).toBe(true);
    expect(error).toMatchObject({ details: { name: 'checksum' } });
    expect((error as Error).message).toBe(
      '[@plinth/core] checksum must look like "sha256:<64 hex digits>", got "md5:abc"',
    );
  });

  it('assertDigest calls the value "digest" by default', () => {
    expect(() => assertDigest(undefined)).toThrow(/digest must look like/);
  });
});

describe('StreamingDigest', () => {
  it('digests nothing as the empty string digest', () => {
    const d = new StreamingDigest();
    expect(d.digest()).toBe(`sha256:${EMPTY}`);
    expect(d.bytes).toBe(0);
  });

  it('equals the one-shot digest of the concatenated chunks, strings and bytes mixed', () => {
    const d = new StreamingDigest();
    d.update('ab').update(new Uint8Array([0x63]));
    expect(d.digest()).toBe(digestOf('abc'));
  });

  it('equals the one-shot digest however the content is split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300)), (data, cuts) => {
        const d = new StreamingDigest();
        const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort(
          (a, b) => a - b,
        );
        let from = 0;
        for (const to of [...points, data.length]) {
          d.update(data.subarray(from, to));
          from = to;
        }
        return d.digest() === digestOf(data) && d.bytes === data.length;
      }),
    );
  });

  it('counts UTF-8 bytes, not characters, for string chunks', () => {
    const d = new StreamingDigest();
    d.update('é'); // 2 bytes
    d.update('€'); // 3 bytes
    d.update('😀'); // 4 bytes
    d.update(new Uint8Array(5));
    expect(d.bytes).toBe(14);
    expect(d.digest()).toBe(
      digestOf(Buffer.concat([Buffer.from('é€😀'), Buffer.from(new Uint8Array(5))])),
    );
  });

  it('returns the same digest on later calls', () => {
    const d = new StreamingDigest().update('abc');
    const first = d.digest();
    expect(d.digest()).toBe(first);
    expect(first).toBe(`sha256:${ABC}`);
  });

  it('refuses update after digest with E_CLOSED', () => {
    const d = new StreamingDigest().update('abc');
    d.digest();
    let error: unknown;
    try {
      d.update('more');
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_CLOSED')).toBe(true);
    expect(d.bytes).toBe(3);
    expect(d.digest()).toBe(`sha256:${ABC}`);
  });
});
