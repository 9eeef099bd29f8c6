import { seededRandom } from '@plinth/core';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonSchema } from '../src/formats/json-schema/plugin.js';
import { sampleJsonSchema } from '../src/formats/json-schema/sample.js';
import { DEFAULT_LIMITS } from '../src/options.js';
import { DRAFT_2020, type Json, pairArb, randomValues } from './json-schema-pairs.js';
import { Validation } from '../src/index.js';

/**
 * The judge of JSON Schema compatibility: random realistic schema pairs (an old schema and a
 * mutation of it, sometimes an unrelated one), the checker's BACKWARD and FORWARD verdicts, and
 * instances valid under the writer schema (the package's sampler plus random values, filtered
 * by raw ajv) checked with raw ajv against the reader schema. A compatible verdict with a
 * single counterexample fails the test. Pairs called incompatible for which no sample is a
 * counterexample are counted as (possibly) conservative.
 */

const addFormats = (typeof addFormatsModule === 'function'
  ? addFormatsModule
  : (addFormatsModule as unknown as { default: typeof addFormatsModule }).default) as unknown as (
  ajv: Ajv,
) => Ajv;

/** The sampler's input: the schema as the package parses it. */
const parsedOf = (schema: Json) =>
  parseJsonSchema({ format: 'json-schema', schema }, { limits: DEFAULT_LIMITS });

describe('JSON Schema compatibility soundness (property test)', () => {
  it('no compatible verdict has a counterexample among ajv-validated instances', () => {
    const PAIRS = 3000;
    const v = new Validation({ emitFailures: false });
    // Raw ajv, as Plinth configures it (strict off, formats on); the schemas were meta-checked by
    // the parse already, and code optimisation only changes compile time.
    const options = {
      strict: false,
      validateFormats: true,
      validateSchema: false,
      addUsedSchema: false,
      code: { optimize: false },
    } as const;
    const fresh = () => ({
      draft07: addFormats(new Ajv(options)),
      draft2020: addFormats(new Ajv2020(options) as unknown as Ajv),
    });
    let ajv = fresh();
    let compiled = 0;
    const compile = (s: Json): ValidateFunction => {
      if (++compiled % 500 === 0) ajv = fresh();
      const engine =
        typeof s === 'object' && s !== null && (s as { $schema?: unknown }).$schema === DRAFT_2020
          ? ajv.draft2020
          : ajv.draft07;
      return engine.compile(typeof s === 'boolean' ? (s as never) : (s as object));
    };
    const pairs = fc.sample(pairArb, { seed: 20_261_204, numRuns: PAIRS });
    const stats = { pairs: 0, compatible: 0, incompatible: 0, conservative: 0, samples: 0 };
    const counterexamples: string[] = [];
    pairs.forEach(([old, next], index) => {
      stats.pairs++;
      const src = (s: Json) => ({ format: 'json-schema' as const, schema: s });
      let result;
      try {
        result = v.checkCompatibility(src(next), [src(old)], {
          level: 'FULL',
          jsonSchemaPolicy: 'strict',
        });
      } catch (e) {
        throw new Error(
          `${(e as Error).message}: ${JSON.stringify(old)} → ${JSON.stringify(next)}`,
        );
      }
      const breaks = (d: 'backward' | 'forward') =>
        result.violations.some((x) => x.direction === d);
      const validOld = compile(old);
      const validNew = compile(next);
      for (const dir of ['backward', 'forward'] as const) {
        const [writer, writerCheck, readerCheck] =
          dir === 'backward' ? [old, validOld, validNew] : [next, validNew, validOld];
        const guided = sampleJsonSchema(parsedOf(writer), 25, seededRandom(index + 1));
        const values = [
          ...guided,
          ...randomValues(index * 2 + (dir === 'forward' ? 1 : 0), 40, guided),
        ].filter((x) => writerCheck(x) as boolean);
        stats.samples += values.length;
        const bad = values.find((x) => !(readerCheck(x) as boolean));
        if (!breaks(dir)) {
          stats.compatible++;
          if (bad !== undefined)
            counterexamples.push(
              `${dir} #${index}: ${JSON.stringify(old)} → ${JSON.stringify(next)} rejects ${JSON.stringify(bad)}`,
            );
        } else {
          stats.incompatible++;
          if (bad === undefined) stats.conservative++;
        }
      }
    });
    const share = (stats.conservative / Math.max(1, stats.incompatible)) * 100;
    console.log(
      `JSON Schema compatibility soundness: ${stats.pairs} pairs, ${stats.compatible} compatible verdicts (of ${stats.pairs * 2} directional checks), ${counterexamples.length} counterexamples among ${stats.samples} ajv-validated samples; ${stats.conservative} of ${stats.incompatible} incompatible verdicts (${share.toFixed(1)} %) had no counterexample among the samples (upper estimate of conservatism)`,
    );
    expect(counterexamples.slice(0, 5)).toEqual([]);
  }, 120_000);
});
