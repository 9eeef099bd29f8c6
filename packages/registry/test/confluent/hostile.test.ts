import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeConfluent, V1, type ConfluentFixture } from './fixture.js';

let f: ConfluentFixture;
beforeEach(async () => {
  f = await makeConfluent();
  await f.call('POST', 'subjects/orders-value/versions', JSON.stringify({ schema: V1 }));
});
afterEach(async () => {
  await f.close();
});

const deepText = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

describe('Confluent API: deep schemas', () => {
  it.each([
    ['POST', 'subjects/orders-value/versions'],
    ['POST', 'subjects/orders-value'],
    ['POST', 'compatibility/subjects/orders-value/versions/latest'],
  ])(
    '%s /%s answers 422 / 42201 naming the depth limit for a schema nested 100,000 levels',
    async (method, path) => {
      for (const schemaType of ['JSON', 'AVRO']) {
        const r = await f.call(
          method,
          path,
          JSON.stringify({ schema: deepText(100_000), schemaType }),
        );
        expect(r.status).toBe(422);
        expect(r.json.error_code).toBe(42201);
        expect(r.json.message).toContain('limits.maxDepth (64)');
      }
    },
  );

  it('refuses schema text over the size limit with 42209', async () => {
    const big = JSON.stringify({ type: 'string', doc: 'x'.repeat(1_100_000) });
    const r = await f.call(
      'POST',
      'subjects/orders-value/versions',
      JSON.stringify({ schema: big }),
    );
    expect(r.status).toBe(422);
    expect(r.json.error_code).toBe(42209);
  });
});

describe('Confluent API: subject names', () => {
  it.each(['\u0000', 'a\u0000b', 'a\nb', 'a\tb', '\u007f', '\u202e', '\u200b', 'cafe\u0301'])(
    'refuses the subject %j with 422 / 42208 and registers nothing',
    async (subject) => {
      const path = `subjects/${encodeURIComponent(subject)}/versions`;
      const r = await f.call('POST', path, JSON.stringify({ schema: V1 }));
      expect(r.status).toBe(422);
      expect(r.json.error_code).toBe(42208);
      expect(r.json.message).toMatch(/^The specified subject '.*' is not a valid\. It /);
      expect(r.json.message).not.toContain(subject);
      const lookup = await f.call(
        'POST',
        `subjects/${encodeURIComponent(subject)}`,
        JSON.stringify({ schema: V1 }),
      );
      expect(lookup.json.error_code).toBe(42208);
      const all = await f.call('GET', 'subjects');
      expect(all.json).toEqual(['orders-value']);
    },
  );

  it('still accepts ordinary and non-ASCII NFC subjects', async () => {
    for (const subject of ['orders.v2-value', 'café-value', ':.ctx:orders']) {
      const r = await f.call(
        'POST',
        `subjects/${encodeURIComponent(subject)}/versions`,
        JSON.stringify({ schema: V1 }),
      );
      expect(r.status).toBe(200);
    }
  });
});

describe('native API: deep rules.ignore', () => {
  it('answers E_LIMIT_EXCEEDED for an ignore array nested 100,000 levels deep', async () => {
    let ignore: unknown = 'x';
    for (let i = 0; i < 100_000; i++) ignore = [ignore];
    await expect(
      f.registry.setRules({ scope: 'global' }, { ignore } as never),
    ).rejects.toMatchObject({
      code: 'E_LIMIT_EXCEEDED',
      details: { limit: 'maxDepth', max: 64 },
    });
  });
});

describe('Confluent API: the registry limits apply', () => {
  it('parses schema text under the registry limits.maxDepth', async () => {
    const { makeRegistry } = await import('../helpers.js');
    const { createConfluentHandler } = await import('../../src/confluent/index.js');
    const g = await makeRegistry({ limits: { maxDepth: 8 } });
    try {
      expect(g.registry.limits.maxDepth).toBe(8);
      const handler = createConfluentHandler({ registry: g.registry, store: g.store });
      const r = await handler({
        method: 'POST',
        path: 'subjects/s/versions',
        query: {},
        headers: {},
        body: JSON.stringify({ schema: deepText(9), schemaType: 'JSON' }),
      });
      expect(r.status).toBe(422);
      expect(JSON.parse(r.body)).toMatchObject({ error_code: 42201 });
      expect(JSON.parse(r.body).message).toContain('limits.maxDepth (8)');
    } finally {
      await g.close();
    }
  });
});
