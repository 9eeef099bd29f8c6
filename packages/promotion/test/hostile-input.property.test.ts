import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { memoryAdapter, openStore } from '@plinth/storage';
import { ERROR_CODES, PromotionEngine } from '../src/index.js';
import { threeStages } from './support/pipelines.js';
import { harness, type Harness } from './support/setup.js';

/** Values no public API should take: wrong types, odd numbers, deep and odd Unicode. */
function deep(n: number, object: boolean): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = object ? { a: v } : [v];
  return v;
}
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    NaN,
    Infinity,
    -1,
    0.5,
    2 ** 53 + 1,
    1e308,
    true,
    10n,
    Symbol('s'),
    () => 1,
    deep(100_000, true),
    deep(100_000, false),
    { metadata: deep(100_000, true) },
    Object.create(null) as object,
    [],
    {},
    '',
    '\u0000',
    'dev\u202e',
    'de\u200bv',
    '\ud800',
    'x'.repeat(10_000),
    '__proto__',
    'main',
    'dev',
    { id: 'ann' },
    { name: 'r', artifacts: deep(100_000, false) },
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.anything({ maxDepth: 2 }), { maxKeys: 3 }),
);

type Call = (e: PromotionEngine, a: unknown, b: unknown) => unknown;
const CALLS: ReadonlyArray<readonly [string, Call]> = [
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
    const codes = new Set<string>(Object.keys(ERROR_CODES));
    let rejected = 0;
    let accepted = 0;
    let before = await snapshot(h);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CALLS), hostile, hostile, async ([name, call], a, b) => {
        let outcome: unknown;
        try {
          await call(h.engine, a, b);
        } catch (error) {
          outcome = error;
        }
        if (outcome === undefined) {
          accepted++;
          before = await snapshot(h);
          return;
        }
        rejected++;
        const e = outcome as { code?: string; message?: string; name?: string };
        expect(isPlinthError(outcome), `${name}: ${e.name}: ${e.message}`).toBe(true);
        expect(codes.has(e.code as string), `${name}: ${e.code}`).toBe(true);
        expect(await snapshot(h), `${name} changed the store`).toBe(before);
      }),
      { seed: 4141, numRuns: 600 },
    );
    console.log(
      `promotion hostile input: ${rejected} rejected with catalogued PlinthErrors, ${accepted} accepted, 0 raw errors`,
    );
  }, 120_000);
});
