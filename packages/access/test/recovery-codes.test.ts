import { ManualClock } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RecoveryCodes,
  normalizeRecoveryCode,
  type RecoveryCodesOptions,
} from '../src/recovery-codes.js';
import { Throttle } from '../src/throttle.js';
import { MemoryAudit, failure } from './helpers/refusals.js';

const START = Date.UTC(2026, 0, 1);

describe('RecoveryCodes', () => {
  let store: Store;
  let clock: ManualClock;
  let audit: MemoryAudit;
  let codes: RecoveryCodes;
  const open = (extra: Partial<RecoveryCodesOptions> = {}) =>
    RecoveryCodes.open({ store, clock, audit, ...extra });

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter() });
    clock = new ManualClock(START);
    audit = new MemoryAudit();
    codes = await open();
  });
  afterEach(async () => {
    await codes.close();
    await store.close();
  });

  it('generates 10 distinct 60-bit codes and stores only their digests', async () => {
    const set = await codes.generate('alice');
    expect(set).toHaveLength(10);
    expect(new Set(set).size).toBe(10);
    for (const c of set)
      expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
    const doc = JSON.stringify((await store.collection('access.recovery').get('alice'))?.value);
    for (const c of set) {
      expect(doc).not.toContain(c);
      expect(doc).not.toContain(c.replace(/-/g, ''));
    }
    expect(await codes.remaining('alice')).toBe(10);
    expect(audit.records).toEqual([
      {
        type: 'recovery.generated',
        actor: 'alice',
        subject: 'alice',
        outcome: 'success',
        data: { count: 10 },
      },
    ]);
    expect(JSON.stringify(audit.records)).not.toContain(set[0]!.slice(0, 4) + set[0]!.slice(5, 9));
  });

  it('accepts each code once, in any typing; a used code is refused as used', async () => {
    const set = await codes.generate('alice');
    const verified: unknown[] = [];
    codes.on('mfa:verified', (e) => verified.push(e));
    expect(await codes.use('alice', set[0]!)).toEqual({ remaining: 9 });
    expect((await failure(codes.use('alice', set[0]!))).reason).toBe('used');
    // Upper case, no dashes, spaces, and the look-alike letters people type for 0 and 1.
    const typed = set[1]!.toUpperCase().replace(/-/g, ' ').replace(/0/g, 'O').replace(/1/g, 'l');
    expect(normalizeRecoveryCode(typed)).toBe(set[1]!.replace(/-/g, ''));
    expect(await codes.use('alice', typed)).toEqual({ remaining: 8 });
    expect(verified).toEqual([
      { at: START, principal: 'alice', factor: 'recovery' },
      { at: START, principal: 'alice', factor: 'recovery' },
    ]);
    expect(audit.records.filter((r) => r.type === 'recovery.used')).toEqual([
      {
        type: 'recovery.used',
        actor: 'alice',
        subject: 'alice',
        outcome: 'success',
        data: { remaining: 9 },
      },
      {
        type: 'recovery.used',
        actor: 'alice',
        subject: 'alice',
        outcome: 'success',
        data: { remaining: 8 },
      },
    ]);
    // Another principal's code does not work here (digests are bound to the principal).
    const bob = await codes.generate('bob');
    expect((await failure(codes.use('alice', bob[0]!))).reason).toBe('wrong');
  });

  it('regenerating replaces every earlier code', async () => {
    const first = await codes.generate('alice');
    const second = await codes.generate('alice');
    for (const c of first) {
      if (second.includes(c)) continue;
      expect((await failure(codes.use('alice', c))).reason).toBe('wrong');
      break;
    }
    expect(await codes.use('alice', second[3]!)).toEqual({ remaining: 9 });
  });

  it('says not enrolled without codes; throttles failures on the shared mfa key', async () => {
    expect((await failure(codes.use('carol', 'aaaa-bbbb-cccc'))).code).toBe('E_MFA_NOT_ENROLLED');
    const set = await codes.generate('alice');
    for (let i = 0; i < 5; i++) await failure(codes.use('alice', 'zzzz-zzzz-zzzz'));
    expect((await failure(codes.use('alice', set[0]!))).code).toBe('E_THROTTLED');
    clock.advance(60_000);
    expect((await codes.use('alice', set[0]!)).remaining).toBe(9);
    expect(audit.records.filter((r) => r.type === 'mfa.failed')[0]).toEqual({
      type: 'mfa.failed',
      actor: 'alice',
      subject: 'alice',
      outcome: 'failure',
      data: { factor: 'recovery', reason: 'wrong' },
    });
  });

  it('hostile input gets E_MFA_INVALID (or a typed argument error) and never changes the stored set', async () => {
    const throttle = await Throttle.open({
      store,
      clock,
      rules: { mfa: { maxFailures: 1_000_000 } },
    });
    const lenient = await open({ throttle });
    const set = await lenient.generate('alice');
    const before = (await store.collection('access.recovery').get('alice'))?.version;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.anything(),
          fc.constant('a'.repeat(100_000)),
          fc.nat(11).map((i) => {
            const c = set[0]!.replace(/-/g, '');
            return c.slice(0, i) + (c[i] === 'z' ? 'y' : 'z') + c.slice(i + 1);
          }),
        ),
        async (value) => {
          const r = await failure(lenient.use('alice', value as string));
          expect(r.code).toBe('E_MFA_INVALID');
          expect(['malformed', 'wrong']).toContain(r.reason);
        },
      ),
      { numRuns: 400 },
    );
    expect((await store.collection('access.recovery').get('alice'))?.version).toBe(before);
    expect((await failure(lenient.use('', set[0]!))).code).toBe('E_INVALID_NAME');
    expect(await lenient.remaining('alice')).toBe(10);
  });

  it('with a pepper, another pepper cannot match the codes; options are validated', async () => {
    const a = await open({ pepper: 'pepper-number-one-32-bytes-long!' });
    const b = await open({ pepper: 'pepper-number-two-32-bytes-long!' });
    const set = await a.generate('alice');
    expect((await failure(b.use('alice', set[0]!))).reason).toBe('wrong');
    expect((await a.use('alice', set[0]!)).remaining).toBe(9);
    expect((await failure(open({ count: 0 }))).code).toBe('E_INVALID_OPTION');
    expect((await failure(open({ pepper: 'short' }))).code).toBe('E_INVALID_OPTION');
    expect(await (await open({ count: 3 })).generate('dave')).toHaveLength(3);
    expect(await codes.clear('alice')).toBe(true);
    expect(await codes.remaining('alice')).toBeUndefined();
  });
});
