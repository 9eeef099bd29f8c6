import {
  Lifecycle,
  TypedEmitter,
  canonicalJson,
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
import { admit, heldReleases, type Admission } from './internal/admission.js';
import { currentLevel } from './internal/approvals.js';
import {
  COLLECTION_DEFINITIONS,
  COLLECTIONS,
  stageKey,
  TERMINAL,
  type PromotionDoc,
  type StageDoc,
  type ReleaseDoc,
} from './internal/collections.js';
import { pipelineOf, stageOf, type EngineCore } from './internal/core.js';
import { Driver } from './internal/driver.js';
import { resolvePipeline, type ResolvedPipeline } from './internal/pipeline.js';
import { buildRelease } from './internal/releases.js';
import { overlay, topologicalOrder, unmetDependencies } from './internal/rules.js';
import { Telemetry, defaultMeter } from './internal/telemetry.js';
import { inUnit, type Unit } from './internal/unit.js';
import { diffStages, historyPage, stageView, toPromotion } from './internal/views.js';
import { runSimulation, type SimulationInput, type SimulationReport } from './simulate.js';

const SYSTEM: Principal = Object.freeze({ id: 'plinth:auto' });
const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous' });

function principalOf(p: Principal | undefined): Principal {
  if (p === undefined) return ANONYMOUS;
  if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || p.id.length === 0) {
    throw promotionErrors.create('E_INVALID_ARGUMENT', 'a principal needs a non-empty string id');
  }
  return p;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw promotionErrors.create('E_INVALID_ARGUMENT', `${what} must be a non-empty string`, {
      details: { argument: what },
    });
  }
  return value;
}

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
    if (this.#core.pipelines.has(def?.name)) {
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
        this.#driver.track(this.#autoPromote(d));
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

  // ── requests ──────────────────────────────────────────────────────────────────────────────

  async #idempotent(
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

  #checkFrom(p: ResolvedPipeline, stage: string, from: string | undefined): void {
    if (from === undefined) return;
    if (!p.stages.has(from)) stageOf(this.#core, p.name, from);
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
  async request(input: RequestInput): Promise<Promotion> {
    this.#ready('request');
    const p = pipelineOf(this.#core, input?.pipeline);
    const def = stageOf(this.#core, p.name, input.stage);
    this.#checkFrom(p, input.stage, input.from);
    const release = await this.#mustRelease(input.releaseId);
    const principal = principalOf(input.principal);
    await this.#authorize(principal, 'promotion:request', {
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
    const docs = await this.#unit(async (u) => {
      const again = await this.#idempotent(u, input.idempotencyKey, fingerprint);
      if (again !== undefined) return again;
      const doc = await admit(this.#core, u, {
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
  async requestMany(input: {
    pipeline: string;
    stage: string;
    releaseIds: readonly string[];
    principal?: Principal;
    idempotencyKey?: string;
  }): Promise<Promotion[]> {
    this.#ready('requestMany');
    const p = pipelineOf(this.#core, input?.pipeline);
    stageOf(this.#core, p.name, input.stage);
    if (!Array.isArray(input.releaseIds) || input.releaseIds.length === 0) {
      throw promotionErrors.create(
        'E_INVALID_ARGUMENT',
        'requestMany needs at least one release id',
      );
    }
    const releases = await Promise.all(input.releaseIds.map((id) => this.#mustRelease(id)));
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
      await this.#authorize(principal, 'promotion:request', {
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
    const docs = await this.#unit(async (u) => {
      const again = await this.#idempotent(u, input.idempotencyKey, fingerprint);
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
        out.push(await admit(this.#core, u, a));
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
  async rollback(input: RollbackInput): Promise<Promotion> {
    this.#ready('rollback');
    const p = pipelineOf(this.#core, input?.pipeline);
    stageOf(this.#core, p.name, input.stage);
    const principal = principalOf(input.principal);
    await this.#authorize(principal, 'promotion:rollback', {
      pipeline: p.name,
      stage: input.stage,
    });
    const fastPath = input.fastPath ?? true;
    const doc = await this.#unit(async (u) => {
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
      const again = await this.#idempotent(u, input.idempotencyKey, fingerprint);
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
      const created = await admit(this.#core, u, {
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
  async reverify(input: {
    pipeline: string;
    stage: string;
    releaseName?: string;
    principal?: Principal;
    idempotencyKey?: string;
  }): Promise<Promotion> {
    this.#ready('reverify');
    const p = pipelineOf(this.#core, input?.pipeline);
    const def = stageOf(this.#core, p.name, input.stage);
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
    await this.#authorize(principal, 'promotion:request', { pipeline: p.name, stage: input.stage });
    const doc = await this.#unit(async (u) => {
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
      const again = await this.#idempotent(u, input.idempotencyKey, fingerprint);
      if (again !== undefined) return again[0] as PromotionDoc;
      const release = (await u.release(slot.releaseId)) as Release;
      const created = await admit(this.#core, u, {
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

  // ── approvals ─────────────────────────────────────────────────────────────────────────────

  async #decisionChecks(
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
  async approve(id: string, input: { principal: Principal; comment?: string }): Promise<Promotion> {
    this.#ready('approve');
    const principal = principalOf(input?.principal);
    const pre = await this.getPromotion(text(id, 'promotion id'));
    if (pre === undefined)
      throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
        details: { promotionId: id },
      });
    const def = stageOf(this.#core, pre.pipeline, pre.stage);
    const level = currentLevel(def.approvals, pre.approvals);
    if (level !== undefined && pre.state === 'awaiting_approval') {
      if (level.approvers !== undefined && !level.approvers.includes(principal.id)) {
        throw promotionErrors.create(
          'E_NOT_APPROVER',
          `${principal.id} is not an approver of level "${level.name}"`,
          { details: { promotionId: id, level: level.name } },
        );
      }
      await this.#authorize(principal, 'promotion:approve', {
        pipeline: pre.pipeline,
        stage: pre.stage,
        promotionId: id,
        releaseId: pre.releaseId,
        level: level.name,
        ...(level.role !== undefined && { role: level.role }),
      });
    }
    const doc = await this.#unit(async (u) => {
      const d = await this.#decisionChecks(u, id, principal, 'approve');
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
  async reject(id: string, input: { principal: Principal; reason: string }): Promise<Promotion> {
    this.#ready('reject');
    const principal = principalOf(input?.principal);
    const reason = text(input?.reason, 'reason');
    const pre = await this.getPromotion(text(id, 'promotion id'));
    if (pre === undefined)
      throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
        details: { promotionId: id },
      });
    const def = stageOf(this.#core, pre.pipeline, pre.stage);
    const level = currentLevel(def.approvals, pre.approvals);
    if (level?.approvers !== undefined && !level.approvers.includes(principal.id)) {
      throw promotionErrors.create(
        'E_NOT_APPROVER',
        `${principal.id} is not an approver of level "${level.name}"`,
        { details: { promotionId: id, level: level.name } },
      );
    }
    await this.#authorize(principal, 'promotion:reject', {
      pipeline: pre.pipeline,
      stage: pre.stage,
      promotionId: id,
      ...(level !== undefined && { level: level.name }),
    });
    const doc = await this.#unit(async (u) => {
      const d = await this.#decisionChecks(u, id, principal, 'reject');
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
  async cancel(
    id: string,
    input: { principal?: Principal; reason?: string } = {},
  ): Promise<Promotion> {
    this.#ready('cancel');
    const principal = principalOf(input.principal);
    const pre = await this.getPromotion(text(id, 'promotion id'));
    if (pre === undefined)
      throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
        details: { promotionId: id },
      });
    await this.#authorize(principal, 'promotion:cancel', {
      pipeline: pre.pipeline,
      stage: pre.stage,
      promotionId: id,
    });
    const doc = await this.#unit(async (u) => {
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

  // ── holds and pins ────────────────────────────────────────────────────────────────────────

  async #stageFlag(
    op: 'hold' | 'unhold' | 'pin' | 'unpin',
    input: { pipeline: string; stage: string; reason?: string; principal?: Principal },
  ): Promise<StageView> {
    this.#ready(op);
    const p = pipelineOf(this.#core, input?.pipeline);
    stageOf(this.#core, p.name, input.stage);
    const principal = principalOf(input.principal);
    await this.#authorize(principal, op.includes('pin') ? 'stage:pin' : 'stage:hold', {
      pipeline: p.name,
      stage: input.stage,
    });
    const reason = op === 'hold' || op === 'pin' ? text(input.reason, 'reason') : '';
    await this.#unit(async (u) => {
      const s = await u.stage(p.name, input.stage);
      const flag = { reason, by: principal.id, at: u.now };
      const { hold: _h, pin: _p, ...rest } = s;
      const next: StageDoc =
        op === 'hold'
          ? { ...s, hold: flag }
          : op === 'pin'
            ? { ...s, pin: flag }
            : op === 'unhold'
              ? { ...rest, ...(s.pin && { pin: s.pin }) }
              : { ...rest, ...(s.hold && { hold: s.hold }) };
      await u.putStage(next);
      await u.history(
        p.name,
        input.stage,
        `stage:${op}`,
        principal.id,
        reason ? { details: { reason } } : {},
      );
      if (op === 'hold')
        u.emit('stage:held', { pipeline: p.name, stage: input.stage, reason, at: u.now });
      else if (op === 'pin')
        u.emit('stage:pinned', { pipeline: p.name, stage: input.stage, reason, at: u.now });
      else if (op === 'unhold')
        u.emit('stage:released', { pipeline: p.name, stage: input.stage, at: u.now });
      else u.emit('stage:unpinned', { pipeline: p.name, stage: input.stage, at: u.now });
    });
    return this.stage(p.name, input.stage);
  }

  /** Stops auto-promotion into the stage (manual promotions still run). */
  hold(input: {
    pipeline: string;
    stage: string;
    reason: string;
    principal?: Principal;
  }): Promise<StageView> {
    return this.#stageFlag('hold', input);
  }

  /** Lets auto-promotion into the stage resume. */
  releaseHold(input: {
    pipeline: string;
    stage: string;
    principal?: Principal;
  }): Promise<StageView> {
    return this.#stageFlag('unhold', input);
  }

  /** Pins the stage to what it holds: every request but a rollback is refused. */
  pin(input: {
    pipeline: string;
    stage: string;
    reason: string;
    principal?: Principal;
  }): Promise<StageView> {
    return this.#stageFlag('pin', input);
  }

  unpin(input: { pipeline: string; stage: string; principal?: Principal }): Promise<StageView> {
    return this.#stageFlag('unpin', input);
  }

  // ── auto-promotion ────────────────────────────────────────────────────────────────────────

  async #autoPromote(done: PromotionDoc): Promise<void> {
    const p = this.#core.pipelines.get(done.pipeline);
    if (p === undefined || this.#abort.signal.aborted) return;
    for (const next of p.downstream.get(done.stage) ?? []) {
      const def = p.stages.get(next);
      if (def?.autoPromote !== true) continue;
      const stage = (
        await this.#core.store.collection<StageDoc>(COLLECTIONS.stages).get(stageKey(p.name, next))
      )?.value;
      if (stage?.hold !== undefined || stage?.pin !== undefined) continue;
      const key = `auto/${p.name}/${next}/${done.releaseId}`;
      try {
        const release = await this.#mustRelease(done.releaseId);
        const fingerprint = canonicalJson({
          op: 'auto',
          pipeline: p.name,
          stage: next,
          releases: [release.id],
        });
        await this.#unit(async (u) => {
          if ((await u.idempotency(key)) !== undefined) return;
          const s = await u.stage(p.name, next);
          if (s.hold !== undefined || s.pin !== undefined) return;
          const doc = await admit(this.#core, u, {
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
          this.#core.logger.info(
            { err: error, stage: next, releaseId: done.releaseId },
            'auto-promotion not requested',
          );
        } else throw error;
      }
    }
  }

  // ── visibility ────────────────────────────────────────────────────────────────────────────

  async getPromotion(id: string): Promise<Promotion | undefined> {
    this.#ready('getPromotion');
    const d = (await this.#core.store.collection<PromotionDoc>(COLLECTIONS.promotions).get(id))
      ?.value;
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
    stageOf(this.#core, input?.pipeline, input.stage);
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
