import type { Clock, Logger, TimerHandle } from '@plinth/core';
import type { Store } from '@plinth/storage';
import type { UsageInfo } from '../types.js';
import { mapStorageError } from './context.js';
import { C, type UsageDoc } from './records.js';

/**
 * Fetch counts and last-fetch times, counted in memory and written in one transaction every
 * `flushMs` (and on close), so reads never wait for a write.
 */
export class UsageTracker {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #pending = new Map<string, { n: number; last: number }>();
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;

  constructor(store: Store, clock: Clock, logger: Logger, flushMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    if (flushMs > 0) {
      this.#timer = clock.setInterval(() => {
        this.flush().catch((error: unknown) =>
          this.#logger.warn({ err: error }, 'usage flush failed'),
        );
      }, flushMs);
    }
  }

  get enabled(): boolean {
    return this.#timer !== undefined;
  }

  record(versionKey: string): void {
    if (this.#timer === undefined) return;
    const p = this.#pending.get(versionKey);
    const now = this.#clock.now();
    if (p === undefined) this.#pending.set(versionKey, { n: 1, last: now });
    else {
      p.n++;
      p.last = now;
    }
  }

  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = (async () => {
      try {
        await this.#store.transaction(
          async (tx) => {
            const col = tx.collection<UsageDoc>(C.usage);
            for (const [key, p] of batch) {
              const cur = (await col.get(key))?.value;
              await col.put(key, {
                fetches: (cur?.fetches ?? 0) + p.n,
                lastFetchedAt: Math.max(cur?.lastFetchedAt ?? 0, p.last),
              });
            }
          },
          { retry: { attempts: 10 } },
        );
      } catch (error) {
        // Keep the counts for the next flush.
        for (const [key, p] of batch) {
          const q = this.#pending.get(key);
          this.#pending.set(
            key,
            q === undefined ? p : { n: q.n + p.n, last: Math.max(q.last, p.last) },
          );
        }
        throw mapStorageError(error);
      } finally {
        this.#flushing = undefined;
      }
    })();
    await this.#flushing;
  }

  async get(versionKey: string): Promise<UsageInfo> {
    let stored: UsageDoc | undefined;
    try {
      stored = (await this.#store.collection<UsageDoc>(C.usage).get(versionKey))?.value;
    } catch (error) {
      throw mapStorageError(error);
    }
    const p = this.#pending.get(versionKey);
    return {
      fetches: (stored?.fetches ?? 0) + (p?.n ?? 0),
      lastFetchedAt: p?.last ?? stored?.lastFetchedAt ?? null,
    };
  }

  async close(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.flush();
  }
}
