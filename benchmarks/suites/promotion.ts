import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PromotionEngine, type PipelineDefinition, type Promotion } from '@plinth/promotion';
import { openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { defineSuite, type Measurement } from '../src/harness.js';

/**
 * @plinth/promotion on embedded SQLite. There is no in-process anchor for a promotion engine
 * (Kargo, Argo Rollouts and Spinnaker are Kubernetes controllers/services), so the throughput
 * case compares the engine with the floor it is built on: the same number of hand-written
 * compare-and-set writes of a state record on the same store (what a minimal home-grown state
 * machine costs). The targets of the issue are measurements: engine overhead per transition,
 * the rollback decision latency, and 1,000 concurrent promotions over 100 pipelines with no
 * lost or duplicated transitions.
 */

const dirs: string[] = [];
const stores: Store[] = [];
const engines: PromotionEngine[] = [];

async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-bench-promotion-'));
  dirs.push(dir);
  const store = await openStore({
    adapter: sqliteAdapter({ path: join(dir, 'bench.db') }),
    purgeIntervalMs: 0,
  });
  stores.push(store);
  return store;
}

async function engineOn(
  store: Store,
  pipelines: PipelineDefinition[],
  extra: Partial<ConstructorParameters<typeof PromotionEngine>[0]> = {},
): Promise<PromotionEngine> {
  const engine = new PromotionEngine({
    store,
    pipelines,
    resumeIntervalMs: 0,
    promote: async () => {},
    ...extra,
  });
  await engine.open();
  engines.push(engine);
  return engine;
}

const single: PipelineDefinition = { name: 'p', stages: [{ name: 'dev' }] };
let seq = 0;

/** One release through one stage: requested → gating → promoting → succeeded. */
async function promoteOnce(engine: PromotionEngine): Promise<Promotion> {
  const n = seq++;
  const r = await engine.createRelease({
    name: `svc-${n % 10}`,
    artifacts: [`svc-${n % 10}@1.${n}.0`],
  });
  const p = await engine.request({ pipeline: 'p', stage: 'dev', releaseId: r.id });
  await engine.idle();
  return (await engine.getPromotion(p.id)) as Promotion;
}

/** The floor: the same commits a minimal state machine would do, hand-written. */
async function rawTransitions(store: Store): Promise<void> {
  const n = seq++;
  const states = ['requested', 'gating', 'promoting', 'succeeded'];
  const c = store.collection('bench.raw');
  let entry = await c.put(`r${n}`, { state: states[0], at: Date.now() }, { ifAbsent: true });
  for (const state of states.slice(1)) {
    entry = await c.put(`r${n}`, { state, at: Date.now() }, { ifVersion: entry.version });
  }
}

export default defineSuite({
  name: 'promotion',
  description:
    '@plinth/promotion on SQLite: one release through one stage (4 committed transitions, ' +
    'each with history, lease and events) vs the floor of 4 hand-written compare-and-set writes ' +
    'on the same store; plus measurements: engine time per transition, rollback decision ' +
    'latency, and 1,000 concurrent promotions over 100 pipelines (verified: none lost or doubled).',
  async cases() {
    const store = await sqliteStore();
    store.defineCollections({ 'bench.raw': {} });
    const engine = await engineOn(store, [single]);
    return [
      {
        name: 'promote one release through one stage',
        async verify() {
          const p = await promoteOnce(engine);
          const states = p.transitions.map((t) => t.state).join(',');
          if (states !== 'requested,gating,promoting,succeeded') {
            throw new Error(`unexpected transitions ${states}`);
          }
        },
        ours: {
          name: 'PromotionEngine (4 transitions)',
          fn: async () => {
            await promoteOnce(engine);
          },
        },
        anchors: [{ name: 'raw CAS writes (4)', fn: () => rawTransitions(store) }],
      },
    ];
  },
  async measurements(settings) {
    const out: Measurement[] = [];

    // 1. Engine time per stage transition (sequential promotions, no-op handler, no gates).
    {
      const store = await sqliteStore();
      const engine = await engineOn(store, [single]);
      const n = settings.smoke ? 20 : 300;
      for (let i = 0; i < 10; i++) await promoteOnce(engine); // warm-up
      const releases = [];
      for (let i = 0; i < n; i++) {
        // Ten services take turns: the stage holds ten release slots, as a real one would.
        releases.push(
          await engine.createRelease({ name: `t-${i % 10}`, artifacts: [`t-${i % 10}@1.${i}.0`] }),
        );
      }
      let transitions = 0;
      let ms = 0;
      for (const r of releases) {
        const t0 = performance.now();
        const p = await engine.request({ pipeline: 'p', stage: 'dev', releaseId: r.id });
        await engine.idle();
        ms += performance.now() - t0;
        transitions += ((await engine.getPromotion(p.id)) as Promotion).transitions.length;
      }
      out.push({
        name: 'engine overhead per stage transition',
        value: ms / transitions,
        unit: 'ms',
        target: { max: 2 },
        note: `${n} promotions × 4 transitions (requested, gating, promoting, succeeded) with history, lease and events; SQLite WAL`,
      });
    }

    // 2. Rollback decision: failed verification → previous release active in the stage.
    {
      const store = await sqliteStore();
      let failAt = 0;
      let healthy = true;
      const pipeline: PipelineDefinition = {
        name: 'p',
        stages: [
          {
            name: 'dev',
            verification: {
              gates: [
                {
                  kind: 'health',
                  check: async () => {
                    failAt = performance.now();
                    return healthy;
                  },
                },
              ],
            },
          },
        ],
      };
      const engine = await engineOn(store, [pipeline]);
      const latencies: number[] = [];
      engine.on('rollback:started', () => latencies.push(performance.now() - failAt));
      const rounds = settings.smoke ? 5 : 50;
      for (let i = 0; i < rounds; i++) {
        healthy = true;
        const good = await engine.createRelease({ name: 'orders', artifacts: [`orders@1.${i}.0`] });
        await engine.request({ pipeline: 'p', stage: 'dev', releaseId: good.id });
        await engine.idle();
        healthy = false;
        const bad = await engine.createRelease({ name: 'orders', artifacts: [`orders@2.${i}.0`] });
        const p = await engine.request({ pipeline: 'p', stage: 'dev', releaseId: bad.id });
        await engine.idle();
        const done = await engine.getPromotion(p.id);
        if (done?.state !== 'rolled_back')
          throw new Error(`expected rolled_back, got ${done?.state}`);
      }
      if (latencies.length !== rounds)
        throw new Error(`expected ${rounds} rollbacks, saw ${latencies.length}`);
      latencies.sort((a, b) => a - b);
      const p99 = latencies[
        Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))
      ] as number;
      out.push({
        name: 'rollback decision (verification failed → previous release active), p99',
        value: p99,
        unit: 'ms',
        target: { max: 50 },
        note: `${rounds} rollbacks, median ${(latencies[Math.floor(latencies.length / 2)] as number).toFixed(2)} ms, engine time only (no-op handlers)`,
      });
    }

    // 3. 1,000 concurrent promotions over 100 pipelines.
    {
      const pipelinesN = settings.smoke ? 10 : 100;
      const perPipeline = 10;
      const store = await sqliteStore();
      const pipelines: PipelineDefinition[] = Array.from({ length: pipelinesN }, (_, i) => ({
        name: `pipe-${i}`,
        stages: [{ name: 'dev' }],
      }));
      const deployed = new Map<string, number>();
      const engine = await engineOn(store, pipelines, {
        promote: async (ctx) => {
          deployed.set(ctx.promotionId, (deployed.get(ctx.promotionId) ?? 0) + 1);
        },
      });
      const releases = await Promise.all(
        Array.from({ length: pipelinesN * perPipeline }, (_, i) =>
          engine.createRelease({ name: `svc-${i % perPipeline}`, artifacts: [`svc-${i}@1.0.0`] }),
        ),
      );
      const t0 = performance.now();
      const requested = await Promise.all(
        releases.map((r, i) =>
          engine.request({
            pipeline: `pipe-${Math.floor(i / perPipeline)}`,
            stage: 'dev',
            releaseId: r.id,
          }),
        ),
      );
      await engine.idle();
      const ms = performance.now() - t0;
      const total = requested.length;
      // Verify: every promotion succeeded once, with each transition exactly once.
      let transitions = 0;
      for (const p of requested) {
        const done = await engine.getPromotion(p.id);
        const states = done?.transitions.map((t) => t.state).join(',');
        if (states !== 'requested,gating,promoting,succeeded') {
          throw new Error(`promotion ${p.id}: transitions ${states}`);
        }
        if (deployed.get(p.id) !== 1)
          throw new Error(`promotion ${p.id} deployed ${deployed.get(p.id)} times`);
        transitions += 4;
      }
      for (const pl of pipelines) {
        const view = await engine.stage(pl.name, 'dev');
        if (
          view.releases.length !== perPipeline ||
          view.active !== undefined ||
          view.queued.length !== 0
        ) {
          throw new Error(
            `pipeline ${pl.name}: ${view.releases.length} releases, active ${view.active}`,
          );
        }
      }
      out.push({
        name: `${total} concurrent promotions over ${pipelinesN} pipelines: throughput`,
        value: total / (ms / 1000),
        unit: 'promotions/s',
        note: `${(ms / 1000).toFixed(2)} s wall, ${transitions} transitions verified (none lost or duplicated), ${((transitions / ms) * 1000).toFixed(0)} transitions/s`,
      });
    }
    return out;
  },
  async teardown() {
    for (const e of engines.splice(0)) await e.close();
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  },
});
