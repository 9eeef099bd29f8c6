import { canonicalJson, isDigest, sha256Hex, type Digest } from '@plinth/core';
import { registryErrors } from '../errors.js';
import type { StoredBlob } from '../blob/blob-layer.js';
import type { SchemaSourceLike } from '../schema-engine.js';
import type { PublishInput, ReferenceInput, ResolvedRules } from '../types.js';
import { actorOf, storeCall, type Ctx } from './context.js';
import { checkMetadata } from './metadata.js';
import {
  artifactName,
  checkKind,
  checkTag,
  parseVersion,
  type ArtifactName,
  type ParsedVersion,
} from './names.js';
import { C, type ArtifactDoc, type VersionDoc } from './records.js';
import { encodeSchema, engineCall, referencesOf, schemaFields } from './schema-content.js';

/** A publish after the checks that need no transaction, with its bytes already stored. */
export interface Prepared {
  readonly input: PublishInput;
  readonly name: ArtifactName;
  readonly kind: string;
  /** The caller named the kind (the artifact may be created). */
  readonly kindGiven: boolean;
  readonly format: string | null;
  readonly actor: string | null;
  readonly blob: StoredBlob;
  /** Bytes to write inside the publish transaction (storage-backed blobs), else undefined. */
  readonly inline: Uint8Array | undefined;
  readonly source: SchemaSourceLike | undefined;
  readonly encoding: 'json' | 'text' | null;
  readonly fingerprint: string | null;
  /** What `contentId` is keyed on. */
  readonly contentKey: string;
  readonly fields: string[];
  readonly references: ReferenceInput[];
  readonly explicit: ParsedVersion | undefined;
  readonly description: string | null;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, unknown>;
  readonly state: 'draft' | 'active';
  readonly tags: string[];
  readonly mediaType: string;
  readonly rules: ResolvedRules;
  /** Allocated once, kept across transaction retries. */
  id: number | undefined;
}

function isStream(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

function checkReferences(ctx: Ctx, refs: unknown): ReferenceInput[] {
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'references must be an array');
  }
  if (refs.length > ctx.limits.maxReferences) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `at most ${ctx.limits.maxReferences} references per version`,
      { details: { max: ctx.limits.maxReferences } },
    );
  }
  const names = new Set<string>();
  return refs.map((r: unknown, i) => {
    const ref = r as Partial<ReferenceInput> | null;
    if (typeof ref?.name !== 'string' || ref.name.length === 0 || ref.name.length > 1024) {
      throw registryErrors.create('E_INVALID_ARGUMENT', `references[${i}].name must be a string`);
    }
    if (names.has(ref.name)) {
      throw registryErrors.create('E_BROKEN_REFERENCE', `references name "${ref.name}" twice`, {
        details: { name: ref.name },
      });
    }
    names.add(ref.name);
    const a = artifactName(ref.artifact, `references[${i}].artifact`);
    const v = parseVersion(ref.version);
    return { name: ref.name, artifact: a.key, version: v.key };
  });
}

/** Validates a publish, runs the schema rules that need no transaction, stores the bytes. */
export async function preparePublish(
  ctx: Ctx,
  input: PublishInput,
  earlier?: { kind: string; format: string | null },
): Promise<Prepared> {
  if (typeof input !== 'object' || input === null) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'publish() takes an object');
  }
  const actor = actorOf(input);
  const name = artifactName(input.artifact);
  const explicit = input.version === undefined ? undefined : parseVersion(input.version);
  if (input.bump !== undefined && !['major', 'minor', 'patch'].includes(input.bump)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'bump must be "major", "minor" or "patch"');
  }
  if (input.preid !== undefined && !/^[0-9A-Za-z-]+$/.test(input.preid)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'preid must be a prerelease identifier');
  }
  if (input.digest !== undefined && !isDigest(input.digest)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'digest must be "sha256:<64 hex digits>"');
  }
  if (input.state !== undefined && input.state !== 'draft' && input.state !== 'active') {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'a new version is "draft" or "active"');
  }
  if (input.tags !== undefined && !Array.isArray(input.tags)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'tags must be an array of tag names');
  }
  const tags = (input.tags ?? []).map(checkTag);
  const meta = checkMetadata(ctx, input);
  // Kind and format never change for an artifact, and the transaction checks them again: a
  // cached artifact of the given (non-schema) kind saves the read; anything else asks the store.
  const peeked = ctx.cache.peek(name.key);
  const known =
    peeked !== undefined &&
    peeked.deletedAt === null &&
    input.kind !== undefined &&
    input.kind !== 'schema' &&
    peeked.kind === input.kind
      ? peeked
      : undefined;
  const existing =
    known ??
    (await storeCall(() => ctx.store.collection<ArtifactDoc>(C.artifacts).get(name.key)))?.value ??
    (earlier === undefined ? undefined : ({ ...earlier, kind: earlier.kind } as ArtifactDoc));
  const kindGiven = input.kind !== undefined || earlier !== undefined;
  const kind = input.kind !== undefined ? checkKind(input.kind) : existing?.kind;
  if (kind === undefined) {
    throw registryErrors.create(
      'E_UNKNOWN_ARTIFACT',
      `unknown artifact "${name.key}" (give a kind to create it on first publish)`,
      { details: { artifact: name.key } },
    );
  }
  if (existing !== undefined && existing.kind !== kind) {
    throw registryErrors.create(
      'E_KIND_MISMATCH',
      `artifact "${name.key}" is a ${existing.kind}, not a ${kind}`,
      { details: { artifact: name.key, kind: existing.kind, given: kind } },
    );
  }
  const references = checkReferences(ctx, input.references);
  const rules = await ctx.rules(name.key);
  let source: SchemaSourceLike | undefined;
  let encoding: 'json' | 'text' | null = null;
  let fingerprint: string | null = null;
  let fields: string[] = [];
  let bytes: Uint8Array | undefined;
  let format: string | null = null;
  let content = input.content;
  if (kind === 'schema') {
    format = input.format ?? existing?.format ?? null;
    if (typeof format !== 'string' || format.length === 0) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'a schema artifact needs a format', {
        details: { artifact: name.key },
      });
    }
    if (existing?.format != null && existing.format !== format) {
      throw registryErrors.create(
        'E_KIND_MISMATCH',
        `artifact "${name.key}" holds ${existing.format} schemas, not ${format}`,
        { details: { artifact: name.key, format: existing.format, given: format } },
      );
    }
    if (input.schema === undefined) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'a schema artifact needs `schema`');
    }
    if (input.content !== undefined) {
      throw registryErrors.create(
        'E_INVALID_ARGUMENT',
        'give `schema`, not `content`, for schemas',
      );
    }
    const encoded = encodeSchema(input.schema, ctx.limits.maxDepth);
    bytes = encoded.bytes;
    encoding = encoded.encoding;
    content = bytes;
    const col = ctx.store.collection<VersionDoc>(C.versions);
    const load = async (key: string) => {
      const doc = (await storeCall(() => col.get(key)))?.value;
      return doc === undefined || doc.deletedAt !== null ? undefined : doc;
    };
    const refSources = await referencesOf(ctx, references, load);
    const fmt = format;
    source = {
      format: fmt,
      schema: input.schema,
      ...(refSources.length > 0 && { references: refSources }),
    };
    const s = source;
    const engine = ctx.engine();
    if (rules.validity === 'full') engineCall(`invalid ${fmt} schema`, () => engine.compile(s));
    fingerprint = engineCall(`invalid ${fmt} schema`, () => engine.fingerprint(s));
    fields = schemaFields(input.schema);
  } else if (input.schema !== undefined) {
    throw registryErrors.create('E_INVALID_ARGUMENT', '`schema` is only for schema artifacts');
  }
  if (content === undefined) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'publish() needs `content`');
  }
  if (!isStream(content) && typeof content !== 'string' && !(content instanceof Uint8Array)) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      'content must be a Uint8Array, a string or an async iterable of Uint8Array chunks',
    );
  }
  if (bytes === undefined && !isStream(content)) {
    bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : (content as Uint8Array);
  }
  if (bytes !== undefined && bytes.byteLength > ctx.limits.maxContentBytes) {
    throw registryErrors.create(
      'E_CONTENT_TOO_LARGE',
      `content is ${bytes.byteLength} bytes; the limit is ${ctx.limits.maxContentBytes}`,
      { details: { size: bytes.byteLength, max: ctx.limits.maxContentBytes } },
    );
  }
  const compress = input.compress ?? ctx.compression;
  let blob: StoredBlob;
  let inline: Uint8Array | undefined;
  if (ctx.inlineBlobs && bytes !== undefined && !compress) {
    const digest = `sha256:${sha256Hex(bytes)}` as Digest;
    if (input.digest !== undefined && input.digest !== digest) {
      throw registryErrors.create(
        'E_DIGEST_MISMATCH',
        `content hashes to ${digest}, not to the given ${input.digest}`,
        { details: { expected: input.digest, actual: digest } },
      );
    }
    if (bytes.byteLength > ctx.blobs.store.maxObjectBytes) {
      throw registryErrors.create(
        'E_CONTENT_TOO_LARGE',
        `content is larger than the storage blob store's ${ctx.blobs.store.maxObjectBytes} bytes`,
      );
    }
    blob = { digest, size: bytes.byteLength, compression: null, bytes };
    inline = bytes;
  } else {
    blob = await ctx.blobs.write(bytes ?? (content as AsyncIterable<Uint8Array>), {
      expected: input.digest,
      compress,
    });
  }
  const contentKey =
    fingerprint === null
      ? blob.digest
      : `schema:${sha256Hex(canonicalJson({ format, fingerprint, references }))}`;
  return {
    input,
    name,
    kind,
    kindGiven,
    format,
    actor,
    blob,
    inline,
    source,
    encoding,
    fingerprint,
    contentKey,
    fields,
    references,
    explicit,
    description: meta.description,
    labels: meta.labels,
    annotations: meta.annotations,
    state: input.state ?? 'active',
    tags,
    mediaType:
      input.mediaType ?? (kind === 'schema' ? 'application/json' : 'application/octet-stream'),
    rules,
    id: undefined,
  };
}
