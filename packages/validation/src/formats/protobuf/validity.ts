import protobuf from 'protobufjs';
import { invalidSchema } from '../../errors.js';
import type { FieldDecl, Position, ProtoIndex } from './locate.js';

/**
 * The checks `buf build` (protocompile) makes that protobufjs does not: field and enum number
 * ranges, reserved numbers and names, JSON name conflicts, defaults, `packed`/`jstype` targets,
 * open-enum rules, enum-value scoping and empty declarations. Each failure is `E_INVALID_SCHEMA`
 * with the line and column of the offending token.
 */

/** One parsed file: its name in messages, its declared types and (for `.proto` text) its index. */
export interface CheckedUnit {
  readonly name: string;
  readonly types: readonly string[];
  readonly index?: ProtoIndex;
}

const MAX_FIELD = 536_870_911;
const INT32 = [-2_147_483_648, 2_147_483_647] as const;
const INT_RANGE: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const PACKABLE = new Set([...Object.keys(INT_RANGE), 'bool', 'float', 'double']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

const validFieldNumber = (n: number) => n >= 1 && n <= MAX_FIELD && !(n >= 19_000 && n <= 19_999);

/** protoc's default JSON name: underscores dropped, the next letter upper-cased. */
export function jsonNameOf(name: string): string {
  let out = '';
  let up = false;
  for (const c of name) {
    if (c === '_') up = true;
    else {
      out += up ? c.toUpperCase() : c;
      up = false;
    }
  }
  return out;
}

/** protoc's enum value name with the enum's name as prefix removed, PascalCased. */
function strippedPascal(enumName: string, value: string): string {
  const prefix = enumName.replace(/_/g, '').toLowerCase();
  let i = 0;
  let j = 0;
  let stripped = value;
  for (; i < value.length && j < prefix.length; i++) {
    if (value[i] === '_') continue;
    if ((value[i] as string).toLowerCase() !== prefix[j++]) {
      j = -1;
      break;
    }
  }
  if (j === prefix.length) {
    while (value[i] === '_') i++;
    if (i < value.length) stripped = value.slice(i);
  }
  let out = '';
  let up = true;
  for (const c of stripped) {
    if (c === '_') up = true;
    else {
      out += up ? c.toUpperCase() : c.toLowerCase();
      up = false;
    }
  }
  return out;
}

function isProto3OptionalOneof(o: protobuf.OneOf): boolean {
  const only = o.fieldsArray.length === 1 ? o.fieldsArray[0] : undefined;
  return (
    (only?.options as { proto3_optional?: boolean } | undefined)?.proto3_optional === true ||
    (o.oneof.length === 1 && o.name === `_${o.oneof[0]}`)
  );
}

/** A message's own fields: protobufjs also lists extensions of it (named `.pkg.ext`). */
export function ownFields(t: protobuf.Type): protobuf.Field[] {
  return t.fieldsArray.filter((f) => !f.name.startsWith('.') && f.extend === undefined);
}

interface Ctx {
  readonly unit: CheckedUnit;
  readonly syntax: 'proto2' | 'proto3' | 'editions';
  fail(message: string, where?: Position): never;
  field(scope: string, name: string, nth?: number): FieldDecl | undefined;
}

function syntaxOf(unit: CheckedUnit, root: protobuf.Root): Ctx['syntax'] {
  if (unit.index !== undefined) return unit.index.syntax;
  const first = unit.types[0] === undefined ? undefined : root.lookup(unit.types[0]);
  const e = (first as { _edition?: string } | null)?._edition;
  return e === 'proto3' ? 'proto3' : e === undefined || e === 'proto2' ? 'proto2' : 'editions';
}

/** Runs every check on the units' own types; throws the first failure. */
export function checkValidity(root: protobuf.Root, units: readonly CheckedUnit[]): void {
  const unitOf = new Map<string, CheckedUnit>();
  for (const u of units) for (const t of u.types) unitOf.set(t, u);
  for (const unit of units) {
    const ctx: Ctx = {
      unit,
      syntax: syntaxOf(unit, root),
      fail: (message, where) => invalidSchema('protobuf', `${unit.name}: ${message}`, where ?? ''),
      field: (scope, name, nth = 0) =>
        unit.index?.fields.filter((f) => f.scope === scope && f.name === name)[nth],
    };
    for (const name of unit.types) {
      const o = root.lookup(name);
      if (o instanceof protobuf.Type) checkMessage(o, name, ctx);
      else if (o instanceof protobuf.Enum) checkEnum(o, name, ctx);
    }
  }
  checkScopes(root, unitOf);
}

type Range = { lo: number; hi: number; at?: Position; hiAt?: Position };

/** Reserved / extension ranges of a scope, from the index when there is text (with positions). */
function rangesOf(
  ctx: Ctx,
  scope: string,
  kind: 'reserved' | 'extensions',
  fromReflection: ReadonlyArray<number[] | string> | undefined,
  max: number,
): { ranges: Range[]; names: Array<{ name: string; at?: Position }> } {
  const ranges: Range[] = [];
  const names: Array<{ name: string; at?: Position }> = [];
  const decls = ctx.unit.index?.ranges.filter((r) => r.scope === scope && r.kind === kind);
  if (decls !== undefined) {
    const num = (s: string) => (s === 'max' ? max : Number(s));
    for (const d of decls)
      for (const item of d.items) {
        if ('name' in item) names.push(item);
        else ranges.push({ lo: num(item.lo), hi: num(item.hi), at: item.at, hiAt: item.hiAt });
      }
    return { ranges, names };
  }
  for (const r of fromReflection ?? []) {
    if (typeof r === 'string') names.push({ name: r });
    else ranges.push({ lo: r[0] as number, hi: r[1] as number });
  }
  return { ranges, names };
}

function checkRanges(
  ctx: Ctx,
  ranges: readonly Range[],
  names: ReadonlyArray<{ name: string; at?: Position }>,
  validNumber: (n: number) => boolean,
  what: string,
): void {
  for (const r of ranges) {
    if (!validNumber(r.lo)) ctx.fail(`${what} number ${r.lo} is out of range`, r.at);
    if (!validNumber(r.hi)) ctx.fail(`${what} number ${r.hi} is out of range`, r.hiAt);
    if (r.hi < r.lo) ctx.fail(`empty reserved range ${r.lo} to ${r.hi}`, r.at);
  }
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as Range;
    const b = sorted[i] as Range;
    if (b.lo <= a.hi) ctx.fail(`overlapping ${what} number ranges`, b.at);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n.name)) ctx.fail(`${what} name "${n.name}" is reserved more than once`, n.at);
    seen.add(n.name);
  }
}

const inRanges = (ranges: readonly Range[], n: number) =>
  ranges.some((r) => n >= r.lo && n <= r.hi);

function checkMessage(t: protobuf.Type, name: string, ctx: Ctx): void {
  const reserved = rangesOf(ctx, name, 'reserved', t.reserved, MAX_FIELD);
  const extensions = rangesOf(ctx, name, 'extensions', t.extensions, MAX_FIELD);
  if (ctx.syntax === 'proto3' && extensions.ranges.length > 0)
    ctx.fail(`message ${name} declares an extension range in proto3`, extensions.ranges[0]?.at);
  checkRanges(
    ctx,
    [...reserved.ranges, ...extensions.ranges],
    reserved.names,
    validFieldNumber,
    'field',
  );
  const json = new Map<string, { field: protobuf.Field; custom: boolean }>();
  for (const f of ownFields(t)) {
    const decl = ctx.field(name, f.name);
    const numberAt = decl?.numberAt ?? decl?.at;
    if (ctx.syntax === 'proto2' && decl !== undefined && decl.label === '' && !decl.inOneof)
      ctx.fail(
        `field ${name}.${f.name}: proto2 fields need a label (optional, required or repeated)`,
        decl.start,
      );
    if (ctx.syntax !== 'proto2' && decl?.label === 'required')
      ctx.fail(`field ${name}.${f.name}: required fields are only allowed in proto2`, decl.start);
    if (!validFieldNumber(f.id))
      ctx.fail(
        `field ${name}.${f.name}: number ${f.id} is out of range (1 to 536,870,911, except 19,000 to 19,999)`,
        numberAt,
      );
    if (inRanges(reserved.ranges, f.id))
      ctx.fail(`field ${name}.${f.name}: number ${f.id} is reserved`, numberAt);
    if (inRanges(extensions.ranges, f.id))
      ctx.fail(`field ${name}.${f.name}: number ${f.id} is in an extension range`, numberAt);
    if (reserved.names.some((r) => r.name === f.name))
      ctx.fail(`field ${name}.${f.name}: the name "${f.name}" is reserved`, decl?.at);
    checkFieldOptions(f, name, decl, ctx);
    const custom = typeof f.options?.json_name === 'string';
    const j = custom ? (f.options?.json_name as string) : jsonNameOf(f.name);
    const prev = json.get(j);
    if (prev !== undefined && (ctx.syntax !== 'proto2' || custom || prev.custom))
      ctx.fail(
        `fields ${prev.field.name} and ${f.name} of ${name} have the same JSON name "${j}"`,
        decl?.at,
      );
    if (prev === undefined) json.set(j, { field: f, custom });
  }
  for (const o of t.oneofsArray) {
    if (o.oneof.length === 0)
      ctx.fail(
        `oneof ${name}.${o.name} must have at least one field`,
        ctx.unit.index?.oneofs.get(`${name}.${o.name}`),
      );
  }
}

function checkFieldOptions(
  f: protobuf.Field,
  scope: string,
  decl: FieldDecl | undefined,
  ctx: Ctx,
): void {
  const where = `field ${scope}.${f.name}`;
  const opts = (f.options ?? {}) as Record<string, unknown>;
  const optAt = (k: string) => decl?.options.get(k)?.at ?? decl?.at;
  if (decl?.options.has('packed') === true && (!f.repeated || f.map || !PACKABLE.has(f.type)))
    ctx.fail(
      `${where}: [packed] needs a repeated field of a numeric, bool or enum type`,
      optAt('packed'),
    );
  if (decl?.options.has('jstype') === true && !INT64.has(f.type))
    ctx.fail(`${where}: [jstype] needs a 64-bit integer field`, optAt('jstype'));
  if (!('default' in opts)) return;
  const at = optAt('default');
  if (ctx.syntax === 'proto3')
    ctx.fail(`${where}: explicit default values are not allowed in proto3`, at);
  const resolved = f.resolvedType;
  if (f.repeated || f.map || resolved instanceof protobuf.Type)
    ctx.fail(`${where}: only singular scalar and enum fields can have a default`, at);
  const lit = decl?.options.get('default');
  if (lit === undefined) return;
  const v = lit.value;
  const neg = lit.negative;
  const mismatch = () =>
    ctx.fail(
      `${where}: default value ${neg ? '-' : ''}${v.text} does not match type ${f.type}`,
      at,
    );
  if (resolved instanceof protobuf.Enum) {
    if (v.kind !== 'word' || neg || !(v.text in resolved.values))
      ctx.fail(`${where}: default ${v.text} is not a value of enum ${resolved.name}`, at);
    return;
  }
  const range = INT_RANGE[f.type];
  if (range !== undefined) {
    if (v.kind !== 'word' || !/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(v.text)) mismatch();
    const n =
      (neg ? -1n : 1n) *
      BigInt(
        v.text.startsWith('0') && !/^0[xX]/.test(v.text) && v.text.length > 1
          ? `0o${v.text.slice(1)}`
          : v.text,
      );
    if (n < range[0] || n > range[1])
      ctx.fail(`${where}: default ${n} is out of range for ${f.type}`, at);
    return;
  }
  if (f.type === 'float' || f.type === 'double') {
    if (
      v.kind !== 'word' ||
      !/^(inf|nan|[0-9.]+([eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+)$/.test(v.text)
    )
      mismatch();
    return;
  }
  if (f.type === 'bool') {
    if (neg || (v.text !== 'true' && v.text !== 'false') || v.kind !== 'word') mismatch();
    return;
  }
  if ((f.type === 'string' || f.type === 'bytes') && (v.kind !== 'str' || neg)) mismatch();
}

function checkEnum(e: protobuf.Enum, name: string, ctx: Ctx): void {
  const decls = ctx.unit.index?.values.filter((v) => v.scope === name);
  const entries = Object.entries(e.values);
  const declAt = (k: string) => decls?.find((d) => d.name === k);
  if (entries.length === 0)
    ctx.fail(`enum ${name} must define at least one value`, ctx.unit.index?.types.get(name));
  const features = (e.options ?? {}) as Record<string, unknown>;
  const closed = ctx.syntax === 'proto2' || features['features.enum_type'] === 'CLOSED';
  const firstName = decls?.[0]?.name ?? entries[0]?.[0];
  const first = firstName === undefined ? undefined : e.values[firstName];
  if (!closed && first !== undefined && first !== 0)
    ctx.fail(
      `enum ${name}: the first value of an open enum must be zero`,
      declAt(firstName as string)?.numberAt,
    );
  const reserved = rangesOf(ctx, name, 'reserved', e.reserved, INT32[1]);
  checkRanges(
    ctx,
    reserved.ranges,
    reserved.names,
    (n) => n >= INT32[0] && n <= INT32[1],
    'enum value',
  );
  const byNumber = new Map<number, string>();
  const pascal = new Map<string, { name: string; n: number }>();
  let aliased = false;
  for (const [k, n] of entries) {
    const d = declAt(k);
    if (n < INT32[0] || n > INT32[1])
      ctx.fail(`enum value ${name}.${k}: ${n} is out of the int32 range`, d?.numberAt);
    if (inRanges(reserved.ranges, n))
      ctx.fail(`enum value ${name}.${k}: number ${n} is reserved`, d?.numberAt);
    if (reserved.names.some((r) => r.name === k))
      ctx.fail(`enum value ${name}.${k}: the name is reserved`, d?.at);
    if (byNumber.has(n)) aliased = true;
    else byNumber.set(n, k);
    const p = strippedPascal(e.name, k);
    const clash = pascal.get(p);
    if (!closed && clash !== undefined && clash.n !== n)
      ctx.fail(
        `enum ${name}: values ${clash.name} and ${k} have the same name with the "${e.name}" prefix removed`,
        d?.at,
      );
    if (clash === undefined) pascal.set(p, { name: k, n });
  }
  if ((e.options as { allow_alias?: unknown } | undefined)?.allow_alias === true && !aliased)
    ctx.fail(
      `enum ${name}: allow_alias is set but no two values share a number`,
      ctx.unit.index?.statementOptions.get(`${name}.allow_alias`),
    );
}

/**
 * Enum values are siblings of their enum (C++ scoping): a value name may not repeat another
 * value, a type or a field of the enclosing scope.
 */
function checkScopes(root: protobuf.Root, unitOf: ReadonlyMap<string, CheckedUnit>): void {
  const walk = (ns: protobuf.NamespaceBase) => {
    const taken = new Set<string>(ns.nestedArray.map((n) => n.name));
    if (ns instanceof protobuf.Type) {
      for (const f of ownFields(ns)) taken.add(f.name);
      for (const o of ns.oneofsArray) if (!isProto3OptionalOneof(o)) taken.add(o.name);
    }
    for (const n of ns.nestedArray) {
      if (!(n instanceof protobuf.Enum)) continue;
      const full = n.fullName.slice(1);
      const unit = unitOf.get(full);
      for (const k of Object.keys(n.values)) {
        if (taken.has(k)) {
          const at = unit?.index?.values.find((v) => v.scope === full && v.name === k)?.at;
          invalidSchema(
            'protobuf',
            `${unit?.name ?? 'schema'}: "${k}" (a value of enum ${full}) is declared more than once in ${ns.fullName.slice(1) || 'the root scope'}`,
            at ?? '',
          );
        }
        taken.add(k);
      }
    }
    for (const n of ns.nestedArray)
      if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) walk(n);
  };
  walk(root);
}
