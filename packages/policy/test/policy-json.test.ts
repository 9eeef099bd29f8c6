import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { isPlinthError } from '@plinth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Expr, PolicyAst } from '../src/internal/ast.js';
import { parseExpression, parsePolicies } from '../src/internal/parser.js';
import {
  exprFromJson,
  exprToJson,
  policyFromJson,
  policyToJson,
} from '../src/internal/policy-json.js';
import { CedarRecord, EntityUID } from '../src/internal/values.js';
import { policySetArb, renderPolicy } from './oracle/policy-gen.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** The AST without spans; Maps as sorted entries; action lists of one as single entities. */
function normAst(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(normAst);
  if (x instanceof Map) return [...x].sort(([a], [b]) => (a < b ? -1 : 1)).map(normAst);
  if (x instanceof EntityUID || x instanceof CedarRecord || typeof x !== 'object' || x === null) {
    return x;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k !== 'span' && k !== 'scopeSpans' && k !== 'list') out[k] = normAst(v);
  }
  // Record fields have no order in Cedar (it prints them sorted).
  if (out.kind === 'record') {
    out.fields = (out.fields as [string, unknown][]).slice().sort(([a], [b]) => (a < b ? -1 : 1));
  }
  return out;
}

/** JSON as cedar-wasm hands it over: Longs are JS numbers (it has no bigint). */
function asCedarNumbers(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}

/**
 * Cedar's JSON in the forms Plinth writes: `has` with a list of attributes as the chain of `has`
 * it means, and a bare annotation (`null`) as `""`.
 */
function plinthForm(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(plinthForm);
  if (typeof x !== 'object' || x === null) return x;
  const o = x as Record<string, unknown>;
  const h = o.has as { left: unknown; attr: unknown } | undefined;
  if (Object.keys(o).length === 1 && h !== undefined && Array.isArray(h.attr)) {
    const left = plinthForm(h.left);
    let target = left;
    let result: unknown;
    for (const attr of h.attr as string[]) {
      const test = { has: { left: target, attr } };
      result = result === undefined ? test : { '&&': { left: result, right: test } };
      target = { '.': { left: target, attr } };
    }
    return result;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] =
      k === 'annotations' && typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v).map(([a, b]) => [a, b ?? '']))
        : plinthForm(v);
  }
  return out;
}

const isTemplateText = (text: string): boolean => /\?(principal|resource)\b/.test(text);

function cedarJson(text: string): unknown {
  const r = isTemplateText(text) ? cedar.templateToJson(text) : cedar.policyToJson(text);
  if (r.type !== 'success')
    throw new Error(`cedar rejects ${text}: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.json;
}

function cedarText(
  json: unknown,
  template: boolean,
): { ok: true; text: string } | { ok: false; message: string } {
  const input = asCedarNumbers(json) as never;
  const r = template ? cedar.templateToText(input) : cedar.policyToText(input);
  return r.type === 'success'
    ? { ok: true, text: r.text }
    : { ok: false, message: r.errors.map((e) => e.message).join('; ') };
}

const one = (text: string): PolicyAst => {
  const ps = parsePolicies(text);
  expect(ps).toHaveLength(1);
  return ps[0]!.ast;
};

/** Every check of one policy text against cedar-wasm; returns nothing, fails loudly. */
function checkAgainstCedar(text: string): void {
  const ast = one(text);
  const ours = policyToJson(ast);
  // 1. Our JSON is Cedar's JSON (in Plinth's forms of `has a.b` and bare annotations).
  expect(asCedarNumbers(ours), text).toEqual(plinthForm(cedarJson(text)));
  // 2. Cedar reads our JSON, and the text it prints parses back to our AST.
  const printed = cedarText(ours, isTemplateText(text));
  expect(printed.ok, text + (printed.ok ? '' : ` → ${printed.message}`)).toBe(true);
  if (printed.ok) expect(normAst(one(printed.text)), text).toEqual(normAst(ast));
  // 3. Our JSON reads back to our AST.
  expect(normAst(policyFromJson(ours)), text).toEqual(normAst(ast));
}

/** A policy covering every construct of the language, one or a few per line. */
const CORPUS: readonly string[] = [
  'permit(principal, action, resource);',
  'forbid(principal == User::"alice", action == Action::"view", resource == Photo::"p1");',
  'permit(principal in Group::"admins", action in [Action::"read", Action::"write"], resource in Folder::"root");',
  'permit(principal is User, action in Action::"readOnly", resource is Photo in Album::"a");',
  'permit(principal is NS::User in NS::Group::"g", action in [NS::Action::"x"], resource is NS::Doc);',
  '@id("p1") @advice("be \\"careful\\"\\n") permit(principal, action, resource) when { true } unless { false };',
  'permit(principal, action, resource) when { principal.age >= 18 && principal.age < 65 || context.override == true };',
  'permit(principal, action, resource) when { !(principal.suspended) && -principal.score > -10 };',
  'permit(principal, action, resource) when { 1 + 2 * 3 - 4 * -5 == 27 && 1 != 2 && 3 <= 4 };',
  'permit(principal, action, resource) when { -9007199254740991 < 9007199254740991 };',
  'permit(principal, action, resource) when { if context.a then principal.b else resource.c };',
  'permit(principal, action, resource) when { principal has email && principal.email like "*@example.com" };',
  'permit(principal, action, resource) when { principal has "first name" && principal["first name"] != "" };',
  'permit(principal, action, resource) when { principal has profile.address.city };',
  'permit(principal, action, resource) when { resource.owner == principal || principal in resource.editors };',
  'permit(principal, action, resource) when { principal is User && resource is Doc in Folder::"f" };',
  'permit(principal, action, resource) when { [1, 2, 3].contains(2) && [1, 2].containsAll([1]) && [1].containsAny([2, 1]) };',
  'permit(principal, action, resource) when { context.tags.isEmpty() == false };',
  'permit(principal, action, resource) when { principal.hasTag("role") && principal.getTag("role") == "admin" };',
  'permit(principal, action, resource) when { {a: 1, "b c": [true, "x"], z: {y: User::"u"}} == context.rec };',
  'permit(principal, action, resource) when { ip("192.168.0.1").isInRange(ip("192.168.0.0/16")) && ip("::1").isLoopback() && ip("10.0.0.1").isIpv4() && !ip("10.0.0.1").isIpv6() && !ip("10.0.0.1").isMulticast() };',
  'permit(principal, action, resource) when { decimal("1.23").lessThan(decimal("2.0")) && decimal("1.0").lessThanOrEqual(decimal("1.0")) && decimal("3.0").greaterThan(decimal("2.0")) && decimal("3.0").greaterThanOrEqual(decimal("3.0")) };',
  'permit(principal, action, resource) when { datetime("2024-01-01").offset(duration("1d")) > datetime("2024-01-01") && datetime("2024-01-02").durationSince(datetime("2024-01-01")) == duration("24h") };',
  'permit(principal, action, resource) when { datetime("2024-01-01T10:00:00Z").toDate() == datetime("2024-01-01") && datetime("2024-01-01T10:00:00Z").toTime() == duration("10h") };',
  'permit(principal, action, resource) when { duration("1d2h3m4s5ms").toDays() + duration("1h").toHours() + duration("1m").toMinutes() + duration("1s").toSeconds() + duration("1ms").toMilliseconds() > 0 };',
  'permit(principal, action, resource) when { "a\\tb\\n\\\\\\"\\u{1F600}\\x41\\0\\\'" like "a\\*b*\\u{2a}c**" };',
  'permit(principal, action, resource) when { !!!!true && ----1 == 1 && --5 == 5 };',
  'permit(principal, action, resource) when { (1 == 2) == (3 != 4) && (principal in Group::"g") in [true] };',
  'permit(principal, action, resource) when { context.x.y.z["w"] && User::"a".friend.name == "b" };',
  'permit(principal, action, resource) when { [] == [] && {} == {} && [[1], [2, [3]]].contains([1]) };',
  'forbid(principal, action, resource) unless { context has mfa && context.mfa };',
  'permit(principal == ?principal, action, resource in ?resource);',
  'permit(principal is User in ?principal, action == Action::"a", resource is Doc in ?resource) when { resource.public };',
  'permit(principal in ?principal, action, resource == ?resource);',
  'permit(principal, action in [], resource);',
  '@bare @a("") permit(principal, action, resource);',
  'permit(principal, action, resource) when { unknown("x") == 1 };',
  'permit(principal, action, resource) when { (if true then 1 else 2) + (if false then 3 else 4) == 5 };',
  'permit(principal, action, resource) when { principal.a.isEmpty() && !principal.b.contains(1) };',
  'permit(principal, action, resource) when { principal has permit && principal.when == principal.unless };',
  'permit(principal, action, resource) when { User::"we\\u{1F600}ird\\n" in context.x };',
];

// ---------------------------------------------------------------------------------------------

describe('agreement with cedar-wasm', () => {
  it('writes what cedar-wasm writes for every construct, and both read it back', () => {
    for (const text of CORPUS) checkAgainstCedar(text);
  });

  it('agrees on generated policies and templates', () => {
    fc.assert(
      fc.property(policySetArb(), (set) => {
        for (const p of set.policies) {
          const text = renderPolicy(p);
          // Longs past 2^53 cross the cedar-wasm boundary as floats; those are checked above.
          if (/\d{16,}/.test(text)) continue;
          checkAgainstCedar(text);
        }
      }),
      { numRuns: 100, seed: 1415 },
    );
  });

  it('accepts and rejects the same JSON as cedar-wasm', () => {
    const base = {
      effect: 'permit',
      principal: { op: 'All' },
      action: { op: 'All' },
      resource: { op: 'All' },
    };
    const when = (body: unknown): unknown => ({ ...base, conditions: [{ kind: 'when', body }] });
    const inputs: unknown[] = [
      when({ like: { left: { Var: 'principal' }, pattern: 'a*b' } }),
      when({ foo: [{ Value: 1 }] }),
      when({ isIpv4: [] }),
      when({ Value: [1, 'a', { __entity: { type: 'A', id: 'b' } }] }),
      when({ Value: { a: 1, b: [true] } }),
      when({ Value: { __extn: { fn: 'ip', arg: '1.2.3.4' } } }),
      when({ Value: { __extn: { fn: 'ip', arg: 'not an ip' } } }),
      when({ Value: { type: 'A', id: 'b' } }),
      when({ unknown: [{ Value: 'x' }] }),
      when({ Unknown: { name: 'x' } }),
      when({ has: { left: { Var: 'principal' }, attr: ['a', 'b'] } }),
      when({ has: { left: { Var: 'principal' }, attr: [] } }),
      when({ '!': { arg: { Value: true }, foo: 1 } }),
      when({ '!': { arg: { Value: true } }, Var: 'principal' }),
      when({ Slot: '?principal' }),
      when({ Var: 'foo' }),
      when({
        is: {
          left: { Var: 'principal' },
          entity_type: 'User',
          in: { Value: { __entity: { type: 'G', id: 'g' } } },
        },
      }),
      when({ is: { left: { Var: 'principal' }, entity_type: 'if' } }),
      when({ Value: 1.5 }),
      when({ Value: null }),
      when({ contains: { left: { Value: [1] }, right: { Value: 1 } } }),
      when({ isEmpty: { arg: { Value: [] } } }),
      when({ '.': { left: { Var: 'context' }, attr: 'a b' } }),
      when({ 'if-then-else': { if: { Value: true }, then: { Value: 1 } } }),
      when({ Record: { a: { Value: 1 } } }),
      when({ Set: {} }),
      { ...base, conditions: [], principal: { op: 'in', entity: { type: 'U', id: 'a' } } },
      {
        ...base,
        conditions: [],
        principal: { op: 'in', entity: { __entity: { type: 'U', id: 'a' } } },
      },
      { ...base, conditions: [], action: { op: 'in', entities: [{ type: 'Action', id: 'a' }] } },
      { ...base, conditions: [], action: { op: '==', entity: { type: 'User', id: 'a' } } },
      { ...base, conditions: [], action: { op: 'is', entity_type: 'Action' } },
      { ...base, conditions: [], annotations: { a: null, id: 'x' } },
      { ...base },
      { ...base, conditions: [], effect: 'allow' },
      { ...base, conditions: [], principal: { op: 'all' } },
      {
        ...base,
        conditions: [],
        principal: { op: 'is', entity_type: 'User', in: { entity: { type: 'G', id: 'g' } } },
      },
      { ...base, conditions: [], extra: 1 },
      { ...base, conditions: [{ kind: 'where', body: { Value: true } }] },
    ];
    for (const json of inputs) {
      let ours: boolean;
      try {
        policyFromJson(json);
        ours = true;
      } catch (e) {
        expect(isPlinthError(e, 'E_PARSE'), String(e)).toBe(true);
        ours = false;
      }
      expect(ours, JSON.stringify(json)).toBe(cedarText(json, false).ok);
    }
  });
});

describe('reading the JSON format', () => {
  it('reads values as literals or the expressions they stand for', () => {
    expect(normAst(exprFromJson({ Value: 9223372036854775807n }))).toEqual({
      kind: 'lit',
      value: 9223372036854775807n,
    });
    expect(normAst(exprFromJson({ Value: -0 }))).toEqual({ kind: 'lit', value: 0 });
    expect(normAst(exprFromJson({ Value: [1, { __entity: { type: 'A', id: 'b' } }] }))).toEqual({
      kind: 'set',
      elements: [
        { kind: 'lit', value: 1 },
        { kind: 'lit', value: new EntityUID('A', 'b') },
      ],
    });
    // A bad extension literal is a call that fails at evaluation, as in Cedar.
    expect(normAst(exprFromJson({ Value: { __extn: { fn: 'decimal', arg: 'x' } } }))).toEqual({
      kind: 'call',
      fn: 'decimal',
      args: [{ kind: 'lit', value: 'x' }],
    });
    // `{ type, id }` without `__entity` is a record.
    expect(normAst(exprFromJson({ Value: { type: 'A', id: 'b' } }))).toMatchObject({
      kind: 'record',
    });
  });

  it('merges pattern characters into runs and writes one element per character', () => {
    const e = exprFromJson({
      like: {
        left: { Var: 'context' },
        pattern: [{ Literal: 'a' }, { Literal: 'b' }, 'Wildcard', 'Wildcard', { Literal: '*' }],
      },
    });
    expect(normAst(e)).toEqual({
      kind: 'like',
      object: { kind: 'var', name: 'context' },
      pattern: [{ literal: 'ab' }, 'wildcard', 'wildcard', { literal: '*' }],
    });
    expect(exprToJson(parseExpression('context like "ab😀*"'))).toEqual({
      like: {
        left: { Var: 'context' },
        pattern: [{ Literal: 'a' }, { Literal: 'b' }, { Literal: '😀' }, 'Wildcard'],
      },
    });
  });

  it('reports malformed JSON as E_PARSE naming the path', () => {
    const base = {
      effect: 'permit',
      principal: { op: 'All' },
      action: { op: 'All' },
      resource: { op: 'All' },
    };
    const cases: [unknown, string][] = [
      [42, 'policy'],
      [{ ...base }, 'policy'],
      [{ ...base, conditions: {} }, 'conditions'],
      [
        { ...base, conditions: [{ kind: 'when', body: { '==': { left: { Value: 1 } } } }] },
        'conditions[0].body["=="]',
      ],
      [
        {
          ...base,
          conditions: [
            { kind: 'when', body: { '&&': { left: { Value: true }, right: { Value: 2 ** 64 } } } },
          ],
        },
        'conditions[0].body["&&"].right["Value"]',
      ],
      [{ ...base, principal: { op: '==', slot: '?resource' }, conditions: [] }, 'principal.slot'],
      [
        { ...base, resource: { op: 'in', entity: { type: 'A::', id: 'x' } }, conditions: [] },
        'resource.entity.type',
      ],
    ];
    for (const [json, path] of cases) {
      let error: unknown;
      try {
        policyFromJson(json);
      } catch (e) {
        error = e;
      }
      expect(isPlinthError(error, 'E_PARSE'), JSON.stringify(json)).toBe(true);
      expect((error as { details: { path: string } }).details.path).toBe(path);
    }
  });

  it('bounds nesting with E_LIMIT_EXCEEDED instead of overflowing the stack', () => {
    let body: unknown = { Value: true };
    for (let i = 0; i < 100_000; i++) body = { '!': { arg: body } };
    let error: unknown;
    try {
      exprFromJson(body);
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_LIMIT_EXCEEDED')).toBe(true);
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(() => exprFromJson({ Value: value })).toThrow(/maxExpressionDepth/);
  });
});

describe('writing the JSON format', () => {
  it('writes record keys and annotations sorted, and an action list of one as one entity', () => {
    const ast = one(
      '@z("1") @a("2") permit(principal, action in [Action::"x"], resource) when { {b: 1, a: 2} == context };',
    );
    const json = policyToJson(ast);
    expect(Object.keys(json.annotations!)).toEqual(['a', 'z']);
    expect(json.action).toEqual({ op: 'in', entity: { type: 'Action', id: 'x' } });
    const body = json.conditions[0]!.body as { '==': { left: { Record: object } } };
    expect(Object.keys(body['=='].left.Record)).toEqual(['a', 'b']);
  });

  it('keeps Longs past 2^53 exact as bigint', () => {
    const e: Expr = parseExpression('-9223372036854775808');
    expect(exprToJson(e)).toEqual({ Value: -9223372036854775808n });
    expect(normAst(exprFromJson(exprToJson(e)))).toEqual(normAst(e));
  });

  it('writes a record key "__proto__" as an own key', () => {
    const json = exprToJson(parseExpression('{"__proto__": 1}')) as { Record: object };
    expect(Object.keys(json.Record)).toEqual(['__proto__']);
    expect(normAst(exprFromJson(JSON.parse(JSON.stringify(json))))).toEqual(
      normAst(parseExpression('{"__proto__": 1}')),
    );
  });
});
