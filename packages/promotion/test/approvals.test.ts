import { describe, expect, it } from 'vitest';
import type { Principal, PromotionAction } from '../src/index.js';
import { rejects } from './support/expect-error.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, harness } from './support/setup.js';

const ann: Principal = { id: 'ann', roles: ['dev'] };
const bob: Principal = { id: 'bob', roles: ['lead'] };
const cat: Principal = { id: 'cat', roles: ['lead'] };
const dan: Principal = { id: 'dan', roles: ['release-manager'] };

describe.each(ADAPTERS)('approvals on %s', (_name, open) => {
  async function setup(extra: Parameters<typeof harness>[1] = {}) {
    const h = await harness(open, {
      pipelines: [
        threeStages({
          dev: {
            approvals: {
              levels: [
                {
                  name: 'leads',
                  required: 2,
                  approvers: ['bob', 'cat', 'eve'],
                  requiredApprovers: ['cat'],
                },
                { name: 'release', required: 1, role: 'release-manager' },
              ],
              expiresInMs: 3_600_000,
            },
          },
        }),
      ],
      ...extra,
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const p = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: r.id,
      principal: ann,
    });
    await h.settle();
    return { h, p };
  }

  it('needs N of M per level, the required approvers, then the next level', async () => {
    const { h, p } = await setup();
    await h.engine.approve(p.id, { principal: bob, comment: 'lgtm' });
    await h.engine.approve(p.id, { principal: { id: 'eve' } });
    await h.settle();
    // 2 of 3 approved but the required approver (cat) has not: still level 1.
    expect((await h.engine.getPromotion(p.id))?.state).toBe('awaiting_approval');
    await rejects(h.engine.approve(p.id, { principal: dan }), 'E_NOT_APPROVER');
    await h.engine.approve(p.id, { principal: cat });
    await h.settle();
    expect((await h.engine.getPromotion(p.id))?.state).toBe('awaiting_approval');
    const last = await h.engine.approve(p.id, { principal: dan });
    expect(last.approvals.map((a) => `${a.level}:${a.principal}`)).toEqual([
      'leads:bob',
      'leads:eve',
      'leads:cat',
      'release:dan',
    ]);
    await h.settle();
    expect((await h.engine.getPromotion(p.id))?.state).toBe('succeeded');
    const granted = h.events
      .filter((e) => e.name === 'approval:granted')
      .map((e) => (e.payload as { complete: boolean }).complete);
    expect(granted).toEqual([false, false, false, true]);
  });

  it('enforces separation of duties and refuses double approval', async () => {
    const { h, p } = await setup();
    await rejects(h.engine.approve(p.id, { principal: ann }), 'E_NOT_APPROVER');
    // Eligible by list but the requester: separation of duties wins.
    const h2 = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'any', required: 2 }] } } })],
    });
    const r = await h2.engine.createRelease({ name: 'x', artifacts: ['x@1.0.0'] });
    const p2 = await h2.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: r.id,
      principal: ann,
    });
    await h2.settle();
    await rejects(h2.engine.approve(p2.id, { principal: ann }), 'E_SELF_APPROVAL');
    await h2.engine.approve(p2.id, { principal: bob });
    await rejects(h2.engine.approve(p2.id, { principal: bob }), 'E_ALREADY_APPROVED');
    await rejects(h.engine.approve(p.id, { principal: {} as Principal }), 'E_INVALID_ARGUMENT');
  });

  it('asks the authorize hook with the level and role', async () => {
    const calls: Array<[string, PromotionAction, string | undefined]> = [];
    const { h, p } = await setup({
      authorize: (principal, action, resource) => {
        calls.push([principal.id, action, resource.role]);
        if (action === 'promotion:approve' && resource.role === 'release-manager') {
          return principal.roles?.includes('release-manager') === true;
        }
        return true;
      },
    });
    await h.engine.approve(p.id, { principal: bob });
    await h.engine.approve(p.id, { principal: cat });
    await rejects(
      h.engine.approve(p.id, { principal: { id: 'mallory', roles: ['dev'] } }),
      'E_UNAUTHORIZED',
    );
    await h.engine.approve(p.id, { principal: dan });
    await h.settle();
    expect((await h.engine.getPromotion(p.id))?.state).toBe('succeeded');
    expect(calls).toContainEqual(['dan', 'promotion:approve', 'release-manager']);
    expect(calls).toContainEqual(['ann', 'promotion:request', undefined]);
  });

  it('rejection with a reason ends the promotion and frees the stage', async () => {
    const { h, p } = await setup();
    await rejects(h.engine.reject(p.id, { principal: bob, reason: ' ' }), 'E_INVALID_ARGUMENT');
    const out = await h.engine.reject(p.id, { principal: bob, reason: 'breaks the SLO' });
    expect(out.state).toBe('rejected');
    expect(out.rejection).toMatchObject({ principal: 'bob', reason: 'breaks the SLO' });
    expect((await h.engine.stage('main', 'dev')).active).toBeUndefined();
    await rejects(h.engine.approve(p.id, { principal: cat }), 'E_PROMOTION_FINISHED');
    expect(h.names()).toContain('approval:rejected');
  });

  it('expires: approving after the window fails and the promotion is cancelled', async () => {
    const { h, p } = await setup();
    await h.engine.approve(p.id, { principal: bob });
    await h.advance(3_600_000);
    const after = await h.engine.getPromotion(p.id);
    expect(after?.state).toBe('cancelled');
    expect(after?.reason).toBe('approval expired');
    await rejects(h.engine.approve(p.id, { principal: cat }), 'E_PROMOTION_FINISHED');
    expect(h.names()).toContain('approval:expired');
  });

  it('refuses to approve a promotion that is not awaiting approval', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'l' }] } } })],
    });
    const a = await h.engine.createRelease({ name: 'a', artifacts: ['a@1.0.0'] });
    const b = await h.engine.createRelease({ name: 'b', artifacts: ['b@1.0.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: a.id });
    const queued = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: b.id });
    await h.settle();
    await rejects(h.engine.approve(queued.id, { principal: bob }), 'E_INVALID_STATE');
  });
});
