import { invalidSchema, validationErrors } from '../../errors.js';
import { isObject, seg } from '../../internal/json.js';

/** A location in the schema, built without string work; turned into a JSON pointer on error. */
export type Loc = { readonly p: Loc; readonly k: string | number } | undefined;
export const at = (p: Loc, k: string | number): Loc => ({ p, k });
export function pointer(loc: Loc): string {
  let out = '';
  for (let l = loc; l !== undefined; l = l.p) out = `/${seg(l.k)}${out}`;
  return out;
}
function bad(message: string, loc: Loc): never {
  return invalidSchema('avro', message, pointer(loc));
}

/** Avro primitive type names. */
export const PRIMITIVES = [
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
] as const;
export type AvroPrimitive = (typeof PRIMITIVES)[number];

interface Base {
  readonly logicalType?: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Why the schema's `logicalType` is ignored (invalid by the specification), if it is. */
  readonly ignoredLogicalType?: string;
}
export interface AvroNamed extends Base {
  readonly name: string; // full name
  readonly aliases: readonly string[]; // full names
  readonly doc?: string;
}
export interface AvroField {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: AvroNode;
  readonly hasDefault: boolean;
  readonly default?: unknown;
  readonly doc?: string;
  readonly order: string;
}
export type AvroNode =
  | (Base & { readonly kind: 'primitive'; readonly type: AvroPrimitive })
  | (AvroNamed & { readonly kind: 'record'; fields: AvroField[] })
  | (AvroNamed & {
      readonly kind: 'enum';
      readonly symbols: readonly string[];
      readonly default?: string;
    })
  | (AvroNamed & { readonly kind: 'fixed'; readonly size: number })
  | (Base & { readonly kind: 'array'; readonly items: AvroNode })
  | (Base & { readonly kind: 'map'; readonly values: AvroNode })
  | (Base & { readonly kind: 'union'; readonly branches: readonly AvroNode[] });

const FULLNAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const RESERVED = new Set([
  'type',
  'name',
  'namespace',
  'fields',
  'items',
  'values',
  'symbols',
  'size',
  'aliases',
  'doc',
  'default',
  'order',
  'logicalType',
]);

export function unqualify(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? name : name.slice(i + 1);
}

function qualify(name: string, namespace: string | undefined): string {
  if (name.includes('.')) return name;
  return namespace ? `${namespace}.${name}` : name;
}

function checkName(name: unknown, where: Loc, what: string): string {
  if (typeof name !== 'string' || name === '') bad(`${what} needs a non-empty "name"`, where);
  if (!FULLNAME_RE.test(name)) bad(`${what} name "${name}" is not a valid Avro name`, where);
  return name;
}

/** Shared by every node without custom attributes (most of them). */
export const NO_ATTRS: Readonly<Record<string, unknown>> = Object.freeze({});

/** One frozen node per bare primitive name: unchanged fields compare by identity. */
const BARE = new Map<string, AvroNode>(
  PRIMITIVES.map((t) => [
    t,
    Object.freeze({ kind: 'primitive' as const, type: t, attrs: NO_ATTRS }),
  ]),
);

function extraAttrs(o: Record<string, unknown>): Readonly<Record<string, unknown>> {
  let out: Record<string, unknown> | undefined;
  for (const k in o) if (!RESERVED.has(k)) (out ??= {})[k] = o[k];
  return out ?? NO_ATTRS;
}

/** Named types by full name, shared by a schema and its references. */
export type AvroRegistry = Map<string, AvroNode>;

/**
 * Parses an Avro schema (JSON value) into a typed graph, checking it as the specification says
 * and reporting the JSON pointer of what is wrong. Named types are shared nodes, so recursive
 * schemas become cyclic graphs.
 */
export function parseAvro(schema: unknown, registry: AvroRegistry, maxDepth: number): AvroNode {
  const pending: Array<() => void> = [];
  const node = parseNode(schema, undefined, undefined, registry, 0, maxDepth, pending);
  for (const p of pending) p();
  return node;
}

function parseNode(
  s: unknown,
  where: Loc,
  namespace: string | undefined,
  reg: AvroRegistry,
  depth: number,
  maxDepth: number,
  pending: Array<() => void>,
): AvroNode {
  if (depth > maxDepth) {
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `Avro schema nests deeper than limits.maxSchemaDepth (${maxDepth})`,
      {
        details: { limit: 'maxSchemaDepth', location: pointer(where) },
      },
    );
  }
  // The namespace is passed explicitly: `undefined` is the null namespace, not "inherit".
  const nextIn = (x: unknown, w: Loc, ns: string | undefined) =>
    parseNode(x, w, ns, reg, depth + 1, maxDepth, pending);
  const next = (x: unknown, w: Loc) => nextIn(x, w, namespace);
  if (typeof s === 'string') {
    if ((PRIMITIVES as readonly string[]).includes(s)) return BARE.get(s) as AvroNode;
    const found = reg.get(qualify(s, namespace)) ?? reg.get(s);
    if (found === undefined) {
      throw validationErrors.create(
        'E_MISSING_REFERENCE',
        `Avro schema refers to type "${s}" at ${pointer(where) || 'the root'}, which is not defined before it nor among the references`,
        {
          details: { format: 'avro', reference: s, location: pointer(where) },
        },
      );
    }
    return found;
  }
  if (Array.isArray(s)) {
    if (s.length === 0) bad('a union needs at least one branch', where);
    const branches = s.map((b, i) => next(b, at(where, i)));
    const keys = new Set<string>();
    branches.forEach((b, i) => {
      if (b.kind === 'union') bad('a union may not directly contain a union', at(where, i));
      const key = branchKey(b);
      if (keys.has(key)) bad(`a union may not contain two branches of type "${key}"`, at(where, i));
      keys.add(key);
    });
    return { kind: 'union', branches, attrs: NO_ATTRS };
  }
  if (!isObject(s)) return bad('expected a type name, an object or a union array', where);
  const type = s.type;
  const logicalType = typeof s.logicalType === 'string' ? s.logicalType : undefined;
  /**
   * The logical type as the specification has it: one that is invalid on this schema is ignored
   * (the node is its underlying type; `logicalType` stays a custom attribute, and the reason is
   * kept for diff messages).
   */
  const logical = (typeName: string): Base => {
    const attrs = extraAttrs(s);
    if (logicalType === undefined) return { attrs };
    const problem = logicalTypeProblem(logicalType, typeName, s);
    if (problem === undefined) return { logicalType, attrs };
    return { attrs: { ...attrs, logicalType: s.logicalType }, ignoredLogicalType: problem };
  };
  if (typeof type === 'string' && (PRIMITIVES as readonly string[]).includes(type)) {
    return { kind: 'primitive', type: type as AvroPrimitive, ...logical(type) };
  }
  if (type === 'array') {
    if (!('items' in s)) bad('an array needs "items"', where);
    return { kind: 'array', items: next(s.items, at(where, 'items')), ...logical(type) };
  }
  if (type === 'map') {
    if (!('values' in s)) bad('a map needs "values"', where);
    return { kind: 'map', values: next(s.values, at(where, 'values')), ...logical(type) };
  }
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    const short = checkName(s.name, where, type);
    // A dotted name carries its namespace; else "namespace" (the empty string is the null
    // namespace); else the enclosing one.
    const ns = short.includes('.')
      ? short.slice(0, short.lastIndexOf('.'))
      : typeof s.namespace === 'string'
        ? s.namespace === ''
          ? undefined
          : s.namespace
        : namespace;
    const name = qualify(short, ns);
    if (reg.has(name)) bad(`type "${name}" is defined twice`, at(where, 'name'));
    const aliases = Array.isArray(s.aliases)
      ? s.aliases.map((a, i) => qualify(checkName(a, at(at(where, 'aliases'), i), 'alias'), ns))
      : [];
    const named = {
      name,
      aliases,
      ...(typeof s.doc === 'string' ? { doc: s.doc } : {}),
      ...logical(type),
    };
    if (type === 'fixed') {
      if (typeof s.size !== 'number' || !Number.isInteger(s.size) || s.size < 0)
        bad('a fixed needs a non-negative integer "size"', at(where, 'size'));
      const node: AvroNode = { kind: 'fixed', size: s.size, ...named };
      reg.set(name, node);
      return node;
    }
    if (type === 'enum') {
      if (!Array.isArray(s.symbols)) bad('an enum needs a "symbols" array', where);
      const symbols = s.symbols.map((x, i) =>
        checkName(x, at(at(where, 'symbols'), i), 'enum symbol'),
      );
      if (new Set(symbols).size !== symbols.length)
        bad('enum symbols must be unique', at(where, 'symbols'));
      if (
        s.default !== undefined &&
        (typeof s.default !== 'string' || !symbols.includes(s.default))
      )
        bad('an enum default must be one of its symbols', at(where, 'default'));
      const node: AvroNode = {
        kind: 'enum',
        symbols,
        ...(typeof s.default === 'string' ? { default: s.default } : {}),
        ...named,
      };
      reg.set(name, node);
      return node;
    }
    if (!Array.isArray(s.fields)) bad('a record needs a "fields" array', where);
    const node = { kind: 'record' as const, fields: [] as AvroField[], ...named };
    reg.set(name, node);
    const seen = new Set<string>();
    s.fields.forEach((f, i) => {
      const fw = at(at(where, 'fields'), i);
      if (!isObject(f)) bad('a field must be an object', fw);
      const fname = checkName(f.name, fw, 'field');
      if (seen.has(fname)) bad(`field "${fname}" is defined twice`, at(fw, 'name'));
      seen.add(fname);
      if (!('type' in f)) bad(`field "${fname}" needs a "type"`, fw);
      const ftype = nextIn(f.type, at(fw, 'type'), ns);
      const order = typeof f.order === 'string' ? f.order : 'ascending';
      if (!['ascending', 'descending', 'ignore'].includes(order))
        bad('field "order" must be ascending, descending or ignore', at(fw, 'order'));
      const field: AvroField = {
        name: fname,
        aliases: Array.isArray(f.aliases) ? f.aliases.map(String) : [],
        type: ftype,
        hasDefault: 'default' in f,
        ...('default' in f ? { default: f.default } : {}),
        ...(typeof f.doc === 'string' ? { doc: f.doc } : {}),
        order,
      };
      if (field.hasDefault) {
        const dw = at(fw, 'default');
        // Named types may still be incomplete (recursion): check defaults once parsing is done.
        pending.push(() => checkDefault(ftype, f.default, dw));
      }
      node.fields.push(field);
    });
    return node;
  }
  if (typeof type === 'string' || isObject(type) || Array.isArray(type)) {
    // `{"type": "Foo"}` or `{"type": {...}}`: a wrapped reference or nested type.
    return next(type, at(where, 'type'));
  }
  return bad(`unknown type ${JSON.stringify(type)}`, at(where, 'type'));
}

/** The underlying types each logical type of the specification (1.12) is defined on. */
const LOGICAL_UNDERLYING: Record<string, readonly string[]> = {
  decimal: ['bytes', 'fixed'],
  'big-decimal': ['bytes'],
  uuid: ['string', 'fixed'],
  date: ['int'],
  'time-millis': ['int'],
  'time-micros': ['long'],
  'timestamp-millis': ['long'],
  'timestamp-micros': ['long'],
  'timestamp-nanos': ['long'],
  'local-timestamp-millis': ['long'],
  'local-timestamp-micros': ['long'],
  'local-timestamp-nanos': ['long'],
  duration: ['fixed'],
};

/**
 * Why a logical type is invalid on its schema, or undefined when it is valid or unknown (unknown
 * logical types are ignored too, but carry no rule to break). The specification: an invalid
 * logical type is ignored and the underlying type used. `decimal` needs an integer precision > 0
 * that a fixed can hold and an integer scale in [0, precision]; `uuid` on a fixed needs 16 bytes,
 * `duration` 12.
 */
export function logicalTypeProblem(
  logical: string,
  typeName: string,
  s: { readonly precision?: unknown; readonly scale?: unknown; readonly size?: unknown },
): string | undefined {
  const allowed = Object.hasOwn(LOGICAL_UNDERLYING, logical)
    ? LOGICAL_UNDERLYING[logical]
    : undefined;
  if (allowed === undefined) return undefined;
  if (!allowed.includes(typeName))
    return `${logical} needs ${allowed.join(' or ')}, not ${typeName}`;
  if (logical === 'uuid' && typeName === 'fixed' && s.size !== 16)
    return 'uuid needs a fixed of 16';
  if (logical === 'duration' && s.size !== 12) return 'duration needs a fixed of 12';
  if (logical !== 'decimal') return undefined;
  const { precision, scale = 0 } = s;
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1)
    return 'decimal needs an integer "precision" above 0';
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision)
    return 'decimal "scale" must be an integer between 0 and the precision';
  if (typeName === 'fixed' && typeof s.size === 'number') {
    // The most digits a signed two's-complement value of `size` bytes always holds.
    const max = Math.floor(Math.log10(2) * (8 * s.size - 1));
    if (precision > max) return `a fixed of ${s.size} bytes holds at most ${max} decimal digits`;
  }
  return undefined;
}

/** The identity of a union branch: its full name, or its type for unnamed types. */
export function branchKey(b: AvroNode): string {
  if (b.kind === 'primitive') return b.type;
  if (b.kind === 'record' || b.kind === 'enum' || b.kind === 'fixed') return b.name;
  return b.kind;
}

/** Checks a field default against its type (for a union: the first branch, as the spec says). */
export function checkDefault(t: AvroNode, v: unknown, where: Loc, depth = 0): void {
  const fail = (what: string): never => bad(`default does not match its type: ${what}`, where);
  if (depth > 64) return;
  switch (t.kind) {
    case 'primitive':
      switch (t.type) {
        case 'null':
          if (v !== null) fail('expected null');
          return;
        case 'boolean':
          if (typeof v !== 'boolean') fail('expected a boolean');
          return;
        case 'int':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647)
            fail('expected an int');
          return;
        case 'long':
          if (typeof v !== 'number' || !Number.isInteger(v)) fail('expected a long');
          return;
        case 'float':
        case 'double':
          if (typeof v !== 'number') fail('expected a number');
          return;
        default:
          if (typeof v !== 'string') fail(`expected a ${t.type} string`);
          return;
      }
    case 'fixed':
      if (typeof v !== 'string' || v.length !== t.size)
        fail(`expected a string of ${t.size} characters`);
      return;
    case 'enum':
      if (typeof v !== 'string' || !t.symbols.includes(v)) fail('expected one of the symbols');
      return;
    case 'array':
      if (!Array.isArray(v)) fail('expected an array');
      (v as unknown[]).forEach((x, i) => checkDefault(t.items, x, at(where, i), depth + 1));
      return;
    case 'map':
      if (!isObject(v)) fail('expected an object');
      for (const [k, x] of Object.entries(v as object))
        checkDefault(t.values, x, at(where, k), depth + 1);
      return;
    case 'union':
      checkDefault(t.branches[0] as AvroNode, v, where, depth + 1);
      return;
    case 'record':
      if (!isObject(v)) fail('expected an object');
      for (const f of t.fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x === undefined) {
          if (!f.hasDefault) fail(`missing field "${f.name}"`);
        } else checkDefault(f.type, x, at(where, f.name), depth + 1);
      }
  }
}
