import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isPlinthError } from '@plinth/core';
import { QualitySuite, RuleSet, Validation } from '../src/index.js';

const SUITE = new URL('./fixtures/json-schema-test-suite/tests/', import.meta.url);

interface SuiteGroup {
  description: string;
  schema: unknown;
  tests: Array<{ description: string; data: unknown; valid: boolean }>;
}

function refusal(fn: () => unknown): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  try {
    fn();
  } catch (error) {
    expect(isPlinthError(error)).toBe(true);
    return error as never;
  }
  throw new Error('accepted');
}

describe('patterns from user schemas run on the linear-time engine', () => {
  it('answers false quickly for ^(a+)+$ against 40 a\'s and "!" (child process, kill timeout)', () => {
    const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `
      import { Validation } from ${JSON.stringify(src)};
      const v = new Validation().compile({ format: 'json-schema', schema: { type: 'string', pattern: '^(a+)+$' } });
      const evil = 'a'.repeat(40) + '!';
      const props = new Validation().compile({ format: 'json-schema', schema: { type: 'object', patternProperties: { '^(a|aa)+$': { type: 'integer' } } } });
      process.stdout.write(JSON.stringify([v.validate(evil).valid, v.is('a'.repeat(100000) + '!'), v.is('aaa'), props.is({ [evil]: 'x' }), props.is({ aaaa: 'x' })]));
    `;
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const run = spawnSync(tsx, ['--conditions=@plinth/source', '--eval', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.signal).toBeNull();
    expect(JSON.parse(run.stdout)).toEqual([false, false, true, true, false]);
  }, 70_000);

  it('refuses a pattern RE2 cannot run at compile, naming it and its JSON pointer', () => {
    const v = new Validation();
    const e = refusal(() =>
      v.compile({
        format: 'json-schema',
        schema: {
          type: 'object',
          properties: { code: { type: 'string', pattern: '^(?!x)\\w+$' } },
        },
      }),
    );
    expect(e.code).toBe('E_INVALID_SCHEMA');
    expect(e.details.location).toBe('/properties/code/pattern');
    expect(e.message).toContain('"^(?!x)\\\\w+$"');
    expect(e.message).toContain('lookahead');
    const p = refusal(() =>
      v.compile({ format: 'json-schema', schema: { patternProperties: { '(a)\\1': {} } } }),
    );
    expect(p.details.location).toBe('/patternProperties/(a)\\1');
    // Data keywords are data: a "pattern" inside const is no pattern.
    expect(
      v
        .compile({ format: 'json-schema', schema: { const: { pattern: '(?=x)' } } })
        .is({ pattern: '(?=x)' }),
    ).toBe(true);
  });

  it('keeps the required JSON-Schema-Test-Suite pattern tests passing and reports the optional ones', () => {
    const v = new Validation();
    const run = (file: string) => {
      const groups = JSON.parse(readFileSync(new URL(file, SUITE), 'utf8')) as SuiteGroup[];
      let passed = 0;
      const failed: string[] = [];
      for (const g of groups) {
        let validator: ReturnType<Validation['compile']> | undefined;
        try {
          validator = v.compile({ format: 'json-schema', schema: g.schema as object });
        } catch (error) {
          failed.push(
            ...g.tests.map(
              (t) => `${g.description} / ${t.description} (refused: ${(error as Error).message})`,
            ),
          );
          continue;
        }
        for (const t of g.tests) {
          if (validator.validate(t.data).valid === t.valid) passed++;
          else failed.push(`${g.description} / ${t.description}`);
        }
      }
      return { passed, failed };
    };
    for (const draft of ['draft4', 'draft6', 'draft7', 'draft2019-09', 'draft2020-12']) {
      for (const file of ['pattern.json', 'patternProperties.json']) {
        const r = run(`${draft}/${file}`);
        expect(r.failed, `${draft}/${file}`).toEqual([]);
        expect(r.passed).toBeGreaterThan(0);
      }
    }
    const optional = [
      'optional/ecmascript-regex.json',
      'optional/non-bmp-regex.json',
      'optional/format/regex.json',
      'optional/format/ecmascript-regex.json',
    ];
    const lines: string[] = [];
    let total = 0;
    let ok = 0;
    for (const file of optional) {
      const r = run(`draft2020-12/${file}`);
      ok += r.passed;
      total += r.passed + r.failed.length;
      lines.push(...r.failed.map((f) => `${file}: ${f}`));
    }
    console.log(
      `optional regex tests (draft 2020-12): ${ok}/${total} pass; differing: ${lines.length === 0 ? 'none' : `\n  ${lines.join('\n  ')}`}`,
    );
    expect(ok).toBeGreaterThan(0);
  });
});

describe('patterns in rules and quality checks', () => {
  it('runs a business rule\'s "matches" on the linear-time engine and refuses lookaround', () => {
    const rules = new RuleSet([{ id: 'code', condition: "code matches '^(a+)+$'" }]);
    expect(rules.evaluate({ code: 'a'.repeat(40) + '!' }).passed).toBe(false);
    expect(rules.evaluate({ code: 'aaa' }).passed).toBe(true);
    const e = refusal(() => new RuleSet([{ id: 'x', condition: "code matches '(?<=a)b'" }]));
    expect(e.code).toBe('E_EXPRESSION_SYNTAX');
    expect(e.message).toContain('lookbehind');
  });

  it("runs a quality check's string pattern on the linear-time engine and refuses backreferences", () => {
    const suite = new QualitySuite({
      checks: [{ kind: 'validity', field: 'code', pattern: '^(a+)+$' }],
    });
    const report = suite.runSync([{ code: 'a'.repeat(40) + '!' }, { code: 'aa' }]);
    expect(report.checks[0]?.failed).toBe(1);
    const e = refusal(
      () => new QualitySuite({ checks: [{ kind: 'validity', field: 'code', pattern: '(a)\\1' }] }),
    );
    expect(e.code).toBe('E_INVALID_ARGUMENT');
    expect(e.message).toContain('backreference');
  });
});
