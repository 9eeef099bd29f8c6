import { TypedEmitter, isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import {
  prepareContext,
  Authorizer,
  EntityStore,
  PolicySet,
  isAuthorized,
  type AuthorizationRequest,
  type PolicyEvents,
} from '../src/index.js';

const request = (action: string, context: Record<string, never> | object = {}) => ({
  principal: { type: 'User', id: 'ada' },
  action: { type: 'Action', id: action },
  resource: { type: 'Doc', id: 'd' },
  context: context as never,
});

describe('Authorizer', () => {
  it('swaps atomically: under interleaved swaps every decision comes wholly from one set', async () => {
    // Set A allows through a1 and a2; set B denies through b1 and b2 — never a mixture.
    const a = PolicySet.parse(
      '@id("a1") permit(principal, action, resource); @id("a2") permit(principal, action == Action::"read", resource);',
    );
    const b = PolicySet.parse(
      '@id("b1") permit(principal, action, resource); @id("b2") forbid(principal, action == Action::"read", resource);',
    );
    const emitter = new TypedEmitter<PolicyEvents>();
    const swaps: string[] = [];
    emitter.on('policies:swapped', (e) => swaps.push(e.to));
    const authorizer = new Authorizer({ policies: a, emitter });
    const seen = new Set<string>();
    const readers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 2_000; i++) {
        const r = authorizer.isAuthorized(request('read'));
        seen.add(`${r.decision}:${r.determining.join(',')}`);
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const writer = (async () => {
      for (let i = 0; i < 200; i++) {
        authorizer.swap(i % 2 === 0 ? b : a);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all([...readers, writer]);
    expect([...seen].sort()).toEqual(['allow:a1,a2', 'deny:b2']);
    expect(swaps).toHaveLength(200);
    expect(authorizer.policies).toBe(a);
  });

  it('reports evaluation errors per policy and never throws for them; malformed requests are typed errors', () => {
    const set = PolicySet.parse(
      '@id("overflow") permit(principal, action, resource) when { 9223372036854775807 + context.n > 0 };\n' +
        '@id("ok") permit(principal, action, resource) when { context has n };',
    );
    const r = isAuthorized(request('read', { n: 1 }), set);
    expect(r).toMatchObject({ decision: 'allow', determining: ['ok'] });
    expect(r.errors.map((e) => e.policyId)).toEqual(['overflow']);
    const bad = [
      { ...request('read'), principal: 'not a uid' },
      { ...request('read'), resource: { type: 'Doc' } },
      { ...request('read'), context: { x: 1.5 } },
      { ...request('read'), context: [] },
      null,
    ];
    for (const b of bad) {
      let caught: unknown;
      try {
        isAuthorized(b as never, set);
      } catch (e) {
        caught = e;
      }
      expect(isPlinthError(caught, 'E_INVALID_REQUEST'), JSON.stringify(b)).toBe(true);
    }
  });

  it('explains denials with the near-miss permits and the first condition that failed', () => {
    const set = PolicySet.parse(`
      @id("owner") permit(principal, action == Action::"edit", resource) when { resource.owner == principal } when { context.mfa };
      @id("admins") permit(principal in Group::"admins", action, resource);
    `);
    const entities = EntityStore.fromJson([
      {
        uid: { type: 'Doc', id: 'd' },
        attrs: { owner: { __entity: { type: 'User', id: 'ada' } } },
      },
    ]);
    const authorizer = new Authorizer({ policies: set, entities });
    const r = authorizer.isAuthorized(request('edit', { mfa: false }));
    expect(r.decision).toBe('deny');
    expect(r.nearMisses?.[0]).toMatchObject({
      policyId: 'owner',
      failed: 'condition',
      condition: 1,
      text: 'context.mfa',
    });
    const quiet = new Authorizer({ policies: set, entities, explain: false });
    expect(quiet.isAuthorized(request('edit', { mfa: false })).nearMisses).toBeUndefined();
    expect(quiet.isAuthorized(request('edit', { mfa: true })).determining).toEqual(['owner']);
  });
});

describe('prepared contexts', () => {
  const set = PolicySet.parse(
    '@id("mfa") permit(principal, action, resource) when { context.mfa && context.roles.contains(Role::"admin") };',
  );
  const request = (context: NonNullable<AuthorizationRequest['context']>) => ({
    principal: { type: 'User', id: 'a' },
    action: { type: 'Action', id: 'read' },
    resource: { type: 'Doc', id: 'd' },
    context,
  });

  it('decide as the JSON they were made from, and ignore later changes to it', () => {
    const auth = new Authorizer({ policies: set });
    const json = { mfa: true, roles: [{ __entity: { type: 'Role', id: 'admin' } }] };
    const prepared = prepareContext(json);
    expect(auth.isAuthorized(request(prepared))).toEqual(auth.isAuthorized(request(json)));
    expect(auth.isAuthorized(request(prepared)).decision).toBe('allow');
    json.mfa = false;
    expect(auth.isAuthorized(request(prepared)).decision).toBe('allow');
    expect(auth.isAuthorized(request(json)).decision).toBe('deny');
    expect(Object.isFrozen(prepared)).toBe(true);
  });

  it('refuse malformed JSON when prepared, and show as JSON in policy:decided', () => {
    expect(() => prepareContext({ x: 1.5 })).toThrow(/context/);
    const emitter = new TypedEmitter<PolicyEvents>();
    const seen: unknown[] = [];
    emitter.on('policy:decided', (e) => seen.push(e.request.context));
    const auth = new Authorizer({ policies: set, emitter });
    auth.isAuthorized(request(prepareContext({ mfa: false, roles: [] })));
    expect(seen).toEqual([{ mfa: false, roles: [] }]);
  });
});

describe('index memo', () => {
  it('follows hierarchy changes of the same uid (the memo keys on the ancestor set)', () => {
    const entities = EntityStore.fromJson([
      { uid: { type: 'User', id: 'u' } },
      { uid: { type: 'Doc', id: 'd' } },
    ]);
    const auth = new Authorizer({
      policies: PolicySet.parse(
        'permit(principal in Team::"t", action == Action::"read", resource in Folder::"f");',
      ),
      entities,
    });
    const req = {
      principal: entities.internUid('User', 'u')!,
      action: { type: 'Action', id: 'read' },
      resource: entities.internUid('Doc', 'd')!,
    };
    const decisions: string[] = [];
    decisions.push(auth.isAuthorized(req).decision);
    entities.upsert([{ uid: { type: 'Doc', id: 'd' }, parents: [{ type: 'Folder', id: 'f' }] }]);
    decisions.push(auth.isAuthorized(req).decision);
    entities.upsert([{ uid: { type: 'User', id: 'u' }, parents: [{ type: 'Team', id: 't' }] }]);
    decisions.push(auth.isAuthorized(req).decision);
    entities.upsert([{ uid: { type: 'Doc', id: 'd' } }]);
    decisions.push(auth.isAuthorized(req).decision);
    expect(decisions).toEqual(['deny', 'deny', 'allow', 'deny']);
  });
});
