import { describe, expect, it } from 'vitest';
import { isPlinthError, ManualClock } from '@plinth/core';
import { compileExpression, RuleSet, Validation } from '../src/index.js';

describe('rule expressions', () => {
  const ev = (src: string, rec: unknown = {}) => compileExpression(src).evaluate(rec, () => 1000);

  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 % 4 - -1', 3],
    ["'a' + 'b'", 'ab'],
    ['a.b[1]', 5],
    ['x > 1 && x < 5', true],
    ['x > 1 and not (x == 3)', false],
    ['x in [1, 2, 3]', true],
    ["s not in ['p', 'q']", true],
    ["s matches '^z+$'", true],
    ['missing == null', true],
    ['len(s) == 3 ? upper(s) : lower(s)', 'ZZZ'],
    ['now() - days(0)', 1000],
    ["date('1970-01-01T00:00:01Z')", 1000],
    ['coalesce(missing, x)', 3],
    ['1 / 0', null],
    ['x < "a"', false],
  ])('%s', (src, expected) => {
    expect(ev(src, { a: { b: [4, 5] }, x: 3, s: 'zzz' })).toEqual(expected);
  });

  it('never reaches prototypes or globals', () => {
    expect(ev('constructor')).toBeUndefined();
    expect(ev('a.constructor', { a: {} })).toBeUndefined();
    expect(ev('a.__proto__', { a: {} })).toBeUndefined();
    expect(ev("a['toString']", { a: {} })).toBeUndefined();
    expect(() => compileExpression('process.exit(1)')).toThrow(
      expect.objectContaining({ code: 'E_EXPRESSION_SYNTAX' }),
    );
    expect(ev('process.exit')).toBeUndefined();
    expect(() => compileExpression('eval("1")')).toThrow(
      expect.objectContaining({ code: 'E_EXPRESSION_SYNTAX' }),
    );
  });

  it('syntax errors carry the position', () => {
    try {
      compileExpression('a > (b');
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_EXPRESSION_SYNTAX')).toBe(true);
      expect((e as { details: { position: number } }).details.position).toBe(6);
    }
    expect(() => compileExpression("'open")).toThrow(/unterminated/);
    expect(() => compileExpression('a = 1')).toThrow(/unexpected character/);
    expect(() => compileExpression('('.repeat(100) + '1' + ')'.repeat(100))).toThrow(
      /nested deeper/,
    );
  });
});

describe('business rules', () => {
  const clock = new ManualClock(0);
  const v = new Validation({ clock });

  it('evaluates conditions with when-guards and reports failures with severity and action', () => {
    const rules = v.ruleSet([
      { id: 'positive', condition: 'amount > 0' },
      {
        id: 'eu-currency',
        when: "region == 'EU'",
        condition: "currency == 'EUR'",
        severity: 'warning',
        action: 'warn',
      },
      { id: 'fn', condition: (r) => typeof r.amount === 'number' },
    ]);
    expect(rules.evaluate({ amount: 5, region: 'US', currency: 'USD' }).passed).toBe(true);
    const r = rules.evaluate({ amount: 0, region: 'EU', currency: 'USD' });
    expect(r.failures.map((f) => [f.rule, f.severity, f.action])).toEqual([
      ['positive', 'error', 'reject'],
      ['eu-currency', 'warning', 'warn'],
    ]);
    expect(r.rejected).toBe(true);
  });

  it('enforce() routes, warns, emits and then rejects with E_RULE_REJECTED', async () => {
    const dead: unknown[] = [];
    const events: unknown[] = [];
    v.on('rule:failed', (e) => events.push(e));
    const rules = v.ruleSet([
      {
        id: 'dlq',
        condition: 'ok == true',
        action: 'route',
        route: async (rec) => void dead.push(rec),
      },
      { id: 'hard', condition: 'x != 1', message: 'x must not be 1' },
    ]);
    await expect(rules.enforce({ ok: false, x: 2 })).resolves.toMatchObject({
      passed: false,
      rejected: false,
    });
    expect(dead).toEqual([{ ok: false, x: 2 }]);
    await expect(rules.enforce({ ok: true, x: 1 })).rejects.toMatchObject({
      code: 'E_RULE_REJECTED',
      message: expect.stringMatching(/x must not be 1/),
    });
    expect(events).toHaveLength(2);
  });

  it('a failing route callback is wrapped as E_RULE_ROUTE_FAILED with the cause', async () => {
    const boom = new Error('queue down');
    const rules = new RuleSet([
      { id: 'dlq', condition: 'false', action: 'route', route: () => Promise.reject(boom) },
    ]);
    await expect(rules.enforce({})).rejects.toMatchObject({
      code: 'E_RULE_ROUTE_FAILED',
      cause: boom,
    });
  });

  it('validates rules at construction', () => {
    expect(() => new RuleSet([{ id: 'a', condition: 'x >' }])).toThrow(
      expect.objectContaining({ code: 'E_EXPRESSION_SYNTAX' }),
    );
    expect(() => new RuleSet([{ id: 'a', condition: 'x', action: 'route' }])).toThrow(/route/);
    expect(
      () =>
        new RuleSet([
          { id: 'a', condition: 'x' },
          { id: 'a', condition: 'y' },
        ]),
    ).toThrow(/twice/);
  });
});
