import { noopLogger, systemClock } from '@plinth/core';
import type { PipelineDefinition } from './types.js';

/** Defaults for {@link PromotionOptions}. */
export const DEFAULT_PROMOTION_OPTIONS = Object.freeze({
  /** @default systemClock */
  clock: systemClock,
  /** @default noopLogger */
  logger: noopLogger,
  /** @default 30000 */
  leaseMs: 30_000,
  /** @default 10000 */
  resumeIntervalMs: 10_000,
  /** @default [] */
  pipelines: Object.freeze([]) as readonly PipelineDefinition[],
});

/** Defaults of host handlers (deploy and rollback steps). */
export const DEFAULT_HANDLER_POLICY = Object.freeze({
  /** @default 60000 */
  timeoutMs: 60_000,
  /** @default 2 */
  retries: 2,
  /** @default 1000 */
  retryDelayMs: 1000,
});

/** Defaults of gates. */
export const DEFAULT_GATE_POLICY = Object.freeze({
  /** @default 30000 */
  timeoutMs: 30_000,
  /** @default 0 */
  retries: 0,
  /** @default 1000 */
  retryDelayMs: 1000,
});
