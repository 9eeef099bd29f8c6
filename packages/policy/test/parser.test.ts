import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { isPlinthError } from '@plinth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Expr, PolicyAst } from '../src/internal/ast.js';
import { parseEntityUid, parseExpression, parsePolicies } from '../src/internal/parser.js';
import { CedarRecord, EntityUID, type Value } from '../src/internal/values.js';
import { DEFAULT_POLICY_LIMITS } from '../src/options.js';
import { policySetArb, renderPolicy } from './oracle/policy-gen.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** The AST without source spans (and Maps as entry lists), for structural comparison. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x instanceof Map) return [...x].map(strip);
  if (x instanceof EntityUID || x instanceof CedarRecord || typeof x !== 'object' || x === null) {
    return x;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (k !== 'span' && k !== 'scopeSpans') out[k] = strip(v);
  }
  return out;
}

const expr = (text: string): unknown => strip(parseExpression(text));
const policy = (text: string): PolicyAst => {
  const ps = parsePolicies(text);
  expect(ps).toHaveLength(1);
  return ps[0]!.ast;
};

const lit = (value: Value): Expr => ({ kind: 'lit', value });
const uid = (type: string, id: string): EntityUID => new EntityUID(type, id);
const v = (name: 'principal' | 'action' | 'resource' | 'context'): Expr => ({ kind: 'var', name });
const bin = (op: string, left: Expr, right: Expr): Expr =>
  ({ kind: 'binary', op, left, right }) as Expr;
const get = (object: Expr, attr: string): Expr => ({ kind: 'getAttr', object, attr });
const has = (object: Expr, attr: string): Expr => ({ kind: 'hasAttr', object, attr });

/** The error `f` throws (failing the test when it throws none). */
function thrown(f: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

function parseErrorAt(text: string): { line: number; column: number; message: string } {
  const e = thrown(() => parsePolicies(text));
  expect(isPlinthError(e, 'E_PARSE')).toBe(true);
  const { line, column } = e.details as { line: number; column: number };
  expect(e.message).toContain(`(line ${line}, column ${column})`);
  return { line, column, message: e.message };
}

const wrap = (body: string): string => `permit(principal, action, resource) when { ${body} };`;

// ---------------------------------------------------------------------------------------------

describe('literals and primaries', () => {
  it('reads booleans, Longs, strings and entity references', () => {
    expect(expr('true')).toEqual(lit(true));
    expect(expr('false')).toEqual(lit(false));
    expect(expr('0')).toEqual(lit(0));
    expect(expr('9007199254740993')).toEqual(lit(9007199254740993n));
    expect(expr('9223372036854775807')).toEqual(lit(9223372036854775807n));
    expect(expr('"a\\tb\\n\\\\\\"\\x41\\u{1F600}\\0\\\'"')).toEqual(lit('a\tb\n\\"A😀\0\''));
    expect(expr('User::"alice"')).toEqual(lit(uid('User', 'alice')));
    expect(expr('A::B::C::"x\\"y"')).toEqual(lit(uid('A::B::C', 'x"y')));
  });

  it('folds `-` into an integer literal, so the smallest Long is a literal', () => {
    expect(expr('-1')).toEqual(lit(-1));
    expect(expr('- 1')).toEqual(lit(-1));
    expect(expr('-9223372036854775808')).toEqual(lit(-9223372036854775808n));
    expect(expr('--9223372036854775808')).toEqual({ kind: 'neg', arg: lit(-9223372036854775808n) });
    expect(expr('-(5)')).toEqual({ kind: 'neg', arg: lit(5) });
    // A `-` before a literal with a member access negates the whole access.
    expect(expr('-1.isEmpty()')).toEqual({ kind: 'neg', arg: { kind: 'isEmpty', arg: lit(1) } });
  });

  it('rejects Long literals outside the 64-bit range', () => {
    for (const t of ['9223372036854775808', '-9223372036854775809', '1'.repeat(400)]) {
      const e = thrown(() => parseExpression(t));
      expect(isPlinthError(e, 'E_PARSE')).toBe(true);
      expect(e.message).toMatch(/too large/);
    }
  });

  it('reads the four variables and rejects other names', () => {
    for (const n of ['principal', 'action', 'resource', 'context'] as const)
      expect(expr(n)).toEqual(v(n));
    expect(thrown(() => parseExpression('foo')).message).toMatch(/invalid variable: foo/);
    expect(thrown(() => parseExpression('A::B')).message).toMatch(/invalid variable: A::B/);
  });

  it('reads sets and records, with trailing commas and string keys', () => {
    expect(expr('[1, "a",]')).toEqual({ kind: 'set', elements: [lit(1), lit('a')] });
    expect(expr('[]')).toEqual({ kind: 'set', elements: [] });
    expect(expr('{}')).toEqual({ kind: 'record', fields: [] });
    expect(expr('{a: 1, "b c": [true], permit: 2,}')).toEqual({
      kind: 'record',
      fields: [
        ['a', lit(1)],
        ['b c', { kind: 'set', elements: [lit(true)] }],
        ['permit', lit(2)],
      ],
    });
    expect(thrown(() => parseExpression('{a: 1, a: 2}')).message).toMatch(/duplicate key `a`/);
    expect(thrown(() => parseExpression('{if: 1}')).message).toMatch(/reserved/);
    expect(thrown(() => parseExpression('[1,,2]')).code).toBe('E_PARSE');
  });

  it('reads `unknown("name")` as a named unknown', () => {
    expect(expr('unknown("x")')).toEqual({ kind: 'unknown', name: 'x' });
    expect(thrown(() => parseExpression('unknown(1)')).code).toBe('E_PARSE');
  });
});

describe('operators and precedence', () => {
  const [a, b, c] = [get(v('context'), 'a'), get(v('context'), 'b'), get(v('context'), 'c')];

  it('binds || loosest, then &&, relations, + -, *, unary, member access', () => {
    expect(expr('context.a || context.b && context.c')).toEqual(bin('||', a, bin('&&', b, c)));
    expect(expr('context.a && context.b || context.c')).toEqual(bin('||', bin('&&', a, b), c));
    expect(expr('context.a == context.b && context.c')).toEqual(bin('&&', bin('==', a, b), c));
    expect(expr('1 + 2 * 3')).toEqual(bin('+', lit(1), bin('*', lit(2), lit(3))));
    expect(expr('1 - 2 - 3')).toEqual(bin('-', bin('-', lit(1), lit(2)), lit(3)));
    expect(expr('1 + 2 < 3 * 4')).toEqual(
      bin('<', bin('+', lit(1), lit(2)), bin('*', lit(3), lit(4))),
    );
    expect(expr('!context.a')).toEqual({ kind: 'not', arg: a });
    expect(expr('-context.a * 2')).toEqual(bin('*', { kind: 'neg', arg: a }, lit(2)));
    expect(expr('!context has a')).toEqual(has({ kind: 'not', arg: v('context') }, 'a'));
  });

  it('reads every relation and arithmetic operator', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=', 'in']) {
      expect(expr(`context.a ${op} context.b`)).toEqual(bin(op, a, b));
    }
    for (const op of ['+', '-', '*', '&&', '||']) {
      expect(expr(`context.a ${op} context.b`)).toEqual(bin(op, a, b));
    }
  });

  it('requires parentheses around chained relations', () => {
    for (const t of [
      '1 == 2 == 3',
      '1 < 2 < 3',
      '1 in 2 in 3',
      'context has a has b',
      'context is A is B',
    ]) {
      expect(thrown(() => parseExpression(t)).code).toBe('E_PARSE');
    }
    expect(expr('(1 == 2) == true')).toEqual(bin('==', bin('==', lit(1), lit(2)), lit(true)));
  });

  it('takes if-then-else only where an expression starts, with a greedy else branch', () => {
    expect(expr('if context.a then 1 else 2 + 3')).toEqual({
      kind: 'if',
      cond: a,
      then: lit(1),
      else: bin('+', lit(2), lit(3)),
    });
    expect(expr('(if true then 1 else 2) + 3')).toEqual(
      bin('+', { kind: 'if', cond: lit(true), then: lit(1), else: lit(2) }, lit(3)),
    );
    expect(thrown(() => parseExpression('1 + if true then 1 else 2')).code).toBe('E_PARSE');
    expect(thrown(() => parseExpression('true && if true then true else false')).code).toBe(
      'E_PARSE',
    );
  });

  it('allows up to four repeated unary operators, never mixed without parentheses', () => {
    expect(expr('!!!!true')).toEqual({
      kind: 'not',
      arg: { kind: 'not', arg: { kind: 'not', arg: { kind: 'not', arg: lit(true) } } },
    });
    expect(expr('----1')).toEqual({
      kind: 'neg',
      arg: { kind: 'neg', arg: { kind: 'neg', arg: lit(-1) } },
    });
    for (const t of ['!!!!!true', '-----1', '!-1', '-!true']) {
      expect(thrown(() => parseExpression(t)).code).toBe('E_PARSE');
    }
    expect(expr('!(-1)')).toEqual({ kind: 'not', arg: lit(-1) });
  });

  it('desugars `has a.b.c` to a chain of `has` tests', () => {
    const p = v('principal');
    expect(expr('principal has a.b.c')).toEqual(
      bin('&&', bin('&&', has(p, 'a'), has(get(p, 'a'), 'b')), has(get(get(p, 'a'), 'b'), 'c')),
    );
    expect(expr('principal has "a b"')).toEqual(has(p, 'a b'));
    for (const t of [
      'principal has if',
      'principal has a.if',
      'principal has "a".b',
      'principal has a["b"]',
      'principal has 1',
    ]) {
      expect(thrown(() => parseExpression(t)).code).toBe('E_PARSE');
    }
  });

  it('reads like patterns with wildcards and escaped stars', () => {
    expect(expr('context.a like "a*b\\**"')).toEqual({
      kind: 'like',
      object: a,
      pattern: [{ literal: 'a' }, 'wildcard', { literal: 'b*' }, 'wildcard'],
    });
    expect(expr('"x" like "\\u{2a}"')).toEqual({
      kind: 'like',
      object: lit('x'),
      pattern: ['wildcard'],
    });
    expect(thrown(() => parseExpression('"x" like context.a')).message).toMatch(/pattern literal/);
  });

  it('reads `is` and `is … in`', () => {
    expect(expr('principal is NS::User')).toEqual({
      kind: 'is',
      object: v('principal'),
      entityType: 'NS::User',
    });
    expect(expr('principal is User in [Group::"g"]')).toEqual({
      kind: 'is',
      object: v('principal'),
      entityType: 'User',
      in: { kind: 'set', elements: [lit(uid('Group', 'g'))] },
    });
    expect(thrown(() => parseExpression('principal is User::"a"')).code).toBe('E_PARSE');
  });

  it('reads member access, built-in methods and extension calls', () => {
    const p = v('principal');
    expect(expr('principal["a b"].c')).toEqual(get(get(p, 'a b'), 'c'));
    expect(expr('principal.contains')).toEqual(get(p, 'contains'));
    for (const m of ['contains', 'containsAll', 'containsAny', 'hasTag', 'getTag']) {
      expect(expr(`principal.${m}(1)`)).toEqual(bin(m, p, lit(1)));
    }
    expect(expr('principal.isEmpty()')).toEqual({ kind: 'isEmpty', arg: p });
    expect(expr('ip("10.0.0.1").isInRange(ip("10.0.0.0/8"))')).toEqual({
      kind: 'call',
      fn: 'isInRange',
      args: [
        { kind: 'call', fn: 'ip', args: [lit('10.0.0.1')] },
        { kind: 'call', fn: 'ip', args: [lit('10.0.0.0/8')] },
      ],
    });
    expect(expr('decimal("1.0")')).toEqual({ kind: 'call', fn: 'decimal', args: [lit('1.0')] });
    expect(expr('datetime("2024-01-01").offset(duration("1h")).toDate()')).toMatchObject({
      kind: 'call',
      fn: 'toDate',
    });
  });

  it('rejects unknown functions and methods, and wrong arity of built-in methods, with a location', () => {
    expect(thrown(() => parseExpression('foo(1)')).message).toMatch(
      /unknown extension function.*`foo`.*column 1\)/,
    );
    expect(thrown(() => parseExpression('principal.foo(1)')).message).toMatch(
      /unknown extension function.*`foo`.*column 11\)/,
    );
    expect(thrown(() => parseExpression('ip("1").ip()')).message).toMatch(/not a valid method/);
    expect(expr('principal.isIpv4')).toEqual(get(v('principal'), 'isIpv4'));
    expect(thrown(() => parseExpression('isIpv4(ip("1"))')).message).toMatch(
      /not a valid function/,
    );
    expect(thrown(() => parseExpression('principal.contains(1, 2)')).message).toMatch(
      /exactly 1 argument, but got 2/,
    );
    expect(thrown(() => parseExpression('principal.isEmpty(1)')).message).toMatch(
      /exactly 0 arguments/,
    );
    expect(thrown(() => parseExpression('principal[1]')).code).toBe('E_PARSE');
  });

  it('rejects reserved identifiers and the __cedar namespace in names', () => {
    for (const t of [
      'principal.if',
      'principal.true',
      'A::if::"x"',
      '__cedar::ip("1")',
      'principal is __cedar::U',
      'principal.__cedar',
      'if::"x"',
    ]) {
      expect(thrown(() => parseExpression(t)).code, t).toBe('E_PARSE');
    }
    // Words that are only keywords of the policy syntax are plain identifiers.
    expect(expr('principal.permit')).toEqual(get(v('principal'), 'permit'));
  });

  it('rejects template slots in conditions', () => {
    expect(thrown(() => parsePolicies(wrap('principal == ?principal'))).message).toMatch(/slot/);
  });
});

describe('policies', () => {
  it('reads every scope form', () => {
    const p = policy(
      'permit(principal == User::"a", action == Action::"v", resource in Folder::"f");',
    );
    expect(p.principal).toEqual({ op: '==', target: { kind: 'entity', uid: uid('User', 'a') } });
    expect(p.action).toEqual({ op: '==', uid: uid('Action', 'v') });
    expect(p.resource).toEqual({ op: 'in', target: { kind: 'entity', uid: uid('Folder', 'f') } });
    const q = policy(
      'forbid(principal is User in Group::"g", action in [Action::"a", NS::Action::"b",], resource is Doc);',
    );
    expect(q.effect).toBe('forbid');
    expect(q.principal).toEqual({
      op: 'is',
      entityType: 'User',
      in: { kind: 'entity', uid: uid('Group', 'g') },
    });
    expect(q.action).toEqual({
      op: 'in',
      uids: [uid('Action', 'a'), uid('NS::Action', 'b')],
      list: true,
    });
    expect(q.resource).toEqual({ op: 'is', entityType: 'Doc' });
    expect(policy('permit(principal, action in Action::"a", resource,);').action).toEqual({
      op: 'in',
      uids: [uid('Action', 'a')],
      list: false,
    });
    expect(policy('permit(principal, action in [], resource);').action).toEqual({
      op: 'in',
      uids: [],
      list: true,
    });
  });

  it('reads templates with slots in their own positions only', () => {
    const t = policy('permit(principal is User in ?principal, action, resource == ?resource);');
    expect(t.principal).toEqual({
      op: 'is',
      entityType: 'User',
      in: { kind: 'slot', name: '?principal' },
    });
    expect(t.resource).toEqual({ op: '==', target: { kind: 'slot', name: '?resource' } });
    for (const bad of [
      'permit(principal in ?resource, action, resource);',
      'permit(principal, action, resource == ?principal);',
      'permit(principal, action == ?principal, resource);',
      'permit(principal == ?foo, action, resource);',
    ]) {
      expect(thrown(() => parsePolicies(bad)).code, bad).toBe('E_PARSE');
    }
  });

  it('rejects malformed scopes with Cedar-like messages', () => {
    const cases: [string, RegExp][] = [
      ['permit(principal, action == User::"a", resource);', /type `Action`/],
      ['permit(principal, action in [User::"a"], resource);', /type `Action`/],
      ['permit(principal, action is Action, resource);', /`is` cannot appear in the action scope/],
      ['permit(principal in [User::"a"], action, resource);', /set of entity uids/],
      ['permit(principal == "a", action, resource);', /found literal/],
      ['permit(principal == principal, action, resource);', /found name `principal`/],
      ['permit(resource, action, principal);', /found the variable `resource`/],
      ['permit(principal, action);', /missing the `resource` variable/],
      ['permit();', /missing the `principal` variable/],
      ['permit(principal, action, resource) when {};', /cannot be empty/],
      ['permit(principal, action, resource) where { true };', /invalid policy condition: where/],
      ['permit(principal, action, resource) when { true }', /end of input/],
      ['allow(principal, action, resource);', /expected `permit` or `forbid`/],
    ];
    for (const [text, re] of cases)
      expect(thrown(() => parsePolicies(text)).message, text).toMatch(re);
  });

  it('reads annotations, bare ones as ""', () => {
    const p = policy(
      '@id("p1") @bare @advice("a\\nb") @if("reserved words are fine") permit(principal, action, resource);',
    );
    expect([...p.annotations]).toEqual([
      ['id', 'p1'],
      ['bare', ''],
      ['advice', 'a\nb'],
      ['if', 'reserved words are fine'],
    ]);
    expect(
      thrown(() => parsePolicies('@id("a") @id("b") permit(principal, action, resource);')).message,
    ).toMatch(/duplicate annotation: @id/);
    expect(thrown(() => parsePolicies('@a(1) permit(principal, action, resource);')).code).toBe(
      'E_PARSE',
    );
  });

  it('reads conditions in order, and several policies with their own text and spans', () => {
    const text =
      '// leading comment\npermit(principal, action, resource) when { true } unless { false };\n@id("x")\nforbid(principal, action, resource);';
    const ps = parsePolicies(text);
    expect(ps).toHaveLength(2);
    expect(ps[0]!.ast.conditions.map((c) => c.kind)).toEqual(['when', 'unless']);
    expect(ps[0]!.text).toBe('permit(principal, action, resource) when { true } unless { false };');
    expect(ps[1]!.text).toBe('@id("x")\nforbid(principal, action, resource);');
    const span = ps[0]!.ast.conditions[1]!.span!;
    expect(text.slice(span.start, span.end)).toBe('unless { false }');
    const body = ps[0]!.ast.conditions[0]!.body;
    expect(text.slice(body.span!.start, body.span!.end)).toBe('true');
    const scope = ps[0]!.ast.scopeSpans!;
    expect(text.slice(scope.action!.start, scope.action!.end)).toBe('action');
    expect(parsePolicies('  // nothing here\n')).toEqual([]);
  });

  it('gives each expression node the span of its text', () => {
    const text = 'principal.a.contains(1 + 2) && !context.b';
    const e = parseExpression(text) as Expr & { kind: 'binary' };
    const at = (x: Expr): string => text.slice(x.span!.start, x.span!.end);
    expect(at(e)).toBe(text);
    expect(at(e.left)).toBe('principal.a.contains(1 + 2)');
    expect(at(e.right)).toBe('!context.b');
    expect(at((e.left as Expr & { kind: 'binary' }).right)).toBe('1 + 2');
  });
});

describe('errors carry a code, a line and a column', () => {
  it('points at the offending token', () => {
    const cases: [string, number, number][] = [
      ['permit(principal, action, resource)\nwhen { 1 == 2 == 3 };', 2, 15],
      ['permit(principal, action, resource) when {\n  "abc\n};', 2, 3],
      ['permit(principal, action, resource) when {\n\n    "a\\q" };', 3, 7],
      ['permit(principal, action, resource) when { 99999999999999999999 };', 1, 44],
      ['permit(principal, action, resource)\r\nwhen { foo };', 2, 8],
      ['permit(principal, action, resource) when { principal.bar() };', 1, 54],
      ['permit(principal, action, resource) when { 1 = 2 };', 1, 46],
      ["permit(principal, action, resource) when { 'a' };", 1, 44],
      ['permit(principal, action == User::"a", resource);', 1, 29],
      ['permit(principal, action, resource);\npermit(principal, action, resource)', 2, 36],
      ['@id("a")\n@id("b") permit(principal, action, resource);', 2, 2],
    ];
    for (const [text, line, column] of cases) {
      const at = parseErrorAt(text);
      expect({ text, line: at.line, column: at.column }).toEqual({ text, line, column });
    }
  });

  it('is a typed E_PARSE for every malformed input, never another error', () => {
    const bad = [
      '',
      'permit',
      'permit(',
      'permit(principal',
      'permit(principal,',
      'permit(principal, action, resource) when',
      'permit(principal, action, resource) when {',
      'permit(principal, action, resource) when { (',
      'permit(principal, action, resource) when { [1, 2 };',
      'permit(principal, action, resource) when { {a 1} };',
      'permit(principal, action, resource) when { principal. };',
      'permit(principal, action, resource) when { "\\u{110000}" };',
      'permit(principal, action, resource) when { "\\u{D800}" };',
      'permit(principal, action, resource) when { "\\x80" };',
      'permit(principal, action, resource) when { "\\*" };',
      'permit(principal, action, resource) when { "abc\\',
      'permit(principal, action, resource) when { "abc',
      'permit(principal, action, resource) when { 1 / 2 };',
      'permit(principal, action, resource) when { 1 % 2 };',
      'permit(principal, action, resource) when { a & b };',
      'permit(principal, action, resource) when { \u0001 };',
      '@',
      '@id(',
      '@id("x"',
    ];
    for (const text of bad) {
      const e = thrown(() => (text === '' ? parseExpression(text) : parsePolicies(text)));
      expect(isPlinthError(e, 'E_PARSE'), text).toBe(true);
      expect(typeof e.details?.line, text).toBe('number');
      expect(typeof e.details?.column, text).toBe('number');
    }
  });
});

describe('hostile input', () => {
  const limited = (f: () => unknown): void => {
    const e = thrown(f);
    expect(isPlinthError(e, 'E_LIMIT_EXCEEDED'), e.message).toBe(true);
  };

  it('rejects text longer than maxDocumentSize before reading it', () => {
    const text = 'permit(principal, action, resource);'.padEnd(10 * 1024 * 1024, ' ');
    const started = Date.now();
    const e = thrown(() => parsePolicies(text));
    expect(isPlinthError(e, 'E_LIMIT_EXCEEDED')).toBe(true);
    expect(e.details?.limit).toBe('maxDocumentSize');
    expect(Date.now() - started).toBeLessThan(1000);
    limited(() => parsePolicies('permit(principal, action, resource);', { maxDocumentSize: 10 }));
  });

  it('answers 100,000 nested parentheses, brackets, records and negations with E_LIMIT_EXCEEDED', () => {
    const n = 100_000;
    const shapes = [
      '('.repeat(n) + '1' + ')'.repeat(n),
      '['.repeat(n) + '1' + ']'.repeat(n),
      '{a:'.repeat(n) + '1' + '}'.repeat(n),
      '!('.repeat(n) + 'true' + ')'.repeat(n),
      'if true then '.repeat(n) + '1' + ' else 2'.repeat(n),
      'ip('.repeat(n) + '"1"' + ')'.repeat(n),
    ];
    for (const s of shapes) {
      const e = thrown(() => parsePolicies(wrap(s)));
      expect(isPlinthError(e, 'E_LIMIT_EXCEEDED'), e.message).toBe(true);
      expect(e.details).toMatchObject({ limit: 'maxExpressionDepth', line: 1 });
      expect(typeof e.details?.column).toBe('number');
    }
  });

  it('bounds the depth of long operator chains, which grow the tree without nesting', () => {
    limited(() => parseExpression('1' + ' + 1'.repeat(200_000)));
    limited(() => parseExpression('true' + ' && true'.repeat(200_000)));
    limited(() => parseExpression('context' + '.a'.repeat(200_000)));
    // Within the limit, long chains are fine.
    expect(() =>
      parseExpression('1' + ' + 1'.repeat(DEFAULT_POLICY_LIMITS.maxExpressionDepth - 2)),
    ).not.toThrow();
  });

  it('honours a lower maxExpressionDepth and reports where it was passed', () => {
    const e = thrown(() => parsePolicies(wrap('((((((1))))))'), { maxExpressionDepth: 4 }));
    expect(isPlinthError(e, 'E_LIMIT_EXCEEDED')).toBe(true);
    // The fifth `(` opens the fifth nested expression.
    expect(e.details).toMatchObject({ line: 1, column: 48 });
    expect(() => parsePolicies(wrap('(((1)))'), { maxExpressionDepth: 4 })).not.toThrow();
  });

  it('reads a large valid document', () => {
    const one =
      'permit(principal == User::"u", action in [Action::"a"], resource) when { context.x.y == [1, "two", {three: 3}] };\n';
    const n = Math.floor(300_000 / one.length);
    const ps = parsePolicies(one.repeat(n));
    expect(ps.length).toBe(n);
    expect(ps[n - 1]!.text).toBe(one.trim());
  });

  it('never throws anything but a typed error on random text', () => {
    const alphabet = fc.constantFrom(
      ...'permit forbid ( ) principal action resource when unless { } [ ] , ; : :: . == != < <= > >= && || ! - + * in has like is if then else true false "a" "\\" ?principal @id 1 9223372036854775808 User::"x" ip decimal contains isEmpty'.split(
        ' ',
      ),
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (tokens) => {
        const text = tokens.join(' ');
        try {
          parsePolicies(text);
        } catch (e) {
          expect(isPlinthError(e, ['E_PARSE', 'E_LIMIT_EXCEEDED']), String(e)).toBe(true);
        }
      }),
      { numRuns: 2000, seed: 14 },
    );
  });
});

describe('parseEntityUid', () => {
  it('reads `Type::"id"` and rejects anything else', () => {
    expect(parseEntityUid('NS::User::"al\\"ice"')).toEqual(uid('NS::User', 'al"ice'));
    expect(parseEntityUid(' User :: "a" ')).toEqual(uid('User', 'a'));
    for (const bad of ['User', 'User::"a" extra', '"a"', 'if::"a"', 'User::a', '', 'User::"\\q"']) {
      expect(
        isPlinthError(
          thrown(() => parseEntityUid(bad)),
          'E_PARSE',
        ),
        bad,
      ).toBe(true);
    }
  });
});

describe('agreement with cedar-wasm', () => {
  /** Cedar's verdict on a policy or template text. */
  const cedarAccepts = (text: string): boolean => {
    const r = /\?(principal|resource)\b/.test(text)
      ? cedar.templateToJson(text)
      : cedar.policyToJson(text);
    return r.type === 'success';
  };
  const oursAccepts = (text: string): boolean => {
    try {
      return parsePolicies(text).length === 1;
    } catch (e) {
      if (!isPlinthError(e, 'E_PARSE')) throw e;
      return false;
    }
  };

  const conditions = [
    '!!!!true',
    '!!!!!true',
    '-----1',
    '----1',
    '- 9223372036854775808',
    '9223372036854775808',
    '--9223372036854775808',
    '-(9223372036854775807)',
    '1 == 2 == 3',
    '(1 == 2) == 3',
    '1 < 2 < 3',
    'principal has a.b.c',
    'principal has "a"',
    'principal has if',
    'principal has principal',
    'principal.if',
    'principal.in',
    'principal["x"]',
    '{if: 1}',
    '{"if": 1}',
    '{a: 1, a: 2}',
    '{true: 1}',
    'principal.contains(1, 2)',
    'principal.isEmpty(1)',
    'principal.foo(1)',
    'foo(1)',
    'ip("1.2.3.4", 1)',
    'ip("1.2.3.4").isIpv4(1)',
    '__cedar::ip("1.2.3.4")',
    'principal is __cedar::User',
    'principal is User in Group::"a"',
    'principal is User in [Group::"a"]',
    'principal like "a*b\\*"',
    'principal like principal',
    'if::"x"',
    'A::if::"x"',
    'A::B',
    '?principal == principal',
    'foo',
    'context.a.b',
    '-1.isEmpty()',
    '1 + if true then 1 else 2',
    'if true then 1 else 2 + 3',
    'true && if true then true else false',
    '!principal has x',
    'principal has x == true',
    'principal has "a b".c',
    'principal has a["b"]',
    'principal is User == true',
    'principal is User in Group::"a" in Group::"b"',
    'principal like "a" == true',
    '[1, 2,]',
    '{a: 1,}',
    '(1, 2)',
    '[1,,2]',
    '{,}',
    '[,]',
    'principal.contains(1,)',
    'ip("1",)',
    'ip()',
    '"\\x80"',
    '"\\q"',
    '"\\*"',
    '"a" like "\\q"',
    '"\\u{10FFFF}"',
    '"\\u{110000}"',
    '"\\u{1_0}"',
    '"\\u{_1}"',
    '"\\u{}"',
    '"\\u{1234567}"',
    '!-1',
    '-!1',
    'principal has a.__cedar',
    'principal.contains()',
    '1 in 2 in 3',
    'principal is A is B',
    'principal.permit',
    '{permit: 1, when: 2}',
    'User::"a".foo',
    'User::"a"["foo"]',
    'principal.hasTag("a") && principal.getTag("a")',
    'unknown("x")',
    'datetime("x").toTime()',
    'duration("1h").toMilliseconds()',
    '1 * -2',
    '1 - - 1',
    'a::b::c("x")',
    'principal.__cedar',
    'principal has is',
    'principal has then',
    'User::__cedar::"a"',
    'principal is User::Foo in User::"x"',
  ];
  const policies = [
    '@id("x") @bare @other("y\\n") permit(principal, action, resource);',
    '@id("x") @id("y") permit(principal, action, resource);',
    '@if("x") permit(principal, action, resource);',
    '@__cedar("x") permit(principal, action, resource);',
    '@a::b("x") permit(principal, action, resource);',
    '@a(1) permit(principal, action, resource);',
    '@a("\\q") permit(principal, action, resource);',
    'permit(principal is User in ?principal, action in Action::"a", resource == ?resource);',
    'permit(principal in ?resource, action, resource);',
    'permit(principal, action, resource == ?principal);',
    'permit(principal, action == User::"a", resource);',
    'permit(principal, action == ?principal, resource);',
    'permit(principal, action is Action, resource);',
    'permit(principal, action in [], resource);',
    'permit(principal, action in [Action::"a",], resource);',
    'permit(principal in [User::"a"], action, resource);',
    'permit(principal == "a", action, resource);',
    'permit(principal is User::"a", action, resource);',
    'permit(resource, action, principal);',
    'permit(principal, action, resource,);',
    'permit(principal, action);',
    'permit(principal, action, resource) when {};',
    'permit(principal, action, resource) when { true } unless { false } when { 1 == 1 };',
    'forbid(principal, action, resource) when { true }',
    'permit(principal, action, resource) where { true };',
    'permit(principal == User::"a"::"b", action, resource);',
    'permit(principal is User in Group, action, resource);',
    'permit(principal, action in Foo::Action::"x", resource);',
    'permit(principal, action in ActionX::"x", resource);',
    'permit(principal == ?foo, action, resource);',
    'permit(principal, action, resource) when { principal } ;',
    'permit(principal, action, resource) when { resource in ?resource };',
    'permit(principal is if, action, resource);',
    'permit(principal, action == Action::"a" , resource in Folder::"f") unless { context.x };',
  ];

  it('accepts and rejects the same conditions', () => {
    for (const c of conditions) {
      const text = wrap(c);
      expect(oursAccepts(text), c).toBe(cedarAccepts(text));
    }
  });

  it('accepts and rejects the same policies and templates', () => {
    for (const p of policies) expect(oursAccepts(p), p).toBe(cedarAccepts(p));
  });

  it('parses every generated policy and template Cedar parses', () => {
    fc.assert(
      fc.property(policySetArb(), (set) => {
        for (const p of set.policies) {
          const text = renderPolicy(p);
          expect(oursAccepts(text), text).toBe(cedarAccepts(text));
        }
      }),
      { numRuns: 300, seed: 1414 },
    );
  });
});
