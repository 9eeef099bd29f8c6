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

  describe('oneOf is exclusive', () => {
    const check = (a: unknown, b: unknown) => ({
      backward: v.checkCompatibility(js(b), [js(a)], { level: 'BACKWARD' }),
      forward: v.checkCompatibility(js(b), [js(a)], { level: 'FORWARD' }),
    });

    it('widening a branch so that it overlaps another breaks BACKWARD (0.7 now matches two)', () => {
      const r = check(
        { oneOf: [{ type: 'integer' }, { type: 'number', minimum: 0.5 }] },
        { oneOf: [{ type: 'number' }, { type: 'number', minimum: 0.5 }] },
      );
      expect(r.backward.compatible).toBe(false);
      expect(r.backward.violations.map((x) => x.rule)).toContain('JSON_ONE_OF_OVERLAP');
      expect(
        v.compile(js({ oneOf: [{ type: 'number' }, { type: 'number', minimum: 0.5 }] })).is(0.7),
      ).toBe(false);
    });

    it('duplicating a branch is a change, and it breaks BACKWARD (every string now matches twice)', () => {
      const r = check(
        { oneOf: [{ type: 'string' }] },
        { oneOf: [{ type: 'string' }, { type: 'string' }] },
      );
      expect(r.backward.changes.length).toBeGreaterThan(0);
      expect(r.backward.violations[0]?.rule).toBe('JSON_ONE_OF_OVERLAP');
    });

    it('an added overlapping branch breaks BACKWARD; an added disjoint branch only FORWARD', () => {
      const overlapping = check(
        { oneOf: [{ type: 'string' }] },
        { oneOf: [{ type: 'string' }, { type: 'string', minLength: 2 }] },
      );
      expect(overlapping.backward.compatible).toBe(false);
      const disjoint = check(
        { oneOf: [{ type: 'string' }] },
        { oneOf: [{ type: 'string' }, { type: 'null' }] },
      );
      expect(disjoint.backward.compatible).toBe(true);
      expect(disjoint.forward.violations.map((x) => x.rule)).toEqual(['JSON_ONE_OF_BRANCH_ADDED']);
    });

    it('branches told apart by a required discriminator stay disjoint when one is widened', () => {
      const branch = (k: string, extra: object) => ({
        type: 'object',
        required: ['kind'],
        properties: { kind: { const: k }, ...extra },
      });
      const r = check(
        {
          oneOf: [branch('a', { n: { type: 'integer' } }), branch('b', { n: { type: 'number' } })],
        },
        { oneOf: [branch('a', { n: { type: 'number' } }), branch('b', { n: { type: 'number' } })] },
      );
      expect(r.backward.compatible).toBe(true);
      expect(r.forward.compatible).toBe(false);
    });
  });

  describe('subsumption', () => {
    it('wrapping a schema in a single-branch anyOf, allOf or oneOf changes nothing', () => {
      const x = { type: 'string', maxLength: 3 };
      for (const kw of ['anyOf', 'allOf', 'oneOf']) {
        const r = v.checkCompatibility(js({ [kw]: [x] }), [js(x)], { level: 'FULL' });
        expect(r.compatible, kw).toBe(true);
        expect(r.changes.map((c) => c.rule)).toEqual(['JSON_SUBSCHEMA_RESTRUCTURED']);
        expect(r.bump).toBe('patch');
      }
    });

    it('x → anyOf[x, array of x] is BACKWARD compatible (it widens)', () => {
      const x = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
      const next = { anyOf: [x, { type: 'array', items: x }] };
      expect(v.checkCompatibility(js(next), [js(x)], { level: 'BACKWARD' }).compatible).toBe(true);
      expect(v.checkCompatibility(js(next), [js(x)], { level: 'FORWARD' }).compatible).toBe(false);
    });

    it('a keyword that does not apply to the type is no narrowing', () => {
      const r = v.checkCompatibility(js({ type: 'string', maximum: 1 }), [js({ type: 'string' })], {
        level: 'FULL',
      });
      expect(r.compatible).toBe(true);
    });

    it('checks two 100-field schemas at FULL, finding the one narrowed field', () => {
      const fields = (narrow: boolean) => ({
        type: 'object',
        properties: Object.fromEntries(
          Array.from({ length: 100 }, (_, i) => [
            `f${i}`,
            i % 3 === 0
              ? { type: 'string', maxLength: narrow && i === 42 ? 10 : 20 }
              : i % 3 === 1
                ? { type: 'integer', minimum: 0 }
                : { type: 'array', items: { type: 'string' } },
          ]),
        ),
        required: ['f0', 'f1'],
      });
      expect(
        v.checkCompatibility(js(fields(false)), [js(fields(false))], { level: 'FULL' }).compatible,
      ).toBe(true);
      const r = v.checkCompatibility(js(fields(true)), [js(fields(false))], { level: 'FULL' });
      expect(r.violations.map((x) => `${x.rule}@${x.path}`)).toEqual([
        'JSON_MAX_LENGTH_DECREASED@/properties/f42/maxLength',
      ]);
    });
  });

  describe('applicators compared subschema by subschema', () => {
    const dirs = (a: unknown, b: unknown) => {
      const r = v.checkCompatibility(js(b), [js(a)], { level: 'FULL', jsonSchemaPolicy: 'strict' });
      return {
        backward: !r.violations.some((x) => x.direction === 'backward'),
        forward: !r.violations.some((x) => x.direction === 'forward'),
        rules: r.changes.map((x) => `${x.rule}@${x.path}`),
      };
    };

    it('then/else under the same if', () => {
      const r = dirs(
        { if: { type: 'string' }, then: { maxLength: 3 }, else: { type: 'integer' } },
        { if: { type: 'string' }, then: { maxLength: 5 }, else: { type: 'number' } },
      );
      expect(r).toMatchObject({ backward: true, forward: false });
      expect(r.rules).toEqual([
        'JSON_MAX_LENGTH_INCREASED@/then/maxLength',
        'JSON_TYPE_WIDENED@/else/type',
      ]);
    });

    it('dependencies key by key, propertyNames and contains as subschemas', () => {
      expect(
        dirs({ dependencies: { a: ['b', 'c'] } }, { dependencies: { a: ['b'] } }),
      ).toMatchObject({
        backward: true,
        forward: false,
        rules: ['JSON_DEPENDENCY_REMOVED@/dependencies/a'],
      });
      expect(
        dirs({ propertyNames: { maxLength: 3 } }, { propertyNames: { maxLength: 2 } }),
      ).toMatchObject({
        backward: false,
        forward: true,
      });
      expect(
        dirs({ contains: { type: 'integer' } }, { contains: { type: 'number' } }),
      ).toMatchObject({
        backward: true,
        forward: false,
      });
    });
  });
});
