import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroUser, start, type Running } from './helpers.js';

let svc: Running;
let contentId: number;
beforeAll(async () => {
  svc = await start();
  const v = await svc.call('POST', '/v1/artifacts/shop/users/versions', {
    schema: avroUser(),
    format: 'avro',
  });
  contentId = v.json.version.contentId;
  await svc.call('POST', '/v1/artifacts/shop/orders/versions', {
    format: 'json-schema',
    schema: {
      type: 'object',
      properties: { total: { type: 'number', minimum: 0 } },
      required: ['total'],
    },
  });
});
afterAll(async () => {
  await svc.stop();
});

describe('validation routes', () => {
  it('validates payloads against the latest or a given version, without the admin token', async () => {
    const ok = await svc.call(
      'POST',
      '/v1/artifacts/shop/users/validate',
      { payload: { id: 'u1' } },
      { token: null },
    );
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ valid: true, version: '1.0.0', issues: [] });
    const bad = await svc.call('POST', '/v1/artifacts/shop/orders/validate', {
      payload: { total: -1 },
      version: '1.0.0',
    });
    expect(bad.json.valid).toBe(false);
    expect(bad.json.issues[0]).toMatchObject({ path: '/total' });
    const missing = await svc.call('POST', '/v1/artifacts/shop/users/validate', {});
    expect([missing.status, missing.json.code]).toEqual([400, 'E_INVALID_ARGUMENT']);
    const unknown = await svc.call('POST', '/v1/artifacts/shop/nope/validate', { payload: 1 });
    expect(unknown.status).toBe(404);
  });

  it('validates by content id (the Confluent id)', async () => {
    const ok = await svc.call('POST', `/v1/schemas/${contentId}/validate`, {
      payload: { id: 'x' },
    });
    expect(ok.json.valid).toBe(true);
    const bad = await svc.call('POST', `/v1/schemas/${contentId}/validate`, { payload: { id: 5 } });
    expect(bad.json.valid).toBe(false);
    expect((await svc.call('POST', `/v1/schemas/${contentId}/validate`, {})).status).toBe(400);
    expect((await svc.call('POST', '/v1/schemas/424242/validate', { payload: 1 })).status).toBe(
      404,
    );
  });

  it('checks a candidate: diff, violations and the suggested version', async () => {
    const good = await svc.call('POST', '/v1/artifacts/shop/users/compatibility', {
      schema: avroUser([{ name: 'email', type: ['null', 'string'], default: null }]),
    });
    expect(good.json).toMatchObject({
      compatible: true,
      bump: 'minor',
      latest: '1.0.0',
      suggestedVersion: '1.1.0',
    });
    expect(good.json.changes.length).toBeGreaterThan(0);
    const bad = await svc.call('POST', '/v1/artifacts/shop/users/compatibility', {
      schema: avroUser([{ name: 'age', type: 'int' }]),
    });
    expect(bad.json).toMatchObject({ compatible: false, bump: 'major', suggestedVersion: '2.0.0' });
    expect(bad.json.violations[0]).toMatchObject({
      againstVersion: '1.0.0',
      path: expect.any(String),
    });
    const none = await svc.call('POST', '/v1/artifacts/shop/users/compatibility', {
      schema: avroUser([{ name: 'age', type: 'int' }]),
      level: 'NONE',
    });
    expect(none.json.compatible).toBe(true);
    expect((await svc.call('POST', '/v1/artifacts/shop/users/compatibility', {})).status).toBe(400);
    const invalid = await svc.call('POST', '/v1/artifacts/shop/users/compatibility', {
      schema: { type: 'record' },
    });
    expect([invalid.status, invalid.json.code]).toEqual([422, 'E_INVALID_SCHEMA']);
  });
});
