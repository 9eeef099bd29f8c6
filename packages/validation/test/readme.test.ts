import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '@plinth/core';
import { avroFingerprint, Validation } from '../src/index.js';

/** The README examples, as written there, with their commented results asserted. */
describe('README examples', () => {
  it('usage', () => {
    const validation = new Validation();
    const v1 = {
      format: 'json-schema',
      schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    };
    const orders = validation.compile(v1);
    expect(orders.validate({ id: 'o-1' })).toEqual({ valid: true, issues: [] });
    expect(orders.validate({}).issues).toEqual([
      expect.objectContaining({ path: '/id', rule: 'required', severity: 'error' }),
    ]);
    const v2 = {
      format: 'json-schema',
      schema: {
        type: 'object',
        properties: { id: { type: 'string' }, note: { type: 'string' } },
        required: ['id'],
      },
    };
    const result = validation.checkCompatibility(v2, [v1], { level: 'FULL_TRANSITIVE' });
    expect(result.compatible).toBe(true);
    expect(result.changes).toEqual([
      expect.objectContaining({
        rule: 'JSON_PROPERTY_ADDED_TO_OPEN_MODEL',
        path: '/properties/note',
        severity: 'additive',
      }),
    ]);
    expect(result.bump).toBe('minor');
    expect(validation.fingerprint(v2)).toMatch(/^sha256:/);
  });

  it('avro', () => {
    const validation = new Validation();
    const v1 = {
      format: 'avro',
      schema: {
        type: 'record',
        name: 'Order',
        namespace: 'shop',
        fields: [
          { name: 'id', type: 'string' },
          {
            name: 'amount',
            type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 },
          },
          {
            name: 'status',
            type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'], default: 'NEW' },
          },
        ],
      },
    };
    const order = validation.compile(v1);
    expect(order.is({ id: 'o-1', amount: Buffer.from([0x01]), status: 'PAID' })).toBe(true);
    const v2 = {
      format: 'avro',
      schema: { ...v1.schema, fields: [...v1.schema.fields, { name: 'note', type: 'string' }] },
    };
    const r = validation.checkCompatibility(v2, [v1], { level: 'BACKWARD' });
    expect(r.violations[0]).toMatchObject({
      rule: 'AVRO_READER_FIELD_MISSING_DEFAULT',
      path: '/fields/3',
      against: 0,
      direction: 'backward',
    });
    expect(validation.empiricalCheck(v1, v2).counterexamples[0]).toBeDefined();
    expect(validation.canonicalForm(v1)).toMatch(
      /^\{"name":"shop\.Order","type":"record","fields":\[/,
    );
    expect(avroFingerprint(v1, 'CRC-64-AVRO')).toHaveLength(8);
  });

  it('protobuf', () => {
    const validation = new Validation();
    const money =
      'syntax = "proto3"; package common; message Money { string currency = 1; int64 units = 2; }';
    const v1 = {
      format: 'protobuf',
      schema: `syntax = "proto3";
package shop;
import "common/money.proto";
message Order { string id = 1; common.Money total = 2; string note = 3; }`,
      references: [{ name: 'common/money.proto', schema: money }],
    };
    const order = validation.compile(v1);
    expect(order.validate({ id: 'o-1', total: { currency: 'EUR', units: 5 } }).valid).toBe(true);
    expect(order.validateEncoded(new Uint8Array([0x0a, 0x03, 0x6f, 0x2d, 0x31])).valid).toBe(true);
    const v2 = { ...v1, schema: v1.schema.replace(' string note = 3;', '') };
    expect(
      validation.checkCompatibility(v2, [v1], { protobufStrictness: 'WIRE' }).violations[0]?.rule,
    ).toBe('FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED');
  });

  it('zod', () => {
    const validation = new Validation();
    const User = z.object({ name: z.string().min(1), age: z.number().int().optional() });
    const user = validation.compile<z.infer<typeof User>>({ format: 'zod', schema: User });
    expect(user.validate({ name: '' }).issues).toEqual([
      expect.objectContaining({ path: '/name', rule: 'zod:too_small' }),
    ]);
    expect(validation.toJsonSchema({ format: 'zod', schema: User })).toMatchObject({
      type: 'object',
      required: ['name'],
    });
    const V2 = User.extend({ email: z.string() });
    expect(
      validation.checkCompatibility({ format: 'zod', schema: V2 }, [
        { format: 'zod', schema: User },
      ]).violations[0]?.rule,
    ).toBe('JSON_REQUIRED_ADDED');
  });

  it('data quality and business rules', async () => {
    const validation = new Validation({
      clock: new ManualClock(Date.parse('2026-01-02T00:00:00Z')),
    });
    const suite = validation.qualitySuite({
      name: 'orders',
      checks: [
        { kind: 'completeness', field: 'email', mostly: 0.95 },
        { kind: 'validity', field: 'amount', min: 0, max: 10_000, warnBelow: 0.99, mostly: 0.9 },
        { kind: 'uniqueness', fields: 'id' },
        { kind: 'reference', field: 'country', lookup: ['NO', 'SE', 'DK'] },
        { kind: 'condition', expression: 'paid <= amount' },
        { kind: 'freshness', field: 'createdAt', maxAgeMs: 86_400_000 },
      ],
    });
    const rows = [
      {
        id: 1,
        email: 'a@example.com',
        amount: 10,
        paid: 10,
        country: 'NO',
        createdAt: '2026-01-01T12:00:00Z',
      },
    ];
    const report = await suite.run(rows);
    expect(report.status).toBe('pass');
    expect(report.dimensions.consistency).toEqual({ score: 1, status: 'pass', checks: 3 });
    const routed: unknown[] = [];
    const rules = validation.ruleSet([
      { id: 'positive-amount', condition: 'amount > 0' },
      {
        id: 'eu-currency',
        when: "country in ['NO', 'SE', 'DK']",
        condition: "currency == 'EUR'",
        action: 'warn',
        severity: 'warning',
      },
      {
        id: 'manual-review',
        condition: 'amount < 5000',
        action: 'route',
        route: async (order) => void routed.push(order),
      },
    ]);
    expect(rules.evaluate({ amount: 0 }).failures[0]).toMatchObject({
      rule: 'positive-amount',
      action: 'reject',
    });
    await expect(rules.enforce({ amount: 10, country: 'US' })).resolves.toMatchObject({
      passed: true,
    });
    await expect(rules.enforce({ amount: -1 })).rejects.toMatchObject({ code: 'E_RULE_REJECTED' });
    await rules.enforce({ amount: 6000 });
    expect(routed).toEqual([{ amount: 6000 }]);
  });
});
