import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Validation } from '../src/index.js';
import { type Json, pairArb } from './json-schema-pairs.js';

type Obj = Record<string, Json>;
const v = new Validation({ emitFailures: false });
const js = (schema: Json, references?: Array<{ name: string; schema: Json }>) => ({
  format: 'json-schema' as const,
  schema,
  ...(references === undefined ? {} : { references }),
});
const verdict = (prev: ReturnType<typeof js>, next: ReturnType<typeof js>) => {
  const r = v.checkCompatibility(next, [prev], { level: 'FULL', jsonSchemaPolicy: 'strict' });
  return {
    backward: !r.violations.some((x) => x.direction === 'backward'),
    forward: !r.violations.some((x) => x.direction === 'forward'),
    violations: r.violations,
  };
};

/** Replaces every `{"$ref": "#/$defs/…"}` by its target; undefined when a `$ref` has siblings. */
function inline(schema: Json): Json | undefined {
  const defs =
    (typeof schema === 'object' && schema !== null && !Array.isArray(schema)
      ? ((schema as Obj).$defs as Obj | undefined)
      : undefined) ?? {};
  let ok = true;
  const go = (s: Json, depth: number): Json => {
    if (depth > 50) ok = false;
    if (!ok || typeof s !== 'object' || s === null) return s;
    if (Array.isArray(s)) return s.map((x) => go(x, depth + 1));
    const o = s as Obj;
    if (typeof o.$ref === 'string') {
      if (Object.keys(o).length !== 1 || !o.$ref.startsWith('#/$defs/')) ok = false;
      return go(defs[o.$ref.slice('#/$defs/'.length)], depth + 1);
    }
    const out: Obj = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === '$defs') continue;
      out[k] = k === 'enum' || k === 'const' ? x : go(x, depth + 1);
    }
    return out;
  };
  const out = go(schema, 0);
  return ok ? out : undefined;
}

describe('JSON Schema compatibility over references', () => {
  it('gives the same verdict with references as with every reference inlined (property test)', () => {
    const pairs = fc.sample(pairArb, { seed: 4_2024, numRuns: 3000 });
    let withRefs = 0;
    let agree = 0;
    const disagreements: string[] = [];
    for (const [old, next] of pairs) {
      if (!JSON.stringify([old, next]).includes('$ref')) continue;
      const a = inline(old);
      const b = inline(next);
      if (a === undefined || b === undefined) continue;
      withRefs++;
      const refs = verdict(js(old), js(next));
      const flat = verdict(js(a), js(b));
      if (refs.backward === flat.backward && refs.forward === flat.forward) agree++;
      else disagreements.push(`${JSON.stringify(old)} → ${JSON.stringify(next)}`);
    }
    console.log(
      `JSON Schema compatibility over references: ${agree} of ${withRefs} pairs with references get the verdict of their inlined form (${((agree / Math.max(1, withRefs)) * 100).toFixed(2)} %)`,
    );
    expect(withRefs).toBeGreaterThan(500);
    expect(disagreements.slice(0, 3)).toEqual([]);
  }, 120_000);

  it('follows references across documents (named references) and names the reference path', () => {
    const customer = (zip: Json) => ({
      $id: 'https://example.com/schemas/customer.json',
      type: 'object',
      properties: { zip: zip },
      required: ['zip'],
    });
    const order = {
      $id: 'https://example.com/schemas/order.json',
      type: 'object',
      properties: { customer: { $ref: 'customer.json' } },
    };
    const prev = js(order, [{ name: 'customer.json', schema: customer({ type: 'string' }) }]);
    const next = js(order, [
      { name: 'customer.json', schema: customer({ type: 'string', maxLength: 5 }) },
    ]);
    const r = verdict(prev, next);
    expect(r.backward).toBe(false);
    expect(r.forward).toBe(true);
    const change = r.violations.find((x) => x.rule === 'JSON_MAX_LENGTH_ADDED');
    expect(change?.path).toBe('/properties/customer/properties/zip/maxLength');
    expect(change?.message).toContain('via $ref "customer.json"');
  });

  it('resolves $ref against the base URI an embedded $id sets', () => {
    const schema = (t: string) => ({
      $id: 'https://example.com/root.json',
      type: 'object',
      properties: { item: { $ref: 'item.json' } },
      definitions: {
        item: {
          $id: 'item.json',
          type: 'object',
          properties: { n: { $ref: '#/definitions/n' } },
          definitions: { n: { type: t } },
        },
        n: { type: 'string' },
      },
    });
    // "#/definitions/n" inside item.json is item.json's own definitions, not the root's.
    const same = verdict(js(schema('integer')), js(schema('integer')));
    expect(same).toMatchObject({ backward: true, forward: true });
    const r = verdict(js(schema('integer')), js(schema('number')));
    expect(r).toMatchObject({ backward: true, forward: false });
    expect(r.violations[0]?.path).toBe('/properties/item/properties/n/type');
  });

  it('terminates on recursive schemas and compares them coinductively', () => {
    const tree = (leaf: Json) => ({
      $defs: {
        node: {
          type: 'object',
          properties: { value: leaf, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
          required: ['value'],
        },
      },
      $ref: '#/$defs/node',
    });
    expect(verdict(js(tree({ type: 'integer' })), js(tree({ type: 'integer' })))).toMatchObject({
      backward: true,
      forward: true,
    });
    const wider = verdict(js(tree({ type: 'integer' })), js(tree({ type: 'number' })));
    expect(wider).toMatchObject({ backward: true, forward: false });
    // The same list unrolled once more on the new side is the same set of documents.
    const list = { type: 'object', properties: { next: { $ref: '#' } } };
    const unrolled = {
      type: 'object',
      properties: { next: { type: 'object', properties: { next: { $ref: '#' } } } },
    };
    expect(verdict(js(list), js(unrolled))).toMatchObject({ backward: true, forward: true });
  });

  it('follows $dynamicRef through the dynamic scope', () => {
    const base = {
      $id: 'https://example.com/tree.json',
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $dynamicAnchor: 'node',
      type: 'object',
      properties: { kids: { type: 'array', items: { $dynamicRef: '#node' } } },
    };
    const strict = (t: string) => ({
      $id: 'https://example.com/strict-tree.json',
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $dynamicAnchor: 'node',
      $ref: 'tree.json',
      properties: { label: { type: t } },
    });
    const refs = [{ name: 'tree.json', schema: base }];
    const r = verdict(js(strict('string'), refs), js(strict('integer'), refs));
    expect(r.backward).toBe(false);
    expect(r.forward).toBe(false);
    expect(verdict(js(strict('string'), refs), js(strict('string'), refs))).toMatchObject({
      backward: true,
      forward: true,
    });
  });

  it('compares a chain of 1,000 references without running out of stack (conservatively)', () => {
    const chain = (leaf: string) => ({
      $defs: Object.fromEntries(
        Array.from({ length: 1000 }, (_, i) => [
          `d${i}`,
          i === 999
            ? { type: leaf }
            : { type: 'object', properties: { next: { $ref: `#/$defs/d${i + 1}` } } },
        ]),
      ),
      $ref: '#/$defs/d0',
    });
    const r = verdict(js(chain('integer')), js(chain('number')));
    expect(r.backward).toBe(false);
    expect(r.forward).toBe(false);
    expect(r.violations[0]?.message).toMatch(/nest deeper than 150 levels.*more …/);
    expect(verdict(js(chain('integer')), js(chain('integer')))).toMatchObject({
      backward: true,
      forward: true,
    });
  });
});
