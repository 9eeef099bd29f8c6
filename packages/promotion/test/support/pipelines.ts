import type { PipelineDefinition, StageDefinition } from '../../src/index.js';

/** dev → staging → prod, with optional per-stage additions. */
export function threeStages(
  extra: Partial<Record<'dev' | 'staging' | 'prod', Partial<StageDefinition>>> = {},
): PipelineDefinition {
  return {
    name: 'main',
    stages: [
      { name: 'dev', ...extra.dev },
      { name: 'staging', upstream: ['dev'], ...extra.staging },
      { name: 'prod', upstream: ['staging'], ...extra.prod },
    ],
  };
}
