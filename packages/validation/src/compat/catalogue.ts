import type { ProtobufStrictness } from '../types.js';

/** One entry of the compatibility rule catalogue. */
export interface RuleSpec {
  readonly format: 'json-schema' | 'avro' | 'protobuf';
  readonly description: string;
  /** A minimal before → after pair that produces the rule (also the golden test). */
  readonly example: {
    readonly before: unknown;
    readonly after: unknown;
    readonly protobufStrictness?: ProtobufStrictness;
    readonly jsonSchemaPolicy?: 'strict' | 'lenient';
    /** Avro resolution rules are reported by checks, not diffs: the direction to check. */
    readonly check?: 'backward' | 'forward';
  };
}

type Spec = Omit<RuleSpec, 'format'>;
const rules: Record<string, RuleSpec> = {};
const def = (
  format: RuleSpec['format'],
  id: string,
  description: string,
  example: Spec['example'],
) => {
  rules[id] = { format, description, example };
};

// ---------------------------------------------------------------- JSON Schema
const js = (
  id: string,
  d: string,
  before: unknown,
  after: unknown,
  extra: Partial<Spec['example']> = {},
) => def('json-schema', id, d, { before, after, ...extra });
for (const [kw, id] of [
  ['title', 'TITLE'],
  ['description', 'DESCRIPTION'],
  ['$comment', 'COMMENT'],
  ['examples', 'EXAMPLES'],
  ['default', 'DEFAULT'],
  ['deprecated', 'DEPRECATED'],
  ['readOnly', 'READ_ONLY'],
  ['writeOnly', 'WRITE_ONLY'],
  ['$anchor', 'ANCHOR'],
] as const) {
  const value =
    kw === 'examples'
      ? ['a']
      : kw === 'deprecated' || kw === 'readOnly' || kw === 'writeOnly'
        ? true
        : 'x';
  js(
    `JSON_${id}_CHANGED`,
    `Annotation "${kw}" changed (cosmetic).`,
    { type: 'string' },
    { type: 'string', [kw]: value },
  );
}
js(
  'JSON_TYPE_NARROWED',
  'The new schema accepts fewer JSON types (breaks BACKWARD).',
  { type: ['string', 'null'] },
  { type: 'string' },
);
js(
  'JSON_TYPE_WIDENED',
  'The new schema accepts more JSON types (breaks FORWARD).',
  { type: 'integer' },
  { type: 'number' },
);
js(
  'JSON_TYPE_CHANGED',
  'The accepted types changed both ways (breaks both).',
  { type: 'string' },
  { type: 'number' },
);
js(
  'JSON_ENUM_ADDED',
  'An enum constraint was added (narrows).',
  { type: 'string' },
  { type: 'string', enum: ['a'] },
);
js('JSON_ENUM_REMOVED', 'The enum constraint was removed (widens).', { enum: ['a'] }, {});
js(
  'JSON_ENUM_NARROWED',
  'Enum values were removed (narrows).',
  { enum: ['a', 'b'] },
  { enum: ['a'] },
);
js('JSON_ENUM_EXTENDED', 'Enum values were added (widens).', { enum: ['a'] }, { enum: ['a', 'b'] });
js('JSON_CONST_ADDED', 'A const was added (narrows).', {}, { const: 1 });
js('JSON_CONST_REMOVED', 'The const was removed (widens).', { const: 1 }, {});
js('JSON_CONST_CHANGED', 'The const changed (breaks both).', { const: 1 }, { const: 2 });
for (const [kw, id, kind] of [
  ['maximum', 'MAXIMUM', 'max'],
  ['exclusiveMaximum', 'EXCLUSIVE_MAXIMUM', 'max'],
  ['minimum', 'MINIMUM', 'min'],
  ['exclusiveMinimum', 'EXCLUSIVE_MINIMUM', 'min'],
  ['maxLength', 'MAX_LENGTH', 'max'],
  ['minLength', 'MIN_LENGTH', 'min'],
  ['maxItems', 'MAX_ITEMS', 'max'],
  ['minItems', 'MIN_ITEMS', 'min'],
  ['maxProperties', 'MAX_PROPERTIES', 'max'],
  ['minProperties', 'MIN_PROPERTIES', 'min'],
] as const) {
  const tight = kind === 'max' ? 'narrows' : 'widens';
  const loose = kind === 'max' ? 'widens' : 'narrows';
  js(`JSON_${id}_ADDED`, `"${kw}" was added (narrows).`, {}, { [kw]: 5 });
  js(`JSON_${id}_REMOVED`, `"${kw}" was removed (widens).`, { [kw]: 5 }, {});
  js(`JSON_${id}_DECREASED`, `"${kw}" decreased (${tight}).`, { [kw]: 5 }, { [kw]: 3 });
  js(`JSON_${id}_INCREASED`, `"${kw}" increased (${loose}).`, { [kw]: 3 }, { [kw]: 5 });
}
for (const kw of ['pattern', 'format'] as const) {
  const id = kw.toUpperCase();
  const [a, b] = kw === 'pattern' ? ['^a', '^b'] : ['email', 'uri'];
  js(
    `JSON_${id}_ADDED`,
    `"${kw}" was added (narrows).`,
    { type: 'string' },
    { type: 'string', [kw]: a },
  );
  js(
    `JSON_${id}_REMOVED`,
    `"${kw}" was removed (widens).`,
    { type: 'string', [kw]: a },
    { type: 'string' },
  );
  js(
    `JSON_${id}_CHANGED`,
    `"${kw}" changed (breaks both).`,
    { type: 'string', [kw]: a },
    { type: 'string', [kw]: b },
  );
}
js('JSON_MULTIPLE_OF_ADDED', '"multipleOf" was added (narrows).', {}, { multipleOf: 2 });
js('JSON_MULTIPLE_OF_REMOVED', '"multipleOf" was removed (widens).', { multipleOf: 2 }, {});
js(
  'JSON_MULTIPLE_OF_CHANGED',
  '"multipleOf" changed: narrows to a multiple, widens to a divisor, else both.',
  { multipleOf: 2 },
  { multipleOf: 3 },
);
js(
  'JSON_UNIQUE_ITEMS_ADDED',
  '"uniqueItems" was switched on (narrows).',
  { type: 'array' },
  { type: 'array', uniqueItems: true },
);
js(
  'JSON_UNIQUE_ITEMS_REMOVED',
  '"uniqueItems" was switched off (widens).',
  { type: 'array', uniqueItems: true },
  { type: 'array' },
);
js(
  'JSON_NOT_CHANGED',
  'The "not" subschema changed (breaks both).',
  { not: { type: 'string' } },
  { not: { type: 'number' } },
);
js(
  'JSON_KEYWORD_CHANGED',
  'Another validation keyword (if/then/else, dependencies, …) changed (breaks both).',
  { if: { type: 'string' }, then: { minLength: 1 } },
  { if: { type: 'string' }, then: { minLength: 2 } },
);
js(
  'JSON_REQUIRED_ADDED',
  'A property became required (narrows).',
  { type: 'object', properties: { a: {} } },
  { type: 'object', properties: { a: {} }, required: ['a'] },
);
js(
  'JSON_REQUIRED_REMOVED',
  'A property is no longer required (widens).',
  { type: 'object', properties: { a: {} }, required: ['a'] },
  { type: 'object', properties: { a: {} } },
);
js(
  'JSON_PROPERTY_ADDED_TO_OPEN_MODEL',
  'A property was added to an open content model: compatible under the lenient policy, narrows under strict.',
  { type: 'object' },
  { type: 'object', properties: { a: { type: 'string' } } },
  { jsonSchemaPolicy: 'strict' },
);
js(
  'JSON_PROPERTY_ADDED_TO_CLOSED_MODEL',
  'A property was added to a closed model (additionalProperties: false) (widens).',
  { type: 'object', additionalProperties: false },
  { type: 'object', additionalProperties: false, properties: { a: {} } },
);
js(
  'JSON_PROPERTY_REMOVED_FROM_OPEN_MODEL',
  'A property was removed from an open model: compatible under lenient, widens under strict.',
  { type: 'object', properties: { a: { type: 'string' } } },
  { type: 'object' },
  { jsonSchemaPolicy: 'strict' },
);
js(
  'JSON_PROPERTY_REMOVED_FROM_CLOSED_MODEL',
  'A property was removed from a closed model (narrows).',
  { type: 'object', additionalProperties: false, properties: { a: {} } },
  { type: 'object', additionalProperties: false },
);
js(
  'JSON_ADDITIONAL_PROPERTIES_NARROWED',
  'additionalProperties was closed or narrowed (narrows).',
  { type: 'object' },
  { type: 'object', additionalProperties: false },
);
js(
  'JSON_ADDITIONAL_PROPERTIES_EXTENDED',
  'additionalProperties was opened (widens).',
  { type: 'object', additionalProperties: false },
  { type: 'object' },
);
js(
  'JSON_PATTERN_PROPERTIES_CHANGED',
  'A patternProperties entry was added or removed (breaks both).',
  { type: 'object' },
  { type: 'object', patternProperties: { '^x-': { type: 'string' } } },
);
js(
  'JSON_CONTAINS_ADDED',
  '"contains" was added (narrows).',
  { type: 'array' },
  { type: 'array', contains: { type: 'string' } },
);
js(
  'JSON_CONTAINS_REMOVED',
  '"contains" was removed (widens).',
  { type: 'array', contains: { type: 'string' } },
  { type: 'array' },
);
js(
  'JSON_CONTAINS_CHANGED',
  '"contains" changed (breaks both).',
  { type: 'array', contains: { type: 'string' } },
  { type: 'array', contains: { type: 'number' } },
);
for (const [kw, id] of [
  ['anyOf', 'ANY_OF'],
  ['oneOf', 'ONE_OF'],
  ['allOf', 'ALL_OF'],
] as const) {
  const more = kw === 'allOf' ? 'narrows' : 'widens';
  const less = kw === 'allOf' ? 'widens' : 'narrows';
  js(`JSON_${id}_ADDED`, `"${kw}" was added (narrows).`, {}, { [kw]: [{ type: 'string' }] });
  js(`JSON_${id}_REMOVED`, `"${kw}" was removed (widens).`, { [kw]: [{ type: 'string' }] }, {});
  js(
    `JSON_${id}_BRANCH_ADDED`,
    `A "${kw}" branch was added (${more}).`,
    { [kw]: [{ type: 'string' }] },
    { [kw]: [{ type: 'string' }, { type: 'null' }] },
  );
  js(
    `JSON_${id}_BRANCH_REMOVED`,
    `A "${kw}" branch was removed (${less}).`,
    { [kw]: [{ type: 'string' }, { type: 'null' }] },
    { [kw]: [{ type: 'string' }] },
  );
}

// ---------------------------------------------------------------- Avro
const rec = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name: 'R',
  fields,
  ...extra,
});
const av = (
  id: string,
  d: string,
  before: unknown,
  after: unknown,
  check?: 'backward' | 'forward',
) => def('avro', id, d, check === undefined ? { before, after } : { before, after, check });
av(
  'AVRO_FIELD_ADDED_WITH_DEFAULT',
  'A field with a default was added (compatible both ways).',
  rec([{ name: 'a', type: 'int' }]),
  rec([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'int', default: 0 },
  ]),
);
av(
  'AVRO_FIELD_ADDED_WITHOUT_DEFAULT',
  'A field without a default was added: new readers cannot read old data (breaks BACKWARD).',
  rec([{ name: 'a', type: 'int' }]),
  rec([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'int' },
  ]),
);
av(
  'AVRO_FIELD_REMOVED_WITH_DEFAULT',
  'A field that had a default was removed (old readers use the default).',
  rec([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'int', default: 0 },
  ]),
  rec([{ name: 'a', type: 'int' }]),
);
av(
  'AVRO_FIELD_REMOVED_WITHOUT_DEFAULT',
  'A field without a default was removed: old readers fail on new data (breaks FORWARD).',
  rec([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'int' },
  ]),
  rec([{ name: 'a', type: 'int' }]),
);
av(
  'AVRO_FIELD_RENAMED',
  'A field was renamed; an alias of the old name keeps BACKWARD.',
  rec([{ name: 'a', type: 'int' }]),
  rec([{ name: 'b', aliases: ['a'], type: 'int' }]),
);
av(
  'AVRO_FIELD_MOVED',
  'A field changed position (cosmetic: fields resolve by name).',
  rec([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'int' },
  ]),
  rec([
    { name: 'b', type: 'int' },
    { name: 'a', type: 'int' },
  ]),
);
av(
  'AVRO_FIELD_DEFAULT_CHANGED',
  'A field default was added, removed or changed.',
  rec([{ name: 'a', type: 'int' }]),
  rec([{ name: 'a', type: 'int', default: 1 }]),
);
av(
  'AVRO_FIELD_ORDER_CHANGED',
  'A field sort order changed (cosmetic for resolution).',
  rec([{ name: 'a', type: 'int' }]),
  rec([{ name: 'a', type: 'int', order: 'descending' }]),
);
av(
  'AVRO_DOC_CHANGED',
  'Documentation changed (cosmetic; not in the canonical form).',
  rec([{ name: 'a', type: 'int' }]),
  rec([{ name: 'a', type: 'int' }], { doc: 'x' }),
);
av(
  'AVRO_ALIASES_CHANGED',
  'Aliases changed (cosmetic).',
  rec([{ name: 'a', type: 'int' }]),
  rec([{ name: 'a', type: 'int' }], { aliases: ['Old'] }),
);
av(
  'AVRO_PROPERTY_CHANGED',
  'A custom attribute changed (cosmetic).',
  rec([{ name: 'a', type: 'int' }]),
  rec([{ name: 'a', type: 'int' }], { owner: 'x' }),
);
av(
  'AVRO_NAME_CHANGED',
  'A named type was renamed; an alias of the old name keeps BACKWARD.',
  rec([]),
  { type: 'record', name: 'S', fields: [] },
);
av(
  'AVRO_TYPE_PROMOTED',
  'The type was promoted (int→long/float/double, long→float/double, float→double, string↔bytes): breaks FORWARD only.',
  'int',
  'long',
);
av(
  'AVRO_TYPE_DEMOTED',
  'The type was narrowed (e.g. long→int): breaks BACKWARD only.',
  'long',
  'int',
);
av(
  'AVRO_TYPE_CHANGED',
  'The type changed to one that neither reads the other (breaks both).',
  'int',
  'string',
);
av(
  'AVRO_LOGICAL_TYPE_CHANGED',
  'The logical type changed: the encoding still resolves, the meaning does not (breaking).',
  'long',
  { type: 'long', logicalType: 'timestamp-millis' },
);
av(
  'AVRO_TYPE_TO_UNION',
  'A type became a union (BACKWARD if the union has a matching branch).',
  'int',
  ['null', 'int'],
);
av(
  'AVRO_UNION_TO_TYPE',
  'A union became a single type (BACKWARD breaks unless every branch resolves).',
  ['null', 'int'],
  'int',
);
av(
  'AVRO_UNION_BRANCH_ADDED',
  'A union branch was added (breaks FORWARD unless old readers can read it).',
  ['null', 'int'],
  ['null', 'int', 'string'],
);
av(
  'AVRO_UNION_BRANCH_REMOVED',
  'A union branch was removed (breaks BACKWARD unless another branch reads it).',
  ['null', 'int', 'string'],
  ['null', 'int'],
);
av(
  'AVRO_UNION_BRANCHES_REORDERED',
  'Union branches were reordered (the first branch decides defaults).',
  ['null', 'int'],
  ['int', 'null'],
);
av(
  'AVRO_FIXED_SIZE_CHANGED',
  'A fixed changed size (breaks both).',
  { type: 'fixed', name: 'F', size: 4 },
  { type: 'fixed', name: 'F', size: 8 },
);
av(
  'AVRO_ENUM_SYMBOL_ADDED',
  'An enum symbol was added (breaks FORWARD unless the old enum has a default).',
  { type: 'enum', name: 'E', symbols: ['A'] },
  { type: 'enum', name: 'E', symbols: ['A', 'B'] },
);
av(
  'AVRO_ENUM_SYMBOL_REMOVED',
  'An enum symbol was removed (breaks BACKWARD unless the new enum has a default).',
  { type: 'enum', name: 'E', symbols: ['A', 'B'] },
  { type: 'enum', name: 'E', symbols: ['A'] },
);
av(
  'AVRO_ENUM_SYMBOLS_REORDERED',
  'Enum symbols were reordered (cosmetic: symbols resolve by name).',
  { type: 'enum', name: 'E', symbols: ['A', 'B'] },
  { type: 'enum', name: 'E', symbols: ['B', 'A'] },
);
av(
  'AVRO_ENUM_DEFAULT_CHANGED',
  'The enum default was added, removed or changed.',
  { type: 'enum', name: 'E', symbols: ['A', 'B'] },
  { type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A' },
);
av(
  'AVRO_READER_FIELD_MISSING_DEFAULT',
  'Resolution: a reader field is absent from the writer and has no default.',
  rec([{ name: 'a', type: 'int' }]),
  rec([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'int' },
  ]),
  'backward',
);
av(
  'AVRO_TYPE_MISMATCH',
  'Resolution: the reader type cannot read the writer type (no promotion applies).',
  'int',
  'string',
  'backward',
);
av(
  'AVRO_NAME_MISMATCH',
  'Resolution: named types differ in (unqualified) name and the reader has no matching alias.',
  rec([]),
  { type: 'record', name: 'S', fields: [] },
  'backward',
);
av(
  'AVRO_FIXED_SIZE_MISMATCH',
  'Resolution: fixed types of different sizes.',
  { type: 'fixed', name: 'F', size: 4 },
  { type: 'fixed', name: 'F', size: 8 },
  'backward',
);
av(
  'AVRO_MISSING_ENUM_SYMBOLS',
  'Resolution: the writer has symbols the reader lacks and the reader enum has no default.',
  { type: 'enum', name: 'E', symbols: ['A', 'B'] },
  { type: 'enum', name: 'E', symbols: ['A'] },
  'backward',
);
av(
  'AVRO_MISSING_UNION_BRANCH',
  'Resolution: no reader union branch can read a writer type.',
  'string',
  ['null', 'int'],
  'backward',
);

// ---------------------------------------------------------------- Protobuf
const pb = (body: string, extra = '', pkg = 'p') =>
  `syntax = "proto2";\npackage ${pkg};\n${extra}\nmessage M {\n${body}\n}`;
const pr = (
  id: string,
  d: string,
  before: string,
  after: string,
  strictness: ProtobufStrictness = 'FILE',
) => def('protobuf', id, d, { before, after, protobufStrictness: strictness });
const base = 'optional string a = 1;';
pr(
  'FILE_SAME_PACKAGE',
  'The package changed (breaks WIRE: type names change).',
  pb(base),
  pb(base, '', 'q'),
  'WIRE',
);
pr('MESSAGE_NO_DELETE', 'A message was deleted (FILE).', pb(base, 'message X {}'), pb(base));
pr('ENUM_NO_DELETE', 'An enum was deleted (FILE).', pb(base, 'enum E { Z = 0; }'), pb(base));
pr(
  'SERVICE_NO_DELETE',
  'A service was deleted (FILE).',
  pb(base, 'service S { rpc Do (M) returns (M); }'),
  pb(base),
);
pr(
  'TYPE_SAME_KIND',
  'A name changed between message, enum and service (WIRE).',
  pb(base, 'message X {}'),
  pb(base, 'enum X { Z = 0; }'),
  'WIRE',
);
pr('MESSAGE_ADDED', 'A message was added (compatible).', pb(base), pb(base, 'message X {}'));
pr('ENUM_ADDED', 'An enum was added (compatible).', pb(base), pb(base, 'enum E { Z = 0; }'));
pr(
  'SERVICE_ADDED',
  'A service was added (compatible).',
  pb(base),
  pb(base, 'service S { rpc Do (M) returns (M); }'),
);
pr(
  'FIELD_NO_DELETE',
  'A field was deleted (FILE).',
  pb('optional string a = 1;\n optional int32 b = 2;'),
  pb(base),
);
pr(
  'FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED',
  'A field was deleted without reserving its number (WIRE).',
  pb('optional string a = 1;\n optional int32 b = 2;'),
  pb(base),
  'WIRE',
);
pr(
  'FIELD_NO_DELETE_UNLESS_NAME_RESERVED',
  'A field was deleted without reserving its name (WIRE_JSON).',
  pb('optional string a = 1;\n optional int32 b = 2;'),
  pb('optional string a = 1;\n reserved 2;'),
  'WIRE_JSON',
);
pr(
  'FIELD_SAME_NAME',
  'A field was renamed (WIRE_JSON: ProtoJSON uses names).',
  pb(base),
  pb('optional string b = 1;'),
  'WIRE_JSON',
);
pr(
  'FIELD_SAME_JSON_NAME',
  'A field json_name changed (WIRE_JSON).',
  pb(base),
  pb('optional string a = 1 [json_name = "x"];'),
  'WIRE_JSON',
);
pr(
  'FIELD_SAME_TYPE',
  'A field type changed at all (FILE).',
  pb('optional int32 a = 1;'),
  pb('optional int64 a = 1;'),
);
pr(
  'FIELD_WIRE_COMPATIBLE_TYPE',
  'A field type changed to a wire-incompatible one (WIRE).',
  pb('optional int32 a = 1;'),
  pb('optional sint32 a = 1;'),
  'WIRE',
);
pr(
  'FIELD_WIRE_JSON_COMPATIBLE_TYPE',
  'A wire-compatible type change that changes the ProtoJSON form (WIRE_JSON).',
  pb('optional int32 a = 1;'),
  pb('optional int64 a = 1;'),
  'WIRE_JSON',
);
pr(
  'FIELD_SAME_CARDINALITY',
  'A field label changed (FILE).',
  pb(base),
  pb('repeated string a = 1;'),
);
pr(
  'FIELD_WIRE_COMPATIBLE_CARDINALITY',
  'A cardinality change that breaks the wire (numeric singular↔repeated, map, required) (WIRE).',
  pb('optional int32 a = 1;'),
  pb('repeated int32 a = 1;'),
  'WIRE',
);
pr(
  'FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY',
  'singular↔repeated of a string/bytes/message: wire-safe, but ProtoJSON changes (WIRE_JSON).',
  pb(base),
  pb('repeated string a = 1;'),
  'WIRE_JSON',
);
pr(
  'FIELD_SAME_ONEOF',
  'A field moved into an existing oneof, between oneofs, or with others into a new one (WIRE).',
  pb('oneof o { string a = 1; }\n optional string b = 2;'),
  pb('oneof o { string a = 1; string b = 2; }'),
  'WIRE',
);
pr(
  'FIELD_MOVED_TO_NEW_ONEOF',
  'A single field moved into a new oneof (wire-safe; FILE).',
  pb(base),
  pb('oneof o { string a = 1; }'),
);
pr(
  'FIELD_MOVED_OUT_OF_ONEOF',
  'A field moved out of its oneof (FILE).',
  pb('oneof o { string a = 1; }'),
  pb(base),
);
pr(
  'FIELD_SAME_DEFAULT',
  'A proto2 default changed (WIRE).',
  pb('optional int32 a = 1 [default = 1];'),
  pb('optional int32 a = 1 [default = 2];'),
  'WIRE',
);
pr(
  'FIELD_RESERVED_NUMBER_REUSED',
  'A new field uses a number the old version reserved (WIRE).',
  pb('optional string a = 1;\n reserved 2;'),
  pb('optional string a = 1;\n optional int32 b = 2;'),
  'WIRE',
);
pr(
  'FIELD_RESERVED_NAME_REUSED',
  'A new field uses a name the old version reserved (WIRE_JSON).',
  pb('optional string a = 1;\n reserved "b";'),
  pb('optional string a = 1;\n optional int32 b = 2;'),
  'WIRE_JSON',
);
pr(
  'MESSAGE_SAME_REQUIRED_FIELDS',
  'A proto2 required field was added or removed (WIRE).',
  pb(base),
  pb('optional string a = 1;\n required int32 b = 2;'),
  'WIRE',
);
pr(
  'FIELD_ADDED',
  'A field was added (compatible).',
  pb(base),
  pb('optional string a = 1;\n optional int32 b = 2;'),
);
pr(
  'RESERVED_MESSAGE_NO_DELETE',
  'A reserved range or name of a message was removed (WIRE).',
  pb('optional string a = 1;\n reserved 5;'),
  pb(base),
  'WIRE',
);
pr('ONEOF_NO_DELETE', 'A oneof was deleted (FILE).', pb('oneof o { string a = 1; }'), pb(base));
const en = (values: string, extra = '') =>
  `syntax = "proto3";\npackage p;\nenum E { ${values} ${extra} }\nmessage M { E e = 1; }`;
pr('ENUM_VALUE_NO_DELETE', 'An enum value was deleted (FILE).', en('A = 0; B = 1;'), en('A = 0;'));
pr(
  'ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED',
  'An enum value was deleted without reserving its number (WIRE).',
  en('A = 0; B = 1;'),
  en('A = 0;'),
  'WIRE',
);
pr(
  'ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED',
  'An enum value was deleted without reserving its name (WIRE_JSON).',
  en('A = 0; B = 1;'),
  en('A = 0;', 'reserved 1;'),
  'WIRE_JSON',
);
pr(
  'ENUM_VALUE_SAME_NAME',
  'An enum number got another name (WIRE_JSON: ProtoJSON uses names).',
  en('A = 0; B = 1;'),
  en('A = 0; C = 1;'),
  'WIRE_JSON',
);
pr('ENUM_VALUE_ADDED', 'An enum value was added (compatible).', en('A = 0;'), en('A = 0; B = 1;'));
pr(
  'ENUM_RESERVED_NUMBER_REUSED',
  'A new enum value uses a number the old version reserved (WIRE).',
  en('A = 0;', 'reserved 1;'),
  en('A = 0; B = 1;'),
  'WIRE',
);
pr(
  'RESERVED_ENUM_NO_DELETE',
  'A reserved range or name of an enum was removed (WIRE).',
  en('A = 0;', 'reserved 1;'),
  en('A = 0;'),
  'WIRE',
);
const svc = (rpc: string) => pb(base, `message N {}\nservice S { ${rpc} }`);
pr(
  'RPC_NO_DELETE',
  'An rpc was deleted (FILE).',
  svc('rpc Do (M) returns (M); rpc Go (M) returns (M);'),
  svc('rpc Do (M) returns (M);'),
);
pr(
  'RPC_ADDED',
  'An rpc was added (compatible).',
  svc('rpc Do (M) returns (M);'),
  svc('rpc Do (M) returns (M); rpc Go (M) returns (M);'),
);
pr(
  'RPC_SAME_REQUEST_TYPE',
  'An rpc request type changed (WIRE).',
  svc('rpc Do (M) returns (M);'),
  svc('rpc Do (N) returns (M);'),
  'WIRE',
);
pr(
  'RPC_SAME_RESPONSE_TYPE',
  'An rpc response type changed (WIRE).',
  svc('rpc Do (M) returns (M);'),
  svc('rpc Do (M) returns (N);'),
  'WIRE',
);
pr(
  'RPC_SAME_CLIENT_STREAMING',
  'An rpc client streaming flag changed (WIRE).',
  svc('rpc Do (M) returns (M);'),
  svc('rpc Do (stream M) returns (M);'),
  'WIRE',
);
pr(
  'RPC_SAME_SERVER_STREAMING',
  'An rpc server streaming flag changed (WIRE).',
  svc('rpc Do (M) returns (M);'),
  svc('rpc Do (M) returns (stream M);'),
  'WIRE',
);

/**
 * Every rule id the built-in formats report, with what it means and a minimal example. Ids are
 * stable: they appear in `SchemaChange.rule`, ignore lists and the README catalogue.
 */
export const COMPATIBILITY_RULES: Readonly<Record<string, RuleSpec>> = Object.freeze(rules);
