export { accessErrors, ERROR_CODES } from './errors.js';
export type { AccessErrorCode } from './errors.js';
export type { AccessEvents } from './events.js';
export { DEFAULT_ACCESS_LIMITS } from './options.js';
export type {
  AuditEntry,
  AuditOutcome,
  AuditRecordInput,
  AuditSink,
  Checkpoint,
  ComponentOptions,
  JsonValue,
} from './types.js';
export { Throttle, DEFAULT_THROTTLE_RULES } from './throttle.js';
export type { ThrottleOptions, ThrottleRule, ThrottleState } from './throttle.js';
export { Directory, DEFAULT_DIRECTORY_TYPES } from './directory.js';
export type {
  AssignmentRecord,
  ChangeContext,
  DirectoryOptions,
  DirectoryTypes,
  PrincipalKind,
  PrincipalRecord,
  RoleRecord,
} from './directory.js';
export { AccessControl } from './authorize.js';
export type {
  AccessControlOptions,
  AccessDecision,
  AccessPolicies,
  AccessRequest,
  Obligation,
} from './authorize.js';
export {
  ApiKeys,
  DEFAULT_API_KEYS_OPTIONS,
  API_KEY_COLLECTIONS,
  parseApiKey,
  apiKeyPattern,
  secretScanningPattern,
  scopesAllow,
  apiKeyLength,
} from './api-keys.js';
export type {
  ApiKeysOptions,
  ApiKeyVerified,
  CreatedApiKey,
  RotatedApiKey,
  ApiKeyInfo,
  ApiKeyStatus,
  ApiKeyRefusal,
  CreateApiKeyOptions,
} from './api-keys.js';
export {
  Totp,
  DEFAULT_TOTP_OPTIONS,
  TOTP_COLLECTIONS,
  otpauthUri,
  generateTotp,
  hotpCode,
  totpCode,
  encodeBase32,
  decodeBase32,
} from './totp.js';
export type {
  TotpOptions,
  TotpEnrollment,
  TotpStatus,
  TotpRefusal,
  TotpAlgorithm,
} from './totp.js';
export {
  RecoveryCodes,
  DEFAULT_RECOVERY_CODES_OPTIONS,
  RECOVERY_CODE_COLLECTIONS,
  normalizeRecoveryCode,
} from './recovery-codes.js';
export type { RecoveryCodesOptions, RecoveryRefusal } from './recovery-codes.js';
export {
  Passwords,
  DEFAULT_PASSWORDS_OPTIONS,
  DEFAULT_ARGON2ID_PARAMS,
  DEFAULT_SCRYPT_PARAMS,
  PASSWORD_COLLECTIONS,
} from './passwords.js';
export type {
  PasswordsOptions,
  PasswordCheck,
  Argon2idParams,
  ScryptParams,
  HasherName,
} from './passwords.js';
export { Sessions, DEFAULT_SESSIONS_OPTIONS, SESSION_COLLECTIONS } from './sessions.js';
export type {
  SessionsOptions,
  Session,
  IssuedSession,
  SessionCreateOptions,
  SessionRefusal,
} from './sessions.js';
export { Tokens, DEFAULT_TOKENS_OPTIONS, TOKEN_COLLECTIONS } from './tokens.js';
export type {
  TokensOptions,
  TokenAlgorithm,
  TokenKeyInput,
  TokenRefusal,
  VerifiedToken,
} from './tokens.js';
export {
  AuditLog,
  DEFAULT_AUDIT_LOG_OPTIONS,
  AUDIT_COLLECTIONS,
  MAX_APPEND_MANY,
} from './audit-log.js';
export type { AuditLogOptions, InclusionProof, ConsistencyProof } from './audit-log.js';
export {
  verifyAuditExport,
  exportAuditLog,
  parseAuditExport,
  auditExportToNdjson,
  AUDIT_EXPORT_FORMAT,
} from './audit-verify.js';
export type {
  AuditExport,
  AuditProblem,
  AuditProblemKind,
  AuditVerifyReport,
  VerifyAuditOptions,
} from './audit-verify.js';
export { verifyInclusion, verifyConsistency } from './internal/merkle.js';
export { auditLeafHash } from './internal/audit-entry.js';
export { checkpointNote } from './internal/audit-keys.js';
export type { AuditSigningKey, AuditPublicKey } from './internal/audit-keys.js';
export { Access } from './access.js';
export type { AccessOptions, Caller, LoginResult } from './access.js';
