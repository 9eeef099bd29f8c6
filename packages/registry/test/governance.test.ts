import { isPlinthError } from '@plinth/core';
import { memoryAdapter, openStore } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryBlobStore, type MemoryBlobStore } from '../src/index.js';
import { makeRegistry, orderV1, orderV2, type Fixture } from './helpers.js';

const DAY = 86_400_000;
let f: Fixture;
let blobs: MemoryBlobStore;
beforeEach(async () => {
  blobs = memoryBlobStore();
  f = await makeRegistry({ blobs, usageFlushMs: 1000 });
});
afterEach(async () => {
  await f.close();
});

async function many(artifact: string, versions: string[], step = DAY) {
  for (const v of versions) {
    await f.registry.publish({ artifact, kind: 'model', version: v, content: `${artifact}-${v}` });
    f.clock.advance(step);
  }
}

describe('search', () => {
  beforeEach(async () => {
    await f.registry.createArtifact({
      artifact: 'payments/orders',
      kind: 'schema',
      format: 'json-schema',
      description: 'Customer orders placed at checkout',
      labels: { tier: 'gold' },
      owner: 'team-pay',
    });
    await f.registry.publish({ artifact: 'payments/orders', schema: orderV2 });
    f.clock.advance(DAY);
    await f.registry.createArtifact({
      artifact: 'payments/refunds',
      kind: 'schema',
      format: 'json-schema',
      description: 'Refunds of orders',
      labels: { tier: 'silver' },
      owner: 'team-pay',
    });
    f.clock.advance(DAY);
    await f.registry.createArtifact({
      artifact: 'ml/churn',
      kind: 'model',
      description: 'Churn prediction model',
      owner: 'team-ml',
    });
    await f.registry.publish({ artifact: 'ml/churn', version: '1.0.0', content: 'weights' });
  });

  it('ranks full-text matches over names, descriptions, labels and schema field names', async () => {
    const r = await f.registry.search({ text: 'orders' });
    expect(r.hits.map((h) => h.artifact.artifact)).toEqual(['payments/orders', 'payments/refunds']);
    expect(r.hits[0]!.score).toBeGreaterThan(r.hits[1]!.score);
    expect(
      (await f.registry.search({ text: 'currency' })).hits.map((h) => h.artifact.artifact),
    ).toEqual(['payments/orders']);
    expect(
      (await f.registry.search({ text: 'predict' })).hits.map((h) => h.artifact.artifact),
    ).toEqual(['ml/churn']);
    expect(
      (await f.registry.search({ text: 'gold' })).hits.map((h) => h.artifact.artifact),
    ).toEqual(['payments/orders']);
  });

  it('filters by kind, labels, owner, state and created range; sorts and pages with a cursor', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    expect((await f.registry.search({ kind: 'schema' })).total).toBe(2);
    expect(
      (await f.registry.search({ labels: { tier: 'silver' } })).hits[0]?.artifact.artifact,
    ).toBe('payments/refunds');
    expect((await f.registry.search({ labels: { tier: '*' } })).total).toBe(2);
    expect((await f.registry.search({ owner: 'team-ml' })).total).toBe(1);
    expect((await f.registry.search({ state: 'active' })).total).toBe(2);
    expect(
      (await f.registry.search({ createdAfter: t0 + DAY, createdBefore: t0 + 2 * DAY })).total,
    ).toBe(2);
    const p1 = await f.registry.search({ sort: 'createdAt', order: 'asc', limit: 2 });
    expect(p1.hits.map((h) => h.artifact.artifact)).toEqual([
      'payments/orders',
      'payments/refunds',
    ]);
    const p2 = await f.registry.search({
      sort: 'createdAt',
      order: 'asc',
      limit: 2,
      cursor: p1.cursor!,
    });
    expect(p2.hits.map((h) => h.artifact.artifact)).toEqual(['ml/churn']);
    expect(p2.cursor).toBeUndefined();
  });

  it('finds artifacts by content digest and stays current after changes', async () => {
    const v = await f.registry.resolve('ml/churn');
    const r = await f.registry.search({ digest: v.digest });
    expect(r.hits.map((h) => [h.artifact.artifact, h.versions])).toEqual([['ml/churn', ['1.0.0']]]);
    await f.registry.updateArtifact('ml/churn', { description: 'Attrition forecaster' });
    expect((await f.registry.search({ text: 'attrition' })).total).toBe(1);
    await f.registry.deleteArtifact('ml/churn');
    expect((await f.registry.search({ text: 'attrition' })).total).toBe(0);
  });
});

describe('retention', () => {
  it('keeps the last N per major, young, tagged and referenced versions; dry run changes nothing', async () => {
    await many('ml/m', ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '2.0.0', '2.1.0']);
    await f.registry.setTag('ml/m', 'prod', '1.0.0');
    await f.registry.publish({
      artifact: 'ml/app',
      kind: 'config',
      version: '1.0.0',
      content: 'c',
      references: [{ name: 'm', artifact: 'ml/m', version: '1.1.0' }],
    });
    const policy = { keepLastPerMajor: 1, maxAgeMs: 2.5 * DAY, artifacts: ['ml/m'] };
    const dry = await f.registry.applyRetention(policy, { dryRun: true });
    expect(dry.removed.map((r) => r.version)).toEqual(['1.2.0']);
    const reasons = Object.fromEntries(dry.kept.map((k) => [k.version, k.reason]));
    expect(reasons['1.0.0']).toMatch(/tagged prod/);
    expect(reasons['1.1.0']).toMatch(/referenced/);
    expect(reasons['1.3.0']).toMatch(/newest 1/);
    expect(reasons['2.0.0']).toMatch(/younger/);
    expect((await f.registry.listVersions('ml/m')).length).toBe(6);
    const applied = await f.registry.applyRetention(policy);
    expect(applied.removed.map((r) => r.version)).toEqual(['1.2.0']);
    expect((await f.registry.listVersions('ml/m')).map((v) => v.version)).toEqual([
      '1.0.0',
      '1.1.0',
      '1.3.0',
      '2.0.0',
      '2.1.0',
    ]);
  });
});

describe('blob garbage collection', () => {
  it('collects blobs of hard-deleted versions only, after the grace period', async () => {
    await many('ml/m', ['1.0.0', '1.1.0']);
    await f.registry.setTag('ml/m', 'latest', '1.1.0');
    await f.registry.deleteVersion('ml/m@1.0.0', { permanent: true });
    expect((await f.registry.collectGarbage({ minAgeMs: 10 * DAY })).deleted).toEqual([]);
    const dry = await f.registry.collectGarbage({ dryRun: true, minAgeMs: 0 });
    expect(dry.deleted.length).toBe(1);
    const report = await f.registry.collectGarbage({ minAgeMs: 0 });
    expect(report.deleted.length).toBe(1);
    expect(report.bytesFreed).toBeGreaterThan(0);
    expect((await blobs.list({ prefix: 'sha256/' })).keys.length).toBe(1);
    expect(Buffer.from((await f.registry.fetch('ml/m@1.1.0')).content).toString()).toBe(
      'ml/m-1.1.0',
    );
  });

  it('is safe against a publish of the same bytes running at the same time', async () => {
    await many('ml/m', ['1.0.0', '1.1.0']);
    await f.registry.deleteVersion('ml/m@1.0.0', { permanent: true });
    // The republish and the collector race; whatever the interleaving, the bytes must survive.
    const [pub] = await Promise.all([
      f.registry.publish({
        artifact: 'ml/other',
        kind: 'model',
        version: '1.0.0',
        content: 'ml/m-1.0.0',
      }),
      f.registry.collectGarbage({ minAgeMs: 0 }),
    ]);
    const got = await f.registry.fetch(`ml/other@${pub.version.version}`);
    expect(Buffer.from(got.content).toString()).toBe('ml/m-1.0.0');
    // And the next collection leaves it alone.
    expect((await f.registry.collectGarbage({ minAgeMs: 0 })).deleted).toEqual([]);
  });
});

describe('blobs through the registry', () => {
  it('detects corruption with a typed error, never returning wrong bytes', async () => {
    await f.registry.publish({
      artifact: 'ml/m',
      kind: 'model',
      version: '1.0.0',
      content: 'the real bytes',
      compress: false,
    });
    const fresh = await makeRegistry({ blobs, store: f.store, contentCacheBytes: 0 });
    const [key] = (await blobs.list({ prefix: 'sha256/' })).keys;
    blobs.raw(key!)!.set(Buffer.from('THE'), 0);
    const err = await fresh.registry.fetch('ml/m@1.0.0').catch((e: unknown) => e);
    expect(isPlinthError(err, 'E_BLOB_CORRUPT')).toBe(true);
    await fresh.registry.close();
  });

  it('streams a large model in and out without buffering it whole, compressed', async () => {
    const chunk = Buffer.alloc(1 << 20, 7);
    async function* big() {
      for (let i = 0; i < 24; i++) yield chunk;
    }
    const r = await f.registry.publish({
      artifact: 'ml/big',
      kind: 'model',
      version: '1.0.0',
      content: big(),
      compress: true,
    });
    expect(r.version.size).toBe(24 << 20);
    let n = 0;
    for await (const c of await f.registry.openContent('ml/big@1')) n += c.byteLength;
    expect(n).toBe(24 << 20);
    await expect(f.registry.fetch('ml/big@1')).resolves.toBeDefined();
  });
});

describe('usage', () => {
  it('counts fetches in memory and writes them in batches', async () => {
    await many('ml/m', ['1.0.0']);
    for (let i = 0; i < 5; i++) await f.registry.fetch('ml/m@1');
    expect(await f.registry.usage('ml/m@1.0.0')).toMatchObject({ fetches: 5 });
    await f.registry.flushUsage();
    const other = await makeRegistry({ blobs, store: f.store });
    expect(await other.registry.usage('ml/m@1.0.0')).toMatchObject({
      fetches: 5,
      lastFetchedAt: f.clock.now(),
    });
    await other.registry.close();
  });
});

describe('export / import', () => {
  it('moves a whole registry from a memory store to SQLite, ids and blobs included', async () => {
    await f.registry.publish({
      artifact: 'payments/orders',
      kind: 'schema',
      format: 'json-schema',
      schema: orderV1,
    });
    await f.registry.publish({ artifact: 'payments/orders', schema: orderV2 });
    await f.registry.publish({
      artifact: 'ml/m',
      kind: 'model',
      version: '1.0.0',
      content: Buffer.alloc(200_000, 3),
      compress: true,
    });
    await f.registry.setTag('ml/m', 'prod', '1.0.0');
    const chunks: Uint8Array[] = [];
    for await (const c of f.registry.export()) chunks.push(c);
    const dir = await mkdtemp(join(tmpdir(), 'plinth-reg-import-'));
    const store = await openStore({ adapter: sqliteAdapter({ path: join(dir, 'r.db') }) });
    const target = await makeRegistry({ store, blobs: memoryBlobStore() });
    try {
      const res = await target.registry.import(
        (async function* () {
          yield* chunks;
        })(),
      );
      expect(res.blobs).toBe(3);
      const a = await f.registry.resolve('payments/orders');
      const b = await target.registry.resolve('payments/orders');
      expect(b).toMatchObject({ id: a.id, revision: 2, contentId: a.contentId, version: '1.1.0' });
      expect((await target.registry.fetch('ml/m@prod')).content.byteLength).toBe(200_000);
      const next = await target.registry.publish({
        artifact: 'ml/m',
        version: '1.1.0',
        content: 'new',
      });
      const ids = (await f.registry.listVersions('payments/orders')).map((v) => v.id);
      expect(ids).not.toContain(next.version.id);
      expect(next.version.id).toBeGreaterThan(Math.max(...ids));
      expect(
        await target.registry
          .import(
            (async function* () {
              yield* chunks;
            })(),
          )
          .catch((e: unknown) => (e as { code: string }).code),
      ).toBe('E_IMPORT_TARGET_NOT_EMPTY');
    } finally {
      await target.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a corrupted export and writes no metadata', async () => {
    await f.registry.publish({ artifact: 'ml/m', kind: 'model', version: '1.0.0', content: 'x' });
    let text = '';
    for await (const c of f.registry.export()) text += Buffer.from(c).toString();
    const tampered = text.replace('"1.0.0"', '"1.0.9"');
    const target = await makeRegistry({ store: await openStore({ adapter: memoryAdapter() }) });
    const err = await target.registry
      .import(
        (async function* () {
          yield Buffer.from(tampered);
        })(),
      )
      .catch((e: unknown) => e);
    expect(isPlinthError(err, 'E_IMPORT_INVALID')).toBe(true);
    expect((await target.registry.search({})).total).toBe(0);
    await target.close();
  });
});
