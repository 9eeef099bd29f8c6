import { registryErrors } from '../errors.js';
import { isBlobKey, type BlobStat, type BlobStore } from '../blob/blob-store.js';
import { listPage } from './list-page.js';

export interface MemoryBlobStoreOptions {
  /** @default Infinity */
  readonly maxObjectBytes?: number;
  /** Time source for `modifiedAt`. @default Date.now */
  readonly now?: () => number;
}

/** Blobs in process memory: the test double, same semantics as the durable stores. */
export class MemoryBlobStore implements BlobStore {
  readonly name = 'memory';
  readonly maxObjectBytes: number;
  readonly #objects = new Map<string, { bytes: Uint8Array; modifiedAt: number }>();
  readonly #now: () => number;

  constructor(options: MemoryBlobStoreOptions = {}) {
    this.maxObjectBytes = options.maxObjectBytes ?? Infinity;
    this.#now = options.now ?? Date.now;
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<BlobStat> {
    checkKey(key);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > this.maxObjectBytes) throw tooLarge(this.name, this.maxObjectBytes);
      chunks.push(new Uint8Array(chunk));
    }
    const stat = { size, modifiedAt: this.#now() };
    this.#objects.set(key, { bytes: Buffer.concat(chunks, size), modifiedAt: stat.modifiedAt });
    return stat;
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    checkKey(key);
    const o = this.#objects.get(key);
    if (o === undefined) return undefined;
    const bytes = o.bytes;
    return (async function* () {
      for (let i = 0; i < bytes.byteLength; i += 65536) yield bytes.subarray(i, i + 65536);
    })();
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    checkKey(key);
    const o = this.#objects.get(key);
    return o === undefined ? undefined : { size: o.bytes.byteLength, modifiedAt: o.modifiedAt };
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key);
    return this.#objects.delete(key);
  }

  async move(from: string, to: string): Promise<void> {
    checkKey(from);
    checkKey(to);
    const o = this.#objects.get(from);
    if (o === undefined) throw notFound(this.name, from);
    this.#objects.set(to, o);
    if (from !== to) this.#objects.delete(from);
  }

  async list(options: { prefix?: string; cursor?: string; limit?: number } = {}) {
    return listPage([...this.#objects.keys()], options);
  }

  /** Test hook: the raw stored bytes (to corrupt them in tests). */
  raw(key: string): Uint8Array | undefined {
    return this.#objects.get(key)?.bytes;
  }

  async close(): Promise<void> {}
}

/** In-memory blob store (tests, ephemeral hosts). */
export function memoryBlobStore(options: MemoryBlobStoreOptions = {}): MemoryBlobStore {
  return new MemoryBlobStore(options);
}

export function checkKey(key: string): void {
  if (!isBlobKey(key)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', `invalid blob key ${JSON.stringify(key)}`, {
      details: { key: String(key) },
    });
  }
}

export function tooLarge(store: string, max: number) {
  return registryErrors.create(
    'E_CONTENT_TOO_LARGE',
    `object is larger than the ${store} blob store's limit of ${max} bytes`,
    { details: { store, max } },
  );
}

export function notFound(store: string, key: string) {
  return registryErrors.create(
    'E_BLOB_NOT_FOUND',
    `no object "${key}" in the ${store} blob store`,
    {
      details: { store, key },
    },
  );
}
