import type { GateDefinition, PipelineDefinition, StageDefinition } from '@plinth/promotion';
import { controlPlaneErrors } from './errors.js';

/** A gate a pipeline file can declare: an HTTP check that passes on a 2xx answer. */
export interface HttpGateSpec {
  readonly kind: 'http';
  readonly url: string;
  readonly name?: string;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** @default 0 */
  readonly retries?: number;
}

/** A stage as JSON: the engine's StageDefinition without functions, gates as HTTP checks. */
export type StageSpec = Omit<StageDefinition, 'gates' | 'verification' | 'promote' | 'rollback'> & {
  readonly gates?: readonly HttpGateSpec[];
  readonly verification?: {
    readonly delayMs?: number;
    readonly rollbackOnFailure?: boolean;
    readonly gates: readonly HttpGateSpec[];
  };
};

export interface PipelineSpec {
  readonly name: string;
  readonly stages: readonly StageSpec[];
}

/** Used when no pipeline is configured: dev → staging → prod, one approval on prod. */
export const DEFAULT_PIPELINES: readonly PipelineSpec[] = [
  {
    name: 'default',
    stages: [
      { name: 'dev' },
      { name: 'staging', upstream: ['dev'] },
      { name: 'prod', upstream: ['staging'], approvals: { levels: [{ name: 'owners' }] } },
    ],
  },
];

function httpGate(spec: HttpGateSpec, where: string): GateDefinition {
  if (spec?.kind !== 'http' || typeof spec.url !== 'string' || !/^https?:\/\//.test(spec.url)) {
    throw controlPlaneErrors.create(
      'E_INVALID_OPTION',
      `${where}: a gate is { "kind": "http", "url": "http://…" }, got ${JSON.stringify(spec)}`,
    );
  }
  return {
    kind: 'custom',
    name: spec.name ?? `http ${spec.url}`,
    timeoutMs: spec.timeoutMs ?? 10_000,
    retries: spec.retries ?? 0,
    run: async (ctx) => {
      const url = new URL(spec.url);
      url.searchParams.set('pipeline', ctx.pipeline);
      url.searchParams.set('stage', ctx.stage);
      url.searchParams.set('release', ctx.release.id);
      url.searchParams.set(
        'artifacts',
        ctx.release.artifacts.map((a) => `${a.name}@${a.version}`).join(','),
      );
      const res = await fetch(url, { signal: ctx.signal });
      const text = (await res.text()).slice(0, 500);
      return {
        status: res.ok ? 'passed' : 'failed',
        messages: [`GET ${spec.url} → ${res.status}${text === '' ? '' : `: ${text}`}`],
      };
    },
  };
}

/** JSON pipeline specs → the engine's definitions. */
export function toPipelineDefinitions(specs: readonly PipelineSpec[]): PipelineDefinition[] {
  if (!Array.isArray(specs)) {
    throw controlPlaneErrors.create('E_INVALID_OPTION', 'pipelines must be an array');
  }
  return specs.map((p) => ({
    name: p.name,
    stages: (p.stages ?? []).map((s: StageSpec): StageDefinition => {
      const where = `pipeline ${p.name}, stage ${s.name}`;
      const { gates, verification, ...rest } = s;
      return {
        ...rest,
        ...(gates !== undefined && { gates: gates.map((g: HttpGateSpec) => httpGate(g, where)) }),
        ...(verification !== undefined && {
          verification: {
            ...verification,
            gates: (verification.gates ?? []).map((g: HttpGateSpec) => httpGate(g, where)),
          },
        }),
      };
    }),
  }));
}
