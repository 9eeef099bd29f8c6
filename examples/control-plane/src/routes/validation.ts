import type { FastifyRequest } from 'fastify';
import type { CompatibilityLevel, ReferenceInput, VersionInfo } from '@plinth/registry';
import { cached } from '../cached.js';
import type { Services } from '../control-plane.js';
import { controlPlaneErrors } from '../errors.js';
import { referenceSources, sourceOf } from '../schema-sources.js';
import { artifactOf, bodyOf, type ArtifactParams } from './common.js';
import type { RouteSpec } from './route.js';

const artifactIn = (req: FastifyRequest) => artifactOf(req.params as ArtifactParams);

/** `1.4.2` + minor → `1.5.0` (prerelease parts dropped). */
export function nextVersion(version: string, bump: string): string {
  const [maj = 0, min = 0, pat = 0] = (version.split(/[-+]/)[0] ?? '0.0.0').split('.').map(Number);
  if (bump === 'major') return `${maj + 1}.0.0`;
  if (bump === 'minor') return `${maj}.${min + 1}.0`;
  return `${maj}.${min}.${pat + 1}`;
}

async function validateWith(s: Services, info: VersionInfo, payload: unknown) {
  const validator = await s.validators.get(info);
  const outcome = validator.validate(payload);
  return {
    artifact: info.artifact,
    version: info.version,
    contentId: info.contentId,
    ...outcome,
  };
}

export const VALIDATION_ROUTES: readonly RouteSpec[] = [
  {
    // Validate a payload against a registered schema (a version, range or tag; default latest).
    method: 'POST',
    url: '/v1/artifacts/:group/:name/validate',
    query: {},
    readOnly: true,
    handler: async (s, req) => {
      const b = bodyOf(req);
      if (!('payload' in b)) {
        throw controlPlaneErrors.create('E_INVALID_ARGUMENT', 'body.payload is required');
      }
      const ref = typeof b.version === 'string' ? b.version : 'latest';
      const info = await s.registry.resolve(`${artifactIn(req)}@${ref}`, {
        includeDeprecated: true,
      });
      return validateWith(s, info, b.payload);
    },
  },
  {
    method: 'POST',
    url: '/v1/schemas/:id/validate',
    query: {},
    readOnly: true,
    handler: async (s, req) => {
      const reg = s.registry;
      const raw = (req.params as { id: string }).id;
      const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
      const b = bodyOf(req);
      if (!Number.isSafeInteger(id) || id < 1 || !('payload' in b)) {
        throw controlPlaneErrors.create(
          'E_INVALID_ARGUMENT',
          'POST /v1/schemas/:id/validate takes a positive id and body { payload }',
        );
      }
      const holder = await cached(s.lookups, `holder:${id}`, async () => {
        const got = await reg.getContent(id);
        const v = got.versions.find((x) => x.deletedAt === null) ?? got.versions[0];
        return { artifact: v?.artifact ?? '', version: v?.version ?? '' };
      });
      const info = await reg.resolve(`${holder.artifact}@${holder.version}`, {
        includeDeprecated: true,
        includeDisabled: true,
      });
      return validateWith(s, info, b.payload);
    },
  },
  {
    // Check a candidate against the artifact's rules: the diff, violations and suggested version.
    method: 'POST',
    url: '/v1/artifacts/:group/:name/compatibility',
    query: {},
    readOnly: true,
    handler: async (s, req) => {
      const reg = s.registry;
      const artifact = artifactIn(req);
      const b = bodyOf(req);
      if (b.schema === undefined) {
        throw controlPlaneErrors.create('E_INVALID_ARGUMENT', 'body.schema is required');
      }
      const info = await reg.getArtifact(artifact);
      const rules = await reg.effectiveRules(artifact);
      const level = (
        typeof b.level === 'string' ? b.level : rules.compatibility
      ) as CompatibilityLevel;
      const refs = (Array.isArray(b.references) ? b.references : []) as ReferenceInput[];
      const sources = await referenceSources(reg, refs);
      const format = typeof b.format === 'string' ? b.format : (info.format ?? 'json-schema');
      const candidate = {
        format,
        schema: b.schema,
        ...(sources.length > 0 && { references: sources }),
      };
      const versions = (await reg.listVersions(artifact)).filter((v) => v.state !== 'disabled');
      const previous = await Promise.all(versions.map((v) => sourceOf(reg, v)));
      const latest = versions[versions.length - 1];
      if (latest === undefined) {
        return {
          compatible: true,
          level,
          changes: [],
          violations: [],
          bump: 'none',
          latest: null,
          suggestedVersion: '1.0.0',
        };
      }
      const result = s.validation.checkCompatibility(candidate, previous, {
        level,
        ignore: rules.ignore,
      });
      return {
        ...result,
        violations: result.violations.map((v) => ({
          ...v,
          againstVersion: versions[v.against]?.version,
        })),
        latest: latest.version,
        suggestedVersion: nextVersion(
          latest.version,
          result.bump === 'none' ? 'patch' : result.bump,
        ),
      };
    },
  },
];
