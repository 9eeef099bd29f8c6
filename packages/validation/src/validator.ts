import { validationErrors } from './errors.js';
import {
  type CompiledCheck,
  type FormatPlugin,
  type ResolvedLimits,
  VALID,
} from './format-plugin.js';
import { depthExceeds } from './internal/json.js';
import type { FormatCounts } from './telemetry.js';
import type { SchemaFormat, ValidationOutcome, Validator } from './types.js';

/** Called on every failed validation (events, counters). */
export type FailureHook = (validator: CompiledValidator, outcome: ValidationOutcome) => void;

function limitOutcome(message: string): ValidationOutcome {
  return { valid: false, issues: [{ path: '', message, rule: 'limit', severity: 'error' }] };
}

/**
 * A compiled schema. The success path of `validate()` is the plug-in's compiled check plus a
 * counter increment, and returns one shared frozen outcome.
 */
export class CompiledValidator<T = unknown> implements Validator<T> {
  readonly format: SchemaFormat;
  readonly fingerprint: string;
  readonly #check: CompiledCheck;
  readonly #test: (value: unknown) => boolean;
  readonly #counts: FormatCounts;
  readonly #onFailure: FailureHook;
  readonly #maxIssues: number;
  readonly #maxDepth: number;
  readonly #maxBytes: number;
  readonly #decode: ((bytes: Uint8Array) => unknown) | undefined;

  constructor(args: {
    format: SchemaFormat;
    fingerprint: string;
    check: CompiledCheck;
    counts: FormatCounts;
    onFailure: FailureHook;
    limits: ResolvedLimits;
    plugin: FormatPlugin;
    parsed: unknown;
  }) {
    this.format = args.format;
    this.fingerprint = args.fingerprint;
    this.#check = args.check;
    this.#test = args.check.test;
    this.#counts = args.counts;
    this.#onFailure = args.onFailure;
    this.#maxIssues = args.limits.maxIssues;
    this.#maxDepth = args.limits.maxValueDepth;
    this.#maxBytes = args.limits.maxPayloadBytes;
    const { plugin, parsed } = args;
    this.#decode = plugin.decode
      ? (bytes) => (plugin.decode as NonNullable<FormatPlugin['decode']>)(parsed, bytes)
      : undefined;
  }

  validate(value: unknown): ValidationOutcome {
    this.#counts.validations++;
    // Fast path: the plug-in's raw check; only a failure pays for the explaining validator.
    if (this.#maxDepth === 0) {
      try {
        if (this.#test(value)) return VALID;
      } catch {
        // fall through: the slow path turns the error into an issue
      }
    }
    let out: ValidationOutcome;
    if (this.#maxDepth > 0 && depthExceeds(value, this.#maxDepth)) {
      out = limitOutcome(`value nests deeper than limits.maxValueDepth (${this.#maxDepth})`);
    } else {
      try {
        out = this.#check.validate(value, this.#maxIssues);
      } catch (error) {
        out = limitOutcome(
          error instanceof RangeError
            ? 'value is too deeply nested to validate'
            : `validator failed: ${(error as Error).message}`,
        );
      }
    }
    if (!out.valid) this.#onFailure(this, out);
    return out;
  }

  /** Validates encoded bytes (Avro binary, Protobuf wire format): decodes, then validates. */
  validateEncoded(bytes: Uint8Array): ValidationOutcome {
    if (this.#decode === undefined) {
      throw validationErrors.create(
        'E_UNSUPPORTED',
        `format "${this.format}" has no binary encoding to validate`,
        {
          details: { format: this.format },
        },
      );
    }
    if (!(bytes instanceof Uint8Array)) {
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'validateEncoded() needs a Uint8Array or Buffer',
      );
    }
    if (bytes.byteLength > this.#maxBytes) {
      const out = limitOutcome(
        `payload is ${bytes.byteLength} bytes, more than limits.maxPayloadBytes (${this.#maxBytes})`,
      );
      this.#counts.validations++;
      this.#onFailure(this, out);
      return out;
    }
    let value: unknown;
    try {
      value = this.#decode(bytes);
    } catch (error) {
      const out: ValidationOutcome = {
        valid: false,
        issues: [
          {
            path: '',
            message: `cannot decode: ${(error as Error).message}`,
            rule: 'decode',
            severity: 'error',
          },
        ],
      };
      this.#counts.validations++;
      this.#onFailure(this, out);
      return out;
    }
    return this.validate(value);
  }

  assert(value: unknown): asserts value is T {
    const out = this.validate(value);
    if (!out.valid) {
      const first = out.issues[0];
      throw validationErrors.create(
        'E_VALIDATION_FAILED',
        `value does not match the ${this.format} schema: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}${out.issues.length > 1 ? ` (and ${out.issues.length - 1} more)` : ''}`,
        { details: { format: this.format, fingerprint: this.fingerprint, issues: out.issues } },
      );
    }
  }

  is(value: unknown): value is T {
    this.#counts.validations++;
    try {
      return this.#check.test(value);
    } catch {
      return false;
    }
  }
}
