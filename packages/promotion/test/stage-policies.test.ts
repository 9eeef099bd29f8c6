import { describe, expect, it } from 'vitest';
import type { PipelineDefinition } from '../src/index.js';
import { rejects } from './support/expect-error.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, START, harness } from './support/setup.js';

const HOUR = 3_600_000;

describe.each(ADAPTERS)('stage policies on %s', (_name, open) => {
  it('soak time: waits until the release has occupied the upstream stage long enough', async () => {
    const h = await harness(open, { pipelines: [threeStages({ staging: { soakMs: 2 * HOUR } })] });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.advance(HOUR / 2);
    const p = await h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: r.id });
    await h.settle();
    const parked = (await h.engine.getPromotion(p.id))!;
    expect(parked.state).toBe('gating');
    expect(parked.wakeAt).toBe(START + 2 * HOUR);
    await h.advance(HOUR);
    expect((await h.engine.getPromotion(p.id))?.state).toBe('gating');
    await h.advance(HOUR / 2);
    expect((await h.engine.getPromotion(p.id))?.state).toBe('succeeded');
  });

  it('soak that can no longer be met fails the promotion', async () => {
    const h = await harness(open, { pipelines: [threeStages({ staging: { soakMs: 2 * HOUR } })] });
    const r1 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const r2 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@2.0.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r1.id });
    await h.settle();
    const p = await h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: r1.id });
    await h.settle();
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r2.id });
    await h.advance(2 * HOUR);
    const out = (await h.engine.getPromotion(p.id))!;
    expect(out.state).toBe('failed');
    expect(out.reason).toContain('soak');
  });

  it('freeze windows: absolute and daily windows delay promotions until they end', async () => {
    const h = await harness(open, {
      pipelines: [
        threeStages({
          dev: {
            freezeWindows: [
              { start: START - HOUR, end: START + HOUR, reason: 'release freeze' },
              { daily: { from: '13:00', to: '14:00' } },
            ],
          },
        }),
      ],
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    // The absolute window runs into the daily one (13:00–14:00): it waits until 14:00.
    expect((await h.engine.getPromotion(p.id))?.wakeAt).toBe(START + 2 * HOUR);
    await h.advance(2 * HOUR - 1);
    expect((await h.engine.getPromotion(p.id))?.state).toBe('gating');
    await h.advance(1);
    expect((await h.engine.getPromotion(p.id))?.state).toBe('succeeded');
    expect(
      h.events.some(
        (e) => e.name === 'promotion:parked' && (e.payload as { why: string }).why === 'freeze',
      ),
    ).toBe(true);
  });

  it('availability ANY vs ALL upstream stages', async () => {
    const diamond = (availability: 'any' | 'all'): PipelineDefinition => ({
      name: 'main',
      stages: [
        { name: 'dev' },
        { name: 'qa-eu', upstream: ['dev'] },
        { name: 'qa-us', upstream: ['dev'] },
        { name: 'prod', upstream: ['qa-eu', 'qa-us'], availability },
      ],
    });
    for (const mode of ['any', 'all'] as const) {
      const h = await harness(open, { pipelines: [diamond(mode)] });
      const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
      for (const s of ['dev', 'qa-eu']) {
        await h.engine.request({ pipeline: 'main', stage: s, releaseId: r.id });
        await h.settle();
      }
      if (mode === 'any') {
        await h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r.id });
      } else {
        const err = await rejects(
          h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r.id }),
          'E_NOT_AVAILABLE',
        );
        expect(err.message).toContain('qa-us');
        await h.engine.request({ pipeline: 'main', stage: 'qa-us', releaseId: r.id });
        await h.settle();
        await h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r.id });
      }
      await h.settle();
      expect((await h.engine.stage('main', 'prod')).releases[0]?.releaseId).toBe(r.id);
    }
  });

  it('auto-promotion moves a verified release downstream; holds and pins stop it', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ staging: { autoPromote: true }, prod: { autoPromote: true } })],
    });
    const r1 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r1.id });
    await h.settle();
    for (const s of ['dev', 'staging', 'prod']) {
      expect((await h.engine.stage('main', s)).releases[0]?.releaseId).toBe(r1.id);
    }
    const auto = (await h.engine.promotions({ pipeline: 'main', stage: 'prod' })).items[0];
    expect(auto).toMatchObject({ auto: true, requestedBy: 'plinth:auto' });
    await h.engine.hold({ pipeline: 'main', stage: 'prod', reason: 'incident 42' });
    const r2 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@2.0.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r2.id });
    await h.settle();
    expect((await h.engine.stage('main', 'staging')).releases[0]?.releaseId).toBe(r2.id);
    expect((await h.engine.stage('main', 'prod')).releases[0]?.releaseId).toBe(r1.id);
    // Manual promotion still works through a hold; a pin refuses everything but rollbacks.
    await h.engine.pin({ pipeline: 'main', stage: 'prod', reason: 'quarter close' });
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r2.id }),
      'E_STAGE_PINNED',
    );
    await h.engine.unpin({ pipeline: 'main', stage: 'prod' });
    await h.engine.releaseHold({ pipeline: 'main', stage: 'prod' });
    await h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r2.id });
    await h.settle();
    expect((await h.engine.stage('main', 'prod')).releases[0]?.releaseId).toBe(r2.id);
    expect(h.names()).toEqual(
      expect.arrayContaining(['stage:held', 'stage:pinned', 'stage:unpinned', 'stage:released']),
    );
  });

  it('a rollback places a hold so automation does not re-promote the newer release', async () => {
    const h = await harness(open, { pipelines: [threeStages({ staging: { autoPromote: true } })] });
    const r1 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const r2 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@2.0.0'] });
    for (const r of [r1, r2]) {
      await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
      await h.settle();
    }
    await h.engine.rollback({ pipeline: 'main', stage: 'staging', principal: { id: 'oncall' } });
    await h.settle();
    const staging = await h.engine.stage('main', 'staging');
    expect(staging.releases[0]?.releaseId).toBe(r1.id);
    expect(staging.hold?.by).toBe('oncall');
  });

  it('refuses invalid pipelines with E_INVALID_PIPELINE', async () => {
    const { PromotionEngine } = await import('../src/index.js');
    const store = (await import('@plinth/storage')).memoryAdapter;
    const s = await (await import('@plinth/storage')).openStore({ adapter: store() });
    const bad: PipelineDefinition[] = [
      {
        name: 'p',
        stages: [
          { name: 'a', upstream: ['b'] },
          { name: 'b', upstream: ['a'] },
        ],
      },
      { name: 'p', stages: [{ name: 'a', upstream: ['zzz'] }] },
      { name: 'p', stages: [{ name: 'a' }, { name: 'a' }] },
      { name: 'p', stages: [] },
      {
        name: 'p',
        stages: [
          { name: 'a', approvals: { levels: [{ name: 'l', required: 3, approvers: ['x'] }] } },
        ],
      },
      {
        name: 'p',
        stages: [{ name: 'a', freezeWindows: [{ daily: { from: '25:00', to: '01:00' } }] }],
      },
      { name: 'p', stages: [{ name: 'a', soakMs: -1 }] },
    ];
    for (const def of bad) {
      let code: unknown;
      try {
        new PromotionEngine({ store: s, pipelines: [def] });
      } catch (e) {
        code = (e as { code?: string }).code;
      }
      expect(code, JSON.stringify(def)).toBe('E_INVALID_PIPELINE');
    }
    let optionError: unknown;
    try {
      new PromotionEngine({ store: s, leaseMs: -5 });
    } catch (e) {
      optionError = e;
    }
    expect(optionError).toMatchObject({ code: 'E_INVALID_OPTION', details: { option: 'leaseMs' } });
    await s.close();
  });
});
