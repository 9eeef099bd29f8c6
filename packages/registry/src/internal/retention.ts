import semver from 'semver';
import { registryErrors } from '../errors.js';
import type { RetentionPolicy, RetentionReport } from '../types.js';
import { actorOf, storeCall, type Ctx } from './context.js';
import { deleteVersion, setState } from './lifecycle.js';
import { C, type ArtifactDoc, type RefDoc } from './records.js';
import { tagsByVersion } from './tags.js';

function matcher(patterns: readonly string[] | undefined): (artifact: string) => boolean {
  if (patterns === undefined) return () => true;
  const exact = new Set<string>();
  const groups: string[] = [];
  for (const p of patterns) {
    if (typeof p !== 'string')
      throw registryErrors.create('E_INVALID_ARGUMENT', 'artifacts must be strings');
    if (p.endsWith('/*')) groups.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (a) => exact.has(a) || groups.some((g) => a.startsWith(g));
}

function checkPolicy(policy: RetentionPolicy): void {
  const { keepLastPerMajor: n, maxAgeMs: age, action } = policy ?? {};
  if (n === undefined && age === undefined) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      'a retention policy needs keepLastPerMajor and/or maxAgeMs',
    );
  }
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'keepLastPerMajor must be an integer >= 1');
  }
  if (age !== undefined && (typeof age !== 'number' || !(age > 0))) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'maxAgeMs must be a positive number');
  }
  if (action !== undefined && !['soft-delete', 'hard-delete', 'disable'].includes(action)) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      'action must be soft-delete, hard-delete or disable',
    );
  }
}

/**
 * Applies (or, with `dryRun`, reports) a retention policy. A version is kept when it is tagged,
 * referenced by another version, among the newest `keepLastPerMajor` of its major, or younger
 * than `maxAgeMs`; every other live version is removed with the policy's action.
 */
export async function applyRetention(
  ctx: Ctx,
  policy: RetentionPolicy,
  options: { dryRun?: boolean; actor?: string | null } = {},
): Promise<RetentionReport> {
  checkPolicy(policy);
  const dryRun = options.dryRun === true;
  if (!dryRun) ctx.assertWritable('applyRetention');
  const actor = actorOf(options);
  const wanted = matcher(policy.artifacts);
  const now = ctx.clock.now();
  const removed: Array<{ artifact: string; version: string; reason: string }> = [];
  const kept: Array<{ artifact: string; version: string; reason: string }> = [];
  let examined = 0;
  const refs = ctx.store.collection<RefDoc>(C.refs);
  let cursor: string | undefined;
  do {
    const page = await storeCall(() =>
      ctx.store
        .collection<ArtifactDoc>(C.artifacts)
        .list({ limit: 500, ...(cursor !== undefined && { cursor }) }),
    );
    for (const item of page.items) {
      if (!wanted(item.key) || item.value.deletedAt !== null) continue;
      const c = await ctx.cache.get(item.key);
      if (c === undefined) continue;
      const tagged = tagsByVersion(c.art);
      const live = c.versions
        .entries()
        .map((e) => e.record)
        .filter(
          (d) => d.deletedAt === null && (policy.action !== 'disable' || d.state !== 'disabled'),
        );
      const rank = new Map<string, number>();
      const perMajor = new Map<number, number>();
      for (const d of [...live].sort((a, b) => semver.rcompare(a.version, b.version))) {
        const r = perMajor.get(d.major) ?? 0;
        rank.set(d.key, r);
        perMajor.set(d.major, r + 1);
      }
      for (const d of live) {
        examined++;
        const entry = { artifact: item.key, version: d.version };
        const tags = tagged.get(d.key);
        if (tags !== undefined) {
          kept.push({ ...entry, reason: `tagged ${tags.join(', ')}` });
          continue;
        }
        const by = await storeCall(() =>
          refs.find('byTarget', { eq: `${item.key}@${d.key}`, limit: 1 }),
        );
        if (by.items.length > 0) {
          kept.push({ ...entry, reason: `referenced by ${by.items[0]?.value.from}` });
          continue;
        }
        const r = rank.get(d.key) ?? 0;
        if (policy.keepLastPerMajor !== undefined && r < policy.keepLastPerMajor) {
          kept.push({
            ...entry,
            reason: `among the newest ${policy.keepLastPerMajor} of major ${d.major}`,
          });
          continue;
        }
        if (policy.maxAgeMs !== undefined && now - d.createdAt < policy.maxAgeMs) {
          kept.push({ ...entry, reason: 'younger than maxAgeMs' });
          continue;
        }
        const reason =
          policy.maxAgeMs !== undefined && policy.keepLastPerMajor !== undefined
            ? `older than maxAgeMs and beyond the newest ${policy.keepLastPerMajor} of major ${d.major}`
            : policy.maxAgeMs !== undefined
              ? 'older than maxAgeMs'
              : `beyond the newest ${policy.keepLastPerMajor} of major ${d.major}`;
        removed.push({ ...entry, reason });
      }
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  if (!dryRun) {
    for (const r of removed) {
      const ref = `${r.artifact}@${r.version}`;
      if (policy.action === 'disable') {
        await setState(ctx, ref, 'disabled', { actor });
      } else {
        await deleteVersion(ctx, ref, { permanent: policy.action === 'hard-delete', actor });
      }
    }
  }
  ctx.emit('retention:applied', { removed: removed.length, dryRun, actor, at: ctx.clock.now() });
  return { dryRun, examined, removed, kept };
}
