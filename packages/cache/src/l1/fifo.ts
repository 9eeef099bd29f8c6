import type { L1Policy, L1PolicyOptions } from './policy.js';

interface Slot<V> {
  value: V;
  weight: number;
}

/** First-in, first-out: insertion order (a Map keeps it), reads change nothing. */
export class FifoPolicy<V> implements L1Policy<V> {
  readonly name = 'fifo' as const;
  readonly capacity: number;
  readonly #map = new Map<string, Slot<V>>();
  readonly #onEvict: ((key: string, value: V) => void) | undefined;
  #weight = 0;

  constructor(options: L1PolicyOptions<V>) {
    this.capacity = options.capacity;
    this.#onEvict = options.onEvict;
  }

  get size(): number {
    return this.#map.size;
  }

  get weight(): number {
    return this.#weight;
  }

  get(key: string): V | undefined {
    const slot = this.#map.get(key);
    return slot === undefined ? undefined : slot.value;
  }

  peek(key: string): V | undefined {
    return this.get(key);
  }

  set(key: string, value: V, weight = 1): boolean {
    const existing = this.#map.get(key);
    if (weight > this.capacity) {
      if (existing !== undefined) this.delete(key);
      return false;
    }
    if (existing !== undefined) {
      this.#weight += weight - existing.weight;
      existing.value = value;
      existing.weight = weight;
    } else {
      this.#map.set(key, { value, weight });
      this.#weight += weight;
    }
    while (this.#weight > this.capacity) {
      const first = this.#map.entries().next().value as [string, Slot<V>];
      this.#map.delete(first[0]);
      this.#weight -= first[1].weight;
      this.#onEvict?.(first[0], first[1].value);
    }
    return true;
  }

  delete(key: string): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#map.delete(key);
    this.#weight -= slot.weight;
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#weight = 0;
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }
}
