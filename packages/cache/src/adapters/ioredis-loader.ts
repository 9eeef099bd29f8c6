import type { Redis, RedisOptions } from 'ioredis';
import { cacheErrors } from '../errors.js';

type RedisConstructor = new (url: string, options: RedisOptions) => Redis;

let cached: Promise<RedisConstructor> | undefined;

/** Loads ioredis on first use (an optional peer): a missing install is `E_DRIVER_MISSING`. */
export function loadIoredis(): Promise<RedisConstructor> {
  cached ??= import('ioredis').then(
    (mod) =>
      (mod as { Redis?: RedisConstructor }).Redis ??
      (mod as unknown as { default: RedisConstructor }).default,
    (error: unknown) => {
      cached = undefined;
      throw cacheErrors.create(
        'E_DRIVER_MISSING',
        'the Redis adapter needs ioredis: npm install ioredis@^5',
        {
          cause: error,
          details: { driver: 'ioredis' },
        },
      );
    },
  );
  return cached;
}

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url?: string;
  /** Your own ioredis client (you close it). Exclusive with `url`. */
  readonly client?: Redis;
  /** @default 5000 */
  readonly connectTimeout?: number;
  /** Commands that take longer fail (and L2 degrades) instead of hanging. @default 2000 */
  readonly commandTimeout?: number;
  /** `CLIENT SETNAME` of the connections (visible in `CLIENT LIST`). @default 'plinth-cache' */
  readonly connectionName?: string;
}

/** Validates the connection options (at the factory call, before any I/O). */
export function checkConnection(owner: string, o: RedisConnectionOptions | undefined): void {
  if (o === undefined || typeof o !== 'object') {
    throw cacheErrors.create(
      'E_INVALID_OPTION',
      `${owner}: options must be an object with url or client`,
      { details: { owner } },
    );
  }
  if ((o.url === undefined) === (o.client === undefined)) {
    throw cacheErrors.create(
      'E_INVALID_OPTION',
      `${owner}: give exactly one of "url" and "client"`,
      { details: { owner, option: 'url' } },
    );
  }
  if (o.url !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(o.url).protocol;
    } catch {
      protocol = '';
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw cacheErrors.create(
        'E_INVALID_OPTION',
        `${owner}: option "url" must be a redis:// or rediss:// URL, got ${JSON.stringify(o.url)}`,
        {
          details: { owner, option: 'url' },
        },
      );
    }
  }
  for (const k of ['connectTimeout', 'commandTimeout'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 1)) {
      throw cacheErrors.create(
        'E_INVALID_OPTION',
        `${owner}: option "${k}" must be a number >= 1`,
        { details: { owner, option: k } },
      );
    }
  }
}

/**
 * Opens a client that fails fast while disconnected (no offline queue, so a dead Redis makes
 * calls fail at once and the cache degrades to L1) and reconnects on its own in the background.
 */
export async function openClient(
  o: RedisConnectionOptions,
  onError: (error: unknown) => void,
): Promise<Redis> {
  const RedisClass = await loadIoredis();
  const client = new RedisClass(o.url as string, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: o.connectTimeout ?? 5_000,
    commandTimeout: o.commandTimeout ?? 2_000,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    connectionName: o.connectionName ?? 'plinth-cache',
  });
  client.on('error', onError);
  try {
    await client.connect();
  } catch (error) {
    // Keep the client: ioredis goes on reconnecting, and the cache recovers when it succeeds.
    onError(error);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { client });
  }
  return client;
}
