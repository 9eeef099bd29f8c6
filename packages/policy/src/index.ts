export { policyErrors, ERROR_CODES } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
export type { PolicyEvents } from './events.js';
export { DEFAULT_POLICY_OPTIONS, DEFAULT_POLICY_LIMITS } from './options.js';
export type {
  AuthorizationRequest,
  AuthorizationResponse,
  CedarJsonValue,
  Decision,
  EntityJson,
  EntityRef,
  NearMiss,
  PolicyEvaluationError,
  PolicyLimits,
  PolicyOptions,
} from './types.js';

// The language: policy sets, entities, decisions.
export { PolicySet } from './policy-set.js';
export type {
  LinkSlots,
  Policy,
  PolicySetJson,
  PolicySetJsonOut,
  PolicySetParseOptions,
  TemplateLinkJson,
} from './policy-set.js';
export type {
  ActionScopeJson,
  EntityJsonRef,
  ExprJson,
  PolicyJson,
  ScopeJson,
} from './internal/policy-json.js';
export { EntityStore } from './entities.js';
export type { EntityStoreOptions, StoredEntity } from './entities.js';
export { Authorizer, PreparedContext, isAuthorized, prepareContext } from './authorizer.js';
export type { AuthorizerOptions, AuthorizerPolicies } from './authorizer.js';
export type { PolicyTrace } from './internal/compile.js';

// Schemas and validation.
export { Schema } from './schema.js';
export type {
  ActionDef,
  ActionJson,
  AttributeType,
  AttributeTypeJson,
  EntityTypeDef,
  EntityTypeJson,
  NamespaceJson,
  RecordAttrs,
  RequestEnvironment,
  SchemaJson,
  SchemaOptions,
  SchemaType,
  SchemaTypeJson,
} from './schema.js';
export { validatePolicies, validatePolicy } from './validate.js';
export type {
  ValidateOptions,
  ValidatablePolicy,
  ValidationInput,
  ValidationIssue,
  ValidationIssueCode,
  ValidationResult,
} from './validate.js';

// Analysis and semantic diff.
export { analyzePolicies } from './analysis.js';
export type {
  AnalysisFinding,
  AnalysisFindingKind,
  AnalysisOptions,
  AnalysisReport,
  ExampleRequest,
} from './analysis.js';
export { diffPolicySets } from './diff.js';
export type { DecisionChange, DecisionSummary, DiffOptions, PolicySetDiff } from './diff.js';

// Partial evaluation to resource filters.
export { residualFilter } from './partial.js';
export type { ResidualFilterOptions, ResidualPolicies, ResidualResult } from './partial.js';
export { filterPaths, matchesFilter, printFilter } from './filters/filter.js';
export type {
  FilterExtArg,
  FilterValueType,
  ResourceFilter,
  ResourcePath,
} from './filters/filter.js';
export { toSql } from './filters/sql.js';
export type { SqlColumn, SqlFilter, SqlMapping } from './filters/sql.js';
export { findAuthorized, toStorageFilter } from './filters/storage.js';
export type {
  FindAuthorizedOptions,
  StorageField,
  StorageFilterOptions,
  StorageMapping,
  StoragePlan,
  StorageScan,
} from './filters/storage.js';

// Policy tests and coverage.
export {
  POLICY_TEST_FILE_SCHEMA,
  coverageOf,
  formatCoverage,
  formatPolicyTestReport,
  mergeCoverage,
  parsePolicyTestFile,
  PolicyTestRunner,
  runPolicyTests,
} from './policy-tests.js';
export type {
  ConditionCoverage,
  PolicyCoverage,
  PolicyCoverageEntry,
  PolicyTestActual,
  PolicyTestCase,
  PolicyTestExpectation,
  PolicyTestFile,
  PolicyTestOptions,
  PolicyTestPolicies,
  PolicyTestReport,
  PolicyTestResult,
} from './policy-tests.js';

// Running beside production: shadow evaluation and the decision log.
export { ShadowAuthorizer, shadow } from './shadow.js';
export type { ShadowAuthorizerOptions, ShadowDifference, ShadowStats } from './shadow.js';
export { DEFAULT_DECISION_LOG_OPTIONS, DecisionLog } from './decision-log.js';
export type {
  DecisionLogOptions,
  DecisionLogStats,
  DecisionRecord,
  DecisionSink,
  LoggedAttributes,
} from './decision-log.js';

// Versioned policy sets in @plinth/storage.
export { PolicyStore } from './policy-store.js';
export type {
  PolicyActivation,
  PolicyFollower,
  PolicyStoreOptions,
  PolicyVersion,
} from './policy-store.js';
