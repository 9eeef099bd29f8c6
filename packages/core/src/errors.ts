/**
 * One error type for all of Plinth. Every package throws `PlinthError`s whose string `code`
 * comes from that package's catalogue (declared with {@link defineErrors}), whose message is
 * prefixed with the package name, and which say whether retrying could succeed.
 *
 * `instanceof` fails when a host ends up with two copies of a package (two versions in
 * node_modules, or ESM and CJS builds both loaded), so {@link isPlinthError} recognises errors by a
 * global brand symbol and their `name`/`code` as well.
 */

/** Marks Plinth errors across duplicate copies of this module (global symbol registry). */
const BRAND: unique symbol = Symbol.for('plinth.error') as never;

export interface PlinthErrorOptions<Code extends string = string> {
  /** Stable, documented code from the package's catalogue, e.g. `E_VERSION_EXISTS`. */
  readonly code: Code;
  /** Human message, without the package prefix (it is added). */
  readonly message: string;
  /** The package that throws, e.g. `@plinth/storage`. */
  readonly package: string;
  /** Structured facts about the failure (ids, option names, limits). Must be JSON-serialisable. */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  /** The underlying error, kept as the standard `cause`. */
  readonly cause?: unknown;
  /** Whether the same call may succeed if retried (lost races, timeouts, transient I/O). */
  readonly retryable?: boolean | undefined;
}

export class PlinthError<Code extends string = string> extends Error {
  declare readonly [BRAND]: true;
  override readonly name = 'PlinthError';
  readonly code: Code;
  readonly package: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly retryable: boolean;

  constructor(options: PlinthErrorOptions<Code>) {
    super(
      `[${options.package}] ${options.message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    this.code = options.code;
    this.package = options.package;
    this.details = Object.freeze({ ...options.details });
    this.retryable = options.retryable ?? false;
  }

  /** A plain, serialisable view (for logs and HTTP error bodies). The cause is summarised. */
  toJSON(): {
    name: string;
    code: Code;
    package: string;
    message: string;
    details: Readonly<Record<string, unknown>>;
    retryable: boolean;
    cause?: { name: string; message: string; code?: string };
  } {
    const out: ReturnType<PlinthError<Code>['toJSON']> = {
      name: this.name,
      code: this.code,
      package: this.package,
      message: this.message,
      details: this.details,
      retryable: this.retryable,
    };
    const cause = this.cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      out.cause =
        typeof code === 'string'
          ? { name: cause.name, message: cause.message, code }
          : { name: cause.name, message: cause.message };
    }
    return out;
  }
}

/**
 * True when `error` is a Plinth error (from any copy of `@plinth/core`), optionally with one of
 * the given codes. Narrows the type.
 */
export function isPlinthError<Code extends string = string>(
  error: unknown,
  code?: Code | readonly Code[],
): error is PlinthError<Code> {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { [BRAND]?: unknown; name?: unknown; code?: unknown };
  const branded = e[BRAND] === true || (error instanceof Error && e.name === 'PlinthError');
  if (!branded || typeof e.code !== 'string') return false;
  if (code === undefined) return true;
  return typeof code === 'string' ? e.code === code : code.includes(e.code as Code);
}

/** How a package describes one error code in its catalogue. */
export interface ErrorCodeSpec {
  /** What the code means, for the README's error table. */
  readonly description: string;
  /** Default for `retryable` (a call may still override it). @default false */
  readonly retryable?: boolean;
}

/** Extra fields when raising a catalogued error. */
export interface RaiseOptions {
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  readonly cause?: unknown;
  readonly retryable?: boolean | undefined;
}

export interface ErrorCatalogue<Codes extends string> {
  /** The package the catalogue belongs to. */
  readonly package: string;
  /** `{ E_X: 'E_X', … }` — use for comparisons without string typos. */
  readonly codes: { readonly [C in Codes]: C };
  /** The documented specs, for README generation and tooling. */
  readonly specs: { readonly [C in Codes]: ErrorCodeSpec };
  /** Builds (does not throw) an error with the catalogue's defaults. */
  create(code: Codes, message: string, options?: RaiseOptions): PlinthError<Codes>;
  /** `isPlinthError` restricted to this package's errors. */
  is<C extends Codes>(error: unknown, code?: C | readonly C[]): error is PlinthError<C>;
}

/**
 * Declares a package's error catalogue. Each package does this once, in `src/errors.ts`:
 *
 * ```ts
 * export const errors = defineErrors('@plinth/storage', {
 *   E_CONFLICT: { description: 'A conditional write lost a race.', retryable: true },
 * });
 * export const ERROR_CODES = errors.codes;
 * throw errors.create('E_CONFLICT', `version of "${key}" changed`, { details: { key } });
 * ```
 */
export function defineErrors<const Specs extends Record<`E_${string}`, ErrorCodeSpec>>(
  packageName: string,
  specs: Specs,
): ErrorCatalogue<Extract<keyof Specs, string>> {
  type Codes = Extract<keyof Specs, string>;
  const codes = {} as { [C in Codes]: C };
  for (const code of Object.keys(specs) as Codes[]) {
    (codes as Record<string, string>)[code] = code;
  }
  Object.freeze(codes);
  const frozenSpecs = Object.freeze({ ...specs }) as unknown as { [C in Codes]: ErrorCodeSpec };
  return {
    package: packageName,
    codes,
    specs: frozenSpecs,
    create(code, message, options = {}) {
      const spec = frozenSpecs[code];
      return new PlinthError<Codes>({
        code,
        message,
        package: packageName,
        details: options.details,
        cause: options.cause,
        retryable: options.retryable ?? spec.retryable ?? false,
      });
    },
    is<C extends Codes>(error: unknown, code?: C | readonly C[]): error is PlinthError<C> {
      return isPlinthError(error, code) && (error as PlinthError).package === packageName;
    },
  };
}

/** `@plinth/core`'s own catalogue. */
export const coreErrors = defineErrors('@plinth/core', {
  E_INVALID_OPTION: {
    description: 'An option passed to a constructor or function is missing, unknown or invalid.',
  },
  E_INVALID_ARGUMENT: {
    description:
      'An argument cannot be processed (e.g. a value canonical JSON cannot represent: a cycle, a BigInt, NaN).',
  },
  E_CLOSED: { description: 'The object was closed; it accepts no more calls.' },
  E_TIMEOUT: { description: 'An operation did not finish in its time limit.', retryable: true },
  E_ABORTED: { description: 'An operation was cancelled through its AbortSignal.' },
  E_LIMIT_EXCEEDED: {
    description:
      'Input is larger or deeper than a configured limit (`details.limit` names it, `details.max` gives its value).',
  },
  E_INVALID_NAME: {
    description:
      'A name breaks the name policy (`details.rule`: type, empty, length, control, bidi, invisible, surrogate or nfc).',
  },
  E_INVALID_PATTERN: {
    description:
      'A regular expression from user data cannot run on the linear-time engine, or is not valid ECMAScript syntax.',
  },
});

/** The codes `@plinth/core` itself raises. */
export const ERROR_CODES = coreErrors.codes;
export type CoreErrorCode = keyof typeof ERROR_CODES;
