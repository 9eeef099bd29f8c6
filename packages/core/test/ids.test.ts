import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  createIdGenerator,
  isPlinthError,
  isUuid,
  isUuidV7,
  uuidv7,
  uuidv7Time,
} from '../src/index.js';

/** Ids in one millisecond that are sure to overflow the 12-bit counter. */
const BURST = 4_100;

const UUIDV7_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The id's 16 bytes. */
function bytes(id: string): number[] {
  const hex = id.replaceAll('-', '');
  return Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

function expectStrictlyIncreasing(ids: readonly string[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!((ids[i - 1] as string) < (ids[i] as string))) {
      expect.fail(`id ${i} (${ids[i]}) is not greater than id ${i - 1} (${ids[i - 1]})`);
    }
  }
}

describe('uuidv7', () => {
  it('produces lowercase canonical UUID strings', () => {
    for (let i = 0; i < 100; i++) expect(uuidv7()).toMatch(UUIDV7_FORMAT);
  });

  it('sets version 7 in the top nibble of byte 6 and the RFC variant (0b10) in byte 8', () => {
    const b = bytes(uuidv7());
    expect((b[6] as number) >> 4).toBe(7);
    expect((b[8] as number) >> 6).toBe(0b10);
  });

  it('encodes the current Unix time in milliseconds in the first 48 bits', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(uuidv7Time(id)).toBeGreaterThanOrEqual(before);
    expect(uuidv7Time(id)).toBeLessThanOrEqual(after + 2);
  });

  it('is unique over 100k ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(uuidv7());
    expect(ids.size).toBe(100_000);
  });

  it('is strictly increasing across calls', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    expectStrictlyIncreasing(ids);
  });
});

describe('createIdGenerator', () => {
  it('encodes the injected clock time, which uuidv7Time reads back', () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0, 0, 123));
    const next = createIdGenerator({ clock });
    expect(uuidv7Time(next())).toBe(clock.now());
    clock.advance(1_000);
    expect(uuidv7Time(next())).toBe(clock.now());
  });

  it('encodes the full 48-bit timestamp in big-endian order', () => {
    const ms = 0x0123_4567_89ab;
    const id = createIdGenerator({ clock: new ManualClock(ms) })();
    expect(id.slice(0, 13)).toBe('01234567-89ab');
    expect(uuidv7Time(id)).toBe(ms);
  });

  it('encodes time 0 and the largest 48-bit time', () => {
    expect(uuidv7Time(createIdGenerator({ clock: new ManualClock(0) })())).toBe(0);
    const max = 2 ** 48 - 1;
    const id = createIdGenerator({ clock: new ManualClock(max) })();
    expect(id.slice(0, 13)).toBe('ffffffff-ffff');
    expect(uuidv7Time(id)).toBe(max);
  });

  it('is strictly increasing for 10,000 ids within one frozen millisecond', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const next = createIdGenerator({ clock });
    const ids = Array.from({ length: 10_000 }, () => next());
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(10_000);
    for (const id of ids) expect(isUuidV7(id)).toBe(true);
  });

  it('borrows the next millisecond when the 12-bit counter overflows, moving at most 2 ms', () => {
    const start = 1_700_000_000_000;
    const next = createIdGenerator({ clock: new ManualClock(start) });
    // The counter is seeded below 2^11, so 8192 ids overflow it once or twice, never more.
    const ids = Array.from({ length: 8_192 }, () => next());
    expectStrictlyIncreasing(ids);
    const times = ids.map(uuidv7Time);
    expect(times[0]).toBe(start);
    const last = times.at(-1) as number;
    expect(last).toBeGreaterThanOrEqual(start + 1);
    expect(last).toBeLessThanOrEqual(start + 2);
    // Time never goes backwards, and each borrowed millisecond restarts the counter at 0.
    for (let i = 1; i < ids.length; i++) {
      const t = times[i] as number;
      expect(t - (times[i - 1] as number)).toBeGreaterThanOrEqual(0);
      if (t !== times[i - 1]) expect((ids[i] as string).slice(14, 18)).toBe('7000');
    }
  });

  it('seeds the counter below 2^11 on each new millisecond', () => {
    const clock = new ManualClock(1_000);
    const next = createIdGenerator({ clock });
    for (let i = 0; i < 200; i++) {
      clock.advance(1);
      const counter = parseInt(next().slice(15, 18), 16);
      expect(counter).toBeLessThan(2 ** 11);
    }
  });

  it('keeps ids increasing when the clock steps backwards, encoding the later time', () => {
    let now = 5_000;
    const next = createIdGenerator({ clock: { now: () => now } });
    const a = next();
    now = 4_000;
    const b = next();
    const c = next();
    expectStrictlyIncreasing([a, b, c]);
    expect(uuidv7Time(b)).toBe(5_000);
    now = 6_000;
    const d = next();
    expect(d > c).toBe(true);
    expect(uuidv7Time(d)).toBe(6_000);
  });

  it('keeps ids increasing on a clock with fractional milliseconds', () => {
    const clock = new ManualClock(1_000);
    const next = createIdGenerator({ clock });
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      ids.push(next());
      clock.advance(0.25);
    }
    expectStrictlyIncreasing(ids);
    expect(uuidv7Time(ids[1] as string)).toBe(1_000);
    expect(uuidv7Time(ids.at(-1) as string)).toBe(1_099);
  });

  it('gives independent generators independent counters', () => {
    const clock = new ManualClock(1_000);
    const a = createIdGenerator({ clock });
    const b = createIdGenerator({ clock });
    const ids = [a(), b(), a(), b()];
    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => uuidv7Time(id) === 1_000)).toBe(true);
  });

  it('fills the random bits differently for ids in the same millisecond', () => {
    const next = createIdGenerator({ clock: new ManualClock(1_000) });
    const tails = new Set(Array.from({ length: 1_000 }, () => next().slice(19)));
    expect(tails.size).toBe(1_000);
  });

  it('stays strictly increasing and never encodes a time before the clock, whatever the clock does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { arbitrary: fc.integer({ min: -5, max: 5 }), weight: 10 },
            { arbitrary: fc.double({ min: -3, max: 3, noNaN: true }), weight: 10 },
            // A burst that overflows the counter within one millisecond.
            { arbitrary: fc.constant(BURST), weight: 1 },
          ),
          { maxLength: 40 },
        ),
        (steps) => {
          let now = 1_700_000_000_000;
          const next = createIdGenerator({ clock: { now: () => now } });
          let previous = next();
          for (const step of steps) {
            const burst = step === BURST ? BURST : 1;
            if (burst === 1) now += step;
            for (let i = 0; i < burst; i++) {
              const id = next();
              if (!(id > previous)) return false;
              if (uuidv7Time(id) < Math.floor(now)) return false;
              previous = id;
            }
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('isUuid / isUuidV7', () => {
  it('accepts UUIDs of any version, in either case', () => {
    expect(isUuid('123e4567-e89b-12d3-a456-426614174000')).toBe(true);
    expect(isUuid('123E4567-E89B-12D3-A456-426614174000')).toBe(true);
    expect(isUuid('00000000-0000-0000-0000-000000000000')).toBe(true);
    expect(isUuid(uuidv7())).toBe(true);
  });

  it('rejects non-strings and malformed strings', () => {
    expect(isUuid(undefined)).toBe(false);
    expect(isUuid(42)).toBe(false);
    expect(isUuid('123e4567e89b12d3a456426614174000')).toBe(false);
    expect(isUuid('123e4567-e89b-12d3-a456-42661417400')).toBe(false);
    expect(isUuid('123e4567-e89b-12d3-a456-4266141740000')).toBe(false);
    expect(isUuid('g23e4567-e89b-12d3-a456-426614174000')).toBe(false);
    expect(isUuid(' 123e4567-e89b-12d3-a456-426614174000')).toBe(false);
    expect(isUuid('{123e4567-e89b-12d3-a456-426614174000}')).toBe(false);
  });

  it('accepts only version 7 with the RFC variant as a UUIDv7', () => {
    expect(isUuidV7('01890a5d-ac96-774b-bcce-b302099a8057')).toBe(true);
    expect(isUuidV7('01890A5D-AC96-774B-BCCE-B302099A8057')).toBe(true);
    expect(isUuidV7('123e4567-e89b-42d3-a456-426614174000')).toBe(false); // version 4
    expect(isUuidV7('01890a5d-ac96-774b-7cce-b302099a8057')).toBe(false); // NCS variant
    expect(isUuidV7('01890a5d-ac96-774b-ccce-b302099a8057')).toBe(false); // Microsoft variant
    expect(isUuidV7('not-a-uuid')).toBe(false);
    expect(isUuidV7(null)).toBe(false);
  });
});

describe('uuidv7Time', () => {
  it('reads the timestamp of a known id', () => {
    // RFC 9562 appendix A.6: 0x017F22E279B0 is Tuesday, February 22, 2022 2:22:22.00 PM GMT-05:00.
    expect(uuidv7Time('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(0x017f22e279b0);
    expect(new Date(uuidv7Time('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toISOString()).toBe(
      '2022-02-22T19:22:22.000Z',
    );
  });

  it.each([
    ['a version-4 UUID', '123e4567-e89b-42d3-a456-426614174000'],
    ['a malformed string', 'nope'],
    ['an empty string', ''],
  ])('throws E_INVALID_ARGUMENT for %s', (_, id) => {
    let error: unknown;
    try {
      uuidv7Time(id);
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_INVALID_ARGUMENT')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({ id });
    expect((error as Error).message).toContain(JSON.stringify(id));
  });
});
