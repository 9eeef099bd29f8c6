import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';
import { samplePattern } from '../src/formats/json-schema/pattern-sample.js';
import { seededRandom } from '@plinth/core';

describe('pattern sampling for the empirical check', () => {
  it.each([
    '^[a-z]{3}-\\d{2,4}$',
    '^(EUR|USD|GBP)$',
    '^\\w+@\\w+\\.com$',
    '^[A-Z][a-z0-9_]*$',
    'ab?c*',
    '^(?:x|yz)+$',
  ])('%s', (p) => {
    const random = seededRandom(7);
    const re = new RegExp(p, 'u');
    for (let k = 0; k < 20; k++) {
      const s = samplePattern(p, random);
      expect(s).toBeDefined();
      expect(re.test(s as string)).toBe(true);
    }
  });

  it('gives up on what it does not understand', () => {
    expect(samplePattern('^[^a]+$', Math.random)).toBeUndefined();
    expect(samplePattern('(?=x)', Math.random)).toBeUndefined();
    expect(samplePattern('\\p{L}', Math.random)).toBeUndefined();
  });

  it('lets the empirical check find documents a new pattern rejects', () => {
    const v = new Validation();
    const a = { format: 'json-schema', schema: { type: 'string', pattern: '^[a-z]{2,5}$' } };
    const b = { format: 'json-schema', schema: { type: 'string', pattern: '^[a-c]{2,5}$' } };
    expect(v.empiricalCheck(a, b, { samples: 30 }).compatible).toBe(false);
    expect(v.empiricalCheck(b, a, { samples: 30 }).compatible).toBe(true);
  });
});
