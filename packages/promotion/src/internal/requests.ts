/** Requests: single, coordinated, rollback and re-verification, with idempotency keys. */
import { canonicalJson, uuidv7 } from '@plinth/core';
import { promotionErrors } from '../errors.js';
import type { Principal, Promotion, Release, RequestInput, RollbackInput } from '../types.js';
import { admit, heldReleases, type Admission } from './admission.js';

import { principalOf } from './args.js';
import { type PromotionDoc } from './collections.js';
import { pipelineOf, stageOf } from './core.js';
import type { Ops } from './ops.js';
import type { ResolvedPipeline } from './pipeline.js';
import { overlay, topologicalOrder, unmetDependencies } from './rules.js';
import type { Unit } from './unit.js';
import { toPromotion } from './views.js';

async function idempotent(
  _ops: Ops,
  u: Unit,
  key: string | undefined,
  fingerprint: string,
): Promise<PromotionDoc[] | undefined> {
  if (key === undefined) return undefined;
  const existing = await u.idempotency(key);
  if (existing === undefined) return undefined;
  if (existing.fingerprint !== fingerprint) {
    throw promotionErrors.create(
      'E_IDEMPOTENCY_MISMATCH',
      `idempotency key "${key}" was used for another request`,
      { details: { idempotencyKey: key } },
    );
  }
  const docs: PromotionDoc[] = [];
  for (const id of existing.promotionIds) docs.push(await u.mustPromotion(id));
  return docs;
}

function checkFrom(ops: Ops, p: ResolvedPipeline, stage: string, from: string | undefined): void {
  if (from === undefined) return;
  if (!p.stages.has(from)) stageOf(ops.core, p.name, from);
  const def = p.stages.get(stage) as NonNullable<ReturnType<typeof p.stages.get>>;
  if ((def.upstream ?? []).includes(from)) return;
  const isAncestor = (function up(s: string): boolean {
    return (p.stages.get(s)?.upstream ?? []).some((x) => x === from || up(x));
  })(stage);
  throw promotionErrors.create(
    'E_FORBIDDEN_TRANSITION',
    isAncestor
      ? `"${from}" → "${stage}" skips the stages in between; promote to a direct downstream stage`
      : `"${from}" → "${stage}" is not a forward move of pipeline "${p.name}" (reverse moves are rollbacks)`,
    { details: { pipeline: p.name, from, to: stage } },
  );
}

/** Requests the promotion of a release into a stage. */
export async function request(ops: Ops, input: RequestInput): Promise<Promotion> {
  ops.ready('request');
  const p = pipelineOf(ops.core, input?.pipeline);
  const def = stageOf(ops.core, p.name, input.stage);
  checkFrom(ops, p, input.stage, input.from);
  const release = await ops.mustRelease(input.releaseId);
  const principal = principalOf(input.principal);
  await ops.authorize(principal, 'promotion:request', {
    pipeline: p.name,
    stage: input.stage,
    releaseId: release.id,
  });
  const fingerprint = canonicalJson({
    op: 'request',
    pipeline: p.name,
    stage: input.stage,
    releases: [release.id],
  });
  const docs = await ops.unit(async (u) => {
    const again = await idempotent(ops, u, input.idempotencyKey, fingerprint);
    if (again !== undefined) return again;
    const doc = await admit(ops.core, u, {
      pipeline: p.name,
      stage: input.stage,
      release,
      principal,
      kind: 'promotion',
      fastPath: false,
      auto: false,
      supersede: input.supersede ?? def.supersede ?? false,
      front: false,
      fingerprint,
      ...(input.idempotencyKey !== undefined && { idempotencyKey: input.idempotencyKey }),
    });
    if (input.idempotencyKey !== undefined) {
      await u.putIdempotency(input.idempotencyKey, {
        promotionIds: [doc.id],
        fingerprint,
        at: u.now,
      });
    }
    return [doc];
  });
  return toPromotion(docs[0] as PromotionDoc);
}

/**
 * Promotes several releases into one stage as a coordinated set: dependencies are checked
 * against what the stage will hold once the set has landed, the set is ordered topologically
 * (providers before consumers; cycles are refused) and queued in that order. If one member does
 * not succeed, the members still queued behind it are cancelled.
 */
export async function requestMany(
  ops: Ops,
  input: {
    pipeline: string;
    stage: string;
    releaseIds: readonly string[];
    principal?: Principal;
    idempotencyKey?: string;
  },
): Promise<Promotion[]> {
  ops.ready('requestMany');
  const p = pipelineOf(ops.core, input?.pipeline);
  stageOf(ops.core, p.name, input.stage);
  if (!Array.isArray(input.releaseIds) || input.releaseIds.length === 0) {
    throw promotionErrors.create('E_INVALID_ARGUMENT', 'requestMany needs at least one release id');
  }
  const releases = await Promise.all(input.releaseIds.map((id) => ops.mustRelease(id)));
  const names = new Set<string>();
  for (const r of releases) {
    if (names.has(r.name))
      throw promotionErrors.create(
        'E_INVALID_ARGUMENT',
        `two releases of "${r.name}" in one coordinated promotion`,
        { details: { name: r.name } },
      );
    names.add(r.name);
  }
  const ordered = topologicalOrder(releases);
  const principal = principalOf(input.principal);
  for (const r of ordered)
    await ops.authorize(principal, 'promotion:request', {
      pipeline: p.name,
      stage: input.stage,
      releaseId: r.id,
    });
  const fingerprint = canonicalJson({
    op: 'requestMany',
    pipeline: p.name,
    stage: input.stage,
    releases: ordered.map((r) => r.id),
  });
  const groupId = uuidv7();
  const docs = await ops.unit(async (u) => {
    const again = await idempotent(ops, u, input.idempotencyKey, fingerprint);
    if (again !== undefined) return again;
    const stage = await u.stage(p.name, input.stage);
    const unmet = unmetDependencies(ordered, overlay(await heldReleases(u, stage), ordered));
    if (unmet.length > 0) {
      throw promotionErrors.create(
        'E_UNMET_DEPENDENCY',
        `the coordinated promotion leaves dependencies unmet: ${unmet.map((x) => `${x.release} needs ${x.dependency.name}@${x.dependency.range} (would hold ${x.found ?? 'none'})`).join(', ')}`,
        { details: { unmet: unmet.map((x) => ({ releaseId: x.release, ...x.dependency })) } },
      );
    }
    const out: PromotionDoc[] = [];
    for (const release of ordered) {
      const a: Admission = {
        pipeline: p.name,
        stage: input.stage,
        release,
        principal,
        kind: 'promotion',
        fastPath: false,
        auto: false,
        supersede: false,
        front: false,
        fingerprint,
        groupId,
        skipDependencies: true,
      };
      out.push(await admit(ops.core, u, a));
    }
    if (input.idempotencyKey !== undefined) {
      await u.putIdempotency(input.idempotencyKey, {
        promotionIds: out.map((d) => d.id),
        fingerprint,
        at: u.now,
      });
    }
    return out;
  });
  return docs.map(toPromotion);
}

/**
 * Returns a stage's release slot to an earlier release (default: the previous verified one
 * from history). It jumps the stage's queue, ignores pins and freezes, places an
 * auto-promotion hold, and with `fastPath` (default) skips approvals, gates and verification.
 */
export async function rollback(ops: Ops, input: RollbackInput): Promise<Promotion> {
  ops.ready('rollback');
  const p = pipelineOf(ops.core, input?.pipeline);
  stageOf(ops.core, p.name, input.stage);
  const principal = principalOf(input.principal);
  await ops.authorize(principal, 'promotion:rollback', {
    pipeline: p.name,
    stage: input.stage,
  });
  const fastPath = input.fastPath ?? true;
  const doc = await ops.unit(async (u) => {
    const stage = await u.stage(p.name, input.stage);
    const names = Object.keys(stage.contents);
    const name = input.releaseName ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) {
      throw promotionErrors.create(
        'E_INVALID_ARGUMENT',
        names.length === 0
          ? `stage "${input.stage}" holds nothing to roll back`
          : `stage "${input.stage}" holds several releases (${names.join(', ')}): pass releaseName`,
        { details: { stage: input.stage, releaseNames: names } },
      );
    }
    const fingerprint = canonicalJson({
      op: 'rollback',
      pipeline: p.name,
      stage: input.stage,
      name,
      to: input.to ?? null,
    });
    const again = await idempotent(ops, u, input.idempotencyKey, fingerprint);
    if (again !== undefined) return again[0] as PromotionDoc;
    let target: Release | undefined;
    if (input.to !== undefined) {
      const r = await u.release(input.to);
      const occ = await u.occupancy(p.name, input.stage, input.to);
      if (r === undefined)
        throw promotionErrors.create('E_UNKNOWN_RELEASE', `no release "${input.to}"`, {
          details: { releaseId: input.to },
        });
      if (occ === undefined || r.name !== name || stage.contents[name]?.releaseId === r.id) {
        throw promotionErrors.create(
          'E_NO_ROLLBACK_TARGET',
          `release ${input.to} is not an earlier release of "${name}" in stage "${input.stage}"`,
          {
            details: { releaseId: input.to, stage: input.stage },
          },
        );
      }
      if (r.status === 'rejected')
        throw promotionErrors.create('E_RELEASE_REJECTED', `release ${r.id} was rejected`, {
          details: { releaseId: r.id },
        });
      target = r;
    } else {
      for (const id of stage.previous[name] ?? []) {
        const r = await u.release(id);
        if (r !== undefined && r.status !== 'rejected') {
          target = r;
          break;
        }
      }
    }
    if (target === undefined) {
      throw promotionErrors.create(
        'E_NO_ROLLBACK_TARGET',
        `stage "${input.stage}" has no earlier verified release of "${name}"`,
        { details: { stage: input.stage, releaseName: name } },
      );
    }
    const created = await admit(ops.core, u, {
      pipeline: p.name,
      stage: input.stage,
      release: target,
      principal,
      kind: 'rollback',
      fastPath,
      auto: false,
      supersede: false,
      front: true,
      fingerprint,
      ...(input.idempotencyKey !== undefined && { idempotencyKey: input.idempotencyKey }),
    });
    if (input.idempotencyKey !== undefined)
      await u.putIdempotency(input.idempotencyKey, {
        promotionIds: [created.id],
        fingerprint,
        at: u.now,
      });
    const hold = {
      reason: input.reason ?? `rollback to ${target.id}`,
      by: principal.id,
      at: u.now,
    };
    await u.putStage({ ...(await u.stage(p.name, input.stage)), hold });
    u.emit('rollback:started', {
      ...u.base(created),
      targetReleaseId: target.id,
      automatic: false,
    });
    u.emit('stage:held', {
      pipeline: p.name,
      stage: input.stage,
      reason: hold.reason,
      at: u.now,
    });
    return created;
  });
  return toPromotion(doc);
}

/**
 * Re-runs the stage's verification on the release it holds for `releaseName` (Kargo's
 * reverify). It queues like any promotion; a failure revokes "verified" and, as after a
 * deploy, rolls the slot back to the previous verified release when there is one.
 */
export async function reverify(
  ops: Ops,
  input: {
    pipeline: string;
    stage: string;
    releaseName?: string;
    principal?: Principal;
    idempotencyKey?: string;
  },
): Promise<Promotion> {
  ops.ready('reverify');
  const p = pipelineOf(ops.core, input?.pipeline);
  const def = stageOf(ops.core, p.name, input.stage);
  if ((def.verification?.gates.length ?? 0) === 0) {
    throw promotionErrors.create(
      'E_INVALID_ARGUMENT',
      `stage "${input.stage}" has no verification to re-run`,
      {
        details: { pipeline: p.name, stage: input.stage },
      },
    );
  }
  const principal = principalOf(input.principal);
  await ops.authorize(principal, 'promotion:request', { pipeline: p.name, stage: input.stage });
  const doc = await ops.unit(async (u) => {
    const stage = await u.stage(p.name, input.stage);
    const names = Object.keys(stage.contents);
    const name = input.releaseName ?? (names.length === 1 ? names[0] : undefined);
    const slot = name === undefined ? undefined : stage.contents[name];
    if (name === undefined || slot === undefined) {
      throw promotionErrors.create(
        'E_INVALID_ARGUMENT',
        `stage "${input.stage}" holds no single release to re-verify${names.length > 1 ? ` (pass releaseName: ${names.join(', ')})` : ''}`,
        {
          details: { stage: input.stage, releaseNames: names },
        },
      );
    }
    const fingerprint = canonicalJson({
      op: 'reverify',
      pipeline: p.name,
      stage: input.stage,
      release: slot.releaseId,
    });
    const again = await idempotent(ops, u, input.idempotencyKey, fingerprint);
    if (again !== undefined) return again[0] as PromotionDoc;
    const release = (await u.release(slot.releaseId)) as Release;
    const created = await admit(ops.core, u, {
      pipeline: p.name,
      stage: input.stage,
      release,
      principal,
      kind: 'verification',
      fastPath: false,
      auto: false,
      supersede: false,
      front: false,
      fingerprint,
      ...(input.idempotencyKey !== undefined && { idempotencyKey: input.idempotencyKey }),
    });
    if (input.idempotencyKey !== undefined)
      await u.putIdempotency(input.idempotencyKey, {
        promotionIds: [created.id],
        fingerprint,
        at: u.now,
      });
    return created;
  });
  return toPromotion(doc);
}
