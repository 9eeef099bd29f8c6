import { randomUUID } from 'node:crypto';
import avsc from 'avsc';

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

/**
 * A logical type on the wrong underlying type must be ignored (the specification): throwing
 * here makes avsc fall back to the underlying type.
 */
function requireUnderlying(t: avsc.types.LogicalType, name: string, typeName: string): void {
  if (t.underlyingType.typeName !== typeName) throw new Error(`${name} needs ${typeName}`);
}

/** `timestamp-millis`, `local-timestamp-millis`, `timestamp-micros`: a `Date` or a number. */
function timestampType(unitsPerMs: number) {
  return class extends avsc.types.LogicalType {
    constructor(schema: avsc.Schema, opts?: unknown) {
      super(schema, opts);
      requireUnderlying(this, 'timestamp', 'long');
    }
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
  };
}

/** `date`: days since the epoch; a `Date` (UTC midnight) or a number of days. */
class DateType extends avsc.types.LogicalType {
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'date', 'int');
  }
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
}

/** `time-millis` / `time-micros`: a non-negative time of day. */
function timeType(max: number, typeName: string) {
  return class extends avsc.types.LogicalType {
    constructor(schema: avsc.Schema, opts?: unknown) {
      super(schema, opts);
      requireUnderlying(this, 'time', typeName);
    }
    protected override _fromValue(v: unknown): unknown {
      return v;
    }
    protected override _toValue(v: unknown): unknown {
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < max ? v : undefined;
    }
    protected override _resolve(type: avsc.Type): unknown {
      return resolveUnderlying(this, type, (v) => v);
    }
    override random(): never {
      return Math.floor(Math.random() * max) as never;
    }
  };
}

/** `uuid` on a string: the value must be a UUID. */
class UuidType extends avsc.types.LogicalType {
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    requireUnderlying(this, 'uuid', 'string');
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
  override random(): never {
    return randomUUID() as never;
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
class DecimalType extends avsc.types.LogicalType {
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts);
    const t = this.underlyingType.typeName;
    if (t !== 'bytes' && t !== 'fixed') throw new Error('decimal needs bytes or fixed');
    const s = schema as { precision?: unknown; scale?: unknown };
    const precision = s.precision;
    const scale = s.scale ?? 0;
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1)
      throw new Error('bad precision');
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision)
      throw new Error('bad scale');
    const size =
      t === 'fixed' ? (this.underlyingType as unknown as { size: number }).size : undefined;
    decimals.set(this, { precision, scale, size });
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
  override random(): never {
    const spec = decimals.get(this) as DecimalSpec;
    const max = 10 ** Math.min(spec.precision, 15);
    return toTwos(BigInt(Math.floor((Math.random() - 0.5) * max)), spec.size) as never;
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
  'time-millis': timeType(86_400_000, 'int'),
  'time-micros': timeType(86_400_000_000, 'long'),
  uuid: UuidType,
  decimal: DecimalType,
};
