import fc from 'fast-check';
import { isPlinthError } from '../errors.js';

/**
 * `value` wrapped `depth` times by `wrap` (default `{ a: … }`), built without recursion. The result
 * prints as `nested(depth)` in fast-check's counterexamples (a hidden symbol method), so reporting
 * a failure never walks it recursively.
 */
export function nested(
  depth: number,
  wrap: (inner: unknown) => unknown = (inner) => ({ a: inner }),
  value: unknown = 'x',
): unknown {
  let v = value;
  for (let i = 0; i < depth; i++) v = wrap(v);
  if (typeof v === 'object' && v !== null) {
    Object.defineProperty(v, fc.toStringMethod, { value: () => `nested(${depth})` });
  }
  return v;
}

const DEEP_OBJECT = nested(100_000);
const DEEP_ARRAY = nested(100_000, (inner) => [inner]);

/**
 * Values no public API should take: wrong types, odd numbers, 100,000-deep objects and arrays,
 * control, bidi, zero-width and lone-surrogate strings, huge strings, prototype keys, plus random
 * strings and small random structures. `extra` adds values that matter to one package (names that
 * almost parse, a malformed cursor, a pathological pattern).
 */
export function hostileValues(extra: readonly unknown[] = []): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(
      undefined,
      null,
      NaN,
      Infinity,
      -Infinity,
      -0,
      -1,
      0.5,
      2 ** 53 + 1,
      1e308,
      true,
      10n,
      Symbol('s'),
      () => 1,
      DEEP_OBJECT,
      DEEP_ARRAY,
      { d: nested(100_000) },
      Object.create(null) as object,
      new Date(0),
      new Map(),
      [],
      {},
      '',
      '\u0000',
      'a\u0000b',
      'a\u202eb',
      'a\u200bb',
      '\ud800',
      'x'.repeat(100_000),
      '__proto__',
      { a: 1n },
      { a: NaN },
      { a: '\ud800' },
      ...extra,
    ),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.double(),
    fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.anything({ maxDepth: 2 }), { maxKeys: 3 }),
  );
}

/** One public call under test: its name and how to make it with two hostile arguments. */
export type HostileCall<T> = readonly [
  name: string,
  call: (target: T, a: unknown, b: unknown) => unknown,
];

export interface HostileCallsOptions<T> {
  /** What the calls are made on (a store, a registry, an engine). */
  readonly target: T;
  readonly calls: ReadonlyArray<HostileCall<T>>;
  /** The package's error catalogue (`ERROR_CODES`): every refusal must carry one of its codes. */
  readonly codes: Readonly<Record<string, unknown>>;
  /** First argument values. @default hostileValues() */
  readonly first?: fc.Arbitrary<unknown>;
  /** Second argument values. @default hostileValues() */
  readonly second?: fc.Arbitrary<unknown>;
  /** A digest of the state the calls could change: a refused call must leave it as it was. */
  readonly snapshot?: () => Promise<string> | string;
  readonly seed: number;
  readonly numRuns: number;
}

/**
 * Makes random public calls with hostile arguments (fast-check, fixed seed) and checks that each
 * refusal is a `PlinthError` with a code of the package's catalogue (never a raw `TypeError` or
 * `RangeError`) and, with `snapshot`, that a refused call changed nothing. Results that are async
 * iterables are read to the end, so errors raised while reading count too. Returns the counts.
 */
export async function checkHostileCalls<T>(
  options: HostileCallsOptions<T>,
): Promise<{ rejected: number; accepted: number }> {
  const codes = new Set(Object.keys(options.codes));
  const first = options.first ?? hostileValues();
  const second = options.second ?? hostileValues();
  let rejected = 0;
  let accepted = 0;
  let before = options.snapshot === undefined ? undefined : await options.snapshot();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...options.calls),
      first,
      second,
      async ([name, call], a, b) => {
        let outcome: unknown;
        try {
          const result = await call(options.target, a, b);
          if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) {
            for await (const _ of result as AsyncIterable<unknown>) void _;
          }
        } catch (error) {
          outcome = error ?? new Error(`${name} threw ${String(error)}`);
        }
        if (outcome === undefined) {
          accepted++;
          if (options.snapshot !== undefined) before = await options.snapshot();
          return;
        }
        rejected++;
        const e = outcome as { code?: unknown; message?: unknown; name?: unknown };
        if (!isPlinthError(outcome)) {
          throw new Error(`${name} threw a raw ${String(e.name)}: ${String(e.message)}`);
        }
        if (!codes.has(String(e.code))) {
          throw new Error(
            `${name} threw ${String(e.code)}, which is not in the package's catalogue`,
          );
        }
        if (options.snapshot !== undefined && (await options.snapshot()) !== before) {
          throw new Error(`${name} was refused (${String(e.code)}) but changed the state`);
        }
      },
    ),
    { seed: options.seed, numRuns: options.numRuns },
  );
  return { rejected, accepted };
}
