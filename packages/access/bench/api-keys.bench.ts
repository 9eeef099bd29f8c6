/**
 * API key verification: ours (offline checksum + SHA-256 + L1-cached lookup) against the common
 * bcrypt-per-request baseline (bcryptjs `compare` of the presented secret against a stored bcrypt
 * hash, cost 10), one process, the same 1,000 keys in the same random order.
 *
 * Run: `npx tsx --conditions=@plinth/source packages/access/bench/api-keys.bench.ts`
 * (needs `bcryptjs` resolvable for the baseline; without it only our figures are printed).
 */
import { performance } from 'node:perf_hooks';
import { ManualClock, seededRandom } from '@plinth/core';
import { memoryAdapter, openStore } from '@plinth/storage';
import { ApiKeys } from '../src/api-keys.js';

export interface ApiKeyBenchResult {
  /** Hot verify (every key cached), per-call latency percentiles in µs. */
  readonly p50Us: number;
  readonly p99Us: number;
  /** Back-to-back verifies per second (awaited one by one). */
  readonly opsPerSec: number;
  /** Hot verify with a pepper (HMAC-SHA-256 instead of SHA-256), p50 in µs. */
  readonly pepperP50Us: number;
  /** A cold verify (cache miss, memory store read), p50 in µs. */
  readonly coldP50Us: number;
  /** bcryptjs compare (cost 10) per request, p50 in µs; undefined without bcryptjs. */
  readonly bcryptP50Us: number | undefined;
  /** bcrypt p50 / our hot p50. */
  readonly ratio: number | undefined;
  readonly samples: number;
}

interface Bcrypt {
  hashSync(s: string, rounds: number): string;
  compareSync(s: string, hash: string): boolean;
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Loads bcryptjs from wherever it resolves (`PLINTH_BCRYPTJS` may point at the module). */
async function loadBcrypt(): Promise<Bcrypt | undefined> {
  const where = process.env.PLINTH_BCRYPTJS ?? 'bcryptjs';
  try {
    const m = (await import(where)) as { default?: Bcrypt } & Bcrypt;
    return m.default ?? m;
  } catch {
    return undefined;
  }
}

export async function benchApiKeys(
  options: {
    readonly keys?: number;
    readonly samples?: number;
    readonly bcryptSamples?: number;
  } = {},
): Promise<ApiKeyBenchResult> {
  const n = options.keys ?? 1_000;
  const samples = options.samples ?? 200_000;
  const store = await openStore({ adapter: memoryAdapter() });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  // A long flush interval: counters stay in memory during the run, as between two flushes.
  const keys = await ApiKeys.open({ store, clock, flushIntervalMs: 3_600_000 });
  const issued: string[] = [];
  for (let i = 0; i < n; i++)
    issued.push((await keys.create(`svc-${i}`, { scopes: ['jobs:run'] })).key);
  const random = seededRandom(7);
  const order = Uint32Array.from({ length: 65_536 }, () => Math.floor(random() * n));

  // Cold: fresh instance, every first verify misses the cache.
  const cold = await ApiKeys.open({ store, clock, flushIntervalMs: 3_600_000 });
  const coldLat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await cold.verify(issued[i]);
    coldLat[i] = (performance.now() - t0) * 1000;
  }
  await cold.close();

  for (const k of issued) await keys.verify(k); // warm the cache
  for (let i = 0; i < 50_000; i++) await keys.verify(issued[order[i & 65_535] as number]); // JIT warm-up
  const lat = new Float64Array(samples);
  const tAll = performance.now();
  for (let i = 0; i < samples; i++) {
    const k = issued[order[i & 65_535] as number];
    const t0 = performance.now();
    await keys.verify(k);
    lat[i] = (performance.now() - t0) * 1000;
  }
  const totalMs = performance.now() - tAll;
  lat.sort();
  coldLat.sort();

  const peppered = await ApiKeys.open({
    store,
    clock,
    flushIntervalMs: 3_600_000,
    pepper: 'bench pepper of at least 16 bytes',
  });
  const pk: string[] = [];
  for (let i = 0; i < n; i++) pk.push((await peppered.create(`svc-${i}`)).key);
  for (let i = 0; i < 50_000; i++) await peppered.verify(pk[order[i & 65_535] as number]);
  const plat = new Float64Array(Math.min(samples, 100_000));
  for (let i = 0; i < plat.length; i++) {
    const k = pk[order[i & 65_535] as number];
    const t0 = performance.now();
    await peppered.verify(k);
    plat[i] = (performance.now() - t0) * 1000;
  }
  plat.sort();
  await peppered.close();

  let bcryptP50Us: number | undefined;
  const bcrypt = await loadBcrypt();
  if (bcrypt !== undefined) {
    const m = Math.min(n, 50);
    const secrets = issued.slice(0, m).map((k) => k.slice(-36, -6));
    const hashes = secrets.map((s) => bcrypt.hashSync(s, 10));
    const bs = options.bcryptSamples ?? 100;
    const bl = new Float64Array(bs);
    for (let i = 0; i < bs; i++) {
      const j = i % m;
      const t0 = performance.now();
      if (!bcrypt.compareSync(secrets[j] as string, hashes[j] as string))
        throw new Error('bcrypt baseline mismatch');
      bl[i] = (performance.now() - t0) * 1000;
    }
    bl.sort();
    bcryptP50Us = percentile(bl, 0.5);
  }
  await keys.close();
  await store.close();
  const p50Us = percentile(lat, 0.5);
  return {
    p50Us,
    p99Us: percentile(lat, 0.99),
    pepperP50Us: percentile(plat, 0.5),
    opsPerSec: (samples / totalMs) * 1000,
    coldP50Us: percentile(coldLat, 0.5),
    bcryptP50Us,
    ratio: bcryptP50Us === undefined ? undefined : bcryptP50Us / p50Us,
    samples,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchApiKeys();
  const line = (name: string, v: number | undefined, unit: string) =>
    `${name.padEnd(44)} ${v === undefined ? 'n/a (bcryptjs not installed)' : `${v.toFixed(2)} ${unit}`}`;
  console.log(line('verify hot p50 (target ≤ 5 µs)', r.p50Us, 'µs'));
  console.log(line('verify hot p99', r.p99Us, 'µs'));
  console.log(line('verify hot throughput (sequential awaits)', r.opsPerSec, 'ops/s'));
  console.log(line('verify hot p50 with pepper (HMAC-SHA-256)', r.pepperP50Us, 'µs'));
  console.log(line('verify cold p50 (cache miss, memory store)', r.coldP50Us, 'µs'));
  console.log(line('bcryptjs compare per request p50 (cost 10)', r.bcryptP50Us, 'µs'));
  console.log(line('ratio bcrypt / ours', r.ratio, '×'));
}
