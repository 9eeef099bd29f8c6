import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroUser, start, type Running } from './helpers.js';

let svc: Running;
beforeAll(async () => {
  svc = await start();
});
afterAll(async () => {
  await svc.stop();
});

const A = '/v1/artifacts/shop/users';

describe('artifact routes', () => {
  it('creates, reads, updates and searches artifacts', async () => {
    const created = await svc.call('POST', '/v1/artifacts', {
      artifact: 'shop/users',
      kind: 'schema',
      format: 'avro',
      description: 'customers',
      labels: { tier: 'gold' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ artifact: 'shop/users', kind: 'schema', format: 'avro' });
    expect((await svc.call('GET', A)).json.description).toBe('customers');
    const patched = await svc.call('PATCH', A, { owner: 'team-a' });
    expect(patched.json.owner).toBe('team-a');
    const found = await svc.call('GET', '/v1/artifacts?label.tier=gold&kind=schema');
    expect(
      found.json.hits.map((h: { artifact: { artifact: string } }) => h.artifact.artifact),
    ).toEqual(['shop/users']);
    const dup = await svc.call('POST', '/v1/artifacts', {
      artifact: 'shop/users',
      kind: 'schema',
      format: 'avro',
    });
    expect([dup.status, dup.json.code]).toEqual([409, 'E_ARTIFACT_EXISTS']);
    const badName = await svc.call('POST', '/v1/artifacts', { artifact: 'nogroup' });
    expect([badName.status, badName.json.code]).toEqual([400, 'E_INVALID_NAME']);
    const missing = await svc.call('GET', '/v1/artifacts/shop/nope');
    expect([missing.status, missing.json.code]).toEqual([404, 'E_UNKNOWN_ARTIFACT']);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.json).toMatchObject({
      type: 'https://plinth.dev/problems/E_UNKNOWN_ARTIFACT',
      title: 'Not found',
      status: 404,
      detail: expect.any(String),
    });
  });

  it('publishes schema versions with an automatic bump and reads them back', async () => {
    const v1 = await svc.call('POST', `${A}/versions`, { schema: avroUser() });
    expect(v1.status).toBe(201);
    expect(v1.json.version).toMatchObject({ version: '1.0.0', revision: 1 });
    const again = await svc.call('POST', `${A}/versions`, { schema: avroUser() });
    expect([again.status, again.json.created]).toEqual([200, false]);
    const v2 = await svc.call('POST', `${A}/versions`, {
      schema: avroUser([{ name: 'email', type: ['null', 'string'], default: null }]),
    });
    expect(v2.json.version.version).toBe('1.1.0');
    expect(v2.json.bump).toBe('minor');
    const list = await svc.call('GET', `${A}/versions`);
    expect(list.json.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '1.1.0']);
    const ranged = await svc.call('GET', `${A}/versions/${encodeURIComponent('^1.0')}`);
    expect(ranged.json.version.version).toBe('1.1.0');
    expect(ranged.json.schema.fields).toHaveLength(2);
    const content = await svc.call('GET', `${A}/versions/1.0.0/content`);
    expect(JSON.parse(content.text)).toEqual(avroUser());
    expect(content.headers.get('etag')).toMatch(/sha256:/);
    const byId = await svc.call('GET', `/v1/versions/${v1.json.version.id}`);
    expect(byId.json.version).toBe('1.0.0');
    const schema = await svc.call('GET', `/v1/schemas/${v1.json.version.contentId}`);
    expect(schema.json).toMatchObject({ format: 'avro', schema: avroUser() });
    expect((await svc.call('GET', '/v1/schemas/999999')).status).toBe(404);
    expect((await svc.call('GET', '/v1/schemas/abc')).json.code).toBe('E_INVALID_ARGUMENT');
    const bad = await svc.call('POST', `${A}/versions`, { schema: { type: 'record' } });
    expect([bad.status, bad.json.code]).toEqual([422, 'E_INVALID_SCHEMA']);
    const incompatible = await svc.call('POST', `${A}/versions`, {
      schema: avroUser([{ name: 'age', type: 'int' }]),
    });
    expect([incompatible.status, incompatible.json.code]).toEqual([409, 'E_INCOMPATIBLE']);
    expect(incompatible.json.details.violations.length).toBeGreaterThan(0);
    const badVersion = await svc.call('GET', `${A}/versions/not-a-version!`);
    expect(badVersion.status).toBeGreaterThanOrEqual(400);
  });

  it('publishes binary content (base64) with an explicit version', async () => {
    const r = await svc.call('POST', '/v1/artifacts/ml/model/versions', {
      kind: 'model',
      version: '0.1.0',
      content: Buffer.from('weights').toString('base64'),
      encoding: 'base64',
      mediaType: 'application/octet-stream',
    });
    expect(r.status).toBe(201);
    const c = await svc.call('GET', '/v1/artifacts/ml/model/versions/0.1.0/content');
    expect(c.text).toBe('weights');
    const noBump = await svc.call('POST', '/v1/artifacts/ml/model/versions', { content: 'x' });
    expect([noBump.status, noBump.json.code]).toEqual([400, 'E_INVALID_ARGUMENT']);
    const badContent = await svc.call('POST', '/v1/artifacts/ml/model/versions', { content: 5 });
    expect(badContent.json.code).toBe('E_INVALID_ARGUMENT');
  });

  it('moves tags, keeps their history and refuses bad tags', async () => {
    const set = await svc.call('PUT', `${A}/tags/stable`, { version: '1.0.0' });
    expect(set.json.version).toBe('1.0.0');
    await svc.call('PUT', `${A}/tags/stable`, { version: '1.1.0', pin: true });
    const tags = await svc.call('GET', `${A}/tags`);
    expect(tags.json.stable).toMatchObject({ version: '1.1.0', pinned: true });
    const hist = await svc.call('GET', `${A}/tags/stable/history`);
    expect(JSON.stringify(hist.json)).toContain('1.0.0');
    expect((await svc.call('GET', `${A}/versions/stable`)).json.version.version).toBe('1.1.0');
    expect((await svc.call('PUT', `${A}/tags/^1`, { version: '1.0.0' })).json.code).toBe(
      'E_INVALID_NAME',
    );
    expect((await svc.call('PUT', `${A}/tags/x`, {})).json.code).toBe('E_INVALID_ARGUMENT');
    expect((await svc.call('DELETE', `${A}/tags/stable`)).status).toBe(204);
    expect((await svc.call('DELETE', `${A}/tags/stable`)).json.code).toBe('E_UNKNOWN_TAG');
  });

  it('walks the lifecycle, deletes and restores versions and artifacts', async () => {
    const dep = await svc.call('PUT', `${A}/versions/1.0.0/state`, { state: 'deprecated' });
    expect(dep.json.state).toBe('deprecated');
    const bad = await svc.call('PUT', `${A}/versions/1.0.0/state`, { state: 'draft' });
    expect([bad.status, bad.json.code]).toEqual([409, 'E_INVALID_TRANSITION']);
    expect((await svc.call('DELETE', `${A}/versions/1.0.0`)).status).toBe(204);
    const listed = await svc.call('GET', `${A}/versions?includeDeleted=true`);
    expect(listed.json).toHaveLength(2);
    expect((await svc.call('POST', `${A}/versions/1.0.0/restore`)).json.version).toBe('1.0.0');
    expect((await svc.call('GET', `${A}/versions?includeDeleted=maybe`)).json.code).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect((await svc.call('DELETE', '/v1/artifacts/ml/model')).status).toBe(204);
    expect((await svc.call('GET', '/v1/artifacts/ml/model')).status).toBe(404);
    expect((await svc.call('POST', '/v1/artifacts/ml/model/restore')).json.artifact).toBe(
      'ml/model',
    );
    expect((await svc.call('DELETE', '/v1/artifacts/ml/model?permanent=true')).status).toBe(204);
    expect((await svc.call('GET', '/v1/artifacts/ml/model')).status).toBe(404);
  });

  it('reads and sets rules, and the audit trail', async () => {
    const rules = await svc.call('GET', `${A}/rules`);
    expect(rules.json.compatibility).toBe('BACKWARD');
    const set = await svc.call('PUT', `${A}/rules`, { compatibility: 'FULL' });
    expect(set.json).toMatchObject({ compatibility: 'FULL' });
    const bad = await svc.call('PUT', `${A}/rules`, { compatibility: 'SOMETIMES' });
    expect([bad.status, bad.json.code]).toEqual([400, 'E_INVALID_ARGUMENT']);
    const audit = await svc.call('GET', `${A}/audit?limit=100`);
    expect(audit.json.entries.map((e: { action: string }) => e.action)).toContain(
      'artifact.created',
    );
  });
});
