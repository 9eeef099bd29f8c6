import { CONFLUENT_ROUTES } from '@plinth/registry/confluent';
import { ARTIFACT_ROUTES } from './artifacts.js';
import { PROMOTION_ROUTES } from './promotion.js';
import type { RouteSpec } from './route.js';
import { VALIDATION_ROUTES } from './validation.js';

const HEALTH_ROUTES: readonly RouteSpec[] = [
  { method: 'GET', url: '/healthz', query: {}, handler: async () => ({ status: 'ok' }) },
  {
    method: 'GET',
    url: '/readyz',
    query: {},
    handler: async (s) => {
      await s.store.kv.get('plinth.control-plane.ready');
      return { status: 'ready' };
    },
  },
];

/**
 * Every route the service answers: the native routes (each with its query parameters) and the
 * Confluent API's routes (relative to its mount). The app is built from this table, and so is
 * the HTTP fuzz model, which fails when a route here has no generator.
 */
export const ROUTE_TABLE = Object.freeze({
  native: Object.freeze([
    ...HEALTH_ROUTES,
    ...ARTIFACT_ROUTES,
    ...VALIDATION_ROUTES,
    ...PROMOTION_ROUTES,
  ]) as readonly RouteSpec[],
  confluent: CONFLUENT_ROUTES,
});

function matches(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return false;
  return want.every((w, i) => (w.startsWith(':') ? got[i] !== '' : w === got[i]));
}

/** The methods of the routes whose path matches `path` (for 405 and `Allow`). */
export function methodsAt(path: string, confluentPrefix: string): string[] {
  const methods = new Set<string>();
  for (const r of ROUTE_TABLE.native) if (matches(r.url, path)) methods.add(r.method);
  if (path === confluentPrefix || path.startsWith(`${confluentPrefix}/`)) {
    const rest = path.slice(confluentPrefix.length).replace(/^\/+|\/+$/g, '');
    for (const r of ROUTE_TABLE.confluent) {
      const pattern = r.path.replace(/\*/g, ':p');
      if (rest === '' ? r.path === '' : matches(pattern, rest)) methods.add(r.method);
    }
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
