import semver from 'semver';
import { registryErrors } from '../errors.js';
import type { TagHistoryEntry, TagInfo } from '../types.js';
import { actorOf, loadArtifact, runTx, storeCall, writeAudit, type Ctx } from './context.js';
import { recordTagMove } from './lifecycle.js';
import { artifactName, checkTag, parseVersion, versionDocKey } from './names.js';
import { txVersion } from './reads.js';
import { C, type ArtifactDoc, type TagHistoryDoc } from './records.js';

/**
 * Points `tag` at `version` (compare-and-set on the artifact: concurrent moves are serialised,
 * none is lost). `pin` freezes `latest` so publishes stop moving it.
 */
export async function setTag(
  ctx: Ctx,
  artifact: string,
  tag: string,
  version: string,
  options: { pin?: boolean; actor?: string | null } = {},
): Promise<TagInfo> {
  ctx.assertWritable('setTag');
  const name = artifactName(artifact);
  checkTag(tag);
  const v = parseVersion(version);
  const actor = actorOf(options);
  let from: string | null = null;
  const { art, info } = await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, name.key);
    const doc = await txVersion(tx, versionDocKey(name.key, v.key));
    if (doc.deletedAt !== null) {
      throw registryErrors.create('E_UNKNOWN_VERSION', `${name.key}@${doc.version} is deleted`, {
        details: { artifact: name.key, version: doc.version },
      });
    }
    const now = ctx.clock.now();
    from = art.tags[tag]?.version ?? null;
    const pinned = options.pin ?? art.tags[tag]?.pinned ?? false;
    const info: TagInfo = { version: doc.version, pinned, updatedAt: now, updatedBy: actor };
    const next: ArtifactDoc = {
      ...art,
      tags: { ...art.tags, [tag]: info },
      generation: art.generation + 1,
      updatedAt: now,
    };
    await tx.collection<ArtifactDoc>(C.artifacts).put(name.key, next);
    await recordTagMove(ctx, tx, name.key, tag, from, doc.version, pinned, actor);
    await writeAudit(ctx, tx, {
      action: 'tag.moved',
      actor,
      artifact: name.key,
      version: doc.version,
      details: { tag, from, pinned },
    });
    return { art: next, info };
  });
  ctx.cache.apply(art, []);
  ctx.emit('tag:moved', {
    artifact: name.key,
    tag,
    from,
    to: info.version,
    pinned: info.pinned,
    actor,
    at: ctx.clock.now(),
  });
  return info;
}

/** Removes a tag. `latest` comes back on the next publish. */
export async function removeTag(
  ctx: Ctx,
  artifact: string,
  tag: string,
  options: { actor?: string | null } = {},
): Promise<void> {
  ctx.assertWritable('removeTag');
  const name = artifactName(artifact);
  checkTag(tag);
  const actor = actorOf(options);
  const { art, from } = await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, name.key);
    const current = art.tags[tag];
    if (current === undefined) {
      throw registryErrors.create('E_UNKNOWN_TAG', `${name.key} has no tag "${tag}"`, {
        details: { artifact: name.key, tag },
      });
    }
    const tags = { ...art.tags };
    delete tags[tag];
    const now = ctx.clock.now();
    const next: ArtifactDoc = { ...art, tags, generation: art.generation + 1, updatedAt: now };
    await tx.collection<ArtifactDoc>(C.artifacts).put(name.key, next);
    await recordTagMove(ctx, tx, name.key, tag, current.version, null, false, actor);
    await writeAudit(ctx, tx, {
      action: 'tag.removed',
      actor,
      artifact: name.key,
      version: current.version,
      details: { tag },
    });
    return { art: next, from: current.version };
  });
  ctx.cache.apply(art, []);
  ctx.emit('tag:removed', { artifact: name.key, tag, from, actor, at: ctx.clock.now() });
}

/** Every move of a tag, oldest first. */
export async function tagHistory(
  ctx: Ctx,
  artifact: string,
  tag: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<{ entries: TagHistoryEntry[]; cursor: string | undefined }> {
  const name = artifactName(artifact);
  checkTag(tag);
  const page = await storeCall(() =>
    ctx.store.collection<TagHistoryDoc>(C.tagHistory).list({
      prefix: `${name.key}#${tag}#`,
      limit: options.limit ?? 100,
      ...(options.cursor !== undefined && { cursor: options.cursor }),
    }),
  );
  return {
    entries: page.items.map((e) => ({
      tag: e.value.tag,
      from: e.value.from,
      to: e.value.to,
      at: e.value.at,
      actor: e.value.actor,
      pinned: e.value.pinned,
    })),
    cursor: page.cursor,
  };
}

/** Versions tagged, by version (`1.2.3` → [`latest`, `prod`]). */
export function tagsByVersion(art: ArtifactDoc): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [t, info] of Object.entries(art.tags)) {
    const k = semver.parse(info.version)?.version ?? info.version;
    out.set(k, [...(out.get(k) ?? []), t]);
  }
  return out;
}
