import { createHash, generateKeyPairSync, verify as edVerify } from 'node:crypto';
import { ManualClock, canonicalJson, isPlinthError } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../src/audit-log.js';
import { auditExportToNdjson, parseAuditExport, verifyAuditExport } from '../src/audit-verify.js';
import { verifyConsistency, verifyInclusion } from '../src/internal/merkle.js';
import type { AuditEntry, Checkpoint } from '../src/types.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isPlinthError(e) ? e.code : `raw: ${String(e)}`),
  );
}

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('AuditLog over the memory adapter', () => {
  let store: Store;
  let clock: ManualClock;
  let log: AuditLog;
  const keys = generateKeyPairSync('ed25519');

  beforeEach(async () => {
    clock = new ManualClock(1_700_000_000_000);
    store = await openStore({ adapter: memoryAdapter(), clock });
    log = await AuditLog.open({
      store,
      clock,
      signingKey: keys.privateKey,
      checkpointEvery: 10,
      checkpointIntervalMs: 5_000,
    });
  });
  afterEach(async () => {
    await log.close();
    await store.close();
  });

  it('chains entries exactly as documented: hash = sha256hex(prev ‖ canonicalJson(entry without hash))', async () => {
    const a = await log.append({ type: 'login.failed', subject: 'alice', outcome: 'failure' });
    clock.advance(7);
    const b = await log.append({
      type: 'apikey.created',
      actor: 'bob',
      data: { keyId: 'k1', scopes: ['read'], n: 1.5 },
    });
    expect(a.seq).toBe(0);
    expect(a.prev).toBe('0'.repeat(64));
    expect(a.at).toBe(1_700_000_000_000);
    const { hash, ...rest } = a;
    expect(hash).toBe(sha256hex(a.prev + canonicalJson(rest)));
    expect(b.seq).toBe(1);
    expect(b.prev).toBe(a.hash);
    expect(b.at).toBe(1_700_000_000_007);
    const { hash: hb, ...restB } = b;
    expect(hb).toBe(sha256hex(b.prev + canonicalJson(restB)));
    expect(await log.entries()).toEqual([a, b]);
    expect(await log.entries({ from: 1 })).toEqual([b]);
  });

  it('group-commits the appends of one tick into one block and one transaction', async () => {
    const appended: number[] = [];
    log.on('audit:appended', (e) => appended.push(e.entries.length));
    const entries = await Promise.all(
      Array.from({ length: 25 }, (_, i) => log.append({ type: 'authz.denied', subject: `p${i}` })),
    );
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(appended).toEqual([25]);
    const blocks = await store.collection('access.audit.blocks').list();
    expect(blocks.items).toHaveLength(1);
    expect(blocks.items[0]?.key).toBe('default/000000000000000');
    expect((blocks.items[0]?.value as { entries: string[] }).entries).toHaveLength(25);
    expect((await store.collection('access.audit.heads').get('default'))?.value).toEqual({
      size: 25,
      hash: entries[24]?.hash,
    });
  });

  it('splits a large batch into blocks of batchMaxEntries', async () => {
    const small = await AuditLog.open({ store, name: 'small', batchMaxEntries: 4 });
    const out = await small.appendMany(
      Array.from({ length: 10 }, (_, i) => ({ type: 'role.assigned', subject: `r${i}` })),
    );
    expect(out.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const keys = (await store.collection('access.audit.blocks').list({ prefix: 'small/' })).items;
    expect(keys.map((k) => (k.value as { count: number }).count)).toEqual([4, 4, 2]);
    expect((await small.verify()).ok).toBe(true);
    await small.close();
  });

  it('checkpoints every N entries with an Ed25519 signature over the documented note', async () => {
    const seen: Checkpoint[] = [];
    log.on('audit:checkpoint', (e) => seen.push(e.checkpoint));
    await log.appendMany(Array.from({ length: 10 }, () => ({ type: 'session.created' })));
    await log.flush();
    expect(seen).toHaveLength(1);
    const cp = seen[0] as Checkpoint;
    expect(cp.size).toBe(10);
    expect(cp.root).toBe(await log.root(10));
    expect(cp.head).toBe((await log.entries({ from: 9 }))[0]?.hash);
    const note = `${log.origin}\n10\n${Buffer.from(cp.root, 'hex').toString('base64')}\n`;
    expect(
      edVerify(null, Buffer.from(note), keys.publicKey, Buffer.from(cp.signature, 'base64')),
    ).toBe(true);
    expect(log.origin).toBe('plinth.access/audit/default');
    expect(cp.keyId).toBe(log.keyId);
    expect(await log.checkpoints()).toEqual([cp]);
  });

  it('checkpoints every T ms on the clock when entries were added, and not when none were', async () => {
    const timers = clock.pendingTimers;
    await log.append({ type: 'login.succeeded', subject: 'a' });
    expect(await log.checkpoints()).toHaveLength(0);
    await clock.advanceAsync(5_000);
    await vi.waitFor(async () => expect((await log.checkpoints()).map((c) => c.size)).toEqual([1]));
    await clock.advanceAsync(5_000);
    await new Promise((r) => setImmediate(r));
    expect(await log.checkpoints()).toHaveLength(1);
    // An instance that only watches signs, on its timer, what another instance appended.
    const watcher = await AuditLog.open({
      store,
      clock,
      name: 'shared',
      signingKey: keys.privateKey,
      checkpointIntervalMs: 7_000,
    });
    const writer = await AuditLog.open({ store, clock, name: 'shared', checkpointIntervalMs: 0 });
    await writer.appendMany([{ type: 'role.assigned' }, { type: 'role.unassigned' }]);
    expect(watcher.knownSize).toBe(0);
    await clock.advanceAsync(7_000);
    await vi.waitFor(async () =>
      expect((await watcher.checkpoints()).map((c) => c.size)).toEqual([2]),
    );
    await watcher.close();
    await writer.close();
    await log.close();
    expect(clock.pendingTimers).toBe(timers - 1);
  });

  it('checkpoint() forces one; returns the stored one when nothing was added; needs a key', async () => {
    await log.append({ type: 'mfa.enrolled', subject: 'a' });
    const cp = await log.checkpoint();
    expect(cp.size).toBe(1);
    expect(await log.checkpoint()).toEqual(cp);
    const unsigned = await AuditLog.open({ store, name: 'nokey' });
    expect(await codeOf(unsigned.checkpoint())).toBe('E_AUDIT_KEY');
    await unsigned.close();
  });

  it('gives inclusion and consistency proofs that the pure verifiers accept, against checkpoints', async () => {
    const records = Array.from({ length: 37 }, (_, i) => ({
      type: 'authz.denied',
      subject: `s${i}`,
    }));
    // checkpointEvery is checked after each commit: 12 entries make a checkpoint, 25 more another.
    const entries = [
      ...(await log.appendMany(records.slice(0, 12))),
      ...(await log.appendMany(records.slice(12))),
    ];
    const cp = await log.checkpoint();
    for (const seq of [0, 1, 17, 36]) {
      const proof = await log.inclusionProof(seq, cp.size);
      expect(proof.root).toBe(cp.root);
      expect(proof.leaf).toBe(
        createHash('sha256')
          .update(Buffer.from([0]))
          .update(canonicalJson(entries[seq] as AuditEntry))
          .digest('hex'),
      );
      expect(verifyInclusion(proof.leaf, seq, cp.size, proof.path, cp.root)).toBe(true);
      expect(verifyInclusion(proof.leaf, seq, cp.size, proof.path, await log.root(20))).toBe(false);
    }
    const older = (await log.checkpoints())[0] as Checkpoint;
    expect([older.size, cp.size]).toEqual([12, 37]);
    const c = await log.consistencyProof(older.size, cp.size);
    expect(c.oldRoot).toBe(older.root);
    expect(verifyConsistency(older.size, cp.size, older.root, cp.root, c.path)).toBe(true);
    expect(await codeOf(log.inclusionProof(37, 37))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(log.inclusionProof(0, 38))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(log.inclusionProof(-1))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(log.consistencyProof(40, 37))).toBe('E_INVALID_ARGUMENT');
  });

  it('exports to JSON and NDJSON that verify offline with only the public key', async () => {
    const records = Array.from({ length: 23 }, (_, i) => ({
      type: 'login.failed',
      subject: `u${i}`,
    }));
    await log.appendMany(records.slice(0, 12)); // checkpoint at 12
    await log.appendMany(records.slice(12)); // 11 more: below checkpointEvery
    expect((await log.checkpoints()).map((c) => c.size)).toEqual([12]);
    await log.checkpoint();
    const exp = await log.export();
    expect(exp.entries).toHaveLength(23);
    expect(exp.keyIds).toEqual([log.keyId]);
    const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const report = verifyAuditExport(JSON.stringify(exp), {
      publicKeys: { [log.keyId!]: publicPem },
    });
    expect(report).toMatchObject({ ok: true, size: 23, coveredSize: 23, verifiedCheckpoints: 2 });
    const nd = auditExportToNdjson(exp);
    expect(nd.split('\n').filter(Boolean)).toHaveLength(1 + 23 + 2);
    expect(parseAuditExport(nd)).toEqual(exp);
    expect(verifyAuditExport(nd, { publicKeys: { [log.keyId!]: keys.publicKey } }).ok).toBe(true);
    // Without the right key the checkpoints do not count.
    const other = generateKeyPairSync('ed25519').publicKey;
    const wrong = verifyAuditExport(exp, { publicKeys: { [log.keyId!]: other } });
    expect(wrong.ok).toBe(false);
    expect(wrong.problems.every((p) => p.kind === 'bad-signature')).toBe(true);
    expect(verifyAuditExport(exp, { publicKeys: {} }).problems.map((p) => p.kind)).toContain(
      'unknown-key',
    );
    let code: string | undefined;
    try {
      parseAuditExport('{"format":"nope"}');
    } catch (e) {
      code = isPlinthError(e) ? e.code : 'raw';
    }
    expect(code).toBe('E_AUDIT_EXPORT');
  });

  it('refuses hostile records with typed errors and writes nothing', async () => {
    await log.append({ type: 'login.succeeded' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 200; i++) deep = (deep.x = {}) as Record<string, unknown>;
    const bad: Array<[unknown, string]> = [
      [null, 'E_INVALID_ARGUMENT'],
      ['login.failed', 'E_INVALID_ARGUMENT'],
      [{}, 'E_INVALID_ARGUMENT'],
      [{ type: 'Login' }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login' }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', extra: 1 }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', actor: 7 }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', actor: '' }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', actor: 'a'.repeat(300) }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', outcome: 'maybe' }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: [] }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { n: NaN } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { n: 10n } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { f: () => 1 } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { u: undefined } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { d: new Date(0) } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { m: new Map() } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: { s: '\ud800' } }, 'E_INVALID_ARGUMENT'],
      [{ type: 'login.failed', data: cyclic }, 'E_LIMIT_EXCEEDED'],
      [{ type: 'login.failed', data: top }, 'E_LIMIT_EXCEEDED'],
      [{ type: 'login.failed', data: { big: 'x'.repeat(70_000) } }, 'E_LIMIT_EXCEEDED'],
    ];
    for (const [record, code] of bad) {
      expect(await codeOf(log.append(record as never)), JSON.stringify(String(record))).toBe(code);
    }
    // One bad record in a batch queues none of it.
    expect(await codeOf(log.appendMany([{ type: 'login.failed' }, { type: 'BAD' }] as never))).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect(await codeOf(log.appendMany('x' as never))).toBe('E_INVALID_ARGUMENT');
    await log.flush();
    expect(await log.size()).toBe(1);
    const fine = await log.append({
      type: 'login.failed',
      data: { big: 'x'.repeat(60_000), nul: '\u0000' },
    });
    expect(fine.seq).toBe(1);
    expect((await log.verify()).ok).toBe(true);
  });

  it('honours maxAuditRecordBytes and validates options with E_INVALID_OPTION naming the option', async () => {
    const tiny = await AuditLog.open({ store, name: 'tiny', maxAuditRecordBytes: 100 });
    expect(await codeOf(tiny.append({ type: 'a.b', data: { s: 'x'.repeat(100) } }))).toBe(
      'E_LIMIT_EXCEEDED',
    );
    await tiny.close();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ store: {} }, 'store'],
      [{ store, name: '../x' }, 'name'],
      [{ store, origin: 'a\nb' }, 'origin'],
      [{ store, checkpointEvery: -1 }, 'checkpointEvery'],
      [{ store, checkpointIntervalMs: 1.5 }, 'checkpointIntervalMs'],
      [{ store, batchMaxEntries: 0 }, 'batchMaxEntries'],
      [{ store, keyId: 'k' }, 'keyId'],
      [{ store, bogus: 1 }, 'bogus'],
    ];
    for (const [options, option] of cases) {
      const e = await AuditLog.open(options as never).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(isPlinthError(e, 'E_INVALID_OPTION'), option).toBe(true);
      expect((e as { details: { option: string } }).details.option).toBe(option);
    }
    expect(await codeOf(AuditLog.open({ store, signingKey: 'not a key' }))).toBe('E_AUDIT_KEY');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(await codeOf(AuditLog.open({ store, signingKey: rsa }))).toBe('E_AUDIT_KEY');
    const jwk = keys.privateKey.export({ format: 'jwk' });
    const fromJwk = await AuditLog.open({ store, name: 'jwk', signingKey: jwk, keyId: 'ops-2026' });
    expect(fromJwk.keyId).toBe('ops-2026');
    await fromJwk.close();
  });

  it('after close: appends are refused with E_CLOSED; close is idempotent and commits pending appends', async () => {
    const pending = log.append({ type: 'session.revoked', subject: 'h1' });
    await log.close();
    expect((await pending).seq).toBe(0);
    await log.close();
    expect(await codeOf(log.append({ type: 'session.revoked' }))).toBe('E_CLOSED');
    const again = await AuditLog.open({ store });
    expect(await again.size()).toBe(1);
    await again.close();
  });
});
