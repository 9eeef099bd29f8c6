import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolveOptions, check, uuidv7 } from '@plinth/core';
import type { BlobStat, BlobStore } from '../blob/blob-store.js';
import { listPage } from './list-page.js';
import { checkKey, notFound, tooLarge } from './memory-blob-store.js';

export interface FsBlobStoreOptions {
  /** Directory that holds the blobs (created if missing). */
  readonly root: string;
  /** fsync each object before it becomes visible. @default true */
  readonly fsync?: boolean;
  /** @default Infinity */
  readonly maxObjectBytes?: number;
}

const TMP = '.tmp';

/**
 * Blobs as files under `root`. A write goes to `root/.tmp/<uuid>`, is fsynced, then renamed into
 * place, so a reader (or a crash) never sees half an object. `sha256/<hex>` keys fan out into
 * `sha256/<first two hex>/<hex>` directories.
 */
export class FsBlobStore implements BlobStore {
  readonly name = 'fs';
  readonly maxObjectBytes: number;
  readonly #root: string;
  readonly #fsync: boolean;

  constructor(options: FsBlobStoreOptions) {
    const o = resolveOptions<FsBlobStoreOptions, { fsync: boolean; maxObjectBytes: number }>({
      package: '@plinth/registry',
      owner: 'fsBlobStore',
      spec: {
        root: { check: check.string({ nonEmpty: true }), required: true },
        fsync: check.boolean(),
        maxObjectBytes: check.number({ min: 1 }),
      },
      defaults: { fsync: true, maxObjectBytes: Infinity },
      input: options,
    });
    this.#root = o.root;
    this.#fsync = o.fsync;
    this.maxObjectBytes = o.maxObjectBytes;
  }

  #path(key: string): string {
    checkKey(key);
    const m = /^sha256\/([0-9a-f]{2})/.exec(key);
    const parts = key.split('/');
    if (m !== null) return join(this.#root, 'sha256', m[1] as string, ...parts.slice(1));
    return join(this.#root, ...parts);
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<BlobStat> {
    const final = this.#path(key);
    const tmpDir = join(this.#root, TMP);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, uuidv7());
    let size = 0;
    const max = this.maxObjectBytes;
    const counted = async function* (): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > max) throw tooLarge('fs', max);
        yield chunk;
      }
    };
    try {
      await pipeline(Readable.from(counted()), createWriteStream(tmp, { flags: 'wx' }));
      if (this.#fsync) {
        const handle = await open(tmp, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      await mkdir(dirname(final), { recursive: true });
      await rename(tmp, final);
    } catch (error) {
      await unlink(tmp).catch(() => {});
      throw error;
    }
    const s = await stat(final);
    return { size: s.size, modifiedAt: s.mtimeMs };
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const path = this.#path(key);
    const s = await stat(path).catch(() => undefined);
    if (s === undefined || !s.isFile()) return undefined;
    return createReadStream(path, { highWaterMark: 256 * 1024 });
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const s = await stat(this.#path(key)).catch(() => undefined);
    return s === undefined || !s.isFile() ? undefined : { size: s.size, modifiedAt: s.mtimeMs };
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.#path(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.#path(from);
    const dst = this.#path(to);
    await mkdir(dirname(dst), { recursive: true });
    try {
      await rename(src, dst);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('fs', from);
      throw error;
    }
  }

  async list(options: { prefix?: string; cursor?: string; limit?: number } = {}) {
    const entries = await readdir(this.#root, { recursive: true, withFileTypes: true }).catch(
      () => [],
    );
    const keys: string[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const rel = relative(this.#root, join(e.parentPath, e.name)).split(sep);
      if (rel[0] === TMP) continue;
      if (rel[0] === 'sha256' && rel.length === 3) keys.push(`sha256/${rel[2] as string}`);
      else keys.push(rel.join('/'));
    }
    return listPage(keys, options);
  }

  /** Removes every blob (tests). */
  async destroy(): Promise<void> {
    await rm(this.#root, { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}

/** A filesystem blob store rooted at `options.root`. */
export function fsBlobStore(options: FsBlobStoreOptions): FsBlobStore {
  return new FsBlobStore(options);
}
