import protobuf from 'protobufjs';
import { keyTypeOf } from './parse.js';
import type { ParsedProtobuf } from './parse.js';

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  sint32: [-2147483648, 2147483647],
  sfixed32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  fixed32: [0, 4294967295],
  int64: [-9007199254740991, 9007199254740991],
  sint64: [-9007199254740991, 9007199254740991],
  sfixed64: [-9007199254740991, 9007199254740991],
  uint64: [0, 9007199254740991],
  fixed64: [0, 9007199254740991],
};

function scalar(type: string, random: () => number): unknown {
  const range = INT_RANGES[type];
  if (range !== undefined) {
    const r = random();
    // Small values, boundaries and anything in between: truncation and sign bugs show up.
    if (r < 0.3) return Math.floor(random() * 100) - (range[0] < 0 ? 50 : 0);
    if (r < 0.4) return range[0];
    if (r < 0.5) return range[1];
    return Math.floor(range[0] + random() * (range[1] - range[0]));
  }
  switch (type) {
    case 'bool':
      return random() < 0.5;
    case 'float':
      return Math.fround((random() - 0.5) * 1000);
    case 'double':
      return (random() - 0.5) * 1e6;
    case 'bytes':
      return Uint8Array.from({ length: Math.floor(random() * 6) }, () =>
        Math.floor(random() * 256),
      );
    default: {
      let s = '';
      const n = Math.floor(random() * 8);
      for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(random() * 26));
      return s;
    }
  }
}

function value(f: protobuf.Field, random: () => number, depth: number): unknown {
  const t = f.resolvedType;
  if (t instanceof protobuf.Enum) {
    const vals = Object.values(t.values);
    return vals[Math.floor(random() * vals.length)];
  }
  if (t instanceof protobuf.Type) return depth > 3 ? {} : message(t, random, depth + 1);
  return scalar(f.type, random);
}

function message(t: protobuf.Type, random: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const chosen = new Map<string, string>();
  for (const o of t.oneofsArray) {
    const pick = o.oneof[Math.floor(random() * (o.oneof.length + 1))];
    if (pick !== undefined) chosen.set(o.name, pick);
  }
  for (const f of t.fieldsArray) {
    const oneof = f.partOf?.name;
    if (oneof !== undefined && chosen.get(oneof) !== f.name) continue;
    if (oneof === undefined && random() < 0.2) continue;
    if (f.map) {
      const m: Record<string, unknown> = {};
      const n = Math.floor(random() * 3);
      for (let i = 0; i < n; i++) {
        const k =
          keyTypeOf(f) === 'string'
            ? `k${i}`
            : keyTypeOf(f) === 'bool'
              ? String(i === 0)
              : String(i + 1);
        m[k] = value(f, random, depth);
      }
      out[f.name] = m;
    } else if (f.repeated) {
      out[f.name] = Array.from({ length: Math.floor(random() * 3) + 1 }, () =>
        value(f, random, depth),
      );
    } else out[f.name] = value(f, random, depth);
  }
  return out;
}

/** Random messages of a type, as plain objects. */
export function sampleProtobuf(p: ParsedProtobuf, count: number, random: () => number): unknown[] {
  const type = p.type;
  if (type === undefined) return [];
  return Array.from({ length: count }, () => message(type, random, 0));
}

function norm(v: unknown, textual: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => norm(x, textual));
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'string' && textual) return `b:${Buffer.from(v, 'utf8').toString('hex')}`;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && v !== null && 'low' in v && 'high' in v) return String(v);
  return v;
}

/**
 * Encodes `value` with the writer type, decodes it with the reader type, and checks that every
 * field both versions know by number reads back the value written.
 */
export function readProtobufAs(
  writer: ParsedProtobuf,
  reader: ParsedProtobuf,
  value: unknown,
): { ok: true } | { ok: false; reason: string } {
  const w = writer.type;
  const r = reader.type;
  if (w === undefined || r === undefined)
    return { ok: false, reason: 'one of the schemas defines no message' };
  let decoded: protobuf.Message;
  try {
    const bytes = w.encode(w.fromObject(value as Record<string, unknown>)).finish();
    decoded = r.decode(bytes);
  } catch (error) {
    return { ok: false, reason: `decode failed: ${(error as Error).message}` };
  }
  const opts = { longs: String, enums: Number, defaults: true } as const;
  const wrote = w.toObject(w.fromObject(value as Record<string, unknown>), opts);
  const read = r.toObject(decoded, opts);
  for (const wf of w.fieldsArray) {
    const rf = r.fieldsArray.find((f) => f.id === wf.id);
    if (rf === undefined || !(wf.name in (value as object))) continue;
    const textual = (f: protobuf.Field) => f.type === 'string' || f.type === 'bytes';
    const a = JSON.stringify(norm(wrote[wf.name], textual(wf)));
    const b = JSON.stringify(norm(read[rf.name], textual(rf)));
    if (a !== b)
      return {
        ok: false,
        reason: `field ${wf.id} ("${wf.name}" → "${rf.name}"): wrote ${a}, read ${b}`,
      };
  }
  return { ok: true };
}
