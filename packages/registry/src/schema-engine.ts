import type { CompatibilityLevel, SemverBump } from './types.js';

/** A schema and the schemas it refers to, as @plinth/validation takes it. */
export interface SchemaSourceLike {
  readonly format: string;
  readonly schema: unknown;
  readonly references?: ReadonlyArray<{
    readonly name: string;
    readonly format?: string;
    readonly schema: unknown;
  }>;
}

export interface SchemaChangeLike {
  readonly rule: string;
  readonly path: string;
  readonly severity: string;
  readonly message: string;
}

/**
 * What the registry needs from a schema engine: exactly the part of `Validation` from
 * @plinth/validation it calls. Pass another implementation (a wrapper, a test double) through
 * the `validation` option.
 */
export interface SchemaEngine {
  /** Throws a PlinthError `E_INVALID_SCHEMA` when the schema is bad. */
  compile(source: SchemaSourceLike): unknown;
  checkCompatibility(
    candidate: SchemaSourceLike,
    previous: readonly SchemaSourceLike[],
    options: { level: CompatibilityLevel; ignore?: readonly string[] },
  ): {
    readonly compatible: boolean;
    readonly level: string;
    readonly changes: readonly SchemaChangeLike[];
    readonly violations: ReadonlyArray<SchemaChangeLike & { readonly against: number }>;
    readonly bump: SemverBump;
    readonly messages: readonly string[];
  };
  diff(
    previous: SchemaSourceLike,
    next: SchemaSourceLike,
  ): { readonly changes: readonly SchemaChangeLike[]; readonly bump: SemverBump };
  canonicalForm(source: SchemaSourceLike): string;
  fingerprint(source: SchemaSourceLike): string;
}
