/** 4-bit counters: at most 15, as in TinyLFU (saturation beyond that adds nothing). */
const MAX_COUNT = 15;
/** Counters per block: one 64-byte cache line, 16 counters per row for 4 rows. */
const BLOCK = 64;

function nextPowerOfTwo(n: number, max = 1 << 26): number {
  let p = 16;
  while (p < n && p < max) p <<= 1;
  return p;
}

/**
 * TinyLFU's approximate frequency counter: a count-min sketch (4 rows, saturating counters) with
 * periodic aging (all counters halved every `10 × expected` additions, so yesterday's favourites
 * fade) and a doorkeeper (a Bloom filter that absorbs the first sighting of each key, so the
 * long tail of one-hit wonders never pollutes the counters). Keys arrive pre-hashed.
 *
 * Layout, as in Caffeine: a key's four counters sit in one 64-byte block (a row per 16 bytes),
 * so an increment touches one cache line of counters instead of four.
 */
export class FrequencySketch {
  #table: Uint8Array = new Uint8Array(0);
  #door: Uint32Array = new Uint32Array(0);
  #blockMask = 0;
  #doorMask = 0;
  #additions = 0;
  #sampleSize = 0;

  constructor(expectedEntries: number) {
    this.ensureCapacity(expectedEntries);
  }

  /** Grows the sketch for `expected` distinct keys (counts restart; aging would lose them soon). */
  ensureCapacity(expected: number): void {
    const counters = nextPowerOfTwo(Math.max(16, Math.ceil(expected)) * 4);
    if (this.#table.length >= counters) return;
    const blocks = Math.max(1, counters / BLOCK);
    this.#table = new Uint8Array(blocks * BLOCK);
    this.#blockMask = blocks - 1;
    this.#sampleSize = 10 * Math.max(16, Math.ceil(expected));
    // The doorkeeper sees every key of a sample period once: ~8 bits per addition keeps its
    // false-positive rate near 5 % (two probes), so one-hit wonders rarely reach the counters.
    const doorWords = nextPowerOfTwo((this.#sampleSize * 8) >>> 5, 1 << 23);
    this.#door = new Uint32Array(doorWords);
    // Mask of a block's first word: blocks are 16 words (64 bytes) aligned.
    this.#doorMask = (doorWords - 1) & ~15;
    this.#additions = 0;
  }

  /** Records one occurrence of the key with this hash. */
  increment(hash: number): void {
    const door = this.#door;
    // Doorkeeper: a blocked Bloom filter, both probes in one 64-byte block (16 words).
    const blk = (Math.imul(hash, 0x2545f491) >>> 0) & this.#doorMask;
    const i1 = blk + ((hash >>> 16) & 15);
    const i2 = blk + ((hash >>> 20) & 15);
    const b1 = 1 << ((hash >>> 24) & 31);
    const b2 = 1 << (((hash >>> 24) + 7 + (hash & 7)) & 31);
    const w1 = door[i1] as number;
    if ((w1 & b1) === 0 || ((door[i2] as number) & b2) === 0) {
      door[i1] = w1 | b1;
      door[i2] = (door[i2] as number) | b2;
    } else {
      const table = this.#table;
      const base = ((Math.imul(hash, 0x9e3779b1) >>> 16) & this.#blockMask) * BLOCK;
      // Row r uses 4 bits of the hash (bits 4r..4r+3) to pick one of its 16 counters.
      const c0 = base + (hash & 15);
      const c1 = base + 16 + ((hash >>> 4) & 15);
      const c2 = base + 32 + ((hash >>> 8) & 15);
      const c3 = base + 48 + ((hash >>> 12) & 15);
      if ((table[c0] as number) < MAX_COUNT) table[c0] = (table[c0] as number) + 1;
      if ((table[c1] as number) < MAX_COUNT) table[c1] = (table[c1] as number) + 1;
      if ((table[c2] as number) < MAX_COUNT) table[c2] = (table[c2] as number) + 1;
      if ((table[c3] as number) < MAX_COUNT) table[c3] = (table[c3] as number) + 1;
    }
    if (++this.#additions >= this.#sampleSize) this.#age();
  }

  /**
   * Records an occurrence of a key the cache already holds (a hit): it has passed the
   * doorkeeper, so this goes straight to the counters — one cache line instead of two.
   */
  incrementResident(hash: number): void {
    const table = this.#table;
    const base = ((Math.imul(hash, 0x9e3779b1) >>> 16) & this.#blockMask) * BLOCK;
    const c0 = base + (hash & 15);
    const c1 = base + 16 + ((hash >>> 4) & 15);
    const c2 = base + 32 + ((hash >>> 8) & 15);
    const c3 = base + 48 + ((hash >>> 12) & 15);
    if ((table[c0] as number) < MAX_COUNT) table[c0] = (table[c0] as number) + 1;
    if ((table[c1] as number) < MAX_COUNT) table[c1] = (table[c1] as number) + 1;
    if ((table[c2] as number) < MAX_COUNT) table[c2] = (table[c2] as number) + 1;
    if ((table[c3] as number) < MAX_COUNT) table[c3] = (table[c3] as number) + 1;
    if (++this.#additions >= this.#sampleSize) this.#age();
  }

  /** Estimated occurrences (within the aging window) of the key with this hash. */
  frequency(hash: number): number {
    const table = this.#table;
    const base = ((Math.imul(hash, 0x9e3779b1) >>> 16) & this.#blockMask) * BLOCK;
    const min = Math.min(
      table[base + (hash & 15)] as number,
      table[base + 16 + ((hash >>> 4) & 15)] as number,
      table[base + 32 + ((hash >>> 8) & 15)] as number,
      table[base + 48 + ((hash >>> 12) & 15)] as number,
    );
    const door = this.#door;
    const blk = (Math.imul(hash, 0x2545f491) >>> 0) & this.#doorMask;
    const seen =
      ((door[blk + ((hash >>> 16) & 15)] as number) & (1 << ((hash >>> 24) & 31))) !== 0 &&
      ((door[blk + ((hash >>> 20) & 15)] as number) &
        (1 << (((hash >>> 24) + 7 + (hash & 7)) & 31))) !==
        0;
    return seen ? min + 1 : min;
  }

  /** Halves every counter and empties the doorkeeper. */
  #age(): void {
    const table = this.#table;
    for (let i = 0; i < table.length; i++) table[i] = (table[i] as number) >>> 1;
    this.#door.fill(0);
    this.#additions = this.#additions >>> 1;
  }
}
