import semver from 'semver';
import { storageErrors, type Transaction } from '@plinth/storage';
import { registryErrors } from '../errors.js';
import { blobKey } from '../blob/blob-layer.js';
import type { SchemaSourceLike } from '../schema-engine.js';
import type { PublishInput, PublishResult, SemverBump, TagInfo } from '../types.js';
import { loadArtifact, runTx, writeAudit, type Ctx } from './context.js';
import { parseVersion, versionDocKey } from './names.js';
import { preparePublish, type Prepared } from './publish-prepare.js';
import {
  C,
  toVersionInfo,
  type ArtifactDoc,
  type ContentDoc,
  type ContentIdDoc,
  type RefDoc,
  type TagHistoryDoc,
  type VersionDoc,
} from './records.js';
import { engineCall, sourceOf } from './schema-content.js';
import { sha256Hex } from '@plinth/core';

/** Per-transaction state of a (batched) publish: artifacts and versions written so far. */
interface Batch {
  /** Artifact as first read in the transaction (committed state). */
  readonly base: Map<string, ArtifactDoc | undefined>;
  readonly arts: Map<string, ArtifactDoc>;
  readonly pending: Map<string, VersionDoc[]>;
  /** The same versions by version document key. */
  readonly pendingByKey: Map<string, VersionDoc>;
  readonly createdArtifacts: Set<string>;
  /**
   * Tag history, one record per artifact and tag per transaction: successive moves inside one
   * transaction were never visible apart, so the record spans them (first `from`, last `to`).
   */
  readonly history: Map<string, TagHistoryDoc>;
}

interface Outcome {
  readonly doc: VersionDoc;
  readonly created: boolean;
  readonly changes: PublishResult['changes'];
  readonly bump: SemverBump | null;
  readonly moves: Array<{ tag: string; from: string | null; to: string; pinned: boolean }>;
}

const notDeleted = (d: VersionDoc) => d.deletedAt === null;

export interface StorageBlobHook {
  kvKey(key: string): string;
  encode(bytes: Uint8Array, now: number): Uint8Array;
}

/** Publishes versions in one transaction (all or nothing). */
export async function publishAll(
  ctx: Ctx,
  inputs: readonly PublishInput[],
  inlineHook: StorageBlobHook | undefined,
): Promise<PublishResult[]> {
  ctx.assertWritable('publish');
  const prepared: Prepared[] = [];
  const earlier = new Map<string, { kind: string; format: string | null }>();
  for (const input of inputs) {
    const p = await preparePublish(
      ctx,
      input,
      earlier.get(typeof input?.artifact === 'string' ? input.artifact : ''),
    );
    earlier.set(p.name.key, { kind: p.kind, format: p.format });
    prepared.push(p);
  }
  if (prepared.length > 1) {
    await ctx.versionIds.ensure(prepared.length);
    await ctx.contentIds.ensure(prepared.length);
  }
  let batch: Batch | undefined;
  const outcomes = await runTx(ctx, async (tx) => {
    batch = {
      base: new Map(),
      arts: new Map(),
      pending: new Map(),
      pendingByKey: new Map(),
      createdArtifacts: new Set(),
      history: new Map(),
    };
    const out: Outcome[] = [];
    for (const p of prepared) out.push(await publishOne(ctx, tx, p, batch, inlineHook));
    // Each artifact is written once per transaction, however many of its versions the batch adds.
    const arts = tx.collection<ArtifactDoc>(C.artifacts);
    for (const [key, art] of batch.arts) await arts.put(key, art);
    const history = tx.collection<TagHistoryDoc>(C.tagHistory);
    for (const [key, h] of batch.history) await history.put(`${key}#${ctx.ids()}`, h);
    return out;
  });
  const b = batch as unknown as Batch;
  for (const [key, art] of b.arts) ctx.cache.apply(art, b.pending.get(key) ?? []);
  for (const p of prepared)
    if (p.blob.bytes !== undefined) ctx.contents.set(p.blob.digest, p.blob.bytes);
  const at = ctx.clock.now();
  for (const key of b.createdArtifacts) {
    const art = b.arts.get(key) as ArtifactDoc;
    ctx.emit('artifact:created', { artifact: key, kind: art.kind, actor: art.createdBy, at });
  }
  return outcomes.map((o, i) => {
    const p = prepared[i] as Prepared;
    if (o.created) {
      ctx.emit('artifact:published', {
        artifact: o.doc.artifact,
        version: o.doc.version,
        id: o.doc.id,
        revision: o.doc.revision,
        contentId: o.doc.contentId,
        digest: o.doc.digest,
        actor: p.actor,
        at,
      });
    }
    for (const m of o.moves) {
      ctx.emit('tag:moved', { artifact: o.doc.artifact, ...m, actor: p.actor, at });
    }
    return { version: toVersionInfo(o.doc), created: o.created, changes: o.changes, bump: o.bump };
  });
}

async function publishOne(
  ctx: Ctx,
  tx: Transaction,
  p: Prepared,
  batch: Batch,
  inlineHook: StorageBlobHook | undefined,
): Promise<Outcome> {
  const key = p.name.key;
  const now = ctx.clock.now();
  const versions = tx.collection<VersionDoc>(C.versions);
  let art = batch.arts.get(key);
  if (art === undefined) {
    const got = await tx.collection<ArtifactDoc>(C.artifacts).get(key);
    batch.base.set(key, got?.value);
    if (got === undefined) {
      if (!p.kindGiven) await loadArtifact(tx, key); // throws E_UNKNOWN_ARTIFACT
      art = {
        artifact: key,
        group: p.name.group,
        name: p.name.name,
        kind: p.kind,
        format: p.format,
        description: null,
        labels: {},
        owner: null,
        createdAt: now,
        createdBy: p.actor,
        updatedAt: now,
        deletedAt: null,
        revisions: 0,
        tags: {},
        generation: 0,
        hardDeleteGen: 0,
      };
      batch.createdArtifacts.add(key);
    } else {
      art = got.value;
      if (art.deletedAt !== null) await loadArtifact(tx, key); // throws: deleted
      if (art.kind !== p.kind) {
        throw registryErrors.create('E_KIND_MISMATCH', `artifact "${key}" is a ${art.kind}`, {
          details: { artifact: key, kind: art.kind, given: p.kind },
        });
      }
    }
  }
  const base = batch.base.get(key);
  const cached = base === undefined ? undefined : await ctx.cache.at(base);
  const pending = batch.pending.get(key) ?? [];
  const live = () =>
    [...(cached?.versions.entries().map((e) => e.record) ?? []), ...pending].filter(notDeleted);

  // Idempotent publish: the same bytes (or the same version with the same bytes) again. The
  // cache is at least at the generation this transaction read, so it holds every such version.
  // An explicit version looks at that version only; an automatic one at every version.
  const same = (d: VersionDoc | undefined) =>
    d !== undefined && d.digest === p.blob.digest && d.deletedAt === null ? d : undefined;
  let again: VersionDoc | undefined;
  if (p.explicit !== undefined) {
    const k = p.explicit.key;
    again =
      same(cached?.versions.get(k)?.record) ?? same(batch.pendingByKey.get(versionDocKey(key, k)));
  } else {
    const sameContent: VersionDoc[] = [];
    for (const e of cached?.versions.entries() ?? []) {
      if (same(e.record) !== undefined) sameContent.push(e.record);
    }
    for (const d of pending) if (same(d) !== undefined) sameContent.push(d);
    again = sameContent.sort((a, b) => b.revision - a.revision)[0];
  }
  if (again !== undefined) {
    return { doc: again, created: false, changes: [], bump: null, moves: [] };
  }

  // The version: explicit, or the latest release bumped.
  let target: string;
  let bump: SemverBump | null = null;
  let changes: PublishResult['changes'] = [];
  // The highest release, only needed for an automatic version.
  const highest =
    p.explicit !== undefined
      ? undefined
      : [
          cached?.versions.highest(notDeleted, true)?.record,
          ...pending.filter((d) => semver.prerelease(d.version) === null),
        ]
          .filter((d): d is VersionDoc => d !== undefined)
          .sort((a, b) => semver.compare(b.version, a.version))[0];
  if (p.explicit !== undefined) {
    target = p.explicit.version;
  } else {
    let step: 'major' | 'minor' | 'patch';
    if (p.kind === 'schema' && highest !== undefined) {
      const prev = await sourceOf(ctx, highest, (k) => loadVersion(tx, k));
      const d = engineCall('diff', () => ctx.engine().diff(prev, p.source as SchemaSourceLike));
      bump = d.bump;
      changes = d.changes;
      step = d.bump === 'none' ? 'patch' : d.bump;
    } else if (p.input.bump !== undefined) {
      step = p.input.bump;
    } else if (p.kind === 'schema' || highest === undefined) {
      step = 'patch';
    } else {
      throw registryErrors.create(
        'E_INVALID_ARGUMENT',
        `publishing a ${p.kind} needs a version or a bump`,
        { details: { artifact: key } },
      );
    }
    if (highest === undefined) {
      target =
        p.input.preid === undefined
          ? ctx.initialVersion
          : `${ctx.initialVersion}-${p.input.preid}.0`;
    } else {
      const inc =
        p.input.preid === undefined
          ? semver.inc(highest.version, step)
          : semver.inc(highest.version, `pre${step}`, p.input.preid);
      target = inc as string;
    }
  }
  const parsed = parseVersion(target);
  const docKey = versionDocKey(key, parsed.key);
  // The cache is exact at the generation this transaction read (the artifact read is checked at
  // commit, and every version write bumps it), so it answers without a read of its own. An
  // artifact this transaction found absent has no versions (a purge removes them with it).
  const existing =
    batch.pendingByKey.get(docKey) ??
    (cached !== undefined
      ? cached.versions.get(parsed.key)?.record
      : base === undefined && batch.base.has(key)
        ? undefined
        : (await versions.get(docKey))?.value);
  if (existing === undefined && (await tx.collection(C.tombstones).get(docKey)) !== undefined) {
    throw registryErrors.create(
      'E_VERSION_EXISTS',
      `${key}@${parsed.version} was deleted permanently; a version is never reused`,
      { details: { artifact: key, version: parsed.version, purged: true } },
    );
  }
  if (existing !== undefined && base !== undefined && existing.gen > base.generation) {
    // Written after this transaction read the artifact: a lost race, retried (the retry either
    // finds identical content, computes the next version, or reports the version as taken).
    throw storageErrors.create('E_CONFLICT', `${docKey} was published concurrently`, {
      details: { key: docKey },
    });
  }
  if (existing !== undefined) {
    throw registryErrors.create(
      'E_VERSION_EXISTS',
      `${key}@${existing.version} exists already with other content${existing.deletedAt === null ? '' : ' (soft-deleted; restore it)'}; versions are immutable`,
      {
        details: {
          artifact: key,
          version: existing.version,
          digest: existing.digest,
          given: p.blob.digest,
        },
      },
    );
  }

  // Compatibility, against earlier versions (oldest first).
  if (p.kind === 'schema' && p.rules.compatibility !== 'NONE') {
    const earlier = live()
      .filter((d) => semver.lt(d.version, parsed.version))
      .filter((d) => p.rules.compatibilityGroup === 'all' || d.major === parsed.sv.major)
      .sort((a, b) => semver.compare(a.version, b.version));
    const transitive = p.rules.compatibility.endsWith('_TRANSITIVE');
    const against = transitive ? earlier : earlier.slice(-1);
    if (against.length > 0) {
      const sources: SchemaSourceLike[] = [];
      for (const d of against) sources.push(await sourceOf(ctx, d, (k) => loadVersion(tx, k)));
      const result = engineCall('compatibility check', () =>
        ctx.engine().checkCompatibility(p.source as SchemaSourceLike, sources, {
          level: p.rules.compatibility,
          ignore: p.rules.ignore,
        }),
      );
      if (!result.compatible) {
        throw registryErrors.create(
          'E_INCOMPATIBLE',
          `${key}@${parsed.version} is not ${p.rules.compatibility} compatible: ${result.messages.slice(0, 3).join('; ')}`,
          {
            details: {
              artifact: key,
              version: parsed.version,
              level: p.rules.compatibility,
              violations: result.violations.map((v) => ({
                ...v,
                againstVersion: against[v.against]?.version ?? null,
              })),
              changes: result.changes,
              bump: result.bump,
              messages: result.messages,
            },
          },
        );
      }
      if (changes.length === 0) changes = result.changes;
    }
  }

  // References: they must exist (and not be deleted) and cannot point at the new version itself.
  // A new version can only reference versions that already exist, so no cycle can form.
  const refDocs: RefDoc[] = [];
  for (const r of p.references) {
    const to = versionDocKey(r.artifact, r.version);
    if (to === docKey) {
      throw registryErrors.create('E_BROKEN_REFERENCE', `${docKey} cannot reference itself`, {
        details: { name: r.name },
      });
    }
    const target = pendingOrLoad(batch, r.artifact, r.version) ?? (await loadVersion(tx, to));
    if (p.rules.integrity === 'full' && (target === undefined || target.deletedAt !== null)) {
      throw registryErrors.create(
        'E_BROKEN_REFERENCE',
        `reference "${r.name}" names ${r.artifact}@${r.version}, which ${target === undefined ? 'does not exist' : 'is deleted'}`,
        { details: { name: r.name, artifact: r.artifact, version: r.version } },
      );
    }
    refDocs.push({ from: docKey, to, name: r.name });
  }

  // Content id (same canonical content → same id) and the blob record. Schemas key their content
  // id on the canonical form (plus references) in its own collection; other content on its
  // digest, kept in the blob record itself (one write less per publish).
  const contents = tx.collection<ContentDoc>(C.contents);
  const record = (await contents.get(p.blob.digest))?.value;
  if (record?.state === 'collecting') {
    throw registryErrors.create(
      'E_BLOB_BUSY',
      `the garbage collector is removing ${p.blob.digest}; publish again`,
      { details: { digest: p.blob.digest } },
    );
  }
  let contentId: number | undefined;
  if (p.fingerprint === null) {
    contentId = record?.contentId ?? undefined;
    if (contentId === undefined) contentId = await ctx.contentIds.next();
  } else {
    const cids = tx.collection<ContentIdDoc>(C.contentIds);
    const cidKey = sha256Hex(p.contentKey);
    contentId = (await cids.get(cidKey))?.value.contentId;
    if (contentId === undefined) {
      contentId = await ctx.contentIds.next();
      await cids.put(cidKey, { contentKey: p.contentKey, contentId, digest: p.blob.digest });
    }
  }
  const digestId = p.fingerprint === null ? contentId : (record?.contentId ?? null);
  // Inline bytes were not looked up before the transaction: an existing record says how they
  // are stored (an earlier publish may have compressed them).
  const storedForm =
    p.inline !== undefined && record !== undefined ? record.compression : p.blob.compression;
  if (record === undefined || record.contentId !== digestId) {
    await contents.put(p.blob.digest, {
      digest: p.blob.digest,
      size: p.blob.size,
      storedSize: p.blob.size,
      compression: storedForm,
      state: 'live',
      contentId: digestId,
      createdAt: record?.createdAt ?? now,
      touchedAt: now,
    });
  }
  if (record === undefined && p.inline !== undefined && inlineHook !== undefined) {
    await tx.kv.set(
      inlineHook.kvKey(blobKey(p.blob.digest, null)),
      inlineHook.encode(p.inline, now),
    );
  }

  p.id ??= await ctx.versionIds.next();
  const firstWrite = !batch.arts.has(key);
  const gen = firstWrite ? art.generation + 1 : art.generation;
  const doc: VersionDoc = {
    artifact: key,
    kind: p.kind,
    version: parsed.version,
    key: parsed.key,
    major: parsed.sv.major,
    id: p.id,
    revision: art.revisions + 1,
    contentId,
    digest: p.blob.digest,
    fingerprint: p.fingerprint,
    size: p.blob.size,
    mediaType: p.mediaType,
    format: p.format,
    state: p.state,
    references: p.references,
    description: p.description,
    labels: p.labels,
    annotations: p.annotations,
    fields: p.fields,
    createdAt: now,
    createdBy: p.actor,
    updatedAt: now,
    deletedAt: null,
    gen,
    compression: storedForm,
    encoding: p.encoding,
  };

  // Tags: `latest` follows the highest active release unless pinned; explicit tags move too.
  const tags: Record<string, TagInfo> = { ...art.tags };
  const moves: Outcome['moves'] = [];
  const move = (tag: string) => {
    const from = tags[tag]?.version ?? null;
    if (from === doc.version) return;
    tags[tag] = {
      version: doc.version,
      pinned: tags[tag]?.pinned ?? false,
      updatedAt: now,
      updatedBy: p.actor,
    };
    moves.push({ tag, from, to: doc.version, pinned: tags[tag].pinned });
  };
  const latest = tags.latest;
  if (
    doc.state === 'active' &&
    parsed.sv.prerelease.length === 0 &&
    latest?.pinned !== true &&
    (latest === undefined || semver.gte(doc.version, latest.version))
  ) {
    move('latest');
  }
  for (const t of p.tags) move(t);

  const nextArt: ArtifactDoc = {
    ...art,
    revisions: art.revisions + 1,
    generation: gen,
    updatedAt: now,
    tags,
  };
  await versions.put(docKey, doc);
  for (const r of refDocs) await tx.collection<RefDoc>(C.refs).put(`${r.from}>${r.to}`, r);
  for (const m of moves) {
    const hKey = `${key}#${m.tag}`;
    const first = batch.history.get(hKey);
    batch.history.set(hKey, {
      artifact: key,
      tag: m.tag,
      from: first === undefined ? m.from : first.from,
      to: m.to,
      pinned: m.pinned,
      at: now,
      actor: p.actor,
    });
  }
  await writeAudit(ctx, tx, {
    action: 'version.published',
    actor: p.actor,
    artifact: key,
    version: doc.version,
    details: { id: doc.id, revision: doc.revision, digest: doc.digest, contentId },
  });
  batch.arts.set(key, nextArt);
  if (pending.length === 0) batch.pending.set(key, pending);
  pending.push(doc);
  batch.pendingByKey.set(docKey, doc);
  return { doc, created: true, changes, bump, moves };
}

function pendingOrLoad(batch: Batch, artifact: string, version: string): VersionDoc | undefined {
  return batch.pendingByKey.get(versionDocKey(artifact, version));
}

async function loadVersion(tx: Transaction, key: string): Promise<VersionDoc | undefined> {
  return (await tx.collection<VersionDoc>(C.versions).get(key))?.value;
}
