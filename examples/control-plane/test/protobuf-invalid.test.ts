import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Running } from './helpers.js';

let svc: Running;
beforeAll(async () => {
  svc = await start();
});
afterAll(async () => {
  await svc.stop();
});

const proto = (body: string) => `syntax = "proto3";\npackage shop;\nmessage Order {\n${body}\n}\n`;

/** Files that protoc and buf refuse, each with the line the error must point at. */
const INVALID: ReadonlyArray<readonly [string, string, number]> = [
  ['field number 0', proto('  string id = 0;'), 4],
  ['field number above 536,870,911', proto('  string id = 536870912;'), 4],
  ['field number in 19000–19999', proto('  string id = 19000;'), 4],
  ['a reserved number reused', proto('  reserved 3;\n  string id = 3;'), 5],
  ['a reserved name reused', proto('  reserved "id";\n  string id = 1;'), 5],
  ['two fields with one JSON name', proto('  string order_id = 1;\n  string orderId = 2;'), 5],
];

describe('Protobuf that buf refuses is refused by both HTTP APIs', () => {
  it.each(INVALID)('%s → 422 on /v1 with line and column', async (name, schema, line) => {
    const artifact = `shop/${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    const created = await svc.call('POST', '/v1/artifacts', {
      artifact,
      kind: 'schema',
      format: 'protobuf',
    });
    expect(created.status).toBe(201);
    const res = await svc.call('POST', `/v1/artifacts/${artifact}/versions`, { schema });
    expect([res.status, res.json.code]).toEqual([422, 'E_INVALID_SCHEMA']);
    expect(res.json.detail).toContain(`line ${line}`);
    const versions = await svc.call('GET', `/v1/artifacts/${artifact}/versions`);
    expect([versions.status, versions.json]).toEqual([200, []]);
  });

  it.each(INVALID)('%s → 422 / 42201 on the Confluent API', async (name, schema, line) => {
    const subject = `orders-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-value`;
    const res = await svc.call('POST', `/confluent/subjects/${subject}/versions`, {
      schemaType: 'PROTOBUF',
      schema,
    });
    expect(res.status).toBe(422);
    expect(res.json.error_code).toBe(42201);
    expect(res.json.message).toContain(`line ${line}`);
    const subjects = await svc.call('GET', '/confluent/subjects');
    expect(subjects.json).not.toContain(subject);
  });
});
