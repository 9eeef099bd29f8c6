import {
  check,
  DEFAULT_LIMITS as CORE_LIMITS,
  limitsOption,
  noopLogger,
  resolveOptions,
  systemClock,
  type OptionSpec,
} from '@plinth/core';
import type { ResolvedLimits } from './format-plugin.js';
import type { CompatibilityLevel, ValidationLimits, ValidationOptions } from './types.js';

export const LEVELS: readonly CompatibilityLevel[] = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
];

/**
 * Defaults for {@link ValidationLimits}: the shared limits of `@plinth/core` under validation's
 * names (`maxSchemaSize` is core's `maxDocumentSize`, `maxSchemaDepth` its `maxDepth`).
 */
export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  /** @default 1_048_576 */
  maxSchemaSize: CORE_LIMITS.maxDocumentSize,
  /** @default 64 */
  maxSchemaDepth: CORE_LIMITS.maxDepth,
  /** @default 16_777_216 */
  maxPayloadBytes: 16_777_216,
  /** @default 0 (not checked) */
  maxValueDepth: 0,
  /** @default 100 */
  maxIssues: 100,
  /** @default 256 */
  maxReferences: CORE_LIMITS.maxReferences,
  /** @default 100_000 */
  maxSchemaNodes: 100_000,
  /** @default 1_000 */
  maxReferenceDepth: 1_000,
  /** @default 10_000 */
  maxCompileMs: 10_000,
});

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof ResolvedLimits)[];

/** Defaults for {@link ValidationOptions}. */
export const DEFAULT_VALIDATION_OPTIONS = Object.freeze({
  /** @default systemClock */
  clock: systemClock,
  /** @default noopLogger */
  logger: noopLogger,
  /** @default 1000 */
  cacheSize: 1000,
  /** @default 10000 */
  parseCacheSize: 10_000,
  /** @default 'BACKWARD' */
  defaultLevel: 'BACKWARD' as CompatibilityLevel,
  /** @default 'WIRE_JSON' */
  protobufStrictness: 'WIRE_JSON' as const,
  /** @default 'lenient' */
  jsonSchemaPolicy: 'lenient' as const,
  /** @default DEFAULT_LIMITS */
  limits: DEFAULT_LIMITS as ValidationLimits,
  /** @default [] */
  formats: Object.freeze([]) as NonNullable<ValidationOptions['formats']>,
  /** @default true */
  emitFailures: true,
});

/** The Protobuf strictness levels (Buf's breaking-rule categories). */
export const PROTOBUF_STRICTNESS = Object.freeze(['WIRE', 'WIRE_JSON', 'FILE', 'PACKAGE'] as const);
/** The JSON Schema comparison policies. */
export const JSON_SCHEMA_POLICIES = Object.freeze(['strict', 'lenient'] as const);

const SPEC: OptionSpec<ValidationOptions> = {
  clock: check.implementing('now'),
  logger: check.implementing('info', 'warn', 'error', 'child'),
  cacheSize: check.number({ min: 1, integer: true }),
  parseCacheSize: check.number({ min: 0, integer: true }),
  defaultLevel: check.oneOf(LEVELS),
  protobufStrictness: check.oneOf(PROTOBUF_STRICTNESS),
  jsonSchemaPolicy: check.oneOf(JSON_SCHEMA_POLICIES),
  // 0 keeps its documented meaning (maxValueDepth: not checked) and is accepted as before.
  limits: limitsOption(LIMIT_KEYS, LIMIT_KEYS),
  formats: check.custom(
    'an array of format plug-ins ({ format, parse, canonicalForm, compile })',
    (v) =>
      Array.isArray(v) &&
      v.every(
        (p) =>
          typeof p === 'object' &&
          p !== null &&
          typeof (p as { format?: unknown }).format === 'string' &&
          typeof (p as { parse?: unknown }).parse === 'function' &&
          typeof (p as { compile?: unknown }).compile === 'function' &&
          typeof (p as { canonicalForm?: unknown }).canonicalForm === 'function',
      ),
  ),
  emitFailures: check.boolean(),
  meter: check.implementing('createCounter', 'createHistogram', 'createObservableCounter'),
};

export type ResolvedValidationOptions = Omit<Required<ValidationOptions>, 'limits'> & {
  readonly limits: ResolvedLimits;
};

export function resolveValidationOptions(input: unknown): ResolvedValidationOptions {
  const o = resolveOptions<ValidationOptions, typeof DEFAULT_VALIDATION_OPTIONS>({
    package: '@plinth/validation',
    owner: 'Validation',
    spec: SPEC,
    defaults: DEFAULT_VALIDATION_OPTIONS,
    input,
  });
  return {
    ...o,
    limits: Object.freeze({ ...DEFAULT_LIMITS, ...o.limits }),
  } as ResolvedValidationOptions;
}
