import semver from 'semver';
import type { PublishResult, VersionInfo } from '../types.js';
import {
  candidateDigest,
  flag,
  isCode,
  param,
  candidateLimits,
  parseCandidate,
  recordOf,
  referenceSources,
  schemaTextOf,
  selectVersion,
  sourceOfVersion,
  toPlinthRefs,
  typeOfFormat,
  versionsOf,
  type Candidate,
  type Ctx,
  type Query,
} from './context.js';
import { ConfluentError, schemaNotFound } from './errors.js';

const sameRefs = (v: VersionInfo, refs: readonly { artifact: string; version: string }[]) =>
  v.references.length === refs.length &&
  v.references.every((r, i) => r.artifact === refs[i]?.artifact && r.version === refs[i]?.version);

async function candidateSource(ctx: Ctx, c: Candidate) {
  const refs = await toPlinthRefs(ctx, c.references);
  const sources = await referenceSources(ctx, refs);
  return {
    refs,
    source: {
      format: c.format,
      schema: c.schema,
      ...(sources.length > 0 && { references: sources }),
    },
  };
}

const highest = (vs: readonly VersionInfo[]) =>
  [...vs].sort((a, b) => semver.compare(b.version, a.version))[0];

/** POST /subjects/{subject}/versions */
export async function register(ctx: Ctx, subject: string, body: unknown, query: Query) {
  const cand = parseCandidate(body, query, candidateLimits(ctx));
  const artifact = ctx.names.toArtifact(subject);
  await ctx.modes.assertWritable(artifact, subject);
  const { refs, source } = await candidateSource(ctx, cand);
  const all = await versionsOf(ctx, subject, { includeDeleted: true, mustExist: false });
  const live = all.filter((v) => v.deletedAt === null);
  const digest = candidateDigest(cand);
  const same = live.find((v) => v.digest === digest && sameRefs(v, refs));
  if (same !== undefined && same.format === cand.format) return { id: same.contentId };

  // The registry numbers versions by semver; a soft-deleted version above the live ones (or a
  // purged one) is never reused, so the next version is chosen past it explicitly.
  let version: string | undefined;
  const top = highest(all);
  const topLive = highest(live);
  if (top !== undefined && top.version !== topLive?.version) {
    let step: 'major' | 'minor' | 'patch' = 'patch';
    if (topLive !== undefined) {
      const d = ctx.engine.diff(await sourceOfVersion(ctx, topLive), source);
      step = d.bump === 'none' ? 'patch' : d.bump;
    }
    version = semver.inc(top.version, step) ?? undefined;
  }
  let result: PublishResult | undefined;
  for (let attempt = 0; result === undefined; attempt++) {
    try {
      result = await ctx.registry.publish({
        artifact,
        kind: 'schema',
        format: cand.format,
        schema: cand.schema,
        ...(refs.length > 0 && { references: refs }),
        ...(version !== undefined && { version }),
        actor: ctx.actor,
      });
    } catch (error) {
      const details = (error as { details?: { purged?: boolean; version?: string } }).details;
      if (isCode(error, 'E_VERSION_EXISTS') && details?.purged === true && attempt < 32) {
        version = semver.inc(version ?? details.version ?? '1.0.0', 'major') ?? undefined;
        continue;
      }
      throw error;
    }
  }
  return { id: result.version.contentId };
}

/** POST /subjects/{subject}: is this schema registered under the subject? */
export async function lookup(ctx: Ctx, subject: string, body: unknown, query: Query) {
  const cand = parseCandidate(body, query, candidateLimits(ctx));
  const versions = await versionsOf(ctx, subject, { includeDeleted: flag(query, 'deleted') });
  const { refs, source } = await candidateSource(ctx, cand);
  const digest = candidateDigest(cand);
  let hit = versions.find(
    (v) => v.format === cand.format && v.digest === digest && sameRefs(v, refs),
  );
  if (hit === undefined && cand.normalize) {
    const fp = ctx.engine.fingerprint(source);
    hit = versions.find((v) => v.format === cand.format && v.fingerprint === fp);
  }
  if (hit === undefined) throw schemaNotFound('Schema not found');
  return recordOf(ctx, subject, hit);
}

/** Confluent's `offset` / `limit` (limit -1 or absent: everything). */
export function page<T>(items: T[], query: Query): T[] {
  const num = (name: string, fallback: number) => {
    const raw = param(query, name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < -1) {
      throw new ConfluentError(422, 422, `${name} must be an integer, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  const offset = Math.max(0, num('offset', 0));
  const limit = num('limit', -1);
  return items.slice(offset, limit < 0 ? undefined : offset + limit);
}

/** GET /subjects */
export async function listSubjects(ctx: Ctx, query: Query): Promise<string[]> {
  const prefix = param(query, 'subjectPrefix') ?? '';
  const deletedOnly = flag(query, 'deletedOnly');
  const deleted = flag(query, 'deleted') || deletedOnly;
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const result = await ctx.registry.search({
      kind: 'schema',
      limit: 1000,
      sort: 'name',
      ...(cursor !== undefined && { cursor }),
    });
    for (const hit of result.hits) {
      const a = hit.artifact;
      if (typeOfFormat(a.format) === undefined) continue;
      const subject = ctx.names.toSubject(a.artifact);
      if (!subject.startsWith(prefix)) continue;
      const vs = await ctx.registry.listVersions(a.artifact, { includeDeleted: deleted });
      const live = vs.some((v) => v.deletedAt === null);
      if (deletedOnly ? vs.length > 0 && !live : vs.length > 0) out.push(subject);
    }
    cursor = result.cursor;
  } while (cursor !== undefined);
  return page(out.sort(), query);
}

/** GET /subjects/{subject}/versions */
export async function listVersionIds(ctx: Ctx, subject: string, query: Query): Promise<number[]> {
  const deletedOnly = flag(query, 'deletedOnly');
  const vs = await versionsOf(ctx, subject, {
    includeDeleted: flag(query, 'deleted') || deletedOnly,
  });
  return page(
    vs.filter((v) => !deletedOnly || v.deletedAt !== null).map((v) => v.revision),
    query,
  );
}

/** GET /subjects/{subject}/versions/{version} */
export async function getVersion(ctx: Ctx, subject: string, v: string, query: Query) {
  return recordOf(ctx, subject, await selectVersion(ctx, subject, v, flag(query, 'deleted')));
}

/** GET /subjects/{subject}/versions/{version}/schema */
export async function getVersionSchema(ctx: Ctx, subject: string, v: string, query: Query) {
  const info = await selectVersion(ctx, subject, v, flag(query, 'deleted'));
  return { text: await schemaTextOf(ctx, info), format: info.format };
}

/** GET /subjects/{subject}/versions/{version}/referencedby */
export async function referencedBy(ctx: Ctx, subject: string, v: string): Promise<number[]> {
  const info = await selectVersion(ctx, subject, v, true);
  const froms = await ctx.registry.referencedBy(`${info.artifact}@${info.version}`);
  const ids = new Set<number>();
  for (const from of froms) {
    const at = from.lastIndexOf('@');
    const list = await ctx.registry.listVersions(from.slice(0, at), { includeDeleted: true });
    const hit = list.find((x) => semver.eq(x.version, from.slice(at + 1)));
    if (hit !== undefined) ids.add(hit.contentId);
  }
  return [...ids].sort((a, b) => a - b);
}

/** DELETE /subjects/{subject}/versions/{version} */
export async function deleteVersion(ctx: Ctx, subject: string, v: string, query: Query) {
  const permanent = flag(query, 'permanent');
  const info = await selectVersion(ctx, subject, v, true);
  await ctx.modes.assertWritable(info.artifact, subject);
  const ref = `${info.artifact}@${info.version}`;
  if (!permanent) {
    if (info.deletedAt !== null) {
      throw new ConfluentError(
        404,
        40406,
        `Subject '${subject}' Version ${info.revision} was soft deleted. Set permanent=true to delete permanently`,
      );
    }
    await ctx.registry.deleteVersion(ref, { actor: ctx.actor });
    return info.revision;
  }
  if (info.deletedAt === null) {
    throw new ConfluentError(
      404,
      40407,
      `Subject '${subject}' Version ${info.revision} was not deleted first before being permanently deleted`,
    );
  }
  await ctx.registry.deleteVersion(ref, { permanent: true, force: true, actor: ctx.actor });
  return info.revision;
}

/** DELETE /subjects/{subject} */
export async function deleteSubject(ctx: Ctx, subject: string, query: Query): Promise<number[]> {
  const permanent = flag(query, 'permanent');
  const artifact = ctx.names.toArtifact(subject);
  const all = await versionsOf(ctx, subject, { includeDeleted: true });
  await ctx.modes.assertWritable(artifact, subject);
  const live = all.filter((v) => v.deletedAt === null);
  if (!permanent) {
    if (live.length === 0) {
      throw new ConfluentError(
        404,
        40404,
        `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
      );
    }
    for (const v of live) {
      await ctx.registry.deleteVersion(`${artifact}@${v.version}`, { actor: ctx.actor });
    }
    return live.map((v) => v.revision);
  }
  if (live.length > 0) {
    throw new ConfluentError(
      404,
      40405,
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    );
  }
  await ctx.registry.deleteArtifact(artifact, { permanent: true, actor: ctx.actor });
  return all.map((v) => v.revision);
}
