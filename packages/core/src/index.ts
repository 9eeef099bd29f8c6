export { PlinthError, isPlinthError, defineErrors, coreErrors, ERROR_CODES } from './errors.js';
export type {
  PlinthErrorOptions,
  ErrorCodeSpec,
  ErrorCatalogue,
  RaiseOptions,
  CoreErrorCode,
} from './errors.js';

export { TypedEmitter } from './events.js';
export type { EventName, EventMap, AnyEventListener } from './events.js';

export { systemClock, ManualClock, withTimeout } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';

export { uuidv7, createIdGenerator, isUuid, isUuidV7, uuidv7Time } from './ids.js';
export type { IdGenerator, IdGeneratorOptions } from './ids.js';

export { canonicalJson } from './canonical-json.js';
export type { CanonicalJsonOptions } from './canonical-json.js';

export {
  DEFAULT_LIMITS,
  checkJsonLimits,
  parseJson,
  limitExceeded,
  limitsOption,
} from './limits.js';
export type { Limits, LimitContext, JsonLimits, ParseLimits } from './limits.js';

export { checkName, printableName } from './names.js';
export type { NameOptions, NameRule } from './names.js';

export { compileUserPattern } from './user-pattern.js';
export type { UserPattern, UserPatternOptions } from './user-pattern.js';

export { seededRandom } from './random.js';

export {
  sha256Hex,
  digestOf,
  contentDigest,
  isDigest,
  assertDigest,
  StreamingDigest,
} from './hash.js';
export type { Digest } from './hash.js';

export { noopLogger, MemoryLogger } from './logger.js';
export type { Logger, LogFn, LogLevel, LogRecord } from './logger.js';

export { Lifecycle, closeAll } from './lifecycle.js';
export type { Closeable } from './lifecycle.js';

export { resolveOptions, mergeOptions, check, describeValue } from './options.js';
export type { OptionCheck, OptionSpec, ResolveOptionsArgs } from './options.js';
