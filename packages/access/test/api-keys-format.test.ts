import { createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { isPlinthError } from '@plinth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apiKeyLength,
  apiKeyPattern,
  parseApiKey,
  scopesAllow,
  secretScanningPattern,
} from '../src/api-keys.js';
import {
  BASE62,
  base62Checksum,
  formatApiKey,
  keyDigester,
  newKeyParts,
  parseApiKeyParts,
  randomBase62,
} from '../src/internal/key-format.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    expect(isPlinthError(error, 'E_API_KEY_INVALID'), String(error)).toBe(true);
    return (error as { details: { reason: string } }).details.reason;
  }
}

/** Base62 digits back to a number: the oracle for the checksum encoding. */
function fromBase62(text: string): number {
  let n = 0;
  for (const ch of text) n = n * 62 + BASE62.indexOf(ch);
  return n;
}

const freshKey = (prefix = 'plk') => {
  const { id, secret } = newKeyParts();
  return formatApiKey(prefix, id, secret);
};

describe('API key format', () => {
  it('has the documented shape: prefix, 14-char id, 30-char secret, 6-char CRC32 checksum', () => {
    const key = freshKey('acme');
    expect(key).toMatch(/^acme_[0-9A-Za-z]{14}_[0-9A-Za-z]{36}$/);
    expect(key).toHaveLength(apiKeyLength('acme'));
    const body = key.slice(0, -6);
    expect(fromBase62(key.slice(-6))).toBe(crc32(body));
    expect(parseApiKey(key)).toEqual({ prefix: 'acme', keyId: key.slice(5, 19) });
  });

  it('encodes every 32-bit checksum in exactly 6 base62 digits, losslessly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const text = base62Checksum(n);
        expect(text).toHaveLength(6);
        expect(fromBase62(text)).toBe(n);
      }),
    );
    expect(base62Checksum(0)).toBe('000000');
    expect(base62Checksum(0xffffffff)).toBe('4gfFC3');
  });

  it('draws ids and secrets uniformly from the base62 alphabet (no modulo bias)', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62 * 400);
    for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Each character expected 400 times; a bias of 248/256 on the first 8 would show as ~+3 %.
    for (const n of counts.values()) expect(n).toBeGreaterThan(250);
    for (const n of counts.values()) expect(n).toBeLessThan(560);
    expect(newKeyParts().secret).toHaveLength(30); // 30 × log2(62) ≈ 178.6 bits ≥ 160
  });

  it('rejects every single-character substitution offline (checksum or shape)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.constantFrom(...BASE62.split(''), '_', '-', ' '),
        (position, replacement) => {
          const key = freshKey();
          const i = position % key.length;
          if (key[i] === replacement) return;
          const mutated = key.slice(0, i) + replacement + key.slice(i + 1);
          const reason = reasonOf(() => parseApiKey(mutated));
          expect(['checksum', 'malformed']).toContain(reason);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects swaps of neighbouring characters, truncations and extensions', () => {
    fc.assert(
      fc.property(fc.nat(), (position) => {
        const key = freshKey();
        const i = position % (key.length - 1);
        if (key[i] === key[i + 1]) return;
        const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
        expect(reasonOf(() => parseApiKey(swapped))).toBeDefined();
        expect(reasonOf(() => parseApiKey(key.slice(0, i + 1)))).toBe('malformed');
        expect(reasonOf(() => parseApiKey(`${key}${BASE62[position % 62]}`))).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects random strings, wrong types and oversized input as malformed, without throwing anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.anything()),
        (value) => {
          const out = parseApiKeyParts(value);
          // A random value is never a key: the shape or the 1-in-2^32 checksum refuses it.
          expect(typeof out).toBe('string');
          expect(reasonOf(() => parseApiKey(value))).toMatch(/^(malformed|checksum)$/);
        },
      ),
      { numRuns: 3000 },
    );
    expect(reasonOf(() => parseApiKey('x'.repeat(10_000_000)))).toBe('malformed');
    expect(reasonOf(() => parseApiKey(null))).toBe('malformed');
    expect(reasonOf(() => parseApiKey({ toString: () => freshKey() }))).toBe('malformed');
  });

  it('names a well-formed key of another prefix', () => {
    expect(reasonOf(() => parseApiKey(freshKey('other'), { prefix: 'plk' }))).toBe('prefix');
    expect(reasonOf(() => parseApiKey(freshKey('plk'), { prefix: 'plk' }))).toBeUndefined();
  });

  it('error messages and details never contain the presented text', () => {
    const key = freshKey();
    const broken = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
    try {
      parseApiKey(broken);
      expect.unreachable();
    } catch (error) {
      const text = JSON.stringify({
        m: (error as Error).message,
        d: (error as { details: unknown }).details,
      });
      expect(text).not.toContain(broken.slice(4, 30));
    }
  });
});

describe('key digests', () => {
  it('are SHA-256 of id.secret, or HMAC-SHA-256 (RFC 2104) under the pepper, equal to node:crypto', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 60 }),
        (pepper, id, secret) => {
          const text = `${id}.${secret}`;
          const hmac = keyDigester(pepper)(id, secret);
          expect(hmac.equals(createHmac('sha256', pepper).update(text).digest())).toBe(true);
          const plain = keyDigester()(id, secret);
          expect(plain.equals(createHash('sha256').update(text).digest())).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    // Results never alias: two digests from one digester stay what they were.
    const d = keyDigester(Buffer.alloc(32, 1));
    const a = d('a', 'b');
    const copy = Buffer.from(a);
    d('c', 'd');
    expect(a.equals(copy)).toBe(true);
  });
});

describe('secret scanning patterns', () => {
  it('finds every key in surrounding text and nothing else', () => {
    const a = freshKey('plk');
    const b = freshKey('acme');
    const text = `token=${a}\n"${b}",\nnot_${a}x plk_short_abc ${a.slice(0, -1)}`;
    const any = [...text.matchAll(secretScanningPattern())].map((m) => m[0]);
    expect(any).toEqual([a, b]);
    const plk = [...text.matchAll(apiKeyPattern('plk'))].map((m) => m[0]);
    expect(plk).toEqual([a]);
    expect(() => apiKeyPattern('Bad-Prefix')).toThrow();
  });

  it('matches every issued key (property) and each match parses', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9]{1,11}$/), (prefix) => {
        const key = freshKey(prefix);
        const re = secretScanningPattern();
        expect(`x ${key} y`.match(re)).toEqual([key]);
        expect(parseApiKey(key).prefix).toBe(prefix);
      }),
      { numRuns: 300 },
    );
  });
});

describe('scopesAllow', () => {
  it('grants exact scopes, * and namespace wildcards only', () => {
    expect(scopesAllow(['docs:read'], 'docs:read')).toBe(true);
    expect(scopesAllow(['docs:read'], 'docs:write')).toBe(false);
    expect(scopesAllow(['docs:*'], 'docs:share:public')).toBe(true);
    expect(scopesAllow(['docs:*'], 'docsx:read')).toBe(false);
    expect(scopesAllow(['*'], 'anything')).toBe(true);
    expect(scopesAllow([], 'docs:read')).toBe(false);
  });
});
