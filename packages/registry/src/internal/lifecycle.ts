import { describeValue } from '@plinth/core';
import semver from 'semver';
import type { Transaction } from '@plinth/storage';
import { registryErrors } from '../errors.js';
import { STATE_EVENTS } from '../events.js';
import type { DeleteVersionOptions, TagInfo, VersionState } from '../types.js';
import { actorOf, loadArtifact, runTx, writeAudit, type Ctx } from './context.js';
import { exactDoc, txVersion } from './reads.js';
import {
  C,
  type ArtifactDoc,
  type RefDoc,
  type TagHistoryDoc,
  type VersionDoc,
} from './records.js';

/** Allowed lifecycle transitions. */
export const TRANSITIONS: Readonly<Record<VersionState, readonly VersionState[]>> = {
  draft: ['active', 'disabled'],
  active: ['deprecated', 'disabled'],
  deprecated: ['active', 'disabled'],
  disabled: ['deprecated'],
};

const STATES = new Set<string>(['draft', 'active', 'deprecated', 'disabled']);

/** Writes a changed version and bumps its artifact's generation (one step per transaction). */
export async function writeVersion(
  tx: Transaction,
  art: ArtifactDoc,
  doc: VersionDoc,
  now: number,
  extra: Partial<ArtifactDoc> = {},
): Promise<{ art: ArtifactDoc; doc: VersionDoc }> {
  const gen = art.generation + 1;
  const nextDoc: VersionDoc = { ...doc, gen, updatedAt: now };
  const nextArt: ArtifactDoc = { ...art, ...extra, generation: gen, updatedAt: now };
  await tx.collection<VersionDoc>(C.versions).put(`${doc.artifact}@${doc.key}`, nextDoc);
  await tx.collection<ArtifactDoc>(C.artifacts).put(art.artifact, nextArt);
  return { art: nextArt, doc: nextDoc };
}

export async function recordTagMove(
  ctx: Ctx,
  tx: Transaction,
  artifact: string,
  tag: string,
  from: string | null,
  to: string | null,
  pinned: boolean,
  actor: string | null,
): Promise<void> {
  await tx.collection<TagHistoryDoc>(C.tagHistory).put(`${artifact}#${tag}#${ctx.ids()}`, {
    artifact,
    tag,
    from,
    to,
    pinned,
    at: ctx.clock.now(),
    actor,
  });
}

/** Moves a version through its lifecycle. */
export async function setState(
  ctx: Ctx,
  ref: string,
  state: VersionState,
  options: { actor?: string | null } = {},
): Promise<VersionDoc> {
  ctx.assertWritable('setState');
  const actor = actorOf(options);
  if (!STATES.has(state)) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `unknown state ${describeValue(state)} (one of ${[...STATES].join(', ')})`,
    );
  }
  const { artifact, key } = await exactDoc(ctx, ref);
  let moved: { from: string | null; to: string } | undefined;
  const { art, doc, from } = await runTx(ctx, async (tx) => {
    moved = undefined;
    const art = await loadArtifact(tx, artifact);
    const doc = await txVersion(tx, key);
    if (doc.deletedAt !== null) {
      throw registryErrors.create('E_UNKNOWN_VERSION', `${key} is deleted (restore it first)`, {
        details: { key },
      });
    }
    if (doc.state === state) return { art, doc, from: state };
    if (!TRANSITIONS[doc.state].includes(state)) {
      throw registryErrors.create(
        'E_INVALID_TRANSITION',
        `${key}: ${doc.state} → ${state} is not allowed (from ${doc.state}: ${TRANSITIONS[doc.state].join(', ') || 'nothing'})`,
        { details: { key, from: doc.state, to: state, allowed: TRANSITIONS[doc.state] } },
      );
    }
    const now = ctx.clock.now();
    let tags = art.tags;
    const latest = art.tags.latest;
    if (
      state === 'active' &&
      semver.prerelease(doc.version) === null &&
      latest?.pinned !== true &&
      (latest === undefined || semver.gte(doc.version, latest.version)) &&
      latest?.version !== doc.version
    ) {
      const info: TagInfo = {
        version: doc.version,
        pinned: false,
        updatedAt: now,
        updatedBy: actor,
      };
      tags = { ...art.tags, latest: info };
      moved = { from: latest?.version ?? null, to: doc.version };
      await recordTagMove(ctx, tx, artifact, 'latest', moved.from, doc.version, false, actor);
    }
    const out = await writeVersion(tx, art, { ...doc, state }, now, { tags });
    await writeAudit(ctx, tx, {
      action: `version.${state}`,
      actor,
      artifact,
      version: doc.version,
      details: { from: doc.state },
    });
    return { ...out, from: doc.state };
  });
  if (from !== state) {
    ctx.cache.apply(art, [doc]);
    const at = ctx.clock.now();
    ctx.emit(STATE_EVENTS[state], { artifact, version: doc.version, actor, at });
    if (moved !== undefined) {
      ctx.emit('tag:moved', { artifact, tag: 'latest', ...moved, pinned: false, actor, at });
    }
  }
  return doc;
}

/** Soft delete (restorable), or hard delete (refused while referenced, or tagged unless forced). */
export async function deleteVersion(
  ctx: Ctx,
  ref: string,
  options: DeleteVersionOptions = {},
): Promise<void> {
  ctx.assertWritable('deleteVersion');
  const actor = actorOf(options);
  const { artifact, key } = await exactDoc(ctx, ref);
  const permanent = options.permanent === true;
  const result = await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, artifact, { includeDeleted: permanent });
    const doc = await txVersion(tx, key);
    const now = ctx.clock.now();
    if (!permanent) {
      if (doc.deletedAt !== null) return { art, doc, changed: false };
      const out = await writeVersion(tx, art, { ...doc, deletedAt: now }, now);
      await writeAudit(ctx, tx, {
        action: 'version.deleted',
        actor,
        artifact,
        version: doc.version,
      });
      return { ...out, changed: true };
    }
    const referrers = await tx.collection<RefDoc>(C.refs).find('byTarget', { eq: key, limit: 10 });
    if (referrers.items.length > 0) {
      throw registryErrors.create(
        'E_REFERENCED',
        `${key} is referenced by ${referrers.items.map((r) => r.value.from).join(', ')}`,
        { details: { key, referencedBy: referrers.items.map((r) => r.value.from) } },
      );
    }
    const tagged = Object.entries(art.tags).filter(([, t]) => semver.eq(t.version, doc.version));
    if (tagged.length > 0 && options.force !== true) {
      throw registryErrors.create(
        'E_TAGGED',
        `${key} is tagged ${tagged.map(([t]) => t).join(', ')}; remove the tags or pass force`,
        { details: { key, tags: tagged.map(([t]) => t) } },
      );
    }
    const tags = { ...art.tags };
    for (const [t] of tagged) {
      delete tags[t];
      await recordTagMove(ctx, tx, artifact, t, doc.version, null, false, actor);
    }
    const gen = art.generation + 1;
    const nextArt: ArtifactDoc = {
      ...art,
      tags,
      generation: gen,
      hardDeleteGen: gen,
      updatedAt: now,
    };
    await tx.collection<ArtifactDoc>(C.artifacts).put(artifact, nextArt);
    await tx.collection(C.versions).delete(key);
    await tx.collection(C.usage).delete(key);
    await tx.collection(C.tombstones).put(key, { id: doc.id, digest: doc.digest, deletedAt: now });
    const outgoing = await tx.collection<RefDoc>(C.refs).list({ prefix: `${key}>`, limit: 10_000 });
    for (const r of outgoing.items) await tx.collection(C.refs).delete(r.key);
    await writeAudit(ctx, tx, {
      action: 'version.purged',
      actor,
      artifact,
      version: doc.version,
      details: { id: doc.id, digest: doc.digest, forced: options.force === true },
    });
    return { art: nextArt, doc, changed: true, removed: true };
  });
  if (!result.changed) return;
  const at = ctx.clock.now();
  if ('removed' in result) {
    ctx.cache.apply(result.art, [], [result.doc.key]);
  } else {
    ctx.cache.apply(result.art, [result.doc]);
  }
  ctx.emit('version:deleted', { artifact, version: result.doc.version, permanent, actor, at });
}

/** Undoes a soft delete. */
export async function restoreVersion(
  ctx: Ctx,
  ref: string,
  options: { actor?: string | null } = {},
): Promise<void> {
  ctx.assertWritable('restoreVersion');
  const actor = actorOf(options);
  const { artifact, key } = await exactDoc(ctx, ref);
  const out = await runTx(ctx, async (tx) => {
    const art = await loadArtifact(tx, artifact);
    const doc = await txVersion(tx, key);
    if (doc.deletedAt === null) return undefined;
    const now = ctx.clock.now();
    const written = await writeVersion(tx, art, { ...doc, deletedAt: null }, now);
    await writeAudit(ctx, tx, {
      action: 'version.restored',
      actor,
      artifact,
      version: doc.version,
    });
    return written;
  });
  if (out === undefined) return;
  ctx.cache.apply(out.art, [out.doc]);
  ctx.emit('version:restored', { artifact, version: out.doc.version, actor, at: ctx.clock.now() });
}
