import protobuf from 'protobufjs';
import {
  ALL,
  compareReserved,
  covered,
  type Emit,
  JSON_ONLY,
  JSON_SOURCE,
  reservedName,
  reservedNumber,
  SOURCE,
  WIRE_LEVELS,
  WIRE_ONLY,
} from './compare-enum-service.js';
import { keyTypeOf } from './parse.js';
import { jsonNameOf, ownFields } from './validity.js';

/** `proto2`, `proto3` or `editions`, of the file that declared an object. */
export type Syntax = 'proto2' | 'proto3' | 'editions';

/** How the comparison names types: own types relative to their package, others by full name. */
export interface TypeNaming {
  key(fullName: string): string;
  syntaxOf(o: protobuf.ReflectionObject): Syntax;
}

type Cardinality = 'implicit' | 'explicit' | 'required' | 'repeated' | 'map';
const CARDINALITY_TEXT: Record<Cardinality, string> = {
  implicit: 'optional with implicit presence',
  explicit: 'optional with explicit presence',
  required: 'required',
  repeated: 'repeated',
  map: 'map',
};

/** A field as Buf's rules see it (a map field is a repeated field of a synthetic entry message). */
interface FieldView {
  readonly id: number;
  readonly name: string;
  /** Descriptor type: a scalar name, `enum` or `message`. */
  readonly kind: string;
  readonly typeKey?: string;
  readonly enumType?: protobuf.Enum;
  readonly cardinality: Cardinality;
  readonly oneof?: string;
  readonly jsonName: string;
  readonly explicitDefault?: string;
  readonly effectiveDefault: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** UTF-8 validation of a string field: proto2 does none, proto3 and editions verify. */
  readonly utf8?: 'NONE' | 'VERIFY';
}

/** Wire groups of `FIELD_WIRE_COMPATIBLE_TYPE` (string → bytes is allowed on top). */
const WIRE_GROUP: Record<string, number> = {
  int32: 1,
  int64: 1,
  uint32: 1,
  uint64: 1,
  bool: 1,
  sint32: 2,
  sint64: 2,
  string: 3,
  bytes: 4,
  fixed32: 5,
  sfixed32: 5,
  fixed64: 6,
  sfixed64: 6,
  double: 7,
  float: 8,
  message: 10,
  enum: 11,
};
/** Groups of `FIELD_WIRE_JSON_COMPATIBLE_TYPE`: same wire encoding and same ProtoJSON form. */
const JSON_GROUP: Record<string, number> = {
  int32: 1,
  uint32: 1,
  int64: 2,
  uint64: 2,
  fixed32: 3,
  sfixed32: 3,
  fixed64: 4,
  sfixed64: 4,
  bool: 5,
  sint32: 6,
  sint64: 7,
  string: 8,
  bytes: 9,
  double: 10,
  float: 11,
  message: 13,
  enum: 14,
};

/** protoc's map entry name: `foo_bar` → `FooBarEntry`. */
export function mapEntryName(field: string): string {
  let out = '';
  let up = true;
  for (const c of field) {
    if (c === '_') up = true;
    else {
      out += up ? c.toUpperCase() : c;
      up = false;
    }
  }
  return `${out}Entry`;
}

function isSynthetic(f: protobuf.Field): boolean {
  return (f.options as { proto3_optional?: boolean } | undefined)?.proto3_optional === true;
}

function features(f: protobuf.Field): Record<string, unknown> {
  return ((f as unknown as { _features?: Record<string, unknown> })._features ?? {}) as Record<
    string,
    unknown
  >;
}

function implicitDefault(kind: string, e: protobuf.Enum | undefined): string {
  if (kind === 'enum') return Object.keys(e?.values ?? {})[0] ?? '';
  if (kind === 'bool') return 'false';
  if (kind === 'string' || kind === 'bytes' || kind === 'message') return '';
  return '0';
}

function scalarView(
  id: number,
  name: string,
  type: string,
  resolved: protobuf.ReflectionObject | null,
  cardinalityOf: (kind: string) => Cardinality,
  naming: TypeNaming,
  extra: Partial<FieldView> = {},
): FieldView {
  const kind =
    resolved instanceof protobuf.Enum
      ? 'enum'
      : resolved instanceof protobuf.Type
        ? 'message'
        : type;
  const enumType = resolved instanceof protobuf.Enum ? resolved : undefined;
  return {
    id,
    name,
    kind,
    ...(resolved !== null && resolved !== undefined
      ? { typeKey: naming.key(resolved.fullName.slice(1)) }
      : {}),
    ...(enumType !== undefined ? { enumType } : {}),
    cardinality: cardinalityOf(kind),
    jsonName: jsonNameOf(name),
    effectiveDefault: implicitDefault(kind, enumType),
    options: {},
    ...extra,
  };
}

function withUtf8(f: FieldView, syntax: Syntax): FieldView {
  return f.kind === 'string' ? { ...f, utf8: syntax === 'proto2' ? 'NONE' : 'VERIFY' } : f;
}

function viewOf(f: protobuf.Field, message: string, syntax: Syntax, naming: TypeNaming): FieldView {
  const opts = (f.options ?? {}) as Record<string, unknown>;
  const oneof =
    f.partOf !== null && f.partOf !== undefined && !isSynthetic(f) ? f.partOf.name : undefined;
  const cardinalityOf = (kind: string): Cardinality => {
    if (f.map) return 'map';
    if (f.repeated) return 'repeated';
    if (f.required || features(f).field_presence === 'LEGACY_REQUIRED') return 'required';
    if (syntax === 'proto2' || kind === 'message' || oneof !== undefined || isSynthetic(f))
      return 'explicit';
    if (syntax === 'proto3') return 'implicit';
    return features(f).field_presence === 'IMPLICIT' ? 'implicit' : 'explicit';
  };
  if (f.map) {
    return {
      id: f.id,
      name: f.name,
      kind: 'message',
      typeKey: naming.key(`${message}.${mapEntryName(f.name)}`),
      cardinality: 'map',
      jsonName: typeof opts.json_name === 'string' ? opts.json_name : jsonNameOf(f.name),
      effectiveDefault: '',
      options: opts,
    };
  }
  const base = withUtf8(
    scalarView(f.id, f.name, f.type, f.resolvedType, cardinalityOf, naming),
    syntax,
  );
  const explicit = 'default' in opts ? String(opts.default) : undefined;
  return {
    ...base,
    ...(oneof !== undefined ? { oneof } : {}),
    jsonName: typeof opts.json_name === 'string' ? opts.json_name : jsonNameOf(f.name),
    ...(explicit !== undefined ? { explicitDefault: explicit, effectiveDefault: explicit } : {}),
    options: opts,
  };
}

/** The key and value fields of a map field's synthetic entry message. */
function entryFields(f: protobuf.Field, syntax: Syntax, naming: TypeNaming): FieldView[] {
  const card = (kind: string): Cardinality =>
    syntax === 'proto3' && kind !== 'message' ? 'implicit' : 'explicit';
  return [
    withUtf8(scalarView(1, 'key', keyTypeOf(f) ?? 'string', null, card, naming), syntax),
    withUtf8(scalarView(2, 'value', f.type, f.resolvedType, card, naming), syntax),
  ];
}

function enumSubset(o: protobuf.Enum, n: protobuf.Enum): boolean {
  return o.name === n.name && Object.entries(o.values).every(([k, v]) => n.values[k] === v);
}

function compareFieldType(o: FieldView, n: FieldView, p: string, emit: Emit): void {
  const typeText = (f: FieldView) => f.typeKey ?? f.kind;
  if (o.kind === n.kind && o.typeKey === n.typeKey) return;
  const change = `field ${o.id} type ${typeText(o)} → ${typeText(n)}`;
  emit('FIELD_SAME_TYPE', p, change, SOURCE);
  const sub = () =>
    o.kind === 'enum'
      ? !(
          o.enumType !== undefined &&
          n.enumType !== undefined &&
          enumSubset(o.enumType, n.enumType)
        )
      : true;
  const wireBreaks =
    WIRE_GROUP[o.kind] !== WIRE_GROUP[n.kind]
      ? !(o.kind === 'string' && n.kind === 'bytes')
      : o.typeKey !== n.typeKey && sub();
  if (wireBreaks)
    emit('FIELD_WIRE_COMPATIBLE_TYPE', p, `${change} is not wire-compatible`, WIRE_ONLY);
  const jsonBreaks =
    JSON_GROUP[o.kind] !== JSON_GROUP[n.kind] || (o.typeKey !== n.typeKey && sub());
  if (jsonBreaks)
    emit(
      'FIELD_WIRE_JSON_COMPATIBLE_TYPE',
      p,
      `${change} is not wire- and JSON-compatible`,
      JSON_ONLY,
    );
}

function compareField(o: FieldView, n: FieldView, p: string, emit: Emit): void {
  if (o.name !== n.name)
    emit('FIELD_SAME_NAME', p, `field ${o.id} renamed "${o.name}" → "${n.name}"`, JSON_SOURCE);
  if (o.jsonName !== n.jsonName)
    emit(
      'FIELD_SAME_JSON_NAME',
      p,
      `JSON name of field ${o.id} "${o.jsonName}" → "${n.jsonName}"`,
      JSON_SOURCE,
    );
  compareFieldType(o, n, p, emit);
  if (o.cardinality !== n.cardinality) {
    const change = `field ${o.id} cardinality ${CARDINALITY_TEXT[o.cardinality]} → ${CARDINALITY_TEXT[n.cardinality]}`;
    emit('FIELD_SAME_CARDINALITY', p, change, SOURCE);
    const wire = (c: Cardinality) =>
      c === 'implicit' || c === 'explicit' ? 'singular' : c === 'map' ? 'repeated' : c;
    const json = (c: Cardinality) => (c === 'implicit' || c === 'explicit' ? 'singular' : c);
    if (wire(o.cardinality) !== wire(n.cardinality))
      emit('FIELD_WIRE_COMPATIBLE_CARDINALITY', p, `${change} is not wire-compatible`, WIRE_ONLY);
    if (json(o.cardinality) !== json(n.cardinality))
      emit(
        'FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY',
        p,
        `${change} is not wire- and JSON-compatible`,
        JSON_ONLY,
      );
  }
  if (o.oneof !== n.oneof)
    emit(
      'FIELD_SAME_ONEOF',
      p,
      o.oneof === undefined
        ? `field ${o.id} moved into oneof "${n.oneof as string}"`
        : n.oneof === undefined
          ? `field ${o.id} moved out of oneof "${o.oneof}"`
          : `field ${o.id} moved from oneof "${o.oneof}" to "${n.oneof}"`,
      ALL,
    );
  if (
    (o.explicitDefault !== undefined || n.explicitDefault !== undefined) &&
    o.effectiveDefault !== n.effectiveDefault
  )
    emit(
      'FIELD_SAME_DEFAULT',
      p,
      `default of field ${o.id} ${o.effectiveDefault} → ${n.effectiveDefault}`,
      ALL,
    );
  if (o.utf8 !== undefined && n.utf8 !== undefined && o.utf8 !== n.utf8) {
    const change = `UTF-8 validation of field ${o.id} ${o.utf8} → ${n.utf8}`;
    emit('FIELD_SAME_UTF8_VALIDATION', p, change, SOURCE);
    emit('FIELD_SAME_JAVA_UTF8_VALIDATION', p, change, SOURCE);
  }
  for (const [opt, rule, dflt] of [
    ['jstype', 'FIELD_SAME_JSTYPE', 'JS_NORMAL'],
    ['ctype', 'FIELD_SAME_CPP_STRING_TYPE', 'STRING'],
  ] as const) {
    const a = String(o.options[opt] ?? dflt);
    const b = String(n.options[opt] ?? dflt);
    if (a !== b) emit(rule, p, `option ${opt} of field ${o.id} ${a} → ${b}`, SOURCE);
  }
}

function compareFields(
  oFields: readonly FieldView[],
  nFields: readonly FieldView[],
  n: protobuf.Type | undefined,
  name: string,
  emit: Emit,
): void {
  const nById = new Map(nFields.map((f) => [f.id, f]));
  const oById = new Map(oFields.map((f) => [f.id, f]));
  for (const of of oFields) {
    const p = `${name}.${of.name}`;
    const nf = nById.get(of.id);
    if (nf === undefined) {
      emit('FIELD_NO_DELETE', p, `field ${of.id} "${of.name}" deleted`, SOURCE);
      if (n === undefined || !reservedNumber(n, of.id))
        emit(
          'FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED',
          p,
          `field ${of.id} "${of.name}" deleted without reserving the number ${of.id}`,
          WIRE_LEVELS,
        );
      if (n === undefined || !reservedName(n, of.name))
        emit(
          'FIELD_NO_DELETE_UNLESS_NAME_RESERVED',
          p,
          `field ${of.id} "${of.name}" deleted without reserving the name "${of.name}"`,
          JSON_ONLY,
        );
      if (of.cardinality === 'required')
        emit(
          'MESSAGE_SAME_REQUIRED_FIELDS',
          p,
          `required field ${of.id} "${of.name}" deleted`,
          ALL,
        );
      continue;
    }
    compareField(of, nf, p, emit);
    if ((of.cardinality === 'required') !== (nf.cardinality === 'required'))
      emit(
        'MESSAGE_SAME_REQUIRED_FIELDS',
        p,
        `required field ${of.id} "${of.name}" ${of.cardinality === 'required' ? 'deleted' : 'added'}`,
        ALL,
      );
  }
  for (const nf of nFields) {
    if (oById.has(nf.id)) continue;
    const p = `${name}.${nf.name}`;
    if (nf.cardinality === 'required')
      emit('MESSAGE_SAME_REQUIRED_FIELDS', p, `required field ${nf.id} "${nf.name}" added`, ALL);
    else emit('FIELD_ADDED', p, `field ${nf.id} "${nf.name}" added`, null);
  }
}

/** Every field, oneof, reserved and extension-range rule of one message present in both. */
export function compareMessage(
  o: protobuf.Type,
  n: protobuf.Type,
  name: string,
  emit: Emit,
  oldNaming: TypeNaming,
  newNaming: TypeNaming,
): void {
  const os = oldNaming.syntaxOf(o);
  const ns = newNaming.syntaxOf(n);
  const jsonFormat = (s: Syntax) => (s === 'proto2' ? 'LEGACY_BEST_EFFORT' : 'ALLOW');
  // Buf reports losing full JSON support (ALLOW → LEGACY_BEST_EFFORT), not gaining it.
  const lostJson = jsonFormat(os) === 'ALLOW' && jsonFormat(ns) !== 'ALLOW';
  if (lostJson)
    emit(
      'MESSAGE_SAME_JSON_FORMAT',
      name,
      `message ${name} JSON format changed from ${jsonFormat(os)} to ${jsonFormat(ns)}`,
      JSON_SOURCE,
    );
  const accessor = (t: protobuf.Type) =>
    (t.options as { no_standard_descriptor_accessor?: unknown } | undefined)
      ?.no_standard_descriptor_accessor === true;
  if (!accessor(o) && accessor(n))
    emit(
      'MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR',
      name,
      `message ${name} set no_standard_descriptor_accessor`,
      SOURCE,
    );
  const oFull = o.fullName.slice(1);
  const nFull = n.fullName.slice(1);
  compareFields(
    ownFields(o).map((f) => viewOf(f, oFull, os, oldNaming)),
    ownFields(n).map((f) => viewOf(f, nFull, ns, newNaming)),
    n,
    name,
    emit,
  );
  compareReserved(o, n, name, 'RESERVED_MESSAGE_NO_DELETE', emit);
  for (const r of o.extensions ?? [])
    if (!covered(n.extensions ?? [], r[0] as number, r[1] as number))
      emit(
        'EXTENSION_MESSAGE_NO_DELETE',
        name,
        `extension range ${r[0]} to ${r[1]} removed`,
        SOURCE,
      );
  const realOneofs = (t: protobuf.Type) =>
    t.oneofsArray.filter(
      (x) => !(x.fieldsArray.length === 1 && isSynthetic(x.fieldsArray[0] as protobuf.Field)),
    );
  const kept = new Set(realOneofs(n).map((x) => x.name));
  for (const oneof of realOneofs(o))
    if (!kept.has(oneof.name))
      emit('ONEOF_NO_DELETE', `${name}.${oneof.name}`, `oneof "${oneof.name}" deleted`, SOURCE);
  // Map fields: their synthetic entry messages, when both sides have the same one.
  for (const of of o.fieldsArray) {
    if (!of.map) continue;
    const nf = n.fieldsArray.find((f) => f.map && mapEntryName(f.name) === mapEntryName(of.name));
    if (nf === undefined) continue;
    const entry = `${name}.${mapEntryName(of.name)}`;
    if (lostJson)
      emit(
        'MESSAGE_SAME_JSON_FORMAT',
        entry,
        `map entry ${entry} JSON format changed`,
        JSON_SOURCE,
      );
    compareFields(
      entryFields(of, os, oldNaming),
      entryFields(nf, ns, newNaming),
      undefined,
      entry,
      emit,
    );
  }
}

/**
 * Buf's field rules on an extension present in both versions (matched by extended message and
 * number); its name is its full name, and it has no JSON name of its own.
 */
export function compareExtension(
  o: protobuf.Field,
  n: protobuf.Field,
  syntax: { old: Syntax; new: Syntax },
  emit: Emit,
  oldNaming: TypeNaming,
  newNaming: TypeNaming,
): void {
  const view = (f: protobuf.Field, s: Syntax, naming: TypeNaming): FieldView => ({
    ...viewOf(f, '', s, naming),
    name: f.fullName.slice(1),
    jsonName: '',
  });
  const a = view(o, syntax.old, oldNaming);
  compareField(a, view(n, syntax.new, newNaming), a.name, emit);
}

/** Names of the synthetic map entry messages a message declares (for MESSAGE_NO_DELETE). */
export function mapEntries(t: protobuf.Type): string[] {
  return t.fieldsArray.filter((f) => f.map).map((f) => mapEntryName(f.name));
}
