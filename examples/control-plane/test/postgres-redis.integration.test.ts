import { randomBytes } from 'node:crypto';
import { describeWithService } from '@plinth/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createControlPlane, type ControlPlane } from '../src/control-plane.js';
import { avroUser } from './helpers.js';

interface PgModule {
  Client: new (o: { connectionString: string }) => {
    connect(): Promise<void>;
    query(sql: string): Promise<unknown>;
    end(): Promise<void>;
  };
}

describeWithService('PLINTH_PG_URL', 'control plane on PostgreSQL', (pgUrl) => {
  describeWithService('PLINTH_REDIS_URL', 'with the Redis cache', (redisUrl) => {
    const schema = `cp_${randomBytes(6).toString('hex')}`;
    const cachePrefix = `plinth-test:${schema}`;
    let a: ControlPlane;
    let b: ControlPlane;
    let urlA: string;
    let urlB: string;
    beforeAll(async () => {
      a = await createControlPlane({ pgUrl, pgSchema: schema, redisUrl, cachePrefix });
      b = await createControlPlane({ pgUrl, pgSchema: schema, redisUrl, cachePrefix });
      urlA = await a.listen(0);
      urlB = await b.listen(0);
    });
    afterAll(async () => {
      await a?.services.cache.clear();
      await a?.close();
      await b?.close();
      // pg ships no types here (@types/pg is not a dependency of the example): a minimal shape.
      const driver = 'pg';
      const pg = ((await import(driver)) as { default: PgModule }).default;
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });

    const post = (url: string, path: string, body: unknown) =>
      fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('two instances share the store: publish on one, read, look up and validate on the other', async () => {
      const pub = await post(urlA, '/v1/artifacts/shop/users/versions', {
        schema: avroUser(),
        format: 'avro',
      });
      expect(pub.status).toBe(201);
      const { version } = (await pub.json()) as { version: { contentId: number } };
      const got = await fetch(`${urlB}/v1/schemas/${version.contentId}`);
      expect(((await got.json()) as { schema: unknown }).schema).toEqual(avroUser());
      const v = await post(urlB, '/v1/artifacts/shop/users/validate', { payload: { id: 'x' } });
      expect(((await v.json()) as { valid: boolean }).valid).toBe(true);
      // The answer came from Redis L2 for instance A (filled by B).
      const again = await fetch(`${urlA}/v1/schemas/${version.contentId}`);
      expect(again.status).toBe(200);
      expect(a.services.cache.stats().l2Hits + a.services.cache.stats().l1Hits).toBeGreaterThan(0);
    });

    it('Confluent registrations on one instance resolve by id on the other', async () => {
      const reg = await post(urlA, '/confluent/subjects/orders-value/versions', {
        schema: JSON.stringify(avroUser()),
      });
      const { id } = (await reg.json()) as { id: number };
      const byId = await fetch(`${urlB}/confluent/schemas/ids/${id}`);
      expect(byId.status).toBe(200);
      const versions = await fetch(`${urlB}/confluent/subjects/orders-value/versions`);
      expect(await versions.json()).toEqual([1]);
    });

    it('promotes a release through the default pipeline with an approval', async () => {
      const rel = (await (
        await post(urlA, '/v1/releases', { name: 'users', artifacts: ['shop/users@^1'] })
      ).json()) as { id: string };
      for (const stage of ['dev', 'staging']) {
        const p = await post(urlA, '/v1/promotions?wait=true', {
          pipeline: 'default',
          stage,
          releaseId: rel.id,
        });
        expect(((await p.json()) as { state: string }).state).toBe('succeeded');
      }
      const prod = (await (
        await post(urlA, '/v1/promotions?wait=true', {
          pipeline: 'default',
          stage: 'prod',
          releaseId: rel.id,
        })
      ).json()) as { id: string; state: string };
      expect(prod.state).toBe('awaiting_approval');
      const approved = await fetch(`${urlB}/v1/promotions/${prod.id}/approve?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-plinth-principal': 'owner' },
        body: '{}',
      });
      expect(approved.status).toBe(200);
      await a.services.promotion.idle();
      await b.services.promotion.idle();
      const view = await fetch(`${urlA}/v1/pipelines/default/stages/prod`);
      const body = (await view.json()) as { releases: Array<{ releaseId: string }> };
      expect(body.releases.map((r) => r.releaseId)).toEqual([rel.id]);
    });
  });
});
