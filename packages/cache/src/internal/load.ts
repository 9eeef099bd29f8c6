import { uuidv7 } from '@plinth/core';
import { cacheErrors } from '../errors.js';
import { checkCallOptions, type ResolvedEntryOptions } from '../options.js';
import type { Factory, FactoryContext, SetOptions } from '../types.js';
import type { CacheCore } from './core.js';
import { L1Entry } from './entry.js';
import { Kind } from './envelope.js';
import { LOCK_PREFIX } from './keys.js';

const TIMED_OUT: unique symbol = Symbol('timed out');

/** What getOrSet resolves to for an entry: the value, undefined, or the replayed failure. */
export function unwrapEntry<T>(e: L1Entry, key: string): T {
  if (e.kind === Kind.Value) return e.value as T;
  if (e.kind === Kind.Absent) return undefined as T;
  throw cacheErrors.create(
    'E_FACTORY_FAILED',
    `factory of "${key}" failed (negatively cached): ${e.failure?.message ?? 'unknown error'}`,
    {
      details: { key, cached: true, failure: e.failure },
    },
  );
}

export interface LoadRequest<T> {
  readonly core: CacheCore;
  readonly ns: string;
  /** The namespace path, for events. */
  readonly path: string;
  readonly key: string;
  readonly lk: string;
  readonly factory: Factory<T>;
  readonly o: ResolvedEntryOptions;
  /** The expired-but-graced L1 entry, if any. */
  readonly stale: L1Entry | undefined;
}

/**
 * The getOrSet miss path, run once per key at a time (single flight): L2, then the factory
 * (behind the optional cross-instance lock), with soft and hard timeouts and grace.
 */
export async function load<T>(r: LoadRequest<T>): Promise<L1Entry> {
  const { core, lk, ns, o, key, path } = r;
  let stale = r.stale;
  if (core.guard !== undefined) {
    const e = await core.readL2(lk, ns, o.throwOnL2Error);
    if (e !== undefined) {
      const now = core.clock.now();
      if (e.expiresAt > now) {
        core.counters.l2Hits++;
        if (core.observes('cache:hit'))
          core.emitter.emit('cache:hit', { key, namespace: path, tier: 'l2', stale: false });
        return e;
      }
      if (
        e.kind === Kind.Value &&
        e.staleUntil > now &&
        (stale === undefined || e.createdAt > stale.createdAt)
      )
        stale = e;
    }
  }
  if (stale === undefined) {
    core.counters.misses++;
    if (core.observes('cache:miss')) core.emitter.emit('cache:miss', { key, namespace: path });
  }
  let refresh = core.refreshing.get(lk);
  if (refresh === undefined) {
    const started = runFactory(r, stale);
    refresh = started;
    core.refreshing.set(lk, started);
    started.then(
      () => core.refreshing.get(lk) === started && core.refreshing.delete(lk),
      () => core.refreshing.get(lk) === started && core.refreshing.delete(lk),
    );
  }
  if (stale !== undefined && o.softTimeout !== undefined) {
    const outcome =
      o.softTimeout === 0
        ? TIMED_OUT
        : await raceTimer(refresh, o.softTimeout, core).catch(() => undefined);
    if (outcome === TIMED_OUT) {
      if (o.softTimeout > 0)
        core.emitter.emit('factory:timeout', { key, kind: 'soft', ms: o.softTimeout });
      background(core, key, refresh);
      return servedStale(core, key, path, stale);
    }
    if (outcome instanceof L1Entry) return outcome;
  }
  try {
    return await refresh;
  } catch (error) {
    if (stale === undefined) throw error;
    // Grace: answer with the stale value and keep it for graceBackoff before trying again.
    const now = core.clock.now();
    const backoff = new L1Entry(
      core.base,
      ns,
      stale.kind,
      stale.value,
      stale.createdAt,
      now + o.graceBackoff,
      Math.max(stale.staleUntil, now + o.graceBackoff),
      stale.tags,
      stale.failure,
    );
    core.putL1(lk, backoff, 0);
    return servedStale(core, key, path, backoff);
  }
}

function servedStale(core: CacheCore, key: string, path: string, e: L1Entry): L1Entry {
  core.counters.staleHits++;
  if (core.observes('cache:hit'))
    core.emitter.emit('cache:hit', { key, namespace: path, tier: 'l1', stale: true });
  return e;
}

/** Follows a refresh that outlived its caller: errors are logged, the outcome announced. */
function background(core: CacheCore, key: string, refresh: Promise<L1Entry>): void {
  refresh.then(
    () => core.emitter.emit('factory:refreshed', { key, ok: true }),
    (error: unknown) => {
      core.logger.warn(
        { err: error, key },
        'background refresh failed; the stale value stays in grace',
      );
      core.emitter.emit('factory:refreshed', { key, ok: false });
    },
  );
}

/** Resolves with the promise's value, or TIMED_OUT after `ms` (rejections pass through). */
function raceTimer<T>(p: Promise<T>, ms: number, core: CacheCore): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve, reject) => {
    const timer = core.clock.setTimeout(() => resolve(TIMED_OUT), ms);
    p.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e);
      },
    );
  });
}

async function runFactory<T>(r: LoadRequest<T>, stale: L1Entry | undefined): Promise<L1Entry> {
  const { core, lk, key, o } = r;
  const guard = core.guard;
  let token: string | undefined;
  const lockKey = core.prefix + LOCK_PREFIX + lk;
  if (o.lock && guard?.adapter.tryLock !== undefined && guard.available) {
    const candidate = uuidv7();
    // If the lock cannot be taken because L2 is down, run the factory: availability first.
    const got = await guard.run(
      'lock',
      (a) => (a.tryLock as NonNullable<typeof a.tryLock>)(lockKey, candidate, o.lockTtl),
      true,
      false,
    );
    if (got) token = candidate;
    else {
      const found = await waitForHolder(r);
      if (found !== undefined) return found;
      core.logger.warn(
        { key, lockWait: o.lockWait },
        'lock holder did not produce a value in time; running the factory',
      );
    }
  }
  try {
    return await invoke(r, stale);
  } finally {
    if (token !== undefined && guard !== undefined) {
      const t = token;
      await guard.run(
        'unlock',
        (a) => (a.unlock ? a.unlock(lockKey, t) : Promise.resolve(false)),
        false,
        false,
      );
    }
  }
}

/** Polls L2 until the lock holder's value appears or lockWait passes. */
async function waitForHolder<T>(r: LoadRequest<T>): Promise<L1Entry | undefined> {
  const { core, o } = r;
  const deadline = core.clock.now() + o.lockWait;
  while (core.clock.now() < deadline && !core.closed) {
    await core.clock.sleep(Math.min(o.lockPoll, Math.max(1, deadline - core.clock.now())));
    const e = await core.readL2(r.lk, r.ns, false);
    if (e !== undefined && e.expiresAt > core.clock.now()) {
      core.counters.l2Hits++;
      return e;
    }
  }
  return undefined;
}

async function invoke<T>(r: LoadRequest<T>, stale: L1Entry | undefined): Promise<L1Entry> {
  const { core, lk, ns, key, o } = r;
  core.counters.factoryCalls++;
  const controller = new AbortController();
  let adapted: SetOptions | undefined;
  let skipped = false;
  const context: FactoryContext<T> = {
    key,
    stale: stale?.kind === Kind.Value ? (stale.value as T) : undefined,
    signal: controller.signal,
    setOptions(options) {
      adapted = { ...adapted, ...checkCallOptions(options, 'FactoryContext.setOptions') };
    },
    skip() {
      skipped = true;
    },
  };
  let value: T;
  try {
    const running = Promise.resolve().then(() => r.factory(context));
    value =
      o.hardTimeout === undefined
        ? await running
        : await hardLimit(running, o.hardTimeout, r, controller);
  } catch (error) {
    core.counters.factoryErrors++;
    const timeout = cacheErrors.is(error, 'E_FACTORY_TIMEOUT');
    core.emitter.emit('factory:error', { key, error, servedStale: stale !== undefined });
    const failure = describeFailure(error);
    if (stale === undefined && o.negativeTtl > 0 && !timeout) {
      await core
        .write(lk, ns, undefined, Kind.Failure, o, failure)
        .catch((e: unknown) => core.logger.warn({ err: e, key }, 'negative entry not stored'));
    }
    if (timeout) throw error;
    throw cacheErrors.create('E_FACTORY_FAILED', `factory of "${key}" failed: ${failure.message}`, {
      cause: error,
      details: { key, cached: false },
    });
  }
  const now = core.clock.now();
  if (skipped)
    return new L1Entry(core.base, ns, Kind.Value, value, now, now, now, undefined, undefined);
  const opts = adapted === undefined ? o : { ...o, ...adapted };
  if (value === undefined) {
    if (o.negativeTtl > 0) return core.write(lk, ns, undefined, Kind.Absent, opts);
    return new L1Entry(core.base, ns, Kind.Absent, undefined, now, now, now, undefined, undefined);
  }
  const entry = await core.write(lk, ns, value, Kind.Value, opts);
  if (core.observes('cache:written'))
    core.emitter.emit('cache:written', { key, namespace: r.path, ttl: opts.ttl });
  return entry;
}

function hardLimit<T>(
  running: Promise<T>,
  ms: number,
  r: LoadRequest<T>,
  controller: AbortController,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = r.core.clock.setTimeout(() => {
      r.core.emitter.emit('factory:timeout', { key: r.key, kind: 'hard', ms });
      const error = cacheErrors.create(
        'E_FACTORY_TIMEOUT',
        `factory of "${r.key}" did not finish within ${ms} ms`,
        {
          details: { key: r.key, hardTimeout: ms },
        },
      );
      controller.abort(error);
      reject(error);
    }, ms);
    running.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (e: unknown) => {
        timer.cancel();
        reject(e);
      },
    );
  });
}

function describeFailure(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string'
      ? { name: error.name, message: error.message, code }
      : { name: error.name, message: error.message };
  }
  return { name: 'Error', message: String(error) };
}
