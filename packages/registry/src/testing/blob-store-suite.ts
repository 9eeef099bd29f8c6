import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { isPlinthError } from '@plinth/core';
import type { BlobStore } from '../blob/blob-store.js';
import { BlobLayer } from '../blob/blob-layer.js';

/** One conformance case: a name and a test body (framework-agnostic). */
export interface ConformanceCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export interface BlobStoreSuiteOptions {
  /** A fresh, empty store per case. */
  readonly create: () => Promise<BlobStore> | BlobStore;
  /** Called after each case with the store `create` returned. */
  readonly destroy?: (store: BlobStore) => Promise<void> | void;
  /** Size of the "large" streamed object; keep it above the store's part size. @default 3 MiB */
  readonly largeBytes?: number;
  /** The store refuses objects above this (storage-backed stores). @default none */
  readonly maxObjectBytes?: number;
}

async function readAll(source: AsyncIterable<Uint8Array> | undefined): Promise<Buffer> {
  assert.ok(source !== undefined, 'expected an object');
  const chunks: Buffer[] = [];
  for await (const c of source) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

/**
 * The one conformance suite every {@link BlobStore} passes. Test files turn the cases into tests:
 *
 * ```ts
 * for (const c of blobStoreConformance({ create: () => fsBlobStore({ root }) })) it(c.name, c.run);
 * ```
 */
export function blobStoreConformance(options: BlobStoreSuiteOptions): ConformanceCase[] {
  const large = options.largeBytes ?? 3 * 1024 * 1024;
  const withStore = (fn: (store: BlobStore) => Promise<void>) => async (): Promise<void> => {
    const store = await options.create();
    try {
      await fn(store);
    } finally {
      await options.destroy?.(store);
      await store.close();
    }
  };
  const cases: ConformanceCase[] = [
    {
      name: 'put then get returns the same bytes; stat reports the size',
      run: withStore(async (store) => {
        const bytes = randomBytes(1000);
        const stat = await store.put('sha256/aa11', chunksOf(bytes, 100));
        assert.equal(stat.size, 1000);
        assert.deepEqual(await readAll(await store.get('sha256/aa11')), bytes);
        assert.equal((await store.stat('sha256/aa11'))?.size, 1000);
      }),
    },
    {
      name: 'absent keys read as undefined and delete returns false',
      run: withStore(async (store) => {
        assert.equal(await store.get('sha256/missing'), undefined);
        assert.equal(await store.stat('sha256/missing'), undefined);
        assert.equal(await store.delete('sha256/missing'), false);
      }),
    },
    {
      name: 'an empty object round-trips',
      run: withStore(async (store) => {
        await store.put('empty', chunksOf(new Uint8Array(0), 1));
        assert.equal((await readAll(await store.get('empty'))).byteLength, 0);
        assert.equal((await store.stat('empty'))?.size, 0);
      }),
    },
    {
      name: 'put overwrites and delete removes',
      run: withStore(async (store) => {
        await store.put('k/one', chunksOf(Buffer.from('first'), 2));
        await store.put('k/one', chunksOf(Buffer.from('second'), 3));
        assert.equal((await readAll(await store.get('k/one'))).toString(), 'second');
        assert.equal(await store.delete('k/one'), true);
        assert.equal(await store.get('k/one'), undefined);
      }),
    },
    {
      name: 'a body that throws midway stores nothing and the error propagates',
      run: withStore(async (store) => {
        const boom = new Error('source failed');
        async function* failing(): AsyncGenerator<Uint8Array> {
          yield Buffer.from('partial data');
          throw boom;
        }
        await assert.rejects(store.put('sha256/bb22', failing()), (e) => e === boom);
        assert.equal(await store.stat('sha256/bb22'), undefined);
        const listed = await store.list({});
        assert.deepEqual(listed.keys, []);
      }),
    },
    {
      name: 'move renames an object; moving a missing one is E_BLOB_NOT_FOUND',
      run: withStore(async (store) => {
        await store.put('staging/x', chunksOf(Buffer.from('moved'), 5));
        await store.move('staging/x', 'sha256/cc33');
        assert.equal(await store.stat('staging/x'), undefined);
        assert.equal((await readAll(await store.get('sha256/cc33'))).toString(), 'moved');
        await assert.rejects(store.move('staging/none', 'sha256/dd44'), (e) =>
          isPlinthError(e, 'E_BLOB_NOT_FOUND'),
        );
      }),
    },
    {
      name: 'list pages through keys under a prefix in ascending order',
      run: withStore(async (store) => {
        const keys = ['sha256/0a', 'sha256/0b', 'sha256/1c', 'sha256/2d', 'staging/zz'];
        for (const k of keys) await store.put(k, chunksOf(Buffer.from(k), 4));
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ prefix: 'sha256/', limit: 2, ...(cursor && { cursor }) });
          assert.ok(page.keys.length <= 2);
          seen.push(...page.keys);
          cursor = page.cursor;
        } while (cursor !== undefined);
        assert.deepEqual(seen, keys.slice(0, 4));
      }),
    },
    {
      name: 'invalid keys are refused with E_INVALID_ARGUMENT',
      run: withStore(async (store) => {
        for (const key of ['../etc/passwd', '/abs', 'a//b', '']) {
          await assert.rejects(store.stat(key), (e) => isPlinthError(e, 'E_INVALID_ARGUMENT'));
        }
      }),
    },
    {
      name: 'content addressing on top: stored once, compressed, verified, corruption detected',
      run: withStore(async (store) => {
        const layer = new BlobLayer(store, Number.MAX_SAFE_INTEGER);
        const text = 'hello registry '.repeat(200);
        const a = await layer.write(text, { compress: true });
        const b = await layer.write(Buffer.from(text), { compress: true });
        assert.equal(a.digest, b.digest);
        assert.equal(a.compression, 'gzip');
        const keys = (await store.list({ prefix: 'sha256/' })).keys;
        assert.equal(keys.length, 1);
        const back = await layer.readAll(a.digest, 'gzip', 1 << 20);
        assert.equal(Buffer.from(back).toString(), text);
        // Replace the bytes with something else: reading must fail, never return wrong data.
        await store.put(keys[0] as string, chunksOf(Buffer.from('not gzip at all'), 4));
        await assert.rejects(layer.readAll(a.digest, 'gzip', 1 << 20), (e) =>
          isPlinthError(e, 'E_BLOB_CORRUPT'),
        );
        const plain = await layer.write('plain content', { compress: false });
        await store.put(`sha256/${plain.digest.slice(7)}`, chunksOf(Buffer.from('tampered!'), 4));
        await assert.rejects(layer.readAll(plain.digest, null, 1 << 20), (e) =>
          isPlinthError(e, 'E_BLOB_CORRUPT'),
        );
      }),
    },
  ];
  if (options.maxObjectBytes === undefined) {
    cases.push({
      name: 'a large object streams in and out, staged then moved under its digest',
      run: withStore(async (store) => {
        const layer = new BlobLayer(store, Number.MAX_SAFE_INTEGER);
        const bytes = randomBytes(large);
        const hex = createHash('sha256').update(bytes).digest('hex');
        const stored = await layer.write(chunksOf(bytes, 64 * 1024), { compress: false });
        assert.equal(stored.digest, `sha256:${hex}`);
        assert.equal(stored.size, large);
        assert.deepEqual((await store.list({ prefix: 'staging/' })).keys, []);
        const hash = createHash('sha256');
        let n = 0;
        for await (const chunk of layer.read(stored.digest, null)) {
          hash.update(chunk);
          n += chunk.byteLength;
        }
        assert.equal(n, large);
        assert.equal(hash.digest('hex'), hex);
      }),
    });
  } else {
    const max = options.maxObjectBytes;
    cases.push({
      name: 'objects above the size limit are refused with E_CONTENT_TOO_LARGE',
      run: withStore(async (store) => {
        await assert.rejects(
          store.put('sha256/big', chunksOf(new Uint8Array(max + 1), 4096)),
          (e) => isPlinthError(e, 'E_CONTENT_TOO_LARGE'),
        );
        assert.equal(await store.stat('sha256/big'), undefined);
      }),
    });
  }
  cases.push({
    name: 'a streamed upload with a wrong expected digest stores nothing',
    run: withStore(async (store) => {
      const layer = new BlobLayer(store, Number.MAX_SAFE_INTEGER);
      const wrong = `sha256:${'0'.repeat(64)}` as const;
      await assert.rejects(
        layer.write(chunksOf(Buffer.from('some bytes'), 3), { expected: wrong, compress: false }),
        (e) => isPlinthError(e, 'E_DIGEST_MISMATCH'),
      );
      assert.deepEqual((await store.list({})).keys, []);
    }),
  });
  return cases;
}
