import { describe, expect, it } from 'vitest';
import { promotionSteps, type StepResult } from '../src/index.js';
import { rejects } from './support/expect-error.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, harness } from './support/setup.js';

describe.each(ADAPTERS)('promotion steps on %s', (_name, open) => {
  it('runs steps in order, passes outputs on, honours if/continueOnError/retries', async () => {
    const log: string[] = [];
    let flaky = 0;
    const promote = promotionSteps([
      {
        as: 'render',
        run: async (ctx) => ({ manifest: `orders:${ctx.release.artifacts[0]?.version}` }),
      },
      {
        as: 'push',
        retries: 2,
        run: async (ctx) => {
          flaky++;
          if (flaky < 2) throw new Error('registry busy');
          log.push(`push ${String(ctx.steps.render?.outputs?.manifest)}`);
          return { digest: 'sha256:abc' };
        },
      },
      {
        as: 'notify',
        continueOnError: true,
        run: async () => {
          throw new Error('chat is down');
        },
      },
      { as: 'smoke', run: async () => void log.push('smoke') },
      {
        as: 'cleanup',
        if: (_ctx, failed) => failed,
        run: async () => void log.push('cleanup after failure'),
      },
    ]);
    const h = await harness(open, { pipelines: [threeStages()], promote });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    const done = (await h.engine.getPromotion(p.id))!;
    expect(done.state).toBe('succeeded');
    const steps = done.handler?.outputs?.steps as Record<string, StepResult>;
    expect(Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v.status]))).toEqual({
      render: 'succeeded',
      push: 'succeeded',
      notify: 'failed',
      smoke: 'skipped',
      cleanup: 'succeeded',
    });
    expect(steps.push?.attempts).toBe(2);
    expect(log).toEqual(['push orders:3.1.0', 'cleanup after failure']);
  });

  it('a failing step fails the promotion with the step results recorded', async () => {
    const promote = promotionSteps([
      { as: 'a', run: async () => ({ ok: true }) },
      {
        as: 'b',
        run: async () => {
          throw new Error('apply failed');
        },
      },
      { as: 'c', run: async () => ({ never: true }) },
    ]);
    const h = await harness(open, {
      pipelines: [threeStages()],
      promote,
      handlerPolicy: { retries: 0 },
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    const done = (await h.engine.getPromotion(p.id))!;
    expect(done.state).toBe('failed');
    expect(done.reason).toContain('step "b" failed: apply failed');
    const steps = done.handler?.outputs?.steps as Record<string, StepResult>;
    expect(steps.a?.status).toBe('succeeded');
    expect(steps.c?.status).toBe('skipped');
    expect((await h.engine.stage('main', 'dev')).releases).toEqual([]);
  });

  it('refuses steps without alias or with duplicate aliases', async () => {
    await rejects(
      Promise.resolve().then(() =>
        promotionSteps([
          { as: 'x', run: async () => {} },
          { as: 'x', run: async () => {} },
        ]),
      ),
      'E_INVALID_ARGUMENT',
    );
    await rejects(
      Promise.resolve().then(() => promotionSteps([{ as: '', run: async () => {} }])),
      'E_INVALID_ARGUMENT',
    );
  });
});
