import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, isPlinthError, systemClock, withTimeout } from '../src/index.js';

/** Lets queued promise callbacks run (no timers involved). */
const flushPromises = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `fn`, expecting it to throw a `@plinth/core` error with `code`; returns the error. */
function thrown(fn: () => unknown, code: string): unknown {
  try {
    fn();
  } catch (error) {
    expect(isPlinthError(error, code)).toBe(true);
    return error;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('ManualClock time', () => {
  it('starts at 0 by default, at a given epoch ms, or at a Date', () => {
    expect(new ManualClock().now()).toBe(0);
    expect(new ManualClock(1_000).now()).toBe(1_000);
    expect(new ManualClock(new Date('2025-01-01T00:00:00Z')).now()).toBe(Date.UTC(2025, 0, 1));
  });

  it('only moves when advanced', () => {
    const clock = new ManualClock(100);
    expect(clock.now()).toBe(100);
    expect(clock.advance(50)).toBe(0);
    expect(clock.now()).toBe(150);
    clock.advance(0);
    expect(clock.now()).toBe(150);
  });

  it('set() jumps forward to an absolute time (number or Date), firing timers on the way', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 30);
    expect(clock.set(100)).toBe(1);
    expect(fired).toEqual([30]);
    expect(clock.now()).toBe(100);
    clock.set(new Date(250));
    expect(clock.now()).toBe(250);
    expect(clock.set(250)).toBe(0);
  });

  it('set() refuses to go backwards', () => {
    const clock = new ManualClock(1_000);
    const error = thrown(() => clock.set(999), 'E_INVALID_ARGUMENT');
    expect((error as { details: unknown }).details).toEqual({ now: 1_000, requested: 999 });
    expect(clock.now()).toBe(1_000);
  });

  it.each([-1, Number.NaN, Infinity, -Infinity])('advance(%s) throws E_INVALID_ARGUMENT', (ms) => {
    const clock = new ManualClock(5);
    const error = thrown(() => clock.advance(ms), 'E_INVALID_ARGUMENT');
    expect((error as { details: { ms: number } }).details.ms).toBe(ms);
    expect(clock.now()).toBe(5);
  });

  it.each([-1, Number.NaN, Infinity])(
    'advanceAsync(%s) rejects with E_INVALID_ARGUMENT',
    async (ms) => {
      const clock = new ManualClock();
      await expect(clock.advanceAsync(ms)).rejects.toSatisfy((e) =>
        isPlinthError(e, 'E_INVALID_ARGUMENT'),
      );
    },
  );
});

describe('ManualClock timers', () => {
  it('fires timers in due order, whatever their creation order', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('c'), 30);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('b'), 20);
    expect(clock.advance(100)).toBe(3);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('fires timers due at the same time in creation order', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 10);
    clock.setTimeout(() => fired.push(-1), 5);
    clock.advance(10);
    expect(fired).toEqual([-1, 0, 1, 2, 3, 4]);
  });

  it('shows each callback now() equal to its due time, then lands on the target', () => {
    const clock = new ManualClock(1_000);
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 7);
    clock.setTimeout(() => seen.push(clock.now()), 42);
    clock.advance(100);
    expect(seen).toEqual([1_007, 1_042]);
    expect(clock.now()).toBe(1_100);
  });

  it('does not fire a timer before its due time and fires it exactly at it', () => {
    const clock = new ManualClock();
    const callback = vi.fn();
    clock.setTimeout(callback, 10);
    clock.advance(9);
    expect(callback).not.toHaveBeenCalled();
    clock.advance(1);
    expect(callback).toHaveBeenCalledTimes(1);
    clock.advance(100);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('fires a timer created during advance in the same advance when it falls due within it', () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    clock.setTimeout(() => {
      fired.push(['first', clock.now()]);
      clock.setTimeout(() => fired.push(['inner', clock.now()]), 5);
      clock.setTimeout(() => fired.push(['late', clock.now()]), 500);
    }, 10);
    expect(clock.advance(20)).toBe(2);
    expect(fired).toEqual([
      ['first', 10],
      ['inner', 15],
    ]);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(510);
  });

  it('runs a zero or negative delay timer on the next advance, even advance(0)', () => {
    const clock = new ManualClock(50);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 0);
    clock.setTimeout(() => fired.push(clock.now()), -20);
    expect(fired).toEqual([]);
    expect(clock.advance(0)).toBe(2);
    expect(fired).toEqual([50, 50]);
  });

  it('fires intervals repeatedly, each at its due time', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setInterval(() => seen.push(clock.now()), 10);
    expect(clock.advance(35)).toBe(3);
    expect(seen).toEqual([10, 20, 30]);
    clock.advance(5);
    expect(seen).toEqual([10, 20, 30, 40]);
  });

  it('interleaves intervals and one-shot timers in time order', () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    clock.setInterval(() => seen.push(`i${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`t${clock.now()}`), 15);
    clock.advance(30);
    expect(seen).toEqual(['i10', 't15', 'i20', 'i30']);
  });

  it('treats an interval of 0 as 1 ms so it cannot spin forever', () => {
    const clock = new ManualClock();
    const callback = vi.fn();
    clock.setInterval(callback, 0);
    expect(clock.advance(5)).toBe(5);
    expect(callback).toHaveBeenCalledTimes(5);
  });

  it('stops an interval on cancel and marks it inactive', () => {
    const clock = new ManualClock();
    const callback = vi.fn();
    const timer = clock.setInterval(callback, 10);
    clock.advance(25);
    expect(callback).toHaveBeenCalledTimes(2);
    expect(timer.active).toBe(true);
    timer.cancel();
    expect(timer.active).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(callback).toHaveBeenCalledTimes(2);
  });

  it('stops an interval cancelled from inside its own callback', () => {
    const clock = new ManualClock();
    let runs = 0;
    const timer = clock.setInterval(() => {
      runs++;
      if (runs === 3) timer.cancel();
    }, 10);
    expect(clock.advance(1_000)).toBe(3);
    expect(runs).toBe(3);
    expect(timer.active).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cancels a one-shot timer before it fires; cancel is idempotent', () => {
    const clock = new ManualClock();
    const callback = vi.fn();
    const other = vi.fn();
    const timer = clock.setTimeout(callback, 10);
    clock.setTimeout(other, 10);
    timer.cancel();
    timer.cancel();
    expect(timer.active).toBe(false);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    expect(callback).not.toHaveBeenCalled();
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('lets one timer cancel another that is due at the same time', () => {
    const clock = new ManualClock();
    const second = vi.fn();
    clock.setTimeout(() => handle.cancel(), 10);
    const handle = clock.setTimeout(second, 10);
    expect(clock.advance(10)).toBe(1);
    expect(second).not.toHaveBeenCalled();
  });

  it('reports a one-shot timer active until it fires, and inactive inside and after', () => {
    const clock = new ManualClock();
    let activeInside: boolean | undefined;
    const timer = clock.setTimeout(() => {
      activeInside = timer.active;
    }, 10);
    expect(timer.active).toBe(true);
    clock.advance(10);
    expect(activeInside).toBe(false);
    expect(timer.active).toBe(false);
    timer.cancel(); // after firing: harmless
    expect(timer.active).toBe(false);
  });

  it('counts pending timers and reports when the next one is due', () => {
    const clock = new ManualClock(100);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
    clock.setTimeout(() => {}, 50);
    const early = clock.setTimeout(() => {}, 20);
    clock.setInterval(() => {}, 30);
    expect(clock.pendingTimers).toBe(3);
    expect(clock.nextTimerAt()).toBe(120);
    early.cancel();
    expect(clock.nextTimerAt()).toBe(130);
    clock.advance(30);
    expect(clock.pendingTimers).toBe(2); // the interval re-armed at 160
    expect(clock.nextTimerAt()).toBe(150);
  });

  it.each([Number.NaN, '10', undefined])('rejects a delay of %s with E_INVALID_ARGUMENT', (ms) => {
    const clock = new ManualClock();
    thrown(() => clock.setTimeout(() => {}, ms as number), 'E_INVALID_ARGUMENT');
    thrown(() => clock.setInterval(() => {}, ms as number), 'E_INVALID_ARGUMENT');
    thrown(() => clock.sleep(ms as number), 'E_INVALID_ARGUMENT');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('ManualClock.runAll', () => {
  it('fires every one-shot timer, including ones they schedule, and moves time to the last', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 1_000);
    }, 100);
    clock.setTimeout(() => seen.push(clock.now()), 50);
    expect(clock.runAll()).toBe(3);
    expect(seen).toEqual([50, 100, 1_100]);
    expect(clock.now()).toBe(1_100);
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves intervals pending (they would never end) but fires them on the way', () => {
    const clock = new ManualClock();
    const tick = vi.fn();
    clock.setInterval(tick, 10);
    clock.setTimeout(() => {}, 35);
    expect(clock.runAll()).toBe(4);
    expect(tick).toHaveBeenCalledTimes(3);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.runAll()).toBe(0);
  });

  it('throws E_INVALID_ARGUMENT once the limit is reached by self-rescheduling timers', () => {
    const clock = new ManualClock();
    let runs = 0;
    const again = () => {
      runs++;
      clock.setTimeout(again, 1);
    };
    clock.setTimeout(again, 1);
    const error = thrown(() => clock.runAll(25), 'E_INVALID_ARGUMENT');
    expect((error as { details: unknown }).details).toEqual({ limit: 25 });
    expect(runs).toBe(25);
  });
});

describe('ManualClock.advanceAsync', () => {
  it('lets a promise chain started by a timer schedule a follow-up that fires in the same advance', async () => {
    const clock = new ManualClock();
    const seen: [string, number][] = [];
    clock.setTimeout(() => {
      seen.push(['start', clock.now()]);
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => clock.setTimeout(() => seen.push(['follow-up', clock.now()]), 10));
    }, 10);

    expect(await clock.advanceAsync(30)).toBe(2);
    expect(seen).toEqual([
      ['start', 10],
      ['follow-up', 20],
    ]);
    expect(clock.now()).toBe(30);
  });

  it('differs from advance(), where the follow-up is only scheduled after it returns', async () => {
    const clock = new ManualClock();
    const followUp = vi.fn();
    clock.setTimeout(() => {
      void Promise.resolve().then(() => clock.setTimeout(followUp, 10));
    }, 10);
    expect(clock.advance(30)).toBe(1);
    await flushPromises();
    expect(followUp).not.toHaveBeenCalled();
    expect(clock.nextTimerAt()).toBe(40);
  });

  it('settles a sleep before moving on, so code after the await sees the due time', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    void (async () => {
      await clock.sleep(10);
      seen.push(clock.now());
      await clock.sleep(10);
      seen.push(clock.now());
    })();
    await clock.advanceAsync(100);
    expect(seen).toEqual([10, 20]);
  });
});

describe('ManualClock.sleep', () => {
  it('resolves only once the clock has been advanced past the delay', async () => {
    const clock = new ManualClock();
    let done = false;
    const sleeping = clock.sleep(100).then(() => {
      done = true;
    });
    clock.advance(99);
    await flushPromises();
    expect(done).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(done).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const clock = new ManualClock();
    const reason = new Error('cancelled');
    await expect(clock.sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with the reason when the signal aborts, and cancels its timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(100, controller.signal);
    expect(clock.pendingTimers).toBe(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves normally when the signal never aborts', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(10, controller.signal);
    clock.advance(10);
    await expect(sleeping).resolves.toBeUndefined();
    controller.abort(); // after resolving: no effect, no unhandled rejection
  });
});

describe('withTimeout', () => {
  it('resolves with the value when the promise settles in time, and clears its timer', async () => {
    const clock = new ManualClock();
    const result = withTimeout(Promise.resolve('ok'), 100, { clock });
    expect(clock.pendingTimers).toBe(1);
    await expect(result).resolves.toBe('ok');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with a retryable E_TIMEOUT naming the operation and limit', async () => {
    const clock = new ManualClock();
    const never = new Promise<never>(() => {});
    const result = withTimeout(never, 250, { clock, operation: 'fetch manifest' });
    clock.advance(249);
    clock.advance(1);
    const error = await result.catch((e: unknown) => e);
    expect(isPlinthError(error, 'E_TIMEOUT')).toBe(true);
    expect(error).toMatchObject({
      retryable: true,
      package: '@plinth/core',
      message: '[@plinth/core] fetch manifest timed out after 250 ms',
      details: { operation: 'fetch manifest', ms: 250 },
    });
  });

  it('names the operation "operation" when none is given', async () => {
    const clock = new ManualClock();
    const result = withTimeout(new Promise(() => {}), 5, { clock });
    clock.advance(5);
    await expect(result).rejects.toMatchObject({ details: { operation: 'operation', ms: 5 } });
  });

  it('does not time out before the limit', async () => {
    const clock = new ManualClock();
    let settle!: (v: number) => void;
    const result = withTimeout(new Promise<number>((r) => (settle = r)), 100, { clock });
    clock.advance(99);
    settle(7);
    await expect(result).resolves.toBe(7);
    clock.advance(10);
  });

  it('propagates the original rejection unchanged', async () => {
    const clock = new ManualClock();
    const original = new Error('boom');
    const result = withTimeout(Promise.reject(original), 100, { clock });
    await expect(result).rejects.toBe(original);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ignores a late settlement after the timeout', async () => {
    const clock = new ManualClock();
    let settle!: (v: string) => void;
    const result = withTimeout(new Promise<string>((r) => (settle = r)), 10, { clock });
    clock.advance(10);
    settle('late');
    await expect(result).rejects.toSatisfy((e) => isPlinthError(e, 'E_TIMEOUT'));
  });

  it('rejects with the reason of an already aborted signal without starting a timer', async () => {
    const clock = new ManualClock();
    const reason = new Error('aborted');
    const result = withTimeout(new Promise(() => {}), 100, {
      clock,
      signal: AbortSignal.abort(reason),
    });
    await expect(result).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with the reason when the signal aborts first, and clears its timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const result = withTimeout(new Promise(() => {}), 100, { clock, signal: controller.signal });
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('accepts any thenable', async () => {
    const clock = new ManualClock();
    const thenable: PromiseLike<number> = {
      then: (onFulfilled) => Promise.resolve(onFulfilled?.(3)),
    } as PromiseLike<number>;
    await expect(withTimeout(thenable, 10, { clock })).resolves.toBe(3);
  });

  it('uses the system clock when no clock is given', async () => {
    await expect(withTimeout(Promise.resolve(1), 1_000)).resolves.toBe(1);
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the real time', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sleeps for real, fires an unref-ed timer and marks it inactive (smoke test)', async () => {
    const started = performance.now();
    await systemClock.sleep(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);

    let resolveFired!: () => void;
    const fired = new Promise<void>((r) => (resolveFired = r));
    const timer = systemClock.setTimeout(resolveFired, 1);
    expect(timer.active).toBe(true);
    await fired;
    expect(timer.active).toBe(false);
  });

  it('does not keep the process alive: its Node timeouts and intervals are unref-ed', () => {
    const timeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const intervalSpy = vi.spyOn(globalThis, 'setInterval');
    try {
      const once = systemClock.setTimeout(() => {}, 60_000);
      const every = systemClock.setInterval(() => {}, 60_000);
      const timeout = timeoutSpy.mock.results[0]?.value as NodeJS.Timeout;
      const interval = intervalSpy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timeout.hasRef()).toBe(false);
      expect(interval.hasRef()).toBe(false);
      once.cancel();
      every.cancel();
    } finally {
      timeoutSpy.mockRestore();
      intervalSpy.mockRestore();
    }
  });

  it('keeps the process alive while a sleep is awaited, and lets go once it is aborted', async () => {
    const timeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const controller = new AbortController();
    try {
      const sleeping = systemClock.sleep(60_000, controller.signal);
      const timeout = timeoutSpy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timeout.hasRef()).toBe(true);
      controller.abort(new Error('stop'));
      await expect(sleeping).rejects.toThrow('stop');
    } finally {
      timeoutSpy.mockRestore();
    }
  });

  it('cancels timeouts and intervals before they fire', () => {
    vi.useFakeTimers();
    const once = vi.fn();
    const every = vi.fn();
    const a = systemClock.setTimeout(once, 10);
    const b = systemClock.setInterval(every, 10);
    vi.advanceTimersByTime(25);
    expect(every).toHaveBeenCalledTimes(2);
    expect(once).toHaveBeenCalledTimes(1);
    expect(a.active).toBe(false);
    expect(b.active).toBe(true);

    const c = systemClock.setTimeout(once, 10);
    c.cancel();
    b.cancel();
    c.cancel();
    expect(c.active).toBe(false);
    expect(b.active).toBe(false);
    vi.advanceTimersByTime(100);
    expect(once).toHaveBeenCalledTimes(1);
    expect(every).toHaveBeenCalledTimes(2);
  });

  it('lets an interval cancel itself from its callback', () => {
    vi.useFakeTimers();
    let runs = 0;
    const timer = systemClock.setInterval(() => {
      if (++runs === 2) timer.cancel();
    }, 10);
    vi.advanceTimersByTime(100);
    expect(runs).toBe(2);
    expect(timer.active).toBe(false);
  });

  it('holds delays longer than Node can (2^31 - 1 ms) instead of firing after 1 ms', () => {
    vi.useFakeTimers();
    const day = 24 * 60 * 60 * 1000;
    const once = vi.fn();
    const every = vi.fn();
    const timer = systemClock.setTimeout(once, 30 * day);
    systemClock.setInterval(every, 30 * day);
    vi.advanceTimersByTime(10); // Node alone would have fired both after 1 ms
    expect(once).not.toHaveBeenCalled();
    expect(every).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * day);
    expect(once).not.toHaveBeenCalled();
    expect(every).not.toHaveBeenCalled();
    expect(timer.active).toBe(true);
    vi.advanceTimersByTime(day);
    expect(once).toHaveBeenCalledTimes(1);
    expect(every).toHaveBeenCalledTimes(1);
    expect(timer.active).toBe(false);
    vi.advanceTimersByTime(30 * day);
    expect(once).toHaveBeenCalledTimes(1);
    expect(every).toHaveBeenCalledTimes(2);
  });

  it('cancels a long (chained) timer at any stage', () => {
    vi.useFakeTimers();
    const callback = vi.fn();
    const timer = systemClock.setTimeout(callback, 2 ** 32);
    vi.advanceTimersByTime(2 ** 31); // past the first link of the chain
    timer.cancel();
    expect(timer.active).toBe(false);
    vi.advanceTimersByTime(2 ** 33);
    expect(callback).not.toHaveBeenCalled();
  });

  it('never fires a timer with an infinite delay', () => {
    vi.useFakeTimers();
    const callback = vi.fn();
    const timer = systemClock.setTimeout(callback, Infinity);
    vi.advanceTimersByTime(2 ** 33);
    expect(callback).not.toHaveBeenCalled();
    expect(timer.active).toBe(true);
    timer.cancel();
  });

  it.each([Number.NaN, '5'])('rejects a delay of %s with E_INVALID_ARGUMENT', (ms) => {
    thrown(() => systemClock.setTimeout(() => {}, ms as number), 'E_INVALID_ARGUMENT');
    thrown(() => systemClock.setInterval(() => {}, ms as number), 'E_INVALID_ARGUMENT');
    thrown(() => systemClock.sleep(ms as number), 'E_INVALID_ARGUMENT');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});
