import { hashString } from '../internal/string-hash.js';
import { FrequencySketch } from './frequency-sketch.js';
import { LinkedList, type ListNode } from './linked-list.js';
import type { L1Policy, L1PolicyOptions } from './policy.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;

interface Node<V> extends ListNode {
  key: string;
  hash: number;
  value: V | undefined;
  weight: number;
  queue: number;
}

export interface WTinyLfuOptions<V> extends L1PolicyOptions<V> {
  /** Share of the capacity given to the admission window (an LRU). @default 0.01 */
  readonly windowRatio?: number;
  /** Share of the main region kept for entries hit at least twice. @default 0.8 */
  readonly protectedRatio?: number;
  /** Distinct keys the sketch is sized for (weight-bounded caches). @default capacity */
  readonly expectedEntries?: number;
  /** Source of the rare random admission of warm candidates (defeats hash flooding). */
  readonly random?: () => number;
}

/**
 * Window TinyLFU, as in Caffeine: new entries land in a small LRU window; the window's victim
 * then competes for a place in the main region (a segmented LRU: probation for entries seen once
 * in main, protected for entries hit again) against main's victim, and wins only if the
 * frequency sketch says it is accessed more often. The window absorbs bursts (recency), the
 * sketch keeps one-hit wonders from flushing popular entries (frequency).
 */
export class WTinyLfuPolicy<V> implements L1Policy<V> {
  readonly name = 'w-tinylfu' as const;
  readonly capacity: number;
  readonly #map = new Map<string, Node<V>>();
  readonly #window = new LinkedList<Node<V>>();
  readonly #probation = new LinkedList<Node<V>>();
  readonly #protected = new LinkedList<Node<V>>();
  readonly #sketch: FrequencySketch;
  readonly #onEvict: ((key: string, value: V) => void) | undefined;
  readonly #random: () => number;
  readonly #windowMax: number;
  readonly #protectedMax: number;
  #sketchSizedFor: number;
  /** The last evicted node, recycled by the next insert. */
  #spare: Node<V> | undefined;
  #windowWeight = 0;
  #probationWeight = 0;
  #protectedWeight = 0;

  constructor(options: WTinyLfuOptions<V>) {
    const capacity = options.capacity;
    this.capacity = capacity;
    this.#onEvict = options.onEvict;
    this.#random = options.random ?? Math.random;
    this.#windowMax = Math.max(1, Math.floor(capacity * (options.windowRatio ?? 0.01)));
    const main = Math.max(0, capacity - this.#windowMax);
    this.#protectedMax = Math.floor(main * (options.protectedRatio ?? 0.8));
    this.#sketchSizedFor = Math.min(options.expectedEntries ?? capacity, 1 << 24);
    this.#sketch = new FrequencySketch(this.#sketchSizedFor);
  }

  get size(): number {
    return this.#map.size;
  }

  get weight(): number {
    return this.#windowWeight + this.#probationWeight + this.#protectedWeight;
  }

  get(key: string): V | undefined {
    const node = this.#map.get(key);
    if (node === undefined) return undefined;
    this.#sketch.incrementResident(node.hash);
    this.#onHit(node);
    return node.value as V;
  }

  peek(key: string): V | undefined {
    const node = this.#map.get(key);
    return node === undefined ? undefined : (node.value as V);
  }

  set(key: string, value: V, weight = 1): boolean {
    const existing = this.#map.get(key);
    if (weight > this.capacity) {
      if (existing !== undefined) this.delete(key);
      return false;
    }
    if (existing !== undefined) {
      this.#addWeight(existing, weight - existing.weight);
      existing.weight = weight;
      existing.value = value;
      this.#sketch.increment(existing.hash);
      this.#onHit(existing);
      this.#evict();
      return true;
    }
    // Reuse the last evicted node: in steady state every insert evicts one, so no allocation.
    let node = this.#spare;
    if (node !== undefined) {
      this.#spare = undefined;
      node.key = key;
      node.hash = hashString(key);
      node.value = value;
      node.weight = weight;
      node.queue = WINDOW;
    } else {
      node = { key, hash: hashString(key), value, weight, queue: WINDOW, prev: null, next: null };
    }
    this.#map.set(key, node);
    if (this.#map.size > 2 * this.#sketchSizedFor) {
      // Weight-bounded caches guess their entry count; grow the sketch when the guess was low.
      this.#sketchSizedFor = this.#map.size * 2;
      this.#sketch.ensureCapacity(this.#sketchSizedFor);
    }
    this.#sketch.increment(node.hash);
    this.#window.push(node);
    this.#windowWeight += weight;
    this.#evict();
    return true;
  }

  delete(key: string): boolean {
    const node = this.#map.get(key);
    if (node === undefined) return false;
    this.#unlink(node);
    this.#map.delete(key);
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#window.clear();
    this.#probation.clear();
    this.#protected.clear();
    this.#windowWeight = this.#probationWeight = this.#protectedWeight = 0;
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  #onHit(node: Node<V>): void {
    switch (node.queue) {
      case WINDOW:
        this.#window.touch(node);
        return;
      case PROTECTED:
        this.#protected.touch(node);
        return;
      default:
        // A second hit in main: promote, and demote protected's LRU if protected overflows.
        this.#probation.remove(node);
        this.#probationWeight -= node.weight;
        node.queue = PROTECTED;
        this.#protected.push(node);
        this.#protectedWeight += node.weight;
        while (this.#protectedWeight > this.#protectedMax) {
          const demoted = this.#protected.head as Node<V>;
          if (demoted === node && this.#protected.length === 1) break;
          this.#protected.remove(demoted);
          this.#protectedWeight -= demoted.weight;
          demoted.queue = PROBATION;
          this.#probation.push(demoted);
          this.#probationWeight += demoted.weight;
        }
    }
  }

  /** Moves window overflow into main, where each candidate must out-score main's victim. */
  #evict(): void {
    while (this.#windowWeight > this.#windowMax && this.#window.length > 1) {
      const candidate = this.#window.head as Node<V>;
      this.#window.remove(candidate);
      this.#windowWeight -= candidate.weight;
      candidate.queue = PROBATION;
      this.#probation.push(candidate);
      this.#probationWeight += candidate.weight;
      this.#admit(candidate);
    }
    // Weight updates can overflow without a window move: evict main's LRU, then the window's.
    while (this.weight > this.capacity) {
      const victim = this.#probation.head ?? this.#protected.head ?? this.#window.head;
      if (victim === undefined) return;
      this.#drop(victim);
    }
  }

  /** Resolves the overflow caused by `candidate` entering probation. */
  #admit(candidate: Node<V>): void {
    while (this.weight > this.capacity) {
      let victim = this.#probation.head;
      if (victim === candidate) victim = this.#protected.head;
      if (victim === undefined) {
        if (this.weight > this.capacity) this.#drop(candidate);
        return;
      }
      if (this.#admits(candidate, victim)) this.#drop(victim);
      else {
        this.#drop(candidate);
        return;
      }
    }
  }

  #admits(candidate: Node<V>, victim: Node<V>): boolean {
    const c = this.#sketch.frequency(candidate.hash);
    const v = this.#sketch.frequency(victim.hash);
    if (c > v) return true;
    // A warm candidate sometimes wins a tie or a loss, so crafted collisions cannot pin the
    // victim forever (Caffeine's defence against hash flooding).
    return c >= 6 && this.#random() < 1 / 128;
  }

  #drop(node: Node<V>): void {
    this.#unlink(node);
    this.#map.delete(node.key);
    this.#onEvict?.(node.key, node.value as V);
    node.value = undefined;
    this.#spare = node;
  }

  #unlink(node: Node<V>): void {
    if (node.queue === WINDOW) {
      this.#window.remove(node);
      this.#windowWeight -= node.weight;
    } else if (node.queue === PROBATION) {
      this.#probation.remove(node);
      this.#probationWeight -= node.weight;
    } else {
      this.#protected.remove(node);
      this.#protectedWeight -= node.weight;
    }
  }

  #addWeight(node: Node<V>, delta: number): void {
    if (node.queue === WINDOW) this.#windowWeight += delta;
    else if (node.queue === PROBATION) this.#probationWeight += delta;
    else this.#protectedWeight += delta;
  }
}
