/**
 * RFC 6962 / RFC 9162 Merkle tree hashing for the audit log.
 *
 * - leaf hash: SHA-256(0x00 ‖ leaf bytes); interior node: SHA-256(0x01 ‖ left ‖ right);
 *   the hash of the empty tree is SHA-256 of nothing (RFC 9162 §2.1.1).
 * - {@link MerkleTree} keeps the hash of every complete ("perfect", power-of-two sized and
 *   aligned) subtree, level by level, in flat byte arrays: appending a leaf costs one leaf hash
 *   plus one node hash amortised, and any root, inclusion proof or consistency proof for any
 *   size up to the current one is O(log n) hash reads plus at most O(log n) hash computations
 *   for the one incomplete right edge.
 * - {@link verifyInclusion} and {@link verifyConsistency} are the verification algorithms of
 *   RFC 9162 §2.1.3.2 and §2.1.4.2: pure functions of the proof, needing no access to the log.
 */
import { createHash, hash } from 'node:crypto';

const HASH_BYTES = 32;
const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** SHA-256 of the empty string: the root of a tree with no leaves. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** RFC 6962 leaf hash of UTF-8 `text`, as hex (no Buffer allocated). */
export function leafHashHex(text: string): string {
  return hash('sha256', '\u0000' + text, 'hex');
}

/** RFC 6962 leaf hash of `data` (UTF-8 text or bytes). */
export function leafHash(data: string | Uint8Array): Buffer {
  // U+0000 is the single byte 0x00 in UTF-8: the one-shot hash of '\0' + text is the leaf hash.
  if (typeof data === 'string') return hash('sha256', '\u0000' + data, 'buffer');
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

const scratch = Buffer.alloc(1 + 2 * HASH_BYTES);
scratch[0] = NODE_PREFIX[0] as number;

/** RFC 6962 interior node hash. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) {
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  }
  scratch.set(left, 1);
  scratch.set(right, 1 + HASH_BYTES);
  return hash('sha256', scratch, 'buffer');
}

/** The largest power of two strictly smaller than `n` (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** An append-only Merkle tree over leaf hashes, holding every complete subtree's hash. */
export class MerkleTree {
  /** levels[h] holds the hashes of the complete subtrees of 2^h leaves, left to right. */
  readonly #levels: Buffer[] = [];
  /** How many hashes each level holds. */
  readonly #counts: number[] = [];
  #size = 0;

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  /** Appends one leaf hash (32 bytes). */
  push(leaf: Uint8Array): void {
    if (leaf.length !== HASH_BYTES) throw new RangeError('a leaf hash is 32 bytes');
    const index = this.#slot(0);
    (this.#levels[0] as Buffer).set(leaf, index * HASH_BYTES);
    this.#climb(index);
  }

  /**
   * Appends one leaf hash given as 64 hex digits. The hot path: the hash is written straight
   * into the level array, and no Buffer is allocated per leaf or per node.
   */
  pushHex(leaf: string): void {
    const index = this.#slot(0);
    if ((this.#levels[0] as Buffer).write(leaf, index * HASH_BYTES, HASH_BYTES, 'hex') !== 32) {
      throw new RangeError('a leaf hash is 64 hex digits');
    }
    this.#climb(index);
  }

  /** Completes the subtrees the new leaf at `index` closes, bottom up. */
  #climb(leafIndex: number): void {
    let index = leafIndex;
    for (let h = 0; (index & 1) === 1; h++) {
      // The two children are adjacent in their level: one copy after the 0x01 prefix.
      (this.#levels[h] as Buffer).copy(
        scratch,
        1,
        (index - 1) * HASH_BYTES,
        (index + 1) * HASH_BYTES,
      );
      const parent = hash('sha256', scratch, 'hex');
      index = this.#slot(h + 1);
      (this.#levels[h + 1] as Buffer).write(parent, index * HASH_BYTES, HASH_BYTES, 'hex');
    }
    this.#size++;
  }

  /** Reserves the next slot of level `h` (growing it) and returns its index. */
  #slot(h: number): number {
    if (this.#levels.length <= h) {
      this.#levels.push(Buffer.allocUnsafe(HASH_BYTES * 64));
      this.#counts.push(0);
    }
    const count = this.#counts[h] as number;
    const level = this.#levels[h] as Buffer;
    if ((count + 1) * HASH_BYTES > level.length) {
      const grown = Buffer.allocUnsafe(level.length * 2);
      level.copy(grown, 0, 0, count * HASH_BYTES);
      this.#levels[h] = grown;
    }
    this.#counts[h] = count + 1;
    return count;
  }

  /** The stored hash of complete subtree `index` at level `h` (a view, do not keep it). */
  #at(h: number, index: number): Buffer {
    const level = this.#levels[h] as Buffer;
    return level.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  /** The hash of leaf `index`. */
  leaf(index: number): Buffer {
    this.#checkIndex(index, this.#size);
    return Buffer.from(this.#at(0, index));
  }

  /**
   * MTH(D[lo:hi]) for a range whose start is aligned to the largest power of two below its
   * length (every range the RFC 9162 recursions visit is).
   */
  #range(lo: number, hi: number): Buffer {
    const n = hi - lo;
    if ((n & (n - 1)) === 0) {
      const h = 31 - Math.clz32(n);
      return this.#at(h, lo >>> h);
    }
    const k = splitPoint(n);
    return nodeHash(this.#at(31 - Math.clz32(k), lo / k), this.#range(lo + k, hi));
  }

  /** The Merkle tree hash of the first `size` leaves. */
  root(size: number = this.#size): Buffer {
    this.#checkSize(size);
    if (size === 0) return Buffer.from(EMPTY_ROOT);
    return Buffer.from(this.#range(0, size));
  }

  /** RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size: number = this.#size): Buffer[] {
    this.#checkSize(size);
    this.#checkIndex(index, size);
    const path: Buffer[] = [];
    let lo = 0;
    let hi = size;
    let m = index;
    while (hi - lo > 1) {
      const k = splitPoint(hi - lo);
      if (m < k) {
        path.push(Buffer.from(this.#range(lo + k, hi)));
        hi = lo + k;
      } else {
        path.push(Buffer.from(this.#range(lo, lo + k)));
        lo += k;
        m -= k;
      }
    }
    return path.reverse();
  }

  /** RFC 9162 §2.1.4.1 consistency proof between the trees of `oldSize` and `newSize` leaves. */
  consistencyProof(oldSize: number, newSize: number = this.#size): Buffer[] {
    this.#checkSize(newSize);
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
      throw new RangeError(`old size ${oldSize} is not in [0, ${newSize}]`);
    }
    if (oldSize === 0 || oldSize === newSize) return [];
    const proof: Buffer[] = [];
    // SUBPROOF(m, D[lo:hi], b), unrolled.
    let lo = 0;
    let hi = newSize;
    let m = oldSize;
    let complete = true;
    while (m !== hi - lo) {
      const k = splitPoint(hi - lo);
      if (m <= k) {
        proof.push(Buffer.from(this.#range(lo + k, hi)));
        hi = lo + k;
      } else {
        proof.push(Buffer.from(this.#range(lo, lo + k)));
        lo += k;
        m -= k;
        complete = false;
      }
    }
    if (!complete) proof.push(Buffer.from(this.#range(lo, hi)));
    return proof.reverse();
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.#size) {
      throw new RangeError(`tree size ${size} is not in [0, ${this.#size}]`);
    }
  }

  #checkIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`leaf index ${index} is not in [0, ${size})`);
    }
  }
}

function bytesOf(hex: unknown): Buffer | undefined {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` (hex hashes, leaf to root) proves that `leaf` (a leaf
 * hash, hex) is leaf `index` of the tree of `treeSize` leaves whose root is `root`. Never
 * throws: malformed input is `false`.
 */
export function verifyInclusion(
  leaf: string,
  index: number,
  treeSize: number,
  proof: readonly string[],
  root: string,
): boolean {
  const leafBytes = bytesOf(leaf);
  const rootBytes = bytesOf(root);
  if (leafBytes === undefined || rootBytes === undefined || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return false;
  if (index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = leafBytes;
  for (const hex of proof) {
    const p = bytesOf(hex);
    if (p === undefined || sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(rootBytes);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` (hex hashes) proves that the tree of `oldSize` leaves with
 * root `oldRoot` is a prefix of the tree of `newSize` leaves with root `newRoot`. Never throws.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: string,
  newRoot: string,
  proof: readonly string[],
): boolean {
  const first = bytesOf(oldRoot);
  const second = bytesOf(newRoot);
  if (first === undefined || second === undefined || !Array.isArray(proof)) return false;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize)) return false;
  if (oldSize < 0 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && first.equals(second);
  if (oldSize === 0) return proof.length === 0;
  const path: Buffer[] = [];
  for (const hex of proof) {
    const p = bytesOf(hex);
    if (p === undefined) return false;
    path.push(p);
  }
  // If the old size is a power of two, the old root is the first hash of the proof.
  if ((oldSize & (oldSize - 1)) === 0) path.unshift(first);
  if (path.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while ((fn & 1) === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Buffer;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Buffer;
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(first) && sr.equals(second);
}
