import type { ManualClock } from '@plinth/core';
import type { PromotionEngine } from '@plinth/promotion';
import { SOAK_MS } from './services.js';

/** States the prod promotion went through, and the dev promotion's final state. */
export interface PromotionOutcome {
  readonly dev: string;
  readonly prod: string[];
}

/**
 * Pins a release to whatever `shop/orders@^1.0.0` resolves to, then moves it dev → prod: prod
 * waits for bob's approval and for the release to have soaked an hour in dev (manual time).
 */
export async function promote(
  engine: PromotionEngine,
  clock: ManualClock,
  log: (line: string) => void,
): Promise<PromotionOutcome> {
  const ann = { id: 'ann' };
  const release = await engine.createRelease({
    name: 'orders',
    artifacts: ['shop/orders@^1.0.0'],
    principal: ann,
  });
  const pinned = release.artifacts.map((a) => `${a.name}@${a.version}`).join(', ');
  log(`promotion   release "orders" pinned ${pinned} through the registry`);
  const request = async (stage: string) => {
    const p = await engine.request({
      pipeline: 'shop',
      stage,
      releaseId: release.id,
      principal: ann,
    });
    await engine.idle();
    return p.id;
  };
  const stateOf = async (id: string) => (await engine.getPromotion(id))?.state ?? 'missing';

  const dev = await stateOf(await request('dev'));
  log(`promotion   dev: ${dev}`);
  const prodId = await request('prod');
  const prod = [await stateOf(prodId)];
  log(`promotion   prod: ${prod[0]} (owners: 1 of [bob])`);
  await engine.approve(prodId, { principal: { id: 'bob' } });
  await engine.idle();
  prod.push(await stateOf(prodId));
  log(`promotion   prod: bob approved → ${prod[1]} until the release has soaked 60 min in dev`);

  await clock.advanceAsync(SOAK_MS - 60_000);
  await engine.idle();
  prod.push(await stateOf(prodId));
  log(`promotion   prod: 59 min later (manual clock) → still ${prod[2]}`);
  await clock.advanceAsync(60_000);
  await engine.idle();
  prod.push(await stateOf(prodId));
  log(`promotion   prod: 60 min → ${prod[3]}`);
  return { dev, prod };
}
