import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { decodeWireFormat } from '@plinth/registry/confluent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, start, type Running } from './helpers.js';

let svc: Running;
let client: SchemaRegistry;
beforeAll(async () => {
  svc = await start();
  // Confluent clients send basic auth; the password is the admin token.
  client = new SchemaRegistry({
    host: `${svc.url}/confluent`,
    auth: { username: 'ci', password: TOKEN },
  });
});
afterAll(async () => {
  await svc.stop();
});

const AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'acme',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

describe('@kafkajs/confluent-schema-registry against the control plane', () => {
  it('registers an Avro schema, finds its id and latest id, fetches it by id', async () => {
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: AVRO },
      { subject: 'orders-value' },
    );
    expect(id).toBeGreaterThan(0);
    expect(await client.getRegistryId('orders-value', 1)).toBe(id);
    expect(await client.getLatestSchemaId('orders-value')).toBe(id);
    expect(
      await client.getRegistryIdBySchema('orders-value', { type: SchemaType.AVRO, schema: AVRO }),
    ).toBe(id);
    const schema = (await client.getSchema(id)) as unknown as { name?: string };
    expect(schema.name).toBe('acme.Order');
    // The client set the subject's level on first registration (PUT /config/{subject}).
    const config = await fetch(`${svc.url}/confluent/config/orders-value`).then((r) => r.json());
    expect(config).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('encodes and decodes an Avro message through the client serializer', async () => {
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: AVRO },
      { subject: 'orders-value' },
    );
    const fresh = new SchemaRegistry({ host: `${svc.url}/confluent` });
    const message = await fresh.encode(id, { id: 'o-1', amount: 12.5 });
    expect(decodeWireFormat(message).schemaId).toBe(id);
    const other = new SchemaRegistry({ host: `${svc.url}/confluent` }); // empty cache: fetches by id
    expect(await other.decode(message)).toEqual({ id: 'o-1', amount: 12.5 });
  });

  it('needs the admin token to register, not to read', async () => {
    const anonymous = new SchemaRegistry({ host: `${svc.url}/confluent`, retry: { retries: 0 } });
    await expect(
      anonymous.register({ type: SchemaType.AVRO, schema: AVRO }, { subject: 'anon-value' }),
    ).rejects.toMatchObject({ status: 401 });
    expect(await anonymous.getLatestSchemaId('orders-value')).toBeGreaterThan(0);
  });

  it('refuses an incompatible registration with 409', async () => {
    const bad = JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'acme',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'amount', type: 'double' },
        { name: 'currency', type: 'string' },
      ],
    });
    await expect(
      client.register({ type: SchemaType.AVRO, schema: bad }, { subject: 'orders-value' }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it('encodes and decodes JSON Schema and Protobuf messages', async () => {
    const json = await client.register(
      {
        type: SchemaType.JSON,
        schema: JSON.stringify({
          type: 'object',
          properties: { sku: { type: 'string' } },
          required: ['sku'],
        }),
      },
      { subject: 'items-value' },
    );
    const jm = await client.encode(json.id, { sku: 'A-1' });
    expect(await new SchemaRegistry({ host: `${svc.url}/confluent` }).decode(jm)).toEqual({
      sku: 'A-1',
    });
    await expect(client.encode(json.id, { nope: 1 })).rejects.toThrow();
    const proto = await client.register(
      {
        type: SchemaType.PROTOBUF,
        schema:
          'syntax = "proto3";\npackage acme;\nmessage Ping { string text = 1; int32 n = 2; }\n',
      },
      { subject: 'pings-value' },
    );
    const pm = await client.encode(proto.id, { text: 'hi', n: 3 });
    const decoded = await new SchemaRegistry({ host: `${svc.url}/confluent` }).decode(pm);
    expect(decoded).toMatchObject({ text: 'hi', n: 3 });
  });
});
