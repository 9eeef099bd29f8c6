import protobuf from 'protobufjs';
import { keyTypeOf } from './parse.js';
import type { FlaggedChange } from '../../format-plugin.js';
import type { ProtobufStrictness } from '../../types.js';
import {
  type Category,
  compareEnum,
  compareService,
  type Emit,
  F,
  rangeKept,
  reservedName,
  reservedNumber,
  W,
  WJ,
} from './compare-enum-service.js';
import type { ParsedProtobuf } from './parse.js';

/**
 * Protobuf breaking-change rules after Buf's categories. `WIRE`: the binary encoding;
 * `WIRE_JSON`: binary and ProtoJSON (names are part of the contract); `FILE`: source
 * compatibility of generated code (every deletion, rename or type change). A rule breaks when
 * the chosen strictness is among its categories; otherwise the change is still listed.
 */

const VARINT = new Set(['int32', 'uint32', 'int64', 'uint64', 'bool']);
const ZIGZAG = new Set(['sint32', 'sint64']);
const FIXED32 = new Set(['fixed32', 'sfixed32']);
const FIXED64 = new Set(['fixed64', 'sfixed64']);
const LENGTH = new Set(['string', 'bytes']);
/** Same ProtoJSON representation (number vs quoted 64-bit string). */
const JSON_GROUPS = [
  new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']),
  new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']),
];

type Kind = string; // a scalar name, `enum:<full name>` or `message:<full name>`

function kindOf(f: protobuf.Field): Kind {
  const t = f.resolvedType;
  if (t instanceof protobuf.Enum) return `enum:${t.fullName}`;
  if (t instanceof protobuf.Type) return `message:${t.fullName}`;
  return f.type;
}

function wireCompatible(a: Kind, b: Kind): boolean {
  if (a === b) return true;
  const scalar = (k: Kind) => (k.startsWith('enum:') ? 'int32' : k);
  const x = scalar(a);
  const y = scalar(b);
  if (x === y) return !a.startsWith('message:') || !b.startsWith('message:');
  const same = (s: Set<string>) => s.has(x) && s.has(y);
  if (same(VARINT) || same(ZIGZAG) || same(FIXED32) || same(FIXED64) || same(LENGTH)) return true;
  // An embedded message is wire-compatible with bytes holding its encoding.
  return (x === 'bytes' && b.startsWith('message:')) || (y === 'bytes' && a.startsWith('message:'));
}

function jsonCompatible(a: Kind, b: Kind): boolean {
  if (a === b) return true;
  return wireCompatible(a, b) && JSON_GROUPS.some((g) => g.has(a) && g.has(b));
}

function isLengthDelimited(k: Kind): boolean {
  return k === 'string' || k === 'bytes' || k.startsWith('message:');
}

function realOneof(f: protobuf.Field): string | undefined {
  const o = f.partOf;
  if (o === null || o === undefined) return undefined;
  if (
    (f.options as { proto3_optional?: boolean } | undefined)?.proto3_optional === true &&
    o.oneof.length === 1
  )
    return undefined;
  return o.name;
}

function cardinality(f: protobuf.Field): string {
  if (f.map) return 'map';
  if (f.repeated) return 'repeated';
  if (f.required) return 'required';
  return (f.options as { proto3_optional?: boolean } | undefined)?.proto3_optional === true ||
    f.optional
    ? 'optional'
    : 'singular';
}

function collect(
  ns: protobuf.NamespaceBase,
  out = new Map<string, protobuf.ReflectionObject>(),
): Map<string, protobuf.ReflectionObject> {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type || n instanceof protobuf.Enum || n instanceof protobuf.Service)
      out.set(n.fullName.slice(1), n);
    if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) collect(n, out);
  }
  return out;
}

export function compareProtobuf(
  prev: ParsedProtobuf,
  next: ParsedProtobuf,
  strictness: ProtobufStrictness,
): FlaggedChange[] {
  const out: FlaggedChange[] = [];
  const emit = (
    rule: string,
    path: string,
    message: string,
    categories: readonly Category[] | null,
    severity?: 'cosmetic',
  ) => {
    const breaks = categories !== null && categories.includes(strictness);
    out.push({
      rule,
      path,
      message,
      severity: severity ?? (breaks ? 'breaking' : 'additive'),
      breaksBackward: breaks,
      breaksForward: breaks,
    });
  };
  if (prev.package !== next.package)
    emit('FILE_SAME_PACKAGE', '', `package "${prev.package}" → "${next.package}"`, W);
  const a = collect(prev.root);
  const b = collect(next.root);
  for (const [name, o] of a) {
    const n = b.get(name);
    if (n === undefined) {
      const what =
        o instanceof protobuf.Type ? 'MESSAGE' : o instanceof protobuf.Enum ? 'ENUM' : 'SERVICE';
      if (!prev.ownTypes.has(name) && !(o instanceof protobuf.Service)) continue;
      emit(`${what}_NO_DELETE`, name, `${what.toLowerCase()} ${name} deleted`, F);
      continue;
    }
    if (o instanceof protobuf.Type && n instanceof protobuf.Type) compareMessage(o, n, name, emit);
    else if (o instanceof protobuf.Enum && n instanceof protobuf.Enum)
      compareEnum(o, n, name, emit);
    else if (o instanceof protobuf.Service && n instanceof protobuf.Service)
      compareService(o, n, name, emit);
    else emit('TYPE_SAME_KIND', name, `${name} changed between message, enum and service`, W);
  }
  for (const name of b.keys()) {
    if (a.has(name)) continue;
    const n = b.get(name);
    emit(
      n instanceof protobuf.Type
        ? 'MESSAGE_ADDED'
        : n instanceof protobuf.Enum
          ? 'ENUM_ADDED'
          : 'SERVICE_ADDED',
      name,
      `${name} added`,
      null,
    );
  }
  return out;
}

function compareMessage(o: protobuf.Type, n: protobuf.Type, name: string, emit: Emit): void {
  const nById = new Map(n.fieldsArray.map((f) => [f.id, f]));
  const oById = new Map(o.fieldsArray.map((f) => [f.id, f]));
  for (const of of o.fieldsArray) {
    const p = `${name}.${of.name}`;
    const nf = nById.get(of.id);
    if (nf === undefined) {
      emit('FIELD_NO_DELETE', p, `field ${of.id} "${of.name}" deleted`, F);
      if (!reservedNumber(n, of.id))
        emit(
          'FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED',
          p,
          `field ${of.id} "${of.name}" deleted without reserving number ${of.id}`,
          W,
        );
      if (!reservedName(n, of.name))
        emit(
          'FIELD_NO_DELETE_UNLESS_NAME_RESERVED',
          p,
          `field ${of.id} "${of.name}" deleted without reserving name "${of.name}"`,
          WJ,
        );
      continue;
    }
    if (of.name !== nf.name)
      emit('FIELD_SAME_NAME', p, `field ${of.id} renamed "${of.name}" → "${nf.name}"`, WJ);
    if (
      of.name !== nf.name ||
      (of.options?.json_name as unknown) !== (nf.options?.json_name as unknown)
    ) {
      const oj = (of.options?.json_name as string | undefined) ?? of.name;
      const nj = (nf.options?.json_name as string | undefined) ?? nf.name;
      if (oj !== nj && !(of.name !== nf.name && oj === of.name && nj === nf.name))
        emit('FIELD_SAME_JSON_NAME', p, `json_name of field ${of.id} "${oj}" → "${nj}"`, WJ);
    }
    const ok = kindOf(of);
    const nk = kindOf(nf);
    const sameKind =
      ok.replace(/^\./, '') === nk.replace(/^\./, '') &&
      (!of.map || keyTypeOf(of) === keyTypeOf(nf));
    if (!sameKind) {
      emit('FIELD_SAME_TYPE', p, `field ${of.id} type ${ok} → ${nk}`, F);
      if (!wireCompatible(ok, nk) || keyTypeOf(of) !== keyTypeOf(nf))
        emit(
          'FIELD_WIRE_COMPATIBLE_TYPE',
          p,
          `field ${of.id} type ${ok} → ${nk} is not wire-compatible`,
          W,
        );
      else if (!jsonCompatible(ok, nk))
        emit(
          'FIELD_WIRE_JSON_COMPATIBLE_TYPE',
          p,
          `field ${of.id} type ${ok} → ${nk} changes its ProtoJSON form`,
          WJ,
        );
    }
    const oc = cardinality(of);
    const nc = cardinality(nf);
    if (oc !== nc) {
      emit('FIELD_SAME_CARDINALITY', p, `field ${of.id} cardinality ${oc} → ${nc}`, F);
      const presenceOnly = (x: string) => x === 'singular' || x === 'optional';
      const toggledRepeat = (oc === 'repeated') !== (nc === 'repeated');
      if (
        oc === 'map' ||
        nc === 'map' ||
        oc === 'required' ||
        nc === 'required' ||
        (toggledRepeat && !(isLengthDelimited(ok) && isLengthDelimited(nk)))
      ) {
        emit(
          'FIELD_WIRE_COMPATIBLE_CARDINALITY',
          p,
          `field ${of.id} cardinality ${oc} → ${nc} is not wire-compatible`,
          W,
        );
      } else if (!(presenceOnly(oc) && presenceOnly(nc))) {
        emit(
          'FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY',
          p,
          `field ${of.id} cardinality ${oc} → ${nc} changes its ProtoJSON form`,
          WJ,
        );
      }
    }
    const oo = realOneof(of);
    const no = realOneof(nf);
    if (oo !== no) {
      if (oo === undefined && no !== undefined) {
        const existed = o.oneofsArray.some((x) => x.name === no);
        const peers = n.oneofsArray.find((x) => x.name === no)?.oneof ?? [];
        const movedTogether = peers.filter((fname) =>
          o.fieldsArray.some((f) => f.name === fname || f.id === n.fields[fname]?.id),
        ).length;
        if (existed || movedTogether > 1)
          emit(
            'FIELD_SAME_ONEOF',
            p,
            `field ${of.id} moved into ${existed ? 'existing' : 'new'} oneof "${no}"${existed ? '' : ' with other existing fields'}`,
            W,
          );
        else emit('FIELD_MOVED_TO_NEW_ONEOF', p, `field ${of.id} moved into new oneof "${no}"`, F);
      } else if (oo !== undefined && no === undefined)
        emit('FIELD_MOVED_OUT_OF_ONEOF', p, `field ${of.id} moved out of oneof "${oo}"`, F);
      else emit('FIELD_SAME_ONEOF', p, `field ${of.id} moved from oneof "${oo}" to "${no}"`, W);
    }
    const od = (of.options as { default?: unknown } | undefined)?.default;
    const nd = (nf.options as { default?: unknown } | undefined)?.default;
    if (od !== nd)
      emit('FIELD_SAME_DEFAULT', p, `default of field ${of.id} ${String(od)} → ${String(nd)}`, W);
  }
  for (const nf of n.fieldsArray) {
    if (oById.has(nf.id)) continue;
    const p = `${name}.${nf.name}`;
    if (reservedNumber(o, nf.id))
      emit(
        'FIELD_RESERVED_NUMBER_REUSED',
        p,
        `field ${nf.id} "${nf.name}" reuses a number the old version reserved`,
        W,
      );
    else if (reservedName(o, nf.name))
      emit(
        'FIELD_RESERVED_NAME_REUSED',
        p,
        `field "${nf.name}" reuses a name the old version reserved`,
        WJ,
      );
    else if (nf.required)
      emit('MESSAGE_SAME_REQUIRED_FIELDS', p, `required field ${nf.id} "${nf.name}" added`, W);
    else emit('FIELD_ADDED', p, `field ${nf.id} "${nf.name}" added`, null);
  }
  for (const of of o.fieldsArray) {
    if (of.required && !nById.has(of.id))
      emit(
        'MESSAGE_SAME_REQUIRED_FIELDS',
        `${name}.${of.name}`,
        `required field ${of.id} "${of.name}" removed`,
        W,
      );
  }
  for (const r of o.reserved ?? []) {
    const kept = Array.isArray(r) ? rangeKept(n, r as number[]) : reservedName(n, r);
    if (!kept)
      emit(
        'RESERVED_MESSAGE_NO_DELETE',
        name,
        `reserved ${Array.isArray(r) ? `range ${r[0]}..${r[1]}` : `name "${r}"`} removed`,
        W,
      );
  }
  for (const oneof of o.oneofsArray) {
    if (oneof.oneof.length === 1 && oneof.name.startsWith('_')) continue;
    if (!n.oneofsArray.some((x) => x.name === oneof.name))
      emit('ONEOF_NO_DELETE', `${name}.${oneof.name}`, `oneof "${oneof.name}" deleted`, F);
  }
}
