import type { CacheCore } from './internal/core.js';
import { clear, invalidateTags, remove } from './internal/invalidation.js';
import { TAGGED, type L1Entry } from './internal/entry.js';
import { Kind } from './internal/envelope.js';
import { checkKey, checkNamespace, checkTags, SEP } from './internal/keys.js';
import { load, unwrapEntry } from './internal/load.js';
import { cacheErrors } from './errors.js';
import { checkCallOptions, mergeEntryOptions } from './options.js';
import type { Factory, GetOptions, SetOptions } from './types.js';

/** One entry of {@link CacheNamespace.setMany}. */
export interface SetManyEntry {
  readonly key: string;
  readonly value: unknown;
  readonly options?: SetOptions;
}

/**
 * The cache API over one namespace (the root cache is the namespace ''). Keys of different
 * namespaces never collide; `clear()` drops this namespace and the namespaces inside it, on every
 * tier and (through the bus) on every instance.
 */
export class CacheNamespace {
  /** @internal */
  readonly core: CacheCore;
  /** The namespace path ('' at the root; 'users', 'users/admins' inside). */
  readonly path: string;
  /** Local-key prefix: '' at the root, else path segments joined and ended by SEP. */
  readonly #ns: string;

  /** @internal Use `cache.namespace(name)`. */
  constructor(core: CacheCore, ns: string, path: string) {
    this.core = core;
    this.#ns = ns;
    this.path = path;
  }

  /** A namespace inside this one. */
  namespace(name: string): CacheNamespace {
    checkNamespace(name);
    return new CacheNamespace(
      this.core,
      `${this.#ns}${name}${SEP}`,
      this.path === '' ? name : `${this.path}/${name}`,
    );
  }

  #lk(key: string): string {
    return this.#ns === '' ? key : this.#ns + key;
  }

  /**
   * L1 only, synchronous: the fresh value if this process holds it, else undefined (no L2 read).
   * The fastest read there is; use `get` when L2 should be consulted.
   */
  getSync<T = unknown>(key: string): T | undefined {
    const core = this.core;
    const ns = this.#ns;
    const e = core.lookup.get(ns === '' ? key : ns + key);
    if (e !== undefined) {
      // Common hit: one compare against the cached clock (Infinity when closed or uncached).
      if (e.deadline > core.hitRel && e.ns === ns && (e.flags & TAGGED) === 0) {
        core.l1Hits++;
        if (core.observesHits()) this.#hit(key, 'l1');
        return (e.flags & 3) === Kind.Value ? (e.value as T) : undefined;
      }
      if (
        e.ns === ns &&
        core.fresh(e) &&
        ((e.flags & TAGGED) === 0 || !core.tagInvalid(e)) &&
        !core.closed
      ) {
        core.l1Hits++;
        if (core.observesHits()) this.#hit(key, 'l1');
        return (e.flags & 3) === Kind.Value ? (e.value as T) : undefined;
      }
    }
    checkKey(key);
    this.#open('getSync');
    core.counters.misses++;
    return undefined;
  }

  /** The fresh value from L1, else L2 (filling L1 with the remaining TTL), else undefined. */
  get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    const core = this.core;
    // One read in 1024 is timed for the L1 latency histogram (a counter, not a clock read).
    const e =
      (++core.sampleTick & 1023) !== 0
        ? core.lookup.get(this.#ns === '' ? key : this.#ns + key)
        : core.timedL1Get(this.#ns === '' ? key : this.#ns + key);
    if (
      e !== undefined &&
      e.ns === this.#ns &&
      core.fresh(e) &&
      ((e.flags & TAGGED) === 0 || !core.tagInvalid(e)) &&
      !core.closed
    ) {
      core.l1Hits++;
      if (core.observesHits()) this.#hit(key, 'l1');
      return Promise.resolve((e.flags & 3) === Kind.Value ? (e.value as T) : undefined);
    }
    return this.#getSlow<T>(key, options);
  }

  async #getSlow<T>(key: string, options: GetOptions | undefined): Promise<T | undefined> {
    checkKey(key);
    this.#open('get');
    const core = this.core;
    const lk = this.#lk(key);
    const t = options?.throwOnL2Error ?? core.o.throwOnL2Error;
    const e = await core.readL2(lk, this.#ns, t);
    if (e !== undefined && e.expiresAt > core.clock.now()) {
      core.counters.l2Hits++;
      if (core.observes('cache:hit')) this.#hit(key, 'l2');
      return e.kind === Kind.Value ? (e.value as T) : undefined;
    }
    this.#miss(key);
    return undefined;
  }

  /** Whether a fresh entry exists (L1, else L2). Counts neither a hit nor a miss. */
  async has(key: string, options?: GetOptions): Promise<boolean> {
    checkKey(key);
    this.#open('has');
    const core = this.core;
    const lk = this.#lk(key);
    const now = core.clock.now();
    const e = core.l1?.peek(lk);
    if (e !== undefined && e.ns === this.#ns && core.usable(lk, e, now))
      return e.kind !== Kind.Failure;
    const l2 = await core.readL2(lk, this.#ns, options?.throwOnL2Error ?? core.o.throwOnL2Error);
    return l2 !== undefined && l2.expiresAt > core.clock.now() && l2.kind !== Kind.Failure;
  }

  /** Stores a value in L1 and L2 and tells the other instances to drop their copies. */
  async set(key: string, value: unknown, options?: SetOptions): Promise<void> {
    checkKey(key);
    this.#open('set');
    const call = checkCallOptions(options, 'set');
    if (call.tags !== undefined) checkTags(call.tags);
    if (value === undefined)
      throw cacheErrors.create(
        'E_NOT_SERIALIZABLE',
        `set("${key}") got undefined; use delete() to remove a key`,
      );
    const o = mergeEntryOptions(this.core.o, call);
    await this.core.write(this.#lk(key), this.#ns, value, Kind.Value, o);
    this.#written(key, o.ttl);
  }

  /**
   * The cached value, or the factory's (once per key at a time in this process, and across
   * instances with `lock`), stored for the next callers. See the README for grace, timeouts and
   * negative caching.
   */
  getOrSet<T>(key: string, factory: Factory<T>, options?: SetOptions): Promise<T> {
    const core = this.core;
    const e =
      (++core.sampleTick & 1023) !== 0
        ? core.lookup.get(this.#ns === '' ? key : this.#ns + key)
        : core.timedL1Get(this.#ns === '' ? key : this.#ns + key);
    if (
      e !== undefined &&
      e.ns === this.#ns &&
      (e.flags & 3) === Kind.Value &&
      core.fresh(e) &&
      ((e.flags & TAGGED) === 0 || !core.tagInvalid(e)) &&
      !core.closed
    ) {
      core.l1Hits++;
      if (core.observesHits()) this.#hit(key, 'l1');
      return Promise.resolve(e.value as T);
    }
    return this.#getOrSetSlow(key, factory, options);
  }

  async #getOrSetSlow<T>(
    key: string,
    factory: Factory<T>,
    options: SetOptions | undefined,
  ): Promise<T> {
    checkKey(key);
    this.#open('getOrSet');
    if (typeof factory !== 'function')
      throw cacheErrors.create('E_INVALID_ARGUMENT', `getOrSet("${key}") needs a factory function`);
    const call = checkCallOptions(options, 'getOrSet');
    if (call.tags !== undefined) checkTags(call.tags);
    const core = this.core;
    const o = mergeEntryOptions(core.o, call);
    const lk = this.#lk(key);
    const now = core.clock.now();
    const e = core.l1?.peek(lk);
    let stale: L1Entry | undefined;
    if (e !== undefined && e.ns === this.#ns) {
      if (core.usable(lk, e, now)) {
        core.l1Hits++;
        return unwrapEntry<T>(e, key);
      }
      if (
        e.kind === Kind.Value &&
        e.staleUntil > now &&
        (e.tags === undefined || !core.tagInvalid(e))
      )
        stale = e;
    }
    let p = core.inflight.get(lk);
    if (p === undefined) {
      const started = load<T>({ core, ns: this.#ns, path: this.path, key, lk, factory, o, stale });
      p = started;
      core.inflight.set(lk, started);
      const done = () => {
        if (core.inflight.get(lk) === started) core.inflight.delete(lk);
      };
      started.then(done, done);
    }
    return unwrapEntry<T>(await p, key);
  }

  /** Values in key order (undefined where absent): L1 first, then one L2 round trip for the rest. */
  async getMany<T = unknown>(
    keys: readonly string[],
    options?: GetOptions,
  ): Promise<Array<T | undefined>> {
    if (!Array.isArray(keys))
      throw cacheErrors.create('E_INVALID_ARGUMENT', 'getMany() takes an array of keys');
    for (const k of keys) checkKey(k);
    this.#open('getMany');
    const core = this.core;
    const now = core.clock.now();
    const out = new Array<T | undefined>(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const lk = this.#lk(key);
      const e = core.l1?.get(lk);
      if (e !== undefined && e.ns === this.#ns && core.usable(lk, e, now)) {
        core.l1Hits++;
        out[i] = e.kind === Kind.Value ? (e.value as T) : undefined;
      } else missing.push(i);
    });
    const guard = core.guard;
    if (missing.length > 0 && guard !== undefined) {
      const t = options?.throwOnL2Error ?? core.o.throwOnL2Error;
      const full = missing.map((i) => core.prefix + this.#lk(keys[i] as string));
      const raws = await guard.run(
        'getMany',
        (a) => (a.getMany ? a.getMany(full) : Promise.all(full.map((k) => a.get(k)))),
        [],
        t,
      );
      for (let j = 0; j < missing.length; j++) {
        const i = missing[j] as number;
        const raw = raws[j];
        const e =
          raw === undefined
            ? undefined
            : await core.fromL2(this.#lk(keys[i] as string), this.#ns, raw, t);
        if (e !== undefined && e.expiresAt > core.clock.now()) {
          core.counters.l2Hits++;
          out[i] = e.kind === Kind.Value ? (e.value as T) : undefined;
          missing[j] = -1;
        }
      }
    }
    for (const i of missing) if (i >= 0) this.#miss(keys[i] as string);
    return out;
  }

  /** Stores several values; all are validated and serialized before anything is written. */
  async setMany(entries: readonly SetManyEntry[]): Promise<void> {
    if (!Array.isArray(entries))
      throw cacheErrors.create(
        'E_INVALID_ARGUMENT',
        'setMany() takes an array of { key, value, options? }',
      );
    const core = this.core;
    const prepared = entries.map((e: SetManyEntry) => {
      checkKey(e?.key);
      const call = checkCallOptions(e.options, 'setMany');
      if (call.tags !== undefined) checkTags(call.tags);
      if (e.value === undefined)
        throw cacheErrors.create('E_NOT_SERIALIZABLE', `setMany: "${e.key}" has value undefined`);
      core.serializer.serialize(e.value);
      return { key: e.key, value: e.value, o: mergeEntryOptions(core.o, call) };
    });
    this.#open('setMany');
    await Promise.all(
      prepared.map((p) => core.write(this.#lk(p.key), this.#ns, p.value, Kind.Value, p.o)),
    );
    for (const p of prepared) this.#written(p.key, p.o.ttl);
  }

  /** Removes a key from every tier and every instance's L1. Returns whether it existed. */
  async delete(key: string, options?: GetOptions): Promise<boolean> {
    checkKey(key);
    this.#open('delete');
    const n = await remove(
      this.core,
      [this.#lk(key)],
      options?.throwOnL2Error ?? this.core.o.throwOnL2Error,
    );
    this.core.emitter.emit('cache:deleted', { key, namespace: this.path });
    return n > 0;
  }

  async deleteMany(keys: readonly string[], options?: GetOptions): Promise<number> {
    if (!Array.isArray(keys))
      throw cacheErrors.create('E_INVALID_ARGUMENT', 'deleteMany() takes an array of keys');
    for (const k of keys) checkKey(k);
    this.#open('deleteMany');
    const n = await remove(
      this.core,
      keys.map((k) => this.#lk(k)),
      options?.throwOnL2Error ?? this.core.o.throwOnL2Error,
    );
    for (const key of keys) this.core.emitter.emit('cache:deleted', { key, namespace: this.path });
    return n;
  }

  /** Drops this namespace (and those inside it) from every tier and every instance's L1. */
  async clear(options?: GetOptions): Promise<void> {
    this.#open('clear');
    await clear(this.core, this.#ns, options?.throwOnL2Error ?? this.core.o.throwOnL2Error);
    this.core.emitter.emit('cache:cleared', { namespace: this.path });
  }

  /** Invalidates every entry (any namespace) tagged with one of `tags`, on every instance. */
  async invalidateTags(tags: readonly string[], options?: GetOptions): Promise<void> {
    checkTags(tags);
    this.#open('invalidateTags');
    await invalidateTags(this.core, tags, options?.throwOnL2Error ?? this.core.o.throwOnL2Error);
  }

  #open(operation: string): void {
    if (this.core.closed)
      throw cacheErrors.create('E_CLOSED', `cache.${operation}() called after close()`, {
        details: { operation },
      });
  }

  #hit(key: string, tier: 'l1' | 'l2'): void {
    this.core.emitter.emit('cache:hit', { key, namespace: this.path, tier, stale: false });
  }

  #miss(key: string): void {
    this.core.counters.misses++;
    if (this.core.observes('cache:miss'))
      this.core.emitter.emit('cache:miss', { key, namespace: this.path });
  }

  #written(key: string, ttl: number): void {
    if (this.core.observes('cache:written'))
      this.core.emitter.emit('cache:written', { key, namespace: this.path, ttl });
  }
}
