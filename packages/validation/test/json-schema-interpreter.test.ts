import fc from 'fast-check';
import * as hyperjump from '@hyperjump/json-schema/draft-2020-12';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { SchemaInterpreter } from '../src/formats/json-schema/interpreter.js';
import { jsonSchemaEngine, jsonSchemaFormat } from '../src/formats/json-schema/plugin.js';
import { ReferenceModel } from '../src/formats/json-schema/refs.js';
import { DEFAULT_LIMITS } from '../src/options.js';
import { Validation } from '../src/index.js';

/**
 * Differential: Plinth's interpreter against ajv's generated code on random 2020-12 schemas made
 * of keywords ajv implements by the specification (types, bounds, enum, const, properties,
 * required, additionalProperties, items, prefixItems, contains, the combinators, `$ref` into
 * `$defs`) and random values. Where the two disagree, `@hyperjump/json-schema` (the reference
 * implementation) decides, and the interpreter must be on its side; the figure printed says how
 * often ajv itself was the one that was wrong.
 */

const leaf = fc.oneof(
  fc.record({
    type: fc.constantFrom('string', 'number', 'integer', 'boolean', 'null', 'object', 'array'),
  }),
  fc.record({ type: fc.constant('integer'), minimum: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ type: fc.constant('number'), exclusiveMaximum: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ multipleOf: fc.constantFrom(2, 3, 0.5) }),
  fc.record({
    type: fc.constant('string'),
    minLength: fc.integer({ min: 0, max: 3 }),
    maxLength: fc.integer({ min: 2, max: 5 }),
  }),
  fc.record({ pattern: fc.constantFrom('^a', 'b$', '[0-9]') }),
  fc.record({
    enum: fc.uniqueArray(fc.constantFrom(1, 'a', null, true, 2.5), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ const: fc.constantFrom(0, 'x', false, null) }),
  fc.constant({ $ref: '#/$defs/positive' }),
  fc.boolean(),
);

const schema: fc.Arbitrary<unknown> = fc.letrec<{ s: unknown }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ allOf: fc.array(tie('s'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ anyOf: fc.array(tie('s'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ oneOf: fc.array(tie('s'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('s') }),
    fc.record({ if: tie('s'), then: tie('s'), else: tie('s') }, { requiredKeys: ['if'] }),
    fc.record(
      {
        type: fc.constant('object'),
        properties: fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('s'), { maxKeys: 2 }),
        required: fc.subarray(['a', 'b']),
        additionalProperties: tie('s'),
        minProperties: fc.integer({ min: 0, max: 2 }),
      },
      { requiredKeys: ['properties'] },
    ),
    fc.record(
      {
        type: fc.constant('array'),
        prefixItems: fc.array(tie('s'), { minLength: 1, maxLength: 2 }),
        items: tie('s'),
        contains: tie('s'),
        minItems: fc.integer({ min: 0, max: 2 }),
        uniqueItems: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  ),
})).s;

const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(0, 1, 2, -1, 2.5, 3, 'a', 'ab', 'b', 'abc1', '', true, false, null, 'x'),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('v'), { maxKeys: 3 }),
  ),
})).v;

describe('the JSON Schema interpreter against ajv (differential)', () => {
  it(
    'agrees with ajv, and with hyperjump where ajv differs, on random schemas and values',
    {
      timeout: 120_000,
    },
    async () => {
      const ajv = new Ajv2020({ strict: false });
      let pairs = 0;
      let agree = 0;
      let ajvWrong = 0;
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          schema,
          fc.array(value, { minLength: 1, maxLength: 5 }),
          async (s, values) => {
            const root = {
              $schema: 'https://json-schema.org/draft/2020-12/schema',
              $defs: { positive: { type: 'number', minimum: 0 } },
              ...(typeof s === 'boolean' ? (s ? {} : { not: {} }) : (s as object)),
            };
            const check = ajv.compile(root);
            const interpreter = new SchemaInterpreter(new ReferenceModel(root, [], '2020-12'));
            const uri = `https://differential.invalid/${n++}`;
            let registered = false;
            for (const v of values) {
              pairs++;
              const got = interpreter.test(v);
              expect(interpreter.validate(v, 100).length === 0).toBe(got);
              if (got === check(v)) {
                agree++;
                continue;
              }
              if (!registered) {
                hyperjump.registerSchema(root as never, uri);
                registered = true;
              }
              const judge = (await hyperjump.validate(uri, v as never)).valid;
              expect({ schema: root, value: v, verdict: got }).toEqual({
                schema: root,
                value: v,
                verdict: judge,
              });
              ajvWrong++;
            }
            if (registered) hyperjump.unregisterSchema(uri);
            ajv.removeSchema(root);
          },
        ),
        { seed: 20_261_204, numRuns: 400 },
      );
      console.log(
        `interpreter vs ajv: ${agree} of ${pairs} verdicts agree; the other ${ajvWrong} are ajv's errors (hyperjump sides with the interpreter)`,
      );
      expect(agree + ajvWrong).toBe(pairs);
    },
  );

  it('schemas with a tuple and contains run on the interpreter (ajv lets [] through contains)', () => {
    const validation = new Validation();
    for (const schema of [
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        prefixItems: [{ enum: [1] }],
        contains: { type: 'string' },
      },
      { items: [{ enum: [1] }], contains: { type: 'string' } },
    ]) {
      const v = validation.compile({ format: 'json-schema', schema });
      expect(v.is([])).toBe(false);
      expect(v.is([1, 'a'])).toBe(true);
    }
  });

  it('the engine is chosen from the keywords: the common cases stay on ajv', () => {
    const engine = (schema: unknown) =>
      jsonSchemaEngine(
        jsonSchemaFormat.parse({ format: 'json-schema', schema }, { limits: DEFAULT_LIMITS }),
      );
    // A draft-07 root $ref next to definitions and annotations: nothing for ajv to get wrong.
    expect(
      engine({
        $ref: '#/definitions/order',
        title: 'Order',
        definitions: { order: { type: 'object' } },
      }),
    ).toEqual({ engine: 'ajv' });
    expect(engine({ $ref: '#/definitions/a', maxLength: 2, definitions: { a: {} } })).toEqual({
      engine: 'interpreter',
      reason: '$ref siblings',
    });
    expect(
      engine({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        unevaluatedProperties: false,
      }),
    ).toEqual({ engine: 'interpreter', reason: 'unevaluated' });
    expect(engine({ type: 'object', properties: { a: { type: 'string' } } })).toEqual({
      engine: 'ajv',
    });
  });
});
