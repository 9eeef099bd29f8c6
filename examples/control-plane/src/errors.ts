import { defineErrors } from '@plinth/core';

/** The control plane's own error catalogue (the packages' codes pass through unchanged). */
export const controlPlaneErrors = defineErrors('@plinth/example-control-plane', {
  E_INVALID_OPTION: { description: 'A configuration option (env, flag or option) is bad.' },
  E_INVALID_ARGUMENT: { description: 'A request parameter or body field is missing or malformed.' },
  E_UNAUTHENTICATED: { description: 'A mutating route was called without the admin token.' },
  E_NOT_FOUND: { description: 'No route matches the path.' },
  E_METHOD_NOT_ALLOWED: { description: 'The path exists, but not with this method (405).' },
  E_CLOSED: { description: 'The service is shutting down (503).' },
  E_UNDECLARED_ROUTE: {
    description: 'A route was registered outside the route table (a build error of the app).',
  },
});
