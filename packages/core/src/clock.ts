import { coreErrors } from './errors.js';

/**
 * Where every Plinth package gets the time and its timers from. Production code uses
 * {@link systemClock}; tests inject a {@link ManualClock} and move time by hand, so TTLs, soak
 * times, key rotations and circuit breakers are tested without sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. System timers never keep the process alive. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Runs `callback` every `ms` milliseconds until cancelled. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  /**
   * Resolves after `ms`; rejects with the signal's reason if it aborts first. Unlike the timers,
   * a system sleep keeps the process alive: something is awaiting it.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface TimerHandle {
  /** Stops the timer; calling it again does nothing. */
  cancel(): void;
  /** False once a one-shot timer has fired or any timer has been cancelled. */
  readonly active: boolean;
}

function checkDelay(ms: number): number {
  if (typeof ms !== 'number' || Number.isNaN(ms)) {
    throw coreErrors.create(
      'E_INVALID_ARGUMENT',
      `timer delay must be a number, got ${String(ms)}`,
      {
        details: { ms },
      },
    );
  }
  return ms < 0 ? 0 : ms;
}

function sleepOn(
  schedule: (callback: () => void, ms: number) => TimerHandle,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = schedule(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Node fires timers longer than this (about 24.8 days) after 1 ms instead, so they are chained. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

class SystemTimer implements TimerHandle {
  #handle: ReturnType<typeof setTimeout> | undefined;
  /** Whether `#handle` comes from `setInterval` (only for delays Node can hold in one timer). */
  readonly #isInterval: boolean;

  /** Background timers are unref'd; `keepAlive` ones (an awaited sleep) hold the process. */
  readonly #keepAlive: boolean;

  constructor(callback: () => void, ms: number, repeat: boolean, keepAlive = false) {
    this.#isInterval = repeat && ms <= MAX_NODE_DELAY;
    this.#keepAlive = keepAlive;
    if (this.#isInterval) {
      this.#handle = setInterval(callback, ms);
      if (!keepAlive) this.#handle.unref();
    } else {
      this.#wait(callback, ms, ms, repeat);
    }
  }

  /** Waits `left` of `ms` in steps Node can hold, then runs `callback` (and re-arms if `repeat`). */
  #wait(callback: () => void, ms: number, left: number, repeat: boolean): void {
    const step = Math.min(left, MAX_NODE_DELAY);
    this.#handle = setTimeout(() => {
      if (left > step) {
        this.#wait(callback, ms, left - step, repeat);
        return;
      }
      if (repeat) this.#wait(callback, ms, ms, repeat);
      else this.#handle = undefined;
      callback();
    }, step);
    if (!this.#keepAlive) this.#handle.unref();
  }

  get active(): boolean {
    return this.#handle !== undefined;
  }

  cancel(): void {
    if (this.#handle === undefined) return;
    if (this.#isInterval) clearInterval(this.#handle);
    else clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}

/** The real clock: `Date.now()`, unref'd Node timers, and sleeps that keep the process alive. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle =>
    new SystemTimer(callback, checkDelay(ms), false),
  setInterval: (callback: () => void, ms: number): TimerHandle =>
    new SystemTimer(callback, Math.max(1, checkDelay(ms)), true),
  sleep: (ms: number, signal?: AbortSignal) =>
    sleepOn(
      (callback, delay) => new SystemTimer(callback, delay, false, true),
      checkDelay(ms),
      signal,
    ),
});

interface ManualTimer {
  due: number;
  readonly seq: number;
  readonly interval: number | undefined;
  readonly callback: () => void;
  active: boolean;
}

/**
 * A clock that only moves when told to. Timers fire in due-time order (ties in creation order)
 * during {@link ManualClock.advance}, each seeing `now()` equal to its due time; timers created
 * while advancing fire in the same call if they fall due within it.
 *
 * Use {@link ManualClock.advanceAsync} when timer callbacks start promise chains that should
 * settle before the next timer fires.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Sorted by (due, seq). Small in practice; insertion is a binary search. */
  #timers: ManualTimer[] = [];

  /** @param start epoch milliseconds or a Date. @default 0 */
  constructor(start: number | Date = 0) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#schedule(callback, checkDelay(ms), undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    const every = Math.max(1, checkDelay(ms));
    return this.#schedule(callback, every, every);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn((callback, delay) => this.setTimeout(callback, delay), checkDelay(ms), signal);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer falls due, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order.
   * Returns how many timer callbacks ran.
   */
  advance(ms: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw coreErrors.create('E_INVALID_ARGUMENT', `advance() takes a finite ms >= 0, got ${ms}`, {
        details: { ms },
      });
    }
    const target = this.#now + ms;
    let fired = 0;
    for (let timer = this.#takeDue(target); timer; timer = this.#takeDue(target)) {
      this.#now = timer.due;
      this.#fire(timer);
      fired++;
    }
    this.#now = target;
    return fired;
  }

  /**
   * Like {@link ManualClock.advance}, but lets pending promise callbacks and I/O callbacks run
   * before and after each timer, so async work a timer starts can settle (and schedule further
   * timers) before time moves on.
   */
  async advanceAsync(ms: number): Promise<number> {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw coreErrors.create(
        'E_INVALID_ARGUMENT',
        `advanceAsync() takes a finite ms >= 0, got ${ms}`,
        {
          details: { ms },
        },
      );
    }
    const target = this.#now + ms;
    let fired = 0;
    await flushMacrotask();
    for (let timer = this.#takeDue(target); timer; timer = this.#takeDue(target)) {
      this.#now = timer.due;
      this.#fire(timer);
      fired++;
      await flushMacrotask();
    }
    this.#now = target;
    await flushMacrotask();
    return fired;
  }

  /** Jumps to an absolute time (not backwards), firing what falls due on the way. */
  set(time: number | Date): number {
    const t = typeof time === 'number' ? time : time.getTime();
    if (t < this.#now) {
      throw coreErrors.create('E_INVALID_ARGUMENT', 'a ManualClock never goes backwards', {
        details: { now: this.#now, requested: t },
      });
    }
    return this.advance(t - this.#now);
  }

  /**
   * Fires timers until none is left (intervals excluded: they would never end), up to `limit`
   * callbacks. Returns how many ran.
   */
  runAll(limit = 10_000): number {
    let fired = 0;
    for (;;) {
      const next = this.#timers.find((t) => t.interval === undefined);
      if (next === undefined) return fired;
      if (fired >= limit) {
        throw coreErrors.create('E_INVALID_ARGUMENT', `runAll() stopped after ${limit} timers`, {
          details: { limit },
        });
      }
      fired += this.advance(next.due - this.#now);
    }
  }

  #schedule(callback: () => void, delay: number, interval: number | undefined): TimerHandle {
    const timer: ManualTimer = {
      due: this.#now + delay,
      seq: this.#seq++,
      interval,
      callback,
      active: true,
    };
    this.#insert(timer);
    const timers = this.#timers;
    return {
      cancel: () => {
        if (!timer.active) return;
        timer.active = false;
        const i = timers.indexOf(timer);
        if (i >= 0) timers.splice(i, 1);
      },
      get active() {
        return timer.active;
      },
    };
  }

  #insert(timer: ManualTimer): void {
    const timers = this.#timers;
    let lo = 0;
    let hi = timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = timers[mid] as ManualTimer;
      if (t.due < timer.due || (t.due === timer.due && t.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    timers.splice(lo, 0, timer);
  }

  #takeDue(target: number): ManualTimer | undefined {
    const first = this.#timers[0];
    if (first === undefined || first.due > target) return undefined;
    this.#timers.shift();
    return first;
  }

  #fire(timer: ManualTimer): void {
    if (timer.interval === undefined) {
      timer.active = false;
    } else {
      timer.due += timer.interval;
      this.#insert(timer);
    }
    timer.callback();
  }
}

function flushMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Settles with `promise`, or rejects with a retryable `E_TIMEOUT` after `ms` on `clock`
 * (or with the signal's reason when `signal` aborts first). The timer is always cleared.
 */
export function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number,
  options: { clock?: Clock; signal?: AbortSignal; operation?: string } = {},
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const { signal, operation = 'operation' } = options;
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        coreErrors.create('E_TIMEOUT', `${operation} timed out after ${ms} ms`, {
          details: { operation, ms },
        }),
      );
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
