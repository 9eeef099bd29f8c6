import { describe, expect, it } from 'vitest';
import { COMPATIBILITY_RULES, Validation } from '../src/index.js';

/** Golden tests: every rule id of the catalogue is produced by its own example. */
describe('compatibility rule catalogue', () => {
  const v = new Validation();
  const entries = Object.entries(COMPATIBILITY_RULES);

  it('has an entry for every format and no duplicate ids', () => {
    expect(entries.length).toBeGreaterThan(150);
    expect(new Set(entries.map(([, r]) => r.format))).toEqual(
      new Set(['json-schema', 'avro', 'protobuf']),
    );
  });

  it.each(entries)('%s', (rule, spec) => {
    const refs = spec.example.references;
    const before = {
      format: spec.format,
      schema: spec.example.before,
      ...(refs ? { references: refs.before } : {}),
    };
    const after = {
      format: spec.format,
      schema: spec.example.after,
      ...(refs ? { references: refs.after } : {}),
    };
    const opts = {
      ...(spec.example.protobufStrictness
        ? { protobufStrictness: spec.example.protobufStrictness }
        : {}),
      ...(spec.example.jsonSchemaPolicy ? { jsonSchemaPolicy: spec.example.jsonSchemaPolicy } : {}),
    };
    if (spec.example.check !== undefined) {
      const r = v.checkCompatibility(after, [before], {
        level: spec.example.check === 'backward' ? 'BACKWARD' : 'FORWARD',
        ...opts,
      });
      expect(r.violations.map((x) => x.rule)).toContain(rule);
      return;
    }
    const d = v.diff(before, after, opts);
    const found = d.changes.find((c) => c.rule === rule);
    expect(found, `changes: ${d.changes.map((c) => c.rule).join(', ')}`).toBeDefined();
    expect(found?.message.length).toBeGreaterThan(0);
    // A breaking change is reported as a violation at FULL; a compatible one never is.
    const full = v.checkCompatibility(after, [before], { level: 'FULL', ...opts });
    if (spec.format !== 'avro') {
      expect(full.violations.some((x) => x.rule === rule)).toBe(
        found?.severity === 'breaking' && !/LOGICAL/.test(rule),
      );
    }
  });
});
