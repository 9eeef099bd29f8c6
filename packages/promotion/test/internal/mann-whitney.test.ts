import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mannWhitneyU, normalCdf } from '../../src/internal/mann-whitney.js';

describe('Mann-Whitney U', () => {
  it('matches the textbook asymptotic result with continuity correction', () => {
    // scipy.stats.mannwhitneyu([1,2,3],[4,5,6], method='asymptotic') → U=0, p≈0.0809
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(r.u).toBe(0);
    expect(r.p).toBeCloseTo(0.0809, 3);
    expect(r.z).toBeLessThan(0);
  });

  it('handles ties and identical samples', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).p).toBe(1);
    const tied = mannWhitneyU([1, 2, 2, 3], [2, 3, 3, 4]);
    expect(tied.u).toBe(3); // 0 + 0.5 + 0.5 + 2 (pairs won, ties count half)
    expect(tied.p).toBeGreaterThan(0.1);
    expect(mannWhitneyU([], [1]).p).toBe(1);
  });

  it('detects a clear shift in large samples', () => {
    const base = Array.from({ length: 50 }, (_, i) => 100 + (i % 7));
    const shifted = base.map((x) => x + 10);
    expect(mannWhitneyU(shifted, base).p).toBeLessThan(1e-6);
  });

  it('U(a,b) + U(b,a) = n1·n2 and p is symmetric (property)', () => {
    const sample = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const ab = mannWhitneyU(a, b);
        const ba = mannWhitneyU(b, a);
        expect(ab.u + ba.u).toBeCloseTo(a.length * b.length, 9);
        expect(ab.p).toBeCloseTo(ba.p, 9);
        expect(ab.p).toBeGreaterThanOrEqual(0);
        expect(ab.p).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('normal CDF is accurate', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
  });
});
