import { createGunzip, createGzip } from 'node:zlib';
import { StreamingDigest, digestOf, isPlinthError, uuidv7, type Digest } from '@plinth/core';
import { registryErrors } from '../errors.js';
import type { ContentInput } from '../types.js';
import type { BlobStore } from './blob-store.js';
import { collect, once, through, toBytes } from './streams.js';

export type Compression = 'gzip' | null;

export interface StoredBlob {
  readonly digest: Digest;
  /** Uncompressed bytes. */
  readonly size: number;
  readonly compression: Compression;
  /** The bytes themselves when they were given in memory (for the content cache). */
  readonly bytes: Uint8Array | undefined;
}

/** Object key of a digest's bytes. */
export function blobKey(digest: Digest, compression: Compression): string {
  return `sha256/${digest.slice('sha256:'.length)}${compression === 'gzip' ? '.gz' : ''}`;
}

/** The digest and compression an object key stands for, or undefined for other keys. */
export function parseBlobKey(
  key: string,
): { digest: Digest; compression: Compression } | undefined {
  const m = /^sha256\/([0-9a-f]{64})(\.gz)?$/.exec(key);
  if (m === null) return undefined;
  return { digest: `sha256:${m[1] as string}`, compression: m[2] === undefined ? null : 'gzip' };
}

function isStream(value: unknown): value is AsyncIterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

function wrapStoreError(error: unknown, op: string, store: string): unknown {
  if (isPlinthError(error)) return error;
  return registryErrors.create('E_BLOB_STORE', `blob store "${store}" failed to ${op}`, {
    cause: error,
    details: { store, op },
  });
}

/**
 * Content addressing over a {@link BlobStore}: sha256 of the uncompressed bytes, stored once,
 * optional gzip, verified on every read, streamed both ways (memory stays bounded by chunk size).
 */
export class BlobLayer {
  readonly store: BlobStore;
  readonly #maxBytes: number;

  constructor(store: BlobStore, maxBytes: number) {
    this.store = store;
    this.#maxBytes = Math.min(maxBytes, store.maxObjectBytes);
  }

  /** Which stored form of `digest` exists, if any. */
  async locate(digest: Digest): Promise<Compression | undefined> {
    try {
      if ((await this.store.stat(blobKey(digest, null))) !== undefined) return null;
      if ((await this.store.stat(blobKey(digest, 'gzip'))) !== undefined) return 'gzip';
      return undefined;
    } catch (error) {
      throw wrapStoreError(error, 'stat', this.store.name);
    }
  }

  /**
   * Stores content and returns its digest. Bytes already present (in either form) are not
   * written again. A given `expected` digest is verified; a stream with an expected digest goes
   * straight to its final key, one without is staged and moved once its digest is known.
   */
  async write(
    content: ContentInput,
    options: { expected?: Digest | undefined; compress: boolean },
  ): Promise<StoredBlob> {
    const compression: Compression = options.compress ? 'gzip' : null;
    if (!isStream(content)) {
      const bytes = toBytes(content);
      this.#checkSize(bytes.byteLength);
      const digest = digestOf(bytes);
      this.#checkExpected(options.expected, digest);
      const existing = await this.locate(digest);
      if (existing !== undefined) {
        return { digest, size: bytes.byteLength, compression: existing, bytes };
      }
      await this.#put(blobKey(digest, compression), once(bytes), compression);
      return { digest, size: bytes.byteLength, compression, bytes };
    }
    const hasher = new StreamingDigest();
    const expected = options.expected;
    const max = this.#maxBytes;
    const hashed = async function* (self: BlobLayer): AsyncGenerator<Uint8Array> {
      for await (const chunk of content) {
        hasher.update(chunk);
        if (hasher.bytes > max) self.#checkSize(hasher.bytes);
        yield chunk;
      }
      if (expected !== undefined) self.#checkExpected(expected, hasher.digest());
    };
    if (expected !== undefined) {
      const existing = await this.locate(expected);
      if (existing !== undefined) {
        // Already stored: verify the caller's bytes anyway, without storing them.
        for await (const chunk of hashed(this)) void chunk;
        return { digest: expected, size: hasher.bytes, compression: existing, bytes: undefined };
      }
      await this.#put(blobKey(expected, compression), hashed(this), compression);
      return { digest: expected, size: hasher.bytes, compression, bytes: undefined };
    }
    const staging = `staging/${uuidv7()}`;
    await this.#put(staging, hashed(this), compression);
    const digest = hasher.digest();
    try {
      const existing = await this.locate(digest);
      if (existing !== undefined) {
        await this.store.delete(staging);
        return { digest, size: hasher.bytes, compression: existing, bytes: undefined };
      }
      await this.store.move(staging, blobKey(digest, compression));
    } catch (error) {
      await this.store.delete(staging).catch(() => false);
      throw wrapStoreError(error, 'move', this.store.name);
    }
    return { digest, size: hasher.bytes, compression, bytes: undefined };
  }

  /** The verified bytes of `digest` as a stream; a mismatch throws `E_BLOB_CORRUPT` at the end. */
  async *read(digest: Digest, compression: Compression): AsyncGenerator<Uint8Array> {
    let source: AsyncIterable<Uint8Array> | undefined;
    try {
      source = await this.store.get(blobKey(digest, compression));
    } catch (error) {
      throw wrapStoreError(error, 'read', this.store.name);
    }
    if (source === undefined) {
      throw registryErrors.create('E_BLOB_NOT_FOUND', `no bytes stored for ${digest}`, {
        details: { digest, store: this.store.name },
      });
    }
    const hasher = new StreamingDigest();
    const plain = compression === 'gzip' ? through(source, createGunzip()) : source;
    try {
      for await (const chunk of plain) {
        hasher.update(chunk);
        yield chunk;
      }
    } catch (error) {
      if (isPlinthError(error)) throw error;
      throw registryErrors.create('E_BLOB_CORRUPT', `blob ${digest} cannot be read back`, {
        cause: error,
        details: { digest, store: this.store.name },
      });
    }
    const actual = hasher.digest();
    if (actual !== digest) {
      throw registryErrors.create(
        'E_BLOB_CORRUPT',
        `blob ${digest} is corrupted: its bytes hash to ${actual}`,
        { details: { digest, actual, store: this.store.name } },
      );
    }
  }

  /** The verified bytes of `digest` in memory (for small contents). */
  readAll(digest: Digest, compression: Compression, max: number): Promise<Uint8Array> {
    return collect(this.read(digest, compression), max, () =>
      registryErrors.create(
        'E_CONTENT_TOO_LARGE',
        `blob ${digest} is larger than ${max} bytes; stream it with openContent()`,
        { details: { digest, max } },
      ),
    );
  }

  async delete(digest: Digest, compression: Compression): Promise<boolean> {
    try {
      return await this.store.delete(blobKey(digest, compression));
    } catch (error) {
      throw wrapStoreError(error, 'delete', this.store.name);
    }
  }

  async #put(key: string, body: AsyncIterable<Uint8Array>, compression: Compression) {
    const stored = compression === 'gzip' ? through(body, createGzip()) : body;
    try {
      await this.store.put(key, stored);
    } catch (error) {
      throw wrapStoreError(error, 'write', this.store.name);
    }
  }

  #checkSize(size: number): void {
    if (size > this.#maxBytes) {
      throw registryErrors.create(
        'E_CONTENT_TOO_LARGE',
        `content is larger than ${this.#maxBytes} bytes (blob store "${this.store.name}")`,
        { details: { max: this.#maxBytes, store: this.store.name } },
      );
    }
  }

  #checkExpected(expected: Digest | undefined, actual: Digest): void {
    if (expected !== undefined && expected !== actual) {
      throw registryErrors.create(
        'E_DIGEST_MISMATCH',
        `content hashes to ${actual}, not to the given ${expected}`,
        { details: { expected, actual } },
      );
    }
  }
}
