export { Validation } from './validation.js';
export type { CacheStats, ZodSource } from './validation.js';
export { CompiledValidator } from './validator.js';
export {
  compile,
  checkCompatibility,
  diff,
  canonicalForm,
  fingerprint,
  empiricalCheck,
  defaultValidation,
} from './default.js';
export { validationErrors, ERROR_CODES } from './errors.js';
export type { ValidationErrorCode } from './errors.js';
export type { ValidationEvents } from './events.js';
export { DEFAULT_VALIDATION_OPTIONS, DEFAULT_LIMITS } from './options.js';
export { VALID } from './format-plugin.js';
export type {
  FormatPlugin,
  FormatContext,
  CompareContext,
  CompiledCheck,
  FlaggedChange,
  EmpiricalSupport,
  ResolvedLimits,
} from './format-plugin.js';
export { avroFingerprint, rabin64 } from './formats/avro/fingerprint.js';
export type { AvroFingerprintAlgorithm } from './formats/avro/canonical.js';
export type { EmpiricalOptions, EmpiricalResult, Counterexample } from './compat/empirical.js';
export type { MeterLike } from './telemetry.js';
export { COMPATIBILITY_RULES } from './compat/catalogue.js';
export type { RuleSpec } from './compat/catalogue.js';
export { QualitySuite } from './quality/suite.js';
export type {
  QualitySuiteOptions,
  QualityReport,
  QualityStatus,
  CheckResult,
  DimensionResult,
  FailingRow,
} from './quality/suite.js';
export type { QualityCheck, QualityDimension } from './quality/checks.js';
export { RuleSet } from './rules/rule-set.js';
export type {
  BusinessRule,
  RuleAction,
  RuleSeverity,
  RuleFailure,
  RuleEvaluation,
  RuleSetOptions,
} from './rules/rule-set.js';
export { compileExpression } from './rules/expression.js';
export type { CompiledExpression } from './rules/expression.js';
export type {
  SchemaFormat,
  SchemaReference,
  SchemaSource,
  CompatibilityLevel,
  ChangeSeverity,
  SemverBump,
  SchemaChange,
  CompatibilityViolation,
  CompatibilityResult,
  CompatibilityOptions,
  ProtobufStrictness,
  JsonSchemaPolicy,
  DiffResult,
  ValidationIssue,
  ValidationOutcome,
  Validator,
  ValidationLimits,
  ValidationOptions,
} from './types.js';
