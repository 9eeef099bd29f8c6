import {
  Lifecycle,
  TypedEmitter,
  check,
  resolveOptions,
  systemClock,
  uuidv7,
  noopLogger,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@plinth/core';
import type { Page, Store } from '@plinth/storage';
import { promotionErrors } from './errors.js';
import type { PromotionEvents } from './events.js';
import { DEFAULT_HANDLER_POLICY, DEFAULT_PROMOTION_OPTIONS } from './options.js';
import type {
  HistoryEntry,
  PipelineDefinition,
  Principal,
  Promotion,
  PromotionAction,
  PromotionOptions,
  PromotionResource,
  Release,
  ReleaseInput,
  RequestInput,
  RollbackInput,
  StageDiffEntry,
  StageView,
} from './types.js';

import {
  COLLECTION_DEFINITIONS,
  COLLECTIONS,
  stageKey,
  type PromotionDoc,
  type ReleaseDoc,
} from './internal/collections.js';
import { pipelineOf, stageOf, type EngineCore } from './internal/core.js';
import { Driver } from './internal/driver.js';
import { resolvePipeline, type ResolvedPipeline } from './internal/pipeline.js';
import { buildRelease } from './internal/releases.js';
import { Telemetry, defaultMeter } from './internal/telemetry.js';
import { inUnit, type Unit } from './internal/unit.js';
import { principalOf, text } from './internal/args.js';
import type { Ops } from './internal/ops.js';
import { request, requestMany, rollback, reverify } from './internal/requests.js';
import { approve, reject, cancel } from './internal/decisions.js';
import { hold, releaseHold, pin, unpin } from './internal/stage-flags.js';
import { autoPromote } from './internal/auto-promote.js';
import { diffStages, historyPage, stageView, toPromotion } from './internal/views.js';
import { runSimulation, type SimulationInput, type SimulationReport } from './simulate.js';

/**
 * The promotion engine: pipelines of stages, releases (bundles of artifact versions), and a
 * durable state machine per promotion, persisted through `@plinth/storage` on the host's store.
 *
 * ```ts
 * const engine = new PromotionEngine({ store, pipelines: [pipeline], promote: deploy });
 * await engine.open();
 * const release = await engine.createRelease({ name: 'orders', artifacts: ['orders@3.1.0'] });
 * await engine.request({ pipeline: 'main', stage: 'dev', releaseId: release.id });
 * ```
 */
export class PromotionEngine extends TypedEmitter<PromotionEvents> {
  readonly #core: EngineCore;
  readonly #driver: Driver;
  readonly #life: Lifecycle;
  readonly #abort = new AbortController();
  readonly #defs = new Map<string, PipelineDefinition>();
  readonly #options: PromotionOptions;
  readonly #ops: Ops;
  readonly #resumeIntervalMs: number;
  #opened = false;
  #resumeTimer: TimerHandle | undefined;

  constructor(options: PromotionOptions) {
    super();
    const o = resolveOptions<PromotionOptions, typeof DEFAULT_PROMOTION_OPTIONS>({
      package: '@plinth/promotion',
      owner: 'PromotionEngine',
      spec: {
        store: {
          check: check.implementing<Store>('transaction', 'collection', 'defineCollections'),
          required: true,
        },
        pipelines: check.arrayOf(check.object<PipelineDefinition>()),
        clock: check.implementing<Clock>('now', 'setTimeout', 'setInterval', 'sleep'),
        logger: check.implementing<Logger>('info', 'warn', 'error', 'child'),
        resolver: check.implementing('resolve'),
        compatibility: check.func() as never,
        authorize: check.func() as never,
        promote: check.func() as never,
        rollback: check.func() as never,
        handlerPolicy: check.object(),
        instanceId: check.string({ nonEmpty: true }),
        leaseMs: check.number({ min: 1, integer: true }),
        resumeIntervalMs: check.number({ min: 0, integer: true }),
        meter: check.implementing('createCounter', 'createHistogram'),
      },
      defaults: DEFAULT_PROMOTION_OPTIONS,
      input: options,
    });
    this.#options = o;
    this.#resumeIntervalMs = o.resumeIntervalMs;
    const pipelines = new Map<string, ResolvedPipeline>();
    for (const def of o.pipelines ?? []) {
      if (pipelines.has(def.name)) {
        throw promotionErrors.create(
          'E_INVALID_PIPELINE',
          `pipeline "${def.name}" is defined twice`,
          { details: { pipeline: def.name } },
        );
      }
      pipelines.set(def.name, resolvePipeline(def));
      this.#defs.set(def.name, def);
    }
    const telemetry = new Telemetry();
    this.#core = {
      store: o.store,
      clock: o.clock ?? systemClock,
      logger: (o.logger ?? noopLogger).child({ component: '@plinth/promotion' }),
      instanceId: o.instanceId ?? uuidv7(),
      leaseMs: o.leaseMs,
      pipelines,
      resolver: o.resolver,
      compatibility: o.compatibility,
      authorize: o.authorize,
      promote: o.promote,
      rollback: o.rollback,
      handlerPolicy: { ...DEFAULT_HANDLER_POLICY, ...o.handlerPolicy },
      telemetry,
      stop: this.#abort.signal,
      publish: (unit) => this.#publish(unit),
    };
    (this.#core as unknown as { emitError: (e: unknown, id?: string) => void }).emitError = (
      error,
      promotionId,
    ) => this.emit('engine:error', promotionId === undefined ? { error } : { error, promotionId });
    this.#driver = new Driver(this.#core);
    this.#ops = {
      core: this.#core,
      driver: this.#driver,
      ready: (op) => this.#ready(op),
      unit: (fn) => this.#unit(fn),
      authorize: (p, a, r) => this.#authorize(p, a, r),
      mustRelease: (id) => this.#mustRelease(id),
      getPromotion: (id) => this.getPromotion(id),
      stage: (pipeline, stage) => this.stage(pipeline, stage),
    };
    this.#life = new Lifecycle('@plinth/promotion', 'PromotionEngine', () => this.#shutdown());
  }

  /** This instance's id in leases. */
  get instanceId(): string {
    return this.#core.instanceId;
  }

  /** Declares the collections, wires telemetry and resumes every in-flight promotion. */
  async open(): Promise<this> {
    this.#life.assertOpen('open');
    if (this.#opened) return this;
    this.#core.store.defineCollections(COLLECTION_DEFINITIONS);
    this.#core.telemetry.use(this.#options.meter ?? (await defaultMeter()));
    this.#opened = true;
    await this.resume();
    if (this.#resumeIntervalMs > 0) {
      this.#resumeTimer = this.#core.clock.setInterval(() => {
        this.resume().catch((error: unknown) => this.emit('engine:error', { error }));
      }, this.#resumeIntervalMs);
    }
    return this;
  }

  #ready(op: string): void {
    this.#life.assertOpen(op);
    if (!this.#opened) {
      throw promotionErrors.create(
        'E_INVALID_STATE',
        `PromotionEngine.${op}() called before open()`,
        { details: { operation: op } },
      );
    }
  }

  /** Adds a pipeline at run time (every instance must define the same pipelines). */
  definePipeline(def: PipelineDefinition): void {
    this.#life.assertOpen('definePipeline');
    if (typeof def !== 'object' || def === null) {
      throw promotionErrors.create(
        'E_INVALID_PIPELINE',
        'definePipeline() takes a pipeline definition object',
      );
    }
    if (this.#core.pipelines.has(def.name)) {
      throw promotionErrors.create(
        'E_INVALID_PIPELINE',
        `pipeline "${def.name}" is already defined`,
        { details: { pipeline: def.name } },
      );
    }
    this.#core.pipelines.set(def.name, resolvePipeline(def));
    this.#defs.set(def.name, def);
  }

  /** The pipeline definitions (for simulations). */
  pipelineDefinitions(): PipelineDefinition[] {
    return [...this.#defs.values()];
  }

  /** Picks up every in-flight promotion this instance may drive (after a crash or restart). */
  async resume(): Promise<number> {
    this.#ready('resume');
    const promotions = this.#core.store.collection<PromotionDoc>(COLLECTIONS.promotions);
    let cursor: string | undefined;
    let n = 0;
    do {
      const page = await promotions.find('live', {
        eq: true,
        limit: 500,
        ...(cursor !== undefined && { cursor }),
      });
      for (const e of page.items) {
        this.#driver.kick(e.key);
        n++;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return n;
  }

  /** Resolves when this instance has no promotion step in progress (tests, simulations). */
  idle(): Promise<void> {
    return this.#driver.idle();
  }

  /** When the next parked promotion this instance armed wakes up. */
  nextWakeAt(): number | undefined {
    return this.#driver.nextWake();
  }

  async #authorize(
    principal: Principal,
    action: PromotionAction,
    resource: PromotionResource,
  ): Promise<void> {
    const hook = this.#core.authorize;
    if (hook === undefined) return;
    let allowed: boolean;
    try {
      allowed = await hook(principal, action, resource);
    } catch (error) {
      throw promotionErrors.create(
        'E_UNAUTHORIZED',
        `authorize() failed for ${action}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
          details: { principal: principal.id, action },
        },
      );
    }
    if (allowed !== true) {
      throw promotionErrors.create('E_UNAUTHORIZED', `${principal.id} may not ${action}`, {
        details: { principal: principal.id, action, ...resource },
      });
    }
  }

  async #unit<T>(fn: (u: Unit) => Promise<T>): Promise<T> {
    const { result, unit } = await inUnit(this.#core.store, this.#core.clock, fn, {
      id: this.#core.instanceId,
      leaseMs: this.#core.leaseMs,
    });
    this.#publish(unit);
    return result;
  }

  #publish(unit: Unit): void {
    const t = this.#core.telemetry;
    for (const e of unit.events) {
      if (e.name === 'promotion:transition')
        t.transition(e.payload.pipeline, e.payload.stage, e.payload.to);
    }
    for (const d of unit.finished)
      t.completed(d.pipeline, d.stage, d.state, unit.now - d.requestedAt);
    for (const e of unit.events) {
      try {
        (this.emit as (n: string, p: unknown) => boolean)(e.name, e.payload);
      } catch (error) {
        this.#core.logger.warn({ err: error, event: e.name }, 'an event listener threw');
      }
    }
    for (const id of unit.toDrive) this.#driver.kick(id);
    for (const d of unit.succeeded) {
      if (d.kind === 'promotion') {
        this.#driver.track(autoPromote(this.#ops, d));
      }
    }
  }

  // ── releases ──────────────────────────────────────────────────────────────────────────────

  /** Creates (pins) a release. Re-creating the same id with the same contents returns it. */
  async createRelease(input: ReleaseInput): Promise<Release> {
    this.#ready('createRelease');
    const principal = principalOf(input?.principal);
    await this.#authorize(principal, 'release:create', {});
    const release = await buildRelease(input, this.#core.resolver, this.#core.clock.now());
    return this.#unit(async (u) => {
      const existing = await u.release(release.id);
      if (existing !== undefined) {
        if (existing.digest === release.digest && existing.name === release.name) return existing;
        throw promotionErrors.create(
          'E_RELEASE_EXISTS',
          `release ${release.id} exists with other contents`,
          { details: { releaseId: release.id } },
        );
      }
      await u.putRelease(release);
      u.emit('release:created', { releaseId: release.id, name: release.name, at: u.now });
      return release;
    });
  }

  async getRelease(id: string): Promise<Release | undefined> {
    this.#ready('getRelease');
    return (
      await this.#core.store
        .collection<ReleaseDoc>(COLLECTIONS.releases)
        .get(text(id, 'release id'))
    )?.value;
  }

  async #mustRelease(id: string): Promise<Release> {
    const r = await this.getRelease(id);
    if (r === undefined)
      throw promotionErrors.create('E_UNKNOWN_RELEASE', `no release "${id}"`, {
        details: { releaseId: id },
      });
    return r;
  }

  /**
   * Rejects (quarantines) a release: it can never be promoted again nor be a rollback target;
   * its promotions that have not started deploying are rejected.
   */
  async rejectRelease(
    id: string,
    input: { principal?: Principal; reason: string },
  ): Promise<Release> {
    this.#ready('rejectRelease');
    const principal = principalOf(input?.principal);
    const reason = text(input?.reason, 'reason');
    await this.#mustRelease(id);
    await this.#authorize(principal, 'release:reject', { releaseId: id });
    const pending = await this.#core.store
      .collection<PromotionDoc>(COLLECTIONS.promotions)
      .find('byRelease', { eq: id, limit: 10_000 });
    return this.#unit(async (u) => {
      const r = (await u.release(id)) as Release;
      if (r.status === 'rejected') return r;
      const out: Release = {
        ...r,
        status: 'rejected',
        rejection: { reason, by: principal.id, at: u.now },
      };
      await u.putRelease(out);
      u.emit('release:rejected', { releaseId: id, reason, by: principal.id, at: u.now });
      for (const e of pending.items) {
        const d = await u.promotion(e.key);
        if (d === undefined || !['requested', 'awaiting_approval', 'gating'].includes(d.state))
          continue;
        if (d.lease !== undefined && d.lease.until > u.now && d.state === 'gating') continue; // the driver sees the rejection
        await u.finish(
          d,
          'rejected',
          { reason: `release rejected: ${reason}` },
          { actor: principal.id },
        );
      }
      return out;
    });
  }

  // ── requests, decisions, holds (internal/requests.ts, decisions.ts, stage-flags.ts) ──

  request(input: RequestInput): Promise<Promotion> {
    return request(this.#ops, input);
  }

  requestMany(input: {
    pipeline: string;
    stage: string;
    releaseIds: readonly string[];
    principal?: Principal;
    idempotencyKey?: string;
  }): Promise<Promotion[]> {
    return requestMany(this.#ops, input);
  }

  rollback(input: RollbackInput): Promise<Promotion> {
    return rollback(this.#ops, input);
  }

  reverify(input: {
    pipeline: string;
    stage: string;
    releaseName?: string;
    principal?: Principal;
    idempotencyKey?: string;
  }): Promise<Promotion> {
    return reverify(this.#ops, input);
  }

  approve(id: string, input: { principal: Principal; comment?: string }): Promise<Promotion> {
    return approve(this.#ops, id, input);
  }

  reject(id: string, input: { principal: Principal; reason: string }): Promise<Promotion> {
    return reject(this.#ops, id, input);
  }

  cancel(id: string, input: { principal?: Principal; reason?: string } = {}): Promise<Promotion> {
    return cancel(this.#ops, id, input);
  }

  hold(input: {
    pipeline: string;
    stage: string;
    reason: string;
    principal?: Principal;
  }): Promise<StageView> {
    return hold(this.#ops, input);
  }

  releaseHold(input: {
    pipeline: string;
    stage: string;
    principal?: Principal;
  }): Promise<StageView> {
    return releaseHold(this.#ops, input);
  }

  pin(input: {
    pipeline: string;
    stage: string;
    reason: string;
    principal?: Principal;
  }): Promise<StageView> {
    return pin(this.#ops, input);
  }

  unpin(input: { pipeline: string; stage: string; principal?: Principal }): Promise<StageView> {
    return unpin(this.#ops, input);
  }

  // ── visibility ────────────────────────────────────────────────────────────────────────────

  async getPromotion(id: string): Promise<Promotion | undefined> {
    this.#ready('getPromotion');
    const d = (
      await this.#core.store
        .collection<PromotionDoc>(COLLECTIONS.promotions)
        .get(text(id, 'promotion id'))
    )?.value;
    return d === undefined ? undefined : toPromotion(d);
  }

  /** Promotions of a stage, oldest first. */
  async promotions(input: {
    pipeline: string;
    stage: string;
    limit?: number;
    cursor?: string;
    reverse?: boolean;
  }): Promise<Page<Promotion>> {
    this.#ready('promotions');
    if (typeof input !== 'object' || input === null) {
      throw promotionErrors.create('E_INVALID_ARGUMENT', 'promotions() takes { pipeline, stage }');
    }
    stageOf(this.#core, input.pipeline, input.stage);
    const page = await this.#core.store
      .collection<PromotionDoc>(COLLECTIONS.promotions)
      .find('byStage', {
        eq: stageKey(input.pipeline, input.stage),
        limit: input.limit ?? 100,
        ...(input.cursor !== undefined && { cursor: input.cursor }),
        ...(input.reverse !== undefined && { reverse: input.reverse }),
      });
    return { items: page.items.map((e) => toPromotion(e.value)), cursor: page.cursor };
  }

  /** What a stage holds now, its active and queued promotions, hold and pin. */
  async stage(pipeline: string, stage: string): Promise<StageView> {
    this.#ready('stage');
    stageOf(this.#core, pipeline, stage);
    return stageView(this.#core.store, pipeline, stage);
  }

  /** Every stage of a pipeline, in pipeline order. */
  async contents(pipeline: string): Promise<StageView[]> {
    this.#ready('contents');
    const p = pipelineOf(this.#core, pipeline);
    return Promise.all(p.order.map((s) => stageView(this.#core.store, pipeline, s)));
  }

  /** Artifact-level differences between two stages. */
  async diff(pipeline: string, left: string, right: string): Promise<StageDiffEntry[]> {
    this.#ready('diff');
    stageOf(this.#core, pipeline, left);
    stageOf(this.#core, pipeline, right);
    return diffStages(
      await stageView(this.#core.store, pipeline, left),
      await stageView(this.#core.store, pipeline, right),
    );
  }

  /** The stage's audit trail (every transition, approval, hold, rollback), oldest first. */
  async history(
    pipeline: string,
    stage: string,
    options: { limit?: number; cursor?: string; reverse?: boolean } = {},
  ): Promise<Page<HistoryEntry>> {
    this.#ready('history');
    stageOf(this.#core, pipeline, stage);
    return historyPage(this.#core.store, pipeline, stage, options);
  }

  /** The stages of a pipeline in topological order (roots first). */
  topologicalStages(pipeline: string): string[] {
    return [...pipelineOf(this.#core, pipeline).order];
  }

  /**
   * Dry run: walks a release through the pipeline on a copy of the current state under a
   * manual clock (soak, freezes and verification delays pass instantly), approving with the
   * listed or synthetic approvers and never calling deploy or rollback handlers. Gates run
   * for real unless `gates: 'pass'`. Reports each stage's outcome and the event timeline.
   */
  async simulate(input: SimulationInput): Promise<SimulationReport> {
    this.#ready('simulate');
    pipelineOf(this.#core, input?.pipeline);
    await this.#mustRelease(input.releaseId);
    for (const s of input.stages ?? []) stageOf(this.#core, input.pipeline, s);
    return runSimulation(
      {
        store: this.#core.store,
        now: this.#core.clock.now(),
        pipelines: this.pipelineDefinitions(),
        compatibility: this.#core.compatibility,
      },
      this.constructor as typeof PromotionEngine,
      input,
    );
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#resumeTimer?.cancel();
    this.#driver.stopTimers();
    this.#abort.abort(promotionErrors.create('E_INVALID_STATE', 'the engine is closing'));
    await this.#driver.idle();
  }
}
