import type { Clock, Logger } from '@plinth/core';
import type { FormatPlugin } from './format-plugin.js';
import type { MeterLike } from './telemetry.js';

/** A schema language. The four built-ins, or any name a plug-in registers. */
export type SchemaFormat = 'json-schema' | 'avro' | 'protobuf' | 'zod' | (string & {});

/** Another schema the main one refers to (`$ref`, an Avro named type, a `.proto` import). */
export interface SchemaReference {
  /** How the main schema names it: a `$ref` URI/`$id`, an Avro full name, a `.proto` file path. */
  readonly name: string;
  /** @default the format of the referring schema */
  readonly format?: SchemaFormat;
  readonly schema: unknown;
}

/** A schema and what it needs to be understood. */
export interface SchemaSource {
  readonly format: SchemaFormat;
  readonly schema: unknown;
  readonly references?: readonly SchemaReference[];
}

export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

export type ChangeSeverity = 'breaking' | 'additive' | 'cosmetic';
export type SemverBump = 'major' | 'minor' | 'patch' | 'none';

/** One difference between two schema versions, named by a stable rule id. */
export interface SchemaChange {
  /** Stable id from the rule catalogue, e.g. `AVRO_FIELD_ADDED_WITHOUT_DEFAULT`. */
  readonly rule: string;
  /** JSON pointer into the schema (`/fields/amount/type`), or a `.proto` path (`pkg.Msg.field`). */
  readonly path: string;
  readonly severity: ChangeSeverity;
  readonly message: string;
}

/** A violation of a compatibility level, against one previous version. */
export type CompatibilityViolation = SchemaChange & {
  /** Index into the `previous` array (oldest first) of the version this change breaks. */
  readonly against: number;
  /** Which way it breaks: new reader on old data (`backward`) or old reader on new data. */
  readonly direction?: 'backward' | 'forward';
};

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly level: CompatibilityLevel;
  /** Diff of the candidate against the latest previous version. */
  readonly changes: readonly SchemaChange[];
  /** What breaks the level; `against` indexes `previous`. */
  readonly violations: readonly CompatibilityViolation[];
  /** Suggested from `changes`: breaking → major, additive → minor, cosmetic → patch. */
  readonly bump: SemverBump;
  readonly messages: readonly string[];
}

/**
 * Protobuf strictness, after Buf's categories. `FILE` and `PACKAGE` are the source-code levels
 * (`PACKAGE` lets types move between the files of a package).
 */
export type ProtobufStrictness = 'WIRE' | 'WIRE_JSON' | 'FILE' | 'PACKAGE';
/** JSON Schema strictness: `lenient` accepts new optional properties in an open content model. */
export type JsonSchemaPolicy = 'strict' | 'lenient';

export interface CompatibilityOptions {
  /** @default options.defaultLevel ('BACKWARD') */
  readonly level?: CompatibilityLevel;
  /** Rule ids (`AVRO_FIELD_REMOVED`) or `RULE@/path/prefix` entries to leave out. */
  readonly ignore?: readonly string[];
  /** @default 'WIRE_JSON' */
  readonly protobufStrictness?: ProtobufStrictness;
  /** @default 'lenient' */
  readonly jsonSchemaPolicy?: JsonSchemaPolicy;
}

export interface DiffResult {
  readonly changes: readonly SchemaChange[];
  readonly bump: SemverBump;
}

/** One reason a value does not conform. */
export interface ValidationIssue {
  /** JSON pointer into the value (`/items/0/price`); `''` is the value itself. */
  readonly path: string;
  readonly message: string;
  /** The keyword or rule that failed (`required`, `type`, `avro:int`, `zod:too_small`). */
  readonly rule: string;
  readonly severity: 'error' | 'warning';
}

export interface ValidationOutcome {
  readonly valid: boolean;
  readonly issues: readonly ValidationIssue[];
}

export interface Validator<T = unknown> {
  readonly format: SchemaFormat;
  /** `sha256:<hex>` of the schema's canonical form. */
  readonly fingerprint: string;
  validate(value: unknown): ValidationOutcome;
  /** Throws `E_VALIDATION_FAILED` (issues in `details.issues`) unless `value` conforms. */
  assert(value: unknown): asserts value is T;
  is(value: unknown): value is T;
}

/** Limits that protect against hostile schemas and payloads. */
export interface ValidationLimits {
  /** Largest schema (JSON text or `.proto` source), in characters. @default 1_048_576 */
  readonly maxSchemaSize?: number;
  /** Deepest nesting of a schema document. @default 64 */
  readonly maxSchemaDepth?: number;
  /** Largest encoded payload (bytes) given to a validator. @default 16_777_216 */
  readonly maxPayloadBytes?: number;
  /** Deepest nesting of a value given to a validator; 0 disables the check. @default 0 */
  readonly maxValueDepth?: number;
  /** Most issues reported per validation. @default 100 */
  readonly maxIssues?: number;
  /** Most references per schema. @default 256 */
  readonly maxReferences?: number;
  /** Most subschemas in a JSON Schema and its references together. @default 100_000 */
  readonly maxSchemaNodes?: number;
  /**
   * Longest chain of JSON Schema subschemas applied to the same value (through `$ref`, `allOf`,
   * `anyOf`, `oneOf`, `not`, `if`/`then`/`else`). @default 1_000
   */
  readonly maxReferenceDepth?: number;
  /** Longest a JSON Schema may take to check and compile, in milliseconds. @default 10_000 */
  readonly maxCompileMs?: number;
}

/** Options of {@link Validation}. */
export interface ValidationOptions {
  /** Time source (data-quality timeliness, latency). @default systemClock */
  clock?: Clock;
  /** Where the package logs. @default noopLogger */
  logger?: Logger;
  /** Compiled validators kept (LRU, keyed by fingerprint). @default 1000 */
  cacheSize?: number;
  /**
   * Parsed schemas kept by content (LRU), so a history read back from storage is parsed once;
   * size it above the longest history you check transitively. 0 disables it. @default 10000
   */
  parseCacheSize?: number;
  /** Level used when a check does not say. @default 'BACKWARD' */
  defaultLevel?: CompatibilityLevel;
  /** @default 'WIRE_JSON' */
  protobufStrictness?: ProtobufStrictness;
  /** @default 'lenient' */
  jsonSchemaPolicy?: JsonSchemaPolicy;
  /** Hostile-input limits. */
  limits?: ValidationLimits;
  /** Extra format plug-ins (a plug-in with a built-in's name replaces it). */
  formats?: readonly FormatPlugin[];
  /** Emit `validation:failed` for every failed `validate()`. @default true */
  emitFailures?: boolean;
  /** OpenTelemetry meter. @default `metrics.getMeter('@plinth/validation')` when @opentelemetry/api is installed */
  meter?: MeterLike;
}
