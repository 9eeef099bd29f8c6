import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { RangeCache, VersionSet } from '../../src/internal/version-set.js';

const num = fc.integer({ min: 0, max: 4 });
const preId = fc.oneof(
  fc.constantFrom('alpha', 'beta', 'rc', 'x-1'),
  fc.integer({ min: 0, max: 3 }).map(String),
);
const prerelease = fc.array(preId, { minLength: 1, maxLength: 2 }).map((p) => p.join('.'));
const version = fc
  .tuple(num, num, num, fc.option(prerelease, { nil: undefined, freq: 3 }))
  .map(([a, b, c, p]) => `${a}.${b}.${c}${p === undefined ? '' : `-${p}`}`);
const partial = fc.oneof(
  fc.tuple(num).map(([a]) => `${a}`),
  fc.tuple(num, num).map(([a, b]) => `${a}.${b}`),
  fc.constantFrom('x', '*', '1.x', '2.*.x', '0.x'),
  version,
);
const comparator = fc.oneof(
  fc
    .tuple(fc.constantFrom('', '=', '<', '<=', '>', '>=', '^', '~', '~>'), partial)
    .map(([op, v]) => `${op}${v}`),
  fc.tuple(partial, partial).map(([a, b]) => `${a} - ${b}`),
);
const set = fc.array(comparator, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(' '));
const range = fc.array(set, { minLength: 1, maxLength: 3 }).map((ss) => ss.join(' || '));

function uniqueVersions(vs: string[]): string[] {
  const seen = new Set<string>();
  return vs.filter((v) => (seen.has(v) ? false : (seen.add(v), true)));
}

describe('VersionSet.maxSatisfying', () => {
  const cache = new RangeCache();

  it('agrees with semver.maxSatisfying on generated versions and ranges', () => {
    fc.assert(
      fc.property(
        fc.array(version, { maxLength: 60 }),
        range,
        fc.boolean(),
        (raw, r, includePrerelease) => {
          const versions = uniqueVersions(raw);
          const parsed = cache.get(r, includePrerelease);
          const expected =
            semver.validRange(r, { includePrerelease }) === null
              ? null
              : semver.maxSatisfying(versions, r, { includePrerelease });
          if (parsed === null) {
            expect(expected).toBeNull();
            return;
          }
          const vs = VersionSet.from(versions.map((v) => ({ version: v, record: v })));
          expect(vs.maxSatisfying(parsed, includePrerelease)?.record ?? null).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('agrees with semver.maxSatisfying over the accepted subset when a filter skips versions', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(version, fc.boolean()), { maxLength: 60 }), range, (raw, r) => {
        const seen = new Set<string>();
        const items = raw.filter(([v]) => (seen.has(v) ? false : (seen.add(v), true)));
        const parsed = cache.get(r, false);
        if (parsed === null) return;
        const vs = VersionSet.from(items.map(([v, ok]) => ({ version: v, record: { v, ok } })));
        const expected = semver.maxSatisfying(
          items.filter(([, ok]) => ok).map(([v]) => v),
          r,
        );
        expect(vs.maxSatisfying(parsed, false, (rec) => rec.ok)?.record.v ?? null).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('stays exact after incremental upserts and removals', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), version), { maxLength: 80 }), range, (ops, r) => {
        const vs = new VersionSet<string>();
        const model = new Set<string>();
        for (const [add, v] of ops) {
          if (add) {
            vs.upsert(v, v);
            model.add(v);
          } else {
            vs.remove(v);
            model.delete(v);
          }
        }
        const parsed = cache.get(r, false);
        if (parsed === null) return;
        expect(vs.size).toBe(model.size);
        expect(vs.maxSatisfying(parsed, false)?.record ?? null).toBe(
          semver.maxSatisfying([...model], r),
        );
        const sorted = vs.entries().map((e) => e.key);
        expect(sorted).toEqual(semver.sort([...model]));
      }),
      { numRuns: 1000 },
    );
  });

  it('handles caret, tilde, x-ranges, hyphen ranges and || on a fixed list', () => {
    const versions = [
      '1.0.0',
      '1.2.3',
      '1.2.4-rc.1',
      '1.3.0',
      '2.0.0-beta.1',
      '2.0.0',
      '2.1.0',
      '3.1.0',
      '3.1.5',
      '3.2.0',
    ];
    const vs = VersionSet.from(versions.map((v) => ({ version: v, record: v })));
    const q = (r: string) => vs.maxSatisfying(cache.get(r, false)!, false)?.record ?? null;
    expect(q('^3.1')).toBe('3.2.0');
    expect(q('~3.1')).toBe('3.1.5');
    expect(q('1.x')).toBe('1.3.0');
    expect(q('1.0.0 - 2.0.0')).toBe('2.0.0');
    expect(q('<2 || >=3.1.1 <3.2')).toBe('3.1.5');
    expect(q('>=1.2.4-rc.0 <1.3.0')).toBe('1.2.4-rc.1');
    expect(q('^2.0.0-beta.0')).toBe('2.1.0');
    expect(q('^4')).toBeNull();
  });
});
