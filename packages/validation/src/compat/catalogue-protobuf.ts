/** The Protobuf rules of the catalogue (registered on import). */
import type { ProtobufStrictness } from '../types.js';
import { def } from './rule-spec.js';

export function defineProtobufRules(): void {
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
    'The package changed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    pb(base),
    pb(base, '', 'q'),
    'WIRE',
  );
  pr(
    'MESSAGE_NO_DELETE',
    "A message (or a map field's entry message) was deleted from the file (Buf: FILE).",
    pb(base, 'message X {}'),
    pb(base),
  );
  pr(
    'ENUM_NO_DELETE',
    'An enum was deleted from the file (Buf: FILE).',
    pb(base, 'enum E { Z = 0; }'),
    pb(base),
  );
  pr(
    'SERVICE_NO_DELETE',
    'A service was deleted from the file (Buf: FILE).',
    pb(base, 'service S { rpc Do (M) returns (M); }'),
    pb(base),
  );
  const ext = `${base}\n extensions 100 to 199;`;
  pr(
    'EXTENSION_NO_DELETE',
    'An extension was deleted from the file (Buf: FILE).',
    pb(ext, 'extend M { optional int32 x = 100; }'),
    pb(ext),
  );
  const dep = 'syntax = "proto2";\npackage d;\nmessage D {}';
  def(
    'protobuf',
    'FILE_NO_DELETE',
    'A file of the schema and its references was deleted (Buf: FILE).',
    {
      before: pb(base, 'import "d.proto";'),
      after: pb(base),
      protobufStrictness: 'FILE',
      references: { before: [{ name: 'd.proto', schema: dep }], after: [] },
    },
  );
  pr(
    'PACKAGE_NO_DELETE',
    'No file of the schema and its references declares a package any more (Buf: PACKAGE).',
    pb(base),
    pb(base, '', 'q'),
    'PACKAGE',
  );
  pr(
    'PACKAGE_MESSAGE_NO_DELETE',
    "A message (or a map field's entry message) was deleted from its package, over the schema and its references; not checked when the package no longer has any message (Buf: PACKAGE).",
    pb(base, 'message X {}'),
    pb(base),
    'PACKAGE',
  );
  pr(
    'PACKAGE_ENUM_NO_DELETE',
    'An enum was deleted from its package, over the schema and its references; not checked when the package no longer has any enum (Buf: PACKAGE).',
    pb(base, 'enum E { E0 = 0; } enum F { F0 = 0; }'),
    pb(base, 'enum F { F0 = 0; }'),
    'PACKAGE',
  );
  pr(
    'PACKAGE_SERVICE_NO_DELETE',
    'A service was deleted from its package, over the schema and its references (Buf: PACKAGE).',
    pb(base, 'service S { rpc Do (M) returns (M); }'),
    pb(base),
    'PACKAGE',
  );
  pr(
    'PACKAGE_EXTENSION_NO_DELETE',
    'An extension was deleted from its package, over the schema and its references; not checked when the package no longer has any extension (Buf: PACKAGE).',
    pb(ext, 'extend M { optional int32 x = 100; optional int32 y = 101; }'),
    pb(ext, 'extend M { optional int32 y = 101; }'),
    'PACKAGE',
  );
  pr(
    'MESSAGE_ADDED',
    'A message was added (Plinth only; compatible).',
    pb(base),
    pb(base, 'message X {}'),
  );
  pr(
    'ENUM_ADDED',
    'An enum was added (Plinth only; compatible).',
    pb(base),
    pb(base, 'enum E { Z = 0; }'),
  );
  pr(
    'SERVICE_ADDED',
    'A service was added (Plinth only; compatible).',
    pb(base),
    pb(base, 'service S { rpc Do (M) returns (M); }'),
  );
  pr(
    'FIELD_NO_DELETE',
    'A field was deleted (Buf: FILE, PACKAGE).',
    pb('optional string a = 1;\n optional int32 b = 2;'),
    pb(base),
  );
  pr(
    'FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED',
    'A field was deleted without reserving its number (Buf: WIRE_JSON, WIRE).',
    pb('optional string a = 1;\n optional int32 b = 2;'),
    pb(base),
    'WIRE',
  );
  pr(
    'FIELD_NO_DELETE_UNLESS_NAME_RESERVED',
    'A field was deleted without reserving its name (Buf: WIRE_JSON).',
    pb('optional string a = 1;\n optional int32 b = 2;'),
    pb('optional string a = 1;\n reserved 2;'),
    'WIRE_JSON',
  );
  pr(
    'FIELD_SAME_NAME',
    'A field was renamed (Buf: FILE, PACKAGE, WIRE_JSON).',
    pb(base),
    pb('optional string b = 1;'),
    'WIRE_JSON',
  );
  pr(
    'FIELD_SAME_JSON_NAME',
    'The JSON name of a field (json_name, or the one derived from its name) changed (Buf: FILE, PACKAGE, WIRE_JSON).',
    pb(base),
    pb('optional string a = 1 [json_name = "x"];'),
    'WIRE_JSON',
  );
  pr(
    'FIELD_SAME_TYPE',
    'A field type changed at all (Buf: FILE, PACKAGE).',
    pb('optional int32 a = 1;'),
    pb('optional int64 a = 1;'),
  );
  pr(
    'FIELD_WIRE_COMPATIBLE_TYPE',
    'A field type changed to a wire-incompatible one: other wire group, int32↔enum, bytes→string, message↔bytes, another message, an enum with another name or fewer values (Buf: WIRE).',
    pb('optional int32 a = 1;'),
    pb('optional sint32 a = 1;'),
    'WIRE',
  );
  pr(
    'FIELD_WIRE_JSON_COMPATIBLE_TYPE',
    'A field type changed to one that is not both wire- and JSON-compatible (Buf: WIRE_JSON).',
    pb('optional int32 a = 1;'),
    pb('optional int64 a = 1;'),
    'WIRE_JSON',
  );
  pr(
    'FIELD_SAME_CARDINALITY',
    'A field cardinality changed (implicit/explicit presence, required, repeated, map) (Buf: FILE, PACKAGE).',
    pb(base),
    pb('repeated string a = 1;'),
  );
  pr(
    'FIELD_WIRE_COMPATIBLE_CARDINALITY',
    'A cardinality change between singular, required and repeated/map (Buf: WIRE).',
    pb('optional int32 a = 1;'),
    pb('repeated int32 a = 1;'),
    'WIRE',
  );
  pr(
    'FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY',
    'A cardinality change between singular, required, repeated and map (Buf: WIRE_JSON).',
    pb(base),
    pb('repeated string a = 1;'),
    'WIRE_JSON',
  );
  pr(
    'FIELD_SAME_ONEOF',
    'A field moved into a oneof, out of one, or between oneofs (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    pb(base),
    pb('oneof o { string a = 1; }'),
    'WIRE',
  );
  pr(
    'FIELD_SAME_DEFAULT',
    'A field default value changed, where either version sets one (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    pb('optional int32 a = 1 [default = 1];'),
    pb('optional int32 a = 1 [default = 2];'),
    'WIRE',
  );
  pr(
    'MESSAGE_SAME_REQUIRED_FIELDS',
    'A required field was added or removed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    pb(base),
    pb('optional string a = 1;\n required int32 b = 2;'),
    'WIRE',
  );
  pr(
    'FIELD_ADDED',
    'A field was added (Plinth only; compatible).',
    pb(base),
    pb('optional string a = 1;\n optional int32 b = 2;'),
  );
  pr(
    'RESERVED_MESSAGE_NO_DELETE',
    'A reserved number or name of a message is no longer reserved (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    pb('optional string a = 1;\n reserved 5;'),
    pb(base),
    'WIRE',
  );
  pr(
    'ONEOF_NO_DELETE',
    'A oneof was deleted (Buf: FILE, PACKAGE).',
    pb('oneof o { string a = 1; }'),
    pb(base),
  );
  const en = (values: string, extra = '') =>
    `syntax = "proto3";\npackage p;\nenum E { ${values} ${extra} }\nmessage M { E e = 1; }`;
  pr(
    'ENUM_VALUE_NO_DELETE',
    'An enum value number was deleted (Buf: FILE, PACKAGE).',
    en('A = 0; B = 1;'),
    en('A = 0;'),
  );
  pr(
    'ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED',
    'An enum value was deleted without reserving its number (Buf: WIRE_JSON, WIRE).',
    en('A = 0; B = 1;'),
    en('A = 0;'),
    'WIRE',
  );
  pr(
    'ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED',
    'An enum value was deleted without reserving its name (Buf: WIRE_JSON).',
    en('A = 0; B = 1;'),
    en('A = 0;', 'reserved 1;'),
    'WIRE_JSON',
  );
  pr(
    'ENUM_VALUE_SAME_NAME',
    'An enum number lost one of its names (Buf: FILE, PACKAGE, WIRE_JSON).',
    en('A = 0; B = 1;'),
    en('A = 0; C = 1;'),
    'WIRE_JSON',
  );
  pr(
    'ENUM_VALUE_ADDED',
    'An enum value was added (Plinth only; compatible).',
    en('A = 0;'),
    en('A = 0; B = 1;'),
  );
  pr(
    'RESERVED_ENUM_NO_DELETE',
    'A reserved number or name of an enum is no longer reserved (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    en('A = 0;', 'reserved 1;'),
    en('A = 0;'),
    'WIRE',
  );

  const p3 = (body: string, extra = '') =>
    `syntax = "proto3";\npackage p;\n${extra}\nmessage M {\n${body}\n}`;
  pr(
    'FIELD_SAME_JSTYPE',
    'The jstype option of a field changed (Buf: FILE, PACKAGE).',
    p3('int64 a = 1;'),
    p3('int64 a = 1 [jstype = JS_STRING];'),
  );
  pr(
    'FIELD_SAME_CPP_STRING_TYPE',
    'The ctype option of a field changed (Buf: FILE, PACKAGE).',
    pb(base),
    pb('optional string a = 1 [ctype = CORD];'),
  );
  pr(
    'FIELD_SAME_UTF8_VALIDATION',
    'The UTF-8 validation of a string field changed (proto2 ↔ proto3) (Buf: FILE, PACKAGE).',
    pb(base),
    p3('string a = 1;'),
  );
  pr(
    'FIELD_SAME_JAVA_UTF8_VALIDATION',
    'The Java UTF-8 validation of a string field changed (proto2 ↔ proto3) (Buf: FILE, PACKAGE).',
    pb(base),
    p3('string a = 1;'),
  );
  pr(
    'FILE_SAME_SYNTAX',
    'The file syntax changed (Buf: FILE, PACKAGE).',
    pb('optional int32 a = 1;'),
    p3('int32 a = 1;'),
  );
  pr(
    'MESSAGE_SAME_JSON_FORMAT',
    'A message lost full JSON support (proto3 → proto2) (Buf: FILE, PACKAGE, WIRE_JSON).',
    p3('int32 a = 1;'),
    pb('optional int32 a = 1;'),
    'WIRE_JSON',
  );
  pr(
    'ENUM_SAME_JSON_FORMAT',
    'An enum lost full JSON support (proto3 → proto2) (Buf: FILE, PACKAGE, WIRE_JSON).',
    p3('int32 a = 1;', 'enum E { Z = 0; }'),
    pb('optional int32 a = 1;', 'enum E { Z = 0; }'),
    'WIRE_JSON',
  );
  pr(
    'ENUM_SAME_TYPE',
    'An enum changed between open (proto3) and closed (proto2) (Buf: FILE, PACKAGE).',
    p3('int32 a = 1;', 'enum E { Z = 0; }'),
    pb('optional int32 a = 1;', 'enum E { Z = 0; }'),
  );
  pr(
    'MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR',
    'A message set no_standard_descriptor_accessor, removing its descriptor accessor (Buf: FILE, PACKAGE).',
    pb(base),
    pb(`${base}\n option no_standard_descriptor_accessor = true;`),
    'PACKAGE',
  );
  pr(
    'EXTENSION_MESSAGE_NO_DELETE',
    'An extension range of a message was removed (Buf: FILE, PACKAGE).',
    pb('optional string a = 1;\n extensions 100 to 199;'),
    pb(base),
  );
  for (const [opt, value] of [
    ['go_package', '"example.com/p"'],
    ['java_package', '"com.example"'],
    ['java_outer_classname', '"Outer"'],
    ['java_multiple_files', 'true'],
    ['java_generic_services', 'true'],
    ['cc_enable_arenas', 'false'],
    ['cc_generic_services', 'true'],
    ['py_generic_services', 'true'],
    ['csharp_namespace', '"Example"'],
    ['objc_class_prefix', '"EX"'],
    ['php_namespace', '"Example"'],
    ['php_class_prefix', '"Ex"'],
    ['php_metadata_namespace', '"Example"'],
    ['ruby_package', '"Example"'],
    ['swift_prefix', '"Ex"'],
    ['optimize_for', 'CODE_SIZE'],
  ] as const)
    pr(
      `FILE_SAME_${opt.toUpperCase()}`,
      `The ${opt} file option changed (Buf: FILE, PACKAGE).`,
      pb(base),
      pb(base, `option ${opt} = ${value};`),
    );
  const svc = (rpc: string) => pb(base, `message N {}\nservice S { ${rpc} }`);
  pr(
    'RPC_NO_DELETE',
    'An rpc was deleted (Buf: FILE, PACKAGE).',
    svc('rpc Do (M) returns (M); rpc Go (M) returns (M);'),
    svc('rpc Do (M) returns (M);'),
  );
  pr(
    'RPC_ADDED',
    'An rpc was added (Plinth only; compatible).',
    svc('rpc Do (M) returns (M);'),
    svc('rpc Do (M) returns (M); rpc Go (M) returns (M);'),
  );
  pr(
    'RPC_SAME_REQUEST_TYPE',
    'An rpc request type changed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    svc('rpc Do (M) returns (M);'),
    svc('rpc Do (N) returns (M);'),
    'WIRE',
  );
  pr(
    'RPC_SAME_RESPONSE_TYPE',
    'An rpc response type changed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    svc('rpc Do (M) returns (M);'),
    svc('rpc Do (M) returns (N);'),
    'WIRE',
  );
  pr(
    'RPC_SAME_CLIENT_STREAMING',
    'An rpc client streaming flag changed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    svc('rpc Do (M) returns (M);'),
    svc('rpc Do (stream M) returns (M);'),
    'WIRE',
  );
  pr(
    'RPC_SAME_IDEMPOTENCY_LEVEL',
    'An rpc idempotency_level option changed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    svc('rpc Do (M) returns (M);'),
    svc('rpc Do (M) returns (M) { option idempotency_level = NO_SIDE_EFFECTS; }'),
    'WIRE',
  );
  pr(
    'RPC_SAME_SERVER_STREAMING',
    'An rpc server streaming flag changed (Buf: FILE, PACKAGE, WIRE_JSON, WIRE).',
    svc('rpc Do (M) returns (M);'),
    svc('rpc Do (M) returns (stream M);'),
    'WIRE',
  );
}
