/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every machine. For reproducible traces, samples and jitter in tests and benchmarks — never for
 * anything secret (use `node:crypto` for that). Returns numbers in [0, 1), like `Math.random`.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
