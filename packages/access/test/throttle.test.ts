import { ManualClock, isPlinthError, type PlinthError } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE_RULES, Throttle, type ThrottleRule } from '../src/throttle.js';

const MIN = 60_000;

async function refusal(p: Promise<unknown>): Promise<PlinthError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isPlinthError(e), `expected a PlinthError, got ${String(e)}`).toBe(true);
  return e as PlinthError;
}

describe('Throttle', () => {
  let store: Store;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = await openStore({ adapter: memoryAdapter(), clock, purgeIntervalMs: 0 });
  });
  afterEach(async () => {
    await store.close();
  });

  it('locks a key at maxFailures for lockoutMs and says how long to wait', async () => {
    const t = await Throttle.open({ store, clock });
    for (let i = 1; i < 5; i++) {
      expect(await t.fail(['principal:alice'])).toEqual({ allowed: true, retryAfterMs: 0 });
    }
    expect(await t.fail(['principal:alice'])).toEqual({
      allowed: false,
      retryAfterMs: MIN,
      key: 'principal:alice',
    });
    expect(await t.check(['principal:alice', 'principal:bob'])).toEqual({
      allowed: false,
      retryAfterMs: MIN,
      key: 'principal:alice',
    });
    expect((await t.check(['principal:bob'])).allowed).toBe(true);
    clock.advance(20_000);
    const e = await refusal(t.assert(['source:x', 'principal:alice']));
    expect(e.code).toBe('E_THROTTLED');
    expect(e.retryable).toBe(true);
    expect(e.details).toEqual({ retryAfterMs: 40_000 });
    clock.advance(40_000);
    await t.assert(['principal:alice']);
  });

  it('doubles each further lockout up to maxLockoutMs', async () => {
    const t = await Throttle.open({
      store,
      clock,
      rules: { principal: { maxFailures: 2, lockoutMs: MIN, maxLockoutMs: 5 * MIN } },
    });
    const waits: number[] = [];
    for (let round = 0; round < 5; round++) {
      await t.fail(['principal:a']);
      const s = await t.fail(['principal:a']);
      waits.push(s.retryAfterMs);
      clock.advance(s.retryAfterMs);
    }
    expect(waits).toEqual([MIN, 2 * MIN, 4 * MIN, 5 * MIN, 5 * MIN]);
  });

  it('counts failures in a sliding window only', async () => {
    const t = await Throttle.open({ store, clock });
    for (let i = 0; i < 4; i++) await t.fail(['principal:a']);
    clock.advance(15 * MIN); // windowMs: the first four fall out
    for (let i = 0; i < 4; i++) expect((await t.fail(['principal:a'])).allowed).toBe(true);
    clock.advance(MIN);
    expect((await t.fail(['principal:a'])).allowed).toBe(false); // 5 within 15 min
  });

  it('reset clears failures but keeps the lockout history', async () => {
    const t = await Throttle.open({ store, clock, rules: { principal: { maxFailures: 3 } } });
    for (let i = 0; i < 3; i++) await t.fail(['principal:a']);
    clock.advance(MIN);
    await t.fail(['principal:a']);
    await t.fail(['principal:a']);
    await t.reset(['principal:a', 'principal:never-failed']);
    expect((await t.fail(['principal:a'])).allowed).toBe(true); // the two before the reset are gone
    await t.fail(['principal:a']);
    expect((await t.fail(['principal:a'])).retryAfterMs).toBe(2 * MIN); // second lockout
  });

  it('applies a rule per key kind; source tolerates more than principal by default', async () => {
    const t = await Throttle.open({ store, clock, rules: { tenant: { maxFailures: 2 } } });
    expect(DEFAULT_THROTTLE_RULES.source?.maxFailures).toBe(20);
    for (let i = 0; i < 19; i++) await t.fail(['source:203.0.113.7']);
    expect((await t.check(['source:203.0.113.7'])).allowed).toBe(true);
    expect((await t.fail(['source:203.0.113.7'])).allowed).toBe(false);
    await t.fail(['tenant:t1']);
    expect((await t.fail(['tenant:t1'])).allowed).toBe(false);
    // one failure on several keys counts on each; the worst lock is reported
    for (let i = 0; i < 4; i++) await t.fail(['principal:p', 'source:198.51.100.1']);
    const s = await t.fail(['principal:p', 'source:198.51.100.1']);
    expect(s).toMatchObject({ allowed: false, key: 'principal:p' });
    expect((await t.check(['source:198.51.100.1'])).allowed).toBe(true);
  });

  it('a key without a kind prefix gets the default rule, not the rule of a kind it starts with', async () => {
    const t = await Throttle.open({ store, clock, rules: { mfa: { maxFailures: 2 } } });
    await t.fail(['mfax']);
    expect((await t.fail(['mfax'])).allowed).toBe(true); // principal default: 5
    await t.fail(['mfa:x']);
    expect((await t.fail(['mfa:x'])).allowed).toBe(false);
  });

  it('refuses bad rules naming the option', async () => {
    for (const [rule, option] of [
      [{ maxFailures: 0 }, 'rules.principal.maxFailures'],
      [{ windowMs: 1.5 }, 'rules.principal.windowMs'],
      [{ lockoutMs: -1 }, 'rules.principal.lockoutMs'],
      [{ maxLockoutMs: Number.NaN }, 'rules.principal.maxLockoutMs'],
    ] as const) {
      const e = await refusal(
        Throttle.open({ store, clock, rules: { principal: rule as Partial<ThrottleRule> } }),
      );
      expect(e.code).toBe('E_INVALID_OPTION');
      expect(e.details.option).toBe(option);
    }
  });

  it('never loses a failure to a concurrent one (compare-and-set transactions)', async () => {
    // The store on the system clock: lost races back off for real milliseconds before retrying.
    const live = await openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 });
    const t = await Throttle.open({ store: live, clock, rules: { principal: { maxFailures: 6 } } });
    const states = await Promise.all(Array.from({ length: 6 }, () => t.fail(['principal:race'])));
    expect(states.filter((s) => !s.allowed)).toHaveLength(1);
    expect((await t.check(['principal:race'])).allowed).toBe(false);
    await live.close();
  });

  it('matches a model of the rules over random failure schedules', async () => {
    const rule = { maxFailures: 3, windowMs: 10 * MIN, lockoutMs: MIN, maxLockoutMs: 8 * MIN };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 12 * MIN }), { minLength: 1, maxLength: 25 }),
        async (gaps) => {
          const local = await openStore({ adapter: memoryAdapter(), clock, purgeIntervalMs: 0 });
          const t = await Throttle.open({ store: local, clock, rules: { principal: rule } });
          // the model: failures in the window, lockouts doubling
          let failures: number[] = [];
          let lockedUntil = 0;
          let lockouts = 0;
          for (const gap of gaps) {
            clock.advance(gap);
            const now = clock.now();
            if (lockouts > 0 && lockedUntil + rule.maxLockoutMs <= now) lockouts = 0;
            if (lockedUntil <= now) {
              failures = failures.filter((f) => f > now - rule.windowMs);
              failures.push(now);
              if (failures.length > rule.maxFailures) failures = failures.slice(-rule.maxFailures);
              if (failures.length >= rule.maxFailures) {
                lockedUntil = now + Math.min(rule.maxLockoutMs, rule.lockoutMs * 2 ** lockouts);
                lockouts++;
                failures = [];
              }
            }
            const s = await t.fail(['principal:m']);
            expect(s.retryAfterMs).toBe(Math.max(0, lockedUntil - now));
            expect(s.allowed).toBe(lockedUntil <= now);
          }
          await local.close();
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });

  it('forgives earlier lockouts after a quiet period as long as the longest lockout', async () => {
    const rule = { maxFailures: 2, lockoutMs: MIN, maxLockoutMs: 4 * MIN };
    const t = await Throttle.open({ store, clock, rules: { principal: rule } });
    const lockout = async () => {
      await t.fail(['principal:q']);
      return (await t.fail(['principal:q'])).retryAfterMs;
    };
    expect(await lockout()).toBe(MIN);
    clock.advance(MIN);
    expect(await lockout()).toBe(2 * MIN);
    clock.advance(2 * MIN + 4 * MIN); // the lockout ends, then a quiet period of maxLockoutMs
    expect(await lockout()).toBe(MIN);
  });

  it('does not count attempts made while locked out', async () => {
    const t = await Throttle.open({ store, clock, rules: { principal: { maxFailures: 2 } } });
    await t.fail(['principal:w']);
    await t.fail(['principal:w']); // locked for a minute
    for (let i = 0; i < 5; i++) expect((await t.fail(['principal:w'])).allowed).toBe(false);
    clock.advance(MIN);
    // A fresh window: one failure does not lock again.
    expect(await t.fail(['principal:w'])).toEqual({ allowed: true, retryAfterMs: 0 });
  });

  it('purges records that no longer matter, and keeps those that do', async () => {
    const t = await Throttle.open({ store, clock });
    for (let i = 0; i < 30; i++) await t.fail([`principal:ghost-${i}`]);
    for (let i = 0; i < 5; i++) await t.fail(['principal:locked']);
    expect(await t.purge()).toBe(0); // everything is inside its window
    clock.advance(16 * MIN); // past the 15-minute window, inside the lockout memory
    await t.fail(['principal:recent']);
    expect(await t.purge()).toBe(30);
    expect(
      (await store.collection('access.throttle').list()).items.map((e) => e.key).sort(),
    ).toEqual(['principal:locked', 'principal:recent']);
    clock.advance(2 * 60 * MIN);
    expect(await t.purge({ limit: 1 })).toBe(1);
    expect(await t.purge()).toBe(1);
    await expect(t.purge({ limit: 0 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('a key given twice in one call counts once per call and does not fail', async () => {
    const t = await Throttle.open({ store, clock, rules: { principal: { maxFailures: 3 } } });
    const first = await t.fail(['principal:dup', 'principal:dup']).then(
      (s) => s,
      (e: unknown) => e,
    );
    expect(isPlinthError(first), String(first)).toBe(false);
    await t.fail(['principal:dup']);
    expect((await t.fail(['principal:dup'])).allowed).toBe(false);
  });
});

describe('Throttle over SQLite: two stores on one file', () => {
  it('failures from both instances add up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-thr-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    try {
      const path = join(dir, 't.sqlite');
      const s1 = await openStore({ adapter: sqliteAdapter({ path }), clock, purgeIntervalMs: 0 });
      const s2 = await openStore({ adapter: sqliteAdapter({ path }), clock, purgeIntervalMs: 0 });
      const a = await Throttle.open({ store: s1, clock });
      const b = await Throttle.open({ store: s2, clock });
      for (let i = 0; i < 4; i++) await (i % 2 === 0 ? a : b).fail(['principal:shared']);
      expect((await b.fail(['principal:shared'])).allowed).toBe(false);
      expect((await a.check(['principal:shared'])).allowed).toBe(false);
      await s1.close();
      await s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
