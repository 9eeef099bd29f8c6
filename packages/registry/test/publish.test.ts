import { isPlinthError } from '@plinth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry, type RegistryEvents } from '../src/index.js';
import { makeRegistry, orderBreaking, orderV1, orderV2, type Fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeRegistry();
});
afterEach(async () => {
  await f.close();
});

const schema = (s: unknown, extra: object = {}) => ({
  artifact: 'payments/orders',
  kind: 'schema',
  format: 'json-schema',
  schema: s,
  ...extra,
});

describe('options', () => {
  it('rejects bad options naming them', () => {
    expect(() => new Registry({ store: f.store, idBlockSize: 0 })).toThrow(/idBlockSize/);
    expect(() => new Registry({ store: f.store, limits: { maxLabels: -1 } })).toThrow(
      /limits.maxLabels/,
    );
    expect(
      () => new Registry({ store: f.store, defaultRules: { compatibility: 'SOME' } as never }),
    ).toThrow(/compatibility/);
    expect(() => new Registry({ store: f.store, nope: 1 } as never)).toThrow(/unknown option/);
  });

  it('refuses calls before open() and after close()', async () => {
    const r = new Registry({ store: f.store });
    await expect(r.resolve('a/b')).rejects.toMatchObject({ code: 'E_CLOSED' });
    await r.open();
    await r.close();
    await expect(r.resolve('a/b')).rejects.toMatchObject({ code: 'E_CLOSED' });
  });
});

describe('publish', () => {
  it('creates the artifact, allocates id, revision, contentId and digest', async () => {
    const r = await f.registry.publish(schema(orderV1, { actor: 'alice' }));
    expect(r.created).toBe(true);
    expect(r.version).toMatchObject({
      artifact: 'payments/orders',
      version: '1.0.0',
      revision: 1,
      state: 'active',
    });
    expect(r.version.id).toBeGreaterThan(0);
    expect(r.version.contentId).toBeGreaterThan(0);
    expect(r.version.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const art = await f.registry.getArtifact('payments/orders');
    expect(art.tags.latest?.version).toBe('1.0.0');
    expect(art.createdBy).toBe('alice');
  });

  it('is idempotent: the same content returns the existing version', async () => {
    const a = await f.registry.publish(schema(orderV1));
    const b = await f.registry.publish(
      schema({ required: ['id'], properties: orderV1.properties, type: 'object' }),
    );
    expect(b.created).toBe(false);
    expect(b.version.id).toBe(a.version.id);
    expect((await f.registry.listVersions('payments/orders')).length).toBe(1);
  });

  it('bumps automatically from the schema diff: additive → minor', async () => {
    await f.registry.publish(schema(orderV1));
    const r = await f.registry.publish(schema(orderV2));
    expect(r.version.version).toBe('1.1.0');
    expect(r.version.revision).toBe(2);
    expect(r.bump).toBe('minor');
    expect(r.changes.length).toBeGreaterThan(0);
  });

  it('rejects an incompatible schema with the diff in details, writing nothing', async () => {
    await f.registry.publish(schema(orderV1));
    const before = await f.registry.audit();
    const err = await f.registry
      .publish(schema(orderBreaking, { version: '1.1.0' }))
      .catch((e: unknown) => e);
    expect(isPlinthError(err, 'E_INCOMPATIBLE')).toBe(true);
    const details = (err as { details: { violations: unknown[]; level: string } }).details;
    expect(details.level).toBe('BACKWARD');
    expect(details.violations.length).toBeGreaterThan(0);
    expect((await f.registry.listVersions('payments/orders')).map((v) => v.version)).toEqual([
      '1.0.0',
    ]);
    expect((await f.registry.audit()).entries.length).toBe(before.entries.length);
  });

  it('allows a breaking change as a new major when the compatibility group is the major', async () => {
    await f.registry.publish(schema(orderV1));
    await f.registry.setRules(
      { scope: 'artifact', artifact: 'payments/orders' },
      { compatibilityGroup: 'major' },
    );
    const r = await f.registry.publish(schema(orderBreaking));
    expect(r.bump).toBe('major');
    expect(r.version.version).toBe('2.0.0');
  });

  it('rejects an invalid schema under the validity rule', async () => {
    const err = await f.registry.publish(schema({ type: 'no-such-type' })).catch((e: unknown) => e);
    expect(isPlinthError(err, 'E_INVALID_SCHEMA')).toBe(true);
    await expect(f.registry.getArtifact('payments/orders')).rejects.toMatchObject({
      code: 'E_UNKNOWN_ARTIFACT',
    });
  });

  it('refuses an existing version with other content (immutable)', async () => {
    await f.registry.publish({
      artifact: 'ml/churn',
      kind: 'model',
      version: '1.0.0',
      content: 'weights-a',
    });
    const err = await f.registry
      .publish({ artifact: 'ml/churn', version: '1.0.0', content: 'weights-b' })
      .catch((e: unknown) => e);
    expect(isPlinthError(err, 'E_VERSION_EXISTS')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details.version).toBe('1.0.0');
  });

  it('uses the caller-given bump for non-schema artifacts and needs one', async () => {
    await f.registry.publish({ artifact: 'ml/churn', kind: 'model', content: 'w1', bump: 'minor' });
    const b = await f.registry.publish({ artifact: 'ml/churn', content: 'w2', bump: 'minor' });
    expect(b.version.version).toBe('1.1.0');
    const p = await f.registry.publish({
      artifact: 'ml/churn',
      content: 'w3',
      bump: 'major',
      preid: 'rc',
    });
    expect(p.version.version).toBe('2.0.0-rc.0');
    await expect(f.registry.publish({ artifact: 'ml/churn', content: 'w4' })).rejects.toMatchObject(
      {
        code: 'E_INVALID_ARGUMENT',
      },
    );
  });

  it('gives identical content the same contentId across artifacts', async () => {
    const a = await f.registry.publish(schema(orderV1));
    const b = await f.registry.publish({ ...schema(orderV1), artifact: 'billing/orders' });
    const c = await f.registry.publish({ ...schema(orderV2), artifact: 'billing/orders2' });
    expect(b.version.contentId).toBe(a.version.contentId);
    expect(b.version.id).not.toBe(a.version.id);
    expect(c.version.contentId).not.toBe(a.version.contentId);
    const got = await f.registry.getContent(a.version.contentId);
    expect(got.versions.map((v) => v.artifact).sort()).toEqual([
      'billing/orders',
      'payments/orders',
    ]);
    expect(JSON.parse(Buffer.from(got.content).toString())).toEqual(orderV1);
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ artifact: 'nogroup', kind: 'model', content: 'x', version: '1.0.0' }, 'E_INVALID_NAME'],
      [{ artifact: 'a/b', kind: 'model', content: 'x', version: '1.0' }, 'E_INVALID_VERSION'],
      [{ artifact: 'a/b', content: 'x', version: '1.0.0' }, 'E_UNKNOWN_ARTIFACT'],
      [
        {
          artifact: 'a/b',
          kind: 'model',
          content: 'x',
          version: '1.0.0',
          description: 'x'.repeat(70_000),
        },
        'E_METADATA_TOO_LARGE',
      ],
      [
        {
          artifact: 'a/b',
          kind: 'model',
          content: 'x',
          version: '1.0.0',
          references: [{ name: 'r', artifact: 'a/c', version: '1.0.0' }],
        },
        'E_BROKEN_REFERENCE',
      ],
      [
        { artifact: 'a/b', kind: 'model', content: 'x', version: '1.0.0', tags: ['1.x'] },
        'E_INVALID_NAME',
      ],
      [{ artifact: 'a/b', kind: 'Bad Kind', content: 'x', version: '1.0.0' }, 'E_INVALID_ARGUMENT'],
      [
        {
          artifact: 'a/b',
          kind: 'model',
          content: 'x',
          version: '1.0.0',
          digest: `sha256:${'0'.repeat(64)}`,
        },
        'E_DIGEST_MISMATCH',
      ],
    ];
    for (const [input, code] of cases) {
      const err = await f.registry.publish(input as never).catch((e: unknown) => e);
      expect(isPlinthError(err, code), `${code}: ${String(err)}`).toBe(true);
    }
    expect((await f.registry.search({})).total).toBe(0);
    expect((await f.registry.audit()).entries).toEqual([]);
  });

  it('emits artifact:created, artifact:published and tag:moved after commit', async () => {
    const seen: string[] = [];
    f.registry.subscribe((name) => seen.push(name));
    const published: RegistryEvents['artifact:published'][] = [];
    f.registry.on('artifact:published', (p) => published.push(p));
    await f.registry.publish(schema(orderV1, { actor: 'ci' }));
    expect(seen).toEqual(['artifact:created', 'artifact:published', 'tag:moved']);
    expect(published[0]).toMatchObject({
      artifact: 'payments/orders',
      version: '1.0.0',
      actor: 'ci',
    });
  });

  it('publishes a batch atomically: one bad item writes nothing', async () => {
    const ok = { artifact: 'cfg/app', kind: 'config', content: '{"a":1}', version: '1.0.0' };
    const bad = { artifact: 'cfg/app', content: '{"a":2}', version: 'nope' };
    await expect(f.registry.publishMany([ok, bad])).rejects.toMatchObject({
      code: 'E_INVALID_VERSION',
    });
    const res = await f.registry.publishMany([
      ok,
      { artifact: 'cfg/app', content: '{"a":2}', bump: 'minor' },
      { artifact: 'cfg/app', content: '{"a":3}', bump: 'patch' },
    ]);
    expect(res.map((r) => r.version.version)).toEqual(['1.0.0', '1.1.0', '1.1.1']);
    expect(res.map((r) => r.version.revision)).toEqual([1, 2, 3]);
    expect((await f.registry.resolve('cfg/app')).version).toBe('1.1.1');
  });

  it('records one tag history entry per tag for a batch, spanning its moves', async () => {
    await f.registry.publish({ artifact: 'cfg/h', kind: 'config', content: 'a', version: '1.0.0' });
    const moved: string[] = [];
    f.registry.on('tag:moved', (e) => moved.push(`${e.tag}:${e.from}>${e.to}`));
    await f.registry.publishMany([
      { artifact: 'cfg/h', content: 'b', version: '1.1.0', tags: ['prod'] },
      { artifact: 'cfg/h', content: 'c', version: '1.2.0', tags: ['prod'] },
      { artifact: 'cfg/h', content: 'd', version: '1.3.0' },
    ]);
    expect(moved).toEqual([
      'latest:1.0.0>1.1.0',
      'prod:null>1.1.0',
      'latest:1.1.0>1.2.0',
      'prod:1.1.0>1.2.0',
      'latest:1.2.0>1.3.0',
    ]);
    const latest = (await f.registry.tagHistory('cfg/h', 'latest')).entries;
    expect(latest.map((e) => [e.from, e.to])).toEqual([
      [null, '1.0.0'],
      ['1.0.0', '1.3.0'],
    ]);
    const prod = (await f.registry.tagHistory('cfg/h', 'prod')).entries;
    expect(prod.map((e) => [e.from, e.to])).toEqual([[null, '1.2.0']]);
  });
});
