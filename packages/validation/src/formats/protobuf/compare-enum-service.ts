import type protobuf from 'protobufjs';
import type { ProtobufStrictness } from '../../types.js';

/** Buf-style categories a rule belongs to. */
export type Category = ProtobufStrictness;
export const W: readonly Category[] = ['WIRE', 'WIRE_JSON', 'FILE'];
export const WJ: readonly Category[] = ['WIRE_JSON', 'FILE'];
export const F: readonly Category[] = ['FILE'];

export type Emit = (
  rule: string,
  path: string,
  message: string,
  categories: readonly Category[] | null,
  severity?: 'cosmetic',
) => void;

export function reservedNumber(t: protobuf.Type | protobuf.Enum, n: number): boolean {
  return (t.reserved ?? []).some(
    (r) => Array.isArray(r) && n >= (r[0] as number) && n <= (r[1] as number),
  );
}
export function reservedName(t: protobuf.Type | protobuf.Enum, name: string): boolean {
  return (t.reserved ?? []).some((r) => r === name);
}

/** Whether a reserved range of the old version is still reserved (covered by one new range). */
export function rangeKept(t: protobuf.Type | protobuf.Enum, r: readonly number[]): boolean {
  const [lo, hi] = r as [number, number];
  return (t.reserved ?? []).some(
    (x) => Array.isArray(x) && (x[0] as number) <= lo && (x[1] as number) >= hi,
  );
}

export function compareEnum(o: protobuf.Enum, n: protobuf.Enum, name: string, emit: Emit): void {
  const nByNum = new Map<number, string>();
  for (const [k, v] of Object.entries(n.values)) if (!nByNum.has(v)) nByNum.set(v, k);
  const oNums = new Set(Object.values(o.values));
  for (const [k, v] of Object.entries(o.values)) {
    const p = `${name}.${k}`;
    const nk = nByNum.get(v);
    if (nk === undefined) {
      emit('ENUM_VALUE_NO_DELETE', p, `enum value ${k} = ${v} deleted`, F);
      if (!reservedNumber(n, v))
        emit(
          'ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED',
          p,
          `enum value ${v} deleted without reserving it`,
          W,
        );
      if (!reservedName(n, k))
        emit(
          'ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED',
          p,
          `enum value name ${k} deleted without reserving it`,
          WJ,
        );
    } else if (!(k in n.values))
      emit('ENUM_VALUE_SAME_NAME', p, `enum value ${v} renamed ${k} → ${nk}`, WJ);
  }
  for (const [k, v] of Object.entries(n.values)) {
    if (!oNums.has(v))
      emit(
        reservedNumber(o, v) ? 'ENUM_RESERVED_NUMBER_REUSED' : 'ENUM_VALUE_ADDED',
        `${name}.${k}`,
        `enum value ${k} = ${v} added`,
        reservedNumber(o, v) ? W : null,
      );
  }
  for (const r of o.reserved ?? []) {
    const kept = Array.isArray(r) ? rangeKept(n, r as number[]) : reservedName(n, r);
    if (!kept)
      emit(
        'RESERVED_ENUM_NO_DELETE',
        name,
        `reserved ${Array.isArray(r) ? `range ${r[0]}..${r[1]}` : `name "${r}"`} removed`,
        W,
      );
  }
}

export function compareService(
  o: protobuf.Service,
  n: protobuf.Service,
  name: string,
  emit: Emit,
): void {
  for (const m of o.methodsArray) {
    const p = `${name}.${m.name}`;
    const nm = n.methods[m.name];
    if (nm === undefined) {
      emit('RPC_NO_DELETE', p, `rpc ${m.name} deleted`, F);
      continue;
    }
    const strip = (s: string) => s.replace(/^\./, '');
    if (
      strip(m.resolvedRequestType?.fullName ?? m.requestType) !==
      strip(nm.resolvedRequestType?.fullName ?? nm.requestType)
    )
      emit('RPC_SAME_REQUEST_TYPE', p, `request type of ${m.name} changed`, W);
    if (
      strip(m.resolvedResponseType?.fullName ?? m.responseType) !==
      strip(nm.resolvedResponseType?.fullName ?? nm.responseType)
    )
      emit('RPC_SAME_RESPONSE_TYPE', p, `response type of ${m.name} changed`, W);
    if (Boolean(m.requestStream) !== Boolean(nm.requestStream))
      emit('RPC_SAME_CLIENT_STREAMING', p, `client streaming of ${m.name} changed`, W);
    if (Boolean(m.responseStream) !== Boolean(nm.responseStream))
      emit('RPC_SAME_SERVER_STREAMING', p, `server streaming of ${m.name} changed`, W);
  }
  for (const m of n.methodsArray)
    if (o.methods[m.name] === undefined)
      emit('RPC_ADDED', `${name}.${m.name}`, `rpc ${m.name} added`, null);
}
