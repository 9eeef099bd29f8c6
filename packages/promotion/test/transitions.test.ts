import { describe, expect, it } from 'vitest';
import { rejects } from './support/expect-error.js';
import { ADAPTERS, harness } from './support/setup.js';
import { threeStages } from './support/pipelines.js';

describe.each(ADAPTERS)('state machine on %s', (_name, open) => {
  it('walks requested → gating → promoting → succeeded and lands the release', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const p = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    expect(p.state).toBe('requested');
    await h.settle();
    const done = await h.engine.getPromotion(p.id);
    expect(done?.state).toBe('succeeded');
    expect(done?.transitions.map((t) => t.state)).toEqual([
      'requested',
      'gating',
      'promoting',
      'succeeded',
    ]);
    const view = await h.engine.stage('main', 'dev');
    expect(view.releases.map((x) => x.releaseId)).toEqual([r.id]);
    expect(view.releases[0]?.verified).toBe(true);
    expect(view.active).toBeUndefined();
    expect(h.names()).toEqual(
      expect.arrayContaining([
        'promotion:requested',
        'promotion:started',
        'promotion:gating',
        'promotion:promoting',
        'promotion:succeeded',
      ]),
    );
  });

  it('walks awaiting approval and verifying when the stage has approvals and verification', async () => {
    const h = await harness(open, {
      pipelines: [
        threeStages({
          dev: {
            approvals: { levels: [{ name: 'lead', required: 1 }] },
            verification: { delayMs: 60_000, gates: [{ kind: 'health', check: async () => true }] },
          },
        }),
      ],
    });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const p = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: r.id,
      principal: { id: 'ann' },
    });
    await h.settle();
    expect((await h.engine.getPromotion(p.id))?.state).toBe('awaiting_approval');
    await h.engine.approve(p.id, { principal: { id: 'bob' } });
    await h.settle();
    expect((await h.engine.getPromotion(p.id))?.state).toBe('verifying');
    await h.advance(59_000);
    expect((await h.engine.getPromotion(p.id))?.state).toBe('verifying');
    await h.advance(1_000);
    const done = await h.engine.getPromotion(p.id);
    expect(done?.state).toBe('succeeded');
    expect(done?.transitions.map((t) => t.state)).toEqual([
      'requested',
      'awaiting_approval',
      'gating',
      'promoting',
      'verifying',
      'succeeded',
    ]);
    expect(done?.verification.map((g) => g.status)).toEqual(['passed']);
  });

  it('moves down the pipeline only after upstream verification; no skipping, no reverse moves', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: r.id }),
      'E_NOT_AVAILABLE',
    );
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r.id, from: 'dev' }),
      'E_FORBIDDEN_TRANSITION',
    );
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id, from: 'prod' }),
      'E_FORBIDDEN_TRANSITION',
    );
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    await h.settle();
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id }),
      'E_FORBIDDEN_TRANSITION',
    );
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r.id }),
      'E_NOT_AVAILABLE',
    );
    await h.engine.request({ pipeline: 'main', stage: 'staging', releaseId: r.id, from: 'dev' });
    await h.settle();
    await h.engine.request({ pipeline: 'main', stage: 'prod', releaseId: r.id });
    await h.settle();
    expect((await h.engine.stage('main', 'prod')).releases[0]?.releaseId).toBe(r.id);
    // A newer release replaces it; moving the old one back is a rollback, not a request.
    const r2 = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.2.0'] });
    await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r2.id });
    await h.settle();
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id }),
      'E_FORBIDDEN_TRANSITION',
    );
  });

  it('rejects unknown pipelines, stages, releases and promotions with typed errors', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    await rejects(
      h.engine.request({ pipeline: 'nope', stage: 'dev', releaseId: r.id }),
      'E_UNKNOWN_PIPELINE',
    );
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'qa', releaseId: r.id }),
      'E_UNKNOWN_STAGE',
    );
    await rejects(
      h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: 'missing' }),
      'E_UNKNOWN_RELEASE',
    );
    await rejects(h.engine.approve('missing', { principal: { id: 'x' } }), 'E_UNKNOWN_PROMOTION');
    await rejects(h.engine.cancel('missing'), 'E_UNKNOWN_PROMOTION');
  });

  it('queues requests on a busy stage and runs them one at a time, in order', async () => {
    let running = 0;
    let maxRunning = 0;
    const order: string[] = [];
    const h = await harness(open, {
      pipelines: [threeStages()],
      promote: async (ctx) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setImmediate(r));
        order.push(ctx.release.name);
        running--;
      },
    });
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const r = await h.engine.createRelease({ name, artifacts: [`${name}@1.0.0`] });
      ids.push((await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r.id })).id);
    }
    await h.settle();
    expect(order).toEqual(['a', 'b', 'c']);
    // Each promotion started only after the previous one finished.
    const seq = h.events
      .filter((e) => e.name === 'promotion:started' || e.name === 'promotion:succeeded')
      .map((e) => `${e.name}:${ids.indexOf((e.payload as { promotionId: string }).promotionId)}`);
    expect(seq).toEqual([
      'promotion:started:0',
      'promotion:succeeded:0',
      'promotion:started:1',
      'promotion:succeeded:1',
      'promotion:started:2',
      'promotion:succeeded:2',
    ]);
    expect(maxRunning).toBe(1);
    for (const id of ids) expect((await h.engine.getPromotion(id))?.state).toBe('succeeded');
  });

  it('supersedes queued promotions when asked', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'lead' }] } } })],
    });
    const mk = (v: string) =>
      h.engine.createRelease({ name: 'orders', artifacts: [`orders@${v}`] });
    const first = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: (await mk('1.0.0')).id,
    });
    const second = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: (await mk('1.1.0')).id,
    });
    const third = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: (await mk('1.2.0')).id,
      supersede: true,
    });
    await h.settle();
    expect((await h.engine.getPromotion(first.id))?.state).toBe('awaiting_approval');
    expect((await h.engine.getPromotion(second.id))?.state).toBe('superseded');
    expect((await h.engine.stage('main', 'dev')).queued).toEqual([third.id]);
    expect(h.names()).toContain('promotion:superseded');
  });

  it('cancels queued or waiting promotions and refuses to cancel finished ones', async () => {
    const h = await harness(open, {
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'lead' }] } } })],
    });
    const r1 = await h.engine.createRelease({ name: 'a', artifacts: ['a@1.0.0'] });
    const r2 = await h.engine.createRelease({ name: 'b', artifacts: ['b@1.0.0'] });
    const p1 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r1.id });
    const p2 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: r2.id });
    await h.settle();
    expect((await h.engine.cancel(p2.id, { reason: 'not needed' })).state).toBe('cancelled');
    expect((await h.engine.cancel(p1.id)).state).toBe('cancelled');
    expect((await h.engine.stage('main', 'dev')).active).toBeUndefined();
    await rejects(h.engine.cancel(p1.id), 'E_PROMOTION_FINISHED');
  });

  it('returns the same promotion for a repeated idempotency key and refuses its reuse', async () => {
    const h = await harness(open, { pipelines: [threeStages()] });
    const r = await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const other = await h.engine.createRelease({ name: 'billing', artifacts: ['billing@1.0.0'] });
    const a = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: r.id,
      idempotencyKey: 'k1',
    });
    const b = await h.engine.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: r.id,
      idempotencyKey: 'k1',
    });
    expect(b.id).toBe(a.id);
    await rejects(
      h.engine.request({
        pipeline: 'main',
        stage: 'dev',
        releaseId: other.id,
        idempotencyKey: 'k1',
      }),
      'E_IDEMPOTENCY_MISMATCH',
    );
    await h.settle();
    expect((await h.engine.promotions({ pipeline: 'main', stage: 'dev' })).items).toHaveLength(1);
  });

  it('records a handler that throws or hangs as a failure and leaves the stage unchanged', async () => {
    let calls = 0;
    const h = await harness(open, {
      pipelines: [threeStages()],
      handlerPolicy: { retries: 1, timeoutMs: 5_000, retryDelayMs: 0 },
      promote: async (ctx) => {
        calls++;
        if (ctx.release.name === 'boom') throw new Error('deploy exploded');
        if (ctx.release.name === 'hang') await new Promise(() => {});
        return { url: `https://${ctx.stage}.example/${ctx.release.name}` };
      },
    });
    const ok = await h.engine.createRelease({ name: 'ok', artifacts: ['ok@1.0.0'] });
    const boom = await h.engine.createRelease({ name: 'boom', artifacts: ['boom@1.0.0'] });
    const hang = await h.engine.createRelease({ name: 'hang', artifacts: ['hang@1.0.0'] });
    const p1 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: ok.id });
    const p2 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: boom.id });
    const p3 = await h.engine.request({ pipeline: 'main', stage: 'dev', releaseId: hang.id });
    await h.settle();
    const f2 = await h.engine.getPromotion(p2.id);
    expect(f2?.state).toBe('failed');
    expect(f2?.handler?.attempts).toBe(2);
    expect(f2?.reason).toContain('deploy exploded');
    await h.advance(5_000);
    await h.advance(5_000);
    await h.settle();
    const f3 = await h.engine.getPromotion(p3.id);
    expect(f3?.state).toBe('failed');
    expect(f3?.reason).toMatch(/timed out|E_TIMEOUT|did not finish/i);
    expect((await h.engine.getPromotion(p1.id))?.handler?.outputs).toEqual({
      url: 'https://dev.example/ok',
    });
    const view = await h.engine.stage('main', 'dev');
    expect(view.releases.map((x) => x.release.name)).toEqual(['ok']);
    expect(view.active).toBeUndefined();
    expect(calls).toBe(1 + 2 + 2);
  });
});
