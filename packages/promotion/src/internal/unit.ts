import { isPlinthError, uuidv7, type Clock } from '@plinth/core';

const CALLER_MISTAKES = ['E_INVALID_KEY', 'E_INVALID_VALUE', 'E_LIMIT_EXCEEDED'];
import type { Collection, Store, Transaction } from '@plinth/storage';
import { promotionErrors } from '../errors.js';
import type { PromotionEvents } from '../events.js';
import type { PromotionState, Release } from '../types.js';
import {
  COLLECTIONS,
  emptyStage,
  occupancyKey,
  stageKey,
  TERMINAL,
  type IdempotencyDoc,
  type OccupancyDoc,
  type PromotionDoc,
  type StageDoc,
} from './collections.js';

export type PendingEvent = {
  [K in keyof PromotionEvents]: { name: K; payload: PromotionEvents[K] };
}[keyof PromotionEvents];

/**
 * One unit of work: a storage transaction over the engine's collections that collects the
 * events it will announce and the promotions to drive once it has committed. Reads inside it
 * are verified at commit (optimistic serializable), so every transition is a compare-and-set.
 */
export class Unit {
  readonly events: PendingEvent[] = [];
  /** Promotions that became the active one of their stage. */
  readonly toDrive: string[] = [];
  /** Stage states written, for post-commit hooks (auto-promotion). */
  readonly succeeded: PromotionDoc[] = [];
  readonly finished: PromotionDoc[] = [];
  /** Parked promotions and when they wake up (timers armed after commit). */
  readonly wakes: Array<readonly [string, number]> = [];
  readonly now: number;
  readonly #tx: Transaction;
  /** When set, promotions this unit hands the stage to are leased to this instance at once. */
  readonly #owner: { readonly id: string; readonly leaseMs: number } | undefined;

  constructor(tx: Transaction, clock: Clock, owner?: { id: string; leaseMs: number }) {
    this.#tx = tx;
    this.now = clock.now();
    this.#owner = owner;
  }

  /** `doc` leased to this instance (when the unit has an owner), to be driven after commit. */
  lease(doc: PromotionDoc): PromotionDoc {
    if (this.#owner === undefined) return doc;
    const { wakeAt: _w, ...rest } = doc;
    return {
      ...rest,
      lease: { owner: this.#owner.id, until: this.now + this.#owner.leaseMs },
    } as PromotionDoc;
  }

  #c<T extends object>(name: string): Collection<T & { readonly [k: string]: unknown }> {
    return this.#tx.collection(name);
  }

  async promotion(id: string): Promise<PromotionDoc | undefined> {
    return (await this.#c<PromotionDoc>(COLLECTIONS.promotions).get(id))?.value;
  }

  async mustPromotion(id: string): Promise<PromotionDoc> {
    const doc = await this.promotion(id);
    if (doc === undefined) {
      throw promotionErrors.create('E_UNKNOWN_PROMOTION', `no promotion "${id}"`, {
        details: { promotionId: id },
      });
    }
    return doc;
  }

  async putPromotion(doc: PromotionDoc): Promise<void> {
    await this.#c<PromotionDoc>(COLLECTIONS.promotions).put(doc.id, doc);
  }

  async stage(pipeline: string, stage: string): Promise<StageDoc> {
    return (
      (await this.#c<StageDoc>(COLLECTIONS.stages).get(stageKey(pipeline, stage)))?.value ??
      emptyStage(pipeline, stage)
    );
  }

  async putStage(doc: StageDoc): Promise<void> {
    await this.#c<StageDoc>(COLLECTIONS.stages).put(stageKey(doc.pipeline, doc.stage), doc);
  }

  async release(id: string): Promise<Release | undefined> {
    return (await this.#c<Release>(COLLECTIONS.releases).get(id))?.value;
  }

  async putRelease(r: Release): Promise<void> {
    await this.#c<Release>(COLLECTIONS.releases).put(r.id, r as Release & { [k: string]: unknown });
  }

  async occupancy(
    pipeline: string,
    stage: string,
    releaseId: string,
  ): Promise<OccupancyDoc | undefined> {
    return (
      await this.#c<OccupancyDoc>(COLLECTIONS.occupancy).get(
        occupancyKey(pipeline, stage, releaseId),
      )
    )?.value;
  }

  async putOccupancy(doc: OccupancyDoc): Promise<void> {
    await this.#c<OccupancyDoc>(COLLECTIONS.occupancy).put(
      occupancyKey(doc.pipeline, doc.stage, doc.releaseId),
      doc,
    );
  }

  async idempotency(key: string): Promise<IdempotencyDoc | undefined> {
    return (await this.#c<IdempotencyDoc>(COLLECTIONS.idempotency).get(key))?.value;
  }

  async putIdempotency(key: string, doc: IdempotencyDoc): Promise<void> {
    await this.#c<IdempotencyDoc>(COLLECTIONS.idempotency).put(key, doc);
  }

  /** Appends an audit entry to the stage's history. */
  async history(
    pipeline: string,
    stage: string,
    type: string,
    actor: string,
    fields: { promotionId?: string; releaseId?: string; details?: Record<string, unknown> } = {},
  ): Promise<void> {
    const key = stageKey(pipeline, stage);
    let batch = this.#history.get(key);
    if (batch === undefined) {
      batch = [];
      this.#history.set(key, batch);
    }
    batch.push({ id: uuidv7(), pipeline, stage, at: this.now, type, actor, ...fields });
  }

  readonly #history = new Map<string, Array<Record<string, unknown>>>();

  /**
   * Writes the unit's audit entries: one history record per stage and unit (a commit), holding
   * its entries in order — fewer writes per transition than one record per entry.
   */
  async flush(): Promise<void> {
    for (const [key, entries] of this.#history) {
      await this.#c(COLLECTIONS.history).put(`${key}/${entries[0]?.id as string}`, { entries });
    }
    this.#history.clear();
  }

  emit<K extends keyof PromotionEvents>(name: K, payload: PromotionEvents[K]): void {
    this.events.push({ name, payload } as PendingEvent);
  }

  base(doc: PromotionDoc) {
    return {
      promotionId: doc.id,
      pipeline: doc.pipeline,
      stage: doc.stage,
      releaseId: doc.releaseId,
      at: this.now,
    };
  }

  /**
   * Moves `doc` to `to` (with `patch`), writes it, records the transition in history and queues
   * its events. Terminal states also release the stage (see {@link Unit.finish}).
   */
  async transition(
    doc: PromotionDoc,
    to: PromotionState,
    patch: Partial<PromotionDoc> = {},
    actor = 'plinth',
  ): Promise<PromotionDoc> {
    const terminal = TERMINAL.has(to);
    const next: Record<string, unknown> = {
      ...doc,
      ...patch,
      state: to,
      updatedAt: this.now,
      transitions: [...doc.transitions, { state: to, at: this.now }],
    };
    if (terminal) next.finishedAt = this.now;
    const out = next as PromotionDoc;
    await this.putPromotion(out);
    await this.history(doc.pipeline, doc.stage, `promotion:${to}`, actor, {
      promotionId: doc.id,
      releaseId: doc.releaseId,
      ...(out.reason !== undefined && terminal && { details: { reason: out.reason } }),
    });
    this.emit('promotion:transition', { ...this.base(doc), from: doc.state, to });
    const base = this.base(doc);
    switch (to) {
      case 'awaiting_approval':
        this.emit('promotion:awaiting-approval', base);
        break;
      case 'gating':
        this.emit('promotion:gating', base);
        break;
      case 'promoting':
        this.emit('promotion:promoting', base);
        break;
      case 'verifying':
        this.emit('promotion:verifying', base);
        break;
      case 'succeeded':
        this.emit('promotion:succeeded', base);
        break;
      case 'failed':
        this.emit('promotion:failed', { ...base, reason: out.reason ?? 'failed' });
        break;
      case 'rejected':
        this.emit('promotion:rejected', { ...base, reason: out.reason ?? 'rejected' });
        break;
      case 'cancelled':
        this.emit('promotion:cancelled', { ...base, reason: out.reason ?? 'cancelled' });
        break;
      default:
        break;
    }
    return out;
  }

  /**
   * Ends a promotion: terminal state, no longer live, and the stage passes to the next queued
   * promotion (which is driven after commit). Queued members of the same coordinated group are
   * cancelled when this one did not succeed. `keepLive` keeps the stage locked (a rollback
   * handler still has to run).
   */
  async finish(
    doc: PromotionDoc,
    to: PromotionState,
    patch: Partial<PromotionDoc> = {},
    options: { actor?: string; keepLive?: boolean } = {},
  ): Promise<PromotionDoc> {
    const { live: _live, lease: _lease, wakeAt: _wake, ...rest } = doc;
    const base = (options.keepLive === true ? doc : rest) as PromotionDoc;
    const out = await this.transition(base, to, patch, options.actor);
    if (options.keepLive !== true) await this.releaseStage(out);
    if (to === 'succeeded') this.succeeded.push(out);
    this.finished.push(out);
    return out;
  }

  /** Removes a finished promotion from its stage's lock or queue; hands the lock on. */
  async releaseStage(doc: PromotionDoc): Promise<void> {
    const stage = await this.stage(doc.pipeline, doc.stage);
    let queue = stage.queue.filter((id) => id !== doc.id);
    let active = stage.active;
    const cancelGroup = doc.groupId !== undefined && doc.state !== 'succeeded';
    if (cancelGroup) {
      const keep: string[] = [];
      for (const id of queue) {
        const other = await this.promotion(id);
        if (other !== undefined && other.groupId === doc.groupId && !TERMINAL.has(other.state)) {
          const { live: _l, lease: _le, wakeAt: _w, ...rest } = other;
          await this.transition(rest as PromotionDoc, 'cancelled', {
            reason: `coordinated promotion stopped: ${doc.releaseName} ${doc.state}`,
          });
        } else keep.push(id);
      }
      queue = keep;
    }
    if (active === doc.id) {
      active = queue[0] ?? null;
      queue = queue.slice(1);
      if (active !== null) {
        this.toDrive.push(active);
        const next = await this.promotion(active);
        if (next !== undefined) {
          await this.putPromotion(this.lease(next));
          this.emit('promotion:started', this.base(next));
        }
      }
    }
    await this.putStage({ ...stage, active, queue });
  }
}

/** Runs `fn` in a transaction (retried on lost races); returns its result and the unit. */
export async function inUnit<T>(
  store: Store,
  clock: Clock,
  fn: (u: Unit) => Promise<T>,
  owner?: { id: string; leaseMs: number },
  attempts = 30,
): Promise<{ result: T; unit: Unit }> {
  let unit: Unit | undefined;
  let result: T;
  try {
    result = await store.transaction(
      async (tx) => {
        unit = new Unit(tx, clock, owner);
        const result = await fn(unit);
        await unit.flush();
        return result;
      },
      { retry: { attempts, baseDelayMs: 2, maxDelayMs: 100 } },
    );
  } catch (error) {
    // A key or value the store refuses came from the caller (an id, release metadata): their
    // mistake, answered in this package's catalogue. Nothing was written (the transaction rolled back).
    if (
      isPlinthError(error, CALLER_MISTAKES) &&
      (error as { package?: string }).package === '@plinth/storage'
    ) {
      throw promotionErrors.create(
        'E_INVALID_ARGUMENT',
        error.message.replace(/^\[[^\]]*\] /, ''),
        {
          details: { ...error.details, cause: error.code },
          cause: error,
        },
      );
    }
    throw error;
  }
  return { result, unit: unit as Unit };
}
