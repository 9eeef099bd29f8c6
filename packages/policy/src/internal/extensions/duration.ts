/**
 * Cedar's `duration` extension type: a signed span of milliseconds in the i64 range.
 *
 * Literal syntax: an optional `-`, then one or more `<digits><unit>` components with the units
 * in the order `d`, `h`, `m`, `s`, `ms`, each at most once (`1d2h3m4s5ms`, `-90m`, `0ms`). The
 * sign applies to the whole span. Leading zeros in a component are allowed; a total outside the
 * i64 range of milliseconds is an error.
 */
import { EvalError } from '../eval-error.js';
import { ExtensionValue, toLong } from '../values.js';
import { truncDiv, type I64 } from './i64.js';

/** Milliseconds per unit, in the order the units must appear in a literal. */
const UNITS: readonly (readonly [string, bigint])[] = [
  ['d', 86_400_000n],
  ['h', 3_600_000n],
  ['m', 60_000n],
  ['s', 1_000n],
  ['ms', 1n],
];

const COMPONENT = /([0-9]+)(ms|d|h|m|s)/y;

function invalid(text: string, why: string): never {
  throw new EvalError(
    'extension',
    `error while evaluating \`duration\` extension function: ${why}: \`${text}\``,
  );
}

/** Parses a duration literal to milliseconds; throws an `extension` {@link EvalError}. */
function parseDuration(text: string): I64 {
  let i = 0;
  const negative = text.startsWith('-');
  if (negative) i = 1;
  if (i === text.length) invalid(text, 'invalid duration pattern');
  let total = 0n;
  let nextUnit = 0;
  while (i < text.length) {
    COMPONENT.lastIndex = i;
    const m = COMPONENT.exec(text);
    if (m === null) invalid(text, 'invalid duration pattern');
    const unit = UNITS.findIndex(([u]) => u === m[2]);
    if (unit < nextUnit) invalid(text, 'invalid duration pattern');
    nextUnit = unit + 1;
    total += BigInt(m[1]!) * UNITS[unit]![1];
    i = COMPONENT.lastIndex;
  }
  const ms = toLong(negative ? -total : total);
  if (ms === undefined) invalid(text, 'the duration overflows the i64 range of milliseconds');
  return ms;
}

/** A Cedar `duration` value. */
export class Duration extends ExtensionValue {
  readonly extensionType = 'duration';
  readonly constructorName = 'duration';

  /** @param ms the span in milliseconds, an i64 in the canonical Long representation. */
  constructor(readonly ms: I64) {
    super();
  }

  /** `duration("…")`: parses a literal; a malformed literal or an overflow is an `extension` error. */
  static parse(text: string): Duration {
    return new Duration(parseDuration(text));
  }

  key(): string {
    return String(this.ms);
  }

  /** Cedar `==` (fast path: the canonical Long representation makes `===` exact). */
  override equals(other: ExtensionValue): boolean {
    return other instanceof Duration && other.ms === this.ms;
  }

  /** The span as Cedar text, largest units first (`1h30m`, `-2d12h`, `0ms`). */
  arg(): string {
    let rest = BigInt(this.ms);
    if (rest === 0n) return '0ms';
    const sign = rest < 0n ? '-' : '';
    if (rest < 0n) rest = -rest;
    let out = sign;
    for (const [unit, size] of UNITS) {
      const n = rest / size;
      if (n !== 0n) out += `${n}${unit}`;
      rest -= n * size;
    }
    return out;
  }

  override toString(): string {
    return `duration("${this.arg()}")`;
  }

  /** The span in whole units of `unitMs` milliseconds, truncated toward zero, as a Long. */
  inUnits(unitMs: number): number | bigint {
    return truncDiv(this.ms, unitMs);
  }
}
