import { check, resolveOptions, systemClock, type Clock } from '@plinth/core';
import type { Store } from '@plinth/storage';
import type { BlobStat, BlobStore } from '../blob/blob-store.js';
import { checkKey, notFound, tooLarge } from './memory-blob-store.js';

export interface StorageBlobStoreOptions {
  /** The host's store; blobs go to its KV space. */
  readonly store: Store;
  /** KV key prefix. @default 'registry.blob/' */
  readonly prefix?: string;
  /** Largest object (KV values are held in memory whole). @default 4194304 (4 MiB) */
  readonly maxObjectBytes?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

const HEADER = 8;

/**
 * Small blobs in the metadata store's KV space (one value per object, an 8-byte header holding
 * the write time). The default blob store: schemas and configs need nothing else, and they are
 * backed up and replicated with the rest of the store.
 */
export class StorageBlobStore implements BlobStore {
  readonly name = 'storage';
  readonly maxObjectBytes: number;
  readonly #store: Store;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(options: StorageBlobStoreOptions) {
    const o = resolveOptions<
      StorageBlobStoreOptions,
      { prefix: string; maxObjectBytes: number; clock: Clock }
    >({
      package: '@plinth/registry',
      owner: 'storageBlobStore',
      spec: {
        store: { check: check.implementing<Store>('transaction', 'collection'), required: true },
        prefix: check.string({ nonEmpty: true }),
        maxObjectBytes: check.number({ min: 1, max: 256 * 1024 * 1024, integer: true }),
        clock: check.implementing<Clock>('now'),
      },
      defaults: { prefix: 'registry.blob/', maxObjectBytes: 4 * 1024 * 1024, clock: systemClock },
      input: options,
    });
    this.#store = o.store;
    this.#prefix = o.prefix;
    this.maxObjectBytes = o.maxObjectBytes;
    this.#clock = o.clock;
  }

  /** @internal The KV key of an object (the registry writes small blobs inside its transactions). */
  kvKey(key: string): string {
    checkKey(key);
    return this.#prefix + key;
  }

  /** @internal The stored form of an object written at `now`. */
  encode(bytes: Uint8Array, now: number): Uint8Array {
    const value = Buffer.allocUnsafe(HEADER + bytes.byteLength);
    value.writeDoubleBE(now, 0);
    value.set(bytes, HEADER);
    return value;
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<BlobStat> {
    checkKey(key);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > this.maxObjectBytes) throw tooLarge(this.name, this.maxObjectBytes);
      chunks.push(chunk);
    }
    const modifiedAt = this.#clock.now();
    const value = Buffer.allocUnsafe(HEADER + size);
    value.writeDoubleBE(modifiedAt, 0);
    let at = HEADER;
    for (const c of chunks) {
      value.set(c, at);
      at += c.byteLength;
    }
    await this.#store.kv.set(this.#prefix + key, value);
    return { size, modifiedAt };
  }

  async #read(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const entry = await this.#store.kv.get(this.#prefix + key);
    const v = entry?.value;
    return v instanceof Uint8Array && v.byteLength >= HEADER ? v : undefined;
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const v = await this.#read(key);
    if (v === undefined) return undefined;
    const body = v.subarray(HEADER);
    return (async function* () {
      yield body;
    })();
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const v = await this.#read(key);
    if (v === undefined) return undefined;
    return {
      size: v.byteLength - HEADER,
      modifiedAt: Buffer.from(v.buffer, v.byteOffset, HEADER).readDoubleBE(0),
    };
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return this.#store.kv.delete(this.#prefix + key);
  }

  async move(from: string, to: string): Promise<void> {
    checkKey(to);
    const v = await this.#read(from);
    if (v === undefined) throw notFound(this.name, from);
    await this.#store.transaction(async (tx) => {
      await tx.kv.set(this.#prefix + to, v);
      if (from !== to) await tx.kv.delete(this.#prefix + from);
    });
  }

  async list(options: { prefix?: string; cursor?: string; limit?: number } = {}) {
    const limit = options.limit ?? 1000;
    const page = await this.#store.kv.list({
      prefix: this.#prefix + (options.prefix ?? ''),
      limit,
      ...(options.cursor !== undefined && { gte: this.#prefix + options.cursor + '\u0000' }),
    });
    const keys = page.items.map((e) => e.key.slice(this.#prefix.length));
    return { keys, cursor: keys.length === limit ? keys[keys.length - 1] : undefined };
  }

  async close(): Promise<void> {}
}

/** Blobs in the store's KV space (small blobs). */
export function storageBlobStore(options: StorageBlobStoreOptions): StorageBlobStore {
  return new StorageBlobStore(options);
}
