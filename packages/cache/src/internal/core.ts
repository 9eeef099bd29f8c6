import { uuidv7, type Clock, type Logger, type TimerHandle, type TypedEmitter } from '@plinth/core';
import type { InvalidationBus } from '../bus/bus.js';
import { cacheErrors } from '../errors.js';
import type { CacheEvents } from '../events.js';
import { createPolicy } from '../l1/create-policy.js';
import { LruPolicy } from '../l1/lru.js';
import type { L1Policy } from '../l1/policy.js';
import type { ResolvedEntryOptions, resolveCacheOptions } from '../options.js';
import type { CacheStats, Serializer } from '../types.js';
import { L1Entry, LATER } from './entry.js';
import { decodeEnvelope, encodeEnvelope, Kind, toBytes, type EntryMeta } from './envelope.js';
import { onBusMessage, publish } from './invalidation.js';
import { TAG_PREFIX } from './keys.js';
import { getMany, publicKey } from './l2-ops.js';
import { L2Guard } from './l2-guard.js';
import { Telemetry } from './telemetry.js';

type Resolved = ReturnType<typeof resolveCacheOptions>;
const EMPTY = new Uint8Array(0);
const fromUtf8 = new TextDecoder();

/** The state one cache and its namespace views share: tiers, bus, marks, counters, clock. */
export class CacheCore {
  readonly o: Resolved;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly serializer: Serializer;
  readonly prefix: string;
  readonly l1: L1Policy<L1Entry> | undefined;
  /** What the hit path calls (the policy; typed narrowly so the call site stays simple). */
  readonly lookup: { get(key: string): L1Entry | undefined };
  readonly guard: L2Guard | undefined;
  readonly bus: InvalidationBus | undefined;
  readonly origin = uuidv7();
  /** tag → time of its last invalidation (entries created at or before it are invalid). */
  readonly tagMarks = new Map<string, number>();
  /** Single flight: the load (L2 read + factory) running per local key. */
  readonly inflight = new Map<string, Promise<L1Entry>>();
  /** Factories still running (e.g. after a soft timeout returned a stale value). */
  readonly refreshing = new Map<string, Promise<L1Entry>>();
  /** L1 hits: a field of its own, so a hit is one integer increment on an object in hand. */
  l1Hits = 0;
  readonly counters = {
    l2Hits: 0,
    staleHits: 0,
    misses: 0,
    writes: 0,
    deletes: 0,
    evictions: 0,
    factoryCalls: 0,
    factoryErrors: 0,
    busPublished: 0,
    busReceived: 0,
  };
  readonly telemetry: Telemetry;
  readonly weighted: boolean;
  readonly emitter: TypedEmitter<CacheEvents>;
  closed = false;
  /** Counts async reads; every 1024th is timed (L1 latency, see timedL1Get). */
  sampleTick = 0;
  /** Listeners registered through `subscribe()` (they see every event). */
  everyEvent = 0;
  /** Origin of the entries' small-integer deadlines. */
  readonly base: number;
  #cachedNow = 0;
  #cachedRel = 0;
  /**
   * The hit path's one freshness compare: an entry with `deadline > hitRel` is fresh. It is the
   * cached clock reading (relative to `base`) while one is cached and the cache is open, and
   * +Infinity otherwise, which sends every read to the exact check (`fresh`, `closed`).
   */
  hitRel = Infinity;
  #nowTimer: TimerHandle | undefined;
  readonly #resolution: number;
  #connecting: Promise<void> | undefined;

  constructor(o: Resolved, emitter: TypedEmitter<CacheEvents>) {
    this.o = o;
    this.emitter = emitter;
    this.clock = o.clock;
    this.logger = o.logger.child({ component: '@plinth/cache', cache: o.name });
    this.serializer = o.serializer;
    this.prefix = o.prefix;
    this.#resolution = o.timeResolution;
    this.base = Math.floor(o.clock.now());
    this.weighted = o.l1.maxBytes !== undefined;
    const l1 = o.l1;
    this.l1 = createPolicy<L1Entry>({
      policy: l1.policy ?? 'w-tinylfu',
      capacity: l1.maxBytes ?? l1.maxEntries ?? 10_000,
      weighted: this.weighted,
      random: o.random,
      ...(this.weighted && { expectedEntries: Math.max(1024, (l1.maxBytes ?? 0) / 512) }),
      onEvict: (key) => {
        this.counters.evictions++;
        if (this.observes('l1:evicted')) {
          this.emitter.emit('l1:evicted', { key: publicKey(key), reason: 'capacity' });
        }
      },
    });
    // LRU: the hit path calls lru-cache itself (the policy's get only forwards to it).
    this.lookup = this.l1 instanceof LruPolicy ? this.l1.lookup : this.l1;
    this.guard =
      o.l2 === undefined
        ? undefined
        : new L2Guard(o.l2, this.clock, this.logger, o.l2RetryAfter, {
            onDown: (error, operation, retryAt) =>
              this.emitter.emit('l2:down', { error, operation, retryAt }),
            onUp: (downMs) => this.emitter.emit('l2:up', { downMs }),
            onLatency: (operation, ms, ok) => this.telemetry.record('l2', operation, ms, ok),
          });
    this.bus = o.bus;
    this.telemetry = new Telemetry(o.name, () => this.stats());
  }

  /** Epoch ms, read from the clock at most once per `timeResolution` ms (lru-cache's trick). */
  now(): number {
    const n = this.#cachedNow;
    return n !== 0 ? n : this.#tick();
  }

  /**
   * Whether anyone listens to `cache:hit`, for the hit path (no payload is built otherwise).
   * Reads eventemitter3's listener table directly: `listenerCount()` is a call the hit path
   * cannot afford. `everyEvent` counts `subscribe()` listeners, which bypass that table.
   */
  observesHits(): boolean {
    return (
      (this.emitter as unknown as { _events: Record<string, unknown> })._events['cache:hit'] !==
        undefined || this.everyEvent !== 0
    );
  }

  /** An L1 read timed into the latency histogram (tier l1). */
  timedL1Get(lk: string): L1Entry | undefined {
    const start = performance.now();
    const e = this.l1?.get(lk);
    this.telemetry.record('l1', 'get', performance.now() - start, true);
    return e;
  }

  /** Whether an event has listeners (of its own, or `subscribe()` ones). */
  observes(name: keyof CacheEvents): boolean {
    return this.everyEvent !== 0 || this.emitter.listenerCount(name) > 0;
  }

  /**
   * Whether `e` is still fresh (expiry only; tags are checked apart). The common case compares
   * two small integers; entries near their deadline, or beyond the integer window, compare the
   * exact epoch-ms times.
   */
  fresh(e: L1Entry): boolean {
    const d = e.deadline;
    const rel = this.#cachedNow !== 0 ? this.#cachedRel : this.#tick() - this.base;
    if (d > rel) return d !== LATER || e.expiresAt > this.now();
    return e.expiresAt > this.now();
  }

  #tick(): number {
    const t = this.clock.now();
    if (this.#resolution > 0 && !this.closed) {
      this.#cachedNow = t;
      this.#cachedRel = t - this.base;
      // Entries clamped to LATER expire after base + LATER, so `LATER > rel` proves them fresh.
      this.hitRel = this.#cachedRel;
      this.#nowTimer = this.clock.setTimeout(() => {
        this.#cachedNow = 0;
        this.hitRel = Infinity;
      }, this.#resolution);
    }
    return t;
  }

  /** True when a tag of `e` was invalidated at or after the entry was created. */
  tagInvalid(e: L1Entry): boolean {
    const tags = e.tags as readonly string[];
    for (let i = 0; i < tags.length; i++) {
      const mark = this.tagMarks.get(tags[i] as string);
      if (mark !== undefined && e.createdAt <= mark) return true;
    }
    return false;
  }

  /** Fresh, valid entry (expiry and tags); drops invalid ones from L1. */
  usable(lk: string, e: L1Entry, now: number): boolean {
    if (e.tags !== undefined && this.tagInvalid(e)) {
      this.l1?.delete(lk);
      return false;
    }
    return e.expiresAt > now;
  }

  connect(): Promise<void> {
    this.#connecting ??= this.#connect().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    await this.telemetry.ready;
    const guard = this.guard;
    if (guard !== undefined) {
      try {
        await guard.adapter.connect();
      } catch (error) {
        if (!this.o.startDegraded) {
          throw cacheErrors.create(
            'E_L2_UNAVAILABLE',
            `cannot connect to L2 "${guard.adapter.name}": ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
              details: { adapter: guard.adapter.name },
            },
          );
        }
        guard.markDown(error, 'connect');
      }
    }
    const bus = this.bus;
    if (bus !== undefined) {
      try {
        await bus.subscribe((m) => onBusMessage(this, m));
      } catch (error) {
        if (!this.o.startDegraded) {
          throw cacheErrors.create(
            'E_L2_UNAVAILABLE',
            `cannot subscribe to bus "${bus.name}": ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
              details: { bus: bus.name },
            },
          );
        }
        this.logger.warn(
          { err: error, bus: bus.name },
          'bus unavailable: other instances will not be told',
        );
        this.emitter.emit('bus:error', { error, operation: 'subscribe' });
      }
    }
  }

  putL1(lk: string, entry: L1Entry, bytes: number): void {
    const l1 = this.l1;
    if (l1 === undefined) return;
    const max = this.o.l1.maxEntryBytes;
    if (max !== undefined && bytes > max) {
      l1.delete(lk);
      return;
    }
    l1.set(lk, entry, this.weighted ? bytes + lk.length : 1);
  }

  /** Writes an entry to L1, then L2, then tells the other instances to drop their copies. */
  async write(
    lk: string,
    ns: string,
    value: unknown,
    kind: Kind,
    o: ResolvedEntryOptions,
    failure?: EntryMeta['failure'],
  ): Promise<L1Entry> {
    const payload = kind === Kind.Value ? toBytes(this.serializer.serialize(value)) : EMPTY;
    const now = this.clock.now();
    let ttl = kind === Kind.Value ? o.ttl : o.negativeTtl;
    if (o.ttlJitter > 0 && ttl !== Infinity) ttl = ttl * (1 - o.ttlJitter * this.o.random());
    const expiresAt = now + ttl;
    const staleUntil = kind === Kind.Value ? expiresAt + o.grace : expiresAt;
    let createdAt = now;
    const tags = o.tags;
    if (tags !== undefined) {
      for (const t of tags) {
        const mark = this.tagMarks.get(t);
        if (mark !== undefined && createdAt <= mark) createdAt = mark + 1;
      }
    }
    const entry = new L1Entry(
      this.base,
      ns,
      kind,
      kind === Kind.Value ? value : undefined,
      createdAt,
      expiresAt,
      staleUntil,
      tags,
      failure,
    );
    if (this.closed) return entry; // a factory that finished after close(): nothing is stored
    this.putL1(lk, entry, payload.length);
    const guard = this.guard;
    if (guard !== undefined) {
      const envelope = await encodeEnvelope(entry, payload, this.o.compression);
      const physical =
        staleUntil === Infinity ? undefined : Math.max(1, Math.ceil(staleUntil - now));
      await guard.run(
        'set',
        (a) => a.set(this.prefix + lk, envelope, physical),
        undefined,
        o.throwOnL2Error,
      );
    }
    this.counters.writes++;
    await publish(this, { type: 'delete', origin: this.origin, keys: [lk] }, o.throwOnL2Error);
    return entry;
  }

  /** Reads and decodes one L2 entry (tags checked), filling L1 with its remaining lifetime. */
  async readL2(lk: string, ns: string, throwOnError: boolean): Promise<L1Entry | undefined> {
    const guard = this.guard;
    if (guard === undefined) return undefined;
    const raw = await guard.run('get', (a) => a.get(this.prefix + lk), undefined, throwOnError);
    return raw === undefined ? undefined : this.fromL2(lk, ns, raw, throwOnError);
  }

  async fromL2(
    lk: string,
    ns: string,
    raw: Uint8Array,
    throwOnError: boolean,
  ): Promise<L1Entry | undefined> {
    let entry: L1Entry;
    try {
      const { meta, payload } = await decodeEnvelope(raw);
      const value = meta.kind === Kind.Value ? this.serializer.deserialize(payload) : undefined;
      entry = new L1Entry(
        this.base,
        ns,
        meta.kind,
        value,
        meta.createdAt,
        meta.expiresAt,
        meta.staleUntil,
        meta.tags,
        meta.failure,
      );
    } catch (error) {
      this.logger.warn(
        { err: error, key: publicKey(lk) },
        'unreadable L2 entry: treated as a miss',
      );
      if (throwOnError)
        throw cacheErrors.is(error)
          ? error
          : cacheErrors.create(
              'E_DESERIALIZE',
              `L2 entry of "${publicKey(lk)}" cannot be decoded`,
              { cause: error },
            );
      return undefined;
    }
    if (entry.tags !== undefined) {
      await this.loadTagMarks(entry.tags, throwOnError);
      if (this.tagInvalid(entry)) return undefined;
    }
    if (entry.staleUntil > this.clock.now()) this.putL1(lk, entry, raw.length);
    return entry;
  }

  /** Refreshes the local marks of `tags` from L2 (an instance may have missed a bus message). */
  async loadTagMarks(tags: readonly string[], throwOnError: boolean): Promise<void> {
    const guard = this.guard;
    if (guard === undefined) return;
    const keys = tags.map((t) => this.prefix + TAG_PREFIX + t);
    const values = await guard.run('get', (a) => getMany(a, keys), [], throwOnError);
    values.forEach((v, i) => {
      if (v !== undefined) this.mark(tags[i] as string, Number(fromUtf8.decode(v)));
    });
  }

  mark(tag: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const prev = this.tagMarks.get(tag);
    if (prev === undefined || at > prev) this.tagMarks.set(tag, at);
  }

  stats(): CacheStats {
    const c = this.counters;
    const l1Hits = this.l1Hits;
    const reads = l1Hits + c.l2Hits + c.staleHits + c.misses;
    return {
      l1Hits,
      ...c,
      hitRate: reads === 0 ? 0 : (l1Hits + c.l2Hits + c.staleHits) / reads,
      l2Errors: this.guard?.errors ?? 0,
      l2Available: this.guard === undefined || !this.guard.down,
      l1Entries: this.l1?.size ?? 0,
      l1Weight: this.l1?.weight ?? 0,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.#nowTimer?.cancel();
    this.#cachedNow = 0;
    this.hitRel = Infinity;
    this.telemetry.close();
    // Running factories are not awaited (one may never settle); their results are dropped.
    const errors: unknown[] = [];
    for (const c of [this.bus, this.guard?.adapter]) {
      try {
        await c?.close();
      } catch (error) {
        errors.push(error);
      }
    }
    this.l1?.clear();
    if (errors.length > 0) this.logger.warn({ err: errors[0] }, 'closing L2/bus failed');
  }
}
