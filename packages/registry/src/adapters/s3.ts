import { check, resolveOptions } from '@plinth/core';
import type * as S3 from '@aws-sdk/client-s3';
import { registryErrors } from '../errors.js';
import type { BlobStat, BlobStore } from '../blob/blob-store.js';
import { checkKey, notFound, tooLarge } from './memory-blob-store.js';

export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket (e.g. `registry/`). @default '' */
  readonly prefix?: string;
  /** A configured client; else one is built from `clientConfig`. */
  readonly client?: S3.S3Client;
  /** Passed to `new S3Client()` (region, endpoint, credentials, forcePathStyle). */
  readonly clientConfig?: S3.S3ClientConfig;
  /** Multipart part size: the most bytes held in memory per upload. @default 8388608 (8 MiB) */
  readonly partSize?: number;
  /** @default 5 TiB (S3's object limit) */
  readonly maxObjectBytes?: number;
  /** Create the bucket on first use if it does not exist. @default false */
  readonly createBucket?: boolean;
}

type S3Module = typeof S3;

let modulePromise: Promise<S3Module> | undefined;

async function loadS3(): Promise<S3Module> {
  modulePromise ??= import('@aws-sdk/client-s3').catch((cause: unknown) => {
    modulePromise = undefined;
    throw registryErrors.create(
      'E_DRIVER_MISSING',
      's3BlobStore needs @aws-sdk/client-s3: npm install @aws-sdk/client-s3',
      { cause },
    );
  });
  return modulePromise;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Blobs in an S3-compatible bucket through `@aws-sdk/client-s3` (an optional peer, loaded on
 * first use). Uploads stream: bodies up to one part go in one `PutObject`, larger ones as a
 * multipart upload holding one part in memory at a time; S3 makes an object visible only once
 * the upload completes, so readers never see half of one.
 */
export class S3BlobStore implements BlobStore {
  readonly name = 's3';
  readonly maxObjectBytes: number;
  readonly #options: Readonly<S3BlobStoreOptions> & { prefix: string; partSize: number };
  #client: S3.S3Client | undefined;
  #ready: Promise<{ s3: S3Module; client: S3.S3Client }> | undefined;
  readonly #ownsClient: boolean;

  constructor(options: S3BlobStoreOptions) {
    const o = resolveOptions<
      S3BlobStoreOptions,
      { prefix: string; partSize: number; maxObjectBytes: number; createBucket: boolean }
    >({
      package: '@plinth/registry',
      owner: 's3BlobStore',
      spec: {
        bucket: { check: check.string({ nonEmpty: true }), required: true },
        prefix: check.string(),
        client: check.implementing<S3.S3Client>('send'),
        clientConfig: check.object<S3.S3ClientConfig>(),
        partSize: check.number({ min: 5 * 1024 * 1024, integer: true }),
        maxObjectBytes: check.number({ min: 1 }),
        createBucket: check.boolean(),
      },
      defaults: {
        prefix: '',
        partSize: 8 * 1024 * 1024,
        maxObjectBytes: 5 * 1024 ** 4,
        createBucket: false,
      },
      input: options,
    });
    this.#options = o;
    this.maxObjectBytes = o.maxObjectBytes;
    this.#client = o.client;
    this.#ownsClient = o.client === undefined;
  }

  #init(): Promise<{ s3: S3Module; client: S3.S3Client }> {
    this.#ready ??= (async () => {
      const s3 = await loadS3();
      this.#client ??= new s3.S3Client(this.#options.clientConfig ?? {});
      const client = this.#client;
      if (this.#options.createBucket === true) {
        try {
          await client.send(new s3.HeadBucketCommand({ Bucket: this.#options.bucket }));
        } catch {
          await client.send(new s3.CreateBucketCommand({ Bucket: this.#options.bucket }));
        }
      }
      return { s3, client };
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  #key(key: string): string {
    checkKey(key);
    return this.#options.prefix + key;
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<BlobStat> {
    const Key = this.#key(key);
    const { s3, client } = await this.#init();
    const Bucket = this.#options.bucket;
    const partSize = this.#options.partSize;
    let buffered: Uint8Array[] = [];
    let bufferedBytes = 0;
    let total = 0;
    let uploadId: string | undefined;
    const parts: { ETag: string; PartNumber: number }[] = [];
    const flush = async () => {
      const Body = Buffer.concat(buffered, bufferedBytes);
      buffered = [];
      bufferedBytes = 0;
      if (uploadId === undefined) {
        const created = await client.send(new s3.CreateMultipartUploadCommand({ Bucket, Key }));
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const res = await client.send(
        new s3.UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body }),
      );
      parts.push({ ETag: res.ETag ?? '', PartNumber });
    };
    try {
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > this.maxObjectBytes) throw tooLarge('s3', this.maxObjectBytes);
        buffered.push(new Uint8Array(chunk));
        bufferedBytes += chunk.byteLength;
        if (bufferedBytes >= partSize) await flush();
      }
      if (uploadId === undefined) {
        await client.send(
          new s3.PutObjectCommand({
            Bucket,
            Key,
            Body: Buffer.concat(buffered, bufferedBytes),
            ContentLength: bufferedBytes,
          }),
        );
      } else {
        if (bufferedBytes > 0) await flush();
        await client.send(
          new s3.CompleteMultipartUploadCommand({
            Bucket,
            Key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      }
    } catch (error) {
      if (uploadId !== undefined) {
        await client
          .send(new s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }))
          .catch(() => {});
      }
      throw error;
    }
    return { size: total, modifiedAt: Date.now() };
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const Key = this.#key(key);
    const { s3, client } = await this.#init();
    try {
      const res = await client.send(new s3.GetObjectCommand({ Bucket: this.#options.bucket, Key }));
      return res.Body as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    const Key = this.#key(key);
    const { s3, client } = await this.#init();
    try {
      const res = await client.send(
        new s3.HeadObjectCommand({ Bucket: this.#options.bucket, Key }),
      );
      return { size: res.ContentLength ?? 0, modifiedAt: res.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.stat(key)) !== undefined;
    if (!existed) return false;
    const { s3, client } = await this.#init();
    await client.send(
      new s3.DeleteObjectCommand({ Bucket: this.#options.bucket, Key: this.#key(key) }),
    );
    return true;
  }

  async move(from: string, to: string): Promise<void> {
    if ((await this.stat(from)) === undefined) throw notFound('s3', from);
    const { s3, client } = await this.#init();
    const Bucket = this.#options.bucket;
    await client.send(
      new s3.CopyObjectCommand({
        Bucket,
        Key: this.#key(to),
        CopySource: `${Bucket}/${encodeURIComponent(this.#key(from)).replace(/%2F/g, '/')}`,
      }),
    );
    if (from !== to) {
      await client.send(new s3.DeleteObjectCommand({ Bucket, Key: this.#key(from) }));
    }
  }

  /**
   * ListObjects (v1) with `Marker`: the cursor is the last key of the page, as for the other
   * stores (v1 paging is supported by every S3-compatible server, v2 tokens are not everywhere).
   */
  async list(options: { prefix?: string; cursor?: string; limit?: number } = {}) {
    const { s3, client } = await this.#init();
    const base = this.#options.prefix;
    const res = await client.send(
      new s3.ListObjectsCommand({
        Bucket: this.#options.bucket,
        Prefix: base + (options.prefix ?? ''),
        MaxKeys: options.limit ?? 1000,
        ...(options.cursor !== undefined && { Marker: base + options.cursor }),
      }),
    );
    const keys = (res.Contents ?? [])
      .map((c) => c.Key ?? '')
      .filter((k) => k.startsWith(base))
      .map((k) => k.slice(base.length));
    return { keys, cursor: res.IsTruncated === true ? keys[keys.length - 1] : undefined };
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client?.destroy();
    this.#client = this.#ownsClient ? undefined : this.#client;
    this.#ready = undefined;
  }
}

/** Blobs in an S3-compatible bucket (`@plinth/registry/adapters/s3`). */
export function s3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  return new S3BlobStore(options);
}
