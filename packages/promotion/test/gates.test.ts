import { describe, expect, it } from 'vitest';
import type { ArtifactRef, GateDefinition } from '../src/index.js';
import { threeStages } from './support/pipelines.js';
import { ADAPTERS, harness } from './support/setup.js';

describe.each(ADAPTERS)('gates on %s', (_name, open) => {
  async function run(
    gates: GateDefinition[],
    extra: Parameters<typeof harness>[1] = {},
    artifacts = ['orders@3.1.0'],
  ) {
    const h = await harness(open, { pipelines: [threeStages({ dev: { gates } })], ...extra });
    const r = await h.engine.createRelease({ name: 'orders', artifacts });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    return { h, p: (await h.engine.getPromotion(p.id))!, release: r };
  }

  it('compatibility: checks each artifact against what the stage holds', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const compatibility = async (candidate: ArtifactRef, current: ArtifactRef | undefined) => {
      seen.push([candidate.version, current?.version]);
      return candidate.version.startsWith('4')
        ? { compatible: false, messages: ['field "id" removed'] }
        : { compatible: true };
    };
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { gates: [{ kind: 'compatibility' }] } })],
      compatibility,
    });
    const ok = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: ok.id });
    await h.settle();
    const bad = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@4.0.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: bad.id });
    await h.settle();
    const out = (await h.engine.getPromotion(p.id))!;
    expect(out.state).toBe('failed');
    expect(out.gates[0]?.messages.join()).toContain('field "id" removed');
    expect(seen).toEqual([
      ['3.1.0', undefined],
      ['4.0.0', '3.1.0'],
    ]);
    expect((await h.engine.stage('main', 'dev')).releases[0]?.releaseId).toBe(ok.id);
    expect(h.names()).toContain('gate:failed');
  });

  it('compatibility without a checker fails with a clear message', async () => {
    const { p } = await run([{ kind: 'compatibility' }]);
    expect(p.state).toBe('failed');
    expect(p.reason).toContain('no compatibility checker');
  });

  it('health: a host check decides, with its message recorded', async () => {
    const good = await run([{ kind: 'health', check: async () => true }]);
    expect(good.p.state).toBe('succeeded');
    const bad = await run([
      { kind: 'health', name: 'db', check: async () => ({ healthy: false, message: 'db down' }) },
    ]);
    expect(bad.p.state).toBe('failed');
    expect(bad.p.gates[0]).toMatchObject({ name: 'db', status: 'failed', messages: ['db down'] });
  });

  it('analysis: success/failure conditions, failure limit, inconclusive', async () => {
    const values = [0.01, 0.2, 0.02];
    let i = 0;
    const source = () => values[i++ % values.length];
    const tolerant = await run([
      {
        kind: 'analysis',
        source,
        metrics: [
          {
            name: 'error-rate',
            count: 3,
            failureCondition: (v) => v > 0.1,
            successCondition: (v) => v <= 0.1,
            failureLimit: 1,
          },
        ],
      },
    ]);
    expect(tolerant.p.state).toBe('succeeded');
    i = 0;
    const strict = await run([
      {
        kind: 'analysis',
        source,
        metrics: [{ name: 'error-rate', count: 3, failureCondition: (v) => v > 0.1 }],
      },
    ]);
    expect(strict.p.state).toBe('failed');
    expect(strict.p.gates[0]?.messages[0]).toContain('failed 1 of 3');
    const noData = await run([
      {
        kind: 'analysis',
        source: () => undefined,
        metrics: [{ name: 'latency', successCondition: (v) => v < 1 }],
      },
    ]);
    expect(noData.p.gates[0]?.status).toBe('inconclusive');
    expect(noData.p.state).toBe('failed');
    const lenient = await run([
      {
        kind: 'analysis',
        onInconclusive: 'pass',
        source: () => undefined,
        metrics: [{ name: 'latency', successCondition: (v) => v < 1 }],
      },
    ]);
    expect(lenient.p.state).toBe('succeeded');
  });

  it('dry-run metrics are measured and recorded but never fail a gate', async () => {
    const analysis = await run([
      {
        kind: 'analysis',
        source: ({ metric }) => (metric === 'new-metric' ? 99 : 0.01),
        metrics: [
          { name: 'error-rate', failureCondition: (v) => v > 0.1 },
          { name: 'new-metric', failureCondition: (v) => v > 1, dryRun: true },
        ],
      },
    ]);
    expect(analysis.p.state).toBe('succeeded');
    expect(analysis.p.gates[0]?.messages.join()).toContain('dry run: metric "new-metric"');
    const baseline = [10, 11, 9, 10, 12, 10, 11, 9, 10, 10];
    const canary = await run([
      {
        kind: 'canary',
        source: ({ sample, metric }) =>
          sample === 'canary' && metric === 'trial' ? baseline.map((x) => x * 3) : baseline,
        metrics: [{ name: 'latency' }, { name: 'trial', critical: true, dryRun: true }],
      },
    ]);
    expect(canary.p.state).toBe('succeeded');
    expect(canary.p.gates[0]?.messages.join()).toContain('dry run: metric "trial" is high');
  });

  it('analysis waits between measurements on the injected clock', async () => {
    const times: number[] = [];
    const h = await harness(open, {
      pipelines: [
        threeStages({
          dev: {
            gates: [
              {
                kind: 'analysis',
                source: () => {
                  times.push(h.clock.now());
                  return 1;
                },
                metrics: [
                  { name: 'm', count: 3, intervalMs: 60_000, successCondition: (v) => v === 1 },
                ],
                timeoutMs: 600_000,
              },
            ],
          },
        }),
      ],
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.advance(60_000);
    await h.advance(60_000);
    expect((await h.engine.getPromotion(p.id))?.state).toBe('succeeded');
    expect(times.map((t) => t - times[0]!)).toEqual([0, 60_000, 120_000]);
  });

  it('canary: Mann-Whitney U of canary vs baseline decides pass, marginal and fail', async () => {
    const baseline = [100, 102, 98, 101, 99, 103, 97, 100, 101, 99, 100, 102];
    const same = [101, 99, 100, 102, 98, 100, 101, 99, 103, 97, 100, 101];
    const slower = baseline.map((x) => x * 1.5);
    const gate = (canary: number[], critical = false): GateDefinition => ({
      kind: 'canary',
      source: ({ sample }) => (sample === 'canary' ? canary : baseline),
      metrics: [
        { name: 'latency', direction: 'increase', critical },
        { name: 'errors', direction: 'increase', weight: 3, query: 'errors' },
      ],
      thresholds: { pass: 90, marginal: 20 },
    });
    expect((await run([gate(same)])).p.state).toBe('succeeded');
    const marginal = await run([gate(slower)]);
    // Both metrics read the same slower samples here: score 0 → fail.
    expect(marginal.p.state).toBe('failed');
    const criticalOnly: GateDefinition = {
      kind: 'canary',
      source: ({ sample, metric }) =>
        sample === 'canary' && metric === 'latency' ? slower : baseline,
      metrics: [
        { name: 'latency', critical: true },
        { name: 'errors', weight: 99 },
      ],
    };
    const crit = await run([criticalOnly]);
    expect(crit.p.state).toBe('failed');
    expect(crit.p.gates[0]?.messages.join(' ')).toContain('latency');
    const decreaseOk: GateDefinition = {
      kind: 'canary',
      source: ({ sample }) => (sample === 'canary' ? baseline.map((x) => x * 0.5) : baseline),
      metrics: [{ name: 'latency', direction: 'increase' }],
    };
    expect((await run([decreaseOk])).p.state).toBe('succeeded');
  });

  it('custom: retries errors, times out hung attempts, records attempts', async () => {
    let calls = 0;
    const flaky: GateDefinition = {
      kind: 'custom',
      name: 'flaky',
      retries: 2,
      retryDelayMs: 0,
      run: async () => {
        calls++;
        if (calls < 3) throw new Error('transient');
        return true;
      },
    };
    const ok = await run([flaky]);
    expect(ok.p.state).toBe('succeeded');
    expect(ok.p.gates[0]?.attempts).toBe(3);

    const h = await harness(open, {
      pipelines: [
        threeStages({
          dev: {
            gates: [
              {
                kind: 'custom',
                name: 'hang',
                timeoutMs: 1_000,
                retries: 1,
                retryDelayMs: 0,
                run: () => new Promise(() => {}),
              },
            ],
          },
        }),
      ],
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.advance(1_000);
    await h.advance(1_000);
    const out = (await h.engine.getPromotion(p.id))!;
    expect(out.state).toBe('failed');
    expect(out.gates[0]).toMatchObject({ name: 'hang', attempts: 2, status: 'failed' });
    const verdict = await run([
      {
        kind: 'custom',
        name: 'v',
        run: async () => ({ status: 'failed', messages: ['nope'], data: { n: 1 } }),
      },
    ]);
    expect(verdict.p.gates[0]).toMatchObject({
      status: 'failed',
      messages: ['nope'],
      data: { n: 1 },
    });
  });

  it('runs gates in order and stops at the first failure', async () => {
    const order: string[] = [];
    const g = (name: string, pass: boolean): GateDefinition => ({
      kind: 'custom',
      name,
      run: async () => {
        order.push(name);
        return pass;
      },
    });
    const { p } = await run([g('a', true), g('b', false), g('c', true)]);
    expect(p.state).toBe('failed');
    expect(order).toEqual(['a', 'b']);
    expect(p.gates.map((x) => x.status)).toEqual(['passed', 'failed']);
  });
});
