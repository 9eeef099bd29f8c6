import { describe, expect, it } from 'vitest';
import { rejects } from './support/expect-error.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, harness } from './support/setup.js';

describe.each(ADAPTERS)('releases and coordination on %s', (_name, open) => {
  it('pins references through a resolver, holds plain references without one', async () => {
    const asked: string[] = [];
    const resolver = {
      resolve: async (ref: string) => {
        asked.push(ref);
        if (ref.startsWith('missing')) throw new Error('no such artifact');
        return { version: '3.4.1', digest: 'sha256:' + 'a'.repeat(64) };
      },
    };
    const h = await harness(open, { pipelines: [threeStages()], resolver });
    const r = await h.engine.createRelease({
      name: 'orders',
      artifacts: [{ name: 'payments/orders', ref: 'payments/orders@^3' }],
    });
    expect(r.artifacts).toEqual([
      { name: 'payments/orders', version: '3.4.1', digest: 'sha256:' + 'a'.repeat(64) },
    ]);
    expect(asked).toEqual(['payments/orders@^3']);
    await rejects(
      h.engine.createRelease({ name: 'x', artifacts: ['missing@1'] }),
      'E_RESOLVE_FAILED',
    );
    const plain = await harness(open, { pipelines: [threeStages()] });
    const sha = await plain.engine.createRelease({
      name: 'web',
      artifacts: [{ name: 'web', version: 'git:4f2a9c1' }],
    });
    expect(sha.artifacts[0]?.version).toBe('git:4f2a9c1');
    await rejects(
      plain.engine.createRelease({ name: 'web', artifacts: ['web@^1.2'] }),
      'E_RESOLVER_REQUIRED',
    );
  });

  it('validates release input and keeps ids immutable', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    await rejects(
      h.engine.createRelease({ name: '', artifacts: ['a@1.0.0'] }),
      'E_INVALID_ARGUMENT',
    );
    await rejects(h.engine.createRelease({ name: 'a', artifacts: [] }), 'E_INVALID_ARGUMENT');
    await rejects(
      h.engine.createRelease({ name: 'a', artifacts: ['a@1.0.0', 'a@2.0.0'] }),
      'E_INVALID_ARGUMENT',
    );
    await rejects(
      h.engine.createRelease({ name: 'a', artifacts: ['a@1.0.0'], dependencies: ['nope'] }),
      'E_INVALID_ARGUMENT',
    );
    const a = await h.engine.createRelease({ id: 'rel-1', name: 'a', artifacts: ['a@1.0.0'] });
    expect(
      (await h.engine.createRelease({ id: 'rel-1', name: 'a', artifacts: ['a@1.0.0'] })).createdAt,
    ).toBe(a.createdAt);
    await rejects(
      h.engine.createRelease({ id: 'rel-1', name: 'a', artifacts: ['a@1.0.1'] }),
      'E_RELEASE_EXISTS',
    );
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('checks dependencies against what the target stage holds', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    const checkout = await h.engine.createRelease({
      name: 'checkout',
      artifacts: ['checkout@1.0.0'],
      dependencies: ['orders@^3'],
    });
    const err = await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: checkout.id }),
      'E_UNMET_DEPENDENCY',
    );
    expect(err.message).toContain('orders@^3');
    const old = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@2.9.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: old.id });
    await h.settle();
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: checkout.id }),
      'E_UNMET_DEPENDENCY',
    );
    const v3 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.2.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: v3.id });
    await h.settle();
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: checkout.id });
    await h.settle();
    expect((await h.engine.getPromotion(p.id))?.state).toBe('succeeded');
  });

  it('re-checks dependencies at gating time (the stage may have changed)', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'l' }] } } })],
    });
    const v3 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.2.0'] });
    const p0 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: v3.id });
    await h.settle();
    await h.engine.approve(p0.id, { principal: { id: 'bob' } });
    await h.settle();
    const checkout = await h.engine.createRelease({
      name: 'checkout',
      artifacts: ['checkout@1.0.0'],
      dependencies: ['orders@^3'],
    });
    const v4 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@4.0.0'] });
    const p1 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: v4.id });
    const p2 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: checkout.id });
    await h.settle();
    await h.engine.approve(p1.id, { principal: { id: 'bob' } });
    await h.settle();
    await h.engine.approve(p2.id, { principal: { id: 'bob' } });
    await h.settle();
    const out = (await h.engine.getPromotion(p2.id))!;
    expect(out.state).toBe('failed');
    expect(out.gates.at(-1)).toMatchObject({ kind: 'dependencies', status: 'failed' });
  });

  it('orders a coordinated promotion topologically and refuses cycles and unmet constraints', async () => {
    const order: string[] = [];
    const h = await harness(open, {
      pipelines: [threeStages()],
      promote: async (ctx) => void order.push(ctx.release.name),
    });
    const schema = await h.engine.createRelease({
      name: 'schema',
      artifacts: ['orders-schema@3.0.0'],
    });
    const api = await h.engine.createRelease({
      name: 'api',
      artifacts: ['orders-api@1.0.0'],
      dependencies: ['orders-schema@^3'],
    });
    const web = await h.engine.createRelease({
      name: 'web',
      artifacts: ['web@1.0.0'],
      dependencies: ['orders-api@>=1.0.0 <2', 'orders-schema@3.x'],
    });
    const ps = await h.engine.requestMany({
      pipeline: 'main',
      stage: 'dev',
      releaseIds: [web.id, api.id, schema.id],
    });
    expect(ps.map((p) => p.releaseName)).toEqual(['schema', 'api', 'web']);
    expect(new Set(ps.map((p) => p.groupId)).size).toBe(1);
    await h.settle();
    expect(order).toEqual(['schema', 'api', 'web']);
    const a = await h.engine.createRelease({
      name: 'a',
      artifacts: ['a@1.0.0'],
      dependencies: ['b@1'],
    });
    const b = await h.engine.createRelease({
      name: 'b',
      artifacts: ['b@1.0.0'],
      dependencies: ['a@1'],
    });
    const cyc = await rejects(
      h.engine.requestMany({ pipeline: 'main', stage: 'dev', releaseIds: [a.id, b.id] }),
      'E_DEPENDENCY_CYCLE',
    );
    expect(cyc.message).toMatch(/a → b → a|b → a → b/);
    const lonely = await h.engine.createRelease({
      name: 'c',
      artifacts: ['c@1.0.0'],
      dependencies: ['zzz@^1'],
    });
    await rejects(
      h.engine.requestMany({ pipeline: 'main', stage: 'dev', releaseIds: [lonely.id] }),
      'E_UNMET_DEPENDENCY',
    );
  });

  it('cancels the rest of a coordinated promotion when a member fails', async () => {
    const h = await harness(open, {
      pipelines: [threeStages()],
      handlerPolicy: { retries: 0 },
      promote: async (ctx) => {
        if (ctx.release.name === 'api') throw new Error('api deploy failed');
      },
    });
    const schema = await h.engine.createRelease({ name: 'schema', artifacts: ['s@1.0.0'] });
    const api = await h.engine.createRelease({
      name: 'api',
      artifacts: ['api@1.0.0'],
      dependencies: ['s@1'],
    });
    const web = await h.engine.createRelease({
      name: 'web',
      artifacts: ['web@1.0.0'],
      dependencies: ['api@1'],
    });
    const ps = await h.engine.requestMany({
      pipeline: 'main',
      stage: 'dev',
      releaseIds: [schema.id, api.id, web.id],
    });
    await h.settle();
    const states = await Promise.all(
      ps.map(async (p) => (await h.engine.getPromotion(p.id))?.state),
    );
    expect(states).toEqual(['succeeded', 'failed', 'cancelled']);
  });

  it('a rejected release can never be promoted again', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'l' }] } } })],
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    await rejects(h.engine.rejectRelease(r.id, { reason: '' }), 'E_INVALID_ARGUMENT');
    const rej = await h.engine.rejectRelease(r.id, {
      reason: 'CVE-2026-0001',
      principal: { id: 'sec' },
    });
    expect(rej.status).toBe('rejected');
    expect((await h.engine.getPromotion(p.id))?.state).toBe('rejected');
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id }),
      'E_RELEASE_REJECTED',
    );
    expect(h.names()).toContain('release:rejected');
  });
});
