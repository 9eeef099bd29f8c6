import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkName, isPlinthError, printableName } from '../src/index.js';

function rule(value: unknown, options = {}): unknown {
  try {
    checkName(value, options);
  } catch (error) {
    expect(isPlinthError(error, 'E_INVALID_NAME')).toBe(true);
    const e = error as Error & { details: { rule: string } };
    // The message never carries the offending characters themselves.
    expect(e.message).not.toMatch(
      // eslint-disable-next-line no-control-regex -- the refused characters
      /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/,
    );
    return e.details.rule;
  }
  return 'accepted';
}

describe('checkName', () => {
  it.each([
    ['\u0000', 'control'],
    ['a\u0000b', 'control'],
    ['a\nb', 'control'],
    ['a\tb', 'control'],
    ['\u007f', 'control'],
    ['a\u0085b', 'control'],
    ['\u202e', 'bidi'],
    ['abc\u2066', 'bidi'],
    ['a\u200fb', 'bidi'],
    ['\u200b', 'invisible'],
    ['a\u200db', 'invisible'],
    ['\ufeffname', 'invisible'],
    ['a\ud800b', 'surrogate'],
    ['cafe\u0301', 'nfc'],
    ['', 'empty'],
    [42, 'type'],
    [undefined, 'type'],
  ])('refuses %j (%s)', (value, expected) => {
    expect(rule(value)).toBe(expected);
  });

  it('accepts NFC names in any script, emoji included', () => {
    for (const n of ['orders-value', 'café', 'заказы', '注文', 'a b', 'x😀y', 'Ω'])
      expect(checkName(n)).toBe(n);
  });

  it('counts the length in code points and names the rule, the index and the code point', () => {
    expect(checkName('😀'.repeat(4), { maxLength: 4 })).toBe('😀'.repeat(4));
    expect(rule('😀'.repeat(5), { maxLength: 4 })).toBe('length');
    expect(rule('x'.repeat(257))).toBe('length');
    try {
      checkName('ab\u202ec', { what: 'subject', package: '@plinth/registry' });
    } catch (error) {
      const e = error as { package: string; message: string; details: Record<string, unknown> };
      expect(e.package).toBe('@plinth/registry');
      expect(e.details).toMatchObject({
        what: 'subject',
        rule: 'bidi',
        index: 2,
        codePoint: 'U+202E',
      });
      expect(e.message).toBe(
        '[@plinth/registry] subject "ab\\u202ec" contains a bidirectional control character (U+202E at index 2)',
      );
    }
  });

  it('suggests the NFC spelling of a non-NFC name', () => {
    try {
      checkName('cafe\u0301');
    } catch (error) {
      expect((error as { details: { normalized: string } }).details.normalized).toBe('"caf\u00e9"');
    }
  });

  it('accepts exactly the strings a reference definition accepts (property)', () => {
    const reference = (s: string) =>
      s.length > 0 &&
      [...s].length <= 256 &&
      // eslint-disable-next-line no-control-regex -- the refused characters
      !/[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/.test(
        s,
      ) &&
      !/\p{Surrogate}/u.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) &&
      s === s.normalize('NFC');
    let agreed = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        (s) => {
          expect(rule(s) === 'accepted').toBe(reference(s));
          agreed++;
        },
      ),
      { seed: 707, numRuns: 1000 },
    );
    console.log(
      `checkName agrees with the reference definition on ${agreed}/1000 generated strings`,
    );
  });

  it('prints names with the refused characters escaped', () => {
    expect(printableName('a\u0000b\u202e')).toBe('"a\\u0000b\\u202e"');
    expect(printableName('x'.repeat(100))).toHaveLength(83);
  });
});
