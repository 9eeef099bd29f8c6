import { createHash } from 'node:crypto';
import { isDigest, type Digest } from '@plinth/core';
import type { Document } from '@plinth/storage';
import { registryErrors } from '../errors.js';
import { runTx, storeCall, type Ctx } from './context.js';
import { C, type ContentDoc, type VersionDoc } from './records.js';

export const EXPORT_FORMAT = 'plinth-registry-export';
const EXPORT_VERSION = 1;
const CHUNK = 48 * 1024;
/** Collections exported, in import order. */
const COLLECTIONS = [
  C.meta,
  C.rules,
  C.artifacts,
  C.versions,
  C.contentIds,
  C.contents,
  C.refs,
  C.tombstones,
  C.tagHistory,
  C.audit,
  C.usage,
];

/**
 * The whole registry as NDJSON lines: a header, every record of every registry collection, every
 * blob (base64 chunks, streamed), and a trailer with counts and a sha256 over all earlier lines.
 */
export async function* exportRegistry(ctx: Ctx): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  const line = (value: unknown): Uint8Array => {
    const bytes = Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
    hash.update(bytes);
    return bytes;
  };
  yield line({ format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: ctx.clock.now() });
  let records = 0;
  let blobs = 0;
  for (const name of COLLECTIONS) {
    let cursor: string | undefined;
    do {
      const page = await storeCall(() =>
        ctx.store.collection(name).list({ limit: 1000, ...(cursor !== undefined && { cursor }) }),
      );
      for (const item of page.items) {
        records++;
        yield line({ c: name, k: item.key, v: item.value });
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  let cursor: string | undefined;
  do {
    const page = await storeCall(() =>
      ctx.store
        .collection<ContentDoc>(C.contents)
        .list({ limit: 1000, ...(cursor !== undefined && { cursor }) }),
    );
    for (const item of page.items) {
      if (item.value.state !== 'live') continue;
      blobs++;
      yield line({ blob: item.value.digest });
      let pending = Buffer.alloc(0);
      for await (const chunk of ctx.blobs.read(item.value.digest, item.value.compression)) {
        pending = Buffer.concat([pending, chunk]);
        while (pending.byteLength >= CHUNK) {
          yield line({ d: pending.subarray(0, CHUNK).toString('base64') });
          pending = pending.subarray(CHUNK);
        }
      }
      if (pending.byteLength > 0) yield line({ d: pending.toString('base64') });
      yield line({ end: item.value.digest });
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  const checksum = hash.digest('hex');
  yield Buffer.from(`${JSON.stringify({ trailer: true, records, blobs, checksum })}\n`, 'utf8');
}

async function* lines(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of source) {
    rest += decoder.decode(chunk, { stream: true });
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw registryErrors.create('E_IMPORT_INVALID', `import: ${message}`, { details });
}

/**
 * Imports an export into this (empty) registry. Blobs stream into the blob store as they come
 * (verified against their digests); the records are written in one transaction once the
 * trailer's checksum has been verified, so a truncated or corrupted stream writes no metadata.
 */
export async function importRegistry(
  ctx: Ctx,
  source: AsyncIterable<Uint8Array>,
): Promise<{ records: number; blobs: number }> {
  ctx.assertWritable('import');
  const any = await storeCall(() => ctx.store.collection(C.artifacts).list({ limit: 1 }));
  if (any.items.length > 0) {
    throw registryErrors.create('E_IMPORT_TARGET_NOT_EMPTY', 'import needs an empty registry');
  }
  const hash = createHash('sha256');
  const it = lines(source)[Symbol.asyncIterator]();
  const next = async (): Promise<{ raw: string; value: Record<string, unknown> } | undefined> => {
    const r = await it.next();
    if (r.done === true) return undefined;
    try {
      return { raw: r.value, value: JSON.parse(r.value) as Record<string, unknown> };
    } catch {
      return invalid('a line is not JSON');
    }
  };
  const header = await next();
  if (header?.value.format !== EXPORT_FORMAT || header.value.version !== EXPORT_VERSION) {
    invalid('not a registry export (bad header)');
  }
  hash.update(`${header.raw}\n`);
  const records: Array<{ c: string; k: string; v: Document }> = [];
  let blobs = 0;
  let trailer: Record<string, unknown> | undefined;
  for (;;) {
    const l = await next();
    if (l === undefined) break;
    const v = l.value;
    if (v.trailer === true) {
      trailer = v;
      break;
    }
    hash.update(`${l.raw}\n`);
    if (typeof v.c === 'string' && typeof v.k === 'string' && typeof v.v === 'object') {
      if (!COLLECTIONS.includes(v.c as (typeof COLLECTIONS)[number]))
        invalid(`unknown collection ${v.c}`);
      records.push({ c: v.c, k: v.k, v: v.v as Document });
      continue;
    }
    if (isDigest(v.blob)) {
      const digest: Digest = v.blob;
      const body = async function* (): AsyncGenerator<Uint8Array> {
        for (;;) {
          const d = await next();
          if (d === undefined) invalid('truncated inside a blob', { digest });
          hash.update(`${d.raw}\n`);
          if (d.value.end === digest) return;
          if (typeof d.value.d !== 'string') invalid('malformed blob chunk', { digest });
          yield Buffer.from(d.value.d, 'base64');
        }
      };
      await ctx.blobs.write(body(), { expected: digest, compress: ctx.compression });
      blobs++;
      continue;
    }
    invalid('unrecognised line');
  }
  if (trailer === undefined) invalid('truncated (no trailer)');
  if (trailer.checksum !== hash.digest('hex'))
    invalid('checksum mismatch: the export is corrupted');
  if (trailer.records !== records.length || trailer.blobs !== blobs)
    invalid('record or blob count mismatch');
  // Blobs may now be stored with another compression than the source registry's.
  const stored = new Map<string, 'gzip' | null>();
  for (const r of records) {
    if (r.c !== C.contents) continue;
    const digest = (r.v as ContentDoc).digest;
    const where = await ctx.blobs.locate(digest);
    if (where === undefined) invalid('a blob listed in the export is missing', { digest });
    stored.set(digest, where);
    r.v = { ...(r.v as ContentDoc), compression: where };
  }
  for (const r of records) {
    if (r.c === C.versions) {
      const d = r.v as VersionDoc;
      const where = stored.get(d.digest);
      r.v = { ...d, compression: where === undefined ? d.compression : where };
    }
  }
  await runTx(
    ctx,
    async (tx) => {
      for (const r of records) await tx.collection(r.c).put(r.k, r.v);
    },
    1,
  );
  ctx.cache.clear();
  return { records: records.length, blobs };
}
