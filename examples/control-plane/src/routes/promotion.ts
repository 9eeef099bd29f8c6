import type { FastifyRequest } from 'fastify';
import type { ArtifactInput, GateDefinition, Promotion } from '@plinth/promotion';
import type { Services } from '../control-plane.js';
import { controlPlaneErrors } from '../errors.js';
import { bodyOf, pick, principalOf, str } from './common.js';
import { BOOL, PAGE, STRING, flagOf, query, type RouteSpec } from './route.js';

type Stage = { pipeline: string; stage: string };
const params = <P>(req: FastifyRequest) => req.params as P;
const idOf = (req: FastifyRequest) => params<{ id: string }>(req).id;
const principal = (req: FastifyRequest) => ({ id: principalOf(req) });

const PAGING = { limit: PAGE, cursor: STRING, reverse: BOOL } as const;

function paging(req: FastifyRequest): { limit?: number; cursor?: string; reverse?: boolean } {
  const { limit, cursor, reverse } = query(req);
  return {
    ...(limit !== undefined && { limit: limit as number }),
    ...(cursor !== undefined && { cursor: cursor as string }),
    ...(reverse === true && { reverse: true }),
  };
}

const gateView = (g: GateDefinition) => ({ name: g.name ?? g.kind, kind: g.kind });

/** With `?wait=true`, answer once the engine has nothing left to do right now. */
async function settled(s: Services, req: FastifyRequest, p: Promotion): Promise<Promotion> {
  if (!flagOf(req, 'wait')) return p;
  await s.promotion.idle();
  return (await s.promotion.getPromotion(p.id)) ?? p;
}

export const PROMOTION_ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/pipelines',
    query: {},
    handler: async (s) =>
      s.promotion.pipelineDefinitions().map((p) => ({
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
  },
  {
    method: 'GET',
    url: '/v1/pipelines/:pipeline/stages',
    query: {},
    handler: async (s, req) => s.promotion.contents(params<Stage>(req).pipeline),
  },
  {
    method: 'GET',
    url: '/v1/pipelines/:pipeline/stages/:stage',
    query: {},
    handler: async (s, req) => {
      const p = params<Stage>(req);
      return s.promotion.stage(p.pipeline, p.stage);
    },
  },
  {
    method: 'GET',
    url: '/v1/pipelines/:pipeline/stages/:stage/history',
    query: PAGING,
    handler: async (s, req) => {
      const p = params<Stage>(req);
      return s.promotion.history(p.pipeline, p.stage, paging(req));
    },
  },
  {
    method: 'GET',
    url: '/v1/pipelines/:pipeline/stages/:stage/promotions',
    query: PAGING,
    handler: async (s, req) => {
      const p = params<Stage>(req);
      return s.promotion.promotions({ pipeline: p.pipeline, stage: p.stage, ...paging(req) });
    },
  },
  {
    method: 'GET',
    url: '/v1/pipelines/:pipeline/diff',
    query: { left: STRING, right: STRING },
    handler: async (s, req) => {
      const { left, right } = query(req);
      if (left === undefined || right === undefined) {
        throw controlPlaneErrors.create(
          'E_INVALID_ARGUMENT',
          'diff needs ?left=<stage>&right=<stage>',
        );
      }
      return s.promotion.diff(params<Stage>(req).pipeline, left as string, right as string);
    },
  },
  {
    method: 'POST',
    url: '/v1/pipelines/:pipeline/stages/:stage/rollback',
    query: { wait: BOOL },
    handler: async (s, req) => {
      const b = bodyOf(req);
      const p = params<Stage>(req);
      const promotion = await s.promotion.rollback({
        pipeline: p.pipeline,
        stage: p.stage,
        ...pick(b, ['releaseName', 'to', 'reason', 'idempotencyKey', 'fastPath']),
        principal: principal(req),
      });
      return settled(s, req, promotion);
    },
  },
  {
    method: 'POST',
    url: '/v1/releases',
    query: {},
    handler: async (s, req, reply) => {
      const b = bodyOf(req);
      if (!Array.isArray(b.artifacts) || b.artifacts.length === 0) {
        throw controlPlaneErrors.create(
          'E_INVALID_ARGUMENT',
          'body.artifacts must be a non-empty array',
        );
      }
      const release = await s.promotion.createRelease({
        name: str(b, 'name'),
        artifacts: b.artifacts as ArtifactInput[],
        ...pick(b, ['dependencies', 'id', 'metadata']),
        principal: principal(req),
      });
      return reply.code(201).send(release);
    },
  },
  {
    method: 'GET',
    url: '/v1/releases/:id',
    query: {},
    handler: async (s, req) => {
      const r = await s.promotion.getRelease(idOf(req));
      if (r === undefined) {
        throw controlPlaneErrors.create('E_NOT_FOUND', `no release ${idOf(req)}`);
      }
      return r;
    },
  },
  {
    method: 'POST',
    url: '/v1/releases/:id/reject',
    query: {},
    handler: async (s, req) =>
      s.promotion.rejectRelease(idOf(req), {
        reason: str(bodyOf(req), 'reason'),
        principal: principal(req),
      }),
  },
  {
    method: 'POST',
    url: '/v1/promotions',
    query: { wait: BOOL },
    handler: async (s, req, reply) => {
      const b = bodyOf(req);
      const p = await s.promotion.request({
        pipeline: str(b, 'pipeline'),
        stage: str(b, 'stage'),
        releaseId: str(b, 'releaseId'),
        ...pick(b, ['from', 'idempotencyKey', 'supersede']),
        principal: principal(req),
      });
      return reply.code(201).send(await settled(s, req, p));
    },
  },
  {
    method: 'GET',
    url: '/v1/promotions/:id',
    query: {},
    handler: async (s, req) => {
      const p = await s.promotion.getPromotion(idOf(req));
      if (p === undefined) {
        throw controlPlaneErrors.create('E_NOT_FOUND', `no promotion ${idOf(req)}`);
      }
      return p;
    },
  },
  {
    method: 'POST',
    url: '/v1/promotions/:id/approve',
    query: { wait: BOOL },
    handler: async (s, req) => {
      const b = bodyOf(req);
      const p = await s.promotion.approve(idOf(req), {
        principal: principal(req),
        ...(typeof b.comment === 'string' && { comment: b.comment }),
      });
      return settled(s, req, p);
    },
  },
  {
    method: 'POST',
    url: '/v1/promotions/:id/reject',
    query: { wait: BOOL },
    handler: async (s, req) =>
      settled(
        s,
        req,
        await s.promotion.reject(idOf(req), {
          principal: principal(req),
          reason: str(bodyOf(req), 'reason'),
        }),
      ),
  },
  {
    method: 'POST',
    url: '/v1/promotions/:id/cancel',
    query: {},
    handler: async (s, req) => {
      const b = bodyOf(req);
      return s.promotion.cancel(idOf(req), {
        principal: principal(req),
        ...(typeof b.reason === 'string' && { reason: b.reason }),
      });
    },
  },
];
