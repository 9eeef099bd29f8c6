import fc from 'fast-check';
import { checkHostileCalls, hostileValues, nested, type HostileCall } from '@plinth/core/testing';
import { describe, it } from 'vitest';
import { ERROR_CODES, Validation, diff } from '../src/index.js';

const schemaChain = (object: boolean) =>
  nested(
    100_000,
    object ? (inner) => ({ type: 'object', properties: { a: inner } }) : (inner) => [inner],
  );
/** Hostile values, with schema texts and names that matter to validation. */
const hostile = hostileValues([
  schemaChain(false),
  schemaChain(true),
  '['.repeat(100_000) + ']'.repeat(100_000),
  '{"type":' + '['.repeat(50_000),
  'json-schema',
  'avro',
  'protobuf',
  'zod',
  'BACKWARD',
  { pattern: '(?=a)' },
  { type: 'string', pattern: '^(a+)+$' },
]);
const FORMATS = ['json-schema', 'avro', 'protobuf', 'zod', 'nope'];
const source = fc.oneof(
  hostile,
  fc.record({ format: fc.constantFrom(...FORMATS), schema: hostile }),
  fc.record({ format: fc.constantFrom(...FORMATS), schema: hostile, references: hostile }),
);

const ok = { format: 'json-schema', schema: { type: 'string' } };
const CALLS: ReadonlyArray<HostileCall<Validation>> = [
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
  it('is refused with a catalogued PlinthError, never a raw TypeError or RangeError (property)', async () => {
    const { rejected, accepted } = await checkHostileCalls({
      target: new Validation(),
      calls: CALLS,
      codes: ERROR_CODES,
      first: source,
      second: hostile,
      seed: 2121,
      numRuns: 1500,
    });
    console.log(
      `validation hostile input: ${rejected} rejected with catalogued PlinthErrors, ${accepted} accepted, 0 raw errors`,
    );
  }, 120_000);
});
