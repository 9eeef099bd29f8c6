import {
  check,
  DEFAULT_LIMITS as CORE_LIMITS,
  noopLogger,
  systemClock,
  type OptionSpec,
} from '@plinth/core';
import type { Rules, RegistryLimits, RegistryOptions } from './types.js';

/** Rules when no scope sets a field. */
export const DEFAULT_RULES = Object.freeze({
  validity: 'full',
  compatibility: 'BACKWARD',
  compatibilityGroup: 'all',
  ignore: Object.freeze([]) as readonly string[],
  integrity: 'full',
} as const satisfies Required<Rules>);

/** Defaults of {@link RegistryLimits} (`maxDepth` and `maxDocumentSize` are core's shared ones). */
export const DEFAULT_LIMITS = Object.freeze({
  maxMetadataBytes: 65_536,
  maxLabels: 64,
  maxContentBytes: 16 * 1024 ** 3,
  maxReferences: 1000,
  maxDepth: CORE_LIMITS.maxDepth,
  maxDocumentSize: CORE_LIMITS.maxDocumentSize,
} satisfies Required<RegistryLimits>);

/** Defaults for {@link RegistryOptions}. */
export const DEFAULT_REGISTRY_OPTIONS = Object.freeze({
  /** @default systemClock */
  clock: systemClock,
  /** @default noopLogger */
  logger: noopLogger,
  /** @default false */
  compression: false,
  /** @default false */
  readOnly: false,
  /** @default 64 */
  idBlockSize: 64,
  /** @default 64 MiB */
  contentCacheBytes: 64 * 1024 * 1024,
  /** @default 5000 */
  usageFlushMs: 5000,
  /** @default true */
  watchChanges: true,
  /** @default '1.0.0' */
  initialVersion: '1.0.0',
});

export const REGISTRY_OPTION_SPEC: OptionSpec<RegistryOptions> = {
  store: {
    check: check.implementing('transaction', 'collection', 'defineCollections'),
    required: true,
  },
  blobs: check.implementing('put', 'get', 'stat', 'delete', 'move', 'list'),
  validation: check.implementing('compile', 'checkCompatibility', 'diff', 'fingerprint'),
  clock: check.implementing('now', 'setTimeout', 'setInterval'),
  logger: check.implementing('info', 'warn', 'error', 'child'),
  defaultRules: check.object<Rules>(),
  compression: check.boolean(),
  readOnly: check.boolean(),
  idBlockSize: check.number({ min: 1, max: 100_000, integer: true }),
  contentCacheBytes: check.number({ min: 0, integer: true }),
  usageFlushMs: check.number({ min: 0, integer: true }),
  watchChanges: check.boolean(),
  initialVersion: check.custom(
    'a semver version',
    (v) => typeof v === 'string' && /^\d+\.\d+\.\d+/.test(v),
  ),
  limits: check.object<RegistryLimits>(),
};
