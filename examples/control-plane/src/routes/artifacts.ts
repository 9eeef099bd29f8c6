import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PublishInput, SearchQuery, VersionState } from '@plinth/registry';
import { cached } from '../cached.js';
import type { Services } from '../control-plane.js';
import { controlPlaneErrors } from '../errors.js';
import { decodeSchema } from '../schema-sources.js';
import {
  artifactOf,
  bodyOf,
  bool,
  int,
  pick,
  principalOf,
  q,
  str,
  type ArtifactParams,
} from './common.js';

type R<P = ArtifactParams> = FastifyRequest<{ Params: P }>;
type V = ArtifactParams & { ref: string };
type T = ArtifactParams & { tag: string };

function searchQuery(query: Record<string, string | undefined>): SearchQuery {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (k.startsWith('label.') && v !== undefined) labels[k.slice(6)] = v;
  }
  const limit = int(query.limit, 'limit');
  return {
    ...pick(query, [
      'text',
      'kind',
      'group',
      'owner',
      'state',
      'cursor',
      'digest',
      'sort',
      'order',
    ]),
    ...(Object.keys(labels).length > 0 && { labels }),
    ...(limit !== undefined && { limit }),
    ...(bool(query.includeDeleted, 'includeDeleted') && { includeDeleted: true }),
  } as SearchQuery;
}

export function registerArtifactRoutes(app: FastifyInstance, s: Services): void {
  const reg = s.registry;
  const afterHardDelete = async () => {
    s.validators.clear();
    await s.lookups.clear();
  };

  app.get('/v1/artifacts', async (req) => reg.search(searchQuery(q(req))));

  app.post('/v1/artifacts', async (req, reply) => {
    const b = bodyOf(req);
    const info = await reg.createArtifact({
      artifact: str(b, 'artifact'),
      ...pick(b, ['kind', 'description', 'labels', 'owner', 'format']),
      actor: principalOf(req),
    });
    return reply.code(201).send(info);
  });

  app.get('/v1/artifacts/:group/:name', async (req: R) => reg.getArtifact(artifactOf(req.params)));

  app.patch('/v1/artifacts/:group/:name', async (req: R) =>
    reg.updateArtifact(artifactOf(req.params), {
      ...pick(bodyOf(req), ['description', 'labels', 'owner']),
      actor: principalOf(req),
    }),
  );

  app.delete('/v1/artifacts/:group/:name', async (req: R, reply) => {
    const permanent = bool(q(req).permanent, 'permanent');
    await reg.deleteArtifact(artifactOf(req.params), { permanent, actor: principalOf(req) });
    if (permanent) await afterHardDelete();
    return reply.code(204).send();
  });

  app.post('/v1/artifacts/:group/:name/restore', async (req: R) => {
    await reg.restoreArtifact(artifactOf(req.params), { actor: principalOf(req) });
    return reg.getArtifact(artifactOf(req.params));
  });

  app.get('/v1/artifacts/:group/:name/versions', async (req: R) =>
    reg.listVersions(artifactOf(req.params), {
      includeDeleted: bool(q(req).includeDeleted, 'includeDeleted'),
    }),
  );

  app.post('/v1/artifacts/:group/:name/versions', async (req: R, reply) => {
    const b = bodyOf(req);
    const input: Record<string, unknown> = {
      artifact: artifactOf(req.params),
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
        b.encoding === 'base64' ? Buffer.from(b.content, 'base64') : Buffer.from(b.content, 'utf8');
    }
    if (input.kind === undefined && b.schema !== undefined) input.kind = 'schema';
    const result = await reg.publish(input as unknown as PublishInput);
    return reply.code(result.created ? 201 : 200).send(result);
  });

  app.get('/v1/artifacts/:group/:name/versions/:ref', async (req: R<V>) => {
    const { version, content } = await reg.fetch(`${artifactOf(req.params)}@${req.params.ref}`, {
      includeDeprecated: true,
    });
    return version.kind === 'schema'
      ? { version, schema: decodeSchema(version.format, content) }
      : { version };
  });

  app.get('/v1/artifacts/:group/:name/versions/:ref/content', async (req: R<V>, reply) => {
    const { version, content } = await reg.fetch(`${artifactOf(req.params)}@${req.params.ref}`, {
      includeDeprecated: true,
    });
    return reply
      .type(version.mediaType)
      .header('etag', `"${version.digest}"`)
      .send(Buffer.from(content));
  });

  app.put('/v1/artifacts/:group/:name/versions/:ref/state', async (req: R<V>) =>
    reg.setState(
      `${artifactOf(req.params)}@${req.params.ref}`,
      str(bodyOf(req), 'state') as VersionState,
      { actor: principalOf(req) },
    ),
  );

  app.delete('/v1/artifacts/:group/:name/versions/:ref', async (req: R<V>, reply) => {
    const permanent = bool(q(req).permanent, 'permanent');
    await reg.deleteVersion(`${artifactOf(req.params)}@${req.params.ref}`, {
      permanent,
      force: bool(q(req).force, 'force'),
      actor: principalOf(req),
    });
    if (permanent) await afterHardDelete();
    return reply.code(204).send();
  });

  app.post('/v1/artifacts/:group/:name/versions/:ref/restore', async (req: R<V>) => {
    await reg.restoreVersion(`${artifactOf(req.params)}@${req.params.ref}`, {
      actor: principalOf(req),
    });
    return reg.resolve(`${artifactOf(req.params)}@${req.params.ref}`);
  });

  app.get(
    '/v1/artifacts/:group/:name/tags',
    async (req: R) => (await reg.getArtifact(artifactOf(req.params))).tags,
  );

  app.put('/v1/artifacts/:group/:name/tags/:tag', async (req: R<T>) => {
    const b = bodyOf(req);
    return reg.setTag(artifactOf(req.params), req.params.tag, str(b, 'version'), {
      pin: b.pin === true,
      actor: principalOf(req),
    });
  });

  app.delete('/v1/artifacts/:group/:name/tags/:tag', async (req: R<T>, reply) => {
    await reg.removeTag(artifactOf(req.params), req.params.tag, { actor: principalOf(req) });
    return reply.code(204).send();
  });

  app.get('/v1/artifacts/:group/:name/tags/:tag/history', async (req: R<T>) =>
    reg.tagHistory(artifactOf(req.params), req.params.tag),
  );

  app.get('/v1/artifacts/:group/:name/rules', async (req: R) =>
    reg.effectiveRules(artifactOf(req.params)),
  );

  app.put('/v1/artifacts/:group/:name/rules', async (req: R) => {
    const artifact = artifactOf(req.params);
    await reg.setRules({ scope: 'artifact', artifact }, bodyOf(req), { actor: principalOf(req) });
    return reg.effectiveRules(artifact);
  });

  app.get('/v1/artifacts/:group/:name/audit', async (req: R) => {
    const limit = int(q(req).limit, 'limit');
    return reg.audit({
      artifact: artifactOf(req.params),
      ...(limit !== undefined && { limit }),
      ...(q(req).cursor !== undefined && { cursor: q(req).cursor as string }),
    });
  });

  app.get('/v1/versions/:id', async (req: FastifyRequest<{ Params: { id: string } }>) =>
    reg.getVersionById(positive(req.params.id, 'id')),
  );

  // Schema lookup by content id (Confluent's id): immutable, so cached (L1, Redis L2 if set).
  app.get('/v1/schemas/:id', async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const id = positive(req.params.id, 'id');
    return cached(s.lookups, `schema:${id}`, async () => {
      const got = await reg.getContent(id);
      const first = got.versions[0];
      return {
        contentId: id,
        format: first?.format ?? null,
        schema: decodeSchema(first?.format ?? null, got.content),
        references: first?.references ?? [],
        versions: got.versions.map((v) => ({ artifact: v.artifact, version: v.version })),
      };
    });
  });
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw controlPlaneErrors.create('E_INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  return n;
}
