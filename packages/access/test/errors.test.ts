import { readFileSync } from 'node:fs';
import { isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, accessErrors } from '../src/index.js';

describe('error catalogue', () => {
  it('creates errors prefixed with the package name', () => {
    const e = accessErrors.create('E_THROTTLED', 'slow down', { details: { retryAfterMs: 1000 } });
    expect(isPlinthError(e, 'E_THROTTLED')).toBe(true);
    expect(e.message).toBe('[@plinth/access] slow down');
    expect(e.retryable).toBe(true);
  });

  it('every code is documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const errors = readme.slice(readme.indexOf('## Errors'));
    for (const code of Object.keys(ERROR_CODES)) expect(errors).toContain(`\`${code}\``);
  });
});
