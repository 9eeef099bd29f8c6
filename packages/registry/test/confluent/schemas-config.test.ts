import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAD, V1, V2, makeConfluent, type ConfluentFixture } from './fixture.js';

let f: ConfluentFixture;
beforeEach(async () => {
  f = await makeConfluent();
});
afterEach(async () => {
  await f.close();
});

const PROTO = 'syntax = "proto3";\npackage acme;\nmessage Order { string id = 1; }\n';
const PROTO_REF =
  'syntax = "proto3";\npackage acme;\nimport "order.proto";\nmessage Batch { repeated Order orders = 1; }\n';
const JSON_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
});

describe('/schemas', () => {
  it('reads a schema by id with its variants', async () => {
    const id = (await f.call('POST', '/subjects/a/versions', { schema: V1 })).json.id;
    await f.call('POST', '/subjects/b/versions', { schema: V1 });
    const byId = await f.call('GET', `/schemas/ids/${id}`);
    expect(JSON.parse(byId.json.schema)).toEqual(JSON.parse(V1));
    expect(byId.json.schemaType).toBeUndefined();
    expect((await f.call('GET', `/schemas/ids/${id}/schema`)).json).toEqual(JSON.parse(V1));
    expect((await f.call('GET', `/schemas/ids/${id}/subjects`)).json).toEqual(['a', 'b']);
    expect((await f.call('GET', `/schemas/ids/${id}/versions`)).json).toEqual([
      { subject: 'a', version: 1 },
      { subject: 'b', version: 1 },
    ]);
    expect((await f.call('GET', '/schemas/types')).json).toEqual(['JSON', 'PROTOBUF', 'AVRO']);
  });

  it('looks up by canonical form with normalize and picks the holder with ?subject=', async () => {
    const id = (await f.call('POST', '/subjects/a/versions', { schema: V1 })).json.id;
    const spaced = JSON.stringify(JSON.parse(V1), null, 2).replace('"User"', '"User", "doc": "x"');
    expect((await f.call('POST', '/subjects/a', { schema: spaced })).json.error_code).toBe(40403);
    const normal = await f.call('POST', '/subjects/a', { schema: spaced }, { normalize: 'true' });
    expect(normal.json).toMatchObject({ id, version: 1 });
    await f.call('POST', '/subjects/b/versions', { schema: V1 });
    expect((await f.call('GET', `/schemas/ids/${id}`, undefined, { subject: 'b' })).status).toBe(
      200,
    );
  });

  it('answers 40403 for unknown and malformed ids', async () => {
    for (const id of ['999', 'abc', '0']) {
      const r = await f.call('GET', `/schemas/ids/${id}`);
      expect([r.status, r.json.error_code]).toEqual([404, 40403]);
    }
  });

  it('registers JSON Schema and Protobuf (with a reference) and returns their types', async () => {
    const j = await f.call('POST', '/subjects/j/versions', {
      schema: JSON_SCHEMA,
      schemaType: 'JSON',
    });
    expect((await f.call('GET', `/schemas/ids/${j.json.id}`)).json.schemaType).toBe('JSON');
    const base = await f.call('POST', '/subjects/order/versions', {
      schema: PROTO,
      schemaType: 'PROTOBUF',
    });
    expect(base.status).toBe(200);
    const batch = await f.call('POST', '/subjects/batch/versions', {
      schema: PROTO_REF,
      schemaType: 'PROTOBUF',
      references: [{ name: 'order.proto', subject: 'order', version: 1 }],
    });
    expect(batch.status).toBe(200);
    const got = await f.call('GET', `/schemas/ids/${batch.json.id}`);
    expect(got.json).toEqual({
      schemaType: 'PROTOBUF',
      references: [{ name: 'order.proto', subject: 'order', version: 1 }],
      schema: PROTO_REF,
    });
    const raw = await f.call('GET', `/schemas/ids/${base.json.id}/schema`);
    expect(raw.raw.body).toBe(PROTO);
    expect(raw.raw.headers['content-type']).toMatch(/^text\/plain/);
    const missingRef = await f.call('POST', '/subjects/batch2/versions', {
      schema: PROTO_REF,
      schemaType: 'PROTOBUF',
      references: [{ name: 'order.proto', subject: 'order', version: 9 }],
    });
    expect(missingRef.json.error_code).toBe(42201);
    const typeChange = await f.call('POST', '/subjects/j/versions', { schema: V1 });
    expect(typeChange.status).toBe(409);
  });
});

describe('/compatibility', () => {
  it('checks against latest, a version and all versions, verbose or not', async () => {
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    const ok = await f.call('POST', '/compatibility/subjects/u/versions/latest', { schema: V2 });
    expect(ok.json).toEqual({ is_compatible: true });
    const bad = await f.call(
      'POST',
      '/compatibility/subjects/u/versions/1',
      { schema: BAD },
      { verbose: 'true' },
    );
    expect(bad.json.is_compatible).toBe(false);
    expect(bad.json.messages.length).toBeGreaterThan(0);
    expect(bad.json.messages[0]).toMatch(/age/);
    const all = await f.call(
      'POST',
      '/compatibility/subjects/u/versions',
      { schema: BAD },
      { verbose: 'true' },
    );
    expect(all.json.is_compatible).toBe(false);
    const fresh = await f.call('POST', '/compatibility/subjects/new/versions', { schema: BAD });
    expect(fresh.json).toEqual({ is_compatible: true });
  });

  it('answers 40401, 40402, 42202 and 42201 for bad compatibility requests', async () => {
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    expect(
      (await f.call('POST', '/compatibility/subjects/x/versions/latest', { schema: V2 })).json
        .error_code,
    ).toBe(40401);
    expect(
      (await f.call('POST', '/compatibility/subjects/u/versions/5', { schema: V2 })).json
        .error_code,
    ).toBe(40402);
    expect(
      (await f.call('POST', '/compatibility/subjects/u/versions/x', { schema: V2 })).json
        .error_code,
    ).toBe(42202);
    expect(
      (await f.call('POST', '/compatibility/subjects/u/versions/1', { schema: '{' })).json
        .error_code,
    ).toBe(42201);
  });

  it('honours NONE from the subject config', async () => {
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    await f.call('PUT', '/config/u', { compatibility: 'NONE' });
    const r = await f.call('POST', '/compatibility/subjects/u/versions/latest', { schema: BAD });
    expect(r.json.is_compatible).toBe(true);
    expect((await f.call('POST', '/subjects/u/versions', { schema: BAD })).status).toBe(200);
  });
});

describe('/config', () => {
  it('reads, sets and resets the global level (which registration enforces)', async () => {
    expect((await f.call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await f.call('PUT', '/config', { compatibility: 'FULL' })).json).toEqual({
      compatibility: 'FULL',
    });
    expect((await f.call('GET', '/config')).json).toEqual({ compatibilityLevel: 'FULL' });
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    const bad = await f.call('POST', '/compatibility/subjects/u/versions/latest', {
      schema: JSON.stringify({ type: 'record', name: 'User', namespace: 'acme', fields: [] }),
    });
    expect(bad.json.is_compatible).toBe(false); // removing a field breaks FORWARD, so FULL
    expect((await f.call('DELETE', '/config')).json).toEqual({ compatibilityLevel: 'FULL' });
    expect((await f.call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    const invalid = await f.call('PUT', '/config', { compatibility: 'SIDEWAYS' });
    expect([invalid.status, invalid.json.error_code]).toEqual([422, 42203]);
  });

  it('subject levels: 40408 until set, defaultToGlobal, delete back to the global level', async () => {
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    const none = await f.call('GET', '/config/u');
    expect([none.status, none.json.error_code]).toEqual([404, 40408]);
    expect((await f.call('GET', '/config/u', undefined, { defaultToGlobal: 'true' })).json).toEqual(
      {
        compatibilityLevel: 'BACKWARD',
      },
    );
    expect((await f.call('PUT', '/config/u', { compatibility: 'forward' })).json).toEqual({
      compatibility: 'FORWARD',
    });
    expect((await f.call('GET', '/config/u')).json).toEqual({ compatibilityLevel: 'FORWARD' });
    expect((await f.call('DELETE', '/config/u')).json).toEqual({ compatibilityLevel: 'FORWARD' });
    expect((await f.call('GET', '/config/u')).json.error_code).toBe(40408);
    expect((await f.call('DELETE', '/config/missing')).json.error_code).toBe(40401);
    expect((await f.call('PUT', '/config/u', {})).json.error_code).toBe(42203);
  });
});

describe('/mode', () => {
  it('global and subject modes; READONLY refuses writes with 42205', async () => {
    expect((await f.call('GET', '/mode')).json).toEqual({ mode: 'READWRITE' });
    expect((await f.call('GET', '/mode/u')).json.error_code).toBe(40409);
    expect((await f.call('GET', '/mode/u', undefined, { defaultToGlobal: 'true' })).json).toEqual({
      mode: 'READWRITE',
    });
    expect((await f.call('PUT', '/mode/u', { mode: 'READONLY' })).json).toEqual({
      mode: 'READONLY',
    });
    const refused = await f.call('POST', '/subjects/u/versions', { schema: V1 });
    expect([refused.status, refused.json.error_code]).toEqual([422, 42205]);
    expect((await f.call('POST', '/subjects/v/versions', { schema: V1 })).status).toBe(200);
    expect((await f.call('DELETE', '/mode/u')).json).toEqual({ mode: 'READONLY' });
    expect((await f.call('POST', '/subjects/u/versions', { schema: V1 })).status).toBe(200);
    await f.call('PUT', '/mode', { mode: 'READONLY' });
    expect((await f.call('DELETE', '/subjects/u')).json.error_code).toBe(42205);
    expect((await f.call('GET', '/mode')).json).toEqual({ mode: 'READONLY' });
    await f.call('DELETE', '/mode');
    expect((await f.call('GET', '/mode')).json).toEqual({ mode: 'READWRITE' });
  });

  it('rejects unknown modes and IMPORT with 42204', async () => {
    expect((await f.call('PUT', '/mode', { mode: 'WHATEVER' })).json.error_code).toBe(42204);
    const imp = await f.call('PUT', '/mode', { mode: 'IMPORT' });
    expect([imp.status, imp.json.error_code]).toEqual([422, 42204]);
  });
});
