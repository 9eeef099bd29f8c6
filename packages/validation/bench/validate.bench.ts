import { bench, describe } from 'vitest';
import { Validation } from '../src/index.js';

/** Micro-benchmarks of the hot paths (the anchor comparisons live in benchmarks/suites/validation.ts). */
const v = new Validation({ emitFailures: false });
const json = v.compile({
  format: 'json-schema',
  schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
});
const avro = v.compile({
  format: 'avro',
  schema: { type: 'record', name: 'R', fields: [{ name: 'id', type: 'string' }] },
});
const a = {
  format: 'avro',
  schema: { type: 'record', name: 'R', fields: [{ name: 'id', type: 'string' }] },
};
const b = {
  format: 'avro',
  schema: {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'int', default: 0 },
    ],
  },
};

describe('validate', () => {
  bench('json-schema validate()', () => {
    json.validate({ id: 'x' });
  });
  bench('avro validate()', () => {
    avro.validate({ id: 'x' });
  });
});

describe('compatibility', () => {
  bench('avro FULL check (parsed sources)', () => {
    v.checkCompatibility(b, [a], { level: 'FULL' });
  });
});
