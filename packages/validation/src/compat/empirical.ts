import { seededRandom } from '@plinth/core';
import { validationErrors } from '../errors.js';
import type { FormatPlugin } from '../format-plugin.js';

export interface EmpiricalOptions {
  /** `backward`: data of the previous schema read under the next one; `forward`: the reverse. @default 'backward' */
  readonly direction?: 'backward' | 'forward';
  /** How many samples to draw. @default 200 */
  readonly samples?: number;
  /** Seed of the sample generator, for reproducible runs. @default 1 */
  readonly seed?: number;
  /** Most counterexamples returned. @default 5 */
  readonly maxCounterexamples?: number;
}

export interface Counterexample {
  readonly value: unknown;
  readonly reason: string;
}

export interface EmpiricalResult {
  /** No sample failed. (A proof only of these samples, not of every datum.) */
  readonly compatible: boolean;
  readonly direction: 'backward' | 'forward';
  readonly tried: number;
  readonly failed: number;
  readonly counterexamples: readonly Counterexample[];
}

/** Generates data from the writer schema and tries to read each datum with the reader schema. */
export function empiricalCheck(
  plugin: FormatPlugin,
  previous: unknown,
  next: unknown,
  options: EmpiricalOptions,
): EmpiricalResult {
  const support = plugin.empirical;
  if (support === undefined) {
    throw validationErrors.create(
      'E_UNSUPPORTED',
      `format "${plugin.format}" cannot generate sample data`,
      { details: { format: plugin.format } },
    );
  }
  const direction = options.direction ?? 'backward';
  const count = options.samples ?? 200;
  const max = options.maxCounterexamples ?? 5;
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw validationErrors.create(
      'E_INVALID_ARGUMENT',
      'empiricalCheck(): samples must be an integer between 1 and 100000',
    );
  }
  const [writer, reader] = direction === 'backward' ? [previous, next] : [next, previous];
  const values = support.sample(writer, count, seededRandom(options.seed ?? 1));
  const counterexamples: Counterexample[] = [];
  let failed = 0;
  for (const value of values) {
    const r = support.read(writer, reader, value);
    if (!r.ok) {
      failed++;
      if (counterexamples.length < max) counterexamples.push({ value, reason: r.reason });
    }
  }
  return { compatible: failed === 0, direction, tried: values.length, failed, counterexamples };
}
