import { randomBytes } from 'node:crypto';
import { describeWithService } from '@plinth/core/testing';
import { PolicySet } from '@plinth/policy';
import { openStore, type Store } from '@plinth/storage';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { AccessControl } from '../src/authorize.js';
import { Directory } from '../src/directory.js';

describeWithService('PLINTH_PG_URL', 'Directory: two instances on one PostgreSQL', (url) => {
  let admin: pg.Pool;
  let schema: string;
  let stores: Store[];
  let dirs: Directory[];

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => {});
  });
  afterAll(async () => {
    await admin.end();
  });
  beforeEach(() => {
    schema = `plinth_acc_dir_${randomBytes(6).toString('hex')}`;
    stores = [];
    dirs = [];
  });
  afterEach(async () => {
    for (const d of dirs) await d.close();
    for (const s of stores) await s.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  const open = async () => {
    const store = await openStore({ adapter: postgresAdapter({ url, schema, poolSize: 3 }) });
    stores.push(store);
    const dir = await Directory.open({ store });
    dirs.push(dir);
    return dir;
  };

  it('a role revoked on one instance stops authorizing on the other within a second', async () => {
    const a = await open();
    const b = await open();
    await a.createRole({ name: 'viewer' });
    await a.createPrincipal({ id: 'alice' });
    await a.assign('alice', 'viewer', { scope: { type: 'Tenant', id: 't' } });
    const access = new AccessControl({
      directory: b,
      policies: PolicySet.parse(
        'permit(principal, action == Action::"read", resource) when { context.roles.contains(Role::"viewer") };',
      ),
    });
    const req = { principal: 'alice', action: 'read', resource: 'Tenant::"t"' } as const;
    await vi.waitFor(() => expect(access.authorize(req).allowed).toBe(true), { timeout: 5000 });
    const started = performance.now();
    await a.unassign('alice', 'viewer', { scope: { type: 'Tenant', id: 't' } });
    await vi.waitFor(() => expect(access.authorize(req).allowed).toBe(false), {
      timeout: 1000,
      interval: 2,
    });
    const ms = performance.now() - started;
    process.stdout.write(`directory change reached the other instance in ${ms.toFixed(1)} ms\n`);
    expect(ms).toBeLessThan(1000);
  });

  it('concurrent inheritance edits on two instances never store a cycle', async () => {
    const a = await open();
    const b = await open();
    await a.createRole({ name: 'x' });
    await a.createRole({ name: 'y' });
    await vi.waitFor(() => expect(b.getRole('y')).toBeDefined());
    const results = await Promise.allSettled([
      a.updateRole('x', { inherits: ['y'] }),
      b.updateRole('y', { inherits: ['x'] }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rows = await stores[0]!.collection('access.roles').list();
    const edges = rows.items.map((e) => (e.value as { inherits: string[] }).inherits.length);
    expect(edges.reduce((n, x) => n + x, 0)).toBe(1);
  });
});
