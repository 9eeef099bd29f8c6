import type { ScanCheck } from '../adapter.js';

/**
 * Whether a scan a transaction depended on still returns what it saw: the same keys, in the
 * same order, at the same versions. Every adapter re-runs the scan at commit and asks this.
 */
export function scanUnchanged(
  current: ReadonlyArray<readonly [key: string, version: number]>,
  seen: ScanCheck['seen'],
): boolean {
  if (current.length !== seen.length) return false;
  for (let i = 0; i < current.length; i++) {
    const c = current[i] as readonly [string, number];
    const s = seen[i] as readonly [string, number];
    if (c[0] !== s[0] || c[1] !== s[1]) return false;
  }
  return true;
}
