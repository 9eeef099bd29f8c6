import { ManualClock } from '@plinth/core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyring, generateKey, memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import fc from 'fast-check';
import { generate, generateURI, verify as otplibVerify } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessEvents } from '../src/events.js';
import { Throttle } from '../src/throttle.js';
import {
  Totp,
  decodeBase32,
  encodeBase32,
  generateTotp,
  hotpCode,
  otpauthUri,
  totpCode,
  type TotpAlgorithm,
  type TotpOptions,
} from '../src/totp.js';
import { MemoryAudit, failure } from './helpers/refusals.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);

const otplibName = (a: TotpAlgorithm) => a.toLowerCase() as 'sha1' | 'sha256' | 'sha512';

describe('RFC vectors', () => {
  it('RFC 4226 Appendix D: HOTP values of counters 0–9', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    expect(expected.map((_, c) => hotpCode(key, c, 'SHA1', 6))).toEqual(expected);
  });

  it('RFC 6238 Appendix B: TOTP values for SHA-1, SHA-256 and SHA-512, 8 digits, at the listed times', () => {
    const seeds: Record<TotpAlgorithm, Buffer> = {
      SHA1: Buffer.from('12345678901234567890', 'ascii'),
      SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
      SHA512: Buffer.from(
        '1234567890123456789012345678901234567890123456789012345678901234',
        'ascii',
      ),
    };
    const table: Array<[number, string, string, string]> = [
      [59, '94287082', '46119246', '90693936'],
      [1111111109, '07081804', '68084774', '25091201'],
      [1111111111, '14050471', '67062674', '99943326'],
      [1234567890, '89005924', '91819424', '93441116'],
      [2000000000, '69279037', '90698825', '38618901'],
      [20000000000, '65353130', '77737706', '47863826'],
    ];
    for (const [t, sha1, sha256, sha512] of table) {
      expect(totpCode(seeds.SHA1, t * 1000, 'SHA1', 8, 30)).toBe(sha1);
      expect(totpCode(seeds.SHA256, t * 1000, 'SHA256', 8, 30)).toBe(sha256);
      expect(totpCode(seeds.SHA512, t * 1000, 'SHA512', 8, 30)).toBe(sha512);
      // The same through the base32 path hosts use.
      expect(generateTotp(encodeBase32(seeds.SHA1), t * 1000, { digits: 8 })).toBe(sha1);
    }
  });

  it('RFC 4648 §10: base32 test vectors, both ways', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY======'],
      ['fo', 'MZXQ===='],
      ['foo', 'MZXW6==='],
      ['foob', 'MZXW6YQ='],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI======'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase32(Buffer.from(plain), { pad: true })).toBe(encoded);
      expect(decodeBase32(encoded).toString()).toBe(plain);
      expect(decodeBase32(encoded.toLowerCase().replace(/=/g, '')).toString()).toBe(plain);
    }
  });

  it('base32 round-trips any bytes and refuses characters outside the alphabet with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect([...decodeBase32(encodeBase32(bytes))]).toEqual([...bytes]);
      }),
    );
    for (const bad of ['MZXW1', 'MZ XW6YQ0', 'é', 'A', 'ABC', 42, 'A'.repeat(2000)]) {
      expect(() => decodeBase32(bad)).toThrow(
        expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('differential against otplib (seeded)', () => {
  const params = fc.record({
    secret: fc.uint8Array({ minLength: 20, maxLength: 64 }),
    // Seconds from 1970 to 2100.
    time: fc.integer({ min: 0, max: 4_102_444_800 }),
    algorithm: fc.constantFrom<TotpAlgorithm>('SHA1', 'SHA256', 'SHA512'),
    digits: fc.constantFrom(6, 7, 8),
    period: fc.constantFrom(15, 30, 60, 90),
  });

  it('our codes equal otplib codes, and otplib accepts ours', async () => {
    await fc.assert(
      fc.asyncProperty(params, async ({ secret, time, algorithm, digits, period }) => {
        const b32 = encodeBase32(secret);
        const ours = generateTotp(b32, time * 1000, { algorithm, digits, period });
        const theirs = await generate({
          secret: b32,
          epoch: time,
          algorithm: otplibName(algorithm),
          digits: digits as 6 | 7 | 8,
          period,
        });
        expect(ours).toBe(theirs);
        const check = await otplibVerify({
          secret: b32,
          token: ours,
          epoch: time,
          algorithm: otplibName(algorithm),
          digits: digits as 6 | 7 | 8,
          period,
        });
        expect(check.valid).toBe(true);
      }),
      { seed: 6238, numRuns: 400 },
    );
  });

  it('Totp.verify accepts codes otplib generates, for every algorithm and digit count, within ±1 step', async () => {
    const store = await openStore({ adapter: memoryAdapter() });
    const clock = new ManualClock(START);
    const throttle = await Throttle.open({
      store,
      clock,
      rules: { mfa: { maxFailures: 1_000_000 } },
    });
    const instances = new Map<string, Totp>();
    const instance = async (algorithm: TotpAlgorithm, digits: number) => {
      const name = `${algorithm}/${digits}`;
      let t = instances.get(name);
      if (t === undefined) {
        t = await Totp.open({ store, clock, throttle, algorithm, digits });
        instances.set(name, t);
      }
      return t;
    };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<TotpAlgorithm>('SHA1', 'SHA256', 'SHA512'),
        fc.constantFrom(6, 7, 8),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: -1, max: 1 }),
        async (algorithm, digits, advanceS, offset) => {
          const totp = await instance(algorithm, digits);
          const principal = `user-${n++}`;
          const { secret, algorithm: alg, digits: d } = await totp.enroll(principal);
          expect([alg, d]).toEqual([algorithm, digits]);
          const opts = { algorithm: otplibName(algorithm), digits: digits as 6 | 7 | 8 };
          await totp.confirm(
            principal,
            await generate({ secret, epoch: Math.floor(clock.now() / 1000), ...opts }),
          );
          clock.advance(advanceS * 1000 + 60_000);
          const epoch = Math.floor(clock.now() / 1000) + offset * 30;
          const code = await generate({ secret, epoch, ...opts });
          const { step } = await totp.verify(principal, code);
          expect(step).toBe(Math.floor(epoch / 30));
        },
      ),
      { seed: 4226, numRuns: 120 },
    );
    await store.close();
  });

  it('otpauthUri produces the same Key URI as otplib', () => {
    const secret = encodeBase32(Buffer.from('12345678901234567890'));
    for (const [issuer, account, algorithm, digits, period] of [
      ['Acme Co', 'alice@example.com', 'SHA256', 8, 60],
      ['Plinth', 'bob', 'SHA1', 6, 30],
      ['Ünïcode & Sons', 'c d+e/f?g', 'SHA512', 7, 30],
    ] as const) {
      const ours = otpauthUri({ secret, issuer, account, algorithm, digits, period });
      const theirs = generateURI({
        issuer,
        label: account,
        secret,
        algorithm: otplibName(algorithm),
        digits,
        period,
      });
      const a = new URL(ours);
      const b = new URL(theirs);
      expect(a.pathname).toBe(b.pathname);
      // otplib leaves out parameters at their defaults; ours always states them.
      for (const [k, v] of b.searchParams) expect(a.searchParams.get(k)).toBe(v);
      if (ours.length === theirs.length) expect(ours).toBe(theirs);
      if (period === 60) expect(ours).toBe(theirs); // the row with no default parameter
      expect([
        a.searchParams.get('algorithm'),
        a.searchParams.get('digits'),
        a.searchParams.get('period'),
      ]).toEqual([algorithm, String(digits), String(period)]);
      const url = new URL(ours);
      expect(url.protocol).toBe('otpauth:');
      expect(url.searchParams.get('secret')).toBe(secret);
      expect(url.searchParams.get('issuer')).toBe(issuer);
    }
    expect(() => otpauthUri({ secret, issuer: 'a:b', account: 'x' })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});

describe('Totp enrolment and verification', () => {
  let store: Store;
  let clock: ManualClock;
  let audit: MemoryAudit;
  let totp: Totp;
  const open = (extra: Partial<TotpOptions> = {}) => Totp.open({ store, clock, audit, ...extra });
  const codeAt = (secret: string, ms: number) => generateTotp(secret, ms);

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter() });
    clock = new ManualClock(START);
    audit = new MemoryAudit();
    totp = await open();
  });
  afterEach(async () => {
    await totp.close();
    await store.close();
  });

  async function enrolled(principal = 'alice'): Promise<string> {
    const { secret } = await totp.enroll(principal, { account: `${principal}@example.com` });
    await totp.confirm(principal, codeAt(secret, clock.now()));
    clock.advance(30_000);
    return secret;
  }

  it('enrols with a 160-bit seed and an otpauth URI; pending until confirmed', async () => {
    const events: Array<keyof AccessEvents> = [];
    for (const name of ['mfa:enrolled', 'mfa:verified', 'mfa:failed'] as const)
      totp.on(name, () => events.push(name));
    const e = await totp.enroll('alice', { account: 'alice@example.com', issuer: 'Acme' });
    expect(decodeBase32(e.secret)).toHaveLength(20);
    expect(e.uri).toBe(
      `otpauth://totp/Acme:alice%40example.com?secret=${e.secret}&issuer=Acme&algorithm=SHA1&digits=6&period=30`,
    );
    expect((await totp.status('alice'))?.confirmed).toBe(false);
    expect((await failure(totp.verify('alice', codeAt(e.secret, clock.now())))).code).toBe(
      'E_MFA_NOT_ENROLLED',
    );
    expect((await failure(totp.confirm('alice', '000000'))).reason).toBe(
      codeAt(e.secret, clock.now()) === '000000' ? undefined : 'wrong',
    );
    await totp.confirm('alice', codeAt(e.secret, clock.now()));
    expect((await totp.status('alice'))?.confirmed).toBe(true);
    expect((await failure(totp.enroll('alice'))).code).toBe('E_EXISTS');
    expect((await failure(totp.confirm('alice', codeAt(e.secret, clock.now())))).code).toBe(
      'E_EXISTS',
    );
    expect(events).toEqual(['mfa:failed', 'mfa:enrolled']);
    expect(audit.records.map((r) => [r.type, r.outcome])).toEqual([
      ['mfa.failed', 'failure'],
      ['mfa.enrolled', 'success'],
    ]);
    const stored = JSON.stringify(audit.records);
    expect(stored).not.toContain(e.secret);
  });

  it('refuses a replayed code, also on the next step, and any code of a step at or before the last accepted', async () => {
    const secret = await enrolled();
    const code = codeAt(secret, clock.now());
    const { step } = await totp.verify('alice', code);
    expect(step).toBe(Math.floor(clock.now() / 30_000));
    expect((await failure(totp.verify('alice', code))).reason).toBe('replayed');
    clock.advance(30_000);
    expect((await failure(totp.verify('alice', code))).reason).toBe('replayed'); // still in the window
    // The previous step's code is inside the window but not newer than the last accepted one.
    const next = codeAt(secret, clock.now());
    await totp.verify('alice', next);
    expect((await failure(totp.verify('alice', codeAt(secret, clock.now() - 30_000)))).reason).toBe(
      'replayed',
    );
  });

  it('accepts ±1 step by default, not ±2; window 0 accepts only the current step', async () => {
    const secret = await enrolled();
    clock.advance(60_000); // two steps past the confirmation, so the step before now is fresh
    const now = clock.now();
    expect((await failure(totp.verify('alice', codeAt(secret, now - 60_000)))).reason).toBe(
      'wrong',
    );
    expect((await failure(totp.verify('alice', codeAt(secret, now + 60_000)))).reason).toBe(
      'wrong',
    );
    await totp.verify('alice', codeAt(secret, now - 30_000));
    await totp.verify('alice', codeAt(secret, now + 30_000));
    const strict = await open({ window: 0 });
    const { secret: s2 } = await strict.enroll('bob');
    await strict.confirm('bob', codeAt(s2, clock.now()));
    clock.advance(60_000);
    expect((await failure(strict.verify('bob', codeAt(s2, clock.now() + 30_000)))).reason).toBe(
      'wrong',
    );
    await strict.verify('bob', codeAt(s2, clock.now()));
  });

  it('throttles after 5 failures (even the right code), lets the right code in after the lockout and resets', async () => {
    const secret = await enrolled();
    const wrong = codeAt(secret, clock.now()) === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++)
      expect((await failure(totp.verify('alice', wrong))).reason).toBe('wrong');
    const locked = await failure(totp.verify('alice', codeAt(secret, clock.now())));
    expect(locked.code).toBe('E_THROTTLED');
    expect(
      (locked.error as unknown as { details: { retryAfterMs: number } }).details.retryAfterMs,
    ).toBe(60_000);
    clock.advance(60_000);
    await totp.verify('alice', codeAt(secret, clock.now()));
    // Reset: four more failures do not lock again.
    for (let i = 0; i < 4; i++) await failure(totp.verify('alice', wrong));
    clock.advance(30_000);
    await totp.verify('alice', codeAt(secret, clock.now()));
    // A source is throttled too.
    const failed = audit.records.filter((r) => r.type === 'mfa.failed');
    expect(failed).toHaveLength(9);
    expect(failed[0]).toEqual({
      type: 'mfa.failed',
      actor: 'alice',
      subject: 'alice',
      outcome: 'failure',
      data: { factor: 'totp', reason: 'wrong' },
    });
  });

  it('hostile codes get E_MFA_INVALID and never touch the enrolment', async () => {
    const throttle = await Throttle.open({
      store,
      clock,
      rules: { mfa: { maxFailures: 1_000_000 } },
    });
    const lenient = await open({ throttle });
    const { secret } = await lenient.enroll('alice');
    await lenient.confirm('alice', codeAt(secret, clock.now()));
    const doc = await store.collection('access.totp').get('alice');
    const current = codeAt(secret, clock.now());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^[0-9]{1,10}$/),
          fc.anything(),
          fc.constant('1'.repeat(100_000)),
          fc.constant(`${current} `.repeat(3)),
          fc.constant(current.replace(/./, 'x')),
        ),
        async (code) => {
          if (code === current) return;
          const r = await failure(lenient.verify('alice', code as string));
          expect(r.code).toBe('E_MFA_INVALID');
          expect(['malformed', 'wrong', 'replayed']).toContain(r.reason);
          expect(r.error.message).not.toContain(secret);
        },
      ),
      { numRuns: 500 },
    );
    expect((await store.collection('access.totp').get('alice'))?.version).toBe(doc?.version);
    expect((await failure(lenient.verify('bad\u0000id', '123456'))).code).toBe('E_INVALID_NAME');
    expect(
      (await failure(lenient.verify('alice', '123456', { source: 'x'.repeat(300) }))).code,
    ).toBe('E_INVALID_NAME');
  });

  it('disables an enrolment; verify then says not enrolled', async () => {
    const secret = await enrolled();
    const events: unknown[] = [];
    totp.on('mfa:disabled', (e) => events.push(e));
    expect(await totp.disable('alice', { actor: 'admin' })).toBe(true);
    expect(await totp.disable('alice')).toBe(false);
    expect(await totp.status('alice')).toBeUndefined();
    expect((await failure(totp.verify('alice', codeAt(secret, clock.now())))).code).toBe(
      'E_MFA_NOT_ENROLLED',
    );
    expect(events).toEqual([{ at: clock.now(), principal: 'alice' }]);
    expect(audit.records.at(-1)).toMatchObject({
      type: 'mfa.disabled',
      actor: 'admin',
      subject: 'alice',
    });
  });

  it('audits and emits mfa.verified with the source', async () => {
    const secret = await enrolled();
    const verified: AccessEvents['mfa:verified'][] = [];
    totp.on('mfa:verified', (e) => verified.push(e));
    await totp.verify('alice', codeAt(secret, clock.now()), { source: '198.51.100.4' });
    expect(verified).toEqual([{ at: clock.now(), principal: 'alice', factor: 'totp' }]);
    expect(audit.records.at(-1)).toEqual({
      type: 'mfa.verified',
      actor: 'alice',
      subject: 'alice',
      outcome: 'success',
      source: '198.51.100.4',
      data: { factor: 'totp' },
    });
  });

  it('validates its options', async () => {
    for (const [extra, option] of [
      [{ digits: 5 }, 'digits'],
      [{ digits: 9 }, 'digits'],
      [{ algorithm: 'MD5' }, 'algorithm'],
      [{ secretBytes: 10 }, 'secretBytes'],
      [{ window: -1 }, 'window'],
      [{ throttle: {} }, 'throttle'],
      [{ issuer: 'a:b' }, 'issuer'],
    ] as const) {
      const r = await failure(Totp.open({ store, ...extra } as unknown as TotpOptions));
      expect(r.code).toBe('E_INVALID_OPTION');
      expect((r.error as unknown as { details: { option: string } }).details.option).toBe(option);
    }
  });
});

describe('Totp seeds at rest (SQLite file)', () => {
  it('are in the file in clear without codecs, and absent from it with codecs.encryption', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-totp-'));
    try {
      const seedIn = async (file: string, encrypted: boolean) => {
        const path = join(dir, file);
        const store = await openStore({
          adapter: sqliteAdapter({ path }),
          ...(encrypted && {
            codecs: {
              encryption: { keyring: createKeyring({ active: { id: 'k1', key: generateKey() } }) },
            },
          }),
        });
        const clock = new ManualClock(START);
        const totp = await Totp.open({ store, clock });
        const { secret } = await totp.enroll('alice');
        await totp.confirm('alice', generateTotp(secret, clock.now()));
        await totp.close();
        await store.close();
        const bytes = ['', '-wal']
          .map((suffix) => {
            try {
              return readFileSync(path + suffix).toString('latin1');
            } catch {
              return '';
            }
          })
          .join('');
        return bytes.includes(secret);
      };
      expect(await seedIn('plain.sqlite', false)).toBe(true);
      expect(await seedIn('sealed.sqlite', true)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
