import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { policyErrors } from '../src/index.js';

describe('error catalogue', () => {
  it('creates errors prefixed with the package name', () => {
    const e = policyErrors.create('E_INVALID_ARGUMENT', 'bad');
    expect(isPlinthError(e, 'E_INVALID_ARGUMENT')).toBe(true);
    expect(e.message).toBe('[@plinth/policy] bad');
  });
});
