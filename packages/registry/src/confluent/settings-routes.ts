import type { CompatibilityLevel } from '../types.js';
import {
  flag,
  isCode,
  candidateLimits,
  parseCandidate,
  referenceSources,
  selectVersion,
  sourceOfVersion,
  toPlinthRefs,
  versionsOf,
  type Ctx,
  type Query,
} from './context.js';
import { ConfluentError } from './errors.js';
import { checkMode } from './modes.js';

const LEVELS = new Set([
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
]);

function levelOf(body: unknown): CompatibilityLevel {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const level = b.compatibility ?? b.compatibilityLevel;
  if (typeof level !== 'string' || !LEVELS.has(level.toUpperCase())) {
    throw new ConfluentError(
      422,
      42203,
      `Invalid compatibility level ${JSON.stringify(level)}; one of ${[...LEVELS].join(', ')}`,
    );
  }
  return level.toUpperCase() as CompatibilityLevel;
}

// ── /config ─────────────────────────────────────────────────────────────────────────────────

const groupScope = (ctx: Ctx) => ({ scope: 'group' as const, group: ctx.names.group });
const artifactScope = (artifact: string) => ({ scope: 'artifact' as const, artifact });

export async function getGlobalConfig(ctx: Ctx) {
  const rules = await ctx.registry.effectiveRules(ctx.names.probe);
  return { compatibilityLevel: rules.compatibility };
}

export async function putGlobalConfig(ctx: Ctx, body: unknown) {
  const compatibility = levelOf(body);
  const current = (await ctx.registry.getRules(groupScope(ctx))) ?? {};
  await ctx.registry.setRules(groupScope(ctx), { ...current, compatibility }, { actor: ctx.actor });
  return { compatibility };
}

export async function deleteGlobalConfig(ctx: Ctx) {
  const before = await getGlobalConfig(ctx);
  const { compatibility: _dropped, ...rest } = (await ctx.registry.getRules(groupScope(ctx))) ?? {};
  if (Object.keys(rest).length === 0) await ctx.registry.clearRules(groupScope(ctx));
  else await ctx.registry.setRules(groupScope(ctx), rest, { actor: ctx.actor });
  return before;
}

export async function getSubjectConfig(ctx: Ctx, subject: string, query: Query) {
  const artifact = ctx.names.toArtifact(subject);
  if (flag(query, 'defaultToGlobal')) {
    return { compatibilityLevel: (await ctx.registry.effectiveRules(artifact)).compatibility };
  }
  const own = (await ctx.registry.getRules(artifactScope(artifact)))?.compatibility;
  if (own === undefined) {
    throw new ConfluentError(
      404,
      40408,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    );
  }
  return { compatibilityLevel: own };
}

export async function putSubjectConfig(ctx: Ctx, subject: string, body: unknown) {
  const compatibility = levelOf(body);
  const scope = artifactScope(ctx.names.toArtifact(subject));
  const current = (await ctx.registry.getRules(scope)) ?? {};
  await ctx.registry.setRules(scope, { ...current, compatibility }, { actor: ctx.actor });
  return { compatibility };
}

export async function deleteSubjectConfig(ctx: Ctx, subject: string) {
  await versionsOf(ctx, subject, { includeDeleted: true }); // 40401 for an unknown subject
  const before = await getSubjectConfig(ctx, subject, {});
  const scope = artifactScope(ctx.names.toArtifact(subject));
  const { compatibility: _dropped, ...rest } = (await ctx.registry.getRules(scope)) ?? {};
  if (Object.keys(rest).length === 0) await ctx.registry.clearRules(scope);
  else await ctx.registry.setRules(scope, rest, { actor: ctx.actor });
  return before;
}

// ── /mode ───────────────────────────────────────────────────────────────────────────────────

export async function getMode(ctx: Ctx, subject: string | undefined, query: Query) {
  if (subject === undefined) return { mode: (await ctx.modes.get('')) ?? 'READWRITE' };
  const artifact = ctx.names.toArtifact(subject);
  const own = await ctx.modes.get(artifact);
  if (own !== undefined) return { mode: own };
  if (flag(query, 'defaultToGlobal')) return { mode: await ctx.modes.effective(artifact) };
  throw new ConfluentError(
    404,
    40409,
    `Subject '${subject}' does not have subject-level mode configured`,
  );
}

export async function putMode(ctx: Ctx, subject: string | undefined, body: unknown) {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const mode = checkMode(b.mode);
  await ctx.modes.set(subject === undefined ? '' : ctx.names.toArtifact(subject), mode);
  return { mode };
}

export async function deleteMode(ctx: Ctx, subject: string | undefined) {
  const scope = subject === undefined ? '' : ctx.names.toArtifact(subject);
  const before = await ctx.modes.clear(scope);
  return { mode: before ?? 'READWRITE' };
}

// ── /compatibility ──────────────────────────────────────────────────────────────────────────

const nonTransitive = (level: CompatibilityLevel): CompatibilityLevel =>
  level.replace('_TRANSITIVE', '') as CompatibilityLevel;

/** POST /compatibility/subjects/{s}/versions[/{v}] */
export async function checkCompatibility(
  ctx: Ctx,
  subject: string,
  version: string | undefined,
  body: unknown,
  query: Query,
) {
  const cand = parseCandidate(body, query, candidateLimits(ctx));
  const artifact = ctx.names.toArtifact(subject);
  const refs = await toPlinthRefs(ctx, cand.references);
  const sources = await referenceSources(ctx, refs);
  const candidate = {
    format: cand.format,
    schema: cand.schema,
    ...(sources.length > 0 && { references: sources }),
  };
  let level: CompatibilityLevel;
  let ignore: readonly string[];
  try {
    const rules = await ctx.registry.effectiveRules(artifact);
    level = rules.compatibility;
    ignore = rules.ignore;
  } catch (error) {
    if (isCode(error, 'E_INVALID_NAME')) throw new ConfluentError(422, 42208, String(error));
    throw error;
  }
  let previous;
  if (version !== undefined) {
    const info = await selectVersion(ctx, subject, version);
    previous = [await sourceOfVersion(ctx, info)];
    level = nonTransitive(level);
  } else {
    const live = await versionsOf(ctx, subject, { mustExist: false });
    previous = await Promise.all(live.map((v) => sourceOfVersion(ctx, v)));
  }
  const verbose = flag(query, 'verbose');
  if (level === 'NONE' || previous.length === 0) {
    return { is_compatible: true, ...(verbose && { messages: [] }) };
  }
  let result;
  try {
    result = ctx.engine.checkCompatibility(candidate, previous, { level, ignore });
  } catch (error) {
    throw new ConfluentError(422, 42201, `Invalid schema: ${(error as Error).message}`);
  }
  const messages = result.violations.map(
    (v) => `{errorType:'${v.rule}', description:'${v.message}', location:'${v.path}'}`,
  );
  return { is_compatible: result.compatible, ...(verbose && { messages }) };
}
