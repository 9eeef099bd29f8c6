import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, type ControlPlane } from '../src/control-plane.js';
import { ROUTE_TABLE } from '../src/routes/table.js';

describe('the route table', () => {
  let dir: string;
  let cp: ControlPlane;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-cp-routes-'));
    cp = await createControlPlane({ dataDir: dir });
  });
  afterAll(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every declared native route', () => {
    for (const r of ROUTE_TABLE.native) {
      expect(cp.app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url}`).toBe(true);
    }
  });

  it('refuses a route registered outside the table, so the fuzz model always covers every route', () => {
    expect(() => cp.app.get('/v1/undeclared', async () => ({ ok: true }))).toThrow(
      expect.objectContaining({ code: 'E_UNDECLARED_ROUTE' }),
    );
    expect(() =>
      cp.app.route({ method: 'DELETE', url: '/healthz', handler: async () => ({}) }),
    ).toThrow(/not in ROUTE_TABLE/);
  });
});
