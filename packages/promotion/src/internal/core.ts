import type { Clock, Logger } from '@plinth/core';
import type { Store } from '@plinth/storage';
import type {
  ArtifactResolver,
  Authorize,
  CompatibilityChecker,
  HandlerPolicy,
  PromotionHandler,
  StageDefinition,
} from '../types.js';
import { promotionErrors } from '../errors.js';
import { shown } from './args.js';
import type { ResolvedPipeline } from './pipeline.js';
import type { Telemetry } from './telemetry.js';
import type { Unit } from './unit.js';

/** What the engine's internals share. */
export interface EngineCore {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly leaseMs: number;
  readonly pipelines: Map<string, ResolvedPipeline>;
  readonly resolver: ArtifactResolver | undefined;
  readonly compatibility: CompatibilityChecker | undefined;
  readonly authorize: Authorize | undefined;
  readonly promote: PromotionHandler | undefined;
  readonly rollback: PromotionHandler | undefined;
  readonly handlerPolicy: HandlerPolicy;
  readonly telemetry: Telemetry;
  /** Aborted by close(). */
  readonly stop: AbortSignal;
  /** Announces a committed unit: events, telemetry, then follow-up work. */
  publish(unit: Unit): void;
}

export function pipelineOf(core: EngineCore, name: string): ResolvedPipeline {
  const p = core.pipelines.get(name);
  if (p === undefined) {
    throw promotionErrors.create('E_UNKNOWN_PIPELINE', `no pipeline ${shown(name)}`, {
      details: { pipeline: shown(name), known: [...core.pipelines.keys()] },
    });
  }
  return p;
}

export function stageOf(core: EngineCore, pipeline: string, stage: string): StageDefinition {
  const def = pipelineOf(core, pipeline).stages.get(stage);
  if (def === undefined) {
    throw promotionErrors.create(
      'E_UNKNOWN_STAGE',
      `pipeline ${shown(pipeline)} has no stage ${shown(stage)}`,
      {
        details: {
          pipeline,
          stage: shown(stage),
          known: [...pipelineOf(core, pipeline).stages.keys()],
        },
      },
    );
  }
  return def;
}
