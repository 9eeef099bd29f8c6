/** Decisions on promotions: approvals (N-of-M, multi-level), rejections, cancellations. */
import { promotionErrors } from '../errors.js';
import type { Principal, Promotion } from '../types.js';
import { currentLevel } from './approvals.js';
import { principalOf, text } from './args.js';
import { TERMINAL, type PromotionDoc } from './collections.js';
import { stageOf } from './core.js';
import type { Ops } from './ops.js';

import type { Unit } from './unit.js';
import { toPromotion } from './views.js';

async function decisionChecks(
  _ops: Ops,
  u: Unit,
  id: string,
  principal: Principal,
  action: 'approve' | 'reject',
): Promise<PromotionDoc> {
  const d = await u.mustPromotion(id);
  if (TERMINAL.has(d.state)) {
    throw promotionErrors.create('E_PROMOTION_FINISHED', `promotion ${id} already ${d.state}`, {
      details: { promotionId: id, state: d.state },
    });
  }
  if (d.state !== 'awaiting_approval') {
    throw promotionErrors.create(
      'E_INVALID_STATE',
      `promotion ${id} is ${d.state}, not awaiting approval`,
      { details: { promotionId: id, state: d.state } },
    );
  }
  if (d.approvalExpiresAt !== undefined && u.now >= d.approvalExpiresAt) {
    throw promotionErrors.create(
      'E_APPROVAL_EXPIRED',
      `the approval window of promotion ${id} closed`,
      { details: { promotionId: id, expiredAt: d.approvalExpiresAt } },
    );
  }
  if (principal.id === d.requestedBy) {
    throw promotionErrors.create(
      'E_SELF_APPROVAL',
      `${principal.id} requested promotion ${id} and cannot ${action} it`,
      { details: { promotionId: id, principal: principal.id } },
    );
  }
  if (d.approvals.some((a) => a.principal === principal.id)) {
    throw promotionErrors.create(
      'E_ALREADY_APPROVED',
      `${principal.id} already approved promotion ${id}`,
      { details: { promotionId: id, principal: principal.id } },
    );
  }
  return d;
}

/** Approves the current approval level of a promotion (N-of-M, in level order). */
export async function approve(
  ops: Ops,
  id: string,
  input: { principal: Principal; comment?: string },
): Promise<Promotion> {
  ops.ready('approve');
  const principal = principalOf(input?.principal);
  const pre = await ops.getPromotion(text(id, 'promotion id'));
  if (pre === undefined)
    throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
      details: { promotionId: id },
    });
  const def = stageOf(ops.core, pre.pipeline, pre.stage);
  const level = currentLevel(def.approvals, pre.approvals);
  if (level !== undefined && pre.state === 'awaiting_approval') {
    if (level.approvers !== undefined && !level.approvers.includes(principal.id)) {
      throw promotionErrors.create(
        'E_NOT_APPROVER',
        `${principal.id} is not an approver of level "${level.name}"`,
        { details: { promotionId: id, level: level.name } },
      );
    }
    await ops.authorize(principal, 'promotion:approve', {
      pipeline: pre.pipeline,
      stage: pre.stage,
      promotionId: id,
      releaseId: pre.releaseId,
      level: level.name,
      ...(level.role !== undefined && { role: level.role }),
    });
  }
  const doc = await ops.unit(async (u) => {
    const d = await decisionChecks(ops, u, id, principal, 'approve');
    const lv = currentLevel(def.approvals, d.approvals);
    if (lv === undefined || lv.name !== level?.name) {
      throw promotionErrors.create(
        'E_INVALID_STATE',
        `promotion ${id} moved on while approving; retry`,
        { retryable: true, details: { promotionId: id } },
      );
    }
    const approvals = [
      ...d.approvals,
      {
        level: lv.name,
        principal: principal.id,
        at: u.now,
        ...(input.comment !== undefined && { comment: input.comment }),
      },
    ];
    const complete = currentLevel(def.approvals, approvals) === undefined;
    const { wakeAt: _w, ...rest } = d;
    const next = { ...(complete ? rest : d), approvals, updatedAt: u.now } as PromotionDoc;
    const free = d.lease === undefined || d.lease.until <= u.now;
    await u.putPromotion(complete && free ? u.lease(next) : next);
    await u.history(d.pipeline, d.stage, 'approval:granted', principal.id, {
      promotionId: id,
      releaseId: d.releaseId,
      details: { level: lv.name },
    });
    u.emit('approval:granted', {
      ...u.base(d),
      principal: principal.id,
      level: lv.name,
      complete,
    });
    if (complete) u.toDrive.push(id);
    return next;
  });
  return toPromotion(doc);
}

/** Rejects a promotion awaiting approval, with a reason: it ends `rejected`. */
export async function reject(
  ops: Ops,
  id: string,
  input: { principal: Principal; reason: string },
): Promise<Promotion> {
  ops.ready('reject');
  const principal = principalOf(input?.principal);
  const reason = text(input?.reason, 'reason');
  const pre = await ops.getPromotion(text(id, 'promotion id'));
  if (pre === undefined)
    throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
      details: { promotionId: id },
    });
  const def = stageOf(ops.core, pre.pipeline, pre.stage);
  const level = currentLevel(def.approvals, pre.approvals);
  if (level?.approvers !== undefined && !level.approvers.includes(principal.id)) {
    throw promotionErrors.create(
      'E_NOT_APPROVER',
      `${principal.id} is not an approver of level "${level.name}"`,
      { details: { promotionId: id, level: level.name } },
    );
  }
  await ops.authorize(principal, 'promotion:reject', {
    pipeline: pre.pipeline,
    stage: pre.stage,
    promotionId: id,
    ...(level !== undefined && { level: level.name }),
  });
  const doc = await ops.unit(async (u) => {
    const d = await decisionChecks(ops, u, id, principal, 'reject');
    const out = await u.finish(
      d,
      'rejected',
      { reason, rejection: { principal: principal.id, reason, at: u.now } },
      { actor: principal.id },
    );
    u.emit('approval:rejected', { ...u.base(d), principal: principal.id, reason });
    return out;
  });
  return toPromotion(doc);
}

/** Cancels a promotion that has not started deploying (queued, awaiting approval, parked). */
export async function cancel(
  ops: Ops,
  id: string,
  input: { principal?: Principal; reason?: string } = {},
): Promise<Promotion> {
  ops.ready('cancel');
  const principal = principalOf(input.principal);
  const pre = await ops.getPromotion(text(id, 'promotion id'));
  if (pre === undefined)
    throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
      details: { promotionId: id },
    });
  await ops.authorize(principal, 'promotion:cancel', {
    pipeline: pre.pipeline,
    stage: pre.stage,
    promotionId: id,
  });
  const doc = await ops.unit(async (u) => {
    const d = await u.mustPromotion(id);
    if (TERMINAL.has(d.state))
      throw promotionErrors.create('E_PROMOTION_FINISHED', `promotion ${id} already ${d.state}`, {
        details: { promotionId: id, state: d.state },
      });
    const leased = d.lease !== undefined && d.lease.until > u.now;
    if (
      !['requested', 'awaiting_approval', 'gating'].includes(d.state) ||
      (leased && d.state === 'gating')
    ) {
      throw promotionErrors.create(
        'E_INVALID_STATE',
        `promotion ${id} is ${d.state} and running; roll back instead`,
        { details: { promotionId: id, state: d.state } },
      );
    }
    return u.finish(
      d,
      'cancelled',
      { reason: input.reason ?? `cancelled by ${principal.id}` },
      { actor: principal.id },
    );
  });
  return toPromotion(doc);
}
