import { generateKeyPairSync } from 'node:crypto';
import { ManualClock, isPlinthError } from '@plinth/core';
import { PolicySet } from '@plinth/policy';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Access } from '../src/access.js';
import { generateTotp } from '../src/totp.js';

const POLICIES = PolicySet.parse(`
@id("read") permit(principal in Role::"member", action == Action::"read", resource);
@id("pay") @requireMfa("300") permit(principal in Role::"finance", action == Action::"pay", resource);
`);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isPlinthError(e) ? e.code : `raw: ${String(e)}`),
  );
}

describe('Access (all parts on one store)', () => {
  let store: Store;
  let access: Access;
  const clock = new ManualClock(Date.UTC(2026, 11, 8, 9));

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter(), clock });
    const { privateKey } = generateKeyPairSync('ed25519');
    access = await Access.open({
      store,
      policies: POLICIES,
      clock,
      audit: { signingKey: privateKey, checkpointEvery: 0, checkpointIntervalMs: 0 },
      tokens: { issuer: 'https://plinth.test', audience: 'api' },
    });
    await access.directory.createRole({ name: 'member' });
    await access.directory.createRole({ name: 'finance', inherits: ['member'] });
    await access.directory.createPrincipal({ id: 'fran' });
    await access.directory.assign('fran', 'finance');
    await access.passwords.setPassword('fran', 'correct horse battery');
  });
  afterEach(async () => {
    await access.close();
    await store.close();
  });

  it('logs in, asks for the second factor when one is enrolled, and steps up MFA for @requireMfa', async () => {
    const first = await access.login('fran', 'correct horse battery');
    expect(first.status).toBe('ok');
    const plain = await access.authenticate(first.status === 'ok' ? first.session.id : '');
    expect(plain).toMatchObject({ principalId: 'fran', via: 'session' });
    expect(access.authorize(plain, 'read', 'Doc::"d"').allowed).toBe(true);
    expect(access.authorize(plain, 'pay', 'Doc::"d"')).toMatchObject({
      allowed: false,
      reason: 'mfa',
      stepUp: { maxAgeSeconds: 300 },
    });

    const { secret } = await access.totp.enroll('fran', { account: 'fran@example.com' });
    await access.totp.confirm('fran', generateTotp(secret, clock.now()));
    clock.advance(30_000);
    expect(await access.login('fran', 'correct horse battery')).toEqual({ status: 'mfa-required' });
    expect(await codeOf(access.login('fran', 'correct horse battery', { totp: '000000' }))).toBe(
      'E_MFA_INVALID',
    );
    const second = await access.login('fran', 'correct horse battery', {
      totp: generateTotp(secret, clock.now()),
    });
    expect(second.status).toBe('ok');
    const strong = await access.authenticate(second.status === 'ok' ? second.session.id : '');
    expect(strong.mfaAt).toBe(clock.now());
    expect(access.authorize(strong, 'pay', 'Doc::"d"').allowed).toBe(true);
    clock.advance(301_000);
    expect(access.authorize(strong, 'pay', 'Doc::"d"').reason).toBe('mfa');
  });

  it('fails unknown, disabled and wrong-password logins alike', async () => {
    await access.directory.createPrincipal({ id: 'gone', disabled: true });
    await access.passwords.setPassword('gone', 'correct horse battery');
    const wrong = await codeOf(access.login('fran', 'wrong password!'));
    const unknown = await codeOf(access.login('nobody', 'correct horse battery'));
    const disabled = await codeOf(access.login('gone', 'correct horse battery'));
    expect([wrong, unknown, disabled]).toEqual([
      'E_INVALID_CREDENTIALS',
      'E_INVALID_CREDENTIALS',
      'E_INVALID_CREDENTIALS',
    ]);
  });

  it('limits an API key to its scopes and refuses it once revoked', async () => {
    const { key, keyId } = await access.apiKeys.create('fran', { scopes: ['read'] });
    const caller = await access.authenticate(key);
    expect(caller).toMatchObject({ principalId: 'fran', via: 'apikey', scopes: ['read'] });
    expect(access.authorize(caller, 'read', 'Doc::"d"').allowed).toBe(true);
    // The role would allow paying; the key's scopes do not.
    expect(access.authorize({ ...caller, mfaAt: clock.now() }, 'pay', 'Doc::"d"')).toMatchObject({
      allowed: false,
      reason: 'scope',
    });
    await access.apiKeys.revoke(keyId);
    expect(await codeOf(access.authenticate(key))).toBe('E_UNAUTHENTICATED');
  });

  it('accepts its own signed tokens and refuses garbage, keys of disabled principals and revoked sessions', async () => {
    const token = await access.tokens!.sign({ sub: 'fran' });
    expect(await access.authenticate(token)).toMatchObject({ principalId: 'fran', via: 'token' });
    for (const bad of ['', 'x'.repeat(5000), 'a.b.c', 'pls_nope', 42, null]) {
      expect(await codeOf(access.authenticate(bad))).toBe('E_UNAUTHENTICATED');
    }
    const { key } = await access.apiKeys.create('fran', { scopes: ['read'] });
    const login = await access.login('fran', 'correct horse battery');
    await access.directory.updatePrincipal('fran', { disabled: true });
    expect(await codeOf(access.authenticate(key))).toBe('E_UNAUTHENTICATED');
    await access.directory.updatePrincipal('fran', { disabled: false });
    if (login.status !== 'ok') throw new Error('login failed');
    await access.sessions.revokeAll('fran');
    expect(await codeOf(access.authenticate(login.session.id))).toBe('E_UNAUTHENTICATED');
  });

  it('writes every security event to one verifiable audit log', async () => {
    await access.login('fran', 'correct horse battery');
    await codeOf(access.login('fran', 'nope nope nope'));
    access.authorize('fran', 'delete', 'Doc::"d"');
    const { keyId } = await access.apiKeys.create('fran', { scopes: ['read'] });
    await access.apiKeys.revoke(keyId);
    const log = access.audit!;
    await log.flush();
    await log.checkpoint();
    const types = (await log.entries({ limit: 1000 })).map((e) => e.type);
    for (const t of [
      'role.created',
      'principal.created',
      'role.assigned',
      'password.changed',
      'login.succeeded',
      'session.created',
      'login.failed',
      'authz.denied',
      'apikey.created',
      'apikey.revoked',
    ]) {
      expect(types).toContain(t);
    }
    const report = await log.verify();
    expect(report.ok).toBe(true);
    expect(report.size).toBe(types.length);
    const serialized = JSON.stringify(await log.export());
    expect(serialized).not.toContain('correct horse battery');
  });
});
