/**
 * The audit log: batched append throughput with the hash chain on SQLite, against the naive
 * way (one storage put per entry, the chain hash computed the same way) on the same file kind,
 * same records, one process; and inclusion-proof time at 1,000,000 entries from the in-memory
 * tree of complete subtrees, against recomputing the proof from the leaf hashes (O(n)).
 *
 * Run: `npx tsx --conditions=@plinth/source packages/access/bench/audit.bench.ts`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { canonicalJson, seededRandom } from '@plinth/core';
import { memoryAdapter, openStore } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { AuditLog } from '../src/audit-log.js';
import { leafHash, nodeHash, splitPoint, verifyInclusion } from '../src/internal/merkle.js';
import { sha256Hex } from '../src/internal/secrets.js';
import type { AuditRecordInput } from '../src/types.js';

export interface AuditBenchResult {
  /** Entries/s appended with appendMany (calls of 1000, awaited one by one) on SQLite. */
  readonly appendPerSec: number;
  /** The same, per second of this process's CPU time (less sensitive to a loaded machine). */
  readonly appendPerCpuSec: number;
  /** Entries/s a fresh instance loads into its Merkle tree from SQLite on first use. */
  readonly loadPerSec: number;
  /** Entries/s appended with concurrent append() calls (group commit) on SQLite. */
  readonly appendConcurrentPerSec: number;
  /** The naive way: one put per entry (each its own transaction), entries/s. */
  readonly naivePerSec: number;
  /** appendPerSec / naivePerSec. */
  readonly appendRatio: number;
  /** Inclusion proof at `proofTreeSize` entries, µs per proof (p50, p99). */
  readonly proofP50Us: number;
  readonly proofP99Us: number;
  /** Recomputing one proof from the leaf hashes, µs (the O(n) way). */
  readonly naiveProofUs: number;
  readonly proofRatio: number;
  readonly proofTreeSize: number;
  readonly appended: number;
}

function record(i: number, random: () => number): AuditRecordInput {
  return {
    type: i % 5 === 0 ? 'login.failed' : 'authz.denied',
    actor: `user-${Math.floor(random() * 10_000)}`,
    subject: `doc-${i}`,
    outcome: i % 5 === 0 ? 'failure' : 'deny',
    source: '203.0.113.7',
    data: { action: 'read', policy: `p${i % 100}` },
  };
}

/** Naive RFC 6962 audit path from all leaf hashes (what a log without stored subtrees does). */
function naivePath(m: number, leaves: readonly Buffer[], lo: number, hi: number): Buffer[] {
  const mth = (a: number, b: number): Buffer =>
    b - a === 1
      ? (leaves[a] as Buffer)
      : nodeHash(mth(a, a + splitPoint(b - a)), mth(a + splitPoint(b - a), b));
  if (hi - lo <= 1) return [];
  const k = splitPoint(hi - lo);
  return m < lo + k
    ? [...naivePath(m, leaves, lo, lo + k), mth(lo + k, hi)]
    : [...naivePath(m, leaves, lo + k, hi), mth(lo, lo + k)];
}

export async function benchAudit(
  options: {
    readonly entries?: number;
    readonly proofTreeSize?: number;
    readonly proofs?: number;
  } = {},
): Promise<AuditBenchResult> {
  const n = options.entries ?? 200_000;
  const treeSize = options.proofTreeSize ?? 1_000_000;
  const proofs = options.proofs ?? 20_000;
  const random = seededRandom(3);
  const records = Array.from({ length: n }, (_, i) => record(i, random));
  const dir = mkdtempSync(join(tmpdir(), 'plinth-audit-bench-'));
  try {
    // Ours, appendMany in calls of 1000 records, each awaited (one transaction each).
    let store = await openStore({ adapter: sqliteAdapter({ path: join(dir, 'a.sqlite') }) });
    let log = await AuditLog.open({ store, checkpointIntervalMs: 0 });
    await log.appendMany(records.slice(0, 5_000)); // warm-up
    const cpu0 = process.cpuUsage();
    let t0 = performance.now();
    for (let i = 0; i < n; i += 1000) await log.appendMany(records.slice(i, i + 1000));
    const appendPerSec = n / ((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(cpu0);
    const appendPerCpuSec = n / ((cpu.user + cpu.system) / 1e6);
    await log.close();
    // A fresh instance loads the tree from the stored blocks on first use.
    const fresh = await AuditLog.open({ store, checkpointIntervalMs: 0 });
    t0 = performance.now();
    const loaded = await fresh.size();
    const loadPerSec = loaded / ((performance.now() - t0) / 1000);
    await fresh.close();
    await store.close();

    // Ours, concurrent append() calls (what components do), group-committed.
    store = await openStore({ adapter: sqliteAdapter({ path: join(dir, 'b.sqlite') }) });
    log = await AuditLog.open({ store, checkpointIntervalMs: 0 });
    const m = Math.min(n, 50_000);
    t0 = performance.now();
    await Promise.all(records.slice(0, m).map((r) => log.append(r)));
    const appendConcurrentPerSec = m / ((performance.now() - t0) / 1000);
    await log.close();
    await store.close();

    // Naive: one put per entry, each its own commit, same chain hash.
    store = await openStore({ adapter: sqliteAdapter({ path: join(dir, 'c.sqlite') }) });
    await store.ensureCollections({ naive: {} });
    const naive = store.collection('naive');
    const k = Math.min(n, 20_000);
    let prev = '0'.repeat(64);
    t0 = performance.now();
    for (let i = 0; i < k; i++) {
      const body = { ...records[i], seq: i, at: 0, prev };
      const hash = sha256Hex(prev + canonicalJson(body));
      await naive.put(String(i).padStart(15, '0'), { ...body, hash });
      prev = hash;
    }
    const naivePerSec = k / ((performance.now() - t0) / 1000);
    await store.close();

    // Inclusion proofs at treeSize entries (memory store: the proof never touches storage).
    store = await openStore({ adapter: memoryAdapter() });
    log = await AuditLog.open({ store, checkpointIntervalMs: 0, batchMaxEntries: 10_000 });
    for (let done = 0; done < treeSize;) {
      const chunk = Math.min(50_000, treeSize - done);
      await log.appendMany(
        Array.from(
          { length: chunk },
          (_, i) => records[(done + i) % records.length] as AuditRecordInput,
        ),
      );
      done += chunk;
    }
    const root = await log.root(treeSize);
    const lat = new Float64Array(proofs);
    const order = Uint32Array.from({ length: proofs }, () => Math.floor(random() * treeSize));
    for (let i = 0; i < Math.min(2_000, proofs); i++)
      await log.inclusionProof(order[i] as number, treeSize); // warm-up
    for (let i = 0; i < proofs; i++) {
      const seq = order[i] as number;
      const s = performance.now();
      const proof = await log.inclusionProof(seq, treeSize);
      lat[i] = (performance.now() - s) * 1000;
      if (i < 100 && !verifyInclusion(proof.leaf, seq, treeSize, proof.path, root)) {
        throw new Error(`proof of ${seq} does not verify`);
      }
    }
    lat.sort();
    const leaves: Buffer[] = [];
    // The leaf hashes as a log without stored subtrees would have to recompute from.
    for (let i = 0; i < treeSize; i++) leaves.push(leafHash(String(i)));
    const ns = performance.now();
    const samplesNaive = 3;
    for (let i = 0; i < samplesNaive; i++) naivePath(order[i] as number, leaves, 0, treeSize);
    const naiveProofUs = ((performance.now() - ns) * 1000) / samplesNaive;
    await log.close();
    await store.close();
    const proofP50Us = lat[Math.floor(proofs / 2)] as number;
    return {
      appendPerSec,
      appendPerCpuSec,
      loadPerSec,
      appendConcurrentPerSec,
      naivePerSec,
      appendRatio: appendPerSec / naivePerSec,
      proofP50Us,
      proofP99Us: lat[Math.floor(proofs * 0.99)] as number,
      naiveProofUs,
      proofRatio: naiveProofUs / proofP50Us,
      proofTreeSize: treeSize,
      appended: n,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchAudit();
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(
    `audit append (appendMany ×1000, SQLite): ${f(r.appendPerSec)} entries/s wall, ${f(r.appendPerCpuSec)} per CPU-second (target ≥ 100,000)`,
  );
  console.log(`tree load on first use (SQLite): ${f(r.loadPerSec)} entries/s`);
  console.log(
    `audit append (concurrent append(), SQLite): ${f(r.appendConcurrentPerSec)} entries/s`,
  );
  console.log(
    `naive one put per entry: ${f(r.naivePerSec)} entries/s — ratio ${r.appendRatio.toFixed(1)}×`,
  );
  console.log(
    `inclusion proof at ${f(r.proofTreeSize)}: p50 ${r.proofP50Us.toFixed(1)} µs, p99 ${r.proofP99Us.toFixed(1)} µs (target ≤ 1000 µs)`,
  );
  console.log(`naive proof from leaves: ${f(r.naiveProofUs)} µs — ratio ${f(r.proofRatio)}×`);
}
