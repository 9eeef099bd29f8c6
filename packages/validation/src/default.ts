import type { EmpiricalOptions, EmpiricalResult } from './compat/empirical.js';
import type {
  CompatibilityOptions,
  CompatibilityResult,
  DiffResult,
  SchemaSource,
} from './types.js';
import type { z } from 'zod';
import { Validation, type ZodSource } from './validation.js';
import type { CompiledValidator } from './validator.js';

let shared: Validation | undefined;

/** The shared default {@link Validation} behind the free functions (created on first use). */
export function defaultValidation(): Validation {
  shared ??= new Validation();
  return shared;
}

/** {@link Validation.compile} on the shared default instance. */
export function compile<S extends z.ZodType>(source: ZodSource<S>): CompiledValidator<z.output<S>>;
export function compile<T = unknown>(source: SchemaSource): CompiledValidator<T>;
export function compile<T = unknown>(source: SchemaSource): CompiledValidator<T> {
  return defaultValidation().compile<T>(source);
}

/** {@link Validation.checkCompatibility} on the shared default instance. */
export function checkCompatibility(
  candidate: SchemaSource,
  previous: readonly SchemaSource[],
  options?: CompatibilityOptions,
): CompatibilityResult {
  return defaultValidation().checkCompatibility(candidate, previous, options);
}

/** {@link Validation.diff} on the shared default instance. */
export function diff(
  previous: SchemaSource,
  next: SchemaSource,
  options?: Pick<CompatibilityOptions, 'ignore' | 'protobufStrictness' | 'jsonSchemaPolicy'>,
): DiffResult {
  return defaultValidation().diff(previous, next, options);
}

/** {@link Validation.canonicalForm} on the shared default instance. */
export function canonicalForm(source: SchemaSource): string {
  return defaultValidation().canonicalForm(source);
}

/** {@link Validation.fingerprint} on the shared default instance. */
export function fingerprint(source: SchemaSource): string {
  return defaultValidation().fingerprint(source);
}

/** {@link Validation.empiricalCheck} on the shared default instance. */
export function empiricalCheck(
  previous: SchemaSource,
  next: SchemaSource,
  options?: EmpiricalOptions,
): EmpiricalResult {
  return defaultValidation().empiricalCheck(previous, next, options);
}
