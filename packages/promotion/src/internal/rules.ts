import { promotionErrors } from '../errors.js';
import { shown } from './args.js';
import type { Release, ReleaseDependency, StageDefinition } from '../types.js';
import type { OccupancyDoc } from './collections.js';
import { satisfies } from './semver.js';

/** Whether an occupancy record says the release is verified (and not revoked since). */
export function isVerified(o: OccupancyDoc | undefined): boolean {
  return o?.verifiedAt !== undefined && (o.revokedAt === undefined || o.revokedAt < o.verifiedAt);
}

/**
 * Availability of a release for a stage: verified in ANY (default) or ALL direct upstream
 * stages. Root stages accept any release. Returns the upstream stages that block it.
 */
export function availability(
  def: StageDefinition,
  upstream: ReadonlyMap<string, OccupancyDoc | undefined>,
): { ok: boolean; missing: string[] } {
  const ups = def.upstream ?? [];
  if (ups.length === 0) return { ok: true, missing: [] };
  const missing = ups.filter((u) => !isVerified(upstream.get(u)));
  const ok = def.availability === 'all' ? missing.length === 0 : missing.length < ups.length;
  return { ok, missing };
}

/**
 * Remaining soak time (ms) before the release has continuously occupied an upstream stage
 * for `soakMs`: the best upstream for ANY, the worst for ALL. `Infinity` when it can no longer
 * be met (the release left the upstream before soaking).
 */
export function soakRemaining(
  def: StageDefinition,
  upstream: ReadonlyMap<string, OccupancyDoc | undefined>,
  now: number,
): number {
  const soak = def.soakMs ?? 0;
  const ups = def.upstream ?? [];
  if (soak <= 0 || ups.length === 0) return 0;
  const remaining = ups
    .map((u) => upstream.get(u))
    .filter((o): o is OccupancyDoc => isVerified(o))
    .map((o) => {
      const stayed = (o.leftAt ?? now) - o.enteredAt;
      if (stayed >= soak) return 0;
      return o.leftAt !== undefined ? Infinity : soak - stayed;
    });
  if (remaining.length === 0) return Infinity;
  return def.availability === 'all' ? Math.max(...remaining) : Math.min(...remaining);
}

/** Parses `'orders@^3'` (the last `@` separates name and range; names may be `@scope/x`). */
export function parseDependency(dep: string | ReleaseDependency): ReleaseDependency {
  if (typeof dep !== 'string') {
    if (
      typeof dep?.name !== 'string' ||
      dep.name === '' ||
      typeof dep.range !== 'string' ||
      dep.range.trim() === ''
    ) {
      throw promotionErrors.create('E_INVALID_ARGUMENT', 'a dependency needs a name and a range', {
        details: { dependency: shown(dep) },
      });
    }
    return { name: dep.name, range: dep.range.trim() };
  }
  const at = dep.lastIndexOf('@');
  if (at <= 0 || at === dep.length - 1) {
    throw promotionErrors.create(
      'E_INVALID_ARGUMENT',
      `dependency "${dep}" must look like "name@range"`,
      {
        details: { dependency: dep },
      },
    );
  }
  return { name: dep.slice(0, at), range: dep.slice(at + 1).trim() };
}

/** Unmet dependencies of `releases` against a stage whose release slots would be `contents`. */
export function unmetDependencies(
  releases: readonly Release[],
  contents: readonly Release[],
): Array<{ release: string; dependency: ReleaseDependency; found?: string }> {
  const held = new Map<string, string>();
  for (const r of contents) for (const a of r.artifacts) held.set(a.name, a.version);
  const out: Array<{ release: string; dependency: ReleaseDependency; found?: string }> = [];
  for (const r of releases) {
    for (const d of r.dependencies) {
      const found = held.get(d.name);
      if (found === undefined || !satisfies(found, d.range)) {
        out.push({ release: r.id, dependency: d, ...(found !== undefined && { found }) });
      }
    }
  }
  return out;
}

/** Stage contents after replacing slots by the releases (by release name). */
export function overlay(current: readonly Release[], incoming: readonly Release[]): Release[] {
  const byName = new Map(current.map((r) => [r.name, r]));
  for (const r of incoming) byName.set(r.name, r);
  return [...byName.values()];
}

/**
 * Orders releases so each comes after those providing the artifacts it depends on (a schema
 * before its consumers); ties keep the input order. Throws `E_DEPENDENCY_CYCLE` naming the cycle.
 */
export function topologicalOrder(releases: readonly Release[]): Release[] {
  const provider = new Map<string, Release>();
  for (const r of releases) for (const a of r.artifacts) provider.set(a.name, r);
  const deps = new Map<string, Set<string>>();
  for (const r of releases) {
    const set = new Set<string>();
    for (const d of r.dependencies) {
      const p = provider.get(d.name);
      if (p !== undefined && p.id !== r.id) set.add(p.id);
    }
    deps.set(r.id, set);
  }
  const order: Release[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const byId = new Map(releases.map((r) => [r.id, r]));
  const visit = (id: string, path: string[]): void => {
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id].map((x) => byId.get(x)?.name ?? x);
      throw promotionErrors.create(
        'E_DEPENDENCY_CYCLE',
        `releases depend on each other in a cycle: ${cycle.join(' → ')}`,
        {
          details: { cycle },
        },
      );
    }
    state.set(id, 'visiting');
    for (const d of deps.get(id) ?? []) visit(d, [...path, id]);
    state.set(id, 'done');
    order.push(byId.get(id) as Release);
  };
  for (const r of releases) visit(r.id, []);
  return order;
}
