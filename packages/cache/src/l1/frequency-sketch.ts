/** Row seeds (odd 32-bit constants): each row indexes the key's hash differently. */
const SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f] as const;
/** 4-bit counters: at most 15, as in TinyLFU (saturation beyond that adds nothing). */
const MAX_COUNT = 15;

function nextPowerOfTwo(n: number): number {
  let p = 16;
  while (p < n && p < 1 << 26) p <<= 1;
  return p;
}

/**
 * TinyLFU's approximate frequency counter: a count-min sketch (4 rows, saturating counters) with
 * periodic aging (all counters halved every `10 × expected` additions, so yesterday's favourites
 * fade) and a doorkeeper (a Bloom filter that absorbs the first sighting of each key, so the
 * long tail of one-hit wonders never pollutes the counters). Keys arrive pre-hashed.
 */
export class FrequencySketch {
  #table: Uint8Array = new Uint8Array(0);
  #door: Uint32Array = new Uint32Array(0);
  #mask = 0;
  #doorMask = 0;
  #additions = 0;
  #sampleSize = 0;

  constructor(expectedEntries: number) {
    this.ensureCapacity(expectedEntries);
  }

  /** Grows the sketch for `expected` distinct keys (counts restart; aging would lose them soon). */
  ensureCapacity(expected: number): void {
    const width = nextPowerOfTwo(Math.max(16, Math.ceil(expected)));
    if (width <= this.#mask + 1 && this.#table.length > 0) return;
    this.#table = new Uint8Array(width * SEEDS.length);
    this.#mask = width - 1;
    this.#sampleSize = 10 * Math.max(16, Math.ceil(expected));
    // The doorkeeper sees every key of a sample period once: ~8 bits per addition keeps its
    // false-positive rate near 5 % (two probes), so one-hit wonders rarely reach the counters.
    const doorBits = nextPowerOfTwo(this.#sampleSize * 8);
    this.#door = new Uint32Array(doorBits >>> 5);
    this.#doorMask = doorBits - 1;
    this.#additions = 0;
  }

  /** Records one occurrence of the key with this hash. */
  increment(hash: number): void {
    const d1 = hash & this.#doorMask;
    const d2 = (Math.imul(hash, 0x2545f491) >>> 0) & this.#doorMask;
    const door = this.#door;
    const b1 = 1 << (d1 & 31);
    const b2 = 1 << (d2 & 31);
    if (((door[d1 >>> 5] as number) & b1) === 0 || ((door[d2 >>> 5] as number) & b2) === 0) {
      door[d1 >>> 5] = (door[d1 >>> 5] as number) | b1;
      door[d2 >>> 5] = (door[d2 >>> 5] as number) | b2;
    } else {
      const table = this.#table;
      const mask = this.#mask;
      const width = mask + 1;
      for (let row = 0; row < 4; row++) {
        const x = Math.imul(hash, SEEDS[row] as number);
        const i = row * width + ((x ^ (x >>> 17)) & mask);
        if ((table[i] as number) < MAX_COUNT) table[i] = (table[i] as number) + 1;
      }
    }
    if (++this.#additions >= this.#sampleSize) this.#age();
  }

  /** Estimated occurrences (within the aging window) of the key with this hash. */
  frequency(hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const width = mask + 1;
    let min = MAX_COUNT;
    for (let row = 0; row < 4; row++) {
      const x = Math.imul(hash, SEEDS[row] as number);
      const c = table[row * width + ((x ^ (x >>> 17)) & mask)] as number;
      if (c < min) min = c;
    }
    const d1 = hash & this.#doorMask;
    const d2 = (Math.imul(hash, 0x2545f491) >>> 0) & this.#doorMask;
    const door = this.#door;
    const seen =
      ((door[d1 >>> 5] as number) & (1 << (d1 & 31))) !== 0 &&
      ((door[d2 >>> 5] as number) & (1 << (d2 & 31))) !== 0;
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
