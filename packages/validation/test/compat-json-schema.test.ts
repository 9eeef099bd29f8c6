import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';

const js = (schema: unknown) => ({ format: 'json-schema' as const, schema });
const base = {
  type: 'object',
  properties: { id: { type: 'string' }, n: { type: 'integer', maximum: 10 } },
  required: ['id'],
};

describe('JSON Schema compatibility', () => {
  const v = new Validation();

  it('adding an optional property to an open model is compatible under the lenient policy, not strict', () => {
    const next = { ...base, properties: { ...base.properties, note: { type: 'string' } } };
    const lenient = v.checkCompatibility(js(next), [js(base)], { level: 'FULL' });
    expect(lenient.compatible).toBe(true);
    expect(lenient.changes.map((c) => c.rule)).toEqual(['JSON_PROPERTY_ADDED_TO_OPEN_MODEL']);
    expect(lenient.bump).toBe('minor');
    const strict = v.checkCompatibility(js(next), [js(base)], { jsonSchemaPolicy: 'strict' });
    expect(strict.compatible).toBe(false);
  });

  it('a new required property breaks BACKWARD; removing required breaks FORWARD', () => {
    const next = { ...base, required: ['id', 'n'] };
    const r = v.checkCompatibility(js(next), [js(base)]);
    expect(r.violations[0]).toMatchObject({ rule: 'JSON_REQUIRED_ADDED', path: '/required/n' });
    expect(
      v.checkCompatibility(js(base), [js(next)], { level: 'FORWARD' }).violations[0]?.rule,
    ).toBe('JSON_REQUIRED_REMOVED');
  });

  it('narrowing a range or a type breaks BACKWARD; widening breaks FORWARD', () => {
    const narrower = {
      ...base,
      properties: { ...base.properties, n: { type: 'integer', maximum: 5 } },
    };
    expect(v.checkCompatibility(js(narrower), [js(base)]).violations[0]?.rule).toBe(
      'JSON_MAXIMUM_DECREASED',
    );
    const wider = {
      ...base,
      properties: { ...base.properties, n: { type: 'number', maximum: 10 } },
    };
    expect(v.checkCompatibility(js(wider), [js(base)]).compatible).toBe(true);
    expect(
      v.checkCompatibility(js(wider), [js(base)], { level: 'FORWARD' }).violations[0]?.rule,
    ).toBe('JSON_TYPE_WIDENED');
  });

  it('follows $ref into definitions', () => {
    const a = {
      definitions: { n: { type: 'integer' } },
      type: 'object',
      properties: { n: { $ref: '#/definitions/n' } },
    };
    const b = {
      definitions: { n: { type: 'string' } },
      type: 'object',
      properties: { n: { $ref: '#/definitions/n' } },
    };
    const r = v.checkCompatibility(js(b), [js(a)]);
    expect(r.violations.map((x) => x.rule)).toContain('JSON_TYPE_CHANGED');
    expect(r.violations.find((x) => x.rule === 'JSON_TYPE_CHANGED')?.path).toBe(
      '/properties/n/type',
    );
  });

  it('a property added to a closed model breaks FORWARD only', () => {
    const closed = { ...base, additionalProperties: false };
    const next = { ...closed, properties: { ...base.properties, x: { type: 'string' } } };
    expect(v.checkCompatibility(js(next), [js(closed)]).compatible).toBe(true);
    expect(
      v.checkCompatibility(js(next), [js(closed)], { level: 'FORWARD' }).violations[0]?.rule,
    ).toBe('JSON_PROPERTY_ADDED_TO_CLOSED_MODEL');
  });

  it('the empirical check finds documents of the old schema that the new one rejects', () => {
    const next = {
      ...base,
      properties: { ...base.properties, id: { type: 'string', maxLength: 2 } },
    };
    const r = v.empiricalCheck(js(base), js(next), { samples: 50 });
    expect(r.compatible).toBe(false);
    expect(r.counterexamples[0]?.reason).toMatch(/id/);
  });
});
