import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createControlPlane } from '../src/control-plane.js';
import { avroUser, start, TOKEN, type Running } from './helpers.js';

let svc: Running;
beforeAll(async () => {
  svc = await start({ bodyLimit: 4096, confluentPrefix: '/csr' });
});
afterAll(async () => {
  await svc.stop();
});

describe('HTTP behaviour', () => {
  it('answers health and readiness', async () => {
    expect((await svc.call('GET', '/healthz', undefined, { token: null })).json).toEqual({
      status: 'ok',
    });
    expect((await svc.call('GET', '/readyz', undefined, { token: null })).json).toEqual({
      status: 'ready',
    });
  });

  it('bad JSON, oversized bodies, unknown routes and media types get clear 4xx problems', async () => {
    const bad = await svc.call('POST', '/v1/artifacts', undefined, { raw: '{"artifact": ' });
    expect([bad.status, bad.json.code]).toEqual([400, 'E_INVALID_JSON']);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const big = await svc.call('POST', '/v1/artifacts', {
      artifact: 'a/b',
      description: 'x'.repeat(5000),
    });
    expect([big.status, big.json.code]).toEqual([413, 'E_BODY_TOO_LARGE']);
    const unknown = await svc.call('GET', '/v2/whatever');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'E_NOT_FOUND']);
    const media = await svc.call('POST', '/v1/artifacts', undefined, {
      raw: 'a=b',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect([media.status, media.json.code]).toEqual([415, 'E_UNSUPPORTED_MEDIA_TYPE']);
    const notObject = await svc.call('POST', '/v1/artifacts', [1, 2]);
    expect([notObject.status, notObject.json.code]).toEqual([400, 'E_INVALID_ARGUMENT']);
  });

  it('mutating routes need the admin token (bearer or basic), reads do not', async () => {
    const none = await svc.call(
      'POST',
      '/v1/artifacts',
      { artifact: 'a/b', kind: 'config' },
      { token: null },
    );
    expect([none.status, none.json.code]).toEqual([401, 'E_UNAUTHENTICATED']);
    const wrong = await svc.call(
      'POST',
      '/v1/artifacts',
      { artifact: 'a/b', kind: 'config' },
      { token: 'nope' },
    );
    expect(wrong.status).toBe(401);
    const basic = await fetch(`${svc.url}/v1/artifacts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`,
      },
      body: JSON.stringify({ artifact: 'a/b', kind: 'config' }),
    });
    expect(basic.status).toBe(201);
    expect((await svc.call('GET', '/v1/artifacts/a/b', undefined, { token: null })).status).toBe(
      200,
    );
  });

  it('mounts the Confluent API under the configured prefix with its own error shape', async () => {
    const reg = await fetch(`${svc.url}/csr/subjects/u-value/versions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        authorization: `Bearer ${TOKEN}`,
      },
      body: JSON.stringify({ schema: JSON.stringify(avroUser()) }),
    });
    expect(reg.status).toBe(200);
    expect(reg.headers.get('content-type')).toMatch(/^application\/vnd\.schemaregistry\.v1\+json/);
    const { id } = (await reg.json()) as { id: number };
    const byId = await fetch(`${svc.url}/csr/schemas/ids/${id}`);
    expect(JSON.parse(((await byId.json()) as { schema: string }).schema)).toEqual(avroUser());
    const cachedAgain = await fetch(`${svc.url}/csr/schemas/ids/${id}`);
    expect(cachedAgain.status).toBe(200);
    const badJson = await fetch(`${svc.url}/csr/subjects/u-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"schema":',
    });
    expect(await badJson.json()).toMatchObject({ error_code: 400 });
    expect((await fetch(`${svc.url}/csr/subjects/zzz/versions`)).status).toBe(404);
    expect(await (await fetch(`${svc.url}/csr/subjects`)).json()).toEqual(['u-value']);
    // A lookup is a POST that changes nothing: no token needed.
    const look = await fetch(`${svc.url}/csr/subjects/u-value`, {
      method: 'POST',
      body: JSON.stringify({ schema: JSON.stringify(avroUser()) }),
    });
    expect(((await look.json()) as { id: number }).id).toBe(id);
    // Hard delete clears the cached answer.
    const auth = { authorization: `Bearer ${TOKEN}` };
    await fetch(`${svc.url}/csr/subjects/u-value`, { method: 'DELETE', headers: auth });
    await fetch(`${svc.url}/csr/subjects/u-value?permanent=true`, {
      method: 'DELETE',
      headers: auth,
    });
    expect((await fetch(`${svc.url}/csr/schemas/ids/${id}`)).status).toBe(404);
  });
});

describe('lifecycle and configuration', () => {
  it('finishes an in-flight request before closing, then refuses new ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-cp-'));
    const cp = await createControlPlane({ dataDir: dir });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    // Routes come only from the route table, so the request is held in a hook instead.
    cp.app.addHook('onRequest', async (req) => {
      if (req.headers['x-test-hold'] === undefined) return;
      entered();
      await gate;
    });
    const url = await cp.listen(0);
    const inflight = fetch(`${url}/healthz`, { headers: { 'x-test-hold': '1' } }).then((r) =>
      r.json(),
    );
    await inHandler;
    const closing = cp.close();
    release();
    expect(await inflight).toEqual({ status: 'ok' });
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    await cp.close(); // idempotent
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates options and reads env and flags (flags win)', async () => {
    await expect(createControlPlane({ bodyLimit: 5 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
    await expect(createControlPlane({ pgUrl: 'mysql://x' })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
    await expect(
      createControlPlane({
        pipelines: [
          { name: 'p', stages: [{ name: 'a', gates: [{ kind: 'http', url: 'ftp://x' }] }] },
        ] as never,
      }),
    ).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    const c = loadConfig(['--port', '9999', '--admin-token', 'flag'], {
      PLINTH_PORT: '1',
      PLINTH_ADMIN_TOKEN: 'env',
      PLINTH_PG_URL: 'postgres://x@127.0.0.1/db',
      PLINTH_REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(c).toMatchObject({
      port: 9999,
      adminToken: 'flag',
      pgUrl: 'postgres://x@127.0.0.1/db',
      redisUrl: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
    });
    expect(loadConfig(['--help'], {})).toBe('help');
    expect(() => loadConfig(['--bogus'], {})).toThrow(/bogus/);
    expect(() => loadConfig(['--port', 'x'], {})).toThrow(/port/);
    expect(() => loadConfig(['--pipelines', '/nonexistent.json'], {})).toThrow(/pipelines/);
  });
});
