import { readFileSync } from 'node:fs';
import { isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, policyErrors } from '../src/index.js';

describe('error catalogue', () => {
  it('creates errors prefixed with the package name', () => {
    const e = policyErrors.create('E_INVALID_ARGUMENT', 'bad');
    expect(isPlinthError(e, 'E_INVALID_ARGUMENT')).toBe(true);
    expect(e.message).toBe('[@plinth/policy] bad');
  });

  it('every code is documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const errors = readme.slice(readme.indexOf('## Errors'));
    for (const code of Object.keys(ERROR_CODES)) expect(errors).toContain(`\`${code}\``);
  });
});
