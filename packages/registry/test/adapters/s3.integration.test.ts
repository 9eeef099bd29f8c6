import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3BlobStore } from '../../src/adapters/s3.js';
import { blobStoreConformance } from '../../src/testing/index.js';
import { makeRegistry } from '../helpers.js';

// s3rver (an S3-compatible server) runs in this process on 127.0.0.1 with an ephemeral port.
describe('S3 blob store against s3rver', () => {
  let dir: string;
  let server: S3rver;
  let client: S3Client;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plinth-s3rver-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
    const { port } = await server.run();
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const create = () =>
    s3BlobStore({
      client,
      bucket: `bucket-${n++}`,
      prefix: 'reg/',
      createBucket: true,
      partSize: 5 * 1024 * 1024,
    });

  // 11 MiB: three multipart parts of 5 MiB max in memory.
  for (const c of blobStoreConformance({ create, largeBytes: 11 * 1024 * 1024 })) {
    it(c.name, c.run, 30_000);
  }

  it('serves a registry: publish, fetch by range, verified content', async () => {
    const blobs = create();
    const f = await makeRegistry({ blobs });
    try {
      await f.registry.publish({
        artifact: 'ml/model',
        kind: 'model',
        version: '1.0.0',
        content: 'weights-1',
        compress: true,
      });
      await f.registry.publish({ artifact: 'ml/model', version: '1.1.0', content: 'weights-2' });
      const got = await f.registry.fetch('ml/model@^1.0');
      expect(got.version.version).toBe('1.1.0');
      expect(Buffer.from(got.content).toString()).toBe('weights-2');
    } finally {
      await f.close();
      await blobs.close();
    }
  });
});
