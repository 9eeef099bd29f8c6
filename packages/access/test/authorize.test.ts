import { ManualClock, isPlinthError } from '@plinth/core';
import { PolicySet } from '@plinth/policy';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessControl } from '../src/authorize.js';
import { Directory } from '../src/directory.js';
import type { AuditRecordInput } from '../src/types.js';

const POLICIES = `
@id("read")
permit(principal, action == Action::"read", resource)
when { context.roles.contains(Role::"viewer") };

@id("edit-own-tenant")
permit(principal, action == Action::"edit", resource)
when { context.roles.contains(Role::"editor") && resource.status != "locked" };

@id("hr-salaries")
@mask("salary, ssn")
permit(principal in Role::"hr", action == Action::"read", resource is Employee);

@id("payroll")
@requireMfa("300")
@obligation("log:high")
permit(principal in Role::"payroll", action == Action::"pay", resource);

@id("no-contractors")
forbid(principal, action == Action::"edit", resource)
when { principal has contractor && principal.contractor };
`;

describe('AccessControl.authorize', () => {
  let store: Store;
  let dir: Directory;
  let access: AccessControl;
  let audit: AuditRecordInput[];
  const clock = new ManualClock(1_700_000_000_000);

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter() });
    dir = await Directory.open({ store, clock });
    audit = [];
    access = new AccessControl({
      directory: dir,
      policies: PolicySet.parse(POLICIES),
      clock,
      audit: { append: async (r) => void audit.push(r) },
    });
    await dir.createRole({ name: 'viewer' });
    await dir.createRole({ name: 'editor', inherits: ['viewer'] });
    await dir.createRole({ name: 'hr' });
    await dir.createRole({ name: 'payroll' });
    await dir.createPrincipal({ id: 'alice' });
    await dir.createPrincipal({ id: 'con', attrs: { contractor: true } });
    await dir.assign('alice', 'editor', { scope: { type: 'Tenant', id: 'acme' } });
    await dir.assign('con', 'editor', { scope: { type: 'Tenant', id: 'acme' } });
    dir.entities.upsert([
      { uid: { type: 'Tenant', id: 'acme' } },
      { uid: { type: 'Tenant', id: 'globex' } },
      {
        uid: { type: 'Doc', id: 'a1' },
        attrs: { status: 'open' },
        parents: [{ type: 'Tenant', id: 'acme' }],
      },
      {
        uid: { type: 'Doc', id: 'a2' },
        attrs: { status: 'locked' },
        parents: [{ type: 'Tenant', id: 'acme' }],
      },
      {
        uid: { type: 'Doc', id: 'g1' },
        attrs: { status: 'open' },
        parents: [{ type: 'Tenant', id: 'globex' }],
      },
      { uid: { type: 'Employee', id: 'e1' } },
    ]);
  });
  afterEach(async () => {
    await dir.close();
    await store.close();
  });

  it('answers RBAC with scoped, inherited roles and ABAC conditions in one decision', () => {
    const a1 = access.authorize({ principal: 'alice', action: 'edit', resource: 'Doc::"a1"' });
    expect(a1).toMatchObject({ decision: 'allow', determining: ['edit-own-tenant'] });
    expect(a1.roles).toEqual(['editor', 'viewer']);
    expect(
      access.authorize({ principal: 'alice', action: 'read', resource: 'Doc::"a1"' }).allowed,
    ).toBe(true);
    // ABAC: locked documents are not editable.
    expect(
      access.authorize({ principal: 'alice', action: 'edit', resource: 'Doc::"a2"' }).allowed,
    ).toBe(false);
    // The scope: alice has no role in globex.
    const g1 = access.authorize({
      principal: 'alice',
      action: 'read',
      resource: { type: 'Doc', id: 'g1' },
    });
    expect(g1.allowed).toBe(false);
    expect(g1.roles).toEqual([]);
    // A forbid overrides the scoped role.
    const con = access.authorize({ principal: 'con', action: 'edit', resource: 'Doc::"a1"' });
    expect(con).toMatchObject({ decision: 'deny', determining: ['no-contractors'] });
  });

  it('explains a denial with the near-miss permits and their first failed condition', () => {
    const d = access.authorize({ principal: 'alice', action: 'edit', resource: 'Doc::"a2"' });
    expect(d.reason).toBe('policy');
    expect(d.nearMisses.map((m) => [m.policyId, m.failed])).toContainEqual([
      'edit-own-tenant',
      'condition',
    ]);
    expect(d.nearMisses.find((m) => m.policyId === 'edit-own-tenant')?.text).toContain('status');
  });

  it('returns field masks from the determining permits', async () => {
    await dir.createPrincipal({ id: 'hank' });
    await dir.assign('hank', 'hr');
    const d = access.authorize({ principal: 'hank', action: 'read', resource: 'Employee::"e1"' });
    expect(d.allowed).toBe(true);
    expect(d.mask).toEqual(['salary', 'ssn']);
    expect(d.obligations).toEqual([
      { kind: 'mask', fields: ['salary', 'ssn'], policyId: 'hr-salaries' },
    ]);
  });

  it('asks for step-up MFA when the MFA is missing or too old, and allows a fresh one', async () => {
    await dir.createPrincipal({ id: 'pat' });
    await dir.assign('pat', 'payroll');
    const req = { principal: 'pat', action: 'pay', resource: 'Doc::"a1"' } as const;
    const none = access.authorize(req);
    expect(none).toMatchObject({ decision: 'deny', reason: 'mfa', stepUp: { maxAgeSeconds: 300 } });
    const stale = access.authorize({ ...req, mfaAt: clock.now() - 301_000 });
    expect(stale.allowed).toBe(false);
    const fresh = access.authorize({ ...req, mfaAt: clock.now() - 10_000 });
    expect(fresh.allowed).toBe(true);
    expect(fresh.obligations).toContainEqual({
      kind: 'custom',
      value: 'log:high',
      policyId: 'payroll',
    });
    expect(fresh.obligations).toContainEqual({
      kind: 'require-mfa',
      maxAgeSeconds: 300,
      policyId: 'payroll',
      satisfied: true,
    });
    try {
      access.check(req);
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_FORBIDDEN')).toBe(true);
      expect((e as { details: { stepUp: unknown } }).details.stepUp).toEqual({
        maxAgeSeconds: 300,
      });
    }
  });

  it('denies unknown and disabled principals alike, and audits denials', async () => {
    await dir.createPrincipal({ id: 'gone', disabled: true });
    await dir.assign('gone', 'viewer');
    const unknown = access.authorize({
      principal: 'nobody',
      action: 'read',
      resource: 'Doc::"a1"',
    });
    const disabled = access.authorize({ principal: 'gone', action: 'read', resource: 'Doc::"a1"' });
    expect(unknown).toEqual(disabled);
    expect(unknown.allowed).toBe(false);
    await Promise.resolve();
    expect(audit.filter((r) => r.type === 'authz.denied').map((r) => r.actor)).toEqual([
      'nobody',
      'gone',
    ]);
  });

  it('refuses malformed requests with typed errors and reserves context.roles', () => {
    const bad = [
      null,
      { principal: 'alice', action: 'read', resource: 42 },
      { principal: 'alice', action: 'read', resource: 'Doc::a1' },
      { principal: 'alice', action: 'read', resource: 'Doc::"a1"', context: [] },
      { principal: 'alice', action: 'read', resource: 'Doc::"a1"', context: { roles: [] } },
      { principal: 'alice', action: 'read', resource: 'Doc::"a1"', context: { x: 1.5 } },
      { principal: 'alice', action: 42, resource: 'Doc::"a1"' },
      { principal: 'alice', action: 'Action::broken', resource: 'Doc::"a1"' },
      { principal: { id: 'alice' }, action: 'read', resource: 'Doc::"a1"' },
    ];
    for (const request of bad) {
      let error: unknown;
      try {
        access.authorize(request as never);
      } catch (e) {
        error = e;
      }
      expect(isPlinthError(error, 'E_INVALID_ARGUMENT'), JSON.stringify(request)).toBe(true);
    }
  });

  it('swaps the policy set atomically and keeps obligations in step', async () => {
    await dir.createPrincipal({ id: 'hank' });
    await dir.assign('hank', 'hr');
    access.swap(PolicySet.parse('@id("all") permit(principal in Role::"hr", action, resource);'));
    const d = access.authorize({ principal: 'hank', action: 'read', resource: 'Employee::"e1"' });
    expect(d).toMatchObject({ allowed: true, determining: ['all'], mask: [] });
    expect(() =>
      access.swap(PolicySet.parse('@requireMfa("soon") permit(principal, action, resource);')),
    ).toThrow(/requireMfa/);
    expect(access.policies.policies()[0]?.id).toBe('all');
  });

  it('sees directory changes at once (roles revoked are gone on the next decision)', async () => {
    expect(
      access.authorize({ principal: 'alice', action: 'read', resource: 'Doc::"a1"' }).allowed,
    ).toBe(true);
    await dir.unassign('alice', 'editor', { scope: { type: 'Tenant', id: 'acme' } });
    expect(
      access.authorize({ principal: 'alice', action: 'read', resource: 'Doc::"a1"' }).allowed,
    ).toBe(false);
  });

  it('never answers from stale cached roles (inheritance, groups, group grants, entities)', async () => {
    const req = { principal: 'zed', action: 'read', resource: 'Doc::"g1"' } as const;
    await dir.createPrincipal({ id: 'zed' });
    await dir.createRole({ name: 'base' });
    await dir.assign('zed', 'base');
    expect(access.authorize(req).allowed).toBe(false);
    await dir.updateRole('base', { inherits: ['viewer'] });
    expect(access.authorize(req).roles).toEqual(['base', 'viewer']);
    expect(access.authorize(req).allowed).toBe(true);
    await dir.updateRole('base', { inherits: [] });
    expect(access.authorize(req).allowed).toBe(false);
    await dir.createPrincipal({ id: 'team', kind: 'group' });
    await dir.assign('team', 'viewer');
    await dir.updatePrincipal('zed', { groups: ['team'] });
    expect(access.authorize(req).allowed).toBe(true);
    await dir.unassign('team', 'viewer');
    expect(access.authorize(req).allowed).toBe(false);
    // A scoped grant on a tenant applies once the document is moved into it.
    await dir.assign('zed', 'viewer', { scope: { type: 'Tenant', id: 'initech' } });
    expect(access.authorize(req).allowed).toBe(false);
    dir.entities.upsert([
      {
        uid: { type: 'Doc', id: 'g1' },
        attrs: { status: 'open' },
        parents: [{ type: 'Tenant', id: 'initech' }],
      },
    ]);
    expect(access.authorize(req).allowed).toBe(true);
  });
});
