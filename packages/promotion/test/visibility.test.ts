import { describe, expect, it } from 'vitest';
import type { MeterLike } from '../src/index.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, START, harness } from './support/setup.js';

const HOUR = 3_600_000;

function fakeMeter() {
  const counters = new Map<string, number>();
  const histograms = new Map<string, number[]>();
  const meter: MeterLike = {
    createCounter: (name) => ({
      add: (v) => void counters.set(name, (counters.get(name) ?? 0) + v),
    }),
    createHistogram: (name) => ({
      record: (v) => void histograms.set(name, [...(histograms.get(name) ?? []), v]),
    }),
  };
  return { meter, counters, histograms };
}

describe.each(ADAPTERS)('visibility on %s', (_name, open) => {
  it('shows what each stage holds, diffs two stages and keeps a per-stage audit trail', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'l' }] } } })],
    });
    const orders = await h.engine.createRelease({
      name: 'orders',
      artifacts: ['orders@1.0.0', 'orders-schema@3.0.0'],
    });
    const web = await h.engine.createRelease({ name: 'web', artifacts: ['web@2.0.0'] });
    for (const r of [orders, web]) {
      const p = await h.engine.request({
        pipeline: 'main',
        stage: 'dev',
        releaseId: r.id,
        principal: { id: 'ann' },
      });
      await h.settle();
      await h.engine.approve(p.id, { principal: { id: 'bob' } });
      await h.settle();
    }
    await h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: orders.id });
    await h.settle();
    const orders2 = await h.engine.createRelease({
      name: 'orders',
      artifacts: ['orders@1.1.0', 'orders-schema@3.0.0'],
    });
    const p = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: orders2.id,
      principal: { id: 'ann' },
    });
    await h.settle();
    await h.engine.approve(p.id, { principal: { id: 'bob' } });
    await h.settle();

    const contents = await h.engine.contents('main');
    expect(
      contents.map((s) => [s.stage, s.releases.map((r) => r.release.artifacts[0]?.version).sort()]),
    ).toEqual([
      ['dev', ['1.1.0', '2.0.0']],
      ['staging', ['1.0.0']],
      ['prod', []],
    ]);
    expect(await h.engine.diff('main', 'dev', 'staging')).toEqual([
      { artifact: 'orders', status: 'differs', left: '1.1.0', right: '1.0.0' },
      { artifact: 'orders-schema', status: 'same', left: '3.0.0', right: '3.0.0' },
      { artifact: 'web', status: 'only-left', left: '2.0.0' },
    ]);
    const history = (await h.engine.history('main', 'dev', { limit: 1000 })).items;
    expect(history.filter((e) => e.type === 'approval:granted').map((e) => e.actor)).toEqual([
      'bob',
      'bob',
      'bob',
    ]);
    expect(history.filter((e) => e.type === 'promotion:requested').map((e) => e.actor)).toEqual([
      'ann',
      'ann',
      'ann',
    ]);
    expect(history.filter((e) => e.type === 'stage:changed')).toHaveLength(3);
    expect(history.map((e) => e.at)).toEqual([...history.map((e) => e.at)].sort((a, b) => a - b));
    const page1 = await h.engine.history('main', 'dev', { limit: 2 });
    const page2 = await h.engine.history('main', 'dev', { limit: 2, cursor: page1.cursor! });
    expect(page2.items[0]?.id).toBe(history[2]?.id);
    const listed = await h.engine.promotions({ pipeline: 'main', stage: 'dev' });
    expect(listed.items.map((x) => x.releaseId)).toEqual([orders.id, web.id, orders2.id]);
    expect(listed.items[0]).not.toHaveProperty('lease');
  });

  it('emits one transition event per state change, after the commit', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const checks: Array<Promise<string>> = [];
    h.engine.on('promotion:transition', (e) => {
      // The state the event announces is already in the store when the listener runs.
      checks.push(
        h.engine
          .getPromotion(e.promotionId)
          .then(
            (stored) =>
              `${e.from ?? 'none'}→${e.to}:${stored?.transitions.some((t) => t.state === e.to) === true}`,
          ),
      );
    });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    const seen = await Promise.all(checks);
    expect(seen).toEqual([
      'none→requested:true',
      'requested→gating:true',
      'gating→promoting:true',
      'promoting→succeeded:true',
    ]);
  });

  it('records OpenTelemetry metrics: transitions, outcomes, durations, rollbacks', async () => {
    const m = fakeMeter();
    const h = await harness(open, { pipelines: [threeStages()], meter: m.meter });
    const r1 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const r2 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@2.0.0'] });
    for (const r of [r1, r2]) {
      await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
      await h.settle();
    }
    await h.engine.rollback({ pipeline: 'main', stage: 'dev' });
    await h.settle();
    // 2 × (requested, gating, promoting, succeeded) + the fast-path rollback's 3.
    expect(m.counters.get('plinth.promotion.transitions')).toBe(11);
    expect(m.counters.get('plinth.promotion.completed')).toBe(3);
    expect(m.counters.get('plinth.promotion.rollbacks')).toBe(1);
    expect(m.histograms.get('plinth.promotion.duration')).toHaveLength(3);
  });

  it('dry-run: simulates the whole pipeline under a manual clock without deploying', async () => {
    let deploys = 0;
    const h = await harness(open, {
      pipelines: [
        threeStages({
          staging: {
            soakMs: 0,
            verification: {
              delayMs: 30 * 60_000,
              gates: [{ kind: 'health', check: async () => true }],
            },
          },
          prod: {
            soakMs: 4 * HOUR,
            approvals: {
              levels: [{ name: 'leads', required: 2, approvers: ['bob', 'cat', 'dan'] }],
            },
            freezeWindows: [{ start: START, end: START + 24 * HOUR, reason: 'freeze' }],
          },
        }),
      ],
      promote: async () => void deploys++,
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const report = await h.engine.simulate({ pipeline: 'main', releaseId: r.id });
    expect(report.outcome).toBe('succeeded');
    expect(report.stages.map((s) => s.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(report.stages[1]?.durationMs).toBe(30 * 60_000);
    expect(report.stages[2]?.approvals.map((a) => a.principal)).toEqual(['bob', 'cat']);
    // prod waits for the freeze to end (24 h from start; the 4 h soak is long over).
    expect(report.stages[2]?.finishedAt).toBe(START + 24 * HOUR);
    expect(
      report.timeline.some((e) => e.event === 'promotion:parked' && e.detail === 'freeze'),
    ).toBe(true);
    expect(deploys).toBe(0);
    // Nothing changed in the real store.
    expect((await h.engine.stage('main', 'dev')).releases).toEqual([]);
    expect(h.clock.now()).toBe(START);
  });

  it('dry-run reports what blocks a release', async () => {
    const h = await harness(open, {
      pipelines: [
        threeStages({
          staging: { gates: [{ kind: 'custom', name: 'change-ticket', run: async () => false }] },
        }),
      ],
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const report = await h.engine.simulate({ pipeline: 'main', releaseId: r.id });
    expect(report.outcome).toBe('failed');
    expect(report.stages.map((s) => s.outcome)).toEqual(['succeeded', 'failed']);
    expect(report.stages[1]?.reason).toContain('change-ticket');
    const passing = await h.engine.simulate({ pipeline: 'main', releaseId: r.id, gates: 'pass' });
    expect(passing.outcome).toBe('succeeded');
    const dep = await h.engine.createRelease({
      name: 'web',
      artifacts: ['web@1.0.0'],
      dependencies: ['orders@^9'],
    });
    const blocked = await h.engine.simulate({ pipeline: 'main', releaseId: dep.id });
    expect(blocked.outcome).toBe('blocked');
    expect(blocked.stages[0]?.reason).toContain('E_UNMET_DEPENDENCY');
  });
});
