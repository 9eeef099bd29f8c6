import type {
  JsonSchemaPolicy,
  ProtobufStrictness,
  SchemaChange,
  SchemaSource,
  ValidationIssue,
  ValidationLimits,
  ValidationOutcome,
} from './types.js';

/** Limits with every field filled. */
export type ResolvedLimits = { readonly [K in keyof ValidationLimits]-?: number };

/** What a plug-in gets when parsing or compiling. */
export interface FormatContext {
  readonly limits: ResolvedLimits;
}

/** What a plug-in gets when comparing two versions. */
export interface CompareContext {
  readonly protobufStrictness: ProtobufStrictness;
  readonly jsonSchemaPolicy: JsonSchemaPolicy;
}

/**
 * One change between two versions, with what it breaks: `breaksBackward` when a reader on the
 * NEW schema cannot read data written with the OLD one, `breaksForward` for the reverse.
 */
export interface FlaggedChange extends SchemaChange {
  readonly breaksBackward: boolean;
  readonly breaksForward: boolean;
}

/** A compiled check. `test` is the fast path; `validate` explains. */
export interface CompiledCheck {
  test(value: unknown): boolean;
  validate(value: unknown, maxIssues: number): ValidationOutcome;
}

/** What the empirical check needs: sample data of the old schema, read under the new one. */
export interface EmpiricalSupport<P> {
  /** Up to `count` sample values conforming to `schema`, drawn with `random` (0 ≤ x < 1). */
  sample(schema: P, count: number, random: () => number): unknown[];
  /** Tries to read `value` (written with `writer`) as `reader`; returns why it cannot. */
  read(writer: P, reader: P, value: unknown): { ok: true } | { ok: false; reason: string };
}

/**
 * A schema language. The four built-ins (json-schema, avro, protobuf, zod) implement exactly this
 * interface; register more through `new Validation({ formats: [...] })` or
 * `validation.registerFormat()`.
 */
export interface FormatPlugin<P = unknown> {
  readonly format: string;
  /** Parses and checks a schema (throw `E_INVALID_SCHEMA` with a location when it is bad). */
  parse(source: SchemaSource, context: FormatContext): P;
  /** One text per meaning: formatting, key order and (where the format says so) docs do not count. */
  canonicalForm(schema: P): string;
  compile(schema: P, context: FormatContext): CompiledCheck;
  /** Structural diff with compatibility flags; throw `E_UNSUPPORTED` if the format has none. */
  compare?(previous: P, next: P, context: CompareContext): FlaggedChange[];
  /**
   * Exact reader/writer check (e.g. Avro schema resolution). When present, compatibility
   * violations come from it instead of from the `compare` flags.
   */
  check?(reader: P, writer: P, context: CompareContext): SchemaChange[];
  /** Decodes encoded bytes (Avro binary, Protobuf wire) into a value, throwing when malformed. */
  decode?(schema: P, bytes: Uint8Array): unknown;
  readonly empirical?: EmpiricalSupport<P>;
}

/** A shared frozen "valid" outcome: the success path allocates nothing. */
export const VALID: ValidationOutcome = Object.freeze({
  valid: true,
  issues: Object.freeze([]) as readonly ValidationIssue[],
});
