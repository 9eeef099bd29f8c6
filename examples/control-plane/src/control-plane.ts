import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOptions, check, systemClock, type Clock, type OptionSpec } from '@plinth/core';
import { createCache, type Cache, type CacheNamespace } from '@plinth/cache';
import { PromotionEngine } from '@plinth/promotion';
import { Registry } from '@plinth/registry';
import { openStore, type Store } from '@plinth/storage';
import { Validation } from '@plinth/validation';
import Fastify, { type FastifyInstance } from 'fastify';
import { controlPlaneErrors } from './errors.js';
import { DEFAULT_PIPELINES, toPipelineDefinitions, type PipelineSpec } from './pipelines.js';
import {
  clientErrorHandler,
  connectHandler,
  drainBody,
  frameworkError,
  sendError,
} from './http-errors.js';
import { registerConfluent } from './routes/confluent.js';
import { checkQuery, setQuery, type RouteSpec } from './routes/route.js';
import { ROUTE_TABLE, methodsAt } from './routes/table.js';
import { ValidatorCache } from './validator-cache.js';

export interface ControlPlaneOptions {
  /** Directory of the SQLite database (`plinth.db`) when no PostgreSQL URL is given. @default './data' */
  readonly dataDir?: string;
  /** PostgreSQL connection string; the store then lives there. @default none */
  readonly pgUrl?: string;
  /** PostgreSQL schema of the store's tables. @default 'plinth' */
  readonly pgSchema?: string;
  /** Redis URL: an L2 cache (and invalidation bus) in front of schema lookups. @default none */
  readonly redisUrl?: string;
  /** Key prefix of the cache in Redis. @default 'plinth:control-plane' */
  readonly cachePrefix?: string;
  /** Bearer token mutating routes require; without it they are open. @default none */
  readonly adminToken?: string;
  /** Where the Confluent Schema Registry API is mounted. @default '/confluent' */
  readonly confluentPrefix?: string;
  /** Largest request body, bytes. @default 1048576 */
  readonly bodyLimit?: number;
  /** Pipelines as JSON (see README). @default dev → staging → prod */
  readonly pipelines?: readonly PipelineSpec[];
  readonly clock?: Clock;
  /** Fastify's request logging. @default false */
  readonly logger?: boolean;
}

export const DEFAULT_CONTROL_PLANE_OPTIONS = Object.freeze({
  dataDir: './data',
  pgSchema: 'plinth',
  cachePrefix: 'plinth:control-plane',
  confluentPrefix: '/confluent',
  bodyLimit: 1_048_576,
  pipelines: DEFAULT_PIPELINES,
  clock: systemClock,
  logger: false,
});

const SPEC: OptionSpec<ControlPlaneOptions> = {
  dataDir: check.string({ nonEmpty: true }),
  pgUrl: check.string({ pattern: /^postgres(ql)?:\/\// }),
  pgSchema: check.string({ pattern: /^[a-z_][a-z0-9_]{0,47}$/ }),
  redisUrl: check.string({ pattern: /^rediss?:\/\// }),
  cachePrefix: check.string({ nonEmpty: true }),
  adminToken: check.string({ nonEmpty: true }),
  confluentPrefix: check.string({ pattern: /^\/[A-Za-z0-9._~/-]*$/ }),
  bodyLimit: check.number({ min: 1024, integer: true }),
  pipelines: check.custom('an array of pipeline specs', (v) => Array.isArray(v)),
  clock: check.implementing('now', 'setTimeout'),
  logger: check.boolean(),
};

/** What route modules get. */
export interface Services {
  readonly store: Store;
  readonly registry: Registry;
  readonly validation: Validation;
  readonly promotion: PromotionEngine;
  readonly cache: Cache;
  readonly lookups: CacheNamespace;
  readonly validators: ValidatorCache;
  readonly adminToken: string | undefined;
}

export interface ControlPlane {
  readonly app: FastifyInstance;
  readonly services: Services;
  /** Listens on `host:port` (port 0 = ephemeral) and returns the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, finishes in-flight requests, then closes engine, registry, cache and store. */
  close(): Promise<void>;
}

async function openBackingStore(o: ControlPlaneOptions & typeof DEFAULT_CONTROL_PLANE_OPTIONS) {
  if (o.pgUrl !== undefined) {
    const { postgresAdapter } = await import('@plinth/storage/adapters/postgres');
    return openStore({ adapter: postgresAdapter({ url: o.pgUrl, schema: o.pgSchema }) });
  }
  mkdirSync(o.dataDir, { recursive: true });
  const { sqliteAdapter } = await import('@plinth/storage/adapters/sqlite');
  return openStore({ adapter: sqliteAdapter({ path: join(o.dataDir, 'plinth.db') }) });
}

async function openCache(o: ControlPlaneOptions & typeof DEFAULT_CONTROL_PLANE_OPTIONS) {
  const base = { prefix: o.cachePrefix, ttl: 300_000, clock: o.clock } as const;
  if (o.redisUrl === undefined) return createCache(base);
  const { redisL2, redisBus } = await import('@plinth/cache/adapters/redis');
  return createCache({
    ...base,
    l2: redisL2({ url: o.redisUrl }),
    bus: redisBus({ url: o.redisUrl, channel: `${o.cachePrefix}:bus` }),
  });
}

/** Builds the control plane (store, registry, validation, promotion, cache, HTTP app). */
export async function createControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const o = resolveOptions<ControlPlaneOptions, typeof DEFAULT_CONTROL_PLANE_OPTIONS>({
    package: '@plinth/example-control-plane',
    owner: 'createControlPlane',
    defaults: DEFAULT_CONTROL_PLANE_OPTIONS,
    spec: SPEC,
    input: options,
  });
  const pipelines = toPipelineDefinitions(o.pipelines);
  const store = await openBackingStore(o);
  const closers: Array<() => Promise<void>> = [() => store.close()];
  const closeAllNow = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const validation = new Validation({ clock: o.clock });
    closers.push(() => validation.close());
    const registry = await new Registry({ store, validation, clock: o.clock }).open();
    closers.push(() => registry.close());
    const promotion = new PromotionEngine({
      store,
      pipelines,
      clock: o.clock,
      resolver: registry,
      handlerPolicy: { timeoutMs: 30_000, retries: 1, retryDelayMs: 200 },
    });
    await promotion.open();
    closers.push(() => promotion.close());
    const cache = await openCache(o);
    closers.push(() => cache.close());
    const services: Services = {
      store,
      registry,
      validation,
      promotion,
      cache,
      lookups: cache.namespace('lookups'),
      validators: new ValidatorCache(registry, validation),
      adminToken: o.adminToken,
    };
    const state = { closing: false };
    const app = buildApp(services, o, state);
    let closing: Promise<void> | undefined;
    return {
      app,
      services,
      async listen(port = 0, host = '127.0.0.1') {
        return app.listen({ port, host });
      },
      close() {
        closing ??= (async () => {
          state.closing = true;
          await app.close(); // stops accepting; waits for in-flight requests
          await closeAllNow();
        })();
        return closing;
      },
    };
  } catch (error) {
    await closeAllNow();
    throw error;
  }
}

function buildApp(
  s: Services,
  o: ControlPlaneOptions & typeof DEFAULT_CONTROL_PLANE_OPTIONS,
  state: { closing: boolean },
): FastifyInstance {
  const prefix = o.confluentPrefix;
  const app = Fastify({
    logger: o.logger,
    bodyLimit: o.bodyLimit,
    // Answered by the onRequest hook below, as a problem document.
    return503OnClosing: false,
    frameworkErrors: frameworkError(prefix),
    clientErrorHandler: clientErrorHandler(prefix),
  });
  app.server.on('connect', connectHandler(prefix));
  guardRouteTable(app, prefix);
  app.addHook('onSend', async (req, reply) => {
    // Answered before the body was read: drop the rest first, then answer and close.
    if (req.raw.complete) return;
    void reply.header('connection', 'close');
    await drainBody(req.raw);
  });
  app.setErrorHandler((error, req, reply) => sendError(reply, req, prefix, error));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const allowed = methodsAt(path, prefix);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendError(
        reply,
        req,
        prefix,
        controlPlaneErrors.create(
          'E_METHOD_NOT_ALLOWED',
          `${req.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`,
        ),
      );
    }
    return sendError(
      reply,
      req,
      prefix,
      controlPlaneErrors.create('E_NOT_FOUND', `no route ${req.method} ${path}`),
    );
  });
  app.addHook('onRequest', async (req, reply) => {
    if (state.closing) {
      void reply.header('connection', 'close');
      throw controlPlaneErrors.create('E_CLOSED', 'the service is shutting down');
    }
    if (s.adminToken === undefined) return;
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    if ((req.routeOptions.config as { readOnly?: boolean } | undefined)?.readOnly === true) return;
    if (isConfluentRead(req.method, req.url, prefix)) return;
    if (!authorized(req.headers.authorization, s.adminToken)) {
      throw controlPlaneErrors.create(
        'E_UNAUTHENTICATED',
        'this route changes state: send "Authorization: Bearer <admin token>"',
      );
    }
  });
  for (const spec of ROUTE_TABLE.native) register(app, s, spec);
  registerConfluent(app, s, prefix);
  return app;
}

/**
 * Every route the app serves must come from the route table (which the HTTP fuzz model is built
 * from): a route registered any other way stops the app from being built, so no route can escape
 * the query checks and the fuzz suite. The Confluent mount is one catch-all scope that dispatches
 * through `CONFLUENT_ROUTES`; HEAD routes are the ones Fastify derives from GET routes.
 */
function guardRouteTable(app: FastifyInstance, prefix: string): void {
  const declared = new Set(ROUTE_TABLE.native.map((r) => `${r.method} ${r.url}`));
  app.addHook('onRoute', (route) => {
    if (route.prefix === prefix) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const want = method === 'HEAD' ? `GET ${route.url}` : `${method} ${route.url}`;
      if (!declared.has(want)) {
        throw controlPlaneErrors.create(
          'E_UNDECLARED_ROUTE',
          `route ${method} ${route.url} is not in ROUTE_TABLE; declare it there (with its query parameters) so the checks and the fuzz model cover it`,
        );
      }
    }
  });
}

/** One native route: its query is checked against the declaration before the handler runs. */
function register(app: FastifyInstance, s: Services, spec: RouteSpec): void {
  app.route({
    method: spec.method,
    url: spec.url,
    config: { readOnly: spec.readOnly === true },
    preValidation: async (req) => setQuery(req, checkQuery(spec, req.query)),
    handler: async (req, reply) => spec.handler(s, req, reply),
  });
}

/** Confluent lookups and compatibility checks are POSTs that change nothing. */
function isConfluentRead(method: string, url: string, prefix: string): boolean {
  if (method !== 'POST') return false;
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith(`${prefix}/`)) return false;
  const rest = path.slice(prefix.length);
  return rest.startsWith('/compatibility/') || /^\/subjects\/[^/]+\/?$/.test(rest);
}

function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  if (header.startsWith('Bearer ')) return header.slice(7) === token;
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === token;
  }
  return false;
}
