/**
 * Passwords, sessions and access tokens, one process, same data:
 * - password hashing: argon2id and scrypt at their default (production) parameters, hash and
 *   verify p50 in ms;
 * - session validate: hot (the instance cache holds it) against the same call with the cache off
 *   (a store read per request: what a plain "look the session up" design costs), on the memory
 *   adapter and on SQLite; the ratio is uncached / cached;
 * - access tokens: our `verify` (pre-checks + jose jwtVerify) against a bare jose `jwtVerify` of
 *   the same token with the same key, EdDSA and ES256; the ratio is ours / bare jose (overhead).
 *
 * Run: `npx tsx --conditions=@plinth/source packages/access/bench/sessions.bench.ts`
 */
import { ManualClock } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Passwords } from '../src/passwords.js';
import { Sessions } from '../src/sessions.js';
import { Tokens, type TokenAlgorithm } from '../src/tokens.js';

export interface SessionsBenchResult {
  readonly passwords: {
    readonly hasher: 'argon2id' | 'scrypt';
    readonly hashP50Ms: number;
    readonly verifyP50Ms: number;
  }[];
  readonly sessions: {
    readonly adapter: 'memory' | 'sqlite';
    readonly cachedP50Us: number;
    readonly uncachedP50Us: number;
    /** uncached / cached */
    readonly ratio: number;
  }[];
  readonly tokens: {
    readonly algorithm: TokenAlgorithm;
    readonly signP50Us: number;
    readonly verifyP50Us: number;
    readonly joseVerifyP50Us: number;
    /** ours / bare jose */
    readonly overhead: number;
  }[];
}

async function p50(n: number, fn: (i: number) => Promise<unknown>, scale = 1000): Promise<number> {
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    lat[i] = (performance.now() - t0) * scale;
  }
  lat.sort();
  return lat[Math.floor(n / 2)] as number;
}

async function benchPasswords(hasher: 'argon2id' | 'scrypt', samples: number) {
  const store = await openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 });
  const pw = await Passwords.open({ store, hasher });
  const hashP50Ms = await p50(samples, (i) => pw.setPassword(`u${i}`, `correct horse ${i}`), 1);
  const verifyP50Ms = await p50(
    samples,
    (i) => pw.verifyPassword(`u${i}`, `correct horse ${i}`),
    1,
  );
  await pw.close();
  await store.close();
  return { hasher, hashP50Ms, verifyP50Ms };
}

async function benchValidate(adapter: 'memory' | 'sqlite', store: Store, samples: number) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const cached = await Sessions.open({ store, clock, cacheTtlMs: 3_600_000 });
  const uncached = await Sessions.open({ store, clock, cacheSize: 0 });
  const ids: string[] = [];
  for (let i = 0; i < 1000; i++) ids.push((await cached.create(`user${i}`)).id);
  for (const id of ids) await cached.validate(id);
  const pick = (i: number) => ids[(i * 7919) % ids.length] as string;
  await p50(5000, (i) => cached.validate(pick(i))); // JIT warm-up
  const cachedP50Us = await p50(samples, (i) => cached.validate(pick(i)));
  const uncachedP50Us = await p50(Math.min(samples, 20_000), (i) => uncached.validate(pick(i)));
  await cached.close();
  await uncached.close();
  return { adapter, cachedP50Us, uncachedP50Us, ratio: uncachedP50Us / cachedP50Us };
}

async function benchTokens(algorithm: TokenAlgorithm, samples: number) {
  const { privateKey, publicKey } =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tokens = await Tokens.open({
    issuer: 'https://auth.plinth.test',
    audience: 'api',
    algorithm,
    keys: [{ privateKey, kid: 'k1' }],
  });
  const signP50Us = await p50(samples, () => tokens.sign({ sub: 'alice', scope: 'read' }));
  const token = await tokens.sign({ sub: 'alice', scope: 'read' });
  await p50(2000, () => tokens.verify(token));
  const verifyP50Us = await p50(samples, () => tokens.verify(token));
  const options = { issuer: 'https://auth.plinth.test', audience: 'api', algorithms: [algorithm] };
  const joseVerifyP50Us = await p50(samples, () => jwtVerify(token, publicKey, options));
  await tokens.close();
  return {
    algorithm,
    signP50Us,
    verifyP50Us,
    joseVerifyP50Us,
    overhead: verifyP50Us / joseVerifyP50Us,
  };
}

export async function benchSessions(
  options: { readonly samples?: number; readonly hashSamples?: number } = {},
): Promise<SessionsBenchResult> {
  const samples = options.samples ?? 50_000;
  const hashSamples = options.hashSamples ?? 10;
  const passwords = [
    await benchPasswords('argon2id', hashSamples),
    await benchPasswords('scrypt', hashSamples),
  ];
  const mem = await openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 });
  const sessions = [await benchValidate('memory', mem, samples)];
  await mem.close();
  const dir = mkdtempSync(join(tmpdir(), 'plinth-sess-bench-'));
  try {
    const sqlite = await openStore({
      adapter: sqliteAdapter({ path: join(dir, 's.sqlite') }),
      purgeIntervalMs: 0,
    });
    sessions.push(await benchValidate('sqlite', sqlite, samples));
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tokenSamples = Math.min(samples, 5000);
  const tokens = [
    await benchTokens('EdDSA', tokenSamples),
    await benchTokens('ES256', tokenSamples),
  ];
  return { passwords, sessions, tokens };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchSessions();
  for (const p of r.passwords) {
    console.log(
      `password ${p.hasher.padEnd(8)} (defaults)  hash p50 ${p.hashP50Ms.toFixed(1)} ms   verify p50 ${p.verifyP50Ms.toFixed(1)} ms`,
    );
  }
  for (const s of r.sessions) {
    console.log(
      `session validate ${s.adapter.padEnd(6)}  cached p50 ${s.cachedP50Us.toFixed(2)} µs   uncached p50 ${s.uncachedP50Us.toFixed(2)} µs   ratio ${s.ratio.toFixed(1)}×`,
    );
  }
  for (const t of r.tokens) {
    console.log(
      `token ${t.algorithm.padEnd(5)}  sign p50 ${t.signP50Us.toFixed(1)} µs   verify p50 ${t.verifyP50Us.toFixed(1)} µs   bare jose verify p50 ${t.joseVerifyP50Us.toFixed(1)} µs   overhead ${t.overhead.toFixed(2)}×`,
    );
  }
}
