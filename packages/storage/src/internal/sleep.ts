import type { Clock } from '@plinth/core';

/**
 * `clock.sleep(ms)` that keeps the process alive meanwhile. The system clock's timers are
 * unref'd (right for background sweeps), but a backoff inside an operation someone awaits (a
 * busy SQLite lock, a transaction retry) must not let Node exit with the operation unfinished.
 */
export async function backoff(clock: Clock, ms: number): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await clock.sleep(ms);
  } finally {
    clearInterval(keepAlive);
  }
}
