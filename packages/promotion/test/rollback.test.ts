import { describe, expect, it } from 'vitest';
import type { HandlerContext } from '../src/index.js';
import { rejects } from './support/expect-error.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, harness } from './support/setup.js';

describe.each(ADAPTERS)('rollback on %s', (_name, open) => {
  async function setup() {
    let healthy = true;
    const deploys: string[] = [];
    const rollbacks: Array<{ to: string; from: string | undefined }> = [];
    const h = await harness(open, {
      pipelines: [
        threeStages({
          dev: {
            verification: {
              delayMs: 1_000,
              gates: [{ kind: 'health', name: 'smoke', check: async () => healthy }],
            },
          },
        }),
      ],
      promote: async (ctx: HandlerContext) => {
        deploys.push(ctx.release.artifacts[0]!.version);
      },
      rollback: async (ctx: HandlerContext) => {
        rollbacks.push({
          to: ctx.release.artifacts[0]!.version,
          from: ctx.previous?.artifacts[0]?.version,
        });
        return { restored: ctx.release.id };
      },
    });
    const promote = async (version: string) => {
      const r = await h.engine.createRelease({ name: 'orders', artifacts: [`orders@${version}`] });
      const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
      await h.advance(1_000);
      return { r, p: (await h.engine.getPromotion(p.id))! };
    };
    return { h, promote, deploys, rollbacks, setHealthy: (v: boolean) => (healthy = v) };
  }

  it('rolls back automatically when verification fails, holds the stage, records history', async () => {
    const { h, promote, rollbacks, setHealthy } = await setup();
    const v1 = await promote('1.0.0');
    expect(v1.p.state).toBe('succeeded');
    setHealthy(false);
    const v2 = await promote('2.0.0');
    await h.settle();
    const after = (await h.engine.getPromotion(v2.p.id))!;
    expect(after.state).toBe('rolled_back');
    expect(after.rollback).toMatchObject({
      targetReleaseId: v1.r.id,
      status: 'done',
      attempts: 1,
      outputs: { restored: v1.r.id },
    });
    expect(rollbacks).toEqual([{ to: '1.0.0', from: '2.0.0' }]);
    const view = await h.engine.stage('main', 'dev');
    expect(view.releases[0]).toMatchObject({ releaseId: v1.r.id, via: 'rollback', verified: true });
    expect(view.hold?.reason).toContain('automatic rollback');
    expect(view.active).toBeUndefined();
    const types = (await h.engine.history('main', 'dev', { limit: 1000 })).items.map((e) => e.type);
    expect(types).toContain('promotion:rolled_back');
    expect(types).toContain('rollback:completed');
    expect(h.names()).toEqual(
      expect.arrayContaining([
        'verification:failed',
        'rollback:started',
        'rollback:completed',
        'stage:held',
      ]),
    );
    // The failed release is revoked: not available downstream.
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: v2.r.id }),
      'E_NOT_AVAILABLE',
    );
  });

  it('the rollback decision is committed before the rollback handler runs', async () => {
    const { h, promote, setHealthy } = await setup();
    await promote('1.0.0');
    setHealthy(false);
    const order: string[] = [];
    h.engine.on('rollback:started', () => order.push('decided'));
    h.engine.on('rollback:completed', () => order.push('handler done'));
    await promote('2.0.0');
    await h.settle();
    expect(order).toEqual(['decided', 'handler done']);
  });

  it('without an earlier release a failed verification fails the promotion', async () => {
    const { h, promote, setHealthy } = await setup();
    setHealthy(false);
    const v1 = await promote('1.0.0');
    expect(v1.p.state).toBe('failed');
    expect((await h.engine.stage('main', 'dev')).releases[0]).toMatchObject({
      releaseId: v1.r.id,
      verified: false,
    });
  });

  it('rolls back on demand to the previous release (fast path) and refuses when there is none', async () => {
    const { h, promote, rollbacks } = await setup();
    await rejects(h.engine.rollback({ pipeline: 'main', stage: 'dev' }), 'E_INVALID_ARGUMENT');
    const v1 = await promote('1.0.0');
    await rejects(h.engine.rollback({ pipeline: 'main', stage: 'dev' }), 'E_NO_ROLLBACK_TARGET');
    const v2 = await promote('2.0.0');
    await promote('3.0.0');
    const rb = await h.engine.rollback({
      pipeline: 'main',
      stage: 'dev',
      reason: 'bad release',
      principal: { id: 'oncall' },
    });
    await h.settle();
    const done = (await h.engine.getPromotion(rb.id))!;
    expect(done).toMatchObject({
      kind: 'rollback',
      state: 'succeeded',
      releaseId: v2.r.id,
      fastPath: true,
    });
    expect(done.transitions.map((t) => t.state)).toEqual(['requested', 'promoting', 'succeeded']);
    expect(rollbacks.at(-1)).toEqual({ to: '2.0.0', from: '3.0.0' });
    // Roll back explicitly to an older one from history.
    const rb2 = await h.engine.rollback({ pipeline: 'main', stage: 'dev', to: v1.r.id });
    await h.settle();
    expect((await h.engine.getPromotion(rb2.id))?.state).toBe('succeeded');
    expect((await h.engine.stage('main', 'dev')).releases[0]?.releaseId).toBe(v1.r.id);
    await rejects(
      h.engine.rollback({ pipeline: 'main', stage: 'dev', to: v1.r.id }),
      'E_NO_ROLLBACK_TARGET',
    );
    expect(h.names()).toContain('rollback:completed');
  });

  it('a rollback without the fast path runs verification', async () => {
    const { h, promote } = await setup();
    const v1 = await promote('1.0.0');
    await promote('2.0.0');
    const rb = await h.engine.rollback({ pipeline: 'main', stage: 'dev', fastPath: false });
    await h.advance(1_000);
    const done = (await h.engine.getPromotion(rb.id))!;
    expect(done.state).toBe('succeeded');
    expect(done.verification.map((g) => g.name)).toEqual(['smoke']);
    expect(done.releaseId).toBe(v1.r.id);
  });

  it('skips rejected releases as rollback targets', async () => {
    const { h, promote } = await setup();
    const v1 = await promote('1.0.0');
    const v2 = await promote('2.0.0');
    await promote('3.0.0');
    await h.engine.rejectRelease(v2.r.id, { reason: 'CVE-2026-1', principal: { id: 'sec' } });
    const rb = await h.engine.rollback({ pipeline: 'main', stage: 'dev' });
    expect(rb.releaseId).toBe(v1.r.id);
    await rejects(
      h.engine.rollback({ pipeline: 'main', stage: 'dev', to: v2.r.id }),
      'E_RELEASE_REJECTED',
    );
  });

  it('reverify re-runs verification; a failure revokes and rolls back', async () => {
    const { h, promote, setHealthy } = await setup();
    const v1 = await promote('1.0.0');
    const ok = await h.engine.reverify({ pipeline: 'main', stage: 'dev' });
    await h.settle();
    const passed = (await h.engine.getPromotion(ok.id))!;
    expect(passed).toMatchObject({ kind: 'verification', state: 'succeeded', releaseId: v1.r.id });
    expect(passed.transitions.map((t) => t.state)).toEqual(['requested', 'verifying', 'succeeded']);
    const v2 = await promote('2.0.0');
    setHealthy(false);
    const bad = await h.engine.reverify({ pipeline: 'main', stage: 'dev' });
    await h.settle();
    expect((await h.engine.getPromotion(bad.id))?.state).toBe('rolled_back');
    expect((await h.engine.stage('main', 'dev')).releases[0]?.releaseId).toBe(v1.r.id);
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: v2.r.id }),
      'E_NOT_AVAILABLE',
    );
    // Nothing earlier to return to: the release stays, unverified.
    const lone = await setup();
    await lone.promote('1.0.0');
    lone.setHealthy(false);
    const f = await lone.h.engine.reverify({ pipeline: 'main', stage: 'dev' });
    await lone.h.settle();
    expect((await lone.h.engine.getPromotion(f.id))?.state).toBe('failed');
    expect((await lone.h.engine.stage('main', 'dev')).releases[0]?.verified).toBe(false);
    await rejects(
      lone.h.engine.reverify({ pipeline: 'main', stage: 'staging' }),
      'E_INVALID_ARGUMENT',
    );
  });

  it('a rollback jumps the queue of the stage', async () => {
    const { h, promote } = await setup();
    await promote('1.0.0');
    await promote('2.0.0');
    const a = await h.engine.createRelease({ name: 'other', artifacts: ['other@1.0.0'] });
    const b = await h.engine.createRelease({ name: 'more', artifacts: ['more@1.0.0'] });
    const pa = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: a.id });
    const pb = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: b.id });
    const rb = await h.engine.rollback({ pipeline: 'main', stage: 'dev', releaseName: 'orders' });
    const view = await h.engine.stage('main', 'dev');
    expect(view.active).toBe(pa.id);
    expect(view.queued).toEqual([rb.id, pb.id]);
  });
});
