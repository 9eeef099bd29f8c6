/**
 * Cedar's `datetime` extension type: an instant as signed milliseconds since the Unix epoch
 * (UTC), in the i64 range.
 *
 * Literal syntax (ASCII digits only, proleptic Gregorian calendar, no leap seconds):
 * - `YYYY-MM-DD` (midnight UTC)
 * - `YYYY-MM-DDThh:mm:ssZ` or `YYYY-MM-DDThh:mm:ss.SSSZ`
 * - `YYYY-MM-DDThh:mm:ss±hhmm` or `YYYY-MM-DDThh:mm:ss.SSS±hhmm` (offset below 24h, minutes
 *   below 60; the instant is the local time minus the offset)
 *
 * Literals only reach years 0000–9999, but `offset` moves an instant anywhere in the i64 range.
 */
import { EvalError } from '../eval-error.js';
import { ExtensionValue } from '../values.js';
import { Duration } from './duration.js';
import { addI64, remEuclid, subI64, type I64 } from './i64.js';

const MS_PER_DAY = 86_400_000;

const LITERAL =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{3}))?(?:Z|([+-])([0-9]{2})([0-9]{2})))?$/;

function fail(fn: string, why: string): never {
  throw new EvalError('extension', `error while evaluating \`${fn}\` extension function: ${why}`);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1]!;
}

/** Days from 1970-01-01 to the given civil date (proleptic Gregorian; any year). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date of a day number (days since 1970-01-01); `days` may be a bigint. */
function civilFromDays(days: bigint): [year: bigint, month: number, day: number] {
  const z = days + 719_468n;
  const era = (z >= 0n ? z : z - 146_096n) / 146_097n;
  const doe = Number(z - era * 146_097n);
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = BigInt(yoe) + era * 400n + (month <= 2 ? 1n : 0n);
  return [year, month, day];
}

/** Parses a datetime literal to milliseconds since the epoch; throws an `extension` error. */
function parseDatetime(text: string): number {
  const m = LITERAL.exec(text);
  if (m === null) fail('datetime', `invalid datetime literal \`${text}\``);
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const [year, month, day] = [n(1), n(2), n(3)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    fail('datetime', `invalid date in \`${text}\``);
  }
  const [hh, mm, ss] = [n(4), n(5), n(6)];
  if (hh > 23 || mm > 59 || ss > 59) fail('datetime', `invalid time of day in \`${text}\``);
  const [oh, om] = [n(9), n(10)];
  if (oh > 23 || om > 59) fail('datetime', `invalid offset in \`${text}\``);
  const offsetMin = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  // Every literal lies within ±2^48 ms of the epoch: plain numbers are exact.
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hh * 60 + mm) * 60 + ss) * 1000 +
    n(7) -
    offsetMin * 60_000
  );
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DDThh:mm:ss.SSS` of an instant (UTC), the year expanded and signed outside 0–9999. */
function isoLocal(instant: I64): string {
  const timeMs = remEuclid(instant, MS_PER_DAY);
  const days = (BigInt(instant) - BigInt(timeMs)) / BigInt(MS_PER_DAY);
  const [y, mo, d] = civilFromDays(days);
  const year = y >= 0n && y <= 9999n ? pad(y, 4) : (y < 0n ? '-' : '+') + pad(y < 0n ? -y : y, 6);
  const hh = Math.floor(timeMs / 3_600_000);
  const mi = Math.floor(timeMs / 60_000) % 60;
  const ss = Math.floor(timeMs / 1000) % 60;
  return `${year}-${pad(mo, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mi, 2)}:${pad(ss, 2)}.${pad(timeMs % 1000, 3)}`;
}

/** 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z, and the largest offset a literal may carry. */
const YEAR_0 = daysFromCivil(0, 1, 1) * MS_PER_DAY;
const YEAR_10000 = daysFromCivil(10_000, 1, 1) * MS_PER_DAY;
const MAX_OFFSET = (23 * 60 + 59) * 60_000;

/** A Cedar `datetime` value. */
export class Datetime extends ExtensionValue {
  readonly extensionType = 'datetime';
  readonly constructorName = 'datetime';

  /** @param ms milliseconds since 1970-01-01T00:00:00Z, an i64 in the canonical Long representation. */
  constructor(readonly ms: I64) {
    super();
  }

  /** `datetime("…")`: parses a literal; a malformed or impossible date is an `extension` error. */
  static parse(text: string): Datetime {
    return new Datetime(parseDatetime(text));
  }

  key(): string {
    return String(this.ms);
  }

  /** Cedar `==` (fast path: the canonical Long representation makes `===` exact). */
  override equals(other: ExtensionValue): boolean {
    return other instanceof Datetime && other.ms === this.ms;
  }

  /**
   * The instant as a literal `datetime()` accepts: `YYYY-MM-DDThh:mm:ss.SSSZ`, or with a `+2359`
   * / `-2359` offset for the instants just outside years 0000–9999 that literals with an offset
   * reach. Instants further out (reachable only through `offset`) print with a signed, expanded
   * year (`+292278994-08-17T07:12:55.807Z`), which `datetime()` does not accept.
   */
  arg(): string {
    const ms = this.ms;
    if (ms >= YEAR_0 && ms < YEAR_10000) return `${isoLocal(ms)}Z`;
    if (ms < YEAR_0 && ms >= YEAR_0 - MAX_OFFSET)
      return `${isoLocal(Number(ms) + MAX_OFFSET)}+2359`;
    if (ms >= YEAR_10000 && ms < YEAR_10000 + MAX_OFFSET) {
      return `${isoLocal(Number(ms) - MAX_OFFSET)}-2359`;
    }
    return `${isoLocal(ms)}Z`;
  }

  override toString(): string {
    return `datetime("${this.arg()}")`;
  }

  /** `dt.offset(d)`: the instant moved by `d`; leaving the i64 range is an `extension` error. */
  offset(d: Duration): Datetime {
    const r = addI64(this.ms, d.ms);
    if (r === undefined)
      fail('offset', `overflow when adding ${d.toString()} to ${this.toString()}`);
    return new Datetime(r);
  }

  /** `dt.durationSince(other)`: `dt − other`; leaving the i64 range is an `extension` error. */
  durationSince(other: Datetime): Duration {
    const r = subI64(this.ms, other.ms);
    if (r === undefined) {
      fail(
        'durationSince',
        `overflow when subtracting ${other.toString()} from ${this.toString()}`,
      );
    }
    return new Duration(r);
  }

  /** `dt.toDate()`: midnight UTC of the instant's day (rounding down, also before 1970). */
  toDate(): Datetime {
    const r = subI64(this.ms, remEuclid(this.ms, MS_PER_DAY));
    if (r === undefined) fail('toDate', `overflow when computing the date of ${this.toString()}`);
    return new Datetime(r);
  }

  /** `dt.toTime()`: the time since midnight UTC of the instant's day, in `[0, 1d)`. */
  toTime(): Duration {
    return new Duration(remEuclid(this.ms, MS_PER_DAY));
  }
}
