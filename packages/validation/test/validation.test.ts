import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import {
  compile,
  fingerprint,
  checkCompatibility,
  type FormatPlugin,
  type MeterLike,
  Validation,
  VALID,
} from '../src/index.js';

/** A custom format through the same plug-in interface the built-ins use. */
const csvHeader: FormatPlugin<{ columns: string[] }> = {
  format: 'csv-header',
  parse(source) {
    if (typeof source.schema !== 'string') throw new Error('need a header line');
    return { columns: source.schema.split(',').map((c) => c.trim()) };
  },
  canonicalForm: (p) => p.columns.join(','),
  compile: (p) => ({
    test: (v) => Array.isArray(v) && v.length === p.columns.length,
    validate: (v) =>
      Array.isArray(v) && v.length === p.columns.length
        ? VALID
        : {
            valid: false,
            issues: [
              {
                path: '',
                message: `expected ${p.columns.length} cells`,
                rule: 'csv:cells',
                severity: 'error',
              },
            ],
          },
  }),
  compare: (a, b) =>
    a.columns
      .filter((c) => !b.columns.includes(c))
      .map((c) => ({
        rule: 'CSV_COLUMN_REMOVED',
        path: `/${c}`,
        severity: 'breaking' as const,
        message: `column ${c} removed`,
        breaksBackward: true,
        breaksForward: false,
      })),
};

describe('Validation', () => {
  it('runs custom formats through the plug-in interface: validate, fingerprint, compatibility', () => {
    const v = new Validation({ formats: [csvHeader] });
    expect(v.formats()).toEqual(['json-schema', 'avro', 'protobuf', 'zod', 'csv-header']);
    const val = v.compile({ format: 'csv-header', schema: 'a, b' });
    expect(val.validate(['1', '2']).valid).toBe(true);
    expect(val.validate(['1']).issues[0]?.rule).toBe('csv:cells');
    expect(v.fingerprint({ format: 'csv-header', schema: 'a,b' })).toBe(
      v.fingerprint({ format: 'csv-header', schema: 'a , b' }),
    );
    const r = v.checkCompatibility({ format: 'csv-header', schema: 'a' }, [
      { format: 'csv-header', schema: 'a,b' },
    ]);
    expect(r.violations).toEqual([
      expect.objectContaining({ rule: 'CSV_COLUMN_REMOVED', against: 0 }),
    ]);
    expect(() =>
      v.empiricalCheck(
        { format: 'csv-header', schema: 'a' },
        { format: 'csv-header', schema: 'a' },
      ),
    ).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });

  it('parses equal content once, even from distinct source objects (histories read back from storage)', () => {
    let parses = 0;
    const counting: FormatPlugin<{ columns: string[] }> = {
      ...csvHeader,
      format: 'counted',
      parse: (source, ctx) => {
        parses++;
        return csvHeader.parse(source, ctx);
      },
    };
    const v = new Validation({ formats: [counting] });
    const history = () => [
      { format: 'counted', schema: 'a,b' },
      { format: 'counted', schema: 'a,b,c' },
    ];
    v.checkCompatibility({ format: 'counted', schema: 'a,b,c,d' }, history(), {
      level: 'BACKWARD_TRANSITIVE',
    });
    v.checkCompatibility({ format: 'counted', schema: 'a,b,c,d,e' }, history(), {
      level: 'BACKWARD_TRANSITIVE',
    });
    expect(parses).toBe(4);
  });

  it('unknown formats and malformed sources are typed errors', () => {
    const v = new Validation();
    expect(() => v.compile({ format: 'xml', schema: '<a/>' })).toThrow(
      expect.objectContaining({ code: 'E_UNKNOWN_FORMAT' }),
    );
    expect(() => v.compile(null as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => v.compile({ format: 'avro' } as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() =>
      v.compile({ format: 'avro', schema: 'int', references: [{ schema: 'x' }] as never }),
    ).toThrow(/references/);
  });

  it('validates options once, naming the bad option', () => {
    expect(() => new Validation({ cacheSize: 0 })).toThrow(
      expect.objectContaining({
        code: 'E_INVALID_OPTION',
        message: expect.stringMatching(/cacheSize/),
      }),
    );
    expect(() => new Validation({ defaultLevel: 'SIDEWAYS' as never })).toThrow(/defaultLevel/);
    expect(() => new Validation({ limits: { maxDepth: 3 } as never })).toThrow(/limits/);
    expect(() => new Validation({ cachesize: 3 } as never)).toThrow(/did you mean "cacheSize"/);
  });

  it('the validator cache is an LRU keyed by fingerprint with hit/miss/eviction counts', () => {
    const v = new Validation({ cacheSize: 2 });
    const s = (t: string) => ({ format: 'avro', schema: t });
    const a = v.compile(s('int'));
    v.compile(s('long'));
    expect(v.compile(s('int'))).toBe(a); // hit; "int" is now the most recent
    v.compile(s('string')); // evicts "long"
    expect(v.cacheStats()).toEqual({ size: 2, hits: 1, misses: 3, evictions: 1 });
    v.compile(s('long'));
    expect(v.cacheStats().misses).toBe(4);
  });

  it('emits validation:failed, schema:compiled, compatibility:checked and counts per format', () => {
    const v = new Validation();
    const seen: string[] = [];
    v.subscribe((name) => seen.push(name));
    const val = v.compile({ format: 'avro', schema: 'int' });
    val.validate('x');
    val.validate(1);
    v.checkCompatibility({ format: 'avro', schema: 'long' }, [{ format: 'avro', schema: 'int' }]);
    expect(seen).toEqual(['schema:compiled', 'validation:failed', 'compatibility:checked']);
    expect(v.counts().avro).toEqual({ validations: 2, failures: 1 });
  });

  it('reports through an injected OpenTelemetry meter', () => {
    const recorded: Array<[string, number]> = [];
    const observed: Array<() => void> = [];
    const meter: MeterLike = {
      createCounter: (name) => ({ add: (n) => void recorded.push([name, n]) }),
      createHistogram: (name) => ({ record: (n) => void recorded.push([name, n]) }),
      createObservableCounter: (name) => ({
        addCallback: (cb) =>
          void observed.push(() => cb({ observe: (n) => void recorded.push([name, n]) })),
      }),
    };
    const v = new Validation({ meter });
    const val = v.compile({ format: 'json-schema', schema: { type: 'string' } });
    val.validate(1);
    val.validate('ok');
    v.checkCompatibility({ format: 'json-schema', schema: {} }, [
      { format: 'json-schema', schema: {} },
    ]);
    for (const o of observed) o();
    const names = recorded.map(([n]) => n);
    expect(names).toEqual(
      expect.arrayContaining([
        'plinth.validation.compile.duration',
        'plinth.validation.failures',
        'plinth.validation.compatibility.duration',
      ]),
    );
    expect(recorded).toContainEqual(['plinth.validation.validations', 2]);
    expect(recorded).toContainEqual(['plinth.validation.cache.misses', 1]);
  });

  it('limits protect against hostile schemas and payloads', () => {
    const v = new Validation({
      limits: { maxSchemaDepth: 10, maxSchemaSize: 10_000, maxValueDepth: 20, maxPayloadBytes: 16 },
    });
    let deep: unknown = { type: 'string' };
    for (let i = 0; i < 20; i++) deep = { type: 'array', items: deep };
    expect(() => v.compile({ format: 'json-schema', schema: deep })).toThrow(
      expect.objectContaining({ code: 'E_LIMIT_EXCEEDED' }),
    );
    expect(() => v.compile({ format: 'avro', schema: deep })).toThrow(
      expect.objectContaining({ code: 'E_LIMIT_EXCEEDED' }),
    );
    expect(() =>
      v.compile({ format: 'protobuf', schema: `message A { ${'int32 x = 1; '.repeat(2000)} }` }),
    ).toThrow(expect.objectContaining({ code: 'E_LIMIT_EXCEEDED' }));
    let value: unknown = 1;
    for (let i = 0; i < 50; i++) value = [value];
    const out = v.compile({ format: 'json-schema', schema: {} }).validate(value);
    expect(out).toMatchObject({ valid: false, issues: [{ rule: 'limit' }] });
    const pb = v.compile({
      format: 'protobuf',
      schema: 'syntax = "proto3"; message A { bytes b = 1; }',
    });
    expect(pb.validateEncoded(new Uint8Array(100)).issues[0]?.rule).toBe('limit');
    expect(() =>
      v.compile({ format: 'json-schema', schema: {} }).validateEncoded(new Uint8Array(1)),
    ).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });

  it('a value too deep for the stack becomes an issue, never a crash', () => {
    const v = new Validation();
    const val = v.compile({
      format: 'json-schema',
      schema: { $defs: { n: { type: 'array', items: { $ref: '#/$defs/n' } } }, $ref: '#/$defs/n' },
    });
    let value: unknown[] = [];
    for (let i = 0; i < 200_000; i++) value = [value];
    const out = val.validate(value);
    expect(out.valid).toBe(false);
    expect(out.issues[0]?.rule).toBe('limit');
  });

  it('ignore lists accept rule ids, RULE@/path prefixes and wildcards', () => {
    const a = {
      format: 'avro',
      schema: {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'x', type: 'int' },
          { name: 'y', type: 'int' },
        ],
      },
    };
    const b = {
      format: 'avro',
      schema: {
        type: 'record',
        name: 'R',
        doc: 'd',
        fields: [
          { name: 'x', type: 'string' },
          { name: 'y', type: 'string' },
        ],
      },
    };
    const v = new Validation();
    expect(v.checkCompatibility(b, [a]).violations).toHaveLength(2);
    expect(
      v
        .checkCompatibility(b, [a], { ignore: ['AVRO_TYPE_MISMATCH@/fields/0'] })
        .violations.map((x) => x.path),
    ).toEqual(['/fields/1/type']);
    expect(v.diff(a, b, { ignore: ['AVRO_DOC_*', 'AVRO_TYPE_*'] }).changes).toEqual([]);
  });

  it('free functions use a shared default instance; close() is idempotent and final', async () => {
    expect(compile({ format: 'avro', schema: 'int' }).is(1)).toBe(true);
    expect(fingerprint({ format: 'avro', schema: 'int' })).toMatch(/^sha256:/);
    expect(
      checkCompatibility({ format: 'avro', schema: 'long' }, [{ format: 'avro', schema: 'int' }])
        .compatible,
    ).toBe(true);
    const v = new Validation();
    await v.close();
    await v.close();
    expect(() => v.compile({ format: 'avro', schema: 'int' })).toThrow(
      expect.objectContaining({ code: 'E_CLOSED' }),
    );
    expect(isPlinthError(new Error('x'))).toBe(false);
  });
});
