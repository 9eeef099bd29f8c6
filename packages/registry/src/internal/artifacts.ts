import { registryErrors } from '../errors.js';
import type { ActorOption, CreateArtifactInput } from '../types.js';
import { actorOf, loadArtifact, runTx, writeAudit, type Ctx } from './context.js';
import { checkMetadata } from './metadata.js';
import { artifactName, checkKind } from './names.js';
import { C, type ArtifactDoc, type RefDoc, type VersionDoc } from './records.js';

/** Creates an artifact (publish also creates one on first use when given a kind). */
export async function createArtifact(ctx: Ctx, input: CreateArtifactInput): Promise<ArtifactDoc> {
  ctx.assertWritable('createArtifact');
  const name = artifactName(input?.artifact);
  const kind = checkKind(input.kind ?? 'binary');
  const actor = actorOf(input);
  const meta = checkMetadata(ctx, input);
  if (input.owner !== undefined && typeof input.owner !== 'string') {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'owner must be a string');
  }
  if (kind === 'schema' && (typeof input.format !== 'string' || input.format === '')) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'a schema artifact needs a format');
  }
  const doc = await runTx(ctx, async (tx) => {
    const col = tx.collection<ArtifactDoc>(C.artifacts);
    if ((await col.get(name.key)) !== undefined) {
      throw registryErrors.create('E_ARTIFACT_EXISTS', `artifact "${name.key}" exists already`, {
        details: { artifact: name.key },
      });
    }
    const now = ctx.clock.now();
    const doc: ArtifactDoc = {
      artifact: name.key,
      group: name.group,
      name: name.name,
      kind,
      format: kind === 'schema' ? (input.format as string) : null,
      description: meta.description,
      labels: meta.labels,
      owner: input.owner ?? null,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      deletedAt: null,
      revisions: 0,
      tags: {},
      generation: 1,
      hardDeleteGen: 0,
    };
    await col.put(name.key, doc);
    await writeAudit(ctx, tx, {
      action: 'artifact.created',
      actor,
      artifact: name.key,
      details: { kind },
    });
    return doc;
  });
  ctx.cache.invalidate(name.key);
  ctx.emit('artifact:created', { artifact: name.key, kind, actor, at: doc.createdAt });
  return doc;
}

/** Changes an artifact's description, labels or owner. */
export async function updateArtifact(
  ctx: Ctx,
  artifact: string,
  patch: {
    description?: string;
    labels?: Record<string, string>;
    owner?: string | null;
  } & ActorOption,
): Promise<ArtifactDoc> {
  ctx.assertWritable('updateArtifact');
  const name = artifactName(artifact);
  const actor = actorOf(patch);
  const meta = checkMetadata(ctx, patch);
  const doc = await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, name.key);
    const next: ArtifactDoc = {
      ...art,
      ...(patch.description !== undefined && { description: meta.description }),
      ...(patch.labels !== undefined && { labels: meta.labels }),
      ...(patch.owner !== undefined && { owner: patch.owner }),
      generation: art.generation + 1,
      updatedAt: ctx.clock.now(),
    };
    await tx.collection<ArtifactDoc>(C.artifacts).put(name.key, next);
    await writeAudit(ctx, tx, { action: 'artifact.updated', actor, artifact: name.key });
    return next;
  });
  ctx.cache.apply(doc, []);
  ctx.emit('artifact:updated', { artifact: name.key, actor, at: doc.updatedAt });
  return doc;
}

/**
 * Soft delete (versions stay, restorable), or permanent: every version goes, refused while a
 * version of another artifact references one of them.
 */
export async function deleteArtifact(
  ctx: Ctx,
  artifact: string,
  options: { permanent?: boolean } & ActorOption = {},
): Promise<void> {
  ctx.assertWritable('deleteArtifact');
  const name = artifactName(artifact);
  const actor = actorOf(options);
  const permanent = options.permanent === true;
  await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, name.key, { includeDeleted: permanent });
    const now = ctx.clock.now();
    if (!permanent) {
      const next = { ...art, deletedAt: now, generation: art.generation + 1, updatedAt: now };
      await tx.collection<ArtifactDoc>(C.artifacts).put(name.key, next);
      await writeAudit(ctx, tx, { action: 'artifact.deleted', actor, artifact: name.key });
      return;
    }
    const versions = tx.collection<VersionDoc>(C.versions);
    const refs = tx.collection<RefDoc>(C.refs);
    let cursor: string | undefined;
    do {
      const page = await versions.list({
        prefix: `${name.key}@`,
        limit: 1000,
        ...(cursor !== undefined && { cursor }),
      });
      for (const v of page.items) {
        const by = await refs.find('byTarget', { eq: v.key, limit: 100 });
        const outside = by.items.filter((r) => !r.value.from.startsWith(`${name.key}@`));
        if (outside.length > 0) {
          throw registryErrors.create(
            'E_REFERENCED',
            `${v.key} is referenced by ${outside.map((r) => r.value.from).join(', ')}`,
            { details: { key: v.key, referencedBy: outside.map((r) => r.value.from) } },
          );
        }
        for (const r of (await refs.list({ prefix: `${v.key}>`, limit: 10_000 })).items) {
          await refs.delete(r.key);
        }
        await versions.delete(v.key);
        await tx.collection(C.usage).delete(v.key);
        await tx.collection(C.tombstones).put(v.key, {
          id: v.value.id,
          digest: v.value.digest,
          deletedAt: now,
        });
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    await tx.collection(C.artifacts).delete(name.key);
    await writeAudit(ctx, tx, { action: 'artifact.purged', actor, artifact: name.key });
  });
  ctx.cache.invalidate(name.key);
  ctx.emit('artifact:deleted', { artifact: name.key, permanent, actor, at: ctx.clock.now() });
}

export async function restoreArtifact(
  ctx: Ctx,
  artifact: string,
  options: ActorOption = {},
): Promise<void> {
  ctx.assertWritable('restoreArtifact');
  const name = artifactName(artifact);
  const actor = actorOf(options);
  const changed = await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, name.key, { includeDeleted: true });
    if (art.deletedAt === null) return false;
    const now = ctx.clock.now();
    const next = { ...art, deletedAt: null, generation: art.generation + 1, updatedAt: now };
    await tx.collection<ArtifactDoc>(C.artifacts).put(name.key, next);
    await writeAudit(ctx, tx, { action: 'artifact.restored', actor, artifact: name.key });
    return true;
  });
  ctx.cache.invalidate(name.key);
  if (changed) ctx.emit('artifact:restored', { artifact: name.key, actor, at: ctx.clock.now() });
}
