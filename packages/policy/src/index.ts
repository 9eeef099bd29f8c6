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
