import { describe, expect, it } from 'vitest';
import { ManualClock } from '@plinth/core';
import { QualitySuite, Validation } from '../src/index.js';

const rows = [
  {
    id: 1,
    email: 'a@example.com',
    amount: 10,
    country: 'NO',
    at: '2026-01-01T00:00:00Z',
    paid: 10,
  },
  { id: 2, email: '', amount: -5, country: 'SE', at: '2026-01-01T00:00:00Z', paid: 0 },
  { id: 3, email: 'bad', amount: 7, country: 'XX', at: '2025-06-01T00:00:00Z', paid: 9 },
  {
    id: 3,
    email: 'c@example.com',
    amount: 1000,
    country: 'NO',
    at: '2026-01-01T12:00:00Z',
    paid: 1,
  },
];

describe('data quality', () => {
  const clock = new ManualClock(Date.parse('2026-01-02T00:00:00Z'));
  const v = new Validation({ clock });

  it('scores each check, applies mostly/warnBelow, samples failing rows and summarises dimensions', () => {
    const suite = v.qualitySuite({
      name: 'orders',
      checks: [
        { kind: 'completeness', field: 'email' },
        { kind: 'validity', field: 'email', format: 'email', mostly: 0.5 },
        { kind: 'validity', field: 'amount', min: 0, max: 100, mostly: 0.5, warnBelow: 0.9 },
        { kind: 'uniqueness', fields: 'id' },
        { kind: 'reference', field: 'country', lookup: ['NO', 'SE', 'DK'], mostly: 0.7 },
        { kind: 'condition', expression: 'paid <= amount', name: 'paid<=amount' },
        { kind: 'maxAge', field: 'at', maxAgeMs: 7 * 86_400_000, mostly: 0.5 },
        { kind: 'freshness', field: 'at', maxAgeMs: 86_400_000 },
      ],
    });
    const events: unknown[] = [];
    v.on('quality:report', (e) => events.push(e));
    const r = suite.runSync(rows);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(byName['completeness(email)']).toMatchObject({
      evaluated: 4,
      failed: 1,
      score: 0.75,
      status: 'fail',
    });
    expect(byName['completeness(email)']?.failures[0]).toMatchObject({
      index: 1,
      reason: 'missing',
    });
    // '' counts as missing for completeness but is still a value for validity: 2 of 4 fail (''/'bad').
    expect(byName['validity(email)']).toMatchObject({ failed: 2, status: 'pass' });
    expect(byName['validity(amount)']).toMatchObject({ failed: 2, score: 0.5, status: 'warn' });
    expect(byName['uniqueness(id)']).toMatchObject({ failed: 1, status: 'fail' });
    expect(byName['uniqueness(id)']?.failures[0]).toMatchObject({
      index: 3,
      value: 3,
      reason: 'duplicate',
    });
    expect(byName['reference(country)']).toMatchObject({ failed: 1, score: 0.75, status: 'pass' });
    expect(byName['paid<=amount']).toMatchObject({ failed: 2 });
    expect(byName['maxAge(at)']).toMatchObject({ failed: 1, status: 'pass' });
    expect(byName['freshness(at)']).toMatchObject({ evaluated: 1, failed: 0, status: 'pass' });
    expect(r.dimensions.completeness).toEqual({ score: 0.75, status: 'fail', checks: 1 });
    expect(r.dimensions.consistency?.checks).toBe(3);
    expect(r.dimensions.timeliness?.score).toBeCloseTo((0.75 + 1) / 2);
    expect(r.status).toBe('fail');
    expect(r.rows).toBe(4);
    expect(events).toEqual([expect.objectContaining({ suite: 'orders', status: 'fail', rows: 4 })]);
  });

  it('freshness follows the injected clock', () => {
    const suite = new QualitySuite({
      clock,
      checks: [{ kind: 'freshness', field: 'at', maxAgeMs: 86_400_000 }],
    });
    expect(suite.runSync(rows).status).toBe('pass');
    clock.advance(86_400_000);
    const late = suite.runSync(rows);
    expect(late.status).toBe('fail');
    expect(late.checks[0]?.failures[0]?.reason).toMatch(/old/);
  });

  it('streams async iterables one row at a time and honours where', async () => {
    let pulled = 0;
    async function* source() {
      for (const r of rows) {
        pulled++;
        yield r;
      }
    }
    const suite = new QualitySuite({
      checks: [{ kind: 'validity', field: 'amount', max: 100, where: "country == 'NO'" }],
    });
    const r = await suite.run(source());
    expect(pulled).toBe(4);
    expect(r.checks[0]).toMatchObject({ evaluated: 2, failed: 1 });
  });

  it('validates its checks once, at construction', () => {
    expect(
      () => new QualitySuite({ checks: [{ kind: 'validity', field: 'x', mostly: 2 }] }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => new QualitySuite({ checks: [{ kind: 'nope' } as never] })).toThrow(/kind must be/);
    expect(() => new QualitySuite({ checks: [{ kind: 'condition', expression: 'a >' }] })).toThrow(
      expect.objectContaining({ code: 'E_EXPRESSION_SYNTAX' }),
    );
  });

  it('checks the row count (volume) as a dataset-level completeness check', () => {
    const suite = new QualitySuite({
      checks: [
        { kind: 'rowCount', min: 5 },
        { kind: 'rowCount', max: 10, name: 'cap' },
      ],
    });
    const r = suite.runSync(rows);
    expect(r.checks[0]).toMatchObject({
      dimension: 'completeness',
      status: 'fail',
      evaluated: 1,
      failed: 1,
    });
    expect(r.checks[0]?.failures[0]?.reason).toBe('4 rows, fewer than 5');
    expect(r.checks[1]).toMatchObject({ name: 'cap', status: 'pass' });
    expect(() => new QualitySuite({ checks: [{ kind: 'rowCount' }] })).toThrow(/min and\/or max/);
  });

  it('runs a compiled schema as a validity check', () => {
    const val = v.compile({ format: 'json-schema', schema: { type: 'object', required: ['id'] } });
    const r = new QualitySuite({ checks: [{ kind: 'schema', validator: val }] }).runSync([
      { id: 1 },
      {},
    ]);
    expect(r.checks[0]).toMatchObject({ dimension: 'validity', failed: 1 });
  });
});
