import type { Redis } from 'ioredis';
import type { InvalidationBus } from '../bus/bus.js';
import { decodeBusMessage, encodeBusMessage, type BusMessage } from '../bus/message.js';
import type { L2Adapter } from '../l2/adapter.js';
import { checkConnection, openClient, type RedisConnectionOptions } from './ioredis-loader.js';

export type { RedisConnectionOptions } from './ioredis-loader.js';

export interface RedisL2Options extends RedisConnectionOptions {
  /** Keys per SCAN step of prefix deletes. @default 500 */
  readonly scanCount?: number;
  /** @default 'redis' */
  readonly name?: string;
}

/** Deletes the lock only if it still holds our token (never another holder's lock). */
const UNLOCK =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** Escapes SCAN MATCH glob characters so a prefix matches literally. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function buffer(v: Uint8Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Lazily opens (and remembers) the client; a failed attempt is retried on the next call. */
function connector(o: RedisConnectionOptions): {
  get(): Promise<Redis>;
  owned: () => Redis | undefined;
} {
  let pending: Promise<Redis> | undefined;
  let owned: Redis | undefined;
  return {
    get() {
      if (o.client !== undefined) return Promise.resolve(o.client);
      if (owned !== undefined) return Promise.resolve(owned);
      pending ??= openClient(o, () => undefined).then(
        (c) => (owned = c),
        (error: unknown) => {
          const client = (error as { client?: Redis }).client;
          if (client !== undefined) owned = client; // reconnecting in the background
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    owned: () => owned,
  };
}

/**
 * The Redis L2 (ioredis, an optional peer loaded on first use). Values are raw bytes with `PX`
 * TTLs; prefix deletes walk `SCAN` (never `KEYS`, which blocks the server) and `UNLINK` in
 * batches; locks are `SET NX PX` with a token, released by a compare-and-delete script.
 */
export function redisL2(options: RedisL2Options): L2Adapter {
  checkConnection('redisL2', options);
  const scanCount = options.scanCount ?? 500;
  const conn = connector(options);
  let closed = false;
  const c = () => conn.get();
  return {
    name: options.name ?? 'redis',
    capabilities: { locks: true },
    async connect() {
      const client = await c();
      if (client.status !== 'ready') await client.ping();
    },
    async get(key) {
      const v = await (await c()).getBuffer(key);
      return v === null ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values = await (await c()).mgetBuffer(...keys);
      return values.map((v) =>
        v === null ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
      );
    },
    async set(key, value, ttlMs) {
      const client = await c();
      if (ttlMs === undefined) await client.set(key, buffer(value));
      else await client.set(key, buffer(value), 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async delete(key) {
      return (await (await c()).del(key)) > 0;
    },
    async deleteMany(keys) {
      const client = await c();
      let n = 0;
      for (let i = 0; i < keys.length; i += 500)
        n += await client.unlink(...keys.slice(i, i + 500));
      return n;
    },
    async deletePrefix(prefix) {
      const client = await c();
      const match = `${globEscape(prefix)}*`;
      let cursor = '0';
      let n = 0;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', scanCount);
        cursor = next;
        if (keys.length > 0) n += await client.unlink(...keys);
      } while (cursor !== '0');
      return n;
    },
    async tryLock(key, token, ttlMs) {
      return (
        (await (await c()).set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK'
      );
    },
    async unlock(key, token) {
      return (await (await c()).eval(UNLOCK, 1, key, token)) === 1;
    },
    async close() {
      if (closed) return;
      closed = true;
      const owned = conn.owned();
      if (owned !== undefined) await owned.quit().catch(() => owned.disconnect());
    },
  };
}

export interface RedisBusOptions extends RedisConnectionOptions {
  /** Pub/sub channel; every instance of one cache must use the same. @default 'plinth:cache:bus' */
  readonly channel?: string;
}

/**
 * Invalidation over Redis pub/sub: one connection publishes, a second one subscribes (a
 * subscribed connection can do nothing else). ioredis resubscribes after reconnecting; messages
 * sent meanwhile are lost (pub/sub is at-most-once), so L1 TTLs bound any staleness.
 */
export function redisBus(options: RedisBusOptions): InvalidationBus {
  checkConnection('redisBus', options);
  const channel = options.channel ?? 'plinth:cache:bus';
  const publisher = connector(options);
  const subscriber = connector({
    ...options,
    client: options.client?.duplicate(),
  } as RedisConnectionOptions);
  let closed = false;
  return {
    name: 'redis',
    async subscribe(handler: (m: BusMessage) => void) {
      const sub = await subscriber.get();
      sub.on('message', (ch: string, data: string) => {
        if (ch !== channel) return;
        let m: BusMessage;
        try {
          m = decodeBusMessage(data);
        } catch {
          return; // not ours: another producer on the channel
        }
        handler(m);
      });
      await sub.subscribe(channel);
      await publisher.get();
    },
    async publish(message) {
      await (await publisher.get()).publish(channel, encodeBusMessage(message));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const c of [publisher.owned(), subscriber.owned()]) {
        if (c !== undefined) await c.quit().catch(() => c.disconnect());
      }
      if (options.client !== undefined) {
        const dup = await subscriber.get().catch(() => undefined);
        dup?.disconnect();
      }
    },
  };
}
