import { randomFillSync } from 'node:crypto';
import type { Clock } from './clock.js';
import { coreErrors } from './errors.js';

/**
 * Time-sortable identifiers: UUID version 7 (RFC 9562). The first 48 bits are the Unix time in
 * milliseconds, so ids sort by creation time as strings and as bytes, and index well.
 *
 * Within one millisecond the 12-bit `rand_a` field is a counter (RFC 9562 §6.2, method 1) seeded
 * at a random value below 2^11, so ids made by one generator are strictly increasing. When the
 * counter runs out, or the clock steps backwards, the generator borrows the next millisecond
 * instead of breaking the order. The remaining 62 bits are random.
 */

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

/** Bytes of randomness per id: 2 seed the counter, 8 fill `rand_b` (62 bits used). */
const BYTES_PER_ID = 10;
/** Random bytes are drawn in blocks: one crypto call serves 512 ids. */
const POOL_SIZE = 512 * BYTES_PER_ID;

export interface IdGenerator {
  /** A new UUIDv7 string, strictly greater than every earlier one from this generator. */
  (): string;
}

export interface IdGeneratorOptions {
  /** Time source. @default systemClock-equivalent (`Date.now`) */
  clock?: Pick<Clock, 'now'>;
}

/** Makes an independent UUIDv7 generator (its own counter), optionally on an injected clock. */
export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const now = options.clock ? options.clock.now.bind(options.clock) : Date.now;
  const pool = new Uint8Array(POOL_SIZE);
  let poolOffset = POOL_SIZE;
  let lastMs = -1;
  let counter = 0;

  return function uuidv7(): string {
    if (poolOffset === POOL_SIZE) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const o = poolOffset;
    poolOffset += BYTES_PER_ID;

    // Whole milliseconds: a fractional clock (performance-based, or a ManualClock advanced by
    // 0.5) must not reseed the counter within the millisecond the id encodes.
    let ms = Math.floor(now());
    if (ms > lastMs) {
      lastMs = ms;
      // Seed below 2^11 so at least 2048 increments fit in the same millisecond.
      counter = ((pool[o] as number) << 3) | ((pool[o + 1] as number) & 0x07);
    } else {
      counter++;
      if (counter > 0xfff) {
        lastMs++;
        counter = 0;
      }
      ms = lastMs;
    }

    const hi = Math.floor(ms / 0x1000000); // top 24 bits of the 48-bit timestamp
    const lo = ms % 0x1000000; // bottom 24 bits
    return (
      HEX[(hi >>> 16) & 0xff]! +
      HEX[(hi >>> 8) & 0xff]! +
      HEX[hi & 0xff]! +
      HEX[(lo >>> 16) & 0xff]! +
      '-' +
      HEX[(lo >>> 8) & 0xff]! +
      HEX[lo & 0xff]! +
      '-' +
      HEX[0x70 | (counter >>> 8)]! +
      HEX[counter & 0xff]! +
      '-' +
      HEX[0x80 | ((pool[o + 2] as number) & 0x3f)]! +
      HEX[pool[o + 3] as number]! +
      '-' +
      HEX[pool[o + 4] as number]! +
      HEX[pool[o + 5] as number]! +
      HEX[pool[o + 6] as number]! +
      HEX[pool[o + 7] as number]! +
      HEX[pool[o + 8] as number]! +
      HEX[pool[o + 9] as number]!
    );
  };
}

/** The process-wide UUIDv7 generator on the system clock. */
export const uuidv7: IdGenerator = createIdGenerator();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** True for any RFC 9562 UUID string (any version), case-insensitive. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** True for a version-7 UUID with the RFC variant bits. */
export function isUuidV7(value: unknown): value is string {
  return typeof value === 'string' && UUIDV7_RE.test(value);
}

/** The creation time (epoch ms) encoded in a UUIDv7. Throws `E_INVALID_ARGUMENT` for other ids. */
export function uuidv7Time(id: string): number {
  if (!isUuidV7(id)) {
    throw coreErrors.create('E_INVALID_ARGUMENT', `not a UUIDv7: ${JSON.stringify(id)}`, {
      details: { id },
    });
  }
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
