import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFLUENT_CONTENT_TYPE } from '../../src/confluent/index.js';
import { BAD, V1, V2, makeConfluent, type ConfluentFixture } from './fixture.js';

let f: ConfluentFixture;
beforeEach(async () => {
  f = await makeConfluent();
});
afterEach(async () => {
  await f.close();
});

describe('register and read subjects', () => {
  it('registers a schema, answers with its id and the Confluent content type', async () => {
    const r = await f.call('POST', '/subjects/users-value/versions', { schema: V1 });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ id: expect.any(Number) });
    expect(r.raw.headers['content-type']).toBe(CONFLUENT_CONTENT_TYPE);
  });

  it('is idempotent and shares one id for identical schemas across subjects', async () => {
    const a = await f.call('POST', '/subjects/a-value/versions', { schema: V1 });
    const again = await f.call('POST', '/subjects/a-value/versions', { schema: V1 });
    const b = await f.call('POST', '/subjects/b-value/versions', { schema: V1 });
    expect(again.json.id).toBe(a.json.id);
    expect(b.json.id).toBe(a.json.id);
    expect((await f.call('GET', '/subjects/a-value/versions')).json).toEqual([1]);
  });

  it('accepts the body as raw JSON text and rejects malformed JSON with 400', async () => {
    const ok = await f.call('POST', '/subjects/t/versions', JSON.stringify({ schema: V1 }));
    expect(ok.status).toBe(200);
    const bad = await f.call('POST', '/subjects/t/versions', '{"schema": ');
    expect(bad.status).toBe(400);
    expect(bad.json.error_code).toBe(400);
  });

  it('lists subjects, versions and reads a version, latest and its raw schema', async () => {
    const id1 = (await f.call('POST', '/subjects/users-value/versions', { schema: V1 })).json.id;
    const id2 = (await f.call('POST', '/subjects/users-value/versions', { schema: V2 })).json.id;
    await f.call('POST', '/subjects/other/versions', { schema: V1 });
    expect((await f.call('GET', '/subjects')).json).toEqual(['other', 'users-value']);
    expect((await f.call('GET', '/subjects', undefined, { subjectPrefix: 'us' })).json).toEqual([
      'users-value',
    ]);
    expect((await f.call('GET', '/subjects/users-value/versions')).json).toEqual([1, 2]);
    const v1 = await f.call('GET', '/subjects/users-value/versions/1');
    expect(v1.json).toMatchObject({ subject: 'users-value', version: 1, id: id1 });
    expect(JSON.parse(v1.json.schema)).toEqual(JSON.parse(V1));
    expect(v1.json.schemaType).toBeUndefined(); // AVRO is left out, as Confluent does
    const latest = await f.call('GET', '/subjects/users-value/versions/latest');
    expect(latest.json).toMatchObject({ version: 2, id: id2 });
    expect((await f.call('GET', '/subjects/users-value/versions/-1')).json.version).toBe(2);
    const raw = await f.call('GET', '/subjects/users-value/versions/2/schema');
    expect(raw.json).toEqual(JSON.parse(V2));
  });

  it('looks a schema up under a subject (POST /subjects/{s})', async () => {
    const id = (await f.call('POST', '/subjects/u/versions', { schema: V1 })).json.id;
    const hit = await f.call('POST', '/subjects/u', { schema: V1 });
    expect(hit.json).toMatchObject({ subject: 'u', version: 1, id });
    const miss = await f.call('POST', '/subjects/u', { schema: V2 });
    expect([miss.status, miss.json.error_code]).toEqual([404, 40403]);
    const noSubject = await f.call('POST', '/subjects/nope', { schema: V1 });
    expect([noSubject.status, noSubject.json.error_code]).toEqual([404, 40401]);
  });

  it('answers Confluent error codes for unknown subjects, versions and bad versions', async () => {
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    const s = await f.call('GET', '/subjects/missing/versions');
    expect([s.status, s.json.error_code]).toEqual([404, 40401]);
    const v = await f.call('GET', '/subjects/u/versions/7');
    expect([v.status, v.json.error_code]).toEqual([404, 40402]);
    const bad = await f.call('GET', '/subjects/u/versions/abc');
    expect([bad.status, bad.json.error_code]).toEqual([422, 42202]);
    const zero = await f.call('GET', '/subjects/u/versions/0');
    expect(zero.json.error_code).toBe(42202);
  });

  it('rejects invalid schemas with 42201 and incompatible ones with 409', async () => {
    const notJson = await f.call('POST', '/subjects/u/versions', { schema: '{nope' });
    expect([notJson.status, notJson.json.error_code]).toEqual([422, 42201]);
    const badAvro = await f.call('POST', '/subjects/u/versions', {
      schema: JSON.stringify({
        type: 'record',
        name: 'X',
        fields: [{ name: 'a', type: 'nosuch' }],
      }),
    });
    expect([badAvro.status, badAvro.json.error_code]).toEqual([422, 42201]);
    const noSchema = await f.call('POST', '/subjects/u/versions', {});
    expect(noSchema.json.error_code).toBe(42201);
    const badType = await f.call('POST', '/subjects/u/versions', { schema: V1, schemaType: 'XML' });
    expect(badType.json.error_code).toBe(42201);
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    const incompatible = await f.call('POST', '/subjects/u/versions', { schema: BAD });
    expect([incompatible.status, incompatible.json.error_code]).toEqual([409, 409]);
    expect(incompatible.json.message).toMatch(/incompatible/);
    expect((await f.call('GET', '/subjects/u/versions')).json).toEqual([1]);
  });

  it('maps subjects that are not registry names, and group/name subjects to artifacts', async () => {
    const odd = ':.ctx:orders value';
    const r = await f.call('POST', `/subjects/${encodeURIComponent(odd)}/versions`, { schema: V1 });
    expect(r.status).toBe(200);
    await f.registry.publish({
      artifact: 'payments/users',
      kind: 'schema',
      format: 'avro',
      schema: JSON.parse(V2),
    });
    expect((await f.call('GET', '/subjects')).json).toEqual([odd, 'payments/users']);
    const native = await f.call(
      'GET',
      `/subjects/${encodeURIComponent('payments/users')}/versions/1`,
    );
    expect(native.json.subject).toBe('payments/users');
  });

  it('pages subjects and versions with offset/limit, and lists deleted ones only', async () => {
    for (const s of ['a', 'b', 'c'])
      await f.call('POST', `/subjects/${s}/versions`, { schema: V1 });
    await f.call('POST', '/subjects/a/versions', { schema: V2 });
    expect((await f.call('GET', '/subjects', undefined, { offset: '1', limit: '1' })).json).toEqual(
      ['b'],
    );
    expect((await f.call('GET', '/subjects/a/versions', undefined, { offset: '1' })).json).toEqual([
      2,
    ]);
    expect((await f.call('GET', '/subjects', undefined, { limit: 'x' })).json.error_code).toBe(422);
    await f.call('DELETE', '/subjects/c');
    await f.call('DELETE', '/subjects/a/versions/1');
    expect((await f.call('GET', '/subjects', undefined, { deletedOnly: 'true' })).json).toEqual([
      'c',
    ]);
    const onlyDeleted = await f.call('GET', '/subjects/a/versions', undefined, {
      deletedOnly: 'true',
    });
    expect(onlyDeleted.json).toEqual([1]);
    expect((await f.call('GET', '/contexts')).json).toEqual([':.:']);
  });

  it('unknown routes answer 404 and wrong methods 405', async () => {
    expect((await f.call('GET', '/nope')).status).toBe(404);
    expect((await f.call('PATCH', '/subjects')).status).toBe(405);
    expect((await f.call('GET', '/')).json).toEqual({});
  });
});

describe('delete subjects and versions', () => {
  it('soft-deletes a version, keeps its id resolvable, then deletes it permanently', async () => {
    const id1 = (await f.call('POST', '/subjects/u/versions', { schema: V1 })).json.id;
    await f.call('POST', '/subjects/u/versions', { schema: V2 });
    const perm = await f.call('DELETE', '/subjects/u/versions/1', undefined, { permanent: 'true' });
    expect([perm.status, perm.json.error_code]).toEqual([404, 40407]);
    expect((await f.call('DELETE', '/subjects/u/versions/1')).json).toBe(1);
    expect((await f.call('GET', '/subjects/u/versions')).json).toEqual([2]);
    expect(
      (await f.call('GET', '/subjects/u/versions', undefined, { deleted: 'true' })).json,
    ).toEqual([1, 2]);
    expect((await f.call('GET', '/subjects/u/versions/1')).json.error_code).toBe(40402);
    const shown = await f.call('GET', '/subjects/u/versions/1', undefined, { deleted: 'true' });
    expect(shown.json).toMatchObject({ version: 1, deleted: true });
    expect((await f.call('GET', `/schemas/ids/${id1}`)).status).toBe(200);
    expect((await f.call('DELETE', '/subjects/u/versions/1')).json.error_code).toBe(40406);
    const gone = await f.call('DELETE', '/subjects/u/versions/1', undefined, { permanent: 'true' });
    expect(gone.json).toBe(1);
    expect((await f.call('GET', `/schemas/ids/${id1}`)).json.error_code).toBe(40403);
  });

  it('soft-deletes a subject, re-registers into it, and purges it', async () => {
    await f.call('POST', '/subjects/u/versions', { schema: V1 });
    await f.call('POST', '/subjects/u/versions', { schema: V2 });
    const early = await f.call('DELETE', '/subjects/u', undefined, { permanent: 'true' });
    expect(early.json.error_code).toBe(40405);
    expect((await f.call('DELETE', '/subjects/u')).json).toEqual([1, 2]);
    expect((await f.call('GET', '/subjects')).json).toEqual([]);
    expect((await f.call('GET', '/subjects', undefined, { deleted: 'true' })).json).toEqual(['u']);
    expect((await f.call('DELETE', '/subjects/u')).json.error_code).toBe(40404);
    const back = await f.call('POST', '/subjects/u/versions', { schema: V1 });
    expect(back.status).toBe(200);
    expect((await f.call('GET', '/subjects/u/versions')).json).toEqual([3]);
    await f.call('DELETE', '/subjects/u');
    expect((await f.call('DELETE', '/subjects/u', undefined, { permanent: 'true' })).json).toEqual([
      1, 2, 3,
    ]);
    expect((await f.call('GET', '/subjects/u/versions')).json.error_code).toBe(40401);
    const reborn = await f.call('POST', '/subjects/u/versions', { schema: V1 });
    expect(reborn.status).toBe(200);
    expect((await f.call('GET', '/subjects/u/versions')).json).toEqual([1]);
  });

  it('refuses to purge a version another schema references (42206)', async () => {
    await f.call('POST', '/subjects/base/versions', { schema: V1 });
    const ref = await f.call('POST', '/subjects/holder/versions', {
      schema: JSON.stringify({
        type: 'record',
        name: 'Holder',
        namespace: 'acme',
        fields: [{ name: 'user', type: 'acme.User' }],
      }),
      references: [{ name: 'acme.User', subject: 'base', version: 1 }],
    });
    expect(ref.status).toBe(200);
    const by = await f.call('GET', '/subjects/base/versions/1/referencedby');
    expect(by.json).toEqual([ref.json.id]);
    await f.call('DELETE', '/subjects/base/versions/1');
    const purge = await f.call('DELETE', '/subjects/base/versions/1', undefined, {
      permanent: 'true',
    });
    expect([purge.status, purge.json.error_code]).toEqual([422, 42206]);
  });
});
