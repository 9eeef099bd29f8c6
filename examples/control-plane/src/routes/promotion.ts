import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ArtifactInput, GateDefinition, Promotion } from '@plinth/promotion';
import type { Services } from '../control-plane.js';
import { controlPlaneErrors } from '../errors.js';
import { bodyOf, bool, int, pick, principalOf, q, str } from './common.js';

type P = FastifyRequest<{ Params: { pipeline: string; stage: string } }>;
type Id = FastifyRequest<{ Params: { id: string } }>;

function paging(req: FastifyRequest): { limit?: number; cursor?: string; reverse?: boolean } {
  const { cursor, reverse } = q(req);
  const limit = int(q(req).limit, 'limit');
  return {
    ...(limit !== undefined && { limit }),
    ...(cursor !== undefined && { cursor }),
    ...(bool(reverse, 'reverse') && { reverse: true }),
  };
}

const gateView = (g: GateDefinition) => ({ name: g.name ?? g.kind, kind: g.kind });

export function registerPromotionRoutes(app: FastifyInstance, s: Services): void {
  const engine = s.promotion;
  const principal = (req: FastifyRequest) => ({ id: principalOf(req) });

  /** With `?wait=true`, answer once the engine has nothing left to do right now. */
  async function settled(req: FastifyRequest, p: Promotion): Promise<Promotion> {
    if (!bool(q(req).wait, 'wait')) return p;
    await engine.idle();
    return (await engine.getPromotion(p.id)) ?? p;
  }

  app.get('/v1/pipelines', async () =>
    engine.pipelineDefinitions().map((p) => ({
      name: p.name,
      stages: p.stages.map((st) => ({
        ...pick(st as unknown as Record<string, unknown>, [
          'name',
          'upstream',
          'availability',
          'soakMs',
          'approvals',
          'freezeWindows',
          'autoPromote',
          'supersede',
        ]),
        gates: (st.gates ?? []).map(gateView),
        verification: (st.verification?.gates ?? []).map(gateView),
      })),
    })),
  );

  app.get(
    '/v1/pipelines/:pipeline/stages',
    async (req: FastifyRequest<{ Params: { pipeline: string } }>) =>
      engine.contents(req.params.pipeline),
  );

  app.get('/v1/pipelines/:pipeline/stages/:stage', async (req: P) =>
    engine.stage(req.params.pipeline, req.params.stage),
  );

  app.get('/v1/pipelines/:pipeline/stages/:stage/history', async (req: P) =>
    engine.history(req.params.pipeline, req.params.stage, paging(req)),
  );

  app.get('/v1/pipelines/:pipeline/stages/:stage/promotions', async (req: P) =>
    engine.promotions({ pipeline: req.params.pipeline, stage: req.params.stage, ...paging(req) }),
  );

  app.get(
    '/v1/pipelines/:pipeline/diff',
    async (req: FastifyRequest<{ Params: { pipeline: string } }>) => {
      const { left, right } = q(req);
      if (left === undefined || right === undefined) {
        throw controlPlaneErrors.create(
          'E_INVALID_ARGUMENT',
          'diff needs ?left=<stage>&right=<stage>',
        );
      }
      return engine.diff(req.params.pipeline, left, right);
    },
  );

  app.post('/v1/pipelines/:pipeline/stages/:stage/rollback', async (req: P) => {
    const b = bodyOf(req);
    const p = await engine.rollback({
      pipeline: req.params.pipeline,
      stage: req.params.stage,
      ...pick(b, ['releaseName', 'to', 'reason', 'idempotencyKey', 'fastPath']),
      principal: principal(req),
    });
    return settled(req, p);
  });

  app.post('/v1/releases', async (req, reply) => {
    const b = bodyOf(req);
    if (!Array.isArray(b.artifacts) || b.artifacts.length === 0) {
      throw controlPlaneErrors.create(
        'E_INVALID_ARGUMENT',
        'body.artifacts must be a non-empty array',
      );
    }
    const release = await engine.createRelease({
      name: str(b, 'name'),
      artifacts: b.artifacts as ArtifactInput[],
      ...pick(b, ['dependencies', 'id', 'metadata']),
      principal: principal(req),
    });
    return reply.code(201).send(release);
  });

  app.get('/v1/releases/:id', async (req: Id) => {
    const r = await engine.getRelease(req.params.id);
    if (r === undefined) {
      throw controlPlaneErrors.create('E_NOT_FOUND', `no release ${req.params.id}`);
    }
    return r;
  });

  app.post('/v1/releases/:id/reject', async (req: Id) =>
    engine.rejectRelease(req.params.id, {
      reason: str(bodyOf(req), 'reason'),
      principal: principal(req),
    }),
  );

  app.post('/v1/promotions', async (req, reply) => {
    const b = bodyOf(req);
    const p = await engine.request({
      pipeline: str(b, 'pipeline'),
      stage: str(b, 'stage'),
      releaseId: str(b, 'releaseId'),
      ...pick(b, ['from', 'idempotencyKey', 'supersede']),
      principal: principal(req),
    });
    return reply.code(201).send(await settled(req, p));
  });

  app.get('/v1/promotions/:id', async (req: Id) => {
    const p = await engine.getPromotion(req.params.id);
    if (p === undefined) {
      throw controlPlaneErrors.create('E_NOT_FOUND', `no promotion ${req.params.id}`);
    }
    return p;
  });

  app.post('/v1/promotions/:id/approve', async (req: Id) => {
    const b = bodyOf(req);
    const p = await engine.approve(req.params.id, {
      principal: principal(req),
      ...(typeof b.comment === 'string' && { comment: b.comment }),
    });
    return settled(req, p);
  });

  app.post('/v1/promotions/:id/reject', async (req: Id) =>
    settled(
      req,
      await engine.reject(req.params.id, {
        principal: principal(req),
        reason: str(bodyOf(req), 'reason'),
      }),
    ),
  );

  app.post('/v1/promotions/:id/cancel', async (req: Id) => {
    const b = bodyOf(req);
    return engine.cancel(req.params.id, {
      principal: principal(req),
      ...(typeof b.reason === 'string' && { reason: b.reason }),
    });
  });
}
