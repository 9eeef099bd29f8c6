import { verify as argon2Verify } from '@node-rs/argon2';
import { ManualClock, isPlinthError, type PlinthError } from '@plinth/core';
import { checkHostileCalls } from '@plinth/core/testing';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { scryptSync, timingSafeEqual } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';
import { Passwords, type PasswordsOptions } from '../src/passwords.js';
import { Throttle } from '../src/throttle.js';
import type { AuditRecordInput } from '../src/types.js';

const CHEAP_ARGON = { memoryCost: 256, timeCost: 1, parallelism: 1 };
const CHEAP_SCRYPT = { ln: 4, r: 8, p: 1 };

async function refusal(p: Promise<unknown>): Promise<PlinthError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isPlinthError(e), `expected a PlinthError, got ${String(e)}`).toBe(true);
  return e as PlinthError;
}

async function stored(store: Store, id: string): Promise<string> {
  const e = await store.collection<{ hash: string }>('access.passwords').get(id);
  return e!.value.hash;
}

describe('Passwords', () => {
  let store: Store;
  let clock: ManualClock;
  let records: AuditRecordInput[];
  let open: (o?: Partial<PasswordsOptions>) => Promise<Passwords>;
  const opened: Passwords[] = [];

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = await openStore({ adapter: memoryAdapter(), clock });
    records = [];
    open = async (o = {}) => {
      const p = await Passwords.open({
        store,
        clock,
        params: CHEAP_ARGON,
        audit: { append: async (r) => void records.push(r) },
        ...o,
      });
      opened.push(p);
      return p;
    };
  });
  afterEach(async () => {
    for (const p of opened.splice(0)) await p.close();
    await store.close();
  });

  it('stores argon2id with its parameters and verifies the right password only', async () => {
    const pw = await open();
    await pw.setPassword('alice', 'correct horse battery');
    const hash = await stored(store, 'alice');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The binding itself agrees with what we stored (independent of our parser).
    expect(await argon2Verify(hash, 'correct horse battery')).toBe(true);
    expect(await pw.verifyPassword('alice', 'correct horse battery')).toEqual({
      principalId: 'alice',
      rehashed: false,
    });
    const wrong = await refusal(pw.verifyPassword('alice', 'correct horse batterY'));
    expect(wrong.code).toBe('E_INVALID_CREDENTIALS');
    // Two hashes of one password differ (fresh salt each time).
    await pw.setPassword('bob', 'correct horse battery');
    expect(await stored(store, 'bob')).not.toBe(hash);
  });

  it('an unknown principal gets the same error, message and details as a wrong password', async () => {
    const pw = await open();
    await pw.setPassword('alice', 'correct horse battery');
    const wrong = await refusal(pw.verifyPassword('alice', 'nope nope nope'));
    const unknown = await refusal(pw.verifyPassword('mallory', 'nope nope nope'));
    const invalid = await refusal(pw.verifyPassword('bad\u0000id', 'nope nope nope'));
    for (const e of [unknown, invalid]) {
      expect(e.code).toBe(wrong.code);
      expect(e.message).toBe(wrong.message);
      expect(e.details).toEqual(wrong.details);
    }
    const failed = records.filter((r) => r.type === 'login.failed');
    expect(failed.map((r) => r.subject)).toEqual(['alice', 'mallory', '(invalid)']);
    expect(new Set(failed.map((r) => JSON.stringify(r.data)))).toHaveProperty('size', 1);
  });

  it('an unknown principal costs as much as a wrong password (dummy hash with current parameters)', async () => {
    const pw = await open({ params: {} }); // production argon2id parameters
    await pw.setPassword('alice', 'correct horse battery');
    const time = async (id: string) => {
      const t = process.hrtime.bigint();
      await pw.verifyPassword(id, 'wrong password!').catch(() => {});
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    await time('alice'); // warm up
    for (let i = 0; i < 10; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`ghost${i}`));
      clock.advance(3_600_000); // stay clear of the lockout
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
    const ratio = median(unknown) / median(known);
    process.stdout.write(
      `[passwords] argon2id default verify: known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms, ratio ${ratio.toFixed(2)}\n`,
    );
    expect(median(known)).toBeGreaterThan(5); // a real hash ran
    // Without the dummy hash an unknown principal would cost a store read (ratio ≈ 0.01).
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  }, 60_000);

  it('upgrades outdated parameters and the other hasher on the next successful login', async () => {
    const old = await open({ params: { memoryCost: 128, timeCost: 1, parallelism: 1 } });
    await old.setPassword('alice', 'correct horse battery');
    const before = await stored(store, 'alice');
    expect(before).toContain('m=128,t=1');
    const current = await open({ params: { memoryCost: 512, timeCost: 2, parallelism: 1 } });
    expect(current.needsRehash(before)).toBe(true);
    const events: unknown[] = [];
    current.on('password:rehashed', (e) => events.push(e));
    await expect(current.verifyPassword('alice', 'nope nope nope')).rejects.toThrow();
    expect(await stored(store, 'alice')).toBe(before); // a failed login never rehashes
    expect((await current.verifyPassword('alice', 'correct horse battery')).rehashed).toBe(true);
    const after = await stored(store, 'alice');
    expect(after).toContain('m=512,t=2');
    expect(current.needsRehash(after)).toBe(false);
    expect((await current.verifyPassword('alice', 'correct horse battery')).rehashed).toBe(false);
    expect(events).toHaveLength(1);
    expect(records.filter((r) => r.type === 'password.rehashed')).toHaveLength(1);
    // scrypt → argon2id
    const legacy = await open({ hasher: 'scrypt', params: CHEAP_SCRYPT });
    await legacy.setPassword('bob', 'legacy password 1');
    expect(await stored(store, 'bob')).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    expect((await current.verifyPassword('bob', 'legacy password 1')).rehashed).toBe(true);
    expect(await stored(store, 'bob')).toMatch(/^\$argon2id\$/);
    // and back: a host that must run without the native binding
    expect((await legacy.verifyPassword('bob', 'legacy password 1')).rehashed).toBe(true);
    expect(await stored(store, 'bob')).toMatch(/^\$scrypt\$/);
  });

  it('writes scrypt as a PHC string node:crypto reproduces from its own fields', async () => {
    const pw = await open({ hasher: 'scrypt', params: { ln: 10, r: 8, p: 2 } });
    await pw.setPassword('carol', 'pässwörd wïth ümlauts');
    const hash = await stored(store, 'carol');
    const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(hash)!;
    expect(m.slice(1, 4)).toEqual(['10', '8', '2']);
    const salt = Buffer.from(m[4]!, 'base64');
    const key = Buffer.from(m[5]!, 'base64');
    expect(salt).toHaveLength(16);
    const again = scryptSync(Buffer.from('pässwörd wïth ümlauts'.normalize('NFKC')), salt, 32, {
      N: 1024,
      r: 8,
      p: 2,
    });
    expect(timingSafeEqual(again, key)).toBe(true);
    expect((await pw.verifyPassword('carol', 'pässwörd wïth ümlauts')).principalId).toBe('carol');
    await expect(pw.verifyPassword('carol', 'passwörd wïth ümlauts')).rejects.toThrow();
  });

  it('enforces NIST length rules before hashing: code points, UTF-8 bytes, NFKC', async () => {
    const pw = await open({ minLength: 8, maxBytes: 64 });
    const rule = async (password: string) =>
      (await refusal(pw.setPassword('dave', password))).details;
    expect(await rule('seven77')).toMatchObject({ rule: 'min-length' });
    expect(await rule('😀😀😀😀😀😀😀')).toMatchObject({ rule: 'min-length' }); // 7 code points, 28 bytes
    await pw.setPassword('dave', '😀😀😀😀😀😀😀😀'); // 8 code points
    expect(await rule('€'.repeat(22))).toMatchObject({ rule: 'max-length' }); // 66 bytes
    expect(await rule('a'.repeat(100_000))).toMatchObject({ rule: 'max-length' });
    expect(await rule('abcdefgh\ud800')).toMatchObject({ rule: 'characters' });
    await pw.setPassword('erin', 'a'.repeat(64));
    expect((await refusal(pw.setPassword('erin', 'a'.repeat(65)))).code).toBe('E_PASSWORD_POLICY');
    // NFKC: the ligature "ﬁ" and "fi" are one password
    await pw.setPassword('frank', 'ﬁnancial-secret');
    expect((await pw.verifyPassword('frank', 'financial-secret')).principalId).toBe('frank');
    // An oversized password at login is a plain failure, not an exception
    expect((await refusal(pw.verifyPassword('frank', 'x'.repeat(1_000_000)))).code).toBe(
      'E_INVALID_CREDENTIALS',
    );
  });

  it('locks a principal out after 5 failures, even for the right password, and lets it back after the lockout', async () => {
    const pw = await open();
    await pw.setPassword('alice', 'correct horse battery');
    for (let i = 0; i < 5; i++) {
      expect((await refusal(pw.verifyPassword('alice', `wrong ${i}!!`))).code).toBe(
        'E_INVALID_CREDENTIALS',
      );
    }
    const locked = await refusal(pw.verifyPassword('alice', 'correct horse battery'));
    expect(locked.code).toBe('E_THROTTLED');
    expect(locked.details.retryAfterMs).toBe(60_000);
    expect(records.filter((r) => r.type === 'login.locked')).toHaveLength(1);
    clock.advance(59_999);
    expect((await refusal(pw.verifyPassword('alice', 'correct horse battery'))).code).toBe(
      'E_THROTTLED',
    );
    clock.advance(1);
    expect((await pw.verifyPassword('alice', 'correct horse battery')).principalId).toBe('alice');
    // a success clears the failures: four more do not lock
    for (let i = 0; i < 4; i++) await pw.verifyPassword('alice', 'bad bad bad').catch(() => {});
    expect((await pw.verifyPassword('alice', 'correct horse battery')).principalId).toBe('alice');
  });

  it('a burst of parallel guesses cannot outrun the lockout', async () => {
    const pw = await open();
    await pw.setPassword('alice', 'correct horse battery');
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => pw.verifyPassword('alice', `guess number ${i}`)),
    );
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as PlinthError).code : 'ok',
    );
    expect(codes.filter((c) => c === 'E_INVALID_CREDENTIALS')).toHaveLength(5);
    expect(codes.filter((c) => c === 'E_THROTTLED')).toHaveLength(25);
  });

  it('locks unknown principals exactly like known ones (lockout does not reveal existence)', async () => {
    const pw = await open();
    await pw.setPassword('alice', 'correct horse battery');
    const codes = async (id: string) => {
      const out: string[] = [];
      for (let i = 0; i < 7; i++)
        out.push((await refusal(pw.verifyPassword(id, 'bad bad bad'))).code);
      return out;
    };
    expect(await codes('ghost')).toEqual(await codes('alice'));
    expect((await codes('nobody'))[5]).toBe('E_THROTTLED');
  });

  it('locks a source that sprays many principals, and only that source', async () => {
    const throttle = await Throttle.open({
      store,
      clock,
      rules: { source: { maxFailures: 10 } },
    });
    const pw = await open({ throttle });
    await pw.setPassword('target', 'correct horse battery');
    for (let i = 0; i < 10; i++) {
      await pw.verifyPassword(`user${i}`, 'Winter2026!', { source: '203.0.113.7' }).catch(() => {});
    }
    const e = await refusal(
      pw.verifyPassword('target', 'correct horse battery', { source: '203.0.113.7' }),
    );
    expect(e.code).toBe('E_THROTTLED');
    expect(
      (await pw.verifyPassword('target', 'correct horse battery', { source: '198.51.100.1' }))
        .principalId,
    ).toBe('target');
  });

  it('mixes in a pepper: the stored hash alone does not verify, and old hashes get peppered', async () => {
    const plain = await open();
    await plain.setPassword('gina', 'correct horse battery');
    const peppered = await open({ pepper: 'server-side-secret-0123456789' });
    expect((await peppered.verifyPassword('gina', 'correct horse battery')).rehashed).toBe(true);
    const hash = await stored(store, 'gina');
    expect(await argon2Verify(hash, 'correct horse battery')).toBe(false);
    expect((await peppered.verifyPassword('gina', 'correct horse battery')).rehashed).toBe(false);
    const otherPepper = await open({ pepper: 'another-secret-9876543210' });
    expect((await refusal(otherPepper.verifyPassword('gina', 'correct horse battery'))).code).toBe(
      'E_INVALID_CREDENTIALS',
    );
    const noPepper = await open();
    expect((await refusal(noPepper.verifyPassword('gina', 'correct horse battery'))).code).toBe(
      'E_INVALID_CREDENTIALS',
    );
  });

  it('a damaged stored hash is a plain login failure, never an exception', async () => {
    const pw = await open();
    await pw.setPassword('mia', 'correct horse battery');
    const c = store.collection<{ hash: string }>('access.passwords');
    for (const hash of [
      '',
      '$argon2id$v=19$m=1,t=1,p=1$$',
      '$scrypt$ln=99,r=8,p=1$AAAA$BBBB',
      'plain',
    ]) {
      const doc = (await c.get('mia'))!.value;
      await c.put('mia', { ...doc, hash });
      expect((await refusal(pw.verifyPassword('mia', 'correct horse battery'))).code).toBe(
        'E_INVALID_CREDENTIALS',
      );
      clock.advance(3_600_000);
    }
  });

  it('changePassword checks the policy, then the current password like a login, then sets the new one', async () => {
    const pw = await open();
    await pw.setPassword('kim', 'first password 1');
    expect((await refusal(pw.changePassword('kim', 'first password 1', 'short'))).code).toBe(
      'E_PASSWORD_POLICY',
    );
    expect(
      (await refusal(pw.changePassword('kim', 'wrong password 1', 'second password 2'))).code,
    ).toBe('E_INVALID_CREDENTIALS');
    expect(
      (await refusal(pw.changePassword('ghost', 'wrong password 1', 'second password 2'))).code,
    ).toBe('E_INVALID_CREDENTIALS');
    await pw.changePassword('kim', 'first password 1', 'second password 2');
    expect((await pw.verifyPassword('kim', 'second password 2')).principalId).toBe('kim');
    expect((await refusal(pw.verifyPassword('kim', 'first password 1'))).code).toBe(
      'E_INVALID_CREDENTIALS',
    );
    expect(records.filter((r) => r.type === 'password.changed').at(-1)?.actor).toBe('kim');
  });

  it('fails closed when the audit sink fails on the login path', async () => {
    const pw = await open({
      audit: {
        append: async () => {
          throw new Error('disk full');
        },
      },
    });
    await expect(pw.setPassword('lee', 'correct horse battery')).rejects.toMatchObject({
      code: 'E_STORAGE',
    });
    const e = await refusal(pw.verifyPassword('lee', 'correct horse battery'));
    expect(e.code).toBe('E_STORAGE');
    expect(JSON.stringify([e.message, e.details])).not.toContain('correct horse');
  });

  it('never lets the password reach events, audit records or errors', async () => {
    const pw = await open();
    const seen: unknown[] = [];
    pw.subscribe((name, payload) => seen.push({ name, payload }));
    const secret = 'Zebra-Quartz-8812';
    await pw.setPassword('hank', secret);
    await pw.verifyPassword('hank', secret, { source: '192.0.2.1' });
    const e = await refusal(pw.verifyPassword('hank', `${secret}x`));
    const p = await refusal(pw.setPassword('hank', 'Zebra'));
    const text = JSON.stringify([seen, records, e.message, e.details, p.message, p.details]);
    expect(text).not.toContain('Zebra');
    expect(records.map((r) => r.type)).toEqual([
      'password.changed',
      'login.succeeded',
      'login.failed',
    ]);
    expect(seen.map((s) => (s as { name: string }).name)).toEqual([
      'password:changed',
      'login:succeeded',
      'login:failed',
    ]);
  });

  it('round-trips arbitrary Unicode passwords and refuses any one-character change', async () => {
    const pw = await open();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 }),
        async (password, suffix) => {
          clock.advance(3_600_000);
          await pw.setPassword('ivy', password);
          expect((await pw.verifyPassword('ivy', password)).principalId).toBe('ivy');
          if ((password + suffix).normalize('NFKC') !== password.normalize('NFKC')) {
            const e = await refusal(pw.verifyPassword('ivy', password + suffix));
            expect(e.code).toBe('E_INVALID_CREDENTIALS');
          }
        },
      ),
      { seed: 20261208, numRuns: 40 },
    );
  });

  it('hostile arguments get typed errors and never a partial write', async () => {
    const pw = await open();
    await pw.setPassword('alice', 'correct horse battery');
    const snapshot = async () =>
      JSON.stringify((await store.collection('access.passwords').list({ limit: 1000 })).items);
    const result = await checkHostileCalls({
      target: pw,
      calls: [
        ['setPassword', (t, a, b) => t.setPassword(a as string, b as string)],
        ['setPassword(zed)', (t, a) => t.setPassword('zed', a as string)],
        ['verifyPassword', (t, a, b) => t.verifyPassword(a as string, b as string)],
        ['verifyPassword(alice)', (t, a, b) => t.verifyPassword('alice', a as string, b as never)],
        ['hasPassword', (t, a) => t.hasPassword(a as string)],
        ['changePassword', (t, a, b) => t.changePassword('alice', a as string, b as string)],
        ['deletePassword', (t, a) => t.deletePassword(a as string)],
      ],
      codes: ERROR_CODES,
      snapshot,
      seed: 7,
      numRuns: 300,
    });
    expect(result.rejected).toBeGreaterThan(250);
    clock.advance(3_600_000); // the hostile logins for alice locked her out
    expect((await pw.verifyPassword('alice', 'correct horse battery')).principalId).toBe('alice');
  });

  it('refuses bad options naming the option', async () => {
    const bad = async (o: Record<string, unknown>, option: string) => {
      const e = await refusal(Passwords.open({ store, ...o } as PasswordsOptions));
      expect(e.code).toBe('E_INVALID_OPTION');
      expect(e.details.option).toBe(option);
    };
    await bad({ hasher: 'bcrypt' }, 'hasher');
    await bad({ params: { memoryCost: 4 } }, 'params.memoryCost');
    await bad({ hasher: 'scrypt', params: { memoryCost: 1024 } }, 'params.memoryCost');
    await bad({ hasher: 'scrypt', params: { ln: 40 } }, 'params.ln');
    await bad({ minLength: 0 }, 'minLength');
    await bad({ pepper: '' }, 'pepper');
    await bad({ store: {} }, 'store');
    await bad({ minLenght: 8 }, 'minLenght');
  });
});

describe('Passwords over SQLite', () => {
  it('a hash written before a restart verifies after it, and lockouts survive it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-pw-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    try {
      const path = join(dir, 'a.sqlite');
      let store = await openStore({ adapter: sqliteAdapter({ path }), clock });
      let pw = await Passwords.open({ store, clock, params: CHEAP_ARGON });
      await pw.setPassword('alice', 'correct horse battery');
      for (let i = 0; i < 5; i++) await pw.verifyPassword('alice', 'bad bad bad').catch(() => {});
      await pw.close();
      await store.close();
      store = await openStore({ adapter: sqliteAdapter({ path }), clock });
      pw = await Passwords.open({ store, clock, params: CHEAP_ARGON });
      expect((await refusal(pw.verifyPassword('alice', 'correct horse battery'))).code).toBe(
        'E_THROTTLED',
      );
      clock.advance(60_000);
      expect((await pw.verifyPassword('alice', 'correct horse battery')).principalId).toBe('alice');
      await pw.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
