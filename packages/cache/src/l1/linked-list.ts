/** A node of an intrusive doubly-linked list (the policies' entries extend it). */
export interface ListNode {
  prev: ListNode | null;
  next: ListNode | null;
}

/**
 * An intrusive doubly-linked list with a sentinel: head side = least recently used, tail side =
 * most recently used. Nodes carry their own links, so moves allocate nothing.
 */
export class LinkedList<N extends ListNode> {
  readonly #sentinel: ListNode;
  length = 0;

  constructor() {
    const s: ListNode = { prev: null, next: null };
    s.prev = s;
    s.next = s;
    this.#sentinel = s;
  }

  /** The least recently used node, or undefined. */
  get head(): N | undefined {
    const n = this.#sentinel.next;
    return n === this.#sentinel ? undefined : (n as N);
  }

  /** Appends at the MRU end. */
  push(node: N): void {
    const s = this.#sentinel;
    const last = s.prev as ListNode;
    node.prev = last;
    node.next = s;
    last.next = node;
    s.prev = node;
    this.length++;
  }

  remove(node: N): void {
    (node.prev as ListNode).next = node.next;
    (node.next as ListNode).prev = node.prev;
    node.prev = null;
    node.next = null;
    this.length--;
  }

  /** Moves a node of this list to the MRU end. */
  touch(node: N): void {
    const s = this.#sentinel;
    if (s.prev === node) return;
    (node.prev as ListNode).next = node.next;
    (node.next as ListNode).prev = node.prev;
    const last = s.prev as ListNode;
    node.prev = last;
    node.next = s;
    last.next = node;
    s.prev = node;
  }

  clear(): void {
    this.#sentinel.prev = this.#sentinel;
    this.#sentinel.next = this.#sentinel;
    this.length = 0;
  }
}
