import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeys, DEFAULT_API_KEYS_OPTIONS, type ApiKeysOptions } from '../src/api-keys.js';
import type { AccessEvents } from '../src/events.js';
import { BASE62, formatApiKey, parseApiKeyParts } from '../src/internal/key-format.js';
import { MemoryAudit, failure } from './helpers/refusals.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

/** The same key with its secret changed at `index` and a recomputed (valid) checksum. */
function forgeSecret(key: string, index: number): string {
  const parts = parseApiKeyParts(key);
  if (typeof parts === 'string') throw new Error('not a key');
  const s = parts.secret;
  const ch = BASE62[(BASE62.indexOf(s[index] as string) + 1) % 62] as string;
  return formatApiKey(parts.prefix, parts.id, s.slice(0, index) + ch + s.slice(index + 1));
}

describe('ApiKeys over the memory adapter', () => {
  let store: Store;
  let clock: ManualClock;
  let audit: MemoryAudit;
  let keys: ApiKeys;
  const open = (extra: Partial<ApiKeysOptions> = {}) =>
    ApiKeys.open({ store, clock, audit, ...extra });

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter() });
    clock = new ManualClock(START);
    audit = new MemoryAudit();
    keys = await open();
  });
  afterEach(async () => {
    await keys.close();
    await store.close();
  });

  it('issues a key that verifies to its principal and scopes, with the 90-day default expiry', async () => {
    const events: AccessEvents['apikey:created'][] = [];
    keys.on('apikey:created', (e) => events.push(e));
    const created = await keys.create('svc-billing', {
      scopes: ['invoices:*', 'invoices:*'],
      name: 'ci',
    });
    expect(created.key.startsWith('plk_')).toBe(true);
    expect(created.expiresAt).toBe(START + 90 * DAY);
    expect(created.scopes).toEqual(['invoices:*']);
    const verified = await keys.verify(created.key);
    expect(verified).toEqual({
      keyId: created.keyId,
      principalId: 'svc-billing',
      scopes: ['invoices:*'],
      expiresAt: START + 90 * DAY,
    });
    expect(Object.isFrozen(verified)).toBe(true);
    expect(events).toEqual([{ at: START, principal: 'svc-billing', keyId: created.keyId }]);
    expect(audit.records).toEqual([
      {
        type: 'apikey.created',
        subject: created.keyId,
        outcome: 'success',
        data: {
          principal: 'svc-billing',
          scopes: ['invoices:*'],
          expiresAt: created.expiresAt,
          name: 'ci',
        },
      },
    ]);
    // The secret is stored only as a digest: nothing in the store holds it.
    const secret = created.key.slice(-36, -6);
    const doc = await store.collection('access.apikeys').get(created.keyId);
    expect(JSON.stringify(doc)).not.toContain(secret);
    expect(JSON.stringify(audit.records)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it('refuses a wrong secret and an unknown id with the same answer', async () => {
    const { key } = await keys.create('alice');
    for (const i of [0, 15, 29]) {
      const r = await failure(keys.verify(forgeSecret(key, i)));
      expect([r.code, r.reason]).toEqual(['E_API_KEY_INVALID', 'unknown']);
    }
    const unknown = formatApiKey('plk', 'A'.repeat(14), 'b'.repeat(30));
    const u = await failure(keys.verify(unknown));
    expect([u.code, u.reason, u.error.message]).toEqual([
      'E_API_KEY_INVALID',
      'unknown',
      (await failure(keys.verify(forgeSecret(key, 3)))).error.message,
    ]);
    const other = await ApiKeys.open({ store, clock, prefix: 'zzz' });
    expect((await failure(other.verify(key))).reason).toBe('prefix');
    await other.close();
  });

  it('expires keys (default and per call) and audits the use of an expired key', async () => {
    await keys.close();
    keys = await open({ flushIntervalMs: DAY }); // 90 days of 10 s flush timers would be slow
    const long = await keys.create('alice');
    const short = await keys.create('alice', { expiresInMs: 60_000 });
    clock.advance(60_000);
    const r = await failure(keys.verify(short.key, { source: '203.0.113.7' }));
    expect(r.reason).toBe('expired');
    expect(audit.records.at(-1)).toEqual({
      type: 'apikey.expired_used',
      actor: 'alice',
      subject: short.keyId,
      outcome: 'failure',
      source: '203.0.113.7',
      data: { expiresAt: short.expiresAt },
    });
    // Retries within a minute are refused but not audited again (no flooding of the log).
    await failure(keys.verify(short.key));
    expect(audit.records.filter((x) => x.type === 'apikey.expired_used')).toHaveLength(1);
    clock.advance(60_000);
    await failure(keys.verify(short.key));
    expect(audit.records.filter((x) => x.type === 'apikey.expired_used')).toHaveLength(2);
    await keys.verify(long.key);
    clock.advance(90 * DAY);
    expect((await failure(keys.verify(long.key))).reason).toBe('expired');
    const tooLong = await failure(keys.create('alice', { expiresInMs: 400 * DAY }));
    expect(tooLong.code).toBe('E_INVALID_ARGUMENT');
  });

  it('rotates: the new key works at once, the old one until the grace period ends', async () => {
    const rotated: AccessEvents['apikey:rotated'][] = [];
    keys.on('apikey:rotated', (e) => rotated.push(e));
    const old = await keys.create('svc', { scopes: ['a:read'] });
    await keys.verify(old.key); // cached now: rotation must invalidate it
    clock.advance(DAY);
    const next = await keys.rotate(old.keyId, { graceMs: 3_600_000 });
    expect(next.previous).toEqual({ keyId: old.keyId, graceUntil: START + DAY + 3_600_000 });
    expect(next.scopes).toEqual(['a:read']);
    expect(next.expiresAt).toBe(START + DAY + 90 * DAY);
    expect((await keys.verify(old.key)).expiresAt).toBe(START + DAY + 3_600_000);
    expect((await keys.verify(next.key)).keyId).toBe(next.keyId);
    expect((await keys.get(old.keyId))?.status).toBe('grace');
    expect((await failure(keys.rotate(old.keyId))).code).toBe('E_CONFLICT');
    clock.advance(3_600_000);
    expect((await failure(keys.verify(old.key))).reason).toBe('expired');
    await keys.verify(next.key);
    expect(rotated).toEqual([
      {
        at: START + DAY,
        principal: 'svc',
        from: old.keyId,
        to: next.keyId,
        graceUntil: START + DAY + 3_600_000,
      },
    ]);
    expect(audit.records.map((r) => r.type)).toEqual([
      'apikey.created',
      'apikey.rotated',
      'apikey.expired_used',
    ]);
    const list = await keys.list('svc');
    expect(list.map((k) => [k.keyId, k.status])).toEqual([
      [old.keyId, 'expired'],
      [next.keyId, 'active'],
    ]);
    expect(list[1]?.rotatedFrom).toBe(old.keyId);
    // The default grace is 7 days.
    const third = await keys.rotate(next.keyId);
    expect(third.previous.graceUntil).toBe(clock.now() + DEFAULT_API_KEYS_OPTIONS.graceMs);
  });

  it('revokes at once, even a cached key; revoking again is a no-op; unknown ids are E_NOT_FOUND', async () => {
    const { key, keyId } = await keys.create('alice');
    await keys.verify(key);
    expect(keys.cacheSize).toBe(1);
    const revoked: unknown[] = [];
    keys.on('apikey:revoked', (e) => revoked.push(e));
    expect(await keys.revoke(keyId, { actor: 'admin', reason: 'leaked' })).toBe(true);
    expect((await failure(keys.verify(key))).reason).toBe('revoked');
    expect(await keys.revoke(keyId)).toBe(false);
    expect(revoked).toEqual([{ at: START, principal: 'alice', keyId }]);
    expect(audit.records.at(-1)).toEqual({
      type: 'apikey.revoked',
      actor: 'admin',
      subject: keyId,
      outcome: 'success',
      data: { principal: 'alice', reason: 'leaked' },
    });
    const before = await store.lastSeq();
    expect((await failure(keys.revoke('A'.repeat(14)))).code).toBe('E_NOT_FOUND');
    expect((await failure(keys.rotate(keyId))).code).toBe('E_CONFLICT');
    expect(await store.lastSeq()).toBe(before); // the refused rotation wrote no new key
    expect((await keys.list('alice')).map((k) => k.keyId)).toEqual([keyId]);
  });

  it('counts usage in memory and writes it in one batch per flush interval (and on close)', async () => {
    const a = await keys.create('alice');
    const b = await keys.create('bob');
    let commits = 0;
    store.on('store:committed', () => commits++);
    for (let i = 0; i < 50; i++) await keys.verify(a.key);
    clock.advance(5);
    await keys.verify(b.key);
    expect(commits).toBe(0); // verifying writes nothing
    expect((await keys.get(a.keyId))?.uses).toBe(50); // pending counts are shown
    await clock.advanceAsync(DEFAULT_API_KEYS_OPTIONS.flushIntervalMs);
    await keys.flush();
    expect(commits).toBe(1);
    const usage = store.collection('access.apikeys.usage');
    expect((await usage.get(a.keyId))?.value).toEqual({ uses: 50, lastUsedAt: START });
    expect((await usage.get(b.keyId))?.value).toEqual({ uses: 1, lastUsedAt: START + 5 });
    await keys.verify(b.key);
    await keys.close();
    expect((await usage.get(b.keyId))?.value).toMatchObject({ uses: 2 });
    keys = await open();
    const info = await keys.get(b.keyId);
    expect(info?.uses).toBe(2);
    expect(info?.lastUsedAt).toBe(START + DEFAULT_API_KEYS_OPTIONS.flushIntervalMs + 5);
  });

  it('hostile input gets E_API_KEY_INVALID, never another exception, never a write', async () => {
    const { key } = await keys.create('alice');
    await keys.flush();
    const before = await store.lastSeq();
    const nearMiss = fc
      .tuple(fc.nat(), fc.constantFrom(...BASE62.split(''), '_', '.', '\u0000', 'é'))
      .map(([i, ch]) => {
        const at = i % key.length;
        return key.slice(0, at) + ch + key.slice(at + 1);
      })
      .filter((k) => k !== key);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary', maxLength: 80 }),
          nearMiss,
          fc.nat(29).map((i) => forgeSecret(key, i)),
          fc.anything(),
          fc.constant('a'.repeat(5000)),
          fc.constant(`${key}${'0'.repeat(5000)}`),
        ),
        async (value) => {
          const r = await failure(keys.verify(value));
          expect(r.code).toBe('E_API_KEY_INVALID');
          expect(['malformed', 'checksum', 'prefix', 'unknown']).toContain(r.reason);
          expect(r.error.stack ?? '').not.toContain(key.slice(4, 40));
          expect(r.error.message).not.toContain(key.slice(4, 40));
        },
      ),
      { numRuns: 1500 },
    );
    await keys.flush();
    expect(await store.lastSeq()).toBe(before);
  });

  it('bad arguments to create/rotate/revoke are typed errors and write nothing', async () => {
    const before = await store.lastSeq();
    const cases: Array<[Promise<unknown>, string]> = [
      [keys.create('' as string), 'E_INVALID_NAME'],
      [keys.create(42 as never), 'E_INVALID_NAME'],
      [keys.create('a\u202ez'), 'E_INVALID_NAME'],
      [keys.create('alice', { scopes: 'docs:read' as never }), 'E_INVALID_ARGUMENT'],
      [keys.create('alice', { scopes: ['ok', 'not ok'] }), 'E_INVALID_NAME'],
      [
        keys.create('alice', { scopes: Array.from({ length: 65 }, (_, i) => `s${i}`) }),
        'E_LIMIT_EXCEEDED',
      ],
      [keys.create('alice', { expiresInMs: -1 }), 'E_INVALID_ARGUMENT'],
      [keys.create('alice', { expiresInMs: Number.NaN }), 'E_INVALID_ARGUMENT'],
      [keys.create('alice', null as never), 'E_INVALID_ARGUMENT'],
      [keys.rotate('nope'), 'E_INVALID_ARGUMENT'],
      [keys.rotate('A'.repeat(14)), 'E_NOT_FOUND'],
      [keys.rotate('A'.repeat(14), { graceMs: -5 }), 'E_INVALID_ARGUMENT'],
      [keys.revoke({} as never), 'E_INVALID_ARGUMENT'],
      [keys.list('x'.repeat(10_000)), 'E_INVALID_NAME'],
    ];
    for (const [p, code] of cases) expect((await failure(p)).code).toBe(code);
    expect(await store.lastSeq()).toBe(before);
    expect(audit.records).toEqual([]);
  });

  it('validates its options with E_INVALID_OPTION naming the option', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ prefix: 'Bad' }, 'prefix'],
      [{ prefix: 'a' }, 'prefix'],
      [{ pepper: 'short' }, 'pepper'],
      [{ cacheSize: -1 }, 'cacheSize'],
      [{ expiresInMs: 10 }, 'expiresInMs'],
      [{ expiresInMs: 400 * DAY }, 'expiresInMs'],
      [{ flushIntervalMs: 0 }, 'flushIntervalMs'],
      [{ audit: {} }, 'audit'],
      [{ store: {} }, 'store'],
      [{ grace: 5 }, 'grace'],
    ];
    for (const [extra, option] of bad) {
      const r = await failure(ApiKeys.open({ store, ...extra } as ApiKeysOptions));
      expect(r.code).toBe('E_INVALID_OPTION');
      expect((r.error as unknown as { details: { option: string } }).details.option).toBe(option);
    }
  });

  it('with a pepper stores HMAC digests that an instance without the pepper cannot match', async () => {
    const peppered = await open({ pepper: 'a server-side secret of 32 bytes!' });
    const { key, keyId } = await peppered.create('alice');
    expect((await peppered.verify(key)).principalId).toBe('alice');
    const doc = (await store.collection('access.apikeys').get(keyId))?.value as { alg: string };
    expect(doc.alg).toBe('hmac-sha256');
    expect((await failure(keys.verify(key))).reason).toBe('unknown');
    const other = await open({ pepper: 'another secret of thirty-two b!!' });
    expect((await failure(other.verify(key))).reason).toBe('unknown');
    await peppered.close();
    await other.close();
  });

  it('keeps the cache bounded (least recently used goes first)', async () => {
    const small = await open({ cacheSize: 3 });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await small.create(`p${i}`));
    for (const k of made) await small.verify(k.key);
    expect(small.cacheSize).toBe(3);
    await small.close();
    expect(small.cacheSize).toBe(0);
    expect((await failure(small.verify(made[0]!.key))).code).toBe('E_CLOSED');
  });

  it('the time to refuse a wrong secret does not depend on how much of it matched', async () => {
    const { key } = await keys.create('alice');
    await keys.verify(key);
    const early = forgeSecret(key, 0); // differs in the first secret character
    const late = forgeSecret(key, 29); // matches all but the last
    const measure = async (k: string) => {
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) await keys.verify(k).catch(() => {});
      return performance.now() - t0;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < 60; round++) {
      a.push(await measure(early));
      b.push(await measure(late));
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1] as number;
    const ratio = median(a) / median(b);
    // Digests of equal length are compared with timingSafeEqual; what matched never shows. The
    // bound is loose because this measures a whole refusal (error construction included).
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.43);
  });
});

describe('ApiKeys over SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-apikeys-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a hot verify is served from the cache; the cache TTL bounds staleness without a change event', async () => {
    const path = join(dir, 'k.sqlite');
    const store = await openStore({ adapter: sqliteAdapter({ path }) });
    const clock = new ManualClock(START);
    const keys = await ApiKeys.open({ store, clock, cacheTtlMs: 30_000 });
    const { key, keyId } = await keys.create('alice', { scopes: ['x:read'] });
    await keys.verify(key);
    // Delete the row behind the store's back (no change-feed entry): only the cache can answer.
    const raw = new Database(path);
    const table = (
      raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%records'")
        .get() as {
        name: string;
      }
    ).name;
    expect(
      raw.prepare(`DELETE FROM "${table}" WHERE space = ? AND key = ?`).run('access.apikeys', keyId)
        .changes,
    ).toBe(1);
    raw.close();
    expect((await keys.verify(key)).scopes).toEqual(['x:read']);
    clock.advance(30_000);
    expect((await failure(keys.verify(key))).reason).toBe('unknown');
    await keys.close();
    await store.close();
  });

  it('keeps keys and usage across reopening the file', async () => {
    const path = join(dir, 'k.sqlite');
    let store = await openStore({ adapter: sqliteAdapter({ path }) });
    let keys = await ApiKeys.open({ store });
    const { key, keyId } = await keys.create('alice');
    await keys.verify(key);
    await keys.verify(key);
    await keys.close();
    await store.close();
    store = await openStore({ adapter: sqliteAdapter({ path }) });
    keys = await ApiKeys.open({ store });
    expect((await keys.verify(key)).keyId).toBe(keyId);
    expect((await keys.get(keyId))?.uses).toBe(3);
    await keys.close();
    await store.close();
  });
});
