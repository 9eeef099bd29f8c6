import { LinkedList, type ListNode } from './linked-list.js';
import type { L1Policy, L1PolicyOptions } from './policy.js';

interface LfuNode<V> extends ListNode {
  readonly key: string;
  value: V;
  weight: number;
  bucket: Bucket<V>;
}

/** All nodes with one access count, LRU-ordered; buckets form a list by increasing count. */
interface Bucket<V> {
  readonly count: number;
  readonly nodes: LinkedList<LfuNode<V>>;
  prev: Bucket<V> | null;
  next: Bucket<V> | null;
}

/**
 * Least-frequently-used with O(1) operations (frequency buckets; LRU order inside a bucket).
 * Classic LFU has no aging: old favourites stay. W-TinyLFU is the aging, admission-filtered
 * variant; this one is here for traces where that is what you want.
 */
export class LfuPolicy<V> implements L1Policy<V> {
  readonly name = 'lfu' as const;
  readonly capacity: number;
  readonly #map = new Map<string, LfuNode<V>>();
  readonly #onEvict: ((key: string, value: V) => void) | undefined;
  /** The lowest-count bucket (may be empty only transiently). */
  #first: Bucket<V> | null = null;
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
    const node = this.#map.get(key);
    if (node === undefined) return undefined;
    this.#promote(node);
    return node.value;
  }

  peek(key: string): V | undefined {
    return this.#map.get(key)?.value;
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
      this.#promote(existing);
      this.#evict(existing);
      return true;
    }
    this.#weight += weight;
    this.#evict(undefined);
    let first = this.#first;
    if (first === null || first.count !== 1) first = this.#bucketAfter(null, 1);
    const node: LfuNode<V> = { key, value, weight, bucket: first, prev: null, next: null };
    first.nodes.push(node);
    this.#map.set(key, node);
    return true;
  }

  delete(key: string): boolean {
    const node = this.#map.get(key);
    if (node === undefined) return false;
    this.#unlink(node);
    this.#map.delete(key);
    this.#weight -= node.weight;
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#first = null;
    this.#weight = 0;
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  /** Evicts lowest-count, least recent nodes until the weight fits (never `keep`). */
  #evict(keep: LfuNode<V> | undefined): void {
    while (this.#weight > this.capacity) {
      const victim = this.#victim(keep);
      if (victim === undefined) return;
      this.#unlink(victim);
      this.#map.delete(victim.key);
      this.#weight -= victim.weight;
      this.#onEvict?.(victim.key, victim.value);
    }
  }

  #victim(keep: LfuNode<V> | undefined): LfuNode<V> | undefined {
    for (let b = this.#first; b !== null; b = b.next) {
      let n = b.nodes.head;
      if (n !== undefined && n === keep)
        n = b.nodes.length > 1 ? (n.next as LfuNode<V>) : undefined;
      if (n !== undefined) return n;
    }
    return undefined;
  }

  #promote(node: LfuNode<V>): void {
    const bucket = node.bucket;
    const count = bucket.count + 1;
    let target = bucket.next;
    if (target === null || target.count !== count) target = this.#bucketAfter(bucket, count);
    bucket.nodes.remove(node);
    if (bucket.nodes.length === 0) this.#dropBucket(bucket);
    node.bucket = target;
    target.nodes.push(node);
  }

  #unlink(node: LfuNode<V>): void {
    const bucket = node.bucket;
    bucket.nodes.remove(node);
    if (bucket.nodes.length === 0) this.#dropBucket(bucket);
  }

  /** A new bucket for `count` right after `after` (null: at the front). */
  #bucketAfter(after: Bucket<V> | null, count: number): Bucket<V> {
    const next = after === null ? this.#first : after.next;
    const b: Bucket<V> = { count, nodes: new LinkedList(), prev: after, next };
    if (next !== null) next.prev = b;
    if (after === null) this.#first = b;
    else after.next = b;
    return b;
  }

  #dropBucket(b: Bucket<V>): void {
    if (b.prev === null) this.#first = b.next;
    else b.prev.next = b.next;
    if (b.next !== null) b.next.prev = b.prev;
  }
}
