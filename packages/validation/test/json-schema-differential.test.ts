import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';

/**
 * Property: when the checker says a JSON Schema change is BACKWARD compatible, every sample
 * document of the old schema validates under the new one (ajv decides); when it reports a
 * narrowing, the empirical check usually finds a document the new schema rejects.
 */
const prop = fc.oneof(
  fc.record({
    type: fc.constant('integer'),
    minimum: fc.integer({ min: -5, max: 5 }),
    maximum: fc.integer({ min: 6, max: 20 }),
  }),
  fc.record({
    type: fc.constant('string'),
    minLength: fc.integer({ min: 0, max: 3 }),
    maxLength: fc.integer({ min: 4, max: 8 }),
  }),
  fc.record({ enum: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1 }) }),
  fc.record({ type: fc.constantFrom('boolean', 'number', 'string', 'integer') }),
);
const objectSchema = fc.record({
  props: fc.dictionary(fc.constantFrom('p', 'q', 'r'), prop, { minKeys: 1 }),
  required: fc.subarray(['p', 'q', 'r']),
  closed: fc.boolean(),
});
const toSchema = (s: { props: Record<string, unknown>; required: string[]; closed: boolean }) => ({
  type: 'object',
  properties: s.props,
  required: s.required.filter((r) => r in s.props),
  ...(s.closed ? { additionalProperties: false } : {}),
});

describe('JSON Schema compatibility vs ajv (property-based)', () => {
  const v = new Validation();
  it(
    'BACKWARD-compatible changes accept every sample of the old schema; narrowing ones usually reject one',
    { timeout: 60_000 },
    () => {
      let narrowings = 0;
      let found = 0;
      fc.assert(
        fc.property(objectSchema, objectSchema, (a, b) => {
          const oldS = { format: 'json-schema', schema: toSchema(a) };
          const newS = { format: 'json-schema', schema: toSchema(b) };
          const r = v.checkCompatibility(newS, [oldS], {
            level: 'BACKWARD',
            jsonSchemaPolicy: 'strict',
          });
          const e = v.empiricalCheck(oldS, newS, { samples: 40, seed: 3 });
          if (r.compatible) expect(e.counterexamples).toEqual([]);
          else {
            narrowings++;
            if (!e.compatible) found++;
          }
        }),
        { numRuns: 100, seed: 5 },
      );
      expect(narrowings).toBeGreaterThan(30);
      expect(found / narrowings).toBeGreaterThan(0.6);
    },
  );
});
