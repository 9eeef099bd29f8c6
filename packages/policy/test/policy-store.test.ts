import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypedEmitter, isPlinthError } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import type { PolicyEvents } from '../src/events.js';
import { PolicySet } from '../src/policy-set.js';
import { PolicyStore } from '../src/policy-store.js';

const V1 = 'permit(principal == User::"alice", action, resource);';
const V2 = `${V1}\npermit(principal == User::"bob", action == Action::"read", resource);`;
const V3 = 'forbid(principal, action, resource);';

const bobReads = {
  principal: { type: 'User', id: 'bob' },
  action: { type: 'Action', id: 'read' },
  resource: { type: 'Doc', id: 'd' },
};

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isPlinthError(e, code as never), String(e)).toBe(true);
}

describe('PolicyStore over the memory adapter', () => {
  let store: Store;
  let policies: PolicyStore;
  let events: { name: string; payload: unknown }[];

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter() });
    const emitter = new TypedEmitter<PolicyEvents>();
    events = [];
    emitter.on('policies:published', (p) => events.push({ name: 'published', payload: p }));
    emitter.on('policies:activated', (p) => events.push({ name: 'activated', payload: p }));
    policies = await PolicyStore.open({ store, emitter });
  });
  afterEach(async () => {
    await policies.close();
    await store.close();
  });

  it('publishes immutable, content-addressed versions; publishing the same set twice is one version', async () => {
    const v1 = await policies.publish(PolicySet.parse(V1), { message: 'first', author: 'ada' });
    expect(v1).toMatchObject({
      name: 'default',
      version: 1,
      policies: 1,
      message: 'first',
      author: 'ada',
    });
    expect(v1.digest).toBe(PolicySet.parse(V1).digest);
    const again = await policies.publish(PolicySet.parse(V1));
    expect(again.version).toBe(1);
    const v2 = await policies.publish(PolicySet.parse(V2));
    expect(v2.version).toBe(2);
    expect((await policies.versions()).items.map((v) => v.version)).toEqual([1, 2]);
    expect((await policies.load(2)).toJson()).toEqual(PolicySet.parse(V2).toJson());
    expect((await policies.load(v1.digest)).digest).toBe(v1.digest);
    expect(events.filter((e) => e.name === 'published')).toHaveLength(2);
  });

  it('activates, keeps the history and rolls back to the previous version or any version', async () => {
    expect(await policies.active()).toBeUndefined();
    await policies.publish(PolicySet.parse(V1));
    await policies.publish(PolicySet.parse(V2));
    await policies.publish(PolicySet.parse(V3));
    await policies.activate(1);
    await policies.activate(2, { ifActive: 1, message: 'bob reads' });
    expect((await policies.active())?.version.version).toBe(2);
    const back = await policies.rollback();
    expect(back).toMatchObject({ version: 1, previous: 2 });
    await policies.rollback({ to: 3 });
    expect((await policies.active())?.version.version).toBe(3);
    const history = await policies.history();
    expect(history.items.map((a) => [a.seq, a.version, a.previous])).toEqual([
      [1, 1, undefined],
      [2, 2, 1],
      [3, 1, 2],
      [4, 3, 1],
    ]);
    expect(events.filter((e) => e.name === 'activated')).toHaveLength(4);
  });

  it('refuses a stale activation, unknown versions and bad arguments with typed errors, writing nothing', async () => {
    await policies.publish(PolicySet.parse(V1));
    await policies.publish(PolicySet.parse(V2));
    await policies.activate(1);
    await expectCode(policies.activate(2, { ifActive: null }), 'E_CONFLICT');
    await expectCode(policies.activate(2, { ifActive: 2 }), 'E_CONFLICT');
    await expectCode(policies.activate(9), 'E_NOT_FOUND');
    await expectCode(policies.activate('f'.repeat(64)), 'E_NOT_FOUND');
    await expectCode(policies.activate(-1), 'E_INVALID_ARGUMENT');
    await expectCode(policies.activate('latest'), 'E_INVALID_ARGUMENT');
    await expectCode(
      policies.publish('permit(principal, action, resource);' as never),
      'E_INVALID_ARGUMENT',
    );
    await expectCode(policies.rollback(), 'E_CONFLICT'); // nothing was active before version 1
    expect((await policies.history()).items).toHaveLength(1);
    expect((await policies.active())?.version.version).toBe(1);
    await expectCode(PolicyStore.open({ store, name: '../etc' }), 'E_INVALID_OPTION');
    await expectCode(PolicyStore.open({ store: {} as never }), 'E_INVALID_OPTION');
  });

  it('stores Long literals past 2^53 and records with a __proto__ key exactly', async () => {
    const text =
      'permit(principal, action, resource) when { context.n == 9223372036854775807 && {"__proto__": 1} has "__proto__" };';
    const v = await policies.publish(PolicySet.parse(text));
    const loaded = await policies.load(v.version);
    expect(loaded.digest).toBe(PolicySet.parse(text).digest);
    const request = { ...bobReads, context: { n: 9223372036854775807n } };
    expect(new Authorizer({ policies: loaded }).isAuthorized(request as never).decision).toBe(
      'allow',
    );
  });

  it('detects a stored version that was altered behind its back', async () => {
    const v = await policies.publish(PolicySet.parse(V1));
    const versions = store.collection<Record<string, unknown>>('policy.versions');
    const key = `default/${v.digest}`;
    const doc = (await versions.get(key))!.value;
    const tampered = PolicySet.parse(V3).toJson();
    await versions.put(key, { ...doc, policySet: tampered });
    await expectCode(policies.load(1), 'E_CONFLICT');
  });

  it('follow() swaps an authorizer on every activation; names keep policy sets apart', async () => {
    const authorizer = new Authorizer({
      policies: PolicySet.parse(V3),
      entities: EntityStore.fromJson([]),
    });
    await policies.publish(PolicySet.parse(V1));
    await policies.publish(PolicySet.parse(V2));
    await policies.activate(1);
    const stop = await policies.follow(authorizer);
    expect(authorizer.policies.digest).toBe(PolicySet.parse(V1).digest);
    expect(authorizer.isAuthorized(bobReads).decision).toBe('deny');
    await policies.activate(2);
    await vi.waitFor(() => expect(authorizer.isAuthorized(bobReads).decision).toBe('allow'));
    await stop();
    const other = await PolicyStore.open({ store, name: 'billing' });
    expect(await other.active()).toBeUndefined();
    expect((await other.versions()).items).toEqual([]);
    await other.close();
  });
});

describe('PolicyStore over SQLite', () => {
  it('keeps versions and the active version across reopening the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-policy-'));
    try {
      const path = join(dir, 'p.sqlite');
      let store = await openStore({ adapter: sqliteAdapter({ path }) });
      let policies = await PolicyStore.open({ store });
      await policies.publish(PolicySet.parse(V1));
      await policies.activate((await policies.publish(PolicySet.parse(V2))).version);
      await policies.close();
      await store.close();
      store = await openStore({ adapter: sqliteAdapter({ path }) });
      policies = await PolicyStore.open({ store });
      const active = await policies.active();
      expect(active?.version.version).toBe(2);
      expect(active?.policies.toJson()).toEqual(PolicySet.parse(V2).toJson());
      await policies.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithService('PLINTH_PG_URL', 'PolicyStore: two instances on one PostgreSQL', (url) => {
  let admin: pg.Pool;
  let schema: string;
  let stores: Store[];

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(() => {
    schema = `plinth_pol_${randomBytes(6).toString('hex')}`;
    stores = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  const open = async () => {
    const store = await openStore({ adapter: postgresAdapter({ url, schema, poolSize: 3 }) });
    stores.push(store);
    return PolicyStore.open({ store });
  };

  it('an activation on one instance reaches the other through the change feed', async () => {
    const a = await open();
    const b = await open();
    await a.publish(PolicySet.parse(V1));
    await a.activate(1);
    const authorizer = new Authorizer({ policies: PolicySet.parse(V3) });
    const stop = await b.follow(authorizer);
    expect(authorizer.policies.digest).toBe(PolicySet.parse(V1).digest);
    await a.activate((await a.publish(PolicySet.parse(V2))).version);
    await vi.waitFor(() => expect(authorizer.isAuthorized(bobReads).decision).toBe('allow'), {
      timeout: 10_000,
    });
    await stop();
    await a.close();
    await b.close();
  });

  it('two operators activating at once from the same version: exactly one wins', async () => {
    const a = await open();
    const b = await open();
    await a.publish(PolicySet.parse(V1));
    await a.publish(PolicySet.parse(V2));
    await a.publish(PolicySet.parse(V3));
    await a.activate(1);
    const results = await Promise.allSettled([
      a.activate(2, { ifActive: 1 }),
      b.activate(3, { ifActive: 1 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isPlinthError(failed.reason, 'E_CONFLICT')).toBe(true);
    expect((await b.history()).items).toHaveLength(2);
    await a.close();
    await b.close();
  });
});
