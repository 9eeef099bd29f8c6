import { canonicalJson, checkJsonLimits, isPlinthError, type Digest } from '@plinth/core';
import { registryErrors } from '../errors.js';
import type { SchemaSourceLike } from '../schema-engine.js';
import type { Ctx } from './context.js';
import type { VersionDoc } from './records.js';

/**
 * Stored bytes of a schema: text as given (`.proto`), JSON values in canonical form. A JSON
 * value nested deeper than `maxDepth` is refused (`E_LIMIT_EXCEEDED`) before it is walked.
 */
export function encodeSchema(
  schema: unknown,
  maxDepth: number,
): { bytes: Uint8Array; encoding: 'text' | 'json' } {
  if (typeof schema === 'string') return { bytes: Buffer.from(schema, 'utf8'), encoding: 'text' };
  checkJsonLimits(schema, { maxDepth }, { package: '@plinth/registry', what: 'the schema' });
  let text: string;
  try {
    text = canonicalJson(schema);
  } catch (cause) {
    throw registryErrors.create('E_INVALID_SCHEMA', 'the schema is not a JSON value', { cause });
  }
  return { bytes: Buffer.from(text, 'utf8'), encoding: 'json' };
}

export function decodeSchema(bytes: Uint8Array, encoding: unknown): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return encoding === 'text' ? text : (JSON.parse(text) as unknown);
}

/** Field names in a schema, for full-text search (JSON Schema properties, Avro fields, .proto). */
export function schemaFields(schema: unknown, limit = 500): string[] {
  const out = new Set<string>();
  if (typeof schema === 'string') {
    for (const m of schema.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\d+\s*[;[]/g)) {
      out.add(m[1] as string);
      if (out.size >= limit) break;
    }
    return [...out];
  }
  const stack: unknown[] = [schema];
  let steps = 0;
  while (stack.length > 0 && out.size < limit && steps++ < 100_000) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    const o = node as Record<string, unknown>;
    const props = o.properties;
    if (typeof props === 'object' && props !== null && !Array.isArray(props)) {
      for (const k of Object.keys(props)) out.add(k);
    }
    if (Array.isArray(o.fields)) {
      for (const f of o.fields) {
        const n = (f as { name?: unknown } | null)?.name;
        if (typeof n === 'string') out.add(n);
      }
    }
    for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return [...out];
}

/** Bytes of a version's content, verified, through the content cache. */
export async function contentOf(ctx: Ctx, doc: VersionDoc): Promise<Uint8Array> {
  const cached = ctx.contents.get(doc.digest);
  if (cached !== undefined) return cached;
  const bytes = await ctx.blobs.readAll(
    doc.digest as Digest,
    doc.compression,
    ctx.limits.maxContentBytes,
  );
  ctx.contents.set(doc.digest, bytes);
  return bytes;
}

/** A stored schema version as the engine takes it (with its references, transitively). */
export async function sourceOf(
  ctx: Ctx,
  doc: VersionDoc,
  load: (versionDocKey: string) => Promise<VersionDoc | undefined>,
): Promise<SchemaSourceLike> {
  const schema = decodeSchema(await contentOf(ctx, doc), doc.encoding);
  const references = await referencesOf(ctx, doc.references, load);
  return {
    format: doc.format ?? 'json-schema',
    schema,
    ...(references.length > 0 && { references }),
  };
}

/** The referenced schemas, transitively, each once (by name). */
export async function referencesOf(
  ctx: Ctx,
  refs: ReadonlyArray<{ name: string; artifact: string; version: string }>,
  load: (versionDocKey: string) => Promise<VersionDoc | undefined>,
): Promise<Array<{ name: string; format: string; schema: unknown }>> {
  const out: Array<{ name: string; format: string; schema: unknown }> = [];
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length > 0) {
    const r = queue.shift() as { name: string; artifact: string; version: string };
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    const doc = await load(`${r.artifact}@${r.version}`);
    if (doc === undefined) {
      throw registryErrors.create(
        'E_BROKEN_REFERENCE',
        `reference "${r.name}" names ${r.artifact}@${r.version}, which does not exist`,
        { details: { name: r.name, artifact: r.artifact, version: r.version } },
      );
    }
    const schema = decodeSchema(await contentOf(ctx, doc), doc.encoding);
    out.push({ name: r.name, format: doc.format ?? 'json-schema', schema });
    queue.push(...doc.references);
    if (seen.size > ctx.limits.maxReferences) {
      throw registryErrors.create('E_BROKEN_REFERENCE', 'too many transitive references', {
        details: { max: ctx.limits.maxReferences },
      });
    }
  }
  return out;
}

/** Runs an engine call; a bad schema becomes the registry's `E_INVALID_SCHEMA`. */
export function engineCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (isPlinthError(error) && error.package === '@plinth/registry') throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw registryErrors.create('E_INVALID_SCHEMA', `${what}: ${message}`, {
      cause: error,
      details: {
        cause: isPlinthError(error) ? { code: error.code, ...error.details } : { message },
      },
    });
  }
}
