import avsc from 'avsc';
import { logicalTypeProblem } from './schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads whatever the underlying type can read (the specification's promotions included), so a
 * logical type never makes resolution stricter than its underlying type.
 */
function resolveUnderlying(
  self: avsc.types.LogicalType,
  writer: avsc.Type,
  from: (v: unknown) => unknown,
): ((v: unknown) => unknown) | undefined {
  const under = avsc.Type.isType(writer, 'logical')
    ? (writer as avsc.types.LogicalType).underlyingType
    : writer;
  try {
    self.underlyingType.createResolver(under);
    return from;
  } catch {
    return undefined;
  }
}

type CopyOptions = { coerce?: number; wrap?: number } | undefined;
interface Copying {
  _copy(value: unknown, opts?: CopyOptions): unknown;
}
interface Writing {
  _write(tap: unknown, value: unknown): void;
}
const baseCopy = (avsc.types.LogicalType.prototype as unknown as Copying)._copy;

/** An integer in [min, max) from a uniform `random()` in [0, 1). */
export const randomInt = (random: () => number, min: number, max: number): number =>
  min + Math.floor(random() * (max - min));

/**
 * The logical types Plinth enforces. The constructor throws when the specification calls the
 * logical type invalid on this schema (wrong underlying type, bad precision or scale...), which
 * makes avsc use the underlying type instead: an invalid logical type is ignored.
 */
export abstract class SpecLogicalType extends avsc.types.LogicalType {
  /** The value kinds (avsc's union buckets) this type accepts; decides union wrapping. */
  abstract readonly buckets: readonly string[];

  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    const s = schema as { logicalType: string; precision?: unknown; scale?: unknown };
    const under = this.underlyingType as unknown as { typeName: string; size?: number };
    const problem = logicalTypeProblem(s.logicalType, under.typeName, { ...s, size: under.size });
    if (problem !== undefined) throw new Error(problem);
  }

  /** A value of this type drawn with `random` (the empirical check's seeded generator). */
  abstract sample(random: () => number): unknown;

  /**
   * Field defaults are written in the underlying type's JSON encoding (specification), so a
   * default the logical constraint refuses (a `uuid` default `"x"`, a `decimal` default beyond
   * the precision) is still a valid default: it is copied as the underlying value. Validation
   * (`isValid`) never comes here.
   */
  protected _copy(value: unknown, opts?: CopyOptions): unknown {
    const coerce = opts?.coerce;
    if (coerce !== 2 && coerce !== 3 && this._toValue(value) === undefined) {
      const under = this.underlyingType as unknown as Copying;
      return this._fromValue(under._copy(value, opts));
    }
    return baseCopy.call(this, value, opts);
  }

  /**
   * avsc encodes every record default once, up front: the same default is written as the
   * underlying value. Everything else written has passed validation first.
   */
  protected _write(tap: unknown, value: unknown): void {
    const v = this._toValue(value);
    (this.underlyingType as unknown as Writing)._write(tap, v === undefined ? value : v);
  }
}

/** `timestamp-millis`, `local-timestamp-millis`, `timestamp-micros`: a `Date` or a number. */
function timestampType(unitsPerMs: number) {
  return class extends SpecLogicalType {
    readonly buckets = ['number', 'object'];
    protected override _fromValue(v: unknown): unknown {
      return unitsPerMs === 1 ? new Date(v as number) : v;
    }
    protected override _toValue(v: unknown): unknown {
      if (v instanceof Date)
        return Number.isNaN(v.getTime()) ? undefined : v.getTime() * unitsPerMs;
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    }
    protected override _resolve(type: avsc.Type): unknown {
      return resolveUnderlying(this, type, (v) => this._fromValue(v));
    }
    sample(random: () => number): unknown {
      // 1970 to 2100, whole milliseconds.
      const ms = randomInt(random, 0, 4_102_444_800_000);
      return unitsPerMs === 1 ? new Date(ms) : ms * unitsPerMs + randomInt(random, 0, unitsPerMs);
    }
  };
}

/** `date`: days since the epoch; a `Date` (UTC midnight) or a number of days. */
class DateType extends SpecLogicalType {
  readonly buckets = ['number', 'object'];
  protected override _fromValue(v: unknown): unknown {
    return v;
  }
  protected override _toValue(v: unknown): unknown {
    if (v instanceof Date)
      return Number.isNaN(v.getTime()) ? undefined : Math.floor(v.getTime() / 86_400_000);
    return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
  }
  protected override _resolve(type: avsc.Type): unknown {
    return resolveUnderlying(this, type, (v) => v);
  }
  sample(random: () => number): unknown {
    return randomInt(random, -25_000, 50_000);
  }
}

/** `time-millis` / `time-micros`: a non-negative time of day. */
function timeType(max: number) {
  return class extends SpecLogicalType {
    readonly buckets = ['number'];
    protected override _fromValue(v: unknown): unknown {
      return v;
    }
    protected override _toValue(v: unknown): unknown {
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < max ? v : undefined;
    }
    protected override _resolve(type: avsc.Type): unknown {
      return resolveUnderlying(this, type, (v) => v);
    }
    sample(random: () => number): unknown {
      return randomInt(random, 0, max);
    }
  };
}

/** `uuid` on a string: the value must be a UUID. */
class UuidType extends SpecLogicalType {
  readonly buckets = ['string'];
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    // A `uuid` on a fixed(16) is valid but holds raw bytes: nothing more to enforce.
    if (this.underlyingType.typeName !== 'string') throw new Error('validated as its fixed');
  }
  protected override _fromValue(v: unknown): unknown {
    return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : v;
  }
  protected override _toValue(v: unknown): unknown {
    return typeof v === 'string' && UUID.test(v) ? v : undefined;
  }
  protected override _resolve(type: avsc.Type): unknown {
    return resolveUnderlying(this, type, (v) => this._fromValue(v));
  }
  sample(random: () => number): unknown {
    const hex = Array.from({ length: 32 }, () => randomInt(random, 0, 16).toString(16)).join('');
    // Version 4, variant 10xx.
    const v = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${'89ab'[randomInt(random, 0, 4)]}${hex.slice(17)}`;
    return `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`;
  }
}

interface DecimalSpec {
  readonly precision: number;
  readonly scale: number;
  readonly size: number | undefined;
}
const decimals = new WeakMap<object, DecimalSpec>();

/** Two's-complement big-endian bytes ↔ bigint, as Avro decimals store the unscaled value. */
function fromTwos(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return (b[0] as number) & 0x80 ? x - (1n << BigInt(8 * b.length)) : x;
}
function toTwos(x: bigint, size: number | undefined): Buffer | undefined {
  const out: number[] = [];
  let v = x;
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!((v === 0n && (out[0] as number) < 0x80) || (v === -1n && (out[0] as number) >= 0x80)));
  if (size !== undefined) {
    if (out.length > size) return undefined;
    while (out.length < size) out.unshift(x < 0n ? 0xff : 0);
  }
  return Buffer.from(out);
}
const digits = (x: bigint) => (x < 0n ? -x : x).toString().length;

/**
 * `decimal` on bytes or fixed: a Buffer holding the unscaled two's-complement value, or a number,
 * bigint or decimal string (converted with the schema's scale); the precision is enforced.
 */
class DecimalType extends SpecLogicalType {
  readonly buckets = ['buffer', 'number', 'string', 'bigint'];

  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts); // checked: bytes or fixed, 0 ≤ scale ≤ precision, precision fits
    const s = schema as unknown as { precision: number; scale?: number };
    const under = this.underlyingType as unknown as { size?: number };
    decimals.set(this, { precision: s.precision, scale: s.scale ?? 0, size: under.size });
  }
  protected override _fromValue(v: unknown): unknown {
    return v;
  }
  protected override _toValue(v: unknown): unknown {
    const spec = decimals.get(this) as DecimalSpec;
    if (Buffer.isBuffer(v)) {
      if (spec.size !== undefined && v.length !== spec.size) return undefined;
      return digits(fromTwos(v)) <= spec.precision ? v : undefined;
    }
    let text: string;
    if (typeof v === 'bigint') text = v.toString();
    else if (typeof v === 'number' && Number.isFinite(v))
      text = v.toFixed(Math.min(spec.scale, 100));
    else if (typeof v === 'string') text = v.trim();
    else return undefined;
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (m === null) return undefined;
    const frac = m[3] ?? '';
    if (frac.length > spec.scale && /[1-9]/.test(frac.slice(spec.scale))) return undefined;
    const unscaled = BigInt(`${m[1]}${m[2]}${frac.slice(0, spec.scale).padEnd(spec.scale, '0')}`);
    if (digits(unscaled) > spec.precision) return undefined;
    return toTwos(unscaled, spec.size);
  }
  protected override _resolve(type: avsc.Type): unknown {
    return resolveUnderlying(this, type, (v) => v);
  }
  sample(random: () => number): unknown {
    const spec = decimals.get(this) as DecimalSpec;
    const n = randomInt(random, 1, spec.precision + 1);
    let text = '';
    for (let i = 0; i < n; i++) text += String(randomInt(random, 0, 10));
    const unscaled = BigInt(text) * (random() < 0.5 ? -1n : 1n);
    return toTwos(unscaled, spec.size);
  }
}

/** The logical types validators enforce (others are validated as their underlying type). */
export const LOGICAL_TYPES: Record<
  string,
  new (schema: avsc.Schema, opts?: unknown) => avsc.types.LogicalType
> = {
  'timestamp-millis': timestampType(1),
  'local-timestamp-millis': timestampType(1),
  'timestamp-micros': timestampType(1000),
  date: DateType,
  'time-millis': timeType(86_400_000),
  'time-micros': timeType(86_400_000_000),
  uuid: UuidType,
  decimal: DecimalType,
};
