import protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor/index.js';
import { invalidSchema, validationErrors } from '../../errors.js';
import type { FormatContext } from '../../format-plugin.js';
import { checkDepth, checkSize, isObject } from '../../internal/json.js';
import type { SchemaSource } from '../../types.js';
import { indexProto, type Position, type ProtoIndex } from './locate.js';
import { type CheckedUnit, checkValidity } from './validity.js';

/** One file of a schema's file set (the main schema or one of its references). */
export interface ProtoFile {
  /** `''` for the main schema, the reference name (its import path) otherwise. */
  readonly name: string;
  /** The declared package; undefined for a JSON descriptor, which has no file structure. */
  readonly package: string | undefined;
  readonly syntax: 'proto2' | 'proto3' | 'editions';
  readonly options: Readonly<Record<string, unknown>>;
  /** Full names of the messages, enums and services it defines (nested too). */
  readonly types: readonly string[];
  /** Full names of the extension fields it declares (`extend` blocks, nested too). */
  readonly extensions: readonly string[];
}

/** A parsed Protobuf schema: the resolved root, the message to validate, the main file's package. */
export interface ParsedProtobuf {
  readonly root: protobuf.Root;
  /** The message values are validated against; undefined when the file defines no message. */
  readonly type: protobuf.Type | undefined;
  /** Full name without the leading dot, e.g. `shop.Order` (empty when there is no message). */
  readonly message: string;
  readonly package: string;
  /** `proto2`, `proto3` or `editions` (of the main file). */
  readonly syntax: 'proto2' | 'proto3' | 'editions';
  /** The file set compared by Buf's file and package rules: the main schema first, then references. */
  readonly files: readonly ProtoFile[];
  readonly canonical: string;
}

interface Unit {
  readonly text?: string;
  readonly json?: Record<string, unknown>;
  readonly message?: string;
}

/**
 * A `google.protobuf.FileDescriptorSet` (bytes, base64 text or its JSON object form), as Confluent
 * clients in .NET/Python send it, turned into protobufjs JSON.
 */
function fromDescriptorSet(
  set: unknown,
  name: string,
  context: FormatContext,
): Record<string, unknown> {
  let input: unknown = set;
  if (typeof set === 'string') input = Buffer.from(set, 'base64');
  if (input instanceof Uint8Array && input.byteLength > context.limits.maxSchemaSize) {
    checkSize(input.byteLength, context.limits.maxSchemaSize, `FileDescriptorSet ${name}`);
  }
  try {
    const message =
      input instanceof Uint8Array
        ? descriptor.FileDescriptorSet.decode(input)
        : descriptor.FileDescriptorSet.fromObject(input as Record<string, unknown>);
    const fromDescriptor = (
      protobuf.Root as unknown as { fromDescriptor(d: unknown): protobuf.Root }
    ).fromDescriptor;
    return fromDescriptor(message).toJSON({ keepComments: false }) as Record<string, unknown>;
  } catch (error) {
    return invalidSchema(
      'protobuf',
      `${name}: not a FileDescriptorSet (${(error as Error).message})`,
      '',
      error,
    );
  }
}

function unitOf(schema: unknown, name: string, context: FormatContext): Unit {
  if (schema instanceof Uint8Array) return { json: fromDescriptorSet(schema, name, context) };
  if (isObject(schema) && schema.fileDescriptorSet !== undefined) {
    const json = fromDescriptorSet(schema.fileDescriptorSet, name, context);
    return typeof schema.message === 'string'
      ? { json, message: schema.message.replace(/^\./, '') }
      : { json };
  }
  if (typeof schema === 'string') {
    checkSize(schema.length, context.limits.maxSchemaSize, `.proto ${name}`);
    return { text: schema };
  }
  if (isObject(schema)) {
    const message =
      typeof schema.message === 'string' ? schema.message.replace(/^\./, '') : undefined;
    const inner = schema.proto ?? schema.source ?? schema.descriptor;
    if (typeof inner === 'string') {
      checkSize(inner.length, context.limits.maxSchemaSize, `.proto ${name}`);
      return message === undefined ? { text: inner } : { text: inner, message };
    }
    const json = isObject(inner) ? inner : isObject(schema.nested) ? schema : undefined;
    if (json !== undefined) {
      checkDepth(json, context.limits.maxSchemaDepth, `Protobuf descriptor ${name}`);
      checkSize(
        JSON.stringify(json).length,
        context.limits.maxSchemaSize,
        `Protobuf descriptor ${name}`,
      );
      return message === undefined ? { json } : { json, message };
    }
  }
  return invalidSchema(
    'protobuf',
    `${name} must be .proto text, a protobufjs JSON descriptor ({ nested }), or { proto | descriptor, message }`,
    '',
  );
}

/** Line and column of a protobufjs parse error (it reports the line; the column is found from the token). */
function locate(text: string, message: string): { line: number; column: number } {
  const m = /line (\d+)/.exec(message);
  const line = m ? Number(m[1]) : 1;
  const src = text.split('\n')[line - 1] ?? '';
  const tok = /illegal (?:token|name|value|id|string) '([^']*)'/.exec(message)?.[1];
  const at = tok !== undefined && tok !== '' ? src.indexOf(tok) : -1;
  return { line, column: at >= 0 ? at + 1 : Math.max(1, src.search(/\S/) + 1) };
}

function findLine(
  text: string | undefined,
  needle: string,
): { line: number; column: number } | string {
  if (text === undefined) return '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const c = (lines[i] as string).indexOf(needle);
    if (c >= 0) return { line: i + 1, column: c + 1 };
  }
  return '';
}

/** Where protobufjs's "duplicate name/id" and "reserved" errors point: the second declaration. */
function locateDuplicate(index: ProtoIndex, msg: string): Position | undefined {
  const name = /duplicate name '([^']+)'/.exec(msg)?.[1];
  const id = /duplicate id (-?\d+)/.exec(msg)?.[1];
  const reserved = /name '([^']+)' is reserved/.exec(msg)?.[1];
  const candidates: Position[] = [];
  if (name !== undefined) {
    for (const d of [...index.fields, ...index.values]) if (d.name === name) candidates.push(d.at);
    for (const [full, at] of [...index.types, ...index.oneofs])
      if (full.split('.').at(-1) === name) candidates.push(at);
  }
  if (id !== undefined) {
    const scope = /in (?:Type|Enum) (\S+)/.exec(msg)?.[1];
    for (const d of [...index.fields, ...index.values])
      if (d.number === id && (scope === undefined || d.scope.split('.').at(-1) === scope))
        candidates.push(d.numberAt);
  }
  if (reserved !== undefined)
    for (const d of [...index.fields, ...index.values]) if (d.name === reserved) return d.at;
  candidates.sort((a, b) => a.line - b.line || a.column - b.column);
  return candidates[1] ?? candidates[0];
}

const WELL_KNOWN = /^google\/protobuf\/[a-z_]+\.proto$/;

function addWellKnown(root: protobuf.Root, file: string, added: Set<string>): boolean {
  if (!WELL_KNOWN.test(file) || added.has(file)) return added.has(file);
  const json = protobuf.common.get(file) as {
    nested?: Record<string, protobuf.AnyNestedObject>;
  } | null;
  if (!json?.nested) return false;
  root.addJSON(json.nested);
  added.add(file);
  return true;
}

/** Messages, enums and services a unit defines (nested too), in declaration order. */
function messagesOf(ns: protobuf.NamespaceBase, out: string[] = []): string[] {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) {
      out.push(n.fullName.slice(1));
      messagesOf(n, out);
    } else if (n instanceof protobuf.Enum || n instanceof protobuf.Service)
      out.push(n.fullName.slice(1));
    else if (n instanceof protobuf.Namespace) messagesOf(n, out);
  }
  return out;
}

/** Extension fields a unit declares, at file level or inside messages. */
function extensionsOf(ns: protobuf.NamespaceBase, out: string[] = []): string[] {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Field && n.extend !== undefined) out.push(n.fullName.slice(1));
    else if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) extensionsOf(n, out);
  }
  return out;
}

/** The syntax of a descriptor unit, from the edition protobufjs records on its first type. */
function syntaxOfEdition(first: protobuf.ReflectionObject | null): ProtoFile['syntax'] {
  const edition = (first as { _edition?: string | null } | null)?._edition;
  return edition === 'proto3'
    ? 'proto3'
    : edition === undefined || edition === null || edition === 'proto2'
      ? 'proto2'
      : 'editions';
}

export function parseProtobuf(source: SchemaSource, context: FormatContext): ParsedProtobuf {
  const root = new protobuf.Root();
  const refs = source.references ?? [];
  if (refs.length > context.limits.maxReferences) {
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      `${refs.length} references, more than limits.maxReferences`,
      { details: { limit: 'maxReferences' } },
    );
  }
  const files = new Set<string>();
  const wellKnown = new Set<string>();
  const imports: Array<{ from: string; file: string; text: string | undefined }> = [];
  const units: CheckedUnit[] = [];
  const unitFiles: Array<Omit<ProtoFile, 'syntax'> & { syntax?: ProtoFile['syntax'] }> = [];
  const parseUnit = (
    unit: Unit,
    name: string,
    fileName: string,
  ): { package: string; types: string[]; index?: ProtoIndex; options: Record<string, unknown> } => {
    if (unit.json !== undefined) {
      const before = new Set(messagesOf(root));
      const beforeExt = new Set(extensionsOf(root));
      try {
        root.addJSON((unit.json.nested ?? unit.json) as Record<string, protobuf.AnyNestedObject>);
      } catch (error) {
        return invalidSchema('protobuf', `${name}: ${(error as Error).message}`, '', error);
      }
      const types = messagesOf(root).filter((t) => !before.has(t));
      units.push({ name, types });
      unitFiles.push({
        name: fileName,
        package: undefined,
        options: {},
        types,
        extensions: extensionsOf(root).filter((t) => !beforeExt.has(t)),
      });
      return { package: '', types, options: {} };
    }
    const text = unit.text as string;
    let parsed: protobuf.IParserResult;
    const probe = new protobuf.Root();
    const index = indexProto(text);
    try {
      parsed = protobuf.parse(text, probe, { keepCase: true, alternateCommentMode: true });
      protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true });
    } catch (error) {
      const msg = (error as Error).message;
      if (/duplicate (name|id)|is reserved/.test(msg))
        return invalidSchema(
          'protobuf',
          `${name}: ${msg}`,
          locateDuplicate(index, msg) ?? findLine(text, msg.match(/'([^']+)'/)?.[1] ?? '\u0000'),
          error,
        );
      return invalidSchema(
        'protobuf',
        `${name}: ${msg.replace(/\s*\(line \d+\)/, '')}`,
        locate(text, msg),
        error,
      );
    }
    for (const f of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])])
      imports.push({ from: name, file: f, text });
    const types = messagesOf(probe);
    units.push({ name, types, index });
    const pkgNs = parsed.package === undefined ? probe : probe.lookup(parsed.package);
    const options = { ...((pkgNs as protobuf.Namespace | null)?.options ?? {}) };
    unitFiles.push({
      name: fileName,
      package: parsed.package ?? '',
      syntax: index.syntax,
      options,
      types,
      extensions: extensionsOf(probe),
    });
    return { package: parsed.package ?? '', types, index, options };
  };
  for (const r of refs) {
    files.add(r.name);
    parseUnit(unitOf(r.schema, `reference "${r.name}"`, context), `reference "${r.name}"`, r.name);
  }
  const main = unitOf(source.schema, 'schema', context);
  const { package: pkg, types, index } = parseUnit(main, 'schema', '');
  for (const imp of imports) {
    if (files.has(imp.file) || addWellKnown(root, imp.file, wellKnown)) continue;
    throw validationErrors.create(
      'E_MISSING_REFERENCE',
      `${imp.from} imports "${imp.file}", which is not among the references`,
      {
        details: {
          format: 'protobuf',
          reference: imp.file,
          location: findLine(imp.text, imp.file),
        },
      },
    );
  }
  try {
    root.resolveAll();
  } catch (error) {
    const msg = (error as Error).message;
    const missing = /no such type(?: or enum)? '([^']+)'/i.exec(msg)?.[1];
    if (missing !== undefined) {
      throw validationErrors.create(
        'E_MISSING_REFERENCE',
        `Protobuf schema uses type "${missing}", which no supplied file defines`,
        {
          details: {
            format: 'protobuf',
            reference: missing,
            location: findLine(main.text, missing),
          },
          cause: error,
        },
      );
    }
    return invalidSchema('protobuf', msg, '', error);
  }
  checkValidity(root, units);
  const messages = types.filter((t) => root.lookup(t) instanceof protobuf.Type);
  // A file of enums (or services) only is valid: it has no message to validate values against.
  const wanted = main.message ?? messages[0];
  let type: protobuf.Type | undefined;
  if (wanted !== undefined) {
    try {
      type = root.lookupType(wanted);
    } catch (error) {
      return invalidSchema('protobuf', `message "${wanted}" is not defined`, '', error);
    }
  }
  const message = type?.fullName.slice(1) ?? '';
  const canonical = JSON.stringify(
    sortKeys({ message, root: root.toJSON({ keepComments: false }) }),
  );
  checkSize(canonical.length, context.limits.maxSchemaSize, 'Protobuf schema');
  const syntaxOf = (t: readonly string[]) =>
    syntaxOfEdition(t[0] === undefined ? null : root.lookup(t[0]));
  const protoFiles = unitFiles.map((f): ProtoFile => ({
    ...f,
    syntax: f.syntax ?? syntaxOf(f.types),
  }));
  // The main schema first.
  protoFiles.unshift(...protoFiles.splice(protoFiles.length - 1, 1));
  return {
    root,
    type,
    message,
    package: pkg,
    syntax: index?.syntax ?? syntaxOf(types),
    files: protoFiles,
    canonical,
  };
}

/** The key type of a map field (protobufjs's MapField), or undefined. */
export function keyTypeOf(f: protobuf.Field): string | undefined {
  return (f as protobuf.Field & { keyType?: string }).keyType;
}

/**
 * Sorted keys, and the descriptor noise that does not change meaning dropped: a `packed` option
 * on a field that is not repeated (descriptor sets carry `packed: false` on every field).
 */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    let x = v[k];
    if (x === undefined) continue;
    if (
      k === 'options' &&
      isObject(x) &&
      'packed' in x &&
      typeof v.id === 'number' &&
      v.rule !== 'repeated'
    ) {
      const { packed: _packed, ...rest } = x;
      if (Object.keys(rest).length === 0) continue;
      x = rest;
    }
    out[k] = sortKeys(x);
  }
  return out;
}
