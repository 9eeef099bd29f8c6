import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, start, type Running } from './helpers.js';

/**
 * The real Confluent client registers a bundled JSON Schema whose `$id` is absolute and whose
 * `$ref`s are `$id`-relative names of a referenced subject (Confluent's convention: the
 * reference name is what the referrer writes in `$ref`), encodes and decodes with it, and gets
 * compatibility verdicts that follow the reference.
 */

let svc: Running;
let client: SchemaRegistry;
beforeAll(async () => {
  svc = await start();
  client = new SchemaRegistry({
    host: `${svc.url}/confluent`,
    auth: { username: 'ci', password: TOKEN },
  });
});
afterAll(async () => {
  await svc.stop();
});

const customer = (extra: Record<string, unknown> = {}, required = ['id']) =>
  JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://schemas.example.com/shop/customer.json',
    type: 'object',
    properties: { id: { $ref: '#/definitions/code' }, name: { type: 'string' }, ...extra },
    required,
    definitions: { code: { type: 'string', pattern: '^[A-Z]{3}$' } },
  });

const order = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://schemas.example.com/shop/order.json',
    type: 'object',
    required: ['customer', 'lines'],
    properties: {
      customer: { $ref: 'customer.json' },
      lines: { type: 'array', items: { $ref: 'line.json' } },
      ...extra,
    },
    definitions: {
      // A bundled resource: its own $id, referred to by that URI relative to the order's.
      line: {
        $id: 'line.json',
        type: 'object',
        required: ['sku', 'quantity'],
        properties: {
          sku: { type: 'string' },
          quantity: { type: 'integer', minimum: 1 },
          buyer: { $ref: 'customer.json#/definitions/code' },
        },
      },
    },
  });

async function compatibility(subject: string, schema: string, version = 1) {
  const res = await fetch(
    `${svc.url}/confluent/compatibility/subjects/${subject}/versions/latest`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        authorization: `Basic ${Buffer.from(`ci:${TOKEN}`).toString('base64')}`,
      },
      body: JSON.stringify({
        schemaType: 'JSON',
        schema,
        references: [{ name: 'customer.json', subject: 'shop-customer', version }],
      }),
    },
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { is_compatible: boolean };
}

describe('Confluent client with bundled JSON Schemas and $id-relative references', () => {
  it('registers, encodes, decodes and checks compatibility through the reference', async () => {
    const c1 = await client.register(
      { type: SchemaType.JSON, schema: customer() },
      { subject: 'shop-customer' },
    );
    expect(c1.id).toBeGreaterThan(0);
    const o1 = await client.register(
      {
        type: SchemaType.JSON,
        schema: order(),
        references: [{ name: 'customer.json', subject: 'shop-customer', version: 1 }],
      },
      { subject: 'shop-order-value' },
    );
    expect(o1.id).toBeGreaterThan(c1.id);

    const message = { customer: { id: 'ADA' }, lines: [{ sku: 'A-1', quantity: 2, buyer: 'ADA' }] };
    const bytes = await client.encode(o1.id, message);
    // A fresh client (empty cache) fetches the schema and its reference by id.
    expect(await new SchemaRegistry({ host: `${svc.url}/confluent` }).decode(bytes)).toEqual(
      message,
    );
    // The reference and the bundled resource both apply: a bad customer code, a bad quantity.
    await expect(client.encode(o1.id, { customer: { id: 'ada' }, lines: [] })).rejects.toThrow();
    await expect(
      client.encode(o1.id, { customer: { id: 'ADA' }, lines: [{ sku: 'A', quantity: 0 }] }),
    ).rejects.toThrow();

    // The registry validates with the same reference world the client does.
    const check = await svc.call('POST', '/confluent/subjects/shop-order-value', {
      schemaType: 'JSON',
      schema: order(),
      references: [{ name: 'customer.json', subject: 'shop-customer', version: 1 }],
    });
    expect(check.status).toBe(200);
    expect(check.json.id).toBe(o1.id);

    // Compatibility verdicts: an optional property is compatible (BACKWARD)...
    expect(await compatibility('shop-order-value', order({ note: { type: 'string' } }))).toEqual({
      is_compatible: true,
    });
    // ...and so is an order pointing at a customer version that only adds an optional field.
    const c2 = await client.register(
      { type: SchemaType.JSON, schema: customer({ email: { type: 'string' } }) },
      { subject: 'shop-customer' },
    );
    expect(c2.id).toBeGreaterThan(o1.id);
    expect(await compatibility('shop-order-value', order(), 2)).toEqual({ is_compatible: true });
    // A customer version that makes a field required narrows every order that refers to it: the
    // verdict follows the reference into the other subject.
    const none = await fetch(`${svc.url}/confluent/config/shop-customer`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        authorization: `Basic ${Buffer.from(`ci:${TOKEN}`).toString('base64')}`,
      },
      body: JSON.stringify({ compatibility: 'NONE' }),
    });
    expect(none.status).toBe(200);
    await client.register(
      { type: SchemaType.JSON, schema: customer({ email: { type: 'string' } }, ['id', 'email']) },
      { subject: 'shop-customer', compatibility: COMPATIBILITY.NONE },
    );
    expect(await compatibility('shop-order-value', order(), 3)).toEqual({ is_compatible: false });
    // Narrowing the order itself (quantity on the order, now required) is refused.
    expect(
      await compatibility(
        'shop-order-value',
        JSON.stringify({ ...JSON.parse(order()), required: ['customer', 'lines', 'total'] }),
      ),
    ).toEqual({ is_compatible: false });
  });
});
