import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileUserPattern, isPlinthError } from '../src/index.js';

function refusal(source: string, flags?: string): string {
  try {
    compileUserPattern(source, flags);
  } catch (error) {
    expect(isPlinthError(error, 'E_INVALID_PATTERN')).toBe(true);
    return (error as { details: { reason: string } }).details.reason;
  }
  throw new Error(`${source} was accepted`);
}

describe('compileUserPattern', () => {
  it('matches a catastrophic-backtracking pattern in linear time (child process with a kill timeout)', () => {
    const src = fileURLToPath(new URL('../src/user-pattern.ts', import.meta.url));
    const script = `
      import { compileUserPattern } from ${JSON.stringify(src)};
      const p = compileUserPattern('^(a+)+$');
      process.stdout.write(JSON.stringify([p.test('a'.repeat(40) + '!'), p.test('a'.repeat(100000) + '!'), p.test('aaaa')]));
    `;
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const run = spawnSync(tsx, ['--eval', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([false, false, true]);
  }, 40_000);

  it('keeps the ECMAScript meaning of \\s, ., [^], \\u escapes and \\cX', () => {
    const t = (p: string, s: string, f?: string) => compileUserPattern(p, f).test(s);
    expect(t('^\\s$', '\u00a0')).toBe(true);
    expect(t('^\\s$', '\ufeff')).toBe(true);
    expect(t('^[\\s]$', '\u2029')).toBe(true);
    expect(t('^\\S$', '\u3000')).toBe(false);
    expect(t('^.$', '\r')).toBe(false);
    expect(t('^.$', '\u2028')).toBe(false);
    expect(t('^.$', '\u2028', 's')).toBe(true);
    expect(t('^.$', '😀')).toBe(true);
    expect(t('^[^]$', '\n')).toBe(true);
    expect(t('[]', 'anything')).toBe(false);
    expect(t('^\\u00e9$', 'é')).toBe(true);
    expect(t('^\\ud83d\\ude00$', '😀')).toBe(true);
    expect(t('^\\u{1F600}$', '😀')).toBe(true);
    expect(t('^\\cJ$', '\n')).toBe(true);
    expect(t('^[\\b]$', '\b')).toBe(true);
    expect(t('^[[a]$', '[')).toBe(true);
    expect(t('^\\p{Lu}+$', 'ÀB')).toBe(true);
    expect(t('^\\p{Script=Greek}+$', 'αβ')).toBe(true);
    expect(t('^\\p{Letter}$', 'ж')).toBe(true);
    expect(t('^\\d$', '٣')).toBe(false);
    expect(t('^k$', '\u212a', 'i')).toBe(true);
    expect(t('(?<year>\\d{4})', 'in 2024')).toBe(true);
  });

  it('refuses what needs backtracking or would change meaning, saying why', () => {
    expect(refusal('(?=a)a')).toMatch(/lookahead/);
    expect(refusal('(?<!a)b')).toMatch(/lookbehind/);
    expect(refusal('(a)\\1')).toMatch(/backreference/);
    expect(refusal('(?<x>a)\\k<x>')).toMatch(/backreference/);
    expect(refusal('a{1001}')).toMatch(/linear-time engine cannot express/);
    expect(refusal('\\p{ASCII}')).toMatch(/linear-time engine cannot express/);
    expect(refusal('\\p{scx=Greek}')).toMatch(/Script_Extensions/);
    expect(refusal('\\p{sc=Grek}')).toMatch(/linear-time engine cannot express/);
    expect(refusal('[\\Sa]')).toMatch(/\\S inside a character class/);
    expect(refusal('\\ud800')).toMatch(/lone surrogate/);
    expect(refusal('^a$', 'm')).toMatch(/multiline/);
    expect(refusal('(')).toMatch(/Invalid regular expression/);
    expect(refusal('\\Z')).toMatch(/Invalid/);
    expect(refusal('a', 'x')).toMatch(/unknown flags/);
    expect(refusal(42 as never)).toMatch(/must be a string/);
  });

  it('agrees with the JavaScript engine on generated patterns and inputs (property)', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      '.',
      '\\d',
      '\\w',
      '\\s',
      '[ab]',
      '[^a]',
      '\\u0041',
      'é',
      '\\p{L}',
      '[^]',
    );
    const piece = fc
      .tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}', '*?'))
      .map(([a, q]) => a + q);
    const pattern = fc
      .tuple(
        fc.boolean(),
        fc.array(piece, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
      )
      .map(
        ([start, pieces, alt, end]) =>
          `${start ? '^' : ''}${pieces.join(alt ? '|' : '')}${end ? '$' : ''}`,
      );
    const input = fc.string({
      unit: fc.constantFrom('a', 'b', 'A', '1', ' ', '\u00a0', '\n', 'é', '😀', '_'),
      maxLength: 8,
    });
    let agreed = 0;
    let total = 0;
    fc.assert(
      fc.property(
        pattern,
        fc.constantFrom('', 'i', 's'),
        fc.array(input, { minLength: 1, maxLength: 5 }),
        (p, flags, inputs) => {
          const ours = compileUserPattern(p, flags);
          const js = new RegExp(p, `u${flags}`);
          for (const s of inputs) {
            total++;
            if (ours.test(s) === js.test(s)) agreed++;
            else throw new Error(`/${p}/${flags} on ${JSON.stringify(s)}`);
          }
        },
      ),
      { seed: 4242, numRuns: 500 },
    );
    console.log(
      `user patterns agree with V8 on ${agreed}/${total} generated (pattern, input) pairs`,
    );
  });

  it('describes itself for engines that cache by text', () => {
    expect(String(compileUserPattern('^a$', 'iu'))).toBe('/^a$/iu');
    expect(compileUserPattern('a').flags).toBe('u');
  });
});
