/**
 * The small, fixed world the differential generators draw from: entity types in a few
 * namespaces, id pools, attribute and tag names with the type they usually hold, and literal
 * pools for every extension type (valid and invalid spellings, and values at the edges of their
 * ranges). Small pools make generated policies hit generated entities often enough for `in`,
 * `has`, attribute access and tags to be exercised, rather than failing on missing entities.
 */

/** The value types the expression generator produces (set types by element). */
export type Ty =
  | 'Bool'
  | 'Long'
  | 'String'
  | 'Entity'
  | 'SetLong'
  | 'SetString'
  | 'SetEntity'
  | 'Record'
  | 'decimal'
  | 'ipaddr'
  | 'datetime'
  | 'duration';

export const ALL_TYPES: readonly Ty[] = [
  'Bool',
  'Long',
  'String',
  'Entity',
  'SetLong',
  'SetString',
  'SetEntity',
  'Record',
  'decimal',
  'ipaddr',
  'datetime',
  'duration',
];

export interface Uid {
  readonly type: string;
  readonly id: string;
}

/** Principal/resource entity types, across namespaces (`Org::Unit::Team` is two levels deep). */
export const ENTITY_TYPES: readonly string[] = [
  'User',
  'Group',
  'App::Doc',
  'App::Folder',
  'Org::Unit::Team',
];

/** Ids per type: plain ones, one that needs escaping in Cedar text, and the empty id. */
export const IDS: readonly string[] = ['a', 'b', 'c', 'd', 'q"\\ü😀', ''];

/** Every non-action uid of the world, in a fixed order. */
export const ENTITY_UIDS: readonly Uid[] = ENTITY_TYPES.flatMap((type) =>
  IDS.map((id) => ({ type, id })),
);

/** Actions: plain actions, two groups, and one namespaced action type. */
export const ACTION_UIDS: readonly Uid[] = [
  { type: 'Action', id: 'read' },
  { type: 'Action', id: 'write' },
  { type: 'Action', id: 'delete' },
  { type: 'Action', id: 'readers' },
  { type: 'Action', id: 'all' },
  { type: 'App::Action', id: 'share' },
];

/** Entity attributes and context keys, with the type each usually holds. */
export const ATTRS: Readonly<Record<string, Ty>> = {
  name: 'String',
  age: 'Long',
  active: 'Bool',
  owner: 'Entity',
  roles: 'SetString',
  nums: 'SetLong',
  friends: 'SetEntity',
  profile: 'Record',
  score: 'decimal',
  addr: 'ipaddr',
  created: 'datetime',
  ttl: 'duration',
  'full name': 'String',
};
export const ATTR_NAMES: readonly string[] = Object.keys(ATTRS);

/** Fields of records (attribute `profile`, record literals). */
export const RECORD_FIELDS: Readonly<Record<string, Ty>> = {
  level: 'Long',
  dept: 'String',
  flag: 'Bool',
  boss: 'Entity',
  when: 'datetime',
};
export const RECORD_FIELD_NAMES: readonly string[] = Object.keys(RECORD_FIELDS);

/** Tag keys, with the type each usually holds. */
export const TAGS: Readonly<Record<string, Ty>> = {
  role: 'String',
  clearance: 'Long',
  on: 'Bool',
};
export const TAG_NAMES: readonly string[] = Object.keys(TAGS);

/** Long literals: small values, signs, and the edges of the 64-bit range (overflow fodder). */
export const LONGS: readonly string[] = [
  '0',
  '1',
  '2',
  '3',
  '7',
  '-1',
  '-5',
  '42',
  '100',
  '3037000500',
  '4611686018427387904',
  '9223372036854775807',
  '-9223372036854775808',
];

/** Long values allowed in JSON data (cedar-wasm takes JS numbers: safe integers only). */
export const JSON_LONGS: readonly number[] = [
  0, 1, 2, 3, 7, -1, -5, 42, 100, 3037000500, -3037000500, 9007199254740991, -9007199254740991,
];

export const STRINGS: readonly string[] = [
  '',
  'a',
  'b',
  'alice',
  'Alice',
  'a*b',
  'ab',
  'abc',
  'x y',
  'ü',
  '😀',
  'q"\\',
  '\0',
  '\t',
  "'",
  '\u007f',
  '1.5',
  '10.0.0.1',
];

/** Strings for `like`: literal runs and wildcards, rendered with `\*` for a literal star. */
export const LIKE_CHUNKS: readonly string[] = ['a', 'b', 'al', 'ce', 'c', '*', ' ', 'ü', '😀', '.'];

export const DECIMALS_VALID: readonly string[] = [
  '0.0',
  '1.5',
  '-1.5',
  '1.0001',
  '2.25',
  '-0.0001',
  '922337203685477.5807',
  '-922337203685477.5808',
  '100.0',
  // Equal values written differently, and other spellings at the edge of the grammar.
  '1.50',
  '-0.0',
  '0.1234',
  '007.5',
];
export const DECIMALS_INVALID: readonly string[] = [
  '1.23456',
  'abc',
  '1',
  '.5',
  '922337203685477.5808',
  '1.',
  '+1.0',
  '1.5e3',
  '- 1.0',
];

export const IPS_VALID: readonly string[] = [
  '10.0.0.1',
  '10.0.0.0/8',
  '192.168.1.7',
  '127.0.0.1',
  '224.0.0.1',
  '0.0.0.0/0',
  '::1',
  '::',
  'ff02::1',
  '2001:db8::/32',
  '2001:db8::8a2e:370:7334',
  '10.1.2.3/32',
  '10.0.0.1/32',
  '10.0.0.1/8',
  '::1/128',
  '2001:db8::1/32',
  '255.255.255.255',
  '0.0.0.0',
  '127.255.255.255/1',
  'FF02::1',
  '::ffff:a00:1',
];
export const IPS_INVALID: readonly string[] = [
  '1.2.3.400',
  '01.2.3.4',
  '::1/129',
  '10.0.0.0/33',
  'abc',
  '1.2.3',
  // IPv4 embedded in IPv6: Cedar rejects it.
  '::ffff:10.0.0.1',
  '10.0.0.0/08',
  'fe80::1%eth0',
  '1.2.3.4/-1',
  ' 10.0.0.1',
  '::1/',
];

export const DATETIMES_VALID: readonly string[] = [
  '2024-01-01',
  '1970-01-01',
  '1969-12-31T23:59:59Z',
  '2024-02-29T12:30:00Z',
  '2024-01-01T10:20:30.123Z',
  '2024-06-15T08:00:00+0130',
  '2024-06-15T08:00:00.500-0800',
  '9999-12-31T23:59:59.999Z',
  '0000-01-01',
  '2024-06-15T06:30:00Z',
  '2024-06-15T06:30:00.000+0000',
  '2024-01-01T00:00:00-2359',
  '1960-05-05T12:00:00.001Z',
  '1969-12-31T23:59:59.999Z',
  '1969-07-20T20:17:40-0500',
  '1900-01-01T00:00:00.001Z',
];
export const DATETIMES_INVALID: readonly string[] = [
  '2024-13-01',
  '2024-01-01T25:00:00Z',
  '2024-1-1',
  '2024-01-01T10:20:30',
  '2024-01-01 10:20:30Z',
  'now',
  '2023-02-29',
  '2024-01-01T23:59:60Z',
  '2024-01-01T00:00:00+2400',
  '2024-01-01T00:00:00.12Z',
  '2024-01-01T00:00:00+01:30',
  '+2024-01-01',
  '10000-01-01',
];

export const DURATIONS_VALID: readonly string[] = [
  '0ms',
  '1ms',
  '1s',
  '90m',
  '1h',
  '-1h',
  '1d2h3m4s5ms',
  '-2d12h',
  '106751991167d',
  '9223372036854775807ms',
  '365d',
  '60m',
  '1000ms',
  '-0ms',
  '0d',
  '-9223372036854775808ms',
  '1h0m',
];
export const DURATIONS_INVALID: readonly string[] = [
  '1x',
  '',
  '1h1d',
  '9223372036854775808ms',
  '106751991168d',
  '1.5h',
  'h',
  '1d1d',
  '1 h',
  '--1h',
  '1H',
  '-9223372036854775809ms',
];

/** Every extension function, by the name used in Cedar text. */
export const EXTENSION_CONSTRUCTORS = ['ip', 'decimal', 'datetime', 'duration'] as const;
export const EXTENSION_METHODS = [
  'isIpv4',
  'isIpv6',
  'isLoopback',
  'isMulticast',
  'isInRange',
  'lessThan',
  'lessThanOrEqual',
  'greaterThan',
  'greaterThanOrEqual',
  'offset',
  'durationSince',
  'toDate',
  'toTime',
  'toMilliseconds',
  'toSeconds',
  'toMinutes',
  'toHours',
  'toDays',
] as const;

/** Every operator the corpus must contain (names as the coverage check counts them). */
export const OPERATORS = [
  '&&',
  '||',
  '!',
  'neg',
  '+',
  '-',
  '*',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'has',
  'like',
  'is',
  'if',
  '.',
  '[]',
  'contains',
  'containsAll',
  'containsAny',
  'isEmpty',
  'hasTag',
  'getTag',
  'set',
  'record',
] as const;
