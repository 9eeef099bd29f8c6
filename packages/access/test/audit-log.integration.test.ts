/**
 * The audit log on a real PostgreSQL: two instances appending concurrently stay one chain, and
 * tampering with the storage table behind the library's back is reported by the verifier.
 * Each run creates its own database and drops it afterwards.
 */
import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit-log.js';
import type { AuditProblem } from '../src/audit-verify.js';
import { chainHash } from '../src/internal/audit-entry.js';
import { verifyInclusion } from '../src/internal/merkle.js';
import type { AuditEntry } from '../src/types.js';
import { createScratchDatabase, type ScratchDatabase } from './helpers/postgres.js';

const keys = generateKeyPairSync('ed25519');

describeWithService('PLINTH_PG_URL', 'AuditLog on PostgreSQL', (url) => {
  let db: ScratchDatabase;
  let dbUrl: string;
  let client: pg.Pool;
  const stores: Store[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase(url, 'plinth_audit');
    dbUrl = db.url;
    client = new pg.Pool({ connectionString: dbUrl, max: 2 });
    client.on('error', () => {});
  });
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => {});
    await client?.end();
    await db.drop();
  });

  const open = async (
    schema: string,
    options: Partial<Parameters<typeof AuditLog.open>[0]> = {},
  ) => {
    const store = await openStore({
      adapter: postgresAdapter({ url: dbUrl, schema, poolSize: 4 }),
    });
    stores.push(store);
    return AuditLog.open({
      store,
      signingKey: keys.privateKey,
      checkpointIntervalMs: 0,
      ...options,
    });
  };

  describe('two instances appending at once', () => {
    it('make one chain with no gap and no fork; proofs from one instance verify entries of the other', async () => {
      const a = await open('two', { checkpointEvery: 100 });
      const b = await open('two', { checkpointEvery: 100 });
      const rounds = 12;
      const per = 25;
      const results: AuditEntry[] = [];
      for (let r = 0; r < rounds; r++) {
        const batch = await Promise.all([
          ...Array.from({ length: per }, (_, i) =>
            a.append({ type: 'login.failed', actor: 'a', data: { r, i } }),
          ),
          ...Array.from({ length: per }, (_, i) =>
            b.append({ type: 'login.failed', actor: 'b', data: { r, i } }),
          ),
        ]);
        results.push(...batch);
      }
      const total = rounds * per * 2;
      const seqs = results.map((e) => e.seq).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(await a.size()).toBe(total);
      expect(await b.size()).toBe(total);
      const stored = [];
      for (let from = 0; from < total; from += 1000)
        stored.push(...(await a.entries({ from, limit: 1000 })));
      expect(stored).toHaveLength(total);
      for (let i = 1; i < total; i++) expect(stored[i]?.prev).toBe(stored[i - 1]?.hash);
      // Both instances appended into the same chain (interleaved by commit).
      expect(new Set(stored.map((e) => e.actor))).toEqual(new Set(['a', 'b']));
      const cp = await a.checkpoint();
      expect(cp.size).toBe(total);
      expect(await b.root(total)).toBe(cp.root);
      const fromA = results.find((e) => e.actor === 'a') as AuditEntry;
      const proof = await b.inclusionProof(fromA.seq, cp.size);
      expect(verifyInclusion(proof.leaf, fromA.seq, cp.size, proof.path, cp.root)).toBe(true);
      const report = await b.verify();
      expect(report.ok, JSON.stringify(report.problems.slice(0, 5))).toBe(true);
      expect(report.coveredSize).toBe(total);
      await a.close();
      await b.close();
    });
  });

  describe('tampering with the records table', () => {
    const schema = 'tamper';
    let log: AuditLog;
    let original: Array<{
      space: string;
      key: string;
      doc: unknown;
      version: string;
      format: number;
    }>;
    const table = `"${schema}".records`;
    const BLOCKS = 'access.audit.blocks';

    beforeAll(async () => {
      log = await open(schema, { checkpointEvery: 8, batchMaxEntries: 5 });
      for (let i = 0; i < 30; i++) {
        void log.append({ type: 'authz.denied', subject: `u${i}`, data: { i } });
        if (i % 5 === 4) await log.flush(); // one commit per 5 appends: checkpoints at 10, 20, 30
      }
      await log.checkpoint();
      const r = await client.query(
        `SELECT space, key, doc, version, format FROM ${table} WHERE space LIKE 'access.audit.%'`,
      );
      original = r.rows as typeof original;
    });

    const restore = async () => {
      await client.query(`DELETE FROM ${table} WHERE space LIKE 'access.audit.%'`);
      for (const row of original) {
        await client.query(
          `INSERT INTO ${table} (space, key, version, format, doc) VALUES ($1, $2, $3, $4, $5::jsonb)`,
          [row.space, row.key, row.version, row.format, JSON.stringify(row.doc)],
        );
      }
    };

    const blocks = async () =>
      (await client.query(`SELECT key, doc FROM ${table} WHERE space = $1 ORDER BY key`, [BLOCKS]))
        .rows as Array<{ key: string; doc: { entries: string[] } }>;
    const save = (key: string, doc: unknown) =>
      client.query(`UPDATE ${table} SET doc = $1::jsonb WHERE space = $2 AND key = $3`, [
        JSON.stringify(doc),
        BLOCKS,
        key,
      ]);
    const find = (bs: Array<{ doc: { entries: string[] } }>, seq: number): [number, number] => {
      for (let b = 0; b < bs.length; b++) {
        const i = (bs[b] as { doc: { entries: string[] } }).doc.entries.findIndex(
          (l) => (JSON.parse(l) as AuditEntry).seq === seq,
        );
        if (i >= 0) return [b, i];
      }
      throw new Error(`no seq ${seq}`);
    };

    type Op = 'edit' | 'rehash' | 'delete' | 'swap' | 'insert';
    const tamper = async (
      op: Op,
      s: number,
      t: number,
    ): Promise<(p: readonly AuditProblem[]) => boolean> => {
      const bs = await blocks();
      const [b, i] = find(bs, s);
      const blk = bs[b] as { key: string; doc: { entries: string[] } };
      const has = (p: readonly AuditProblem[], kind: string, seq: number) =>
        p.some((x) => x.kind === kind && x.seq === seq);
      switch (op) {
        case 'edit': {
          const e = JSON.parse(blk.doc.entries[i] as string) as Record<string, unknown>;
          blk.doc.entries[i] = canonicalJson({ ...e, subject: 'mallory' });
          await save(blk.key, blk.doc);
          return (p) => has(p, 'edited', s);
        }
        case 'rehash': {
          const e = JSON.parse(blk.doc.entries[i] as string) as AuditEntry;
          const forged = { ...e, outcome: 'success' as const };
          blk.doc.entries[i] = canonicalJson({ ...forged, hash: chainHash(forged) });
          await save(blk.key, blk.doc);
          return (p) =>
            (s < 29 ? has(p, 'chain-broken', s + 1) : true) &&
            p.some((x) => x.kind === 'checkpoint-root-mismatch');
        }
        case 'delete':
          blk.doc.entries.splice(i, 1);
          await save(blk.key, blk.doc);
          return (p) => has(p, 'deleted', s);
        case 'swap': {
          const [b2, i2] = find(bs, t);
          const other = bs[b2] as { key: string; doc: { entries: string[] } };
          const x = blk.doc.entries[i] as string;
          blk.doc.entries[i] = other.doc.entries[i2] as string;
          other.doc.entries[i2] = x;
          await save(blk.key, blk.doc);
          if (other.key !== blk.key) await save(other.key, other.doc);
          return (p) => p.some((x2) => x2.kind === 'reordered' && (x2.seq === s || x2.seq === t));
        }
        case 'insert': {
          blk.doc.entries.splice(i, 0, blk.doc.entries[i] as string);
          await save(blk.key, blk.doc);
          return (p) => has(p, 'inserted', s);
        }
      }
    };

    it('the untouched table verifies', async () => {
      const report = await log.verify();
      expect(report).toMatchObject({ ok: true, size: 30, coveredSize: 30 });
    });

    it('reports random edits, deletions, reorderings and insertions, every time (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom<Op>('edit', 'rehash', 'delete', 'swap', 'insert'),
          fc.integer({ min: 0, max: 29 }),
          fc.integer({ min: 0, max: 29 }),
          async (op, s, t) => {
            fc.pre(op !== 'swap' || s !== t);
            const expected = await tamper(op, s, t);
            try {
              const report = await log.verify();
              expect(report.ok).toBe(false);
              expect(
                expected(report.problems),
                JSON.stringify({ op, s, t, p: report.problems }),
              ).toBe(true);
            } finally {
              await restore();
            }
          },
        ),
        { numRuns: 25 },
      );
      expect((await log.verify()).ok).toBe(true);
    });

    it('reports a rewritten head and a forged checkpoint signature', async () => {
      await client.query(
        `UPDATE ${table} SET doc = jsonb_set(doc, '{size}', '29') WHERE space = 'access.audit.heads'`,
      );
      await client.query(
        `UPDATE ${table} SET doc = jsonb_set(doc, '{signature}', to_jsonb($1::text)) WHERE space = 'access.audit.checkpoints' AND key LIKE '%/000000000000010'`,
        [Buffer.alloc(64, 7).toString('base64')],
      );
      try {
        const kinds = (await log.verify()).problems.map((p) => `${p.kind}:${p.size ?? ''}`);
        expect(kinds).toContain('head-mismatch:');
        expect(kinds).toContain('bad-signature:10');
      } finally {
        await restore();
      }
    });
  });
});
