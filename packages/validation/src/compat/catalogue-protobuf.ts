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
  pr(
    'ENUM_VALUE_NO_DELETE',
    'An enum value was deleted (FILE).',
    en('A = 0; B = 1;'),
    en('A = 0;'),
  );
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
  pr(
    'ENUM_VALUE_ADDED',
    'An enum value was added (compatible).',
    en('A = 0;'),
    en('A = 0; B = 1;'),
  );
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
}
