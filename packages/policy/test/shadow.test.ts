import { ManualClock, MemoryLogger, TypedEmitter, isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import type { PolicyEvents } from '../src/events.js';
import { PolicySet } from '../src/policy-set.js';
import { ShadowAuthorizer, shadow, type ShadowDifference } from '../src/shadow.js';
import type { AuthorizationRequest } from '../src/types.js';

const ACTIVE = `
@id("readers") permit(principal in Group::"readers", action == Action::"read", resource);
@id("admins") permit(principal in Group::"admins", action, resource);
`;
// The candidate drops admin writes and lets anyone read public docs.
const CANDIDATE = `
@id("readers") permit(principal in Group::"readers", action == Action::"read", resource);
@id("admins-read") permit(principal in Group::"admins", action == Action::"read", resource);
@id("public") permit(principal, action == Action::"read", resource) when { resource.public };
`;

const entities = EntityStore.fromJson([
  { uid: { type: 'User', id: 'alice' }, parents: [{ type: 'Group', id: 'readers' }] },
  { uid: { type: 'User', id: 'root' }, parents: [{ type: 'Group', id: 'admins' }] },
  { uid: { type: 'User', id: 'eve' } },
  { uid: { type: 'Doc', id: 'pub' }, attrs: { public: true } },
  { uid: { type: 'Doc', id: 'priv' }, attrs: { public: false } },
  { uid: { type: 'Doc', id: 'odd' }, attrs: { public: 'yes' } },
]);

function req(principal: string, action: string, resource: string): AuthorizationRequest {
  return {
    principal: { type: 'User', id: principal },
    action: { type: 'Action', id: action },
    resource: { type: 'Doc', id: resource },
  };
}

function setup(options: Partial<ConstructorParameters<typeof ShadowAuthorizer>[0]> = {}) {
  const emitter = new TypedEmitter<PolicyEvents>();
  const differed: ShadowDifference[] = [];
  emitter.on('shadow:differed', (d) => differed.push(d));
  const active = new Authorizer({ policies: PolicySet.parse(ACTIVE), entities });
  const s = new ShadowAuthorizer({
    active,
    candidate: PolicySet.parse(CANDIDATE),
    emitter,
    clock: new ManualClock(1000),
    ...options,
  });
  return { s, active, differed, emitter };
}

describe('ShadowAuthorizer', () => {
  it('returns the active decision, the same object the active authorizer returns', () => {
    const { s, active } = setup();
    for (const r of [
      req('root', 'write', 'priv'),
      req('eve', 'read', 'pub'),
      req('alice', 'read', 'priv'),
    ]) {
      const got = s.isAuthorized(r);
      expect(got).toEqual(active.isAuthorized(r));
    }
    // root may write under the active set even though the candidate would deny it.
    expect(s.isAuthorized(req('root', 'write', 'priv')).decision).toBe('allow');
    // eve may not read under the active set even though the candidate would allow it.
    expect(s.isAuthorized(req('eve', 'read', 'pub')).decision).toBe('deny');
  });

  it('emits shadow:differed and counts only decisions that differ', () => {
    const { s, differed } = setup();
    s.isAuthorized(req('alice', 'read', 'priv')); // allow / allow
    s.isAuthorized(req('eve', 'read', 'priv')); // deny / deny
    s.isAuthorized(req('root', 'write', 'priv')); // allow → deny
    s.isAuthorized(req('eve', 'read', 'pub')); // deny → allow
    expect(s.stats).toEqual({
      compared: 4,
      differed: 2,
      allowToDeny: 1,
      denyToAllow: 1,
      determiningChanged: 0,
      candidateFailures: 0,
    });
    expect(differed).toHaveLength(2);
    expect(differed[0]).toMatchObject({
      at: 1000,
      request: { principal: 'User::"root"', action: 'Action::"write"', resource: 'Doc::"priv"' },
      active: { decision: 'allow', determining: ['admins'] },
      candidate: { decision: 'deny', determining: [] },
    });
    expect(differed[1]).toMatchObject({
      active: { decision: 'deny' },
      candidate: { decision: 'allow', determining: ['public'] },
    });
    expect(s.recent()).toEqual(differed);
  });

  it("with compare: 'determining', the same decision by other policies is a difference", () => {
    const { s, differed } = setup({ compare: 'determining' });
    // root reads: active says admins, candidate says admins-read.
    s.isAuthorized(req('root', 'read', 'priv'));
    // alice reads: readers in both.
    s.isAuthorized(req('alice', 'read', 'priv'));
    expect(s.stats.determiningChanged).toBe(1);
    expect(s.stats.differed).toBe(1);
    expect(differed[0]?.candidate.determining).toEqual(['admins-read']);
    const plain = setup();
    plain.s.isAuthorized(req('root', 'read', 'priv'));
    expect(plain.s.stats.differed).toBe(0);
  });

  it('a candidate evaluation error is a response, never a throw; a throwing listener is contained', () => {
    const logger = new MemoryLogger();
    const { s, emitter } = setup({ logger });
    // `resource.public` is a String on Doc::"odd": the candidate's policy errors, the decision stands.
    const r = s.isAuthorized(req('eve', 'read', 'odd'));
    expect(r.decision).toBe('deny');
    expect(s.stats.candidateFailures).toBe(0);
    emitter.on('shadow:differed', () => {
      throw new Error('listener bug');
    });
    expect(s.isAuthorized(req('eve', 'read', 'pub')).decision).toBe('deny');
    expect(s.stats.candidateFailures).toBe(1);
    expect(logger.at('warn')).toHaveLength(1);
  });

  it('a malformed request throws from the active set, as the plain authorizer does', () => {
    const { s } = setup();
    let caught: unknown;
    try {
      s.isAuthorized({ principal: 'not a uid', action: 'Action::"read"', resource: 'Doc::"pub"' });
    } catch (e) {
      caught = e;
    }
    expect(isPlinthError(caught, 'E_INVALID_REQUEST')).toBe(true);
    expect(s.stats.compared).toBe(0);
  });

  it('samples: sampleRate 0 never evaluates the candidate, a seeded rate evaluates a fraction', () => {
    const none = setup({ sampleRate: 0 });
    for (let i = 0; i < 20; i++) none.s.isAuthorized(req('eve', 'read', 'pub'));
    expect(none.s.stats.compared).toBe(0);
    expect(none.differed).toHaveLength(0);
    let n = 0;
    const some = setup({ sampleRate: 0.5, random: () => (n++ % 2 === 0 ? 0.25 : 0.75) });
    for (let i = 0; i < 20; i++) some.s.isAuthorized(req('eve', 'read', 'pub'));
    expect(some.s.stats.compared).toBe(10);
    expect(some.s.stats.denyToAllow).toBe(10);
  });

  it("uses the active authorizer's default store, or the store passed per call", () => {
    const { s } = setup();
    const other = EntityStore.fromJson([
      { uid: { type: 'Doc', id: 'pub' }, attrs: { public: false } },
    ]);
    s.isAuthorized(req('eve', 'read', 'pub'), other);
    expect(s.stats.differed).toBe(0);
    s.isAuthorized(req('eve', 'read', 'pub'));
    expect(s.stats.differed).toBe(1);
  });

  it('keeps at most keepRecent differences; reset clears them and the counters', () => {
    const { s } = setup({ keepRecent: 2 });
    s.isAuthorized(req('root', 'write', 'a'));
    s.isAuthorized(req('root', 'write', 'b'));
    s.isAuthorized(req('root', 'write', 'c'));
    expect(s.recent().map((d) => d.request.resource)).toEqual(['Doc::"b"', 'Doc::"c"']);
    s.reset();
    expect(s.recent()).toEqual([]);
    expect(s.stats.differed).toBe(0);
  });

  it('setCandidate swaps the candidate set; shadow() builds one from a policy set too', () => {
    const s = shadow(PolicySet.parse(ACTIVE), PolicySet.parse(ACTIVE), { entities });
    s.isAuthorized(req('root', 'write', 'priv'));
    expect(s.stats.differed).toBe(0);
    s.setCandidate(PolicySet.parse(CANDIDATE));
    s.isAuthorized(req('root', 'write', 'priv'));
    expect(s.stats.allowToDeny).toBe(1);
    expect(s.candidate.digest).toBe(PolicySet.parse(CANDIDATE).digest);
  });

  it('rejects bad options with E_INVALID_OPTION', () => {
    const bad = [
      { active: PolicySet.parse(ACTIVE), candidate: PolicySet.parse(ACTIVE), sampleRate: 2 },
      { active: {}, candidate: PolicySet.parse(ACTIVE) },
      { active: PolicySet.parse(ACTIVE), candidate: PolicySet.parse(ACTIVE), compare: 'all' },
      { active: PolicySet.parse(ACTIVE), candidate: PolicySet.parse(ACTIVE), sampelRate: 1 },
    ];
    for (const o of bad) {
      let caught: unknown;
      try {
        new ShadowAuthorizer(o as never);
      } catch (e) {
        caught = e;
      }
      expect(isPlinthError(caught, 'E_INVALID_OPTION'), JSON.stringify(Object.keys(o))).toBe(true);
    }
  });
});

describe('Authorizer.entities', () => {
  it('is the default store the authorizer was given', () => {
    const a = new Authorizer({ policies: PolicySet.parse(ACTIVE), entities });
    expect(a.entities).toBe(entities);
    expect(new Authorizer({ policies: PolicySet.parse(ACTIVE) }).entities.size).toBe(0);
  });
});
