import semver from 'semver';
import type { Transaction } from '@plinth/storage';
import { registryErrors } from '../errors.js';
import type { ResolveOptions, VersionInfo } from '../types.js';
import type { Ctx } from './context.js';
import { parseRef, versionDocKey, type ArtifactName } from './names.js';
import { C, toVersionInfo, type VersionDoc } from './records.js';
import type { CachedArtifact } from './version-cache.js';

const infos = new WeakMap<VersionDoc, VersionInfo>();

/** The public view of a version document (memoised: documents are immutable objects). */
export function infoOf(doc: VersionDoc): VersionInfo {
  let info = infos.get(doc);
  if (info === undefined) {
    info = Object.freeze(toVersionInfo(doc));
    infos.set(doc, info);
  }
  return info;
}

function acceptFor(options: ResolveOptions): (d: VersionDoc) => boolean {
  const dep = options.includeDeprecated === true;
  const dis = options.includeDisabled === true;
  const draft = options.includeDrafts === true;
  if (!dep && !dis && !draft) return (d) => d.state === 'active' && d.deletedAt === null;
  return (d) =>
    d.deletedAt === null &&
    (d.state === 'active' ||
      (dep && d.state === 'deprecated') ||
      (dis && d.state === 'disabled') ||
      (draft && d.state === 'draft'));
}

const DEFAULT_ACCEPT = acceptFor({});

export async function artifactOrThrow(ctx: Ctx, name: ArtifactName): Promise<CachedArtifact> {
  const c = await ctx.cache.get(name.key);
  if (c === undefined || c.art.deletedAt !== null) {
    throw registryErrors.create(
      'E_UNKNOWN_ARTIFACT',
      c === undefined ? `unknown artifact "${name.key}"` : `artifact "${name.key}" is deleted`,
      { details: { artifact: name.key } },
    );
  }
  return c;
}

function unknownVersion(artifact: string, selector: string, why: string): never {
  throw registryErrors.create('E_UNKNOWN_VERSION', `${artifact}@${selector}: ${why}`, {
    details: { artifact, selector },
  });
}

/**
 * Resolves `group/name[@range|@tag|@version]`:
 * - no selector: the `latest` tag if it points at an acceptable version, else the highest one;
 * - an exact version: that version unless deleted (or disabled, unless `includeDisabled`);
 * - a tag: the version it points at unless deleted (or disabled);
 * - a range: the highest acceptable version satisfying it, exactly as `semver.maxSatisfying`.
 */
export async function resolveDoc(
  ctx: Ctx,
  ref: string,
  options: ResolveOptions = {},
): Promise<VersionDoc> {
  const { artifact, selector } = parseRef(ref);
  const c = await artifactOrThrow(ctx, artifact);
  const accept =
    options.includeDeprecated || options.includeDisabled || options.includeDrafts
      ? acceptFor(options)
      : DEFAULT_ACCEPT;
  const includePrerelease = options.includePrerelease === true;
  const versions = c.versions;
  if (selector === undefined) {
    const tagged = c.art.tags.latest;
    const doc =
      tagged === undefined
        ? undefined
        : versions.get(semver.parse(tagged.version)?.version ?? '')?.record;
    if (doc !== undefined && accept(doc)) return doc;
    const top = versions.highest(accept, !includePrerelease);
    if (top === undefined) unknownVersion(artifact.key, 'latest', 'no acceptable version');
    return top.record;
  }
  // Only strings that start like a version can be one (semver.valid throws internally otherwise).
  const exact = /^[v=]?\s*\d+\.\d+\.\d+/.test(selector) ? semver.valid(selector) : null;
  if (exact !== null) {
    const doc = versions.get(semver.parse(exact)?.version ?? exact)?.record;
    if (doc === undefined || doc.deletedAt !== null)
      unknownVersion(artifact.key, selector, 'no such version');
    if (doc.state === 'disabled' && options.includeDisabled !== true) {
      unknownVersion(artifact.key, selector, 'the version is disabled');
    }
    return doc;
  }
  const range = ctx.ranges.get(selector, includePrerelease);
  if (range === null) {
    const tag = c.art.tags[selector];
    if (tag === undefined) {
      if (/^[A-Za-z][A-Za-z0-9._-]*$/.test(selector)) {
        throw registryErrors.create('E_UNKNOWN_TAG', `${artifact.key} has no tag "${selector}"`, {
          details: { artifact: artifact.key, tag: selector },
        });
      }
      throw registryErrors.create(
        'E_INVALID_RANGE',
        `"${selector}" is neither a semver range nor a tag`,
        { details: { artifact: artifact.key, selector } },
      );
    }
    const doc = versions.get(semver.parse(tag.version)?.version ?? '')?.record;
    if (doc === undefined || doc.deletedAt !== null) {
      unknownVersion(artifact.key, selector, `tag points at ${tag.version}, which is deleted`);
    }
    if (doc.state === 'disabled' && options.includeDisabled !== true) {
      unknownVersion(artifact.key, selector, `tag points at ${tag.version}, which is disabled`);
    }
    return doc;
  }
  const hit = versions.maxSatisfying(range, includePrerelease, accept);
  if (hit === undefined)
    unknownVersion(artifact.key, selector, 'no acceptable version satisfies the range');
  return hit.record;
}

/** An exact version's document (any state, deleted included), for lifecycle operations. */
export async function exactDoc(
  ctx: Ctx,
  ref: string,
): Promise<{ doc: VersionDoc; artifact: string; key: string }> {
  const { artifact, selector } = parseRef(ref);
  const sv = selector === undefined ? null : semver.parse(selector);
  if (sv === null) {
    throw registryErrors.create(
      'E_INVALID_VERSION',
      `"${ref}" must name an exact version (group/name@1.2.3)`,
      { details: { ref } },
    );
  }
  const c = await ctx.cache.get(artifact.key);
  if (c === undefined) {
    throw registryErrors.create('E_UNKNOWN_ARTIFACT', `unknown artifact "${artifact.key}"`, {
      details: { artifact: artifact.key },
    });
  }
  const doc = c.versions.get(sv.version)?.record;
  if (doc === undefined) unknownVersion(artifact.key, sv.version, 'no such version');
  return { doc, artifact: artifact.key, key: versionDocKey(artifact.key, sv.version) };
}

/** Reads a version document inside a transaction. */
export async function txVersion(tx: Transaction, key: string): Promise<VersionDoc> {
  const got = await tx.collection<VersionDoc>(C.versions).get(key);
  if (got === undefined) {
    throw registryErrors.create('E_UNKNOWN_VERSION', `no version ${key}`, { details: { key } });
  }
  return got.value;
}
