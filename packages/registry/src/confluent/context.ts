import { canonicalJson, DEFAULT_LIMITS, digestOf, isPlinthError, parseJson } from '@plinth/core';
import type { Registry } from '../registry.js';
import type { SchemaEngine, SchemaSourceLike } from '../schema-engine.js';
import type { ReferenceInput, VersionInfo } from '../types.js';
import { ConfluentError, subjectNotFound, versionNotFound } from './errors.js';
import type { ModeStore } from './modes.js';
import type { SubjectNames } from './subjects.js';
import type { ConfluentReference, ConfluentSchemaType } from './types.js';

export interface Ctx {
  readonly registry: Registry;
  readonly names: SubjectNames;
  readonly engine: SchemaEngine;
  readonly modes: ModeStore;
  readonly actor: string;
}

const FORMAT_OF: Record<ConfluentSchemaType, string> = {
  AVRO: 'avro',
  JSON: 'json-schema',
  PROTOBUF: 'protobuf',
};
const TYPE_OF: Record<string, ConfluentSchemaType> = {
  avro: 'AVRO',
  'json-schema': 'JSON',
  protobuf: 'PROTOBUF',
};

export const SCHEMA_TYPES: readonly ConfluentSchemaType[] = ['JSON', 'PROTOBUF', 'AVRO'];

/** The Confluent type of a registry format, or undefined (zod, plug-ins: not exposed). */
export function typeOfFormat(format: string | null): ConfluentSchemaType | undefined {
  return format === null ? undefined : TYPE_OF[format];
}

/** A schema as given in a register, lookup or compatibility body. */
export interface Candidate {
  readonly type: ConfluentSchemaType;
  readonly format: string;
  /** What the registry publishes: the parsed JSON (Avro, JSON Schema) or the `.proto` text. */
  readonly schema: unknown;
  readonly references: readonly ConfluentReference[];
  readonly normalize: boolean;
}

/** The limits a candidate's schema text is parsed under: the registry's, else core's defaults. */
export function candidateLimits(ctx: Ctx): { maxDepth: number; maxDocumentSize: number } {
  const l = (ctx.registry as { limits?: { maxDepth?: number; maxDocumentSize?: number } }).limits;
  return {
    maxDepth: l?.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxDocumentSize: l?.maxDocumentSize ?? DEFAULT_LIMITS.maxDocumentSize,
  };
}

export function parseCandidate(
  body: unknown,
  query: Query,
  limits: { maxDepth: number; maxDocumentSize: number } = DEFAULT_LIMITS,
): Candidate {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ConfluentError(422, 42201, 'Invalid schema: the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const type = (b.schemaType ?? 'AVRO') as ConfluentSchemaType;
  if (!(type in FORMAT_OF)) {
    throw new ConfluentError(
      422,
      42201,
      `Invalid schema: unknown schemaType ${JSON.stringify(b.schemaType)} (AVRO, JSON or PROTOBUF)`,
    );
  }
  if (typeof b.schema !== 'string' || b.schema.length === 0) {
    throw new ConfluentError(422, 42201, 'Invalid schema: `schema` must be a non-empty string');
  }
  let schema: unknown = b.schema;
  if (b.schema.length > limits.maxDocumentSize) {
    throw new ConfluentError(
      422,
      42209,
      `Schema too large: ${b.schema.length} characters, more than limits.maxDocumentSize (${limits.maxDocumentSize})`,
    );
  }
  if (type !== 'PROTOBUF') {
    try {
      // Depth is checked by a scan of the text before any object is built.
      schema = parseJson(b.schema, { maxDepth: limits.maxDepth }, { what: `${type} schema` });
    } catch (error) {
      if (isPlinthError(error, 'E_LIMIT_EXCEEDED')) {
        throw new ConfluentError(
          422,
          42201,
          `Invalid schema: ${error.message.replace(/^\[[^\]]*\] /, '')}`,
        );
      }
      const cause = (error as { cause?: Error }).cause;
      throw new ConfluentError(
        422,
        42201,
        `Invalid schema: ${type} schema is not JSON (${cause?.message ?? (error as Error).message})`,
      );
    }
  }
  const refs = b.references ?? [];
  if (!Array.isArray(refs)) {
    throw new ConfluentError(422, 42201, 'Invalid schema: `references` must be an array');
  }
  const references = refs.map((r: unknown, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    if (
      typeof o.name !== 'string' ||
      typeof o.subject !== 'string' ||
      !Number.isInteger(o.version)
    ) {
      throw new ConfluentError(
        422,
        42201,
        `Invalid schema: references[${i}] needs a string name and subject and an integer version`,
      );
    }
    return { name: o.name, subject: o.subject, version: o.version as number };
  });
  const normalize = b.normalize === true || flag(query, 'normalize');
  return { type, format: FORMAT_OF[type], schema, references, normalize };
}

export type Query = Readonly<Record<string, string | readonly string[] | undefined>>;

export function param(query: Query, name: string): string | undefined {
  const v = query[name];
  return Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined);
}

export function flag(query: Query, name: string): boolean {
  return param(query, name) === 'true';
}

/** The stored bytes a candidate would have (the registry's digest is over them). */
export function candidateDigest(c: Candidate): string {
  return digestOf(typeof c.schema === 'string' ? c.schema : canonicalJson(c.schema));
}

/** Every version of a subject by revision (Confluent's version number), oldest first. */
export async function versionsOf(
  ctx: Ctx,
  subject: string,
  options: { includeDeleted?: boolean; mustExist?: boolean } = {},
): Promise<VersionInfo[]> {
  const artifact = ctx.names.toArtifact(subject);
  let all: VersionInfo[];
  try {
    all = await ctx.registry.listVersions(artifact, { includeDeleted: true });
  } catch (error) {
    if (isCode(error, 'E_UNKNOWN_ARTIFACT')) {
      if (options.mustExist === false) return [];
      throw subjectNotFound(subject);
    }
    throw error;
  }
  const shown = all
    .filter((v) => options.includeDeleted === true || v.deletedAt === null)
    .sort((a, b) => a.revision - b.revision);
  if (shown.length === 0 && options.mustExist !== false) throw subjectNotFound(subject);
  return shown;
}

const MAX_VERSION = 2 ** 31 - 1;

/** Parses a Confluent version id: `latest`, `-1` or 1..2^31-1. */
export function parseVersionId(v: string): number | 'latest' {
  if (v === 'latest' || v === '-1') return 'latest';
  const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_VERSION) {
    throw new ConfluentError(
      422,
      42202,
      `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return n;
}

export async function selectVersion(
  ctx: Ctx,
  subject: string,
  v: string,
  includeDeleted = false,
): Promise<VersionInfo> {
  const id = parseVersionId(v);
  const versions = await versionsOf(ctx, subject, { includeDeleted: true });
  if (id === 'latest') {
    const live = versions.filter((x) => x.deletedAt === null);
    const latest = live[live.length - 1];
    if (latest === undefined) throw subjectNotFound(subject);
    return latest;
  }
  const hit = versions.find((x) => x.revision === id);
  if (hit === undefined || (hit.deletedAt !== null && !includeDeleted)) {
    throw versionNotFound(subject, id);
  }
  return hit;
}

/** The Confluent `schema` string of a version. */
export async function schemaTextOf(ctx: Ctx, info: VersionInfo): Promise<string> {
  const bytes =
    info.deletedAt === null
      ? (
          await ctx.registry.fetch(`${info.artifact}@${info.version}`, {
            includeDeprecated: true,
            includeDisabled: true,
            includeDrafts: true,
            includePrerelease: true,
          })
        ).content
      : (await ctx.registry.getContent(info.contentId)).content;
  return textOfBytes(info.format, bytes);
}

/** Stored bytes → Confluent's schema string (JSON kept as JSON, bare Avro names quoted). */
export function textOfBytes(format: string | null, bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (format === 'protobuf') return text;
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text); // a primitive Avro schema stored as text: "string"
  }
}

/** Registry references → Confluent references (version = the target's revision). */
export async function toConfluentRefs(
  ctx: Ctx,
  refs: readonly ReferenceInput[],
): Promise<ConfluentReference[]> {
  const out: ConfluentReference[] = [];
  for (const r of refs) {
    const versions = await ctx.registry.listVersions(r.artifact, { includeDeleted: true });
    const hit = versions.find((v) => v.version === r.version);
    out.push({
      name: r.name,
      subject: ctx.names.toSubject(r.artifact),
      version: hit?.revision ?? 0,
    });
  }
  return out;
}

/** Confluent references → registry references (exact semver of the named revision). */
export async function toPlinthRefs(
  ctx: Ctx,
  refs: readonly ConfluentReference[],
): Promise<ReferenceInput[]> {
  const out: ReferenceInput[] = [];
  for (const r of refs) {
    let target: VersionInfo;
    try {
      target = await selectVersion(ctx, r.subject, String(r.version));
    } catch (error) {
      if (error instanceof ConfluentError && error.status === 404) {
        throw new ConfluentError(
          422,
          42201,
          `Invalid schema: reference ${r.name} names ${r.subject} version ${r.version}, which does not exist`,
        );
      }
      throw error;
    }
    out.push({ name: r.name, artifact: target.artifact, version: target.version });
  }
  return out;
}

/** A stored version as the engine takes it, with its references (transitively). */
export async function sourceOfVersion(ctx: Ctx, info: VersionInfo): Promise<SchemaSourceLike> {
  const text = await schemaTextOf(ctx, info);
  const format = info.format ?? 'json-schema';
  const schema = format === 'protobuf' ? text : (JSON.parse(text) as unknown);
  const references = await referenceSources(ctx, info.references);
  return { format, schema, ...(references.length > 0 && { references }) };
}

export async function referenceSources(
  ctx: Ctx,
  refs: readonly ReferenceInput[],
): Promise<Array<{ name: string; format: string; schema: unknown }>> {
  const out: Array<{ name: string; format: string; schema: unknown }> = [];
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length > 0 && seen.size < 1000) {
    const r = queue.shift() as ReferenceInput;
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    const info = await ctx.registry.resolve(`${r.artifact}@${r.version}`, {
      includeDeprecated: true,
      includeDisabled: true,
      includePrerelease: true,
    });
    const text = await schemaTextOf(ctx, info);
    const format = info.format ?? 'json-schema';
    out.push({ name: r.name, format, schema: format === 'protobuf' ? text : JSON.parse(text) });
    queue.push(...info.references);
  }
  return out;
}

/** The Confluent record of one subject version. */
export async function recordOf(
  ctx: Ctx,
  subject: string,
  info: VersionInfo,
): Promise<Record<string, unknown>> {
  const type = typeOfFormat(info.format) ?? 'AVRO';
  const refs = await toConfluentRefs(ctx, info.references);
  return {
    subject,
    version: info.revision,
    id: info.contentId,
    ...(type !== 'AVRO' && { schemaType: type }),
    ...(refs.length > 0 && { references: refs }),
    schema: await schemaTextOf(ctx, info),
    ...(info.deletedAt !== null && { deleted: true }),
  };
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
