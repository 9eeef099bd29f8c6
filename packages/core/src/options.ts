import { PlinthError } from './errors.js';
import { printableName } from './names.js';

/**
 * Options are validated once, at the public boundary, by {@link resolveOptions}: unknown keys
 * (typos), wrong types and out-of-range values throw `E_INVALID_OPTION` naming the option, the
 * class and what was expected. Inside a package, resolved options are trusted.
 *
 * Each class declares a frozen `DEFAULT_…` object (with `@default` JSDoc per option) and a spec
 * of checks; layers (global → instance → call) are merged with {@link mergeOptions}.
 */

/** One option check: `test` says whether a value is acceptable, `expected` says what is. */
export interface OptionCheck<T = unknown> {
  readonly expected: string;
  test(value: unknown): value is T;
}

function make<T>(expected: string, test: (value: unknown) => boolean): OptionCheck<T> {
  return { expected, test: test as (value: unknown) => value is T };
}

/** Ready-made checks for option specs. */
export const check = {
  number(opts: { min?: number; max?: number; integer?: boolean } = {}): OptionCheck<number> {
    const { min, max, integer = false } = opts;
    const parts = [integer ? 'an integer' : 'a finite number'];
    if (min !== undefined) parts.push(`>= ${min}`);
    if (max !== undefined) parts.push(`<= ${max}`);
    return make(
      parts.join(' '),
      (v) =>
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (!integer || Number.isInteger(v)) &&
        (min === undefined || v >= min) &&
        (max === undefined || v <= max),
    );
  },
  string(opts: { nonEmpty?: boolean; pattern?: RegExp } = {}): OptionCheck<string> {
    const { nonEmpty = false, pattern } = opts;
    const expected = pattern
      ? `a string matching ${String(pattern)}`
      : nonEmpty
        ? 'a non-empty string'
        : 'a string';
    return make(
      expected,
      (v) =>
        typeof v === 'string' &&
        (!nonEmpty || v.length > 0) &&
        (pattern === undefined || pattern.test(v)),
    );
  },
  boolean(): OptionCheck<boolean> {
    return make('a boolean', (v) => typeof v === 'boolean');
  },
  oneOf<const T extends readonly (string | number | boolean)[]>(values: T): OptionCheck<T[number]> {
    return make(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) =>
      values.includes(v as T[number]),
    );
  },
  func(): OptionCheck<(...args: never[]) => unknown> {
    return make('a function', (v) => typeof v === 'function');
  },
  object<T extends object = object>(): OptionCheck<T> {
    return make('an object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
  },
  /** An object that has every named method (duck typing for injected clocks, loggers, adapters). */
  implementing<T extends object = object>(...methods: string[]): OptionCheck<T> {
    return make(
      `an object with ${methods.map((m) => `${m}()`).join(', ')}`,
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    );
  },
  arrayOf<T>(item: OptionCheck<T>): OptionCheck<T[]> {
    return make(
      `an array of ${item.expected}`,
      (v) => Array.isArray(v) && v.every((x) => item.test(x)),
    );
  },
  /** Accepts what any of the checks accepts. */
  anyOf<T>(...checks: OptionCheck<T>[]): OptionCheck<T> {
    return make(checks.map((c) => c.expected).join(' or '), (v) => checks.some((c) => c.test(v)));
  },
  custom<T>(expected: string, test: (value: unknown) => boolean): OptionCheck<T> {
    return make(expected, test);
  },
} as const;

/** A check per option; `required: true` marks options without a default. */
export type OptionSpec<T> = {
  readonly [K in keyof T]-?:
    | OptionCheck<NonNullable<T[K]>>
    | {
        readonly check: OptionCheck<NonNullable<T[K]>>;
        readonly required: true;
      };
};

export interface ResolveOptionsArgs<T extends object, D extends Partial<T>> {
  /** Package that owns the options, for the error prefix (`@plinth/cache`). */
  readonly package: string;
  /** The class or function taking them, for the message (`Cache`). */
  readonly owner: string;
  readonly spec: OptionSpec<T>;
  readonly defaults: D;
  /** What the caller passed (may be undefined). */
  readonly input: unknown;
}

function invalidOption(
  pkg: string,
  owner: string,
  option: string,
  message: string,
  details: Record<string, unknown> = {},
): PlinthError<'E_INVALID_OPTION'> {
  return new PlinthError({
    code: 'E_INVALID_OPTION',
    package: pkg,
    message: `${owner}: ${message}`,
    details: { owner, option, ...details },
  });
}

/**
 * A value as short text that is safe in an error message: strings JSON-quoted, cut at 40
 * characters, with the characters the name policy refuses escaped; arrays, functions and other
 * objects by their kind. Never throws and never walks a nested value.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return printableName(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'function':
      return 'a function';
    default:
      return typeof value;
  }
}

/** Edit distance, to suggest the option a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/**
 * Validates `input` against `spec` and fills `defaults`. Throws `E_INVALID_OPTION` (from the
 * owning package) naming the first bad option; `undefined` values count as "not given".
 * Returns a frozen object.
 */
export function resolveOptions<T extends object, D extends Partial<T>>(
  args: ResolveOptionsArgs<T, D>,
): Readonly<D & T> {
  const { package: pkg, owner, spec, defaults, input } = args;
  if (
    input !== undefined &&
    (typeof input !== 'object' || input === null || Array.isArray(input))
  ) {
    throw invalidOption(
      pkg,
      owner,
      '(options)',
      `options must be an object, got ${describeValue(input)}`,
    );
  }
  const given = (input ?? {}) as Record<string, unknown>;
  const known = Object.keys(spec);
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const near = known
      .map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) }))
      .filter((x) => x.d <= Math.max(2, Math.floor(key.length / 3)))
      .sort((a, b) => a.d - b.d)[0];
    throw invalidOption(
      pkg,
      owner,
      key,
      `unknown option "${key}"${near ? ` (did you mean "${near.k}"?)` : ''}`,
    );
  }
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const key of known) {
    const entry = (spec as Record<string, OptionCheck | { check: OptionCheck; required: true }>)[
      key
    ];
    const c = entry && 'test' in entry ? entry : entry?.check;
    const required = entry !== undefined && !('test' in entry) && entry.required;
    const value = given[key];
    if (value === undefined) {
      if (required && out[key] === undefined) {
        throw invalidOption(
          pkg,
          owner,
          key,
          `option "${key}" is required (${c?.expected ?? 'a value'})`,
        );
      }
      continue;
    }
    if (c !== undefined && !c.test(value)) {
      throw invalidOption(
        pkg,
        owner,
        key,
        `option "${key}" must be ${c.expected}, got ${describeValue(value)}`,
        { expected: c.expected },
      );
    }
    out[key] = value;
  }
  return Object.freeze(out) as Readonly<D & T>;
}

/**
 * Merges option layers left to right (global → instance → call); a layer's `undefined` values
 * do not override earlier ones. Shallow: nested objects are replaced, not merged. Layer values
 * are typed `T[K] | undefined` so `{ ttlMs: maybeTtl }` type-checks under
 * `exactOptionalPropertyTypes`.
 */
export function mergeOptions<T extends object>(
  ...layers: ReadonlyArray<{ readonly [K in keyof T]?: T[K] | undefined } | undefined>
): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v !== undefined) out[k] = v;
    }
  }
  return out as Partial<T>;
}
