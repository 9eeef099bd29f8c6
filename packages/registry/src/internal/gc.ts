import type { GcReport } from '../types.js';
import { parseBlobKey } from '../blob/blob-layer.js';
import { actorOf, runTx, storeCall, type Ctx } from './context.js';
import { C, type ContentDoc, type VersionDoc } from './records.js';

/**
 * Deletes blobs no version references (soft-deleted versions still count). Safe against a
 * concurrent publish of the same bytes: the collector first marks the blob record `collecting`
 * in a transaction that also proves no version references it; a publish that read the record
 * conflicts (and then sees `collecting` → `E_BLOB_BUSY`, retried by `publish`), and a publish
 * that committed first makes the collector's transaction conflict and skip the blob.
 */
export async function collectGarbage(
  ctx: Ctx,
  options: { dryRun?: boolean; minAgeMs?: number; actor?: string | null } = {},
): Promise<GcReport> {
  const dryRun = options.dryRun === true;
  if (!dryRun) ctx.assertWritable('collectGarbage');
  const actor = actorOf(options);
  const minAge = options.minAgeMs ?? 3_600_000;
  const now = ctx.clock.now();
  const store = ctx.blobs.store;
  const deleted: string[] = [];
  const skipped: Array<{ digest: string; reason: string }> = [];
  let bytesFreed = 0;
  let examined = 0;
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({
      prefix: 'sha256/',
      limit: 1000,
      ...(cursor !== undefined && { cursor }),
    });
    keys.push(...page.keys);
    cursor = page.cursor;
  } while (cursor !== undefined);
  for (const key of keys) {
    const parsed = parseBlobKey(key);
    if (parsed === undefined) continue;
    examined++;
    const { digest, compression } = parsed;
    const stat = await store.stat(key);
    if (stat === undefined) continue;
    const verdict = await runTx(ctx, async (tx) => {
      const contents = tx.collection<ContentDoc>(C.contents);
      const record = (await contents.get(digest))?.value;
      const used = await tx
        .collection<VersionDoc>(C.versions)
        .find('byDigest', { eq: digest, limit: 1 });
      if (used.items.length > 0) return 'referenced';
      if (record?.state === 'collecting') return 'collect';
      const touched = record?.touchedAt ?? stat.modifiedAt;
      if (now - touched < minAge) return 'recent';
      if (dryRun) return 'collect';
      await contents.put(digest, {
        digest,
        size: record?.size ?? stat.size,
        storedSize: stat.size,
        compression,
        state: 'collecting',
        contentId: record?.contentId ?? null,
        createdAt: record?.createdAt ?? now,
        touchedAt: now,
      });
      return 'collect';
    });
    if (verdict !== 'collect') {
      skipped.push({ digest, reason: verdict });
      continue;
    }
    if (!dryRun) {
      await ctx.blobs.delete(digest, compression);
      ctx.contents.delete(digest);
      // Nothing can change a `collecting` record, so the delete needs no condition.
      await storeCall(() => ctx.store.collection(C.contents).delete(digest));
    }
    deleted.push(digest);
    bytesFreed += stat.size;
  }
  // Staged uploads that never completed.
  if (!dryRun) {
    const staged = await store.list({ prefix: 'staging/', limit: 1000 });
    for (const key of staged.keys) {
      const s = await store.stat(key);
      if (s !== undefined && now - s.modifiedAt >= minAge) await store.delete(key);
    }
  }
  if (!dryRun)
    ctx.emit('blobs:collected', {
      deleted: deleted.length,
      bytesFreed,
      actor,
      at: ctx.clock.now(),
    });
  return { dryRun, examined, deleted, bytesFreed, skipped };
}
