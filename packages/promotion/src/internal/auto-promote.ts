/** Auto-promotion: request downstream promotions once a release is verified upstream. */
import { canonicalJson } from '@plinth/core';
import { promotionErrors } from '../errors.js';
import { admit } from './admission.js';

import { SYSTEM } from './args.js';
import { COLLECTIONS, stageKey, type PromotionDoc, type StageDoc } from './collections.js';
import type { Ops } from './ops.js';

export async function autoPromote(ops: Ops, done: PromotionDoc): Promise<void> {
  const p = ops.core.pipelines.get(done.pipeline);
  if (p === undefined || ops.core.stop.aborted) return;
  for (const next of p.downstream.get(done.stage) ?? []) {
    const def = p.stages.get(next);
    if (def?.autoPromote !== true) continue;
    const stage = (
      await ops.core.store.collection<StageDoc>(COLLECTIONS.stages).get(stageKey(p.name, next))
    )?.value;
    if (stage?.hold !== undefined || stage?.pin !== undefined) continue;
    const key = `auto/${p.name}/${next}/${done.releaseId}`;
    try {
      const release = await ops.mustRelease(done.releaseId);
      const fingerprint = canonicalJson({
        op: 'auto',
        pipeline: p.name,
        stage: next,
        releases: [release.id],
      });
      await ops.unit(async (u) => {
        if ((await u.idempotency(key)) !== undefined) return;
        const s = await u.stage(p.name, next);
        if (s.hold !== undefined || s.pin !== undefined) return;
        const doc = await admit(ops.core, u, {
          pipeline: p.name,
          stage: next,
          release,
          principal: SYSTEM,
          kind: 'promotion',
          fastPath: false,
          auto: true,
          supersede: def.supersede ?? false,
          front: false,
          fingerprint,
          idempotencyKey: key,
        });
        await u.putIdempotency(key, { promotionIds: [doc.id], fingerprint, at: u.now });
      });
    } catch (error) {
      if (promotionErrors.is(error)) {
        ops.core.logger.info(
          { err: error, stage: next, releaseId: done.releaseId },
          'auto-promotion not requested',
        );
      } else throw error;
    }
  }
}
