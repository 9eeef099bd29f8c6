import { DEFAULT_LIMITS, noopLogger, systemClock } from '@plinth/core';
import type { PolicyLimits } from './types.js';

/** Defaults of {@link PolicyLimits}: core's limits, with room for large policy sets. */
export const DEFAULT_POLICY_LIMITS: Readonly<PolicyLimits> = Object.freeze({
  maxDepth: DEFAULT_LIMITS.maxDepth,
  maxStringLength: DEFAULT_LIMITS.maxStringLength,
  maxArrayLength: DEFAULT_LIMITS.maxArrayLength,
  maxDocumentSize: 8_388_608,
  maxExpressionDepth: 128,
  maxEntities: 10_000_000,
});

/** Defaults for {@link PolicyOptions}. */
export const DEFAULT_POLICY_OPTIONS = Object.freeze({
  clock: systemClock,
  logger: noopLogger,
  limits: DEFAULT_POLICY_LIMITS,
});
