import type protobuf from 'protobufjs';
import type { ProtobufStrictness } from '../../types.js';

/**
 * Buf's breaking-change categories a rule belongs to, exactly as `buf config ls-breaking-rules`
 * lists them (Buf v2 rules). Categories are not nested: `FIELD_WIRE_COMPATIBLE_TYPE` is WIRE only,
 * its WIRE_JSON counterpart is `FIELD_WIRE_JSON_COMPATIBLE_TYPE`.
 */
export type Category = ProtobufStrictness;
/** FILE, PACKAGE, WIRE_JSON and WIRE. */
export const ALL: readonly Category[] = ['WIRE', 'WIRE_JSON', 'FILE', 'PACKAGE'];
/** FILE, PACKAGE and WIRE_JSON: JSON-visible names and formats. */
export const JSON_SOURCE: readonly Category[] = ['WIRE_JSON', 'FILE', 'PACKAGE'];
/** FILE and PACKAGE: generated source code. */
export const SOURCE: readonly Category[] = ['FILE', 'PACKAGE'];
/** FILE only: generated code that must stay in the same file. */
export const FILE_ONLY: readonly Category[] = ['FILE'];
/** PACKAGE only: generated code that must stay in the same package. */
export const PACKAGE_ONLY: readonly Category[] = ['PACKAGE'];
/** WIRE_JSON only. */
export const JSON_ONLY: readonly Category[] = ['WIRE_JSON'];
/** WIRE and WIRE_JSON. */
export const WIRE_LEVELS: readonly Category[] = ['WIRE', 'WIRE_JSON'];
/** WIRE only. */
export const WIRE_ONLY: readonly Category[] = ['WIRE'];

export type Emit = (
  rule: string,
  path: string,
  message: string,
  categories: readonly Category[] | null,
) => void;

type Reservable = protobuf.Type | protobuf.Enum;

export function reservedNumber(t: Reservable, n: number): boolean {
  return (t.reserved ?? []).some(
    (r) => Array.isArray(r) && n >= (r[0] as number) && n <= (r[1] as number),
  );
}
export function reservedName(t: Reservable, name: string): boolean {
  return (t.reserved ?? []).some((r) => r === name);
}

/** Whether every number of `lo..hi` is covered by the union of `ranges`. */
export function covered(ranges: ReadonlyArray<number[] | string>, lo: number, hi: number): boolean {
  const sorted = ranges
    .filter((r): r is number[] => Array.isArray(r))
    .map((r) => [r[0] as number, r[1] as number] as const)
    .sort((a, b) => a[0] - b[0]);
  let next = lo;
  for (const [a, b] of sorted) {
    if (a > next) break;
    if (b >= next) next = b + 1;
    if (next > hi) return true;
  }
  return next > hi;
}

/** RESERVED_MESSAGE_NO_DELETE / RESERVED_ENUM_NO_DELETE: every old reserved number and name kept. */
export function compareReserved(
  o: Reservable,
  n: Reservable,
  name: string,
  rule: string,
  emit: Emit,
): void {
  for (const r of o.reserved ?? []) {
    const kept = Array.isArray(r)
      ? covered(n.reserved ?? [], r[0] as number, r[1] as number)
      : reservedName(n, r);
    if (!kept)
      emit(
        rule,
        name,
        `reserved ${Array.isArray(r) ? (r[0] === r[1] ? `number ${r[0]}` : `range ${r[0]} to ${r[1]}`) : `name "${r}"`} removed`,
        ALL,
      );
  }
}

function valueNames(e: protobuf.Enum): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [k, v] of Object.entries(e.values)) out.set(v, [...(out.get(v) ?? []), k]);
  return out;
}

/** Enum values by number (Buf's enum rules). */
export function compareEnum(
  o: protobuf.Enum,
  n: protobuf.Enum,
  name: string,
  emit: Emit,
  openness: { old: boolean; new: boolean; jsonOld: string; jsonNew: string },
): void {
  const on = valueNames(o);
  const nn = valueNames(n);
  if (openness.old !== openness.new)
    emit(
      'ENUM_SAME_TYPE',
      name,
      `enum ${name} changed from ${openness.old ? 'open' : 'closed'} to ${openness.new ? 'open' : 'closed'}`,
      SOURCE,
    );
  if (openness.jsonOld === 'ALLOW' && openness.jsonNew !== 'ALLOW')
    emit(
      'ENUM_SAME_JSON_FORMAT',
      name,
      `enum ${name} JSON format changed from ${openness.jsonOld} to ${openness.jsonNew}`,
      JSON_SOURCE,
    );
  for (const [num, names] of on) {
    const p = `${name}.${names[0] as string}`;
    const now = nn.get(num);
    if (now === undefined) {
      emit('ENUM_VALUE_NO_DELETE', p, `enum value ${num} (${names.join(', ')}) deleted`, SOURCE);
      if (!reservedNumber(n, num))
        emit(
          'ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED',
          p,
          `enum value ${num} deleted without reserving the number`,
          WIRE_LEVELS,
        );
      if (!names.every((k) => reservedName(n, k)))
        emit(
          'ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED',
          p,
          `enum value ${num} (${names.join(', ')}) deleted without reserving the name`,
          JSON_ONLY,
        );
    } else if (!names.every((k) => now.includes(k)))
      emit(
        'ENUM_VALUE_SAME_NAME',
        p,
        `enum value ${num} renamed ${names.join(', ')} → ${now.join(', ')}`,
        JSON_SOURCE,
      );
  }
  for (const [num, names] of nn)
    if (!on.has(num))
      emit('ENUM_VALUE_ADDED', `${name}.${names[0] as string}`, `enum value ${num} added`, null);
  compareReserved(o, n, name, 'RESERVED_ENUM_NO_DELETE', emit);
}

export function compareService(
  o: protobuf.Service,
  n: protobuf.Service,
  name: string,
  emit: Emit,
  typeKey: (t: protobuf.Type | null | undefined, raw: string) => string,
): void {
  for (const m of o.methodsArray) {
    const p = `${name}.${m.name}`;
    const nm = n.methods[m.name];
    if (nm === undefined) {
      emit('RPC_NO_DELETE', p, `rpc ${m.name} deleted`, SOURCE);
      continue;
    }
    if (
      typeKey(m.resolvedRequestType, m.requestType) !==
      typeKey(nm.resolvedRequestType, nm.requestType)
    )
      emit('RPC_SAME_REQUEST_TYPE', p, `request type of ${m.name} changed`, ALL);
    if (
      typeKey(m.resolvedResponseType, m.responseType) !==
      typeKey(nm.resolvedResponseType, nm.responseType)
    )
      emit('RPC_SAME_RESPONSE_TYPE', p, `response type of ${m.name} changed`, ALL);
    if (Boolean(m.requestStream) !== Boolean(nm.requestStream))
      emit('RPC_SAME_CLIENT_STREAMING', p, `client streaming of ${m.name} changed`, ALL);
    if (Boolean(m.responseStream) !== Boolean(nm.responseStream))
      emit('RPC_SAME_SERVER_STREAMING', p, `server streaming of ${m.name} changed`, ALL);
    const level = (x: protobuf.Method) =>
      String(
        (x.options as { idempotency_level?: unknown } | undefined)?.idempotency_level ??
          'IDEMPOTENCY_UNKNOWN',
      );
    if (level(m) !== level(nm))
      emit(
        'RPC_SAME_IDEMPOTENCY_LEVEL',
        p,
        `idempotency level of ${m.name} ${level(m)} → ${level(nm)}`,
        ALL,
      );
  }
  for (const m of n.methodsArray)
    if (o.methods[m.name] === undefined)
      emit('RPC_ADDED', `${name}.${m.name}`, `rpc ${m.name} added`, null);
}
