import type { Store } from '@plinth/storage';
import { C, type CounterDoc } from './records.js';

/**
 * Registry-wide numeric ids, unique across every instance sharing the store: an instance reserves
 * a block of ids with one compare-and-set on a counter document and hands them out locally. Ids
 * are never reused; a block an instance does not use up leaves a gap.
 */
export class IdAllocator {
  readonly #store: Store;
  readonly #name: string;
  readonly #block: number;
  #next = 0;
  #end = 0;
  #reserving: Promise<void> | undefined;

  constructor(store: Store, name: string, block: number) {
    this.#store = store;
    this.#name = name;
    this.#block = block;
  }

  async next(): Promise<number> {
    while (this.#next >= this.#end) await this.#refill(this.#block);
    return this.#next++;
  }

  /** Makes sure `n` ids are at hand (one reservation for a whole batch). */
  async ensure(n: number): Promise<void> {
    while (this.#end - this.#next < n) await this.#refill(Math.max(this.#block, n));
  }

  #refill(size: number): Promise<void> {
    this.#reserving ??= this.#reserve(size).finally(() => {
      this.#reserving = undefined;
    });
    return this.#reserving;
  }

  /** Forgets the reserved block (after an import replaced the counters). */
  reset(): void {
    this.#next = this.#end = 0;
  }

  async #reserve(block: number): Promise<void> {
    const entry = await this.#store
      .collection<CounterDoc>(C.meta)
      .update(`counter:${this.#name}`, (cur) => ({ next: (cur?.next ?? 1) + block }), {
        attempts: 100,
      });
    this.#end = entry.value.next;
    this.#next = this.#end - block;
  }
}
