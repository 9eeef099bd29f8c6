import avsc from 'avsc';
import { invalidSchema, validationErrors } from '../../errors.js';
import type { CompiledCheck, FormatContext, FormatPlugin } from '../../format-plugin.js';
import { VALID } from '../../format-plugin.js';
import { checkSize, seg } from '../../internal/json.js';
import type { SchemaSource, ValidationIssue } from '../../types.js';
import { parsingCanonicalForm } from './canonical.js';
import { compareAvro } from './compare.js';
import { LOGICAL_TYPES, SpecLogicalType } from './logical-types.js';
import { AvroResolver } from './resolve.js';
import { sampleAvro } from './sample.js';
import { type AvroNode, type AvroRegistry, parseAvro } from './schema.js';

/** A parsed Avro schema: the typed graph, the avsc type, the Parsing Canonical Form. */
export interface ParsedAvro {
  readonly node: AvroNode;
  /** The avsc type, built on first use (compatibility checks never need it). */
  readonly type: avsc.Type;
  readonly canonical: string;
}

function toJson(schema: unknown, name: string, context: FormatContext): unknown {
  if (typeof schema !== 'string') return schema;
  checkSize(schema.length, context.limits.maxSchemaSize, `Avro ${name}`);
  const t = schema.trim();
  if (!t.startsWith('{') && !t.startsWith('[') && !t.startsWith('"')) return t; // a bare type name
  try {
    return JSON.parse(t) as unknown;
  } catch (error) {
    return invalidSchema('avro', `${name} is not JSON (${(error as Error).message})`, '', error);
  }
}

/** avsc's union buckets: the JavaScript kinds of value an unwrapped union tells apart. */
function buckets(t: avsc.Type): readonly string[] {
  if (t instanceof SpecLogicalType) return t.buckets;
  const u = avsc.Type.isType(t, 'logical') ? (t as avsc.types.LogicalType).underlyingType : t;
  switch (u.typeName) {
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return ['number'];
    case 'bytes':
    case 'fixed':
      return ['buffer'];
    case 'enum':
      return ['string'];
    case 'map':
    case 'record':
    case 'error':
      return ['object'];
    default:
      return [u.typeName];
  }
}

/**
 * Unions are unwrapped (plain values) unless two branches accept the same kind of value, as
 * avsc's `auto` does, except that logical types count with what they accept (a `date` is an
 * `int`, so `["null", {"type":"int","logicalType":"date"}, "long"]` is wrapped: `{ int: 5 }`,
 * `{ long: 5 }`), where avsc leaves such unions unwrapped and then refuses every number.
 */
function unionHook(schema: avsc.Schema, opts: avsc.ForSchemaOptions): avsc.Type | undefined {
  if (!Array.isArray(schema)) return undefined;
  const types = schema.map((s) => avsc.Type.forSchema(s as avsc.Schema, opts));
  const seen = new Set<string>();
  let ambiguous = false;
  for (const t of types) {
    for (const b of buckets(t)) {
      if (seen.has(b)) ambiguous = true;
      seen.add(b);
    }
  }
  const Union = ambiguous ? avsc.types.WrappedUnionType : UnwrappedUnion;
  return new (Union as unknown as new (t: avsc.Type[], o: unknown) => avsc.Type)(types, opts);
}

interface Tap {
  writeLong(n: number): void;
}
interface UnionInternals {
  readonly types: readonly avsc.Type[];
  _getIndex(value: unknown): number | undefined;
}
const BaseUnwrapped = avsc.types.UnwrappedUnionType as unknown as new (
  t: avsc.Type[],
  o: unknown,
) => avsc.Type;

type Internal = { _write(t: Tap, v: unknown): void; _copy(v: unknown, o?: unknown): unknown };
const unwrappedProto = avsc.types.UnwrappedUnionType.prototype as unknown as Internal;

/**
 * An unwrapped union that can also copy and write a logical branch's default: defaults are in
 * the underlying type's encoding (a `uuid` default `"s"`), and avsc copies and encodes every
 * record default up front. Only copying and writing fall back to the underlying type, never
 * validation.
 */
class UnwrappedUnion extends BaseUnwrapped {
  #fallback(value: unknown): number {
    const self = this as unknown as UnionInternals;
    if (self._getIndex(value) !== undefined) return -1;
    return self.types.findIndex(
      (t) => t instanceof SpecLogicalType && t.underlyingType.isValid(value),
    );
  }
  _write(tap: Tap, value: unknown): void {
    const i = this.#fallback(value);
    if (i < 0) return unwrappedProto._write.call(this, tap, value);
    tap.writeLong(i);
    ((this as unknown as UnionInternals).types[i] as unknown as Internal)._write(tap, value);
  }
  _copy(value: unknown, opts?: { coerce?: number; wrap?: number }): unknown {
    const i = opts?.coerce || opts?.wrap ? -1 : this.#fallback(value);
    if (i < 0) return unwrappedProto._copy.call(this, value, opts);
    return ((this as unknown as UnionInternals).types[i] as unknown as Internal)._copy(value, opts);
  }
}

function avscType(schema: unknown, registry: Record<string, avsc.Type>, where: string): avsc.Type {
  try {
    return avsc.Type.forSchema(schema as avsc.Schema, {
      registry,
      wrapUnions: 'auto',
      logicalTypes: LOGICAL_TYPES as never,
      typeHook: unionHook,
    });
  } catch (error) {
    return invalidSchema('avro', `${where}: ${(error as Error).message}`, '', error);
  }
}

export function parseAvroSource(source: SchemaSource, context: FormatContext): ParsedAvro {
  const refs = source.references ?? [];
  if (refs.length > context.limits.maxReferences) {
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `${refs.length} references, more than limits.maxReferences`,
      {
        details: { limit: 'maxReferences' },
      },
    );
  }
  const registry: AvroRegistry = new Map();
  // References first, in order (each may use the ones before it), then the schema itself.
  const refJson = refs.map((r) => {
    const json = toJson(r.schema, `reference "${r.name}"`, context);
    parseAvro(json, registry, context.limits.maxSchemaDepth);
    return { name: r.name, json };
  });
  const json = toJson(source.schema, 'schema', context);
  const node = parseAvro(json, registry, context.limits.maxSchemaDepth);
  let type: avsc.Type | undefined;
  let canonical: string | undefined;
  return {
    node,
    get canonical(): string {
      return (canonical ??= parsingCanonicalForm(node));
    },
    get type(): avsc.Type {
      if (type === undefined) {
        const avscRegistry: Record<string, avsc.Type> = {};
        for (const r of refJson) avscType(r.json, avscRegistry, `reference "${r.name}"`);
        type = avscType(json, avscRegistry, 'schema');
      }
      return type;
    },
  };
}

function compileAvro(p: ParsedAvro): CompiledCheck {
  const type = p.type;
  return {
    test: (value) => type.isValid(value),
    validate(value, maxIssues) {
      if (type.isValid(value)) return VALID;
      const issues: ValidationIssue[] = [];
      type.isValid(value, {
        errorHook(path: string[], v: unknown, t: avsc.Type) {
          if (issues.length >= maxIssues) return;
          const pointer = path.map((x) => `/${seg(x)}`).join('');
          const expected = t.typeName;
          issues.push({
            path: pointer,
            message: `expected ${expected}${t.name ? ` ${t.name}` : ''}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
            rule: `avro:${expected}`,
            severity: 'error',
          });
        },
      });
      if (issues.length === 0)
        issues.push({
          path: '',
          message: 'value does not match the Avro schema',
          rule: 'avro:type',
          severity: 'error',
        });
      return { valid: false, issues };
    },
  };
}

type AvscResolver = ReturnType<avsc.Type['createResolver']>;

const resolvers = new WeakMap<avsc.Type, WeakMap<avsc.Type, AvscResolver | Error>>();

function resolverFor(reader: avsc.Type, writer: avsc.Type): AvscResolver | Error {
  let m = resolvers.get(reader);
  if (m === undefined) resolvers.set(reader, (m = new WeakMap()));
  let r = m.get(writer);
  if (r === undefined) {
    try {
      r = reader.createResolver(writer, { ignoreNamespaces: true } as never);
    } catch (error) {
      r = error as Error;
    }
    m.set(writer, r);
  }
  return r;
}

/** Encodes `value` with the writer schema and decodes it through avsc's resolver for the reader. */
export function readAvroAs(
  writer: ParsedAvro,
  reader: ParsedAvro,
  value: unknown,
): { ok: true } | { ok: false; reason: string } {
  const resolver = resolverFor(reader.type, writer.type);
  if (resolver instanceof Error) return { ok: false, reason: resolver.message };
  try {
    reader.type.fromBuffer(writer.type.toBuffer(value), resolver);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** The Avro format over avsc: spec-exact resolution, Parsing Canonical Form. */
export const avroFormat: FormatPlugin<ParsedAvro> = {
  format: 'avro',
  parse: parseAvroSource,
  canonicalForm: (p) => p.canonical,
  compile: (p) => compileAvro(p),
  compare: (prev, next) => compareAvro(prev.node, next.node),
  check: (reader, writer) => new AvroResolver().check(reader.node, writer.node),
  decode(p, bytes) {
    return p.type.fromBuffer(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ) as unknown;
  },
  empirical: {
    sample: (p, count, random) => sampleAvro(p.type, count, random),
    read: readAvroAs,
  },
};
