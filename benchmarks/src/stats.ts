/** The `q` quantile (0–1) of ascending `sorted` values (nearest rank, clamped to the last). */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
