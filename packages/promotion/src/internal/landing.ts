import type { StageOccupant } from '../types.js';
import { PREVIOUS_LIMIT, type OccupancyDoc, type PromotionDoc } from './collections.js';
import type { Unit } from './unit.js';

function enter(existing: OccupancyDoc | undefined, doc: PromotionDoc, now: number): OccupancyDoc {
  if (existing === undefined) {
    return { pipeline: doc.pipeline, stage: doc.stage, releaseId: doc.releaseId, enteredAt: now };
  }
  const { leftAt: _left, ...rest } = existing;
  return { ...rest, enteredAt: now };
}

/**
 * The release takes its slot in the stage (after the deploy handler succeeded): the previous
 * occupant leaves (and, if it was verified, becomes a rollback target), the stage records it.
 * Returns the promotion with `previousReleaseId` set.
 */
export async function landRelease(u: Unit, doc: PromotionDoc): Promise<PromotionDoc> {
  const stage = await u.stage(doc.pipeline, doc.stage);
  const name = doc.releaseName;
  const slot = stage.contents[name];
  let previous = (stage.previous[name] ?? []).filter((id) => id !== doc.releaseId);
  if (slot !== undefined && slot.releaseId !== doc.releaseId) {
    const occ = await u.occupancy(doc.pipeline, doc.stage, slot.releaseId);
    if (occ !== undefined) await u.putOccupancy({ ...occ, leftAt: u.now });
    if (slot.verified)
      previous = [slot.releaseId, ...previous.filter((id) => id !== slot.releaseId)];
  }
  await u.putOccupancy(
    enter(await u.occupancy(doc.pipeline, doc.stage, doc.releaseId), doc, u.now),
  );
  const occupant: StageOccupant = {
    releaseId: doc.releaseId,
    promotionId: doc.id,
    via: doc.kind === 'rollback' ? 'rollback' : 'promotion',
    since: u.now,
    verified: false,
  };
  await u.putStage({
    ...stage,
    contents: { ...stage.contents, [name]: occupant },
    previous: { ...stage.previous, [name]: previous.slice(0, PREVIOUS_LIMIT) },
  });
  await u.history(doc.pipeline, doc.stage, 'stage:changed', 'plinth', {
    promotionId: doc.id,
    releaseId: doc.releaseId,
    details: { releaseName: name, from: slot?.releaseId ?? null, via: occupant.via },
  });
  const out = slot === undefined ? doc : { ...doc, previousReleaseId: slot.releaseId };
  await u.putPromotion(out);
  return out;
}

/** Marks the release verified in the stage (availability for downstream stages). */
export async function markVerified(u: Unit, doc: PromotionDoc): Promise<void> {
  const stage = await u.stage(doc.pipeline, doc.stage);
  const slot = stage.contents[doc.releaseName];
  if (slot?.releaseId === doc.releaseId && !slot.verified) {
    await u.putStage({
      ...stage,
      contents: { ...stage.contents, [doc.releaseName]: { ...slot, verified: true } },
    });
  }
  const occ = await u.occupancy(doc.pipeline, doc.stage, doc.releaseId);
  if (occ !== undefined) await u.putOccupancy({ ...occ, verifiedAt: u.now });
}

/** A failed verification revokes the release's verified status in the stage. */
export async function revokeVerification(u: Unit, doc: PromotionDoc): Promise<void> {
  const stage = await u.stage(doc.pipeline, doc.stage);
  const slot = stage.contents[doc.releaseName];
  if (slot?.releaseId === doc.releaseId && slot.verified) {
    await u.putStage({
      ...stage,
      contents: { ...stage.contents, [doc.releaseName]: { ...slot, verified: false } },
    });
  }
  const occ = await u.occupancy(doc.pipeline, doc.stage, doc.releaseId);
  if (occ !== undefined) await u.putOccupancy({ ...occ, revokedAt: u.now });
}

/**
 * The rollback decision, in one unit: the stage's slot returns to the most recent verified,
 * non-rejected earlier release, the failed one is revoked, the stage is held against
 * auto-promotion, and the promotion becomes `rolled_back` (still holding the stage until the
 * rollback handler has run). Returns false when there is nothing to roll back to.
 */
export async function decideRollback(u: Unit, doc: PromotionDoc, reason: string): Promise<boolean> {
  const stage = await u.stage(doc.pipeline, doc.stage);
  const name = doc.releaseName;
  let target: string | undefined;
  for (const id of stage.previous[name] ?? []) {
    const r = await u.release(id);
    if (r !== undefined && r.status !== 'rejected') {
      target = id;
      break;
    }
  }
  if (target === undefined) return false;
  const failed = await u.occupancy(doc.pipeline, doc.stage, doc.releaseId);
  if (failed !== undefined) await u.putOccupancy({ ...failed, leftAt: u.now, revokedAt: u.now });
  const back = await u.occupancy(doc.pipeline, doc.stage, target);
  await u.putOccupancy(
    back === undefined
      ? {
          pipeline: doc.pipeline,
          stage: doc.stage,
          releaseId: target,
          enteredAt: u.now,
          verifiedAt: u.now,
        }
      : { ...(({ leftAt: _l, ...rest }) => rest)(back), enteredAt: u.now },
  );
  const hold = { reason: `automatic rollback of ${doc.releaseId}`, by: 'plinth', at: u.now };
  await u.putStage({
    ...stage,
    contents: {
      ...stage.contents,
      [name]: {
        releaseId: target,
        promotionId: doc.id,
        via: 'rollback',
        since: u.now,
        verified: true,
      },
    },
    previous: {
      ...stage.previous,
      [name]: (stage.previous[name] ?? []).filter((id) => id !== target),
    },
    hold,
  });
  await u.history(doc.pipeline, doc.stage, 'stage:changed', 'plinth', {
    promotionId: doc.id,
    releaseId: target,
    details: { releaseName: name, from: doc.releaseId, via: 'rollback', automatic: true },
  });
  u.emit('rollback:started', { ...u.base(doc), targetReleaseId: target, automatic: true });
  u.emit('stage:held', {
    pipeline: doc.pipeline,
    stage: doc.stage,
    reason: hold.reason,
    at: u.now,
  });
  await u.finish(
    doc,
    'rolled_back',
    {
      reason,
      rollback: { targetReleaseId: target, status: 'pending', attempts: 0, decidedAt: u.now },
    },
    { keepLive: true },
  );
  return true;
}
