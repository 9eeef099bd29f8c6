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
