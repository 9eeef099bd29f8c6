import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, memoryAdapter, type Store } from '@plinth/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore, memoryBlobStore, storageBlobStore } from '../../src/index.js';
import { blobStoreConformance } from '../../src/testing/index.js';

describe('memory blob store', () => {
  for (const c of blobStoreConformance({ create: () => memoryBlobStore() })) it(c.name, c.run);
});

describe('filesystem blob store', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'plinth-registry-fs-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });
  let n = 0;
  for (const c of blobStoreConformance({
    create: () => fsBlobStore({ root: join(base, String(n++)), fsync: false }),
  })) {
    it(c.name, c.run);
  }

  it('rejects a missing root option naming it', () => {
    expect(() => fsBlobStore({} as never)).toThrow(/root/);
  });
});

describe('storage-backed blob store', () => {
  const stores: Store[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });
  for (const c of blobStoreConformance({
    maxObjectBytes: 64 * 1024,
    create: async () => {
      const store = await openStore({ adapter: memoryAdapter() });
      stores.push(store);
      return storageBlobStore({ store, maxObjectBytes: 64 * 1024 });
    },
  })) {
    it(c.name, c.run);
  }
});
