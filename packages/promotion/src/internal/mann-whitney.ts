/**
 * Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples, with the normal
 * approximation, tie correction and continuity correction — what Kayenta's judge uses to
 * classify a canary metric against its baseline.
 */
export interface MannWhitneyResult {
  /** U statistic of the first sample. */
  readonly u: number;
  readonly z: number;
  /** Two-sided p-value. */
  readonly p: number;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf approximation, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, p: 1 };
  const all = [
    ...a.map((value) => ({ value, first: true })),
    ...b.map((value) => ({ value, first: false })),
  ];
  all.sort((x, y) => x.value - y.value);
  let rankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (
      j + 1 < all.length &&
      (all[j + 1] as { value: number }).value === (all[i] as { value: number }).value
    )
      j++;
    const rank = (i + j + 2) / 2; // average of ranks i+1..j+1
    const t = j - i + 1;
    if (t > 1) tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if ((all[k] as { first: boolean }).first) rankSum += rank;
    i = j + 1;
  }
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 };
  const diff = u - mean;
  const z =
    ((Math.abs(diff) - 0.5 > 0 ? Math.abs(diff) - 0.5 : 0) / Math.sqrt(variance)) * Math.sign(diff);
  const p = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { u, z, p };
}
