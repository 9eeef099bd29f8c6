/**
 * Tampering with the audit log directly in the SQLite file (better-sqlite3 on the storage
 * table, behind the library's back): the verifier must report every edit, deletion, reordering
 * and insertion, every time.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, canonicalJson } from '@plinth/core';
import { openStore } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit-log.js';
import type { AuditProblem, AuditVerifyReport } from '../src/audit-verify.js';
import { verifyAuditExport } from '../src/audit-verify.js';
import { chainHash } from '../src/internal/audit-entry.js';
import type { AuditEntry, Checkpoint } from '../src/types.js';

const BLOCKS = 'access.audit.blocks';
const HEADS = 'access.audit.heads';
const CHECKPOINTS = 'access.audit.checkpoints';
const TOTAL = 40;
const keys = generateKeyPairSync('ed25519');

interface Row {
  space: string;
  key: string;
  version: number;
  format: number;
  data: string;
}

type Tamper =
  | { op: 'edit'; seq: number; field: 'subject' | 'type' | 'at' | 'data' }
  | { op: 'edit-rehash'; seq: number }
  | { op: 'delete'; seq: number }
  | { op: 'delete-block'; block: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'duplicate'; seq: number; at: number }
  | { op: 'forge'; at: number }
  | { op: 'head'; size: number }
  | { op: 'checkpoint-root'; index: number }
  | { op: 'checkpoint-signature'; index: number };

let dir: string;
let path: string;
let original: Row[];
let entriesBySeq: AuditEntry[];
let checkpointSizes: number[];

function db(): Database.Database {
  return new Database(path);
}

function readRows(d: Database.Database): Row[] {
  return d
    .prepare(
      `SELECT space, key, version, format, data FROM plinth_records WHERE space IN (?, ?, ?) ORDER BY space, key`,
    )
    .all(BLOCKS, HEADS, CHECKPOINTS) as Row[];
}

function restore(): void {
  const d = db();
  d.transaction(() => {
    for (const r of original) {
      d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
        r.data,
        r.space,
        r.key,
      );
    }
    // Rows a tampering deleted come back.
    for (const r of original) {
      d.prepare(
        `INSERT OR IGNORE INTO plinth_records (space, key, version, format, data, expires_at) VALUES (?, ?, ?, ?, ?, NULL)`,
      ).run(r.space, r.key, r.version, r.format, r.data);
    }
  })();
  d.close();
}

/** Applies one tampering to the file; returns what the verifier must report. */
function apply(t: Tamper): (problems: readonly AuditProblem[]) => boolean {
  const d = db();
  const rows = readRows(d).filter((r) => r.space === BLOCKS);
  const blocks = rows.map((r) => ({
    key: r.key,
    doc: JSON.parse(r.data) as { entries: string[] },
  }));
  // Where the entry claiming `seq` is: [block, index] (by content, so earlier tamperings that
  // shifted positions do not matter).
  const where = (seq: number): [number, number] => {
    for (let b = 0; b < blocks.length; b++) {
      const lines = (blocks[b] as { doc: { entries: string[] } }).doc.entries;
      const i = lines.findIndex((l) => (JSON.parse(l) as AuditEntry).seq === seq);
      if (i >= 0) return [b, i];
    }
    throw new Error(`no seq ${seq}`);
  };
  const save = (b: number) => {
    const blk = blocks[b] as { key: string; doc: unknown };
    d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
      JSON.stringify(blk.doc),
      BLOCKS,
      blk.key,
    );
  };
  const lineAt = (seq: number) => {
    const [b, i] = where(seq);
    return (blocks[b] as { doc: { entries: string[] } }).doc.entries[i] as string;
  };
  const setLine = (seq: number, line: string) => {
    const [b, i] = where(seq);
    (blocks[b] as { doc: { entries: string[] } }).doc.entries[i] = line;
    save(b);
  };
  const has = (p: readonly AuditProblem[], kind: string, seq?: number) =>
    p.some((x) => x.kind === kind && (seq === undefined || x.seq === seq));
  const covered = (seq: number) => checkpointSizes.some((s) => s > seq);
  let expectation: (p: readonly AuditProblem[]) => boolean;
  switch (t.op) {
    case 'edit': {
      const e = JSON.parse(lineAt(t.seq)) as Record<string, unknown>;
      if (t.field === 'at') e.at = (e.at as number) + 1;
      else if (t.field === 'type') e.type = 'login.succeeded';
      else if (t.field === 'data') e.data = { ...(e.data as object), injected: true };
      else e.subject = 'mallory';
      setLine(t.seq, canonicalJson(e));
      expectation = (p) => has(p, 'edited', t.seq);
      break;
    }
    case 'edit-rehash': {
      // The attacker knows the algorithm and fixes this entry's hash: the next link breaks.
      const e = JSON.parse(lineAt(t.seq)) as AuditEntry & Record<string, unknown>;
      const forged = { ...e, subject: 'mallory' };
      setLine(t.seq, canonicalJson({ ...forged, hash: chainHash(forged) }));
      expectation = (p) =>
        (t.seq + 1 < TOTAL ? has(p, 'chain-broken', t.seq + 1) : has(p, 'head-mismatch')) &&
        (!covered(t.seq) || has(p, 'checkpoint-root-mismatch'));
      break;
    }
    case 'delete': {
      const [b, i] = where(t.seq);
      (blocks[b] as { doc: { entries: string[] } }).doc.entries.splice(i, 1);
      save(b);
      expectation = (p) => has(p, 'deleted', t.seq);
      break;
    }
    case 'delete-block': {
      const blk = blocks[t.block] as { key: string; doc: { entries: string[] } };
      const first = (JSON.parse(blk.doc.entries[0] as string) as AuditEntry).seq;
      d.prepare(`DELETE FROM plinth_records WHERE space = ? AND key = ?`).run(BLOCKS, blk.key);
      expectation = (p) => has(p, 'deleted', first);
      break;
    }
    case 'swap': {
      const [ba, ia] = where(t.a);
      const [bb, ib] = where(t.b);
      const A = (blocks[ba] as { doc: { entries: string[] } }).doc.entries;
      const B = (blocks[bb] as { doc: { entries: string[] } }).doc.entries;
      const la = A[ia] as string;
      A[ia] = B[ib] as string;
      B[ib] = la;
      save(ba);
      save(bb);
      expectation = (p) =>
        p.some((x) => x.kind === 'reordered' && (x.seq === t.a || x.seq === t.b));
      break;
    }
    case 'duplicate': {
      const line = lineAt(t.seq);
      const [b, i] = where(t.at);
      (blocks[b] as { doc: { entries: string[] } }).doc.entries.splice(i, 0, line);
      save(b);
      expectation = (p) => has(p, 'inserted', t.seq);
      break;
    }
    case 'forge': {
      // A well-formed entry with a correct hash, slipped in before position `at`, claiming the
      // seq of the entry it displaces and linking to the entry before.
      const target = JSON.parse(lineAt(t.at)) as AuditEntry;
      const body = {
        type: 'login.succeeded',
        subject: 'mallory',
        seq: target.seq,
        at: target.at,
        prev: target.prev,
      };
      const [b, i] = where(t.at);
      (blocks[b] as { doc: { entries: string[] } }).doc.entries.splice(
        i,
        0,
        canonicalJson({ ...body, hash: chainHash(body) }),
      );
      save(b);
      expectation = (p) => has(p, 'inserted', target.seq) || has(p, 'chain-broken', target.seq);
      break;
    }
    case 'head': {
      const head = readRows(d).find((r) => r.space === HEADS) as Row;
      const doc = JSON.parse(head.data) as { size: number; hash: string };
      d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
        JSON.stringify({ ...doc, size: t.size === doc.size ? doc.size + 1 : t.size }),
        HEADS,
        head.key,
      );
      expectation = (p) => has(p, 'head-mismatch');
      break;
    }
    case 'checkpoint-root':
    case 'checkpoint-signature': {
      const cps = readRows(d).filter((r) => r.space === CHECKPOINTS);
      const row = cps[t.index % cps.length] as Row;
      const cp = JSON.parse(row.data) as Checkpoint & Record<string, unknown>;
      const changed =
        t.op === 'checkpoint-root'
          ? { ...cp, root: cp.root.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }
          : {
              ...cp,
              signature: Buffer.from(
                Buffer.from(cp.signature, 'base64').map((x, i) => (i === 0 ? x ^ 1 : x)),
              ).toString('base64'),
            };
      d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
        JSON.stringify(changed),
        CHECKPOINTS,
        row.key,
      );
      expectation = (p) =>
        p.some((x) => x.kind === 'bad-signature' && x.size === cp.size) &&
        (t.op === 'checkpoint-signature' || has(p, 'checkpoint-root-mismatch'));
      break;
    }
  }
  d.close();
  return expectation;
}

async function verifyFile(): Promise<AuditVerifyReport> {
  const store = await openStore({ adapter: sqliteAdapter({ path }) });
  const log = await AuditLog.open({ store, signingKey: keys.privateKey, checkpointIntervalMs: 0 });
  try {
    return await log.verify();
  } finally {
    await log.close();
    await store.close();
  }
}

const seqArb = fc.integer({ min: 0, max: TOTAL - 1 });
const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({
    op: fc.constant('edit' as const),
    seq: seqArb,
    field: fc.constantFrom('subject' as const, 'type' as const, 'at' as const, 'data' as const),
  }),
  fc.record({ op: fc.constant('edit-rehash' as const), seq: seqArb }),
  fc.record({ op: fc.constant('delete' as const), seq: seqArb }),
  fc.record({ op: fc.constant('delete-block' as const), block: fc.integer({ min: 0, max: 5 }) }),
  fc
    .tuple(seqArb, seqArb)
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({ op: 'swap' as const, a: Math.min(a, b), b: Math.max(a, b) })),
  fc.record({ op: fc.constant('duplicate' as const), seq: seqArb, at: seqArb }),
  fc.record({ op: fc.constant('forge' as const), at: seqArb }),
  fc.record({ op: fc.constant('head' as const), size: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ op: fc.constant('checkpoint-root' as const), index: fc.nat() }),
  fc.record({ op: fc.constant('checkpoint-signature' as const), index: fc.nat() }),
);

describe('audit log tampering in the SQLite file', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-audit-'));
    path = join(dir, 'audit.sqlite');
    const clock = new ManualClock(1_750_000_000_000);
    const store = await openStore({ adapter: sqliteAdapter({ path }), clock });
    const log = await AuditLog.open({
      store,
      clock,
      signingKey: keys.privateKey,
      checkpointEvery: 12,
      checkpointIntervalMs: 0,
      batchMaxEntries: 7,
    });
    // Blocks of 7, 7, 7, 7, 7, 5 entries; a checkpoint after each commit 12 or more past the last
    // one: at 14, 28 and 40.
    for (let i = 0; i < TOTAL; i++) {
      clock.advance(1000);
      void log.append({
        type: i % 3 === 0 ? 'login.failed' : 'authz.denied',
        subject: `user${i}`,
        outcome: 'failure',
        data: { i, tags: ['a', 'b'] },
      });
      if (i % 7 === 6) await log.flush(); // one commit (one block) per 7 appends
    }
    await log.flush();
    await log.checkpoint();
    entriesBySeq = await log.entries({ limit: 1000 });
    checkpointSizes = (await log.checkpoints()).map((c) => c.size);
    await log.close();
    await store.close();
    const d = db();
    original = readRows(d);
    d.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('the untouched file verifies, with checkpoints covering the whole log', async () => {
    expect(entriesBySeq.map((e) => e.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(checkpointSizes).toEqual([14, 28, 40]);
    expect(original.filter((r) => r.space === BLOCKS)).toHaveLength(6);
    const report = await verifyFile();
    expect(report).toMatchObject({ ok: true, size: TOTAL, coveredSize: TOTAL, problems: [] });
  });

  it.each<[string, Tamper, string, number | undefined]>([
    ['an edited field', { op: 'edit', seq: 9, field: 'subject' }, 'edited', 9],
    ['an edited timestamp', { op: 'edit', seq: 0, field: 'at' }, 'edited', 0],
    ['a deleted entry', { op: 'delete', seq: 20 }, 'deleted', 20],
    ['a deleted block', { op: 'delete-block', block: 2 }, 'deleted', 14],
    ['two swapped entries', { op: 'swap', a: 3, b: 30 }, 'reordered', 3],
    ['an inserted copy', { op: 'duplicate', seq: 5, at: 11 }, 'inserted', 5],
    ['a rewritten head', { op: 'head', size: 39 }, 'head-mismatch', undefined],
  ])('reports %s', async (_name, tamper, kind, seq) => {
    const expected = apply(tamper);
    try {
      const report = await verifyFile();
      expect(report.ok).toBe(false);
      expect(expected(report.problems)).toBe(true);
      expect(
        report.problems.some((p) => p.kind === kind && (seq === undefined || p.seq === seq)),
      ).toBe(true);
    } finally {
      restore();
    }
    expect((await verifyFile()).ok).toBe(true);
  });

  it('reports every random tampering, every time (property)', async () => {
    await fc.assert(
      fc.asyncProperty(tamperArb, async (tamper) => {
        const expected = apply(tamper);
        try {
          const report = await verifyFile();
          expect(report.ok, JSON.stringify(tamper)).toBe(false);
          expect(
            expected(report.problems),
            JSON.stringify({ tamper, problems: report.problems }),
          ).toBe(true);
        } finally {
          restore();
        }
      }),
      { numRuns: 60 },
    );
    expect((await verifyFile()).ok).toBe(true);
  });

  it('reports several tamperings at once, each with its seq', async () => {
    apply({ op: 'edit', seq: 2, field: 'data' });
    apply({ op: 'delete', seq: 17 });
    apply({ op: 'swap', a: 25, b: 33 });
    try {
      const report = await verifyFile();
      const kinds = report.problems.map((p) => `${p.kind}:${p.seq ?? ''}`);
      expect(kinds).toContain('edited:2');
      expect(kinds).toContain('deleted:17');
      expect(kinds.some((k) => k === 'reordered:25' || k === 'reordered:33')).toBe(true);
      expect(report.problems.some((p) => p.kind === 'checkpoint-root-mismatch')).toBe(true);
    } finally {
      restore();
    }
  });

  it('a cut-off tail with a rewritten head is caught by a checkpoint kept elsewhere (witness), and only by it', async () => {
    // The documented limit: cut the tail after the newest stored checkpoint AND rewrite the
    // head, and delete that checkpoint too. Stored data alone then looks like a shorter,
    // consistent log; a checkpoint someone else kept proves it was longer.
    const exp0 = await (async () => {
      const store = await openStore({ adapter: sqliteAdapter({ path }) });
      const log = await AuditLog.open({
        store,
        signingKey: keys.privateKey,
        checkpointIntervalMs: 0,
      });
      const e = await log.export();
      await log.close();
      await store.close();
      return e;
    })();
    const witness = exp0.checkpoints[exp0.checkpoints.length - 1] as Checkpoint;
    expect(witness.size).toBe(TOTAL);
    const d = db();
    const lastBlock = readRows(d)
      .filter((r) => r.space === BLOCKS)
      .pop() as Row;
    const head = readRows(d).find((r) => r.space === HEADS) as Row;
    d.prepare(`DELETE FROM plinth_records WHERE space = ? AND key = ?`).run(BLOCKS, lastBlock.key);
    d.prepare(`DELETE FROM plinth_records WHERE space = ? AND key LIKE ?`).run(
      CHECKPOINTS,
      `%/${String(TOTAL).padStart(15, '0')}`,
    );
    const kept = entriesBySeq[34] as AuditEntry;
    d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
      JSON.stringify({ ...(JSON.parse(head.data) as object), size: 35, hash: kept.hash }),
      HEADS,
      head.key,
    );
    d.close();
    try {
      const alone = await verifyFile();
      expect(alone.ok).toBe(true); // undetectable from the stored data alone
      expect(alone.size).toBe(35);
      const store = await openStore({ adapter: sqliteAdapter({ path }) });
      const log = await AuditLog.open({
        store,
        signingKey: keys.privateKey,
        checkpointIntervalMs: 0,
      });
      const withWitness = await log.verify({ checkpoints: [witness] });
      const tampered = await log.export();
      await log.close();
      await store.close();
      expect(withWitness.ok).toBe(false);
      expect(withWitness.problems.map((p) => p.kind)).toEqual(['truncated']);
      // The same offline, from the export of the cut log and the witness's copy.
      const offline = verifyAuditExport(tampered, {
        publicKeys: { [witness.keyId]: keys.publicKey },
        checkpoints: [witness],
      });
      expect(offline.problems.map((p) => p.kind)).toEqual(['truncated']);
    } finally {
      restore();
    }
  });

  it('a stored entry that is not JSON is reported as malformed; reads and appends refuse it with a typed error', async () => {
    const d = db();
    const first = readRows(d).find((r) => r.space === BLOCKS) as Row;
    const doc = JSON.parse(first.data) as { entries: unknown[] };
    doc.entries[3] = '{"seq": 3, broken';
    doc.entries[4] = 42;
    d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
      JSON.stringify(doc),
      BLOCKS,
      first.key,
    );
    d.close();
    const store = await openStore({ adapter: sqliteAdapter({ path }) });
    const log = await AuditLog.open({
      store,
      signingKey: keys.privateKey,
      checkpointIntervalMs: 0,
    });
    try {
      const report = await log.verify();
      expect(report.problems.filter((p) => p.kind === 'malformed').map((p) => p.position)).toEqual([
        3, 4,
      ]);
      expect(report.problems.some((p) => p.kind === 'checkpoint-root-mismatch')).toBe(true);
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: unknown) => (e as { code?: string }).code ?? 'raw',
        );
      expect(await code(log.entries())).toBe('E_STORAGE');
      expect(await code(log.append({ type: 'login.failed' }))).toBe('E_STORAGE');
    } finally {
      await log.close();
      await store.close();
      restore();
    }
  });

  it('a fresh instance refuses to build on blocks that do not link up (swapped block entries)', async () => {
    const d = db();
    const [b0, b1] = readRows(d).filter((r) => r.space === BLOCKS) as [Row, Row];
    const put = (key: string, data: string) =>
      d
        .prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`)
        .run(data, BLOCKS, key);
    // Swap the entries only (both blocks hold 7), keeping each block's own first/count.
    const [d0, d1] = [JSON.parse(b0.data), JSON.parse(b1.data)] as { entries: string[] }[];
    put(b0.key, JSON.stringify({ ...d0, entries: d1!.entries }));
    put(b1.key, JSON.stringify({ ...d1, entries: d0!.entries }));
    d.close();
    const store = await openStore({ adapter: sqliteAdapter({ path }) });
    const log = await AuditLog.open({
      store,
      signingKey: keys.privateKey,
      checkpointIntervalMs: 0,
    });
    try {
      const e = await log.append({ type: 'login.failed' }).then(
        () => undefined,
        (x: unknown) => x as { code: string; details: { reason: string } },
      );
      expect([e?.code, e?.details.reason]).toEqual(['E_CONFLICT', 'chain-broken']);
      expect(
        await log.checkpoint().then(
          () => 'signed',
          () => 'refused',
        ),
      ).toBe('refused');
      const report = await log.verify();
      expect(report.problems.some((p) => p.kind === 'reordered')).toBe(true);
    } finally {
      await log.close();
      await store.close();
      restore();
    }
  });

  it('an instance that saw more entries than the stored head refuses to append on a rewound log', async () => {
    const store = await openStore({ adapter: sqliteAdapter({ path }) });
    const log = await AuditLog.open({
      store,
      signingKey: keys.privateKey,
      checkpointIntervalMs: 0,
    });
    expect(await log.size()).toBe(TOTAL);
    const d = db();
    const head = readRows(d).find((r) => r.space === HEADS) as Row;
    d.prepare(`UPDATE plinth_records SET data = ? WHERE space = ? AND key = ?`).run(
      JSON.stringify({ size: 35, hash: (entriesBySeq[34] as AuditEntry).hash }),
      HEADS,
      head.key,
    );
    d.close();
    try {
      const e = await log.append({ type: 'login.failed' }).then(
        () => undefined,
        (x: unknown) => x as { code: string; details: { reason: string } },
      );
      expect(e?.code).toBe('E_CONFLICT');
      expect(e?.details.reason).toBe('head-rewound');
    } finally {
      await log.close();
      await store.close();
      restore();
    }
  });
});
