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
    while (this.#next >= this.#end) {
      this.#reserving ??= this.#reserve().finally(() => {
        this.#reserving = undefined;
      });
      await this.#reserving;
    }
    return this.#next++;
  }

  /** Forgets the reserved block (after an import replaced the counters). */
  reset(): void {
    this.#next = this.#end = 0;
  }

  async #reserve(): Promise<void> {
    const block = this.#block;
    const entry = await this.#store
      .collection<CounterDoc>(C.meta)
      .update(`counter:${this.#name}`, (cur) => ({ next: (cur?.next ?? 1) + block }), {
        attempts: 100,
      });
    this.#end = entry.value.next;
    this.#next = this.#end - block;
  }
}
