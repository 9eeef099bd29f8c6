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
};
