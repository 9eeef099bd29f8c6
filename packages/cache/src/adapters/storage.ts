import { isPlinthError, uuidv7 } from '@plinth/core';
import type { Store, StoreChange } from '@plinth/storage';
import type { InvalidationBus } from '../bus/bus.js';
import { decodeBusMessage, encodeBusMessage, type BusMessage } from '../bus/message.js';
import { cacheErrors } from '../errors.js';
import type { L2Adapter } from '../l2/adapter.js';

export interface StorageL2Options {
  /** An open @plinth/storage Store (memory, SQLite, PostgreSQL…); the host owns and closes it. */
  readonly store: Store;
  /** @default 'storage:<adapter name>' */
  readonly name?: string;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function checkStore(owner: string, store: unknown): asserts store is Store {
  const s = store as Partial<Store> | undefined;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.kv?.get !== 'function' ||
    typeof s.watch !== 'function'
  ) {
    throw cacheErrors.create(
      'E_INVALID_OPTION',
      `${owner}: option "store" must be an open @plinth/storage Store`,
      {
        details: { owner, option: 'store' },
      },
    );
  }
}

function bytes(v: Uint8Array | string | number): Uint8Array {
  return v instanceof Uint8Array ? v : utf8.encode(String(v));
}

/**
 * L2 on any @plinth/storage KV space: the host's SQLite file or PostgreSQL database doubles as
 * the shared cache tier. TTLs are the KV's (`ttlMs`, swept by the store), prefix deletes page
 * through `kv.list({ prefix })`, locks are compare-and-set writes (`ifAbsent`, released with
 * `ifVersion`).
 */
export function storageL2(options: StorageL2Options): L2Adapter {
  checkStore('storageL2', options?.store);
  const { store } = options;
  const kv = store.kv;
  return {
    name: options.name ?? `storage:${store.adapter.name}`,
    capabilities: { locks: true },
    connect: () => store.lastSeq().then(() => undefined),
    async get(key) {
      const e = await kv.get(key);
      return e === undefined ? undefined : bytes(e.value);
    },
    async set(key, value, ttlMs) {
      await kv.set(key, value, ttlMs === undefined ? {} : { ttlMs: Math.max(1, Math.ceil(ttlMs)) });
    },
    delete: (key) => kv.delete(key),
    async deletePrefix(prefix) {
      let n = 0;
      let cursor: string | undefined;
      do {
        const page = await kv.list({
          prefix,
          limit: 1000,
          ...(cursor !== undefined && { cursor }),
        });
        for (const e of page.items) if (await kv.delete(e.key)) n++;
        cursor = page.cursor;
      } while (cursor !== undefined);
      return n;
    },
    async tryLock(key, token, ttlMs) {
      try {
        await kv.set(key, token, { ifAbsent: true, ttlMs: Math.max(1, Math.ceil(ttlMs)) });
        return true;
      } catch (error) {
        if (isPlinthError(error, 'E_CONFLICT')) return false;
        throw error;
      }
    },
    async unlock(key, token) {
      const e = await kv.get(key);
      if (e === undefined || fromUtf8.decode(bytes(e.value)) !== token) return false;
      try {
        await kv.delete(key, { ifVersion: e.version });
        return true;
      } catch (error) {
        if (isPlinthError(error, 'E_CONFLICT')) return false;
        throw error;
      }
    },
    close: () => Promise.resolve(),
  };
}

export interface StorageBusOptions {
  readonly store: Store;
  /** KV key prefix of bus messages. @default 'plinth-cache-bus/' */
  readonly channel?: string;
  /** Messages are KV entries that expire after this long. @default 60000 */
  readonly messageTtl?: number;
}

/**
 * Invalidation over the @plinth/storage change feed: a message is a short-lived KV entry, and
 * every instance's `store.watch` sees it (LISTEN/NOTIFY on PostgreSQL; polling on SQLite; in
 * process on memory). Ordered, and unlike pub/sub an instance that was briefly disconnected
 * catches up from its cursor.
 */
export function storageBus(options: StorageBusOptions): InvalidationBus {
  checkStore('storageBus', options?.store);
  const { store } = options;
  const channel = options.channel ?? 'plinth-cache-bus/';
  const ttlMs = options.messageTtl ?? 60_000;
  if (!Number.isFinite(ttlMs) || ttlMs < 1) {
    throw cacheErrors.create(
      'E_INVALID_OPTION',
      'storageBus: option "messageTtl" must be a number >= 1',
      {
        details: { option: 'messageTtl' },
      },
    );
  }
  let stop: (() => Promise<void>) | undefined;
  return {
    name: `storage:${store.adapter.name}`,
    async subscribe(handler: (m: BusMessage) => void) {
      stop = await store.watch(async (change: StoreChange) => {
        if (change.collection !== null || change.op !== 'put' || !change.key.startsWith(channel))
          return;
        const e = await store.kv.get(change.key);
        if (e === undefined) return;
        try {
          handler(
            decodeBusMessage(
              typeof e.value === 'string' ? e.value : fromUtf8.decode(bytes(e.value)),
            ),
          );
        } catch {
          // not a bus message: ignore
        }
      });
    },
    async publish(message) {
      await store.kv.set(`${channel}${uuidv7()}`, encodeBusMessage(message), { ttlMs });
    },
    async close() {
      await stop?.();
      stop = undefined;
    },
  };
}
