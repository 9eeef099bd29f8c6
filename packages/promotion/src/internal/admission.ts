import { uuidv7 } from '@plinth/core';
import { promotionErrors } from '../errors.js';
import type { Principal, PromotionKind, Release } from '../types.js';
import { stageKey, TERMINAL, type PromotionDoc, type StageDoc } from './collections.js';
import { stageOf, type EngineCore } from './core.js';
import { availability, overlay, unmetDependencies } from './rules.js';
import type { Unit } from './unit.js';

export interface Admission {
  readonly pipeline: string;
  readonly stage: string;
  readonly release: Release;
  readonly principal: Principal;
  readonly kind: PromotionKind;
  readonly fastPath: boolean;
  readonly auto: boolean;
  readonly supersede: boolean;
  /** Jump the queue (rollbacks). */
  readonly front: boolean;
  readonly fingerprint: string;
  readonly idempotencyKey?: string;
  readonly groupId?: string;
  /** Dependencies are checked by the caller (coordinated promotions check the whole set). */
  readonly skipDependencies?: boolean;
}

/** The releases a stage holds now. */
export async function heldReleases(u: Unit, stage: StageDoc): Promise<Release[]> {
  const out: Release[] = [];
  for (const o of Object.values(stage.contents)) {
    const r = await u.release(o.releaseId);
    if (r !== undefined) out.push(r);
  }
  return out;
}

/** Checks what the stage's state allows (inside the unit) for a promotion of `release`. */
export async function checkAdmission(
  core: EngineCore,
  u: Unit,
  a: Admission,
  stage: StageDoc,
): Promise<void> {
  const { pipeline, release } = a;
  const def = stageOf(core, pipeline, a.stage);
  if (release.status === 'rejected') {
    throw promotionErrors.create(
      'E_RELEASE_REJECTED',
      `release ${release.id} was rejected: ${release.rejection?.reason ?? ''}`,
      {
        details: { releaseId: release.id },
      },
    );
  }
  if (stage.pin !== undefined && a.kind === 'promotion') {
    throw promotionErrors.create(
      'E_STAGE_PINNED',
      `stage "${a.stage}" is pinned (${stage.pin.reason}); only rollbacks may change it`,
      {
        details: { pipeline, stage: a.stage },
      },
    );
  }
  for (const id of [stage.active, ...stage.queue]) {
    if (id === null) continue;
    const other = await u.promotion(id);
    if (other !== undefined && other.releaseId === release.id && !TERMINAL.has(other.state)) {
      throw promotionErrors.create(
        'E_INVALID_STATE',
        `release ${release.id} already has promotion ${id} on stage "${a.stage}"`,
        {
          details: { promotionId: id, releaseId: release.id },
        },
      );
    }
  }
  if (a.kind === 'verification') {
    if (stage.contents[release.name]?.releaseId !== release.id) {
      throw promotionErrors.create(
        'E_INVALID_STATE',
        `stage "${a.stage}" does not hold release ${release.id}`,
        {
          details: { pipeline, stage: a.stage, releaseId: release.id },
        },
      );
    }
    return;
  }
  if (a.kind === 'rollback') return;
  if (stage.contents[release.name]?.releaseId === release.id) {
    throw promotionErrors.create(
      'E_FORBIDDEN_TRANSITION',
      `stage "${a.stage}" already holds release ${release.id}`,
      {
        details: { pipeline, stage: a.stage, releaseId: release.id },
      },
    );
  }
  const here = await u.occupancy(pipeline, a.stage, release.id);
  if (here?.leftAt !== undefined) {
    throw promotionErrors.create(
      'E_FORBIDDEN_TRANSITION',
      `release ${release.id} already left stage "${a.stage}": moving it back is a rollback (use rollback())`,
      { details: { pipeline, stage: a.stage, releaseId: release.id } },
    );
  }
  const upstream = new Map(
    await Promise.all(
      (def.upstream ?? []).map(
        async (s) => [s, await u.occupancy(pipeline, s, release.id)] as const,
      ),
    ),
  );
  const avail = availability(def, upstream);
  if (!avail.ok) {
    throw promotionErrors.create(
      'E_NOT_AVAILABLE',
      `release ${release.id} is not verified in ${def.availability === 'all' ? 'all' : 'any'} of the upstream stages of "${a.stage}" (missing: ${avail.missing.join(', ')})`,
      { details: { pipeline, stage: a.stage, releaseId: release.id, missing: avail.missing } },
    );
  }
  if (a.skipDependencies !== true && release.dependencies.length > 0) {
    const unmet = unmetDependencies([release], overlay(await heldReleases(u, stage), [release]));
    if (unmet.length > 0) {
      throw promotionErrors.create(
        'E_UNMET_DEPENDENCY',
        `release ${release.id} needs ${unmet.map((x) => `${x.dependency.name}@${x.dependency.range} (stage holds ${x.found ?? 'none'})`).join(', ')} in stage "${a.stage}"`,
        {
          details: {
            pipeline,
            stage: a.stage,
            releaseId: release.id,
            unmet: unmet.map((x) => x.dependency),
          },
        },
      );
    }
  }
}

/** Creates the promotion record and gives it the stage or a place in its queue. */
export async function admit(core: EngineCore, u: Unit, a: Admission): Promise<PromotionDoc> {
  const stage = await u.stage(a.pipeline, a.stage);
  await checkAdmission(core, u, a, stage);
  const doc: PromotionDoc = {
    id: uuidv7(),
    pipeline: a.pipeline,
    stage: a.stage,
    stageKey: stageKey(a.pipeline, a.stage),
    releaseId: a.release.id,
    releaseName: a.release.name,
    kind: a.kind,
    state: 'requested',
    requestedBy: a.principal.id,
    requestedAt: u.now,
    updatedAt: u.now,
    auto: a.auto,
    fastPath: a.fastPath,
    approvals: [],
    gates: [],
    verification: [],
    transitions: [{ state: 'requested', at: u.now }],
    live: true,
    fingerprint: a.fingerprint,
    ...(a.idempotencyKey !== undefined && { idempotencyKey: a.idempotencyKey }),
    ...(a.groupId !== undefined && { groupId: a.groupId }),
  };
  let queue = [...stage.queue];
  if (a.supersede) {
    for (const id of stage.queue) {
      const other = await u.promotion(id);
      if (other === undefined || other.state !== 'requested' || other.kind === 'rollback') continue;
      const { live: _l, lease: _le, wakeAt: _w, ...rest } = other;
      await u.transition(rest as PromotionDoc, 'superseded', { reason: `superseded by ${doc.id}` });
      u.emit('promotion:superseded', { ...u.base(other), by: doc.id });
      queue = queue.filter((q) => q !== id);
    }
  }
  let active = stage.active;
  if (active === null) {
    active = doc.id;
    u.toDrive.push(doc.id);
  } else if (a.front) queue = [doc.id, ...queue];
  else queue.push(doc.id);
  await u.putStage({ ...stage, active, queue });
  await u.putPromotion(active === doc.id ? u.lease(doc) : doc);
  await u.history(
    a.pipeline,
    a.stage,
    a.kind === 'promotion' ? 'promotion:requested' : `${a.kind}:requested`,
    a.principal.id,
    {
      promotionId: doc.id,
      releaseId: a.release.id,
    },
  );
  const base = u.base(doc);
  u.emit('promotion:transition', { ...base, from: null, to: 'requested' });
  u.emit('promotion:requested', { ...base, queued: active !== doc.id, by: a.principal.id });
  if (active === doc.id) u.emit('promotion:started', base);
  return doc;
}
