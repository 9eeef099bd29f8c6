import { randomBytes } from 'node:crypto';
import { ManualClock } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { PromotionEngine, type PromotionOptions } from '../src/index.js';
import { threeStages } from './support/pipelines.js';
import { START } from './support/setup.js';

describeWithService('PLINTH_PG_URL', 'two engines over one PostgreSQL', (url) => {
  let admin: pg.Pool;
  const schemas: string[] = [];
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => {});
  });

  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close().catch(() => undefined);
    for (const s of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });

  afterAll(async () => {
    await admin.end();
  });

  /** Two host instances: separate pools and engines, one schema. */
  async function pair(options: Omit<PromotionOptions, 'store'> = {}) {
    const schema = `plinth_promo_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    const engines: PromotionEngine[] = [];
    const stores: Store[] = [];
    const errors: unknown[] = [];
    for (const name of ['a', 'b']) {
      const store = await openStore({
        adapter: postgresAdapter({ url, schema, poolSize: 4 }),
        purgeIntervalMs: 0,
      });
      const engine = new PromotionEngine({
        resumeIntervalMs: 0,
        instanceId: `host-${name}`,
        ...options,
        store,
      });
      engine.on('engine:error', ({ error }) => errors.push(error));
      await engine.open();
      stores.push(store);
      engines.push(engine);
      open.push(store, engine);
    }
    // Real network I/O: wait for both engines to be idle, several rounds (one hands work to the other).
    const settle = async () => {
      for (let i = 0; i < 4; i++) {
        await Promise.all(engines.map((e) => e.idle()));
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    return { a: engines[0]!, b: engines[1]!, settle, errors };
  }

  it('concurrent requests on one stage from two instances run one at a time, none lost or doubled', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const deployed: string[] = [];
    const { a, b, settle, errors } = await pair({
      pipelines: [threeStages()],
      promote: async (ctx) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        deployed.push(ctx.release.name);
        inFlight--;
      },
    });
    const releases = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 === 0 ? a : b).createRelease({ name: `svc-${i}`, artifacts: [`svc-${i}@1.0.0`] }),
      ),
    );
    const promotions = await Promise.all(
      releases.map((r, i) =>
        (i % 2 === 0 ? a : b).request({ pipeline: 'main', stage: 'dev', releaseId: r.id }),
      ),
    );
    await settle();
    for (let i = 0; i < 20 && deployed.length < 16; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await settle();
    }
    expect(maxInFlight).toBe(1);
    expect([...deployed].sort()).toEqual(releases.map((r) => r.name).sort());
    for (const p of promotions) {
      const done = await b.getPromotion(p.id);
      expect(done?.state).toBe('succeeded');
      expect(done?.transitions.map((t) => t.state)).toEqual([
        'requested',
        'gating',
        'promoting',
        'succeeded',
      ]);
    }
    const view = await a.stage('main', 'dev');
    expect(view.releases).toHaveLength(16);
    expect(view.active).toBeUndefined();
    const changes = (await a.history('main', 'dev', { limit: 1000 })).items.filter(
      (e) => e.type === 'stage:changed',
    );
    expect(changes).toHaveLength(16);
    expect(errors).toEqual([]);
  }, 60_000);

  it('the same idempotency key from both instances creates one promotion', async () => {
    const { a, b, settle } = await pair({ pipelines: [threeStages()] });
    const r = await a.createRelease({ id: 'r1', name: 'orders', artifacts: ['orders@1.0.0'] });
    const [x, y] = await Promise.all([
      a.request({ pipeline: 'main', stage: 'dev', releaseId: r.id, idempotencyKey: 'deploy-42' }),
      b.request({ pipeline: 'main', stage: 'dev', releaseId: r.id, idempotencyKey: 'deploy-42' }),
    ]);
    expect(x.id).toBe(y.id);
    await settle();
    expect((await a.promotions({ pipeline: 'main', stage: 'dev' })).items).toHaveLength(1);
  }, 30_000);

  it('an approval on the other instance drives the promotion on', async () => {
    const { a, b, settle } = await pair({
      pipelines: [threeStages({ dev: { approvals: { levels: [{ name: 'lead', required: 2 }] } } })],
    });
    const r = await a.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const p = await a.request({
      pipeline: 'main',
      stage: 'dev',
      releaseId: r.id,
      principal: { id: 'ann' },
    });
    await settle();
    await Promise.all(
      [
        a.approve(p.id, { principal: { id: 'bob' } }),
        b.approve(p.id, { principal: { id: 'cat' } }),
      ].map((x) => x.catch((e: unknown) => e)),
    );
    await settle();
    let state = (await a.getPromotion(p.id))!;
    if (state.approvals.length < 2) {
      // Both approvals raced on one record: the loser retries (the error said so).
      await b.approve(p.id, {
        principal: { id: state.approvals[0]?.principal === 'bob' ? 'cat' : 'bob' },
      });
      await settle();
      state = (await a.getPromotion(p.id))!;
    }
    expect(state.state).toBe('succeeded');
    expect(state.approvals.map((x) => x.principal).sort()).toEqual(['bob', 'cat']);
  }, 30_000);

  it('another instance takes over a promotion whose driver died, once its lease expires', async () => {
    const clock = new ManualClock(START);
    let calls = 0;
    const { a, b, settle } = await pair({
      clock,
      leaseMs: 10_000,
      pipelines: [threeStages()],
      handlerPolicy: { retries: 0, timeoutMs: 3_600_000 },
      promote: async (ctx) => {
        calls++;
        if (calls === 1)
          await new Promise((_r, reject) =>
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))),
          );
      },
    });
    const r = await a.createRelease({ name: 'orders', artifacts: ['orders@1.0.0'] });
    const p = await a.request({ pipeline: 'main', stage: 'dev', releaseId: r.id });
    for (let i = 0; i < 50 && calls === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(calls).toBe(1);
    await a.close(); // instance a dies mid-deploy, still holding the lease
    expect((await b.getPromotion(p.id))?.state).toBe('promoting');
    await b.resume();
    await settle();
    expect(calls).toBe(1); // lease still held by a
    clock.advance(10_001);
    await b.resume();
    await settle();
    expect(calls).toBe(2);
    expect((await b.getPromotion(p.id))?.state).toBe('succeeded');
  }, 30_000);
});
