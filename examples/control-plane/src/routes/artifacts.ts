import type { FastifyRequest } from 'fastify';
import type { PublishInput, SearchQuery, VersionState } from '@plinth/registry';
import { cached } from '../cached.js';
import type { Services } from '../control-plane.js';
import { controlPlaneErrors } from '../errors.js';
import { decodeSchema } from '../schema-sources.js';
import { artifactOf, bodyOf, pick, principalOf, str, type ArtifactParams } from './common.js';
import { BOOL, PAGE, STRING, flagOf, oneOf, query, type RouteSpec } from './route.js';

type V = ArtifactParams & { ref: string };
type T = ArtifactParams & { tag: string };

const params = <P>(req: FastifyRequest) => req.params as P;
const ref = (req: FastifyRequest) => {
  const p = params<V>(req);
  return `${artifactOf(p)}@${p.ref}`;
};
const art = (req: FastifyRequest) => artifactOf(params<ArtifactParams>(req));

const STATES = ['draft', 'active', 'deprecated', 'disabled'] as const;

function searchQuery(req: FastifyRequest): SearchQuery {
  const q = query(req);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (k.startsWith('label.')) labels[k.slice(6)] = v as string;
  }
  return {
    ...pick(q, ['text', 'kind', 'group', 'owner', 'state', 'cursor', 'digest', 'sort', 'order']),
    ...(Object.keys(labels).length > 0 && { labels }),
    ...(q.limit !== undefined && { limit: q.limit }),
    ...(q.includeDeleted === true && { includeDeleted: true }),
  } as SearchQuery;
}

async function afterHardDelete(s: Services): Promise<void> {
  s.validators.clear();
  await s.lookups.clear();
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw controlPlaneErrors.create('E_INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return n;
}

const idOf = (req: FastifyRequest) => positive((req.params as { id: string }).id, 'id');

export const ARTIFACT_ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/artifacts',
    query: {
      text: STRING,
      kind: STRING,
      group: STRING,
      owner: STRING,
      state: oneOf(...STATES),
      cursor: STRING,
      digest: STRING,
      sort: oneOf('relevance', 'name', 'createdAt', 'updatedAt'),
      order: oneOf('asc', 'desc'),
      limit: PAGE,
      includeDeleted: BOOL,
    },
    queryPrefixes: ['label.'],
    handler: async (s, req) => s.registry.search(searchQuery(req)),
  },
  {
    method: 'POST',
    url: '/v1/artifacts',
    query: {},
    handler: async (s, req, reply) => {
      const b = bodyOf(req);
      const info = await s.registry.createArtifact({
        artifact: str(b, 'artifact'),
        ...pick(b, ['kind', 'description', 'labels', 'owner', 'format']),
        actor: principalOf(req),
      });
      return reply.code(201).send(info);
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name',
    query: {},
    handler: async (s, req) => s.registry.getArtifact(art(req)),
  },
  {
    method: 'PATCH',
    url: '/v1/artifacts/:group/:name',
    query: {},
    handler: async (s, req) =>
      s.registry.updateArtifact(art(req), {
        ...pick(bodyOf(req), ['description', 'labels', 'owner']),
        actor: principalOf(req),
      }),
  },
  {
    method: 'DELETE',
    url: '/v1/artifacts/:group/:name',
    query: { permanent: BOOL },
    handler: async (s, req, reply) => {
      const permanent = flagOf(req, 'permanent');
      await s.registry.deleteArtifact(art(req), { permanent, actor: principalOf(req) });
      if (permanent) await afterHardDelete(s);
      return reply.code(204).send();
    },
  },
  {
    method: 'POST',
    url: '/v1/artifacts/:group/:name/restore',
    query: {},
    handler: async (s, req) => {
      await s.registry.restoreArtifact(art(req), { actor: principalOf(req) });
      return s.registry.getArtifact(art(req));
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/versions',
    query: { includeDeleted: BOOL },
    handler: async (s, req) =>
      s.registry.listVersions(art(req), { includeDeleted: flagOf(req, 'includeDeleted') }),
  },
  {
    method: 'POST',
    url: '/v1/artifacts/:group/:name/versions',
    query: {},
    handler: async (s, req, reply) => {
      const b = bodyOf(req);
      const input: Record<string, unknown> = {
        artifact: art(req),
        ...pick(b, [
          'version',
          'bump',
          'preid',
          'kind',
          'schema',
          'format',
          'mediaType',
          'references',
          'description',
          'labels',
          'annotations',
          'state',
          'tags',
          'digest',
        ]),
        actor: principalOf(req),
      };
      if (b.content !== undefined) {
        if (typeof b.content !== 'string') {
          throw controlPlaneErrors.create('E_INVALID_ARGUMENT', 'body.content must be a string');
        }
        input.content =
          b.encoding === 'base64'
            ? Buffer.from(b.content, 'base64')
            : Buffer.from(b.content, 'utf8');
      }
      if (input.kind === undefined && b.schema !== undefined) input.kind = 'schema';
      const result = await s.registry.publish(input as unknown as PublishInput);
      return reply.code(result.created ? 201 : 200).send(result);
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/versions/:ref',
    query: {},
    handler: async (s, req) => {
      const { version, content } = await s.registry.fetch(ref(req), { includeDeprecated: true });
      return version.kind === 'schema'
        ? { version, schema: decodeSchema(version.format, content) }
        : { version };
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/versions/:ref/content',
    query: {},
    handler: async (s, req, reply) => {
      const { version, content } = await s.registry.fetch(ref(req), { includeDeprecated: true });
      return reply
        .type(version.mediaType)
        .header('etag', `"${version.digest}"`)
        .send(Buffer.from(content));
    },
  },
  {
    method: 'PUT',
    url: '/v1/artifacts/:group/:name/versions/:ref/state',
    query: {},
    handler: async (s, req) =>
      s.registry.setState(ref(req), str(bodyOf(req), 'state') as VersionState, {
        actor: principalOf(req),
      }),
  },
  {
    method: 'DELETE',
    url: '/v1/artifacts/:group/:name/versions/:ref',
    query: { permanent: BOOL, force: BOOL },
    handler: async (s, req, reply) => {
      const permanent = flagOf(req, 'permanent');
      await s.registry.deleteVersion(ref(req), {
        permanent,
        force: flagOf(req, 'force'),
        actor: principalOf(req),
      });
      if (permanent) await afterHardDelete(s);
      return reply.code(204).send();
    },
  },
  {
    method: 'POST',
    url: '/v1/artifacts/:group/:name/versions/:ref/restore',
    query: {},
    handler: async (s, req) => {
      await s.registry.restoreVersion(ref(req), { actor: principalOf(req) });
      return s.registry.resolve(ref(req));
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/tags',
    query: {},
    handler: async (s, req) => (await s.registry.getArtifact(art(req))).tags,
  },
  {
    method: 'PUT',
    url: '/v1/artifacts/:group/:name/tags/:tag',
    query: {},
    handler: async (s, req) => {
      const b = bodyOf(req);
      return s.registry.setTag(art(req), params<T>(req).tag, str(b, 'version'), {
        pin: b.pin === true,
        actor: principalOf(req),
      });
    },
  },
  {
    method: 'DELETE',
    url: '/v1/artifacts/:group/:name/tags/:tag',
    query: {},
    handler: async (s, req, reply) => {
      await s.registry.removeTag(art(req), params<T>(req).tag, { actor: principalOf(req) });
      return reply.code(204).send();
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/tags/:tag/history',
    query: {},
    handler: async (s, req) => s.registry.tagHistory(art(req), params<T>(req).tag),
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/rules',
    query: {},
    handler: async (s, req) => s.registry.effectiveRules(art(req)),
  },
  {
    method: 'PUT',
    url: '/v1/artifacts/:group/:name/rules',
    query: {},
    handler: async (s, req) => {
      const artifact = art(req);
      await s.registry.setRules({ scope: 'artifact', artifact }, bodyOf(req), {
        actor: principalOf(req),
      });
      return s.registry.effectiveRules(artifact);
    },
  },
  {
    method: 'GET',
    url: '/v1/artifacts/:group/:name/audit',
    query: { limit: PAGE, cursor: STRING },
    handler: async (s, req) => {
      const q = query(req);
      return s.registry.audit({
        artifact: art(req),
        ...(q.limit !== undefined && { limit: q.limit as number }),
        ...(q.cursor !== undefined && { cursor: q.cursor as string }),
      });
    },
  },
  {
    method: 'GET',
    url: '/v1/versions/:id',
    query: {},
    handler: async (s, req) => s.registry.getVersionById(idOf(req)),
  },
  {
    // Schema lookup by content id (Confluent's id): immutable, so cached (L1, Redis L2 if set).
    method: 'GET',
    url: '/v1/schemas/:id',
    query: {},
    handler: async (s, req) => {
      const id = idOf(req);
      return cached(s.lookups, `schema:${id}`, async () => {
        const got = await s.registry.getContent(id);
        const first = got.versions[0];
        return {
          contentId: id,
          format: first?.format ?? null,
          schema: decodeSchema(first?.format ?? null, got.content),
          references: first?.references ?? [],
          versions: got.versions.map((v) => ({ artifact: v.artifact, version: v.version })),
        };
      });
    },
  },
];
