import { PlinthError } from './errors.js';
import { check, type OptionCheck } from './options.js';

/**
 * The limits every Plinth package checks structured input against before doing any recursive
 * work on it (DESIGN §7). A package takes them as its `limits` option (with its own defaults
 * where it needs different ones) and names the exceeded limit in `E_LIMIT_EXCEEDED`
 * (`details.limit`).
 */
export interface Limits {
  /** Deepest nesting of arrays and objects in a JSON value (the top value is depth 1). @default 64 */
  readonly maxDepth: number;
  /** Longest string anywhere in a JSON value (keys included), in UTF-16 code units. @default 1_048_576 */
  readonly maxStringLength: number;
  /** Most items in one array, or members in one object. @default 100_000 */
  readonly maxArrayLength: number;
  /** Largest document or schema text, in characters. @default 1_048_576 */
  readonly maxDocumentSize: number;
  /** Most references one document may declare. @default 256 */
  readonly maxReferences: number;
  /** Longest name (artifact, subject, tag, stage, namespace), in code points. @default 256 */
  readonly maxNameLength: number;
  /** Most items one page of a list call returns. @default 1000 */
  readonly maxPageSize: number;
}

/** Defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxDepth: 64,
  maxStringLength: 1_048_576,
  maxArrayLength: 100_000,
  maxDocumentSize: 1_048_576,
  maxReferences: 256,
  maxNameLength: 256,
  maxPageSize: 1000,
});

/** How a package reports a limit: its package name and the option names it uses. */
export interface LimitContext {
  /** The package named in the error. @default '@plinth/core' */
  readonly package?: string;
  /** What is checked, for the message (`JSON Schema`, `rules.ignore`). @default 'value' */
  readonly what?: string;
  /**
   * The package's option name of each limit (`{ maxDepth: 'maxSchemaDepth' }`), so the error
   * names the option a user can raise. @default the {@link Limits} names
   */
  readonly names?: Partial<Record<keyof Limits, string>>;
}

/**
 * Builds the typed `E_LIMIT_EXCEEDED` for one limit (not thrown); `message` leads up to the
 * limit's name: `nests deeper than` → "schema nests deeper than limits.maxDepth (64)".
 */
export function limitExceeded(
  limit: keyof Limits,
  max: number,
  message: string,
  context: LimitContext = {},
  details: Readonly<Record<string, unknown>> = {},
): PlinthError<'E_LIMIT_EXCEEDED'> {
  const name = context.names?.[limit] ?? limit;
  return new PlinthError({
    code: 'E_LIMIT_EXCEEDED',
    package: context.package ?? '@plinth/core',
    message: `${context.what ?? 'value'} ${message} limits.${name} (${max})`,
    details: { limit: name, max, ...details },
  });
}

/** The limits {@link checkJsonLimits} reads; a limit left out is not checked. */
export type JsonLimits = Partial<Pick<Limits, 'maxDepth' | 'maxStringLength' | 'maxArrayLength'>>;

/** JSON pointer of a path (RFC 6901). */
function pointer(path: ReadonlyArray<string | number>): string {
  let p = '';
  for (const k of path) p += '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1');
  return p;
}

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number;
}

function pathOf(frame: Frame): string {
  const keys: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) keys.push(f.key);
  return pointer(keys.reverse());
}

/**
 * Checks a parsed value against depth, string-length and array-length limits, iteratively (a
 * value nested a million levels deep cannot overflow the stack here, and a cycle stops at the
 * depth limit). Throws `E_LIMIT_EXCEEDED` with the limit and the JSON pointer where it was
 * exceeded. Non-JSON leaves (functions, BigInts) are ignored: this checks size, not type.
 */
export function checkJsonLimits(
  value: unknown,
  limits: JsonLimits,
  context: LimitContext = {},
): void {
  const maxDepth = limits.maxDepth ?? Infinity;
  const maxString = limits.maxStringLength ?? Infinity;
  const maxArray = limits.maxArrayLength ?? Infinity;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  const seen = new Map<object, number>();
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const v = frame.value;
    if (typeof v === 'string') {
      if (v.length > maxString) {
        throw limitExceeded(
          'maxStringLength',
          maxString,
          `has a ${v.length}-character string, more than`,
          context,
          {
            path: pathOf(frame),
            actual: v.length,
          },
        );
      }
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    // A shared object is walked again only when reached deeper than before (or never, when
    // depth is not limited), so sharing cannot make the walk exponential, nor a cycle endless.
    const before = seen.get(v);
    if (before !== undefined && (before >= frame.depth || maxDepth === Infinity)) continue;
    seen.set(v, frame.depth);
    if (frame.depth > maxDepth) {
      throw limitExceeded('maxDepth', maxDepth, 'nests deeper than', context, {
        path: pathOf(frame),
      });
    }
    if (Array.isArray(v)) {
      if (v.length > maxArray) {
        throw limitExceeded(
          'maxArrayLength',
          maxArray,
          `has an array of ${v.length} items, more than`,
          context,
          {
            path: pathOf(frame),
            actual: v.length,
          },
        );
      }
      for (let i = v.length - 1; i >= 0; i--) {
        const c: unknown = v[i];
        if (typeof c === 'object' ? c !== null : typeof c === 'string') {
          stack.push({ value: c, depth: frame.depth + 1, parent: frame, key: i });
        }
      }
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > maxArray) {
      throw limitExceeded(
        'maxArrayLength',
        maxArray,
        `has an object of ${keys.length} members, more than`,
        context,
        {
          path: pathOf(frame),
          actual: keys.length,
        },
      );
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      if (k.length > maxString) {
        throw limitExceeded(
          'maxStringLength',
          maxString,
          `has a ${k.length}-character key, more than`,
          context,
          {
            path: pathOf(frame),
            actual: k.length,
          },
        );
      }
      const c: unknown = (v as Record<string, unknown>)[k];
      if (typeof c === 'object' ? c !== null : typeof c === 'string') {
        stack.push({ value: c, depth: frame.depth + 1, parent: frame, key: k });
      }
    }
  }
}

/** The limits {@link parseJson} reads; a limit left out is not checked. */
export type ParseLimits = JsonLimits & Partial<Pick<Limits, 'maxDocumentSize'>>;

/**
 * `JSON.parse` with limits checked first: the text's size, then its nesting depth by a linear
 * scan of the brackets (so a hostile text is refused before a deep object is built), then the
 * string and array lengths of the parsed value. Throws `E_LIMIT_EXCEEDED` naming the limit, or
 * `E_INVALID_ARGUMENT` (`details.reason: 'syntax'`, the `SyntaxError` as cause) for text that is
 * not JSON.
 */
export function parseJson(text: string, limits: ParseLimits, context: LimitContext = {}): unknown {
  const pkg = context.package ?? '@plinth/core';
  const what = context.what ?? 'value';
  if (typeof text !== 'string') {
    throw new PlinthError({
      code: 'E_INVALID_ARGUMENT',
      package: pkg,
      message: `${what} must be JSON text (a string)`,
      details: { reason: 'type' },
    });
  }
  const maxSize = limits.maxDocumentSize ?? Infinity;
  if (text.length > maxSize) {
    throw limitExceeded(
      'maxDocumentSize',
      maxSize,
      `is ${text.length} characters, more than`,
      context,
      {
        actual: text.length,
      },
    );
  }
  const maxDepth = limits.maxDepth ?? Infinity;
  if (maxDepth !== Infinity) {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > maxDepth) {
          throw limitExceeded('maxDepth', maxDepth, 'nests deeper than', context, { offset: i });
        }
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlinthError({
      code: 'E_INVALID_ARGUMENT',
      package: pkg,
      message: `${what} is not JSON (${(error as Error).message})`,
      details: { reason: 'syntax' },
      cause: error,
    });
  }
  if (limits.maxStringLength !== undefined || limits.maxArrayLength !== undefined) {
    const { maxStringLength, maxArrayLength } = limits;
    checkJsonLimits(
      value,
      {
        ...(maxStringLength !== undefined && { maxStringLength }),
        ...(maxArrayLength !== undefined && { maxArrayLength }),
      },
      context,
    );
  }
  return value;
}

/**
 * An option check for a package's `limits` object: only the given keys, each a positive
 * integer (or `0` where the package documents 0 as "not checked"; pass `allowZero`).
 */
export function limitsOption<K extends string>(
  keys: readonly K[],
  allowZero: readonly K[] = [],
): OptionCheck<Partial<Record<K, number>>> {
  return check.custom(
    `an object of positive integers (${keys.join(', ')})`,
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      Object.entries(v).every(
        ([k, x]) =>
          (keys as readonly string[]).includes(k) &&
          typeof x === 'number' &&
          Number.isSafeInteger(x) &&
          (x > 0 || (x === 0 && (allowZero as readonly string[]).includes(k))),
      ),
  );
}
