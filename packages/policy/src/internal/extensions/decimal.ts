/**
 * Cedar's `decimal` extension type: a fixed-point number with four fraction digits, stored as
 * an i64 count of 1/10000 units (so from -922337203685477.5808 to 922337203685477.5807).
 *
 * Literal syntax: an optional `-`, one or more digits, `.`, one to four digits (`1.5`, `-0.0001`,
 * `007.25`). Equality and comparison are by value: `decimal("1.0") == decimal("1.00")`.
 */
import { EvalError } from '../eval-error.js';
import { ExtensionValue, toLong } from '../values.js';

const LITERAL = /^(-?)([0-9]+)\.([0-9]+)$/;
const SCALE = 10_000n;

function fail(why: string): never {
  throw new EvalError('extension', `error while evaluating \`decimal\` extension function: ${why}`);
}

/** A Cedar `decimal` value. */
export class Decimal extends ExtensionValue {
  readonly extensionType = 'decimal';
  readonly constructorName = 'decimal';

  /**
   * @param units the value times 10^4, an i64 in the canonical Long representation (a `number`
   *   when safe, else a `bigint`), so that `===` is equality and `<` compares mixed pairs.
   */
  constructor(readonly units: number | bigint) {
    super();
  }

  /** `decimal("…")`: parses a literal; a malformed literal or an overflow is an `extension` error. */
  static parse(text: string): Decimal {
    const m = LITERAL.exec(text);
    if (m === null) fail(`\`${text}\` is not a well-formed decimal value`);
    const frac = m[3]!;
    if (frac.length > 4) fail(`too many digits after the decimal point in \`${text}\``);
    const magnitude = BigInt(m[2]!) * SCALE + BigInt(frac.padEnd(4, '0'));
    const units = toLong(m[1] === '-' ? -magnitude : magnitude);
    if (units === undefined) fail(`overflow when converting \`${text}\` to decimal`);
    return new Decimal(units);
  }

  key(): string {
    return String(this.units);
  }

  /** Cedar `==`: equal by value, whatever the spelling (`1.0` and `1.00`). */
  override equals(other: ExtensionValue): boolean {
    return other instanceof Decimal && other.units === this.units;
  }

  /** The value as a decimal literal with the fewest fraction digits (at least one): `1.5`, `-0.0001`. */
  arg(): string {
    const units = BigInt(this.units);
    const neg = units < 0n;
    const abs = neg ? -units : units;
    const frac = String(abs % SCALE)
      .padStart(4, '0')
      .replace(/0+$/, '');
    return `${neg ? '-' : ''}${abs / SCALE}.${frac === '' ? '0' : frac}`;
  }

  override toString(): string {
    return `decimal("${this.arg()}")`;
  }
}
