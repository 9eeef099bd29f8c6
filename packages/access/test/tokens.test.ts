import { ManualClock, isPlinthError, type PlinthError } from '@plinth/core';
import { checkHostileCalls } from '@plinth/core/testing';
import { memoryAdapter, openStore } from '@plinth/storage';
import fc from 'fast-check';
import {
  SignJWT,
  UnsecuredJWT,
  createLocalJWKSet,
  decodeJwt,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';
import { Tokens, type TokenAlgorithm, type TokensOptions } from '../src/tokens.js';

const ISS = 'https://auth.plinth.test';
const AUD = 'plinth-api';
const T0 = Date.UTC(2026, 0, 1);

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
  expect(e.code).toBe('E_TOKEN_INVALID');
  return e.details.reason;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function keyPair(alg: TokenAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function setup(alg: TokenAlgorithm, extra: Partial<TokensOptions> = {}) {
  const clock = new ManualClock(T0);
  const { privateKey, publicKey } = keyPair(alg);
  const tokens = await Tokens.open({
    issuer: ISS,
    audience: [AUD, 'admin-api'],
    algorithm: alg,
    ttlMs: 600_000,
    clockToleranceMs: 5000,
    keys: [{ privateKey, kid: 'k1' }],
    clock,
    ...extra,
  });
  return { clock, tokens, privateKey, publicKey };
}

/** Signs with jose directly, with any header and claims (for hand-made tokens). */
async function forge(
  key: KeyObject | Uint8Array,
  header: Record<string, unknown>,
  claims: JWTPayload,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as never).sign(key as KeyObject);
}

for (const alg of ['EdDSA', 'ES256'] as const) {
  describe(`Tokens (${alg})`, () => {
    it('signs tokens jose verifies with jwtVerify + createLocalJWKSet over our JWKS', async () => {
      const { clock, tokens } = await setup(alg);
      const token = await tokens.sign({ sub: 'alice', scope: 'read write' });
      const jwks = tokens.jwks();
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kid: 'k1', alg, use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d'); // public only
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: ISS,
        audience: AUD,
        algorithms: [alg],
        currentDate: new Date(clock.now()),
      });
      expect(protectedHeader).toEqual({ alg, kid: 'k1', typ: 'at+jwt' });
      expect(payload).toMatchObject({
        sub: 'alice',
        scope: 'read write',
        iss: ISS,
        aud: [AUD, 'admin-api'],
        iat: T0 / 1000,
        nbf: T0 / 1000,
        exp: T0 / 1000 + 600,
      });
      expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const ours = await tokens.verify(token);
      expect(ours).toMatchObject({ kid: 'k1', alg, payload: { sub: 'alice' } });
      const narrow = await tokens.sign({ sub: 'bob' }, { audience: 'admin-api', ttlMs: 60_000 });
      expect(decodeJwt(narrow)).toMatchObject({ aud: 'admin-api', exp: T0 / 1000 + 60 });
      expect(await reason(tokens.verify(narrow, { audience: AUD }))).toBe('audience');
    });

    it('rotates keys: the old kid verifies (ours and jose) until its tokens expired, then leaves the JWKS', async () => {
      const clock = new ManualClock(T0);
      const tokens = await Tokens.open({
        issuer: ISS,
        audience: AUD,
        algorithm: alg,
        clock,
        ttlMs: 600_000,
      });
      const oldKid = tokens.currentKid;
      expect(oldKid).toMatch(/^[A-Za-z0-9_-]{43}$/); // RFC 7638 thumbprint
      const old = await tokens.sign({ sub: 'alice' });
      clock.advance(60_000);
      const newKid = await tokens.rotate();
      expect(newKid).not.toBe(oldKid);
      const fresh = await tokens.sign({ sub: 'alice' });
      expect((await tokens.verify(fresh)).kid).toBe(newKid);
      expect((await tokens.verify(old)).kid).toBe(oldKid);
      const set = createLocalJWKSet(tokens.jwks());
      for (const t of [old, fresh]) {
        await jwtVerify(t, set, { issuer: ISS, audience: AUD, currentDate: new Date(clock.now()) });
      }
      expect(tokens.jwks().keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
      clock.advance(600_000 + 5000 + 1); // one lifetime + tolerance after the rotation
      expect(tokens.jwks().keys.map((k) => k.kid)).toEqual([newKid]);
      expect(await reason(tokens.verify(old))).toBe('kid-unknown');
      await tokens.close();
    });

    it('refuses hostile tokens, each with its reason', async () => {
      const { clock, tokens, privateKey, publicKey } = await setup(alg);
      const now = Math.floor(clock.now() / 1000);
      const claims = { sub: 'mallory', iss: ISS, aud: AUD, iat: now, nbf: now, exp: now + 300 };
      const header = { alg, kid: 'k1', typ: 'at+jwt' };
      const good = await forge(privateKey, header, claims);
      expect((await tokens.verify(good)).payload.sub).toBe('mallory'); // the forger's baseline is sound

      // alg none, with and without a signature part
      const none = new UnsecuredJWT(claims).encode();
      expect(await reason(tokens.verify(none))).toBe('alg');
      const noneKid = `${b64({ alg: 'none', kid: 'k1', typ: 'at+jwt' })}.${b64(claims)}.`;
      expect(await reason(tokens.verify(noneKid))).toBe('alg');
      // alg confusion: HS256 keyed with the public key's bytes (PEM and JWK x)
      for (const secret of [
        publicKey.export({ format: 'pem', type: 'spki' }) as string,
        String(publicKey.export({ format: 'jwk' }).x),
      ]) {
        const hs = await forge(
          new TextEncoder().encode(secret),
          { ...header, alg: 'HS256' },
          claims,
        );
        expect(await reason(tokens.verify(hs))).toBe('alg');
        const data = `${b64({ ...header, alg: 'HS256' })}.${b64(claims)}`;
        const sig = createHmac('sha256', secret).update(data).digest('base64url');
        expect(await reason(tokens.verify(`${data}.${sig}`))).toBe('alg');
      }
      // the other asymmetric algorithm
      const otherAlg = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
      const other = await forge(keyPair(otherAlg).privateKey, { ...header, alg: otherAlg }, claims);
      expect(await reason(tokens.verify(other))).toBe('alg');
      // kid
      expect(
        await reason(tokens.verify(await forge(privateKey, { alg, typ: 'at+jwt' }, claims))),
      ).toBe('kid-missing');
      expect(
        await reason(tokens.verify(await forge(privateKey, { ...header, kid: 'k9' }, claims))),
      ).toBe('kid-unknown');
      // a right kid with somebody else's key
      const stranger = await forge(keyPair(alg).privateKey, header, claims);
      expect(await reason(tokens.verify(stranger))).toBe('signature');
      // tampered payload (same signature)
      const [h, , s] = good.split('.');
      const tampered = `${h}.${b64({ ...claims, sub: 'admin' })}.${s}`;
      expect(await reason(tokens.verify(tampered))).toBe('signature');
      // time
      const expired = await forge(privateKey, header, { ...claims, exp: now - 6 });
      expect(await reason(tokens.verify(expired))).toBe('expired');
      const withinTolerance = await forge(privateKey, header, { ...claims, exp: now - 4 });
      expect((await tokens.verify(withinTolerance)).payload.sub).toBe('mallory');
      const early = await forge(privateKey, header, { ...claims, nbf: now + 60 });
      expect(await reason(tokens.verify(early))).toBe('not-yet-valid');
      // claims
      const noExp: JWTPayload = { ...claims };
      delete noExp.exp;
      expect(await reason(tokens.verify(await forge(privateKey, header, noExp)))).toBe('claims');
      expect(
        await reason(
          tokens.verify(await forge(privateKey, header, { ...claims, iss: 'https://evil.test' })),
        ),
      ).toBe('issuer');
      expect(
        await reason(
          tokens.verify(await forge(privateKey, header, { ...claims, aud: 'other-api' })),
        ),
      ).toBe('audience');
      expect(await reason(tokens.verify(await forge(privateKey, { alg, kid: 'k1' }, claims)))).toBe(
        'type',
      );
      expect(
        await reason(tokens.verify(await forge(privateKey, { ...header, typ: 'JWT' }, claims))),
      ).toBe('type');
      // crit header jose does not understand
      const crit = `${b64({ ...header, crit: ['exp2'], exp2: 1 })}.${b64(claims)}.${s}`;
      expect(await reason(tokens.verify(crit))).toBe('malformed');
      // garbage and size
      for (const g of [
        '',
        'abc',
        'a.b',
        'a.b.c.d',
        '!!.!!.!!',
        `${b64('x')}.${b64(claims)}.${s}`,
        'e30.e30.e30',
      ]) {
        expect(['malformed', 'alg']).toContain(await reason(tokens.verify(g)));
      }
      expect(await reason(tokens.verify(42 as never))).toBe('malformed');
      expect(await reason(tokens.verify(`${good}${'A'.repeat(5000)}`))).toBe('oversized');
      expect(
        await reason(tokens.verify(`${h}.${b64({ ...claims, pad: 'x'.repeat(4000) })}.${s}`)),
      ).toBe('oversized');
    });

    it('random strings and random edits of a valid token never verify differently and never throw raw', async () => {
      const { tokens } = await setup(alg);
      const good = await tokens.sign({ sub: 'alice' });
      const original = good
        .split('.')
        .map((part) => Buffer.from(part, 'base64url').toString('hex'));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 300 }),
            fc
              .tuple(
                fc.nat({ max: good.length - 1 }),
                fc.constantFrom(
                  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=!',
                ),
              )
              .map(([i, c]) => good.slice(0, i) + c + good.slice(i + 1)),
          ),
          async (text) => {
            const outcome = await tokens.verify(text).then(
              () => 'ok',
              (e: unknown) => e,
            );
            if (outcome === 'ok') {
              // Only an edit that decodes to the same bytes (base64url padding bits) may pass.
              const decoded = text
                .split('.')
                .map((p) => Buffer.from(p, 'base64url').toString('hex'));
              expect(decoded).toEqual(original);
            } else {
              expect(isPlinthError(outcome, 'E_TOKEN_INVALID'), String(outcome)).toBe(true);
            }
          },
        ),
        { seed: 42, numRuns: 500 },
      );
    });
  });
}

describe('Tokens options and keys', () => {
  it('hostile arguments to sign and verify get typed errors only', async () => {
    const { tokens } = await setup('EdDSA');
    const result = await checkHostileCalls({
      target: tokens,
      calls: [
        ['sign', (t, a, b) => t.sign(a as never, b as never)],
        ['verify', (t, a, b) => t.verify(a as string, b as never)],
        ['sign(claims)', (t, a) => t.sign({ sub: 'x', extra: a as never })],
      ],
      codes: ERROR_CODES,
      seed: 3,
      numRuns: 400,
    });
    expect(result.rejected).toBeGreaterThan(200);
  });

  it('takes keys as KeyObject, JWK or PEM and refuses keys of the wrong kind', async () => {
    const ed = generateKeyPairSync('ed25519');
    const asJwk = await Tokens.open({
      issuer: ISS,
      audience: AUD,
      keys: [{ privateKey: ed.privateKey.export({ format: 'jwk' }) }],
    });
    const asPem = await Tokens.open({
      issuer: ISS,
      audience: AUD,
      keys: [{ privateKey: ed.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string }],
    });
    expect(asJwk.currentKid).toBe(asPem.currentKid);
    expect((await asPem.verify(await asJwk.sign({ sub: 'x' }))).payload.sub).toBe('x');
    const bad = async (o: Partial<TokensOptions>, option: string) => {
      const e = await refusal(Tokens.open({ issuer: ISS, audience: AUD, ...o } as TokensOptions));
      expect(e.code).toBe('E_INVALID_OPTION');
      expect(e.details.option).toBe(option);
    };
    await bad(
      { keys: [{ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }] },
      'keys[0]',
    );
    await bad({ algorithm: 'ES256', keys: [{ privateKey: ed.privateKey }] }, 'keys[0]');
    await bad({ keys: [{ privateKey: ed.publicKey }] }, 'keys[0]');
    await bad({ keys: [{ privateKey: 'not a pem' }] }, 'keys[0]');
    await bad({ keys: [{ privateKey: ed.privateKey, kid: 'bad kid!' }] }, 'keys[0]');
    await bad({ algorithm: 'HS256' as never }, 'algorithm');
    await bad({ algorithm: 'none' as never }, 'algorithm');
    await bad({ issuer: '' }, 'issuer');
    await bad({ audience: [] }, 'audience');
    await bad({ ttlMs: 10 }, 'ttlMs');
  });

  it('refuses reserved or non-JSON claims and an audience it does not serve', async () => {
    const { tokens } = await setup('EdDSA');
    for (const claim of ['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']) {
      expect((await refusal(tokens.sign({ [claim]: 1 }))).code).toBe('E_INVALID_ARGUMENT');
    }
    expect((await refusal(tokens.sign({ n: 1n } as never))).code).toBe('E_INVALID_ARGUMENT');
    expect((await refusal(tokens.sign({ sub: 'a' }, { audience: 'elsewhere' }))).code).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect((await refusal(tokens.sign({ sub: 'a' }, { ttlMs: 3_600_000 }))).code).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect((await refusal(tokens.sign({ big: 'x'.repeat(5000) }))).code).toBe('E_LIMIT_EXCEEDED');
  });

  it('keeps generated keys in a store: a second instance signs and verifies with the same keys', async () => {
    const clock = new ManualClock(T0);
    const store = await openStore({ adapter: memoryAdapter(), clock, purgeIntervalMs: 0 });
    const a = await Tokens.open({ issuer: ISS, audience: AUD, store, clock });
    const b = await Tokens.open({ issuer: ISS, audience: AUD, store, clock });
    expect(b.currentKid).toBe(a.currentKid);
    const t = await a.sign({ sub: 'alice' });
    expect((await b.verify(t)).payload.sub).toBe('alice');
    const kid = await b.rotate();
    const t2 = await b.sign({ sub: 'alice' });
    await vi.waitFor(() => expect(a.currentKid).toBe(kid)); // the change feed told a
    expect((await a.verify(t2)).kid).toBe(kid);
    expect((await a.verify(t)).payload.sub).toBe('alice');
    await a.close();
    await b.close();
    await refusal(a.sign({}));
    await store.close();
  });
});
