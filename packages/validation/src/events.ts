import type { CompatibilityLevel, SchemaFormat, ValidationIssue } from './types.js';

/** Events of @plinth/validation: `namespace:verb`, one payload object, emitted after the fact. */
export interface ValidationEvents {
  /** A validator was built (or found in the cache). */
  'schema:compiled': {
    readonly format: SchemaFormat;
    readonly fingerprint: string;
    readonly cached: boolean;
    readonly durationMs: number;
  };
  /** A `validate()` / `validateEncoded()` call found issues (see `emitFailures`). */
  'validation:failed': {
    readonly format: SchemaFormat;
    readonly fingerprint: string;
    readonly issues: readonly ValidationIssue[];
  };
  /** A compatibility check finished. */
  'compatibility:checked': {
    readonly format: SchemaFormat;
    readonly level: CompatibilityLevel;
    readonly compatible: boolean;
    readonly violations: number;
    readonly durationMs: number;
  };
  /** A data-quality suite finished. */
  'quality:report': {
    readonly suite: string;
    readonly status: 'pass' | 'warn' | 'fail';
    readonly score: number;
    readonly rows: number;
  };
  /** A business rule failed on a record. */
  'rule:failed': {
    readonly rule: string;
    readonly severity: 'error' | 'warning' | 'info';
    readonly action: 'reject' | 'warn' | 'route';
  };
}
