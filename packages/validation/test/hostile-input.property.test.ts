import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { ERROR_CODES, Validation, diff } from '../src/index.js';

/** Values no public API should take: wrong types, odd numbers, deep and odd Unicode. */
function deep(n: number, object: boolean): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = object ? { type: 'object', properties: { a: v } } : [v];
  return v;
}
const DEEP_TEXT = '['.repeat(100_000) + ']'.repeat(100_000);
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    NaN,
    Infinity,
    -1,
    0.5,
    2 ** 53 + 1,
    1e308,
    true,
    10n,
    Symbol('s'),
    () => 1,
    deep(100_000, false),
    deep(100_000, true),
    DEEP_TEXT,
    '{"type":' + '['.repeat(50_000),
    Object.create(null) as object,
    [],
    {},
    '',
    '\u0000',
    '\ud800',
    'x'.repeat(100_000),
    'json-schema',
    'avro',
    'protobuf',
    'zod',
    'BACKWARD',
    { pattern: '(?=a)' },
    { type: 'string', pattern: '^(a+)+$' },
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.anything({ maxDepth: 2 }), { maxKeys: 3 }),
);
const FORMATS = ['json-schema', 'avro', 'protobuf', 'zod', 'nope'];
const source = fc.oneof(
  hostile,
  fc.record({ format: fc.constantFrom(...FORMATS), schema: hostile }),
  fc.record({ format: fc.constantFrom(...FORMATS), schema: hostile, references: hostile }),
);

type Call = (v: Validation, a: unknown, b: unknown) => unknown;
const ok = { format: 'json-schema', schema: { type: 'string' } };
const CALLS: ReadonlyArray<readonly [string, Call]> = [
  ['compile(x)', (v, a) => v.compile(a as never)],
  ['compile(x).validate(y)', (v, a, b) => v.compile(a as never).validate(b)],
  ['compile(ok).validate(x)', (v, a) => v.compile(ok).validate(a)],
  ['compile(ok).validateEncoded(x)', (v, a) => v.compile(ok).validateEncoded(a as never)],
  ['compile(ok).assert(x)', (v, a) => v.compile(ok).assert(a)],
  ['checkCompatibility(x, y)', (v, a, b) => v.checkCompatibility(a as never, b as never)],
  [
    'checkCompatibility(ok, [x], y)',
    (v, a, b) => v.checkCompatibility(ok, [a] as never, b as never),
  ],
  ['diff(x, y)', (v, a, b) => v.diff(a as never, b as never)],
  ['diff(ok, ok, x)', (v, a) => v.diff(ok, ok, a as never)],
  ['diff(ok, ok, {ignore: x})', (v, _a, b) => v.diff(ok, ok, { ignore: b } as never)],
  [
    'checkCompatibility(ok, [ok], {level, ignore: x})',
    (v, a, b) => v.checkCompatibility(ok, [ok], { level: a, ignore: b } as never),
  ],
  ['free diff(x, y)', (_v, a, b) => diff(a as never, b as never)],
  ['canonicalForm(x)', (v, a) => v.canonicalForm(a as never)],
  ['fingerprint(x)', (v, a) => v.fingerprint(a as never)],
  ['empiricalCheck(x, y)', (v, a, b) => v.empiricalCheck(a as never, b as never)],
  [
    'sample(x, y)',
    (v, a, b) => v.sample(a as never, typeof b === 'number' ? b % 20 : (b as never)),
  ],
  ['toJsonSchema(x)', (v, a) => v.toJsonSchema(a as never)],
  ['registerFormat(x)', (v, a) => v.registerFormat(a as never)],
  ['ruleSet(x)', (v, a) => v.ruleSet(a as never)],
  [
    'ruleSet([{id, condition: x}])',
    (v, a) => v.ruleSet([{ id: 'r', condition: a }] as never).evaluate({ a: 1 }),
  ],
  [
    'ruleSet(ok).evaluate(x)',
    (v, a) => v.ruleSet([{ id: 'r', condition: 'a > 1' }]).evaluate(a as never),
  ],
  ['qualitySuite(x)', (v, a) => v.qualitySuite(a as never)],
  [
    'qualitySuite({checks: [x]})',
    (v, a) => v.qualitySuite({ checks: [a] } as never).runSync([{ a: 1 }]),
  ],
  ['new Validation(x)', (_v, a) => new Validation(a as never)],
  ['new Validation({limits: x})', (_v, a) => new Validation({ limits: a } as never)],
];

describe('hostile input to the public API', () => {
  it('is refused with a catalogued PlinthError, never a raw TypeError or RangeError (property)', () => {
    const v = new Validation();
    const codes = new Set<string>(Object.keys(ERROR_CODES));
    let rejected = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom(...CALLS), source, hostile, ([name, call], a, b) => {
        try {
          call(v, a, b);
          accepted++;
        } catch (error) {
          rejected++;
          const e = error as { code?: string; message?: string; name?: string };
          expect(isPlinthError(error), `${name}: ${e.name}: ${e.message}`).toBe(true);
          expect(codes.has(e.code as string), `${name}: ${e.code}`).toBe(true);
        }
      }),
      { seed: 2121, numRuns: 1500 },
    );
    console.log(
      `validation hostile input: ${rejected} rejected with catalogued PlinthErrors, ${accepted} accepted, 0 raw errors`,
    );
  }, 120_000);
});
