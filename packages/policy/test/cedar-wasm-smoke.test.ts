import { describe, expect, it } from 'vitest';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

describe('the oracle loads', () => {
  it('answers a request', () => {
    const r = cedar.isAuthorized({
      principal: { type: 'User', id: 'a' },
      action: { type: 'Action', id: 'v' },
      resource: { type: 'R', id: 'r' },
      context: {},
      policies: { staticPolicies: { p: 'permit(principal, action, resource);' } },
      entities: [],
    });
    expect(r.type).toBe('success');
  });
});
