import type { TimerHandle } from '@plinth/core';
import { runGate } from '../gates/run-gate.js';
import type { GateDefinition, Release } from '../types.js';
import { currentLevel, needsApproval } from './approvals.js';
import {
  COLLECTIONS,
  stageKey,
  TERMINAL,
  type PromotionDoc,
  type StageDoc,
  type ReleaseDoc,
} from './collections.js';
import { stageOf, type EngineCore } from './core.js';
import { runHandler } from './handler.js';
import { park, preconditions, type Step } from './preconditions.js';
import { landRelease, markVerified, decideRollback, revokeVerification } from './landing.js';

import { inUnit, type Unit } from './unit.js';

/** Thrown inside a unit when this instance no longer owns the promotion (nothing is written). */
class LostOwnership extends Error {}

/**
 * Drives promotions through the state machine. Work is claimed with a lease on the promotion
 * record (compare-and-set), so any instance may drive any promotion but only one does at a
 * time; parked promotions (waiting for approvals, soak, a freeze or the verification delay) hold
 * no lease and wake up on a timer of the injected clock, on an approval, or on the resume scan.
 */
export class Driver {
  readonly #core: EngineCore;
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #timers = new Map<string, TimerHandle>();
  readonly #inflight = new Set<Promise<void>>();

  constructor(core: EngineCore) {
    this.#core = core;
  }

  /** Starts (or re-checks) a promotion in the background. */
  kick(id: string): void {
    if (this.#core.stop.aborted) return;
    const p = this.#drive(id).catch((error: unknown) => {
      this.#core.logger.error({ err: error, promotionId: id }, 'driving a promotion failed');
      this.#emitError(error, id);
    });
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** Tracks follow-up work (auto-promotion) so {@link Driver.idle} waits for it too. */
  track(task: Promise<void>): void {
    const p = task.catch((error: unknown) => this.#emitError(error));
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #emitError(error: unknown, promotionId?: string): void {
    const core = this.#core as EngineCore & { emitError?: (e: unknown, id?: string) => void };
    core.emitError?.(error, promotionId);
  }

  /** Resolves once no promotion is being driven by this instance. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Cancels the wake-up timers (close). */
  stopTimers(): void {
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
  }

  /** Earliest armed wake-up, for simulations. */
  nextWake(): number | undefined {
    return this.#wakes.size === 0 ? undefined : Math.min(...this.#wakes.values());
  }

  readonly #wakes = new Map<string, number>();

  arm(id: string, at: number): void {
    this.#timers.get(id)?.cancel();
    this.#wakes.set(id, at);
    const timer = this.#core.clock.setTimeout(
      () => {
        this.#timers.delete(id);
        this.#wakes.delete(id);
        this.kick(id);
      },
      Math.max(0, at - this.#core.clock.now()),
    );
    this.#timers.set(id, timer);
  }

  async #drive(id: string): Promise<void> {
    const running = this.#running.get(id);
    if (running !== undefined) {
      this.#again.add(id);
      return running;
    }
    const run = (async () => {
      do {
        this.#again.delete(id);
        const fresh = await this.#read(id);
        const mine =
          fresh?.live === true &&
          fresh.lease?.owner === this.#core.instanceId &&
          fresh.lease.until > this.#core.clock.now() &&
          fresh.wakeAt === undefined;
        if (!mine && !(await this.#claim(id))) continue;
        while (!this.#core.stop.aborted && (await this.#step(id)) === 'continue');
      } while (this.#again.has(id) && !this.#core.stop.aborted);
    })();
    this.#running.set(id, run);
    try {
      await run;
    } finally {
      this.#running.delete(id);
    }
  }

  /** Runs `fn` on the fresh record inside a unit, if this instance still owns it. */
  async #commit(
    id: string,
    fn: (u: Unit, doc: PromotionDoc) => Promise<void>,
  ): Promise<Unit | undefined> {
    try {
      const { unit } = await inUnit(
        this.#core.store,
        this.#core.clock,
        async (u) => {
          const doc = await u.promotion(id);
          if (
            doc === undefined ||
            doc.live !== true ||
            doc.lease?.owner !== this.#core.instanceId
          ) {
            throw new LostOwnership();
          }
          await fn(u, doc);
        },
        { id: this.#core.instanceId, leaseMs: this.#core.leaseMs },
      );
      this.#core.publish(unit);
      for (const [wid, at] of unit.wakes) this.arm(wid, at);
      return unit;
    } catch (error) {
      if (error instanceof LostOwnership) return undefined;
      throw error;
    }
  }

  async #claim(id: string): Promise<boolean> {
    const core = this.#core;
    let wake: number | undefined;
    const { result } = await inUnit(core.store, core.clock, async (u) => {
      const d = await u.promotion(id);
      if (d === undefined || d.live !== true) return false;
      if (d.lease !== undefined && d.lease.owner !== core.instanceId && d.lease.until > u.now)
        return false;
      if (d.wakeAt !== undefined && d.wakeAt > u.now) {
        wake = d.wakeAt;
        return false;
      }
      const s = await u.stage(d.pipeline, d.stage);
      if (s.active !== d.id) return false;
      const { wakeAt: _w, ...rest } = d;
      await u.putPromotion({
        ...rest,
        lease: { owner: core.instanceId, until: u.now + core.leaseMs },
      } as PromotionDoc);
      return true;
    });
    if (wake !== undefined) this.arm(id, wake);
    return result;
  }

  /** Keeps the lease alive while `fn` awaits host code. */
  async #leased<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const core = this.#core;
    const every = Math.max(1, Math.floor(core.leaseMs / 3));
    const timer = core.clock.setInterval(() => {
      void inUnit(core.store, core.clock, async (u) => {
        const d = await u.promotion(id);
        if (d?.lease?.owner !== core.instanceId) return;
        await u.putPromotion({
          ...d,
          lease: { owner: core.instanceId, until: u.now + core.leaseMs },
        });
      }).catch(() => undefined);
    }, every);
    try {
      return await fn();
    } finally {
      timer.cancel();
    }
  }

  async #read(id: string): Promise<PromotionDoc | undefined> {
    return (await this.#core.store.collection<PromotionDoc>(COLLECTIONS.promotions).get(id))?.value;
  }

  async #stageReleases(
    pipeline: string,
    stage: string,
  ): Promise<{ stage: StageDoc | undefined; releases: Release[] }> {
    const s = (
      await this.#core.store.collection<StageDoc>(COLLECTIONS.stages).get(stageKey(pipeline, stage))
    )?.value;
    const ids = Object.values(s?.contents ?? {}).map((o) => o.releaseId);
    const entries = await this.#core.store
      .collection<ReleaseDoc>(COLLECTIONS.releases)
      .getMany(ids);
    return { stage: s, releases: entries.flatMap((e) => (e === undefined ? [] : [e.value])) };
  }

  async #step(id: string): Promise<Step> {
    const doc = await this.#read(id);
    if (doc === undefined || doc.live !== true || doc.lease?.owner !== this.#core.instanceId)
      return 'stop';
    switch (doc.state) {
      case 'requested':
        return this.#requested(id);
      case 'awaiting_approval':
        return this.#awaitingApproval(id);
      case 'gating':
        return this.#gating(doc);
      case 'promoting':
        return this.#promoting(doc);
      case 'verifying':
        return this.#verifying(doc);
      default:
        return this.#finalize(doc);
    }
  }

  async #requested(id: string): Promise<Step> {
    let step = 'continue' as Step;
    await this.#commit(id, async (u, d) => {
      if (d.state !== 'requested') return;
      const def = stageOf(this.#core, d.pipeline, d.stage);
      if (d.kind === 'verification') {
        await u.transition(d, 'verifying');
      } else if (d.kind === 'rollback' && d.fastPath) {
        await u.transition(d, 'promoting');
      } else if (needsApproval(def.approvals)) {
        const expires = def.approvals?.expiresInMs;
        const moved = await u.transition(
          d,
          'awaiting_approval',
          expires === undefined ? {} : { approvalExpiresAt: u.now + expires },
        );
        if (currentLevel(def.approvals, moved.approvals) !== undefined)
          step = await park(u, moved, moved.approvalExpiresAt, 'approval');
      } else {
        const moved = await u.transition(d, 'gating');
        const r = await preconditions(this.#core, u, moved, this.#remainingGates(moved));
        if (r !== 'proceed') step = r;
      }
    });
    return step;
  }

  async #awaitingApproval(id: string): Promise<Step> {
    let step = 'continue' as Step;
    await this.#commit(id, async (u, d) => {
      if (d.state !== 'awaiting_approval') return;
      const def = stageOf(this.#core, d.pipeline, d.stage);
      if (currentLevel(def.approvals, d.approvals) === undefined) {
        await u.transition(d, 'gating');
      } else if (d.approvalExpiresAt !== undefined && u.now >= d.approvalExpiresAt) {
        u.emit('approval:expired', u.base(d));
        await u.finish(d, 'cancelled', { reason: 'approval expired' });
        step = 'stop';
      } else {
        step = await park(u, d, d.approvalExpiresAt, 'approval');
      }
    });
    return step;
  }

  async #gating(doc: PromotionDoc): Promise<Step> {
    const remaining = this.#remainingGates(doc);
    let step = 'continue' as Step;
    let proceed = false;
    await this.#commit(doc.id, async (u, d) => {
      if (d.state !== 'gating') return;
      const r = await preconditions(this.#core, u, d, remaining);
      if (r === 'proceed') proceed = true;
      else step = r;
    });
    if (!proceed) return step;
    const outcome = await this.#runGates(doc, remaining, 'gating');
    if (outcome === 'stop') return 'stop';
    await this.#commit(doc.id, async (u, d) => {
      if (d.state === 'gating') await u.transition(d, 'promoting');
    });
    return 'continue';
  }

  #remainingGates(doc: PromotionDoc): readonly GateDefinition[] {
    if (doc.kind === 'rollback' && doc.fastPath) return [];
    const def = stageOf(this.#core, doc.pipeline, doc.stage);
    const done = doc.gates.filter((g) => g.status === 'passed').length;
    return (def.gates ?? []).slice(done);
  }

  /** Runs gates in order, recording each; a failure finishes the promotion (or rolls back). */
  async #runGates(
    doc: PromotionDoc,
    gates: readonly GateDefinition[],
    phase: 'gating' | 'verification',
  ): Promise<Step> {
    if (gates.length === 0) return 'continue';
    const core = this.#core;
    const release = (
      await core.store.collection<ReleaseDoc>(COLLECTIONS.releases).get(doc.releaseId)
    )?.value;
    if (release === undefined) return 'stop';
    const { releases: current } = await this.#stageReleases(doc.pipeline, doc.stage);
    for (const gate of gates) {
      const record = await this.#leased(doc.id, () =>
        runGate(
          gate,
          {
            promotionId: doc.id,
            pipeline: doc.pipeline,
            stage: doc.stage,
            release,
            current,
            phase,
          },
          { clock: core.clock, compatibility: core.compatibility, stop: core.stop },
        ),
      );
      if (core.stop.aborted) return 'stop';
      core.telemetry.gate(
        doc.pipeline,
        doc.stage,
        record.name,
        record.status,
        record.finishedAt - record.startedAt,
      );
      let step = 'continue' as Step;
      const unit = await this.#commit(doc.id, async (u, d) => {
        const expected = phase === 'gating' ? 'gating' : 'verifying';
        if (d.state !== expected) {
          step = 'stop';
          return;
        }
        const field = phase === 'gating' ? 'gates' : 'verification';
        const list = [...(phase === 'gating' ? d.gates : d.verification), record];
        const updated = { ...d, [field]: list } as PromotionDoc;
        if (record.status === 'passed') {
          u.emit('gate:passed', { ...u.base(d), gate: record });
          await u.putPromotion(updated);
          return;
        }
        u.emit('gate:failed', { ...u.base(d), gate: record });
        step = 'stop';
        const reason = `gate "${record.name}" ${record.status}: ${record.messages.join('; ')}`;
        if (phase === 'gating') {
          await u.finish(updated, 'failed', { reason });
          return;
        }
        u.emit('verification:failed', { ...u.base(d), gate: record });
        const def = stageOf(core, d.pipeline, d.stage);
        if (def.verification?.rollbackOnFailure !== false && d.kind !== 'rollback') {
          const rolled = await decideRollback(u, updated, reason);
          if (rolled) {
            core.telemetry.rollback(d.pipeline, d.stage, true);
            step = 'continue'; // run the rollback handler next
            return;
          }
        }
        await revokeVerification(u, updated);
        await u.finish(updated, 'failed', { reason });
      });
      if (unit === undefined || step === 'stop') return 'stop';
      if (record.status !== 'passed') return step;
    }
    return 'continue';
  }

  #handlerFor(doc: PromotionDoc) {
    const def = stageOf(this.#core, doc.pipeline, doc.stage);
    const promote = def.promote ?? this.#core.promote;
    return {
      handler: doc.kind === 'rollback' ? (def.rollback ?? this.#core.rollback ?? promote) : promote,
      policy: { ...this.#core.handlerPolicy, ...def.handlerPolicy },
    };
  }

  async #promoting(doc: PromotionDoc): Promise<Step> {
    const core = this.#core;
    const releases = core.store.collection<ReleaseDoc>(COLLECTIONS.releases);
    const release = (await releases.get(doc.releaseId))?.value;
    const stage = (
      await core.store
        .collection<StageDoc>(COLLECTIONS.stages)
        .get(stageKey(doc.pipeline, doc.stage))
    )?.value;
    const prevId = stage?.contents[doc.releaseName]?.releaseId;
    const previous = prevId === undefined ? undefined : (await releases.get(prevId))?.value;
    if (release === undefined) return 'stop';
    const { handler, policy } = this.#handlerFor(doc);
    const outcome = await this.#leased(doc.id, () =>
      runHandler(
        handler,
        {
          promotionId: doc.id,
          pipeline: doc.pipeline,
          stage: doc.stage,
          release,
          previous,
          kind: doc.kind,
        },
        policy,
        core.clock,
        core.stop,
      ),
    );
    if (core.stop.aborted) return 'stop';
    let step = 'stop' as Step;
    await this.#commit(doc.id, async (u, d) => {
      if (d.state !== 'promoting') return;
      const handlerRecord = {
        attempts: outcome.attempts,
        ...(outcome.outputs !== undefined && { outputs: outcome.outputs }),
        ...(outcome.error !== undefined && { error: outcome.error }),
      };
      if (!outcome.ok) {
        await u.finish(d, 'failed', {
          reason: `the ${d.kind} handler failed after ${outcome.attempts} attempt(s): ${outcome.error ?? ''}`,
          handler: handlerRecord,
        });
        return;
      }
      const landed = await landRelease(u, { ...d, handler: handlerRecord });
      const def = stageOf(core, d.pipeline, d.stage);
      const verify =
        (def.verification?.gates.length ?? 0) > 0 && !(d.kind === 'rollback' && d.fastPath);
      if (verify) {
        const delay = def.verification?.delayMs ?? 0;
        const moved = await u.transition(landed, 'verifying');
        if (delay > 0) step = await park(u, moved, u.now + delay, 'verification delay');
        else step = 'continue';
      } else {
        await markVerified(u, landed);
        const done = await u.finish(landed, 'succeeded');
        if (d.kind === 'rollback') {
          u.emit('rollback:completed', { ...u.base(done), targetReleaseId: d.releaseId });
          core.telemetry.rollback(d.pipeline, d.stage, false);
        }
      }
    });
    return step;
  }

  async #verifying(doc: PromotionDoc): Promise<Step> {
    const def = stageOf(this.#core, doc.pipeline, doc.stage);
    const gates = def.verification?.gates ?? [];
    const done = doc.verification.filter((g) => g.status === 'passed').length;
    const outcome = await this.#runGates(doc, gates.slice(done), 'verification');
    if (outcome === 'stop') return 'stop';
    const after = await this.#read(doc.id);
    if (after?.state !== 'verifying') return 'continue'; // rolled back: finalize next
    await this.#commit(doc.id, async (u, d) => {
      if (d.state !== 'verifying') return;
      await markVerified(u, d);
      u.emit('verification:passed', u.base(d));
      const out = await u.finish(d, 'succeeded');
      if (d.kind === 'rollback') {
        u.emit('rollback:completed', { ...u.base(out), targetReleaseId: d.releaseId });
        this.#core.telemetry.rollback(d.pipeline, d.stage, false);
      }
    });
    return 'stop';
  }

  /** A final state that still holds the stage: run the rollback handler, then release it. */
  async #finalize(doc: PromotionDoc): Promise<Step> {
    const core = this.#core;
    if (!TERMINAL.has(doc.state)) return 'stop';
    if (doc.state === 'rolled_back' && doc.rollback?.status === 'pending') {
      const releases = core.store.collection<ReleaseDoc>(COLLECTIONS.releases);
      const target =
        doc.rollback.targetReleaseId === undefined
          ? undefined
          : (await releases.get(doc.rollback.targetReleaseId))?.value;
      const failed = (await releases.get(doc.releaseId))?.value;
      const { handler, policy } = this.#handlerFor({ ...doc, kind: 'rollback' });
      const outcome =
        target === undefined
          ? { ok: true, attempts: 0 }
          : await this.#leased(doc.id, () =>
              runHandler(
                handler,
                {
                  promotionId: doc.id,
                  pipeline: doc.pipeline,
                  stage: doc.stage,
                  release: target,
                  previous: failed,
                  kind: 'rollback',
                },
                policy,
                core.clock,
                core.stop,
              ),
            );
      if (core.stop.aborted) return 'stop';
      await this.#commit(doc.id, async (u, d) => {
        if (d.rollback?.status !== 'pending') return;
        const { live: _l, lease: _le, ...rest } = d;
        const out = {
          ...rest,
          rollback: {
            ...d.rollback,
            status: outcome.ok ? 'done' : 'failed',
            attempts: outcome.attempts,
            ...('outputs' in outcome &&
              outcome.outputs !== undefined && { outputs: outcome.outputs }),
            ...('error' in outcome && outcome.error !== undefined && { error: outcome.error }),
          },
          updatedAt: u.now,
        } as PromotionDoc;
        await u.putPromotion(out);
        await u.history(
          d.pipeline,
          d.stage,
          outcome.ok ? 'rollback:completed' : 'rollback:failed',
          'plinth',
          {
            promotionId: d.id,
            releaseId: d.rollback.targetReleaseId ?? d.releaseId,
          },
        );
        if (outcome.ok)
          u.emit('rollback:completed', {
            ...u.base(d),
            targetReleaseId: d.rollback.targetReleaseId ?? null,
          });
        else
          u.emit('rollback:failed', {
            ...u.base(d),
            error: 'error' in outcome ? (outcome.error ?? '') : '',
          });
        await u.releaseStage(out);
      });
      return 'stop';
    }
    await this.#commit(doc.id, async (u, d) => {
      const { live: _l, lease: _le, ...rest } = d;
      await u.putPromotion(rest as PromotionDoc);
      await u.releaseStage(rest as PromotionDoc);
    });
    return 'stop';
  }
}
