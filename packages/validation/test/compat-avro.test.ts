import { describe, expect, it } from 'vitest';
import { checkCompatibility, diff, Validation } from '../src/index.js';

const rec = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
  format: 'avro' as const,
  schema: { type: 'record', name: 'R', fields, ...extra },
});
const v1 = rec([{ name: 'a', type: 'int' }]);

describe('Avro compatibility', () => {
  it('adding a field with a default is FULL compatible and a minor bump', () => {
    const v2 = rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string', default: '' },
    ]);
    const r = checkCompatibility(v2, [v1], { level: 'FULL' });
    expect(r.compatible).toBe(true);
    expect(r.changes.map((c) => c.rule)).toEqual(['AVRO_FIELD_ADDED_WITH_DEFAULT']);
    expect(r.bump).toBe('minor');
  });

  it('adding a field without a default breaks BACKWARD, not FORWARD', () => {
    const v2 = rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
    ]);
    const back = checkCompatibility(v2, [v1], { level: 'BACKWARD' });
    expect(back.compatible).toBe(false);
    expect(back.violations).toEqual([
      expect.objectContaining({
        rule: 'AVRO_READER_FIELD_MISSING_DEFAULT',
        path: '/fields/1',
        against: 0,
        direction: 'backward',
      }),
    ]);
    expect(back.bump).toBe('major');
    expect(back.messages[0]).toMatch(/BACKWARD incompatible with previous\[0\]/);
    expect(checkCompatibility(v2, [v1], { level: 'FORWARD' }).compatible).toBe(true);
  });

  it('type promotion int → long is BACKWARD but not FORWARD compatible', () => {
    const v2 = rec([{ name: 'a', type: 'long' }]);
    expect(checkCompatibility(v2, [v1], { level: 'BACKWARD' }).compatible).toBe(true);
    const fwd = checkCompatibility(v2, [v1], { level: 'FORWARD' });
    expect(fwd.violations[0]?.rule).toBe('AVRO_TYPE_MISMATCH');
    expect(diff(v1, v2).changes[0]?.rule).toBe('AVRO_TYPE_PROMOTED');
  });

  it('transitive levels check every previous version; `against` names it', () => {
    const a = rec([
      { name: 'a', type: 'int' },
      { name: 'x', type: 'int' },
    ]);
    const b = rec([
      { name: 'a', type: 'int' },
      { name: 'x', type: 'int', default: 0 },
    ]);
    const c = rec([{ name: 'a', type: 'int' }]);
    // c drops x: the old reader `a` (x without default) cannot read c's data; `b` can.
    expect(checkCompatibility(c, [a, b], { level: 'FORWARD' }).compatible).toBe(true);
    const t = checkCompatibility(c, [a, b], { level: 'FORWARD_TRANSITIVE' });
    expect(t.compatible).toBe(false);
    expect(t.violations.map((x) => x.against)).toEqual([0]);
  });

  it('enum defaults allow removed symbols; aliases allow renames; the ignore list drops rules', () => {
    const e1 = { format: 'avro', schema: { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] } };
    const e2 = {
      format: 'avro',
      schema: { type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A' },
    };
    const e3 = { format: 'avro', schema: { type: 'enum', name: 'E', symbols: ['A', 'B'] } };
    expect(checkCompatibility(e2, [e1]).compatible).toBe(true);
    expect(checkCompatibility(e3, [e1]).violations[0]?.rule).toBe('AVRO_MISSING_ENUM_SYMBOLS');
    expect(checkCompatibility(e3, [e1], { ignore: ['AVRO_MISSING_ENUM_SYMBOLS'] }).compatible).toBe(
      true,
    );
    const renamed = {
      format: 'avro',
      schema: {
        type: 'record',
        name: 'S',
        aliases: ['R'],
        fields: [{ name: 'b', aliases: ['a'], type: 'int' }],
      },
    };
    const r = checkCompatibility(renamed, [v1]);
    expect(r.compatible).toBe(true);
    expect(r.changes.map((c) => c.rule).sort()).toEqual([
      'AVRO_ALIASES_CHANGED',
      'AVRO_ALIASES_CHANGED',
      'AVRO_FIELD_RENAMED',
      'AVRO_NAME_CHANGED',
    ]);
  });

  it('NONE checks nothing; an empty history is compatible', () => {
    const v2 = rec([{ name: 'a', type: 'string' }]);
    expect(checkCompatibility(v2, [v1], { level: 'NONE' }).compatible).toBe(true);
    expect(checkCompatibility(v2, []).compatible).toBe(true);
  });

  it('different formats are E_FORMAT_MISMATCH; bad levels E_INVALID_ARGUMENT', () => {
    const v = new Validation();
    expect(() => v.checkCompatibility(v1, [{ format: 'json-schema', schema: {} }])).toThrow(
      expect.objectContaining({ code: 'E_FORMAT_MISMATCH' }),
    );
    expect(() => v.checkCompatibility(v1, [v1], { level: 'SIDEWAYS' as never })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });

  it('the empirical check finds counterexamples for an incompatible change', () => {
    const v = new Validation();
    const v2 = rec([{ name: 'a', type: { type: 'enum', name: 'E2', symbols: ['X'] } }]);
    const r = v.empiricalCheck(v1, v2, { samples: 20 });
    expect(r.compatible).toBe(false);
    expect(r.counterexamples.length).toBeGreaterThan(0);
    expect(
      v.empiricalCheck(v1, rec([{ name: 'a', type: 'long' }]), { samples: 50 }).compatible,
    ).toBe(true);
  });
});
