import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  isRange,
  parseRange,
  parseVersion,
  satisfies,
} from '../../src/internal/semver.js';

describe('semver matcher', () => {
  it.each([
    ['3.1.0', '^3', true],
    ['4.0.0', '^3', false],
    ['3.0.0-rc.1', '^3', false],
    ['3.0.0-rc.2', '^3.0.0-rc.1', true],
    ['0.2.5', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '~1', true],
    ['1.2.7', '1.2.x', true],
    ['1.3.0', '1.2.*', false],
    ['9.9.9', '*', true],
    ['1.5.0', '>=1.2.0 <2', true],
    ['2.0.0', '>=1.2.0 <2', false],
    ['1.3.0', '1.2 - 1.4', true],
    ['1.5.0', '1.2 - 1.4', false],
    ['5.0.0', '^3 || ^5', true],
    ['4.1.0', '^3 || ^5', false],
    ['1.2.3', '=1.2.3', true],
    ['1.2.3', 'v1.2.3', true],
    ['1.2.4', '1.2.3', false],
    ['2.0.0', '>1', true],
    ['1.9.9', '>1', false],
    ['1.9.9', '<=1', true],
    ['git:4f2a9c1', 'git:4f2a9c1', true],
    ['git:4f2a9c1', '^1', false],
  ])('%s satisfies %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('orders prereleases below releases and numerically', () => {
    const order = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    const parsed = order.map((v) => parseVersion(v)!);
    for (let i = 1; i < parsed.length; i++)
      expect(compareVersions(parsed[i - 1]!, parsed[i]!)).toBe(-1);
    expect(isRange('not a range at all!')).toBe(false);
    expect(parseRange('^1.2.3')).toBeDefined();
  });

  const version = fc.tuple(fc.nat(6), fc.nat(6), fc.nat(6));
  const str = ([a, b, c]: [number, number, number]) => `${a}.${b}.${c}`;
  const cmp = (x: number[], y: number[]) =>
    Math.sign(x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!);

  it('caret and tilde agree with their definitions (property)', () => {
    fc.assert(
      fc.property(version, version, (v, base) => {
        const [M, m, p] = base;
        const ge = cmp(v, base) >= 0;
        const caretHi = M > 0 ? [M + 1, 0, 0] : m > 0 ? [0, m + 1, 0] : [0, 0, p + 1];
        expect(satisfies(str(v), `^${str(base)}`)).toBe(ge && cmp(v, caretHi) < 0);
        expect(satisfies(str(v), `~${str(base)}`)).toBe(ge && cmp(v, [M, m + 1, 0]) < 0);
        expect(satisfies(str(v), `${M}.${m}.x`)).toBe(v[0] === M && v[1] === m);
        expect(satisfies(str(v), `>=${str(base)}`)).toBe(ge);
        expect(satisfies(str(v), `<${str(base)}`)).toBe(!ge);
        expect(satisfies(str(v), str(base))).toBe(cmp(v, base) === 0);
      }),
      { numRuns: 500 },
    );
  });

  it('compareVersions is a total order consistent with equality (property)', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const [x, y, z] = [a, b, c].map((t) => parseVersion(str(t))!);
        expect(compareVersions(x!, y!) + compareVersions(y!, x!)).toBe(0);
        if (compareVersions(x!, y!) <= 0 && compareVersions(y!, z!) <= 0)
          expect(compareVersions(x!, z!)).toBeLessThanOrEqual(0);
        expect(compareVersions(x!, y!)).toBe(cmp(a, b));
      }),
    );
  });
});
