import { ManualClock, isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import type { CommitBatch } from '../src/adapter.js';
import { MemoryAdapter, memoryAdapter, openStore, storageErrors } from '../src/index.js';

/** A manual clock whose sleeps are recorded and pass at once (advancing the time). */
class RecordingClock extends ManualClock {
  readonly sleeps: number[] = [];
  override sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.advance(ms);
    return Promise.resolve();
  }
}

async function stores(clock: ManualClock) {
  const adapter = memoryAdapter();
  const options = { adapter, clock, collections: { notes: {} }, purgeIntervalMs: 0 };
  return [await openStore(options), await openStore(options)] as const;
}

describe('store.transaction retry', () => {
  it('retries lost races with a jittered, bounded exponential backoff on the store clock', async () => {
    const clock = new RecordingClock(0);
    const [a, b] = await stores(clock);
    await a.collection('notes').put('x', { n: 0 });
    let runs = 0;
    const result = await a.transaction(
      async (tx) => {
        runs++;
        const x = await tx.collection<{ n: number }>('notes').get('x');
        // Another instance wins the race on the first 6 runs.
        if (runs <= 6) await b.collection('notes').put('x', { n: 100 + runs });
        await tx.collection('notes').put('y', { n: (x?.value.n ?? 0) + 1 });
        return runs;
      },
      { retry: { attempts: 10, baseDelayMs: 4, maxDelayMs: 40 } },
    );
    expect(result).toBe(7);
    expect((await a.collection('notes').get('y'))?.value).toEqual({ n: 107 });
    expect(clock.sleeps).toHaveLength(6);
    clock.sleeps.forEach((ms, i) => {
      const d = Math.min(40, 4 * 2 ** i);
      expect(ms).toBeGreaterThanOrEqual(d / 2);
      expect(ms).toBeLessThanOrEqual(d);
    });
  });

  it('gives up after `attempts` with the last retryable E_CONFLICT, writing nothing', async () => {
    const clock = new RecordingClock(0);
    const [a, b] = await stores(clock);
    await a.collection('notes').put('x', { n: 0 });
    let runs = 0;
    let caught: unknown;
    try {
      await a.transaction(
        async (tx) => {
          runs++;
          await tx.collection('notes').get('x');
          await b.collection('notes').put('x', { n: runs });
          await tx.collection('notes').put('never', { n: 1 });
        },
        { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } },
      );
    } catch (error) {
      caught = error;
    }
    expect(runs).toBe(3);
    expect(isPlinthError(caught, 'E_CONFLICT')).toBe(true);
    expect((caught as { retryable: boolean }).retryable).toBe(true);
    expect(clock.sleeps).toHaveLength(2);
    expect(await a.collection('notes').get('never')).toBeUndefined();
  });

  it('retries a commit refused with E_BUSY (the engine stayed locked), not callback errors', async () => {
    const clock = new RecordingClock(0);
    class BusyTwice extends MemoryAdapter {
      busy = 2;
      override commit(batch: CommitBatch) {
        if (batch.writes.length > 0 && this.busy-- > 0) {
          return Promise.reject(storageErrors.create('E_BUSY', 'locked', { retryable: true }));
        }
        return super.commit(batch);
      }
    }
    const store = await openStore({
      adapter: new BusyTwice(),
      clock,
      collections: { notes: {} },
      purgeIntervalMs: 0,
    });
    let runs = 0;
    await store.transaction(
      async (tx) => {
        runs++;
        await tx.collection('notes').put('k', { v: 1 });
      },
      { retry: { attempts: 5 } },
    );
    expect(runs).toBe(3);
    expect((await store.collection('notes').get('k'))?.value).toEqual({ v: 1 });

    runs = 0;
    await expect(
      store.transaction(
        async () => {
          runs++;
          throw storageErrors.create('E_CONFLICT', 'raised by the callback itself');
        },
        { retry: { attempts: 5 } },
      ),
    ).rejects.toThrow('raised by the callback itself');
    expect(runs).toBe(1);
  });

  it('validates the retry options with E_INVALID_OPTION naming the option', async () => {
    const [a] = await stores(new RecordingClock(0));
    const bad = [
      { attempts: 0 },
      { attempts: 1.5 },
      { attempts: 2, baseDelayMs: -1 },
      { attempts: 2, maxDelayMs: Number.NaN },
    ];
    for (const retry of bad) {
      let caught: unknown;
      try {
        await a.transaction(async () => {}, { retry });
      } catch (error) {
        caught = error;
      }
      expect(isPlinthError(caught, 'E_INVALID_OPTION')).toBe(true);
      expect((caught as { details: { option: string } }).details.option).toMatch(/^retry\./);
    }
  });
});
