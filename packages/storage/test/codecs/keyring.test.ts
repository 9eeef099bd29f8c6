import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isPlinthError, type PlinthError } from '@plinth/core';
import { storageErrors } from '../../src/errors.js';
import { Keyring, createKeyring, generateKey } from '../../src/codecs/index.js';

/** The error `fn` throws (fails the test when it does not throw). */
function errorOf(fn: () => unknown): PlinthError {
  try {
    fn();
  } catch (error) {
    if (isPlinthError(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

function invalidOption(fn: () => unknown): PlinthError {
  const error = errorOf(fn);
  expect(storageErrors.is(error, 'E_INVALID_OPTION')).toBe(true);
  return error;
}

/** Ways key bytes could show up in text: hex, base64, Buffer and array printouts. */
function leakForms(key: Uint8Array): string[] {
  const buf = Buffer.from(key);
  const head = [...key.subarray(0, 8)];
  return [
    buf.toString('hex'),
    buf.toString('hex').slice(0, 16),
    buf.toString('base64').slice(0, 16),
    buf.toString('base64url').slice(0, 16),
    head.map((b) => b.toString(16).padStart(2, '0')).join(' '),
    head.join(', '),
    head.join(','),
  ];
}

function expectNoLeak(text: string, ...keys: Uint8Array[]): void {
  for (const key of keys) {
    for (const form of leakForms(key)) expect(text).not.toContain(form);
  }
}

/** Everything an error exposes as text. */
function errorText(error: PlinthError): string {
  return [error.message, JSON.stringify(error), JSON.stringify(error.details), inspect(error)].join(
    '\n',
  );
}

describe('generateKey', () => {
  it('returns 32 fresh random bytes', () => {
    const a = generateKey();
    const b = generateKey();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.byteLength).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});

describe('Keyring', () => {
  const keyA = generateKey();
  const keyB = generateKey();
  const keyC = generateKey();

  it('holds an active key and previous keys', () => {
    const ring = new Keyring({
      active: { id: 'k3', key: keyC },
      previous: [
        { id: 'k2', key: keyB },
        { id: 'k1', key: keyA },
      ],
    });
    expect(ring.activeId).toBe('k3');
    expect(ring.ids()).toEqual(['k3', 'k2', 'k1']);
    expect(ring.get('k3')).toEqual(keyC);
    expect(ring.get('k1')).toEqual(keyA);
    expect(ring.get('k0')).toBeUndefined();
    expect(ring.has('k2')).toBe(true);
    expect(ring.has('nope')).toBe(false);
  });

  it('createKeyring is the same as new Keyring', () => {
    const ring = createKeyring({ active: { id: 'a', key: keyA } });
    expect(ring).toBeInstanceOf(Keyring);
    expect(ring.activeId).toBe('a');
    expect(ring.ids()).toEqual(['a']);
  });

  it('accepts Buffers and every id character', () => {
    const id = 'Key_1.2-abcXYZ';
    const ring = createKeyring({
      active: { id, key: Buffer.from(keyA) },
      previous: [{ id: 'x'.repeat(64), key: keyB }],
    });
    expect(ring.get(id)).toEqual(keyA);
    expect(ring.get('x'.repeat(64))).toEqual(keyB);
  });

  it('keeps its own copies of the keys', () => {
    const key = generateKey();
    const original = new Uint8Array(key);
    const ring = createKeyring({ active: { id: 'a', key } });
    key.fill(0);
    expect(ring.get('a')).toEqual(original);
    const copy = ring.get('a') as Uint8Array;
    copy.fill(1);
    expect(ring.get('a')).toEqual(original);
  });

  it('is immutable', () => {
    const ring = createKeyring({ active: { id: 'a', key: keyA } });
    expect(Object.isFrozen(ring)).toBe(true);
    expect(() => {
      (ring as { activeId: string }).activeId = 'b';
    }).toThrow(TypeError);
  });

  describe('never shows key bytes', () => {
    const ring = createKeyring({
      active: { id: 'current', key: keyB },
      previous: [{ id: 'old', key: keyA }],
    });

    it('JSON.stringify shows ids only', () => {
      const json = JSON.stringify(ring);
      expect(JSON.parse(json)).toEqual({ activeId: 'current', ids: ['current', 'old'] });
      expectNoLeak(json, keyA, keyB);
      expectNoLeak(JSON.stringify({ nested: { ring } }), keyA, keyB);
    });

    it('util.inspect shows ids only', () => {
      for (const text of [
        inspect(ring),
        inspect(ring, { showHidden: true, depth: Infinity }),
        inspect({ nested: [ring] }, { depth: 5 }),
        String(ring),
      ]) {
        expectNoLeak(text, keyA, keyB);
      }
      expect(inspect(ring)).toContain('current');
      expect(inspect(ring)).toContain('old');
      expect(inspect(ring)).toMatch(/^Keyring /);
    });

    it('own enumerable properties hold no key', () => {
      expectNoLeak(JSON.stringify(Object.entries(ring)), keyA, keyB);
      expectNoLeak(JSON.stringify(structuredClone({ ...ring })), keyA, keyB);
    });
  });

  describe('validation', () => {
    it('requires an options object with an active key', () => {
      expect(invalidOption(() => new Keyring(undefined as never)).details.option).toBe('active');
      expect(invalidOption(() => new Keyring({} as never)).details.option).toBe('active');
      expect(invalidOption(() => new Keyring('k' as never)).details.option).toBe('(options)');
      const e = invalidOption(() => new Keyring({ active: 'secret' } as never));
      expect(e.details.option).toBe('active');
      expect(e.message).not.toContain('secret');
    });

    it('rejects unknown options, suggesting the intended one', () => {
      const e = invalidOption(() =>
        createKeyring({ active: { id: 'a', key: keyA }, previus: [] } as never),
      );
      expect(e.details.option).toBe('previus');
      expect(e.message).toContain('did you mean "previous"');
    });

    it('rejects a key of the wrong length, naming its id and never its bytes', () => {
      for (const size of [0, 16, 31, 33, 64]) {
        const key = generateKey().subarray(0, Math.min(size, 32));
        const bytes =
          size > 32
            ? new Uint8Array(Buffer.concat([generateKey(), generateKey()]).subarray(0, size))
            : key;
        const e = invalidOption(() => createKeyring({ active: { id: 'short-key', key: bytes } }));
        expect(e.message).toContain('"short-key"');
        expect(e.message).toContain('32 bytes');
        expect(e.details).toMatchObject({
          option: 'active.key',
          keyId: 'short-key',
          actualBytes: size,
        });
        if (size >= 8) expectNoLeak(errorText(e), bytes);
      }
    });

    it('rejects a previous key of the wrong length, naming its id and position', () => {
      const bad = generateKey().subarray(0, 24);
      const e = invalidOption(() =>
        createKeyring({
          active: { id: 'a', key: keyA },
          previous: [
            { id: 'b', key: keyB },
            { id: 'legacy', key: bad },
          ],
        }),
      );
      expect(e.message).toContain('"legacy"');
      expect(e.details).toMatchObject({ option: 'previous[1].key', keyId: 'legacy' });
      expectNoLeak(errorText(e), bad, keyA, keyB);
    });

    it('accepts Uint8Array keys only: no strings (never echoed), no arrays, no ArrayBuffers', () => {
      const base64 = Buffer.from(keyA).toString('base64');
      const hex = Buffer.from(keyA).toString('hex');
      for (const key of [base64, hex]) {
        const e = invalidOption(() => createKeyring({ active: { id: 'text', key } as never }));
        expect(e.message).toContain('"text"');
        expect(e.message).toContain('a string');
        expect(errorText(e)).not.toContain(key.slice(0, 12));
        expectNoLeak(errorText(e), keyA);
      }
      for (const key of [[...keyA], keyA.buffer, null, undefined, 42]) {
        const e = invalidOption(() => createKeyring({ active: { id: 'k', key } as never }));
        expect(e.details.option).toBe('active.key');
        expectNoLeak(errorText(e), keyA);
      }
    });

    it('rejects invalid ids, naming the option', () => {
      for (const id of ['', 'x'.repeat(65), 'has space', 'é', 'a/b', 'a\u0000', 7, undefined]) {
        const e = invalidOption(() => createKeyring({ active: { id, key: keyA } as never }));
        expect(e.details.option).toBe('active.id');
        expectNoLeak(errorText(e), keyA);
      }
      const e = invalidOption(() =>
        createKeyring({ active: { id: 'ok', key: keyA }, previous: [{ id: 'not ok', key: keyB }] }),
      );
      expect(e.details.option).toBe('previous[0].id');
      expect(e.message).toContain('"not ok"');
    });

    it('rejects duplicate ids', () => {
      const e1 = invalidOption(() =>
        createKeyring({ active: { id: 'k1', key: keyA }, previous: [{ id: 'k1', key: keyB }] }),
      );
      expect(e1.message).toContain('"k1"');
      expect(e1.details).toMatchObject({ option: 'previous[0].id', keyId: 'k1' });
      const e2 = invalidOption(() =>
        createKeyring({
          active: { id: 'k0', key: keyA },
          previous: [
            { id: 'k1', key: keyB },
            { id: 'k2', key: keyB },
            { id: 'k1', key: keyC },
          ],
        }),
      );
      expect(e2.details).toMatchObject({ option: 'previous[2].id', keyId: 'k1' });
      expectNoLeak(errorText(e1) + errorText(e2), keyA, keyB, keyC);
    });

    it('rejects a non-array previous, malformed entries and unknown entry properties', () => {
      expect(
        invalidOption(() =>
          createKeyring({ active: { id: 'a', key: keyA }, previous: {} as never }),
        ).details.option,
      ).toBe('previous');
      expect(
        invalidOption(() =>
          createKeyring({ active: { id: 'a', key: keyA }, previous: ['b' as never] }),
        ).details.option,
      ).toBe('previous[0]');
      const e = invalidOption(() =>
        createKeyring({ active: { id: 'a', key: keyA, secret: 'x' } as never }),
      );
      expect(e.details.option).toBe('active.secret');
    });
  });
});
