import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroUser, start, type Running } from './helpers.js';

let svc: Running;
let health: Server;
let healthy = true;
beforeAll(async () => {
  health = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end(healthy ? 'ok' : 'down');
  });
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  const port = (health.address() as { port: number }).port;
  svc = await start({
    pipelines: [
      {
        name: 'shop',
        stages: [
          { name: 'dev' },
          { name: 'staging', upstream: ['dev'], autoPromote: true },
          {
            name: 'prod',
            upstream: ['staging'],
            approvals: {
              levels: [{ name: 'leads', required: 2, approvers: ['bob', 'cat', 'dan'] }],
            },
            verification: { gates: [{ kind: 'http', url: `http://127.0.0.1:${port}/health` }] },
          },
        ],
      },
    ],
  });
  await svc.call('POST', '/v1/artifacts/shop/users/versions', {
    schema: avroUser(),
    format: 'avro',
  });
});
afterAll(async () => {
  await svc.stop();
  await new Promise((r) => health.close(r));
});

async function ship(version: string) {
  const rel = await svc.call('POST', '/v1/releases', {
    name: 'users',
    artifacts: [`shop/users@${version}`],
  });
  expect(rel.status).toBe(201);
  const dev = await svc.call(
    'POST',
    '/v1/promotions?wait=true',
    { pipeline: 'shop', stage: 'dev', releaseId: rel.json.id },
    { principal: 'ann' },
  );
  expect(dev.json.state).toBe('succeeded');
  const prod = await svc.call(
    'POST',
    '/v1/promotions?wait=true',
    { pipeline: 'shop', stage: 'prod', releaseId: rel.json.id },
    { principal: 'ann' },
  );
  expect(prod.json.state).toBe('awaiting_approval');
  return { release: rel.json, prod: prod.json };
}

describe('promotion routes', () => {
  it('lists pipelines (JSON view) and rejects unknown ones', async () => {
    const p = await svc.call('GET', '/v1/pipelines');
    expect(p.json[0].name).toBe('shop');
    expect(p.json[0].stages[2].verification[0].kind).toBe('custom');
    expect((await svc.call('GET', '/v1/pipelines/nope/stages')).status).toBe(404);
  });

  it('creates releases pinned by the registry, and refuses bad ones', async () => {
    const r = await svc.call('POST', '/v1/releases', {
      name: 'users',
      artifacts: ['shop/users@^1'],
    });
    expect(r.json.artifacts[0]).toMatchObject({ name: 'shop/users', version: '1.0.0' });
    expect((await svc.call('GET', `/v1/releases/${r.json.id}`)).json.id).toBe(r.json.id);
    expect((await svc.call('GET', '/v1/releases/nope')).status).toBe(404);
    expect((await svc.call('POST', '/v1/releases', { name: 'x', artifacts: [] })).status).toBe(400);
    const unresolvable = await svc.call('POST', '/v1/releases', {
      name: 'x',
      artifacts: ['shop/users@^9'],
    });
    expect(unresolvable.status).toBeGreaterThanOrEqual(400);
    const rejected = await svc.call('POST', `/v1/releases/${r.json.id}/reject`, {
      reason: 'bad build',
    });
    expect(rejected.json.status).toBe('rejected');
    const req = await svc.call('POST', '/v1/promotions', {
      pipeline: 'shop',
      stage: 'dev',
      releaseId: r.json.id,
    });
    expect([req.status, req.json.code]).toEqual([409, 'E_RELEASE_REJECTED']);
  });

  it('promotes with 2-of-3 approvals, refuses self-approval, and rolls back a failed verification', async () => {
    const first = await ship('1.0.0');
    const self = await svc.call(
      'POST',
      `/v1/promotions/${first.prod.id}/approve`,
      {},
      { principal: 'ann' },
    );
    expect(self.status).toBe(403);
    await svc.call(
      'POST',
      `/v1/promotions/${first.prod.id}/approve`,
      { comment: 'lgtm' },
      { principal: 'bob' },
    );
    const done = await svc.call(
      'POST',
      `/v1/promotions/${first.prod.id}/approve?wait=true`,
      {},
      { principal: 'cat' },
    );
    expect(done.json.state).toBe('succeeded');
    const twice = await svc.call(
      'POST',
      `/v1/promotions/${first.prod.id}/approve`,
      {},
      { principal: 'dan' },
    );
    expect(twice.status).toBe(409);

    await svc.call('POST', '/v1/artifacts/shop/users/versions', {
      schema: avroUser([{ name: 'email', type: ['null', 'string'], default: null }]),
    });
    healthy = false;
    const second = await ship('1.1.0');
    await svc.call('POST', `/v1/promotions/${second.prod.id}/approve`, {}, { principal: 'bob' });
    const failed = await svc.call(
      'POST',
      `/v1/promotions/${second.prod.id}/approve?wait=true`,
      {},
      { principal: 'dan' },
    );
    expect(failed.json.state).toBe('rolled_back');
    expect(failed.json.verification[0].messages[0]).toMatch(/503/);
    const prod = await svc.call('GET', '/v1/pipelines/shop/stages/prod');
    expect(prod.json.releases[0].release.id).toBe(first.release.id);
    const history = await svc.call('GET', '/v1/pipelines/shop/stages/prod/history?limit=50');
    expect(history.json.items.length).toBeGreaterThan(2);
    const promos = await svc.call('GET', '/v1/pipelines/shop/stages/prod/promotions');
    expect(promos.json.items.length).toBe(2); // the rollback is recorded on the failed promotion
    const stages = await svc.call('GET', '/v1/pipelines/shop/stages');
    expect(stages.json.map((s: { stage: string }) => s.stage)).toEqual(['dev', 'staging', 'prod']);
    const diff = await svc.call('GET', '/v1/pipelines/shop/diff?left=staging&right=prod');
    expect(diff.json[0]).toMatchObject({ artifact: 'shop/users', status: 'differs' });
    expect((await svc.call('GET', '/v1/pipelines/shop/diff')).status).toBe(400);
  });

  it('rejects, cancels and rolls back by hand; unknown promotions are 404', async () => {
    healthy = true;
    const third = await ship('1.0.0');
    const rejected = await svc.call(
      'POST',
      `/v1/promotions/${third.prod.id}/reject`,
      { reason: 'not today' },
      { principal: 'bob' },
    );
    expect(rejected.json.state).toBe('rejected');
    expect((await svc.call('POST', `/v1/promotions/${third.prod.id}/reject`, {})).status).toBe(400);
    const fourth = await ship('1.0.0');
    const cancelled = await svc.call('POST', `/v1/promotions/${fourth.prod.id}/cancel`, {
      reason: 'oops',
    });
    expect(cancelled.json.state).toBe('cancelled');
    const back = await svc.call('POST', '/v1/pipelines/shop/stages/staging/rollback?wait=true', {
      reason: 'manual',
    });
    expect(back.json.kind).toBe('rollback');
    expect(['succeeded', 'rolled_back']).toContain(back.json.state);
    expect((await svc.call('GET', '/v1/promotions/nope')).status).toBe(404);
    expect((await svc.call('POST', '/v1/promotions', { pipeline: 'shop' })).status).toBe(400);
  });
});
