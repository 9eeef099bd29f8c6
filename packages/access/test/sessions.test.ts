import { ManualClock, isPlinthError, type PlinthError } from '@plinth/core';
import { checkHostileCalls } from '@plinth/core/testing';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';
import { Sessions, type SessionsOptions } from '../src/sessions.js';
import type { AuditRecordInput } from '../src/types.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

async function refusal(p: Promise<unknown>): Promise<PlinthError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isPlinthError(e), `expected a PlinthError, got ${String(e)}`).toBe(true);
  return e as PlinthError;
}

async function reason(p: Promise<unknown>): Promise<unknown> {
  const e = await refusal(p);
  expect(e.code).toBe('E_UNAUTHENTICATED');
  return e.details.reason;
}

describe('Sessions', () => {
  let store: Store;
  let clock: ManualClock;
  let records: AuditRecordInput[];
  let open: (o?: Partial<SessionsOptions>) => Promise<Sessions>;
  const opened: Sessions[] = [];

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = await openStore({ adapter: memoryAdapter(), clock, purgeIntervalMs: 0 });
    records = [];
    open = async (o = {}) => {
      const s = await Sessions.open({
        store,
        clock,
        audit: { append: async (r) => void records.push(r) },
        ...o,
      });
      opened.push(s);
      return s;
    };
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await store.close();
  });

  const docs = async () =>
    (await store.collection('access.sessions').list({ limit: 10_000 })).items;

  it('issues 256-bit ids, stores only their SHA-256 and shows only a handle', async () => {
    const sessions = await open();
    const seen: unknown[] = [];
    sessions.subscribe((name, payload) => seen.push({ name, payload }));
    const s = await sessions.create('alice', { data: { tenant: 't1' } });
    expect(s.id).toMatch(/^pls_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s.id.slice(4), 'base64url')).toHaveLength(32);
    const digest = createHash('sha256').update(s.id).digest('hex');
    const stored = await docs();
    expect(stored.map((d) => d.key)).toEqual([digest]);
    expect(s.handle).toBe(digest.slice(0, 24));
    const everything = JSON.stringify([stored, seen, records]);
    expect(everything).not.toContain(s.id.slice(4));
    expect(records).toEqual([
      expect.objectContaining({ type: 'session.created', subject: s.handle, actor: 'alice' }),
    ]);
    const v = await sessions.validate(s.id);
    expect(v).toMatchObject({ principalId: 'alice', handle: s.handle, data: { tenant: 't1' } });
    expect(v).not.toHaveProperty('id');
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add((await sessions.create('bob')).id);
    expect(ids.size).toBe(200);
  });

  it('refuses malformed, unknown and altered ids with E_UNAUTHENTICATED and a reason', async () => {
    const sessions = await open();
    const s = await sessions.create('alice');
    for (const bad of [
      '',
      'pls_',
      s.id.slice(0, -1),
      `${s.id}A`,
      s.id.slice(4),
      `xx_${s.id.slice(4)}`,
      `${s.id.slice(0, 10)}!${s.id.slice(11)}`,
    ]) {
      expect(await reason(sessions.validate(bad))).toBe('malformed');
    }
    expect(await reason(sessions.validate(123 as never))).toBe('malformed');
    expect(await reason(sessions.validate('x'.repeat(1_000_000)))).toBe('malformed');
    const flipped = s.id.slice(0, -1) + (s.id.endsWith('A') ? 'B' : 'A');
    expect(await reason(sessions.validate(flipped))).toBe('unknown');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (text) => {
        const r = await reason(sessions.validate(text));
        expect(['malformed', 'unknown']).toContain(r);
      }),
      { seed: 11, numRuns: 300 },
    );
    expect(await sessions.validate(s.id)).toBeDefined();
  });

  it('expires at the absolute deadline whatever the activity', async () => {
    const sessions = await open({ absoluteTtlMs: 2 * HOUR });
    const s = await sessions.create('alice');
    for (let t = 0; t < 11; t++) {
      await clock.advanceAsync(10 * MIN);
      await sessions.validate(s.id);
    }
    await clock.advanceAsync(10 * MIN - 1);
    expect((await sessions.validate(s.id)).expiresAt).toBe(s.createdAt + 2 * HOUR);
    await clock.advanceAsync(1);
    expect(await reason(sessions.validate(s.id))).toBe('expired');
  });

  it('expires after idleTtlMs without activity and stays alive with it; activity writes are batched', async () => {
    const sessions = await open({ idleTtlMs: 30 * MIN, touchIntervalMs: MIN, flushDelayMs: 1000 });
    const s = await sessions.create('alice');
    let commits = 0;
    store.on('store:committed', () => commits++);
    for (let i = 0; i < 100; i++) await sessions.validate(s.id); // same instant: no write due
    await clock.advanceAsync(5000);
    expect(commits).toBe(0);
    await clock.advanceAsync(29 * MIN);
    for (let i = 0; i < 100; i++) await sessions.validate(s.id);
    await clock.advanceAsync(1000);
    expect(commits).toBe(1); // one batched write for 100 validations
    const doc = (await docs())[0]!.value as { lastSeenAt: number };
    expect(doc.lastSeenAt).toBe(s.createdAt + 5000 + 29 * MIN);
    await clock.advanceAsync(30 * MIN - 1001);
    await sessions.validate(s.id, { touch: false });
    await clock.advanceAsync(1);
    expect(await reason(sessions.validate(s.id))).toBe('idle');
    // a second instance sees the activity the first one wrote
    const t = await sessions.create('bob');
    await clock.advanceAsync(20 * MIN);
    await sessions.validate(t.id);
    await sessions.flush();
    const other = await open({ idleTtlMs: 30 * MIN, touchIntervalMs: MIN });
    await clock.advanceAsync(20 * MIN);
    expect((await other.validate(t.id)).principalId).toBe('bob');
  });

  it('rotates on privilege change: a new id, the old one dead, same deadline, data carried', async () => {
    const sessions = await open();
    const seen: unknown[] = [];
    sessions.on('session:rotated', (e) => seen.push(e));
    const s = await sessions.create('alice', { data: { role: 'user' } });
    await sessions.validate(s.id); // cached
    await clock.advanceAsync(MIN);
    const r = await sessions.rotate(s.id, { data: { role: 'admin' } });
    expect(r.id).not.toBe(s.id);
    expect(r.handle).not.toBe(s.handle);
    expect(r.expiresAt).toBe(s.expiresAt);
    expect(await reason(sessions.validate(s.id))).toBe('rotated');
    expect((await sessions.validate(r.id)).data).toEqual({ role: 'admin' });
    expect(await reason(sessions.rotate(s.id))).toBe('rotated');
    expect(seen).toEqual([{ at: clock.now(), principal: 'alice', from: s.handle, to: r.handle }]);
    expect(records.at(-1)).toMatchObject({
      type: 'session.rotated',
      subject: r.handle,
      data: { from: s.handle, to: r.handle, reason: 'privilege-change' },
    });
  });

  it('records step-up MFA and answers the "require recent MFA" obligation', async () => {
    const sessions = await open();
    const s = await sessions.create('alice');
    const plain = await sessions.validate(s.id);
    expect(plain.mfaAt).toBeUndefined();
    expect(await reasonSync(() => sessions.requireRecentMfa(plain, 5 * MIN))).toBe('mfa-required');
    await clock.advanceAsync(MIN);
    const up = await sessions.elevate(s.id);
    expect(await reason(sessions.validate(s.id))).toBe('rotated'); // elevation rotates the id
    const v = await sessions.validate(up.id);
    expect(v.mfaAt).toBe(clock.now());
    sessions.requireRecentMfa(v, 5 * MIN);
    await clock.advanceAsync(5 * MIN);
    sessions.requireRecentMfa(await sessions.validate(up.id), 5 * MIN);
    await clock.advanceAsync(1);
    const e = await refusal(
      Promise.resolve().then(async () =>
        sessions.requireRecentMfa(await sessions.validate(up.id), 5 * MIN),
      ),
    );
    expect(e.details).toEqual({ reason: 'mfa-required', maxAgeMs: 5 * MIN });
    const withMfa = await sessions.create('bob', { mfaAt: clock.now() - 1000 });
    expect((await sessions.validate(withMfa.id)).mfaAt).toBe(clock.now() - 1000);
    expect((await refusal(sessions.create('bob', { mfaAt: clock.now() + 1 }))).code).toBe(
      'E_INVALID_ARGUMENT',
    );
  });

  it('revokes one session, a handle, or all of a principal’s but one', async () => {
    const sessions = await open();
    const revokedEvents: unknown[] = [];
    sessions.on('session:revoked', (e) => revokedEvents.push(e));
    const a1 = await sessions.create('alice');
    const a2 = await sessions.create('alice');
    const a3 = await sessions.create('alice');
    const a4 = await sessions.create('alice');
    const b1 = await sessions.create('bob');
    for (const s of [a1, a2, a3, a4, b1]) await sessions.validate(s.id);
    expect(await sessions.revoke(a1.id)).toBe(true);
    expect(await sessions.revoke(a1.id)).toBe(false);
    expect(await sessions.revoke('not a session id')).toBe(false);
    expect(await reason(sessions.validate(a1.id))).toBe('revoked');
    expect(await sessions.revokeHandle(a2.handle, { actor: 'admin' })).toBe(true);
    expect(await reason(sessions.validate(a2.id))).toBe('revoked');
    expect((await sessions.list('alice')).map((s) => s.handle).sort()).toEqual(
      [a3.handle, a4.handle].sort(),
    );
    expect(await sessions.revokeAll('alice', { except: a4.id })).toBe(1);
    expect(await reason(sessions.validate(a3.id))).toBe('revoked');
    expect((await sessions.validate(a4.id)).principalId).toBe('alice');
    expect((await sessions.validate(b1.id)).principalId).toBe('bob');
    expect(await sessions.revokeAll('alice')).toBe(1);
    expect(await sessions.list('alice')).toEqual([]);
    expect(revokedEvents).toHaveLength(4);
    expect(records.filter((r) => r.type === 'session.revoked').map((r) => r.data?.reason)).toEqual([
      'logout',
      'admin',
      'revoke-all',
      'revoke-all',
    ]);
    expect(records.find((r) => r.data?.reason === 'admin')?.actor).toBe('admin');
  });

  it('a revocation on one instance reaches another instance’s cache through the change feed', async () => {
    const a = await open({ cacheTtlMs: HOUR });
    const b = await open({ cacheTtlMs: HOUR });
    const s = await a.create('alice');
    await b.validate(s.id);
    expect(b.cachedSessions).toBe(1);
    await a.revoke(s.id);
    await vi.waitFor(async () => expect(await reason(b.validate(s.id))).toBe('revoked'));
  });

  it('without the change feed, cacheTtlMs bounds how long a stale cache entry is used', async () => {
    const a = await open({ watch: false });
    const b = await open({ watch: false, cacheTtlMs: 1000 });
    const s = await a.create('alice');
    await b.validate(s.id);
    await a.revoke(s.id);
    await clock.advanceAsync(999);
    expect((await b.validate(s.id, { touch: false })).principalId).toBe('alice'); // stale, by design
    await clock.advanceAsync(1);
    expect(await reason(b.validate(s.id))).toBe('revoked');
  });

  it('activity written from the cache is not lost to the cached copy (single instance, no feed)', async () => {
    const sessions = await open({ watch: false, idleTtlMs: 30 * MIN, cacheTtlMs: 10_000 });
    const s = await sessions.create('alice');
    await clock.advanceAsync(30 * MIN - 2000);
    await sessions.validate(s.id); // read at t0 + 29:58, cached, activity due
    await clock.advanceAsync(1000); // the batched write lands
    await clock.advanceAsync(1500); // 30:00.5 after the last activity but one: still alive
    expect((await sessions.validate(s.id)).lastSeenAt).toBe(s.createdAt + 30 * MIN - 2000);
  });

  it('purges documents past their absolute expiry', async () => {
    const sessions = await open({ absoluteTtlMs: HOUR });
    await sessions.create('alice');
    await clock.advanceAsync(30 * MIN);
    const late = await sessions.create('alice');
    await clock.advanceAsync(30 * MIN);
    expect(await sessions.purgeExpired()).toBe(1);
    expect((await docs()).length).toBe(1);
    expect(await reason(sessions.validate(late.id, { touch: false }))).toBe('idle');
  });

  it('hostile arguments get typed errors or a plain deny, never a partial write', async () => {
    const sessions = await open();
    const live = await sessions.create('alice');
    const untouched = await sessions.create('zoe');
    const snapshot = async () => JSON.stringify(await docs());
    const result = await checkHostileCalls({
      target: sessions,
      calls: [
        ['create', (t, a, b) => t.create(a as string, b as never)],
        ['create(data)', (t, a) => t.create('alice', { data: a as never })],
        ['validate', (t, a, b) => t.validate(a as string, b as never)],
        ['rotate', (t, a, b) => t.rotate(a as string, b as never)],
        ['rotate(live)', (t, a) => t.rotate(live.id, a as never)],
        ['elevate', (t, a, b) => t.elevate(a as string, b as never)],
        ['revoke', (t, a, b) => t.revoke(a as string, b as never)],
        ['revokeHandle', (t, a, b) => t.revokeHandle(a as string, b as never)],
        ['revokeAll', (t, a, b) => t.revokeAll(a as string, b as never)],
        ['list', (t, a) => t.list(a as string)],
        ['requireRecentMfa', (t, a, b) => t.requireRecentMfa(a as never, b as number)],
      ],
      codes: ERROR_CODES,
      snapshot,
      seed: 99,
      numRuns: 400,
    });
    expect(result.rejected).toBeGreaterThan(300);
    expect((await sessions.validate(untouched.id)).principalId).toBe('zoe');
  });

  it('refuses bad options naming the option', async () => {
    const bad = async (o: Record<string, unknown>, option: string) => {
      const e = await refusal(Sessions.open({ store, ...o } as SessionsOptions));
      expect(e.code).toBe('E_INVALID_OPTION');
      expect(e.details.option).toBe(option);
    };
    await bad({ prefix: 'Bad-' }, 'prefix');
    await bad({ idleTtlMs: 10 }, 'idleTtlMs');
    await bad({ idleTtlMs: 60_000, touchIntervalMs: 40_000 }, 'touchIntervalMs');
    await bad({ cacheSize: -1 }, 'cacheSize');
    await bad({ store: null }, 'store');
  });
});

async function reasonSync(fn: () => void): Promise<unknown> {
  try {
    fn();
  } catch (e) {
    expect(isPlinthError(e, 'E_UNAUTHENTICATED')).toBe(true);
    return (e as PlinthError).details.reason;
  }
  throw new Error('expected a refusal');
}

describe('Sessions over SQLite', () => {
  it('sessions and revocations survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-sess-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    try {
      const path = join(dir, 's.sqlite');
      let store = await openStore({ adapter: sqliteAdapter({ path }), clock, purgeIntervalMs: 0 });
      let sessions = await Sessions.open({ store, clock });
      const kept = await sessions.create('alice', { data: { n: 1 } });
      const gone = await sessions.create('alice');
      await sessions.revoke(gone.id);
      await sessions.close();
      await store.close();
      store = await openStore({ adapter: sqliteAdapter({ path }), clock, purgeIntervalMs: 0 });
      sessions = await Sessions.open({ store, clock });
      expect((await sessions.validate(kept.id)).data).toEqual({ n: 1 });
      expect(await reason(sessions.validate(gone.id))).toBe('revoked');
      await sessions.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
