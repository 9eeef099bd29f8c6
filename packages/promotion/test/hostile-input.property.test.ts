import { createHash } from 'node:crypto';
import { describe, it } from 'vitest';
import { checkHostileCalls, hostileValues, nested, type HostileCall } from '@plinth/core/testing';
import { memoryAdapter, openStore } from '@plinth/storage';
import { ERROR_CODES, PromotionEngine } from '../src/index.js';
import { threeStages } from './support/pipelines.js';
import { harness, type Harness } from './support/setup.js';

/** Hostile values, with stage and release shapes that almost fit. */
const hostile = hostileValues([
  { metadata: nested(100_000) },
  'dev\u202e',
  'de\u200bv',
  'main',
  'dev',
  { id: 'ann' },
  { name: 'r', artifacts: nested(100_000, (inner) => [inner]) },
]);

const CALLS: ReadonlyArray<HostileCall<PromotionEngine>> = [
  ['definePipeline(x)', (e, a) => e.definePipeline(a as never)],
  [
    'definePipeline({name, stages: x})',
    (e, a) => e.definePipeline({ name: 'p2', stages: a } as never),
  ],
  [
    'definePipeline({name: x, stages: [{name: y}]})',
    (e, a, b) => e.definePipeline({ name: a, stages: [{ name: b }] } as never),
  ],
  ['createRelease(x)', (e, a) => e.createRelease(a as never)],
  [
    'createRelease({name: x, artifacts: y})',
    (e, a, b) => e.createRelease({ name: a, artifacts: b } as never),
  ],
  [
    'createRelease({name, artifacts, metadata: x})',
    (e, a) => e.createRelease({ name: 'r', artifacts: ['a@1.0.0'], metadata: a } as never),
  ],
  ['getRelease(x)', (e, a) => e.getRelease(a as never)],
  ['rejectRelease(x, y)', (e, a, b) => e.rejectRelease(a as never, b as never)],
  ['request(x)', (e, a) => e.request(a as never)],
  [
    'request({pipeline, stage: x, releaseId: y})',
    (e, a, b) => e.request({ pipeline: 'main', stage: a, releaseId: b } as never),
  ],
  ['requestMany(x)', (e, a) => e.requestMany(a as never)],
  ['rollback(x)', (e, a) => e.rollback(a as never)],
  ['reverify(x)', (e, a) => e.reverify(a as never)],
  ['approve(x, y)', (e, a, b) => e.approve(a as never, b as never)],
  ['reject(x, y)', (e, a, b) => e.reject(a as never, b as never)],
  ['cancel(x, y)', (e, a, b) => e.cancel(a as never, b as never)],
  ['hold(x)', (e, a) => e.hold(a as never)],
  [
    'hold({pipeline, stage: x, principal: y})',
    (e, a, b) => e.hold({ pipeline: 'main', stage: a, principal: b } as never),
  ],
  ['releaseHold(x)', (e, a) => e.releaseHold(a as never)],
  ['pin(x)', (e, a) => e.pin(a as never)],
  ['unpin(x)', (e, a) => e.unpin(a as never)],
  ['getPromotion(x)', (e, a) => e.getPromotion(a as never)],
  ['promotions(x)', (e, a) => e.promotions(a as never)],
  ['stage(x, y)', (e, a, b) => e.stage(a as never, b as never)],
  ['contents(x)', (e, a) => e.contents(a as never)],
  ['diff(main, x, y)', (e, a, b) => e.diff('main', a as never, b as never)],
  ['history(x, y)', (e, a, b) => e.history(a as never, b as never)],
  ['topologicalStages(x)', (e, a) => e.topologicalStages(a as never)],
  ['simulate(x)', (e, a) => e.simulate(a as never)],
  ['new PromotionEngine(x)', (_e, a) => new PromotionEngine(a as never)],
];

async function snapshot(h: Harness): Promise<string> {
  await h.settle();
  const parts: unknown[] = [];
  for (const name of h.store.collectionNames()) {
    parts.push(name, (await h.store.collection(name).list({ limit: 1000 })).items);
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

describe('hostile input to the public API', () => {
  it('is refused with a catalogued PlinthError and leaves the store unchanged (property)', async () => {
    const h = await harness(() => openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 }), {
      pipelines: [threeStages()],
    });
    await h.engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
    const { rejected, accepted } = await checkHostileCalls({
      target: h.engine,
      calls: CALLS,
      codes: ERROR_CODES,
      first: hostile,
      second: hostile,
      snapshot: () => snapshot(h),
      seed: 4141,
      numRuns: 600,
    });
    console.log(
      `promotion hostile input: ${rejected} rejected with catalogued PlinthErrors, ${accepted} accepted, 0 raw errors`,
    );
  }, 120_000);
});
