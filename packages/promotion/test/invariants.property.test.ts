import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import type { PipelineDefinition, PromotionEngine, Release } from '../src/index.js';
import { ADAPTERS, harness } from './support/setup.js';

type Op =
  | { kind: 'request'; release: number; stage: number }
  | { kind: 'approve'; promotion: number; who: number }
  | { kind: 'reject'; promotion: number }
  | { kind: 'cancel'; promotion: number }
  | { kind: 'rollback'; stage: number }
  | { kind: 'reverify'; stage: number }
  | { kind: 'flip'; flag: 'gateFail' | 'handlerFail' | 'unhealthy' }
  | { kind: 'advance'; ms: number };

const STAGES = ['dev', 'staging', 'prod'];
const PEOPLE = ['ann', 'bob', 'cat', 'dan'];
const LIVE = new Set(['awaiting_approval', 'gating', 'promoting', 'verifying']);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      release: fc.nat(5),
      stage: fc.nat(2),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('approve' as const),
      promotion: fc.nat(30),
      who: fc.nat(3),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('reject' as const), promotion: fc.nat(30) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), promotion: fc.nat(30) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rollback' as const), stage: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverify' as const), stage: fc.nat(2) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      flag: fc.constantFrom('gateFail' as const, 'handlerFail' as const, 'unhealthy' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 120_000 }),
    }),
  },
);

async function checkInvariants(engine: PromotionEngine, ids: string[]): Promise<void> {
  for (const stage of STAGES) {
    const view = await engine.stage('main', stage);
    const all = (await engine.promotions({ pipeline: 'main', stage, limit: 1000 })).items;
    const running = all.filter(
      (p) => LIVE.has(p.state) || (p.state === 'rolled_back' && p.rollback?.status === 'pending'),
    );
    // One active promotion per stage, and it is the stage's lock holder.
    expect(running.length).toBeLessThanOrEqual(1);
    if (running[0] !== undefined) expect(view.active).toBe(running[0].id);
    for (const q of view.queued) expect((await engine.getPromotion(q))?.state).toBe('requested');
    // What the stage holds passed its gates, or is a rollback to a release it held before.
    const history = (await engine.history('main', stage, { limit: 10_000 })).items;
    for (const occ of view.releases) {
      if (occ.via === 'promotion') {
        const p = (await engine.getPromotion(occ.promotionId))!;
        expect(p.releaseId).toBe(occ.releaseId);
        expect(p.gates.every((g) => g.status === 'passed')).toBe(true);
        expect(['promoting', 'verifying', 'succeeded', 'failed']).toContain(p.state);
      } else {
        const before = history.filter(
          (e) =>
            e.type === 'stage:changed' &&
            e.releaseId === occ.releaseId &&
            (e.details as { via?: string }).via === 'promotion',
        );
        expect(before.length).toBeGreaterThan(0);
      }
    }
  }
  void ids;
}

describe.each(ADAPTERS.slice(0, 1))('invariants under random operations (%s)', (_name, open) => {
  it('never two active promotions per stage; holdings passed their gates or are rollback targets', async () => {
    const stats = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), async (ops) => {
        const flags = { gateFail: false, handlerFail: false, unhealthy: false };
        const pipeline: PipelineDefinition = {
          name: 'main',
          stages: [
            {
              name: 'dev',
              gates: [{ kind: 'custom', name: 'g', run: async () => !flags.gateFail }],
            },
            {
              name: 'staging',
              upstream: ['dev'],
              approvals: {
                levels: [{ name: 'leads', required: 1, approvers: ['bob', 'cat', 'dan'] }],
                expiresInMs: 3_600_000,
              },
              verification: {
                delayMs: 10_000,
                gates: [{ kind: 'health', check: async () => !flags.unhealthy }],
              },
            },
            {
              name: 'prod',
              upstream: ['staging'],
              soakMs: 60_000,
              autoPromote: true,
              verification: { gates: [{ kind: 'health', check: async () => !flags.unhealthy }] },
            },
          ],
        };
        const h = await harness(open, {
          pipelines: [pipeline],
          handlerPolicy: { retries: 0 },
          promote: async () => {
            if (flags.handlerFail) throw new Error('deploy failed');
          },
        });
        const releases: Release[] = [];
        for (let i = 0; i < 6; i++) {
          releases.push(
            await h.engine.createRelease({
              name: i % 2 === 0 ? 'orders' : 'web',
              artifacts: [`${i % 2 === 0 ? 'orders' : 'web'}@1.${i}.0`],
            }),
          );
        }
        const ids: string[] = [];
        for (const o of ops) {
          try {
            switch (o.kind) {
              case 'request': {
                // Half the time, aim at the first stage the release has not reached yet.
                if (o.stage !== 2) {
                  for (const stage of STAGES) {
                    const view = await h.engine.stage('main', stage);
                    if (!view.releases.some((r) => r.releaseId === releases[o.release]!.id)) {
                      ids.push(
                        (
                          await h.engine.request({
                            pipeline: 'main',
                            stage,
                            releaseId: releases[o.release]!.id,
                            principal: { id: 'ann' },
                          })
                        ).id,
                      );
                      break;
                    }
                  }
                  break;
                }
                ids.push(
                  (
                    await h.engine.request({
                      pipeline: 'main',
                      stage: STAGES[o.stage]!,
                      releaseId: releases[o.release]!.id,
                      principal: { id: 'ann' },
                    })
                  ).id,
                );
                break;
              }
              case 'approve': {
                const waiting = [];
                for (const id of ids)
                  if ((await h.engine.getPromotion(id))?.state === 'awaiting_approval')
                    waiting.push(id);
                const target =
                  waiting.length > 0
                    ? waiting[o.promotion % waiting.length]
                    : ids[o.promotion % Math.max(1, ids.length)];
                if (target !== undefined)
                  await h.engine.approve(target, { principal: { id: PEOPLE[o.who]! } });
                break;
              }
              case 'reject':
                if (ids.length > 0)
                  await h.engine.reject(ids[o.promotion % ids.length]!, {
                    principal: { id: 'bob' },
                    reason: 'no',
                  });
                break;
              case 'cancel':
                if (ids.length > 0) await h.engine.cancel(ids[o.promotion % ids.length]!);
                break;
              case 'rollback':
                ids.push(
                  (
                    await h.engine.rollback({
                      pipeline: 'main',
                      stage: STAGES[o.stage]!,
                      releaseName: 'orders',
                    })
                  ).id,
                );
                break;
              case 'reverify':
                ids.push(
                  (
                    await h.engine.reverify({
                      pipeline: 'main',
                      stage: STAGES[o.stage]!,
                      releaseName: 'orders',
                    })
                  ).id,
                );
                break;
              case 'flip':
                flags[o.flag] = !flags[o.flag];
                break;
              case 'advance':
                await h.advance(o.ms);
                break;
            }
          } catch (error) {
            if (!isPlinthError(error)) throw error;
          }
          await h.settle();
          await checkInvariants(h.engine, ids);
        }
        await h.advance(600_000);
        await checkInvariants(h.engine, ids);
        for (const stage of STAGES) {
          for (const p of (await h.engine.promotions({ pipeline: 'main', stage, limit: 1000 }))
            .items) {
            const k = `${stage}:${p.kind}:${p.state}`;
            stats.set(k, (stats.get(k) ?? 0) + 1);
          }
        }
        await h.engine.close();
      }),
      // A fixed seed keeps the coverage check below deterministic; change it to explore more.
      { numRuns: 60, seed: 20261201 },
    );
    // The random runs reached the interesting states (the property is not vacuous).
    for (const k of [
      'dev:promotion:succeeded',
      'dev:promotion:failed',
      'staging:promotion:succeeded',
      'staging:promotion:rejected',
    ]) {
      expect(stats.get(k) ?? 0, `${k} in ${JSON.stringify([...stats])}`).toBeGreaterThan(0);
    }
    const rollbacks = [...stats].filter(
      ([k]) => k.includes(':rollback:succeeded') || k.endsWith(':rolled_back'),
    );
    expect(rollbacks.length, JSON.stringify([...stats])).toBeGreaterThan(0);
  }, 120_000);
});
