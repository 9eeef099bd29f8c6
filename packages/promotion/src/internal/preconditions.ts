import type { GateDefinition, GateRecord, Release } from '../types.js';
import type { PromotionDoc } from './collections.js';
import { stageOf, type EngineCore } from './core.js';
import { freezeEnd } from './pipeline.js';
import { overlay, soakRemaining, unmetDependencies } from './rules.js';
import type { Unit } from './unit.js';

/** What a driver step decides: go on with the next step, or stop (parked, finished, lost). */
export type Step = 'continue' | 'stop';

/** Parks the promotion: gives up the lease, optionally until `wakeAt` (armed after commit). */
export async function park(
  u: Unit,
  doc: PromotionDoc,
  wakeAt: number | undefined,
  why: string,
): Promise<Step> {
  const { lease: _l, wakeAt: _w, ...rest } = doc;
  await u.putPromotion((wakeAt === undefined ? rest : { ...rest, wakeAt }) as PromotionDoc);
  if (wakeAt !== undefined) {
    u.emit('promotion:parked', { ...u.base(doc), until: wakeAt, why });
    u.wakes.push([doc.id, wakeAt]);
  }
  return 'stop';
}

/**
 * Gating preconditions, decided inside one unit: release status, freeze, soak, dependencies.
 * Returns 'proceed' when host gates must run next, 'continue' when it moved on to promoting.
 */
export async function preconditions(
  core: EngineCore,
  u: Unit,
  d: PromotionDoc,
  remaining: readonly GateDefinition[],
): Promise<Step | 'proceed'> {
  const def = stageOf(core, d.pipeline, d.stage);
  const release = await u.release(d.releaseId);
  if (release === undefined || release.status === 'rejected') {
    await u.finish(d, 'rejected', { reason: `release ${d.releaseId} was rejected` });
    return 'stop';
  }
  if (d.kind !== 'rollback') {
    const freeze = freezeEnd(def.freezeWindows, u.now);
    if (freeze !== undefined) {
      return park(u, d, freeze, 'freeze');
    }
    const upstream = new Map(
      await Promise.all(
        (def.upstream ?? []).map(
          async (s) => [s, await u.occupancy(d.pipeline, s, d.releaseId)] as const,
        ),
      ),
    );
    const soak = soakRemaining(def, upstream, u.now);
    if (soak === Infinity) {
      await u.finish(d, 'failed', {
        reason: 'the soak time can no longer be met: the release left the upstream stage',
      });
      return 'stop';
    }
    if (soak > 0) {
      return park(u, d, u.now + soak, 'soak');
    }
  }
  const held: Release[] = [];
  if (release.dependencies.length > 0) {
    const stage = await u.stage(d.pipeline, d.stage);
    for (const o of Object.values(stage.contents)) {
      const r = await u.release(o.releaseId);
      if (r !== undefined) held.push(r);
    }
  }
  const unmet =
    release.dependencies.length === 0 ? [] : unmetDependencies([release], overlay(held, [release]));
  if (unmet.length > 0) {
    const messages = unmet.map(
      (x) =>
        `needs ${x.dependency.name}@${x.dependency.range}, the stage holds ${x.found ?? 'none'}`,
    );
    const record: GateRecord = {
      name: 'dependencies',
      kind: 'dependencies',
      status: 'failed',
      messages,
      attempts: 1,
      startedAt: u.now,
      finishedAt: u.now,
    };
    u.emit('gate:failed', { ...u.base(d), gate: record });
    await u.finish(d, 'failed', {
      reason: `unmet dependencies: ${messages.join('; ')}`,
      gates: [...d.gates, record],
    });
    return 'stop';
  }
  if (remaining.length === 0) {
    // Nothing to run outside the unit: move on in the same commit.
    await u.transition(d, 'promoting');
    return 'continue';
  }
  return 'proceed';
}
