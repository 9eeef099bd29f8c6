import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Validator as CfWorkerValidator } from '@cfworker/json-schema';
import * as hyperjump04 from '@hyperjump/json-schema/draft-04';
import * as hyperjump06 from '@hyperjump/json-schema/draft-06';
import * as hyperjump07 from '@hyperjump/json-schema/draft-07';
import * as hyperjump2019 from '@hyperjump/json-schema/draft-2019-09';
import * as hyperjump2020 from '@hyperjump/json-schema/draft-2020-12';
import { afterAll, describe, expect, it } from 'vitest';
import type { FormatPlugin } from '../src/format-plugin.js';
import {
  jsonSchemaEngine,
  jsonSchemaFormat,
  type ParsedJsonSchema,
} from '../src/formats/json-schema/plugin.js';
import { Validation } from '../src/index.js';

/**
 * The official JSON-Schema-Test-Suite (vendored under fixtures/, see its SOURCES.txt): every
 * required test of drafts 4, 6, 7, 2019-09 and 2020-12, plus the optional format tests of the
 * formats the README says Plinth checks, through `Validation` (`validate()` and `is()`). Remotes
 * are passed as named references under their http://localhost:1234/… URIs.
 */

const SUITE = join(import.meta.dirname, 'fixtures', 'json-schema-test-suite');

const DRAFTS = {
  draft4: 'http://json-schema.org/draft-04/schema#',
  draft6: 'http://json-schema.org/draft-06/schema#',
  draft7: 'http://json-schema.org/draft-07/schema#',
  'draft2019-09': 'https://json-schema.org/draft/2019-09/schema',
  'draft2020-12': 'https://json-schema.org/draft/2020-12/schema',
} as const;
type Draft = keyof typeof DRAFTS;
const ALL: readonly Draft[] = Object.keys(DRAFTS) as Draft[];
const MODERN: readonly Draft[] = ['draft2019-09', 'draft2020-12'];

/** The formats the README says are checked (the optional/format files run for these). */
const CLAIMED_FORMATS = [
  'date',
  'date-time',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'json-pointer',
  'regex',
  'relative-json-pointer',
  'time',
  'unknown',
  'uri',
  'uri-reference',
  'uri-template',
  'uuid',
];

interface Exclusion {
  readonly drafts: readonly Draft[];
  readonly file: string;
  readonly group: string;
  readonly tests: readonly string[];
  readonly reason: string;
}

/**
 * Every known failing case, with why. A listed case that passes fails this test: the list only
 * shrinks.
 */
const EXCLUSIONS: readonly Exclusion[] = [
  ...[
    'email',
    'regex',
    'ipv4',
    'ipv6',
    'hostname',
    'date',
    'date-time',
    'time',
    'json-pointer',
    'relative-json-pointer',
    'uri',
    'uri-reference',
    'uri-template',
    'uuid',
    'duration',
  ].map((f): Exclusion => ({
    drafts: ['draft2020-12'],
    file: 'format.json',
    group: `${f} format`,
    tests: [`invalid ${f} string is only an annotation by default`],
    reason:
      'Plinth asserts "format" in every draft (as ajv-formats does, and as the compatibility rules assume); 2020-12 makes it an annotation unless the format-assertion vocabulary is on',
  })),
  {
    drafts: ALL,
    file: 'optional/format/date-time.json',
    group: 'validation of date-time strings',
    tests: [
      'a numeric offset without minutes is invalid',
      'hour 24 is invalid even with a leap second',
      'a second fraction of fifteen nines is valid',
    ],
    reason:
      "ajv-formats' RFC 3339 check accepts a +08 offset and hour 24 with a leap second, and rejects a fraction of fifteen digits",
  },
  {
    drafts: ALL,
    file: 'optional/format/hostname.json',
    group: 'validation of host names',
    tests: ['trailing dot'],
    reason: "ajv-formats' hostname pattern refuses the fully qualified form with a trailing dot",
  },
  {
    drafts: ['draft7', ...MODERN],
    file: 'optional/format/hostname.json',
    group: 'validation of A-label (punycode) host names',
    tests: [
      'invalid Punycode',
      'contains illegal char U+302E Hangul single dot tone mark',
      'Begins with a Spacing Combining Mark',
      'Begins with a Nonspacing Mark',
      'Begins with an Enclosing Mark',
      'Exceptions that are DISALLOWED, right-to-left chars',
      'Exceptions that are DISALLOWED, left-to-right chars',
      "MIDDLE DOT with no preceding 'l'",
      'MIDDLE DOT with nothing preceding',
      "MIDDLE DOT with no following 'l'",
      'MIDDLE DOT with nothing following',
      'Greek KERAIA not followed by Greek',
      'Greek KERAIA not followed by anything',
      'Hebrew GERESH not preceded by Hebrew',
      'Hebrew GERESH not preceded by anything',
      'Hebrew GERSHAYIM not preceded by Hebrew',
      'Hebrew GERSHAYIM not preceded by anything',
      'KATAKANA MIDDLE DOT with no Hiragana, Katakana, or Han',
      'KATAKANA MIDDLE DOT with no other characters',
      'Arabic-Indic digits mixed with Extended Arabic-Indic digits',
      'ZERO WIDTH JOINER not preceded by Virama',
      'ZERO WIDTH JOINER not preceded by anything',
      'contains "--" in the 3rd and 4th position',
    ],
    reason:
      'hostname checks the LDH syntax only; A-labels are not decoded, so IDNA 2008 rules on the decoded label are not applied',
  },
  {
    drafts: ALL,
    file: 'optional/format/uri.json',
    group: 'validation of URIs',
    tests: [
      'non-numeric port is invalid',
      'leading zero in an embedded IPv4 address is invalid',
      'square brackets are not allowed in a path segment',
    ],
    reason:
      "ajv-formats' RFC 3986 pattern is looser than the grammar on ports, IPv4 parts and brackets",
  },
  {
    drafts: ['draft6', 'draft7', ...MODERN],
    file: 'optional/format/uri-reference.json',
    group: 'validation of URI References',
    tests: [
      'a double quote in a path',
      'square brackets outside an authority',
      'a non-numeric port in a network-path reference',
      'more than one at-sign in the authority',
      'a leading zero in the IPv4 part of an IPv6 literal',
      'a colon in the first segment of a relative-path reference',
    ],
    reason:
      "ajv-formats' uri-reference pattern accepts these characters the RFC 3986 grammar refuses",
  },
  {
    drafts: ['draft6', 'draft7', ...MODERN],
    file: 'optional/format/uri-template.json',
    group: 'format: uri-template',
    tests: [
      'a dotted variable name is valid',
      'a delete character in a literal is invalid',
      'an apostrophe in a literal is valid',
    ],
    reason: "ajv-formats' RFC 6570 pattern differs on dotted variable names and literal characters",
  },
  {
    drafts: MODERN,
    file: 'optional/format/duration.json',
    group: 'validation of duration strings',
    tests: [
      'years and days cannot appear without months',
      'hours and seconds cannot appear without minutes',
    ],
    reason:
      "ajv-formats' ISO 8601 duration pattern allows skipped components (RFC 3339 appendix A forbids them)",
  },
  {
    drafts: MODERN,
    file: 'optional/format/uuid.json',
    group: 'uuid format',
    tests: ['URN prefixed UUID is invalid'],
    reason: "ajv-formats' uuid accepts the urn:uuid: prefix",
  },
  {
    drafts: ['draft2020-12'],
    file: 'optional/format/email.json',
    group: 'validation of e-mail addresses',
    tests: [
      'a quoted string with a space in the local part is valid',
      'a quoted string with a double dot in the local part is valid',
      'a quoted string with a @ in the local part is valid',
      'an IPv4-address-literal after the @ is valid',
      'an IPv6-address-literal after the @ is valid',
    ],
    reason:
      "ajv-formats' email pattern covers the dot-atom form only (no quoted local parts or address literals)",
  },
];

interface Group {
  readonly file: string;
  readonly description: string;
  readonly schema: unknown;
  readonly tests: ReadonlyArray<{ description: string; data: unknown; valid: boolean }>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : f.endsWith('.json') ? [p] : [];
  });
}

function remotes(draft: Draft): Array<{ name: string; schema: unknown }> {
  const base = join(SUITE, 'remotes');
  return walk(base)
    .map((p) => relative(base, p).split('\\').join('/'))
    .filter((r) => (!r.startsWith('draft') && !r.startsWith('v1/')) || r.startsWith(`${draft}/`))
    .map((r) => ({
      name: `http://localhost:1234/${r}`,
      schema: JSON.parse(readFileSync(join(base, r), 'utf8')) as unknown,
    }));
}

function groups(draft: Draft, sub: string, only?: (file: string) => boolean): Group[] {
  const dir = join(SUITE, 'tests', draft, sub);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && (only === undefined || only(f)))
    .sort()
    .flatMap((f) =>
      (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Group[]).map((g) => {
        const schema =
          typeof g.schema === 'object' && g.schema !== null && !('$schema' in g.schema)
            ? { $schema: DRAFTS[draft], ...g.schema }
            : g.schema;
        return { ...g, file: `${sub}${f}`, schema };
      }),
    );
}

const excluded = new Map<string, string>();
for (const e of EXCLUSIONS)
  for (const d of e.drafts)
    for (const t of e.tests) excluded.set(`${d} | ${e.file} | ${e.group} | ${t}`, e.reason);

interface Row {
  tests: number;
  passed: number;
  ajv: number;
  interpreter: number;
}
const rows = new Map<string, Row>();
/** Cases the interpreter ran, for the comparison with @hyperjump/json-schema. */
const interpreted: Array<{ draft: Draft; group: Group; tests: Group['tests'] }> = [];
const unexpected: string[] = [];
const nowPassing: string[] = [];

/** The built-in JSON Schema plug-in, noting which engine each compiled schema got. */
const seen: { engine: 'ajv' | 'interpreter' } = { engine: 'ajv' };
const engineSeen = (): 'ajv' | 'interpreter' => seen.engine;
const observed: FormatPlugin<ParsedJsonSchema> = {
  ...jsonSchemaFormat,
  compile(parsed, context) {
    const check = jsonSchemaFormat.compile(parsed, context);
    seen.engine = jsonSchemaEngine(parsed).engine;
    return check;
  },
};

function run(draft: Draft, label: string, list: Group[]): void {
  const references = remotes(draft);
  const validation = new Validation({
    cacheSize: 64,
    parseCacheSize: 0,
    formats: [observed as FormatPlugin],
  });
  const row: Row = { tests: 0, passed: 0, ajv: 0, interpreter: 0 };
  for (const g of list) {
    // Only schemas that mention the remotes' host get them (the others cannot reach them).
    const refs = JSON.stringify(g.schema).includes('localhost:1234') ? references : [];
    const source = { format: 'json-schema', schema: g.schema, references: refs };
    let compiled: ReturnType<Validation['compile']> | undefined;
    let error: unknown;
    let engine: 'ajv' | 'interpreter' = 'ajv';
    try {
      seen.engine = 'ajv';
      compiled = validation.compile(source);
      engine = engineSeen();
    } catch (e) {
      error = e;
    }
    if (engine === 'interpreter') interpreted.push({ draft, group: g, tests: g.tests });
    for (const t of g.tests) {
      row.tests++;
      row[engine]++;
      let ok = false;
      if (compiled !== undefined) {
        const outcome = compiled.validate(t.data);
        ok =
          outcome.valid === t.valid &&
          compiled.is(t.data) === t.valid &&
          (t.valid || outcome.issues.length > 0);
      }
      const key = `${draft} | ${g.file} | ${g.description} | ${t.description}`;
      if (ok) row.passed++;
      if (excluded.has(key)) {
        if (ok) nowPassing.push(key);
      } else if (!ok) {
        const why = error === undefined ? '' : ` (${String((error as Error).message)})`;
        unexpected.push(`${key}${why}`);
      }
    }
  }
  rows.set(`${draft}${label}`, row);
}

describe('JSON-Schema-Test-Suite', () => {
  for (const draft of ALL) {
    it(`${draft}: every required test`, { timeout: 120_000 }, () => {
      run(draft, '', groups(draft, ''));
    });
    it(`${draft}: optional format tests of the claimed formats`, () => {
      run(
        draft,
        ' (optional/format)',
        groups(draft, 'optional/format/', (f) =>
          CLAIMED_FORMATS.includes(f.replace(/\.json$/, '')),
        ),
      );
    });
  }

  it('fails on nothing outside the exclusion list, and on every case in it', () => {
    expect(unexpected).toEqual([]);
    expect(nowPassing, 'excluded cases that now pass: remove them from EXCLUSIONS').toEqual([]);
  });

  it(
    'the interpreter scores what @hyperjump/json-schema scores on the cases it runs',
    {
      timeout: 120_000,
    },
    async () => {
      const modules = {
        draft4: hyperjump04,
        draft6: hyperjump06,
        draft7: hyperjump07,
        'draft2019-09': hyperjump2019,
        'draft2020-12': hyperjump2020,
      };
      // @cfworker/json-schema has no draft-06 mode; its draft-07 mode reads draft-06 schemas.
      const cfDrafts = {
        draft4: '4',
        draft6: '7',
        draft7: '7',
        'draft2019-09': '2019-09',
        'draft2020-12': '2020-12',
      } as const;
      let cfworker = 0;
      let total = 0;
      let ours = 0;
      let theirs = 0;
      const validation = new Validation({ parseCacheSize: 0 });
      let n = 0;
      for (const draft of ALL) {
        const hj = modules[draft] as unknown as {
          registerSchema(schema: unknown, uri: string, dialect: string): void;
          unregisterSchema(uri: string): void;
          validate(uri: string, value: unknown): Promise<{ valid: boolean }>;
        };
        const references = remotes(draft);
        const dialect = DRAFTS[draft].replace(/#$/, '');
        for (const r of references) hj.registerSchema(r.schema, r.name, dialect);
        for (const { group } of interpreted.filter((x) => x.draft === draft)) {
          const refs = JSON.stringify(group.schema).includes('localhost:1234') ? references : [];
          const compiled = validation.compile({
            format: 'json-schema',
            schema: group.schema,
            references: refs,
          });
          const uri = `https://hyperjump.invalid/${draft}/${n++}`;
          let registered = true;
          try {
            hj.registerSchema(group.schema, uri, dialect);
          } catch {
            registered = false;
          }
          let cf: CfWorkerValidator | undefined;
          try {
            cf = new CfWorkerValidator(group.schema as object, cfDrafts[draft], false);
            for (const r of refs) cf.addSchema(r.schema as object, r.name);
          } catch {
            cf = undefined; // cfworker refused the schema: its cases count as misses.
          }
          for (const t of group.tests) {
            total++;
            if (compiled.is(t.data) === t.valid) ours++;
            try {
              if (cf !== undefined && cf.validate(t.data).valid === t.valid) cfworker++;
            } catch {
              // cfworker threw on this value: a miss.
            }
            if (registered) {
              try {
                if ((await hj.validate(uri, t.data)).valid === t.valid) theirs++;
              } catch {
                // hyperjump refused the schema or the value: counted as a miss.
              }
            }
          }
          const s = group.schema as { $id?: unknown; id?: unknown };
          for (const u of [uri, s.$id, s.id]) {
            if (typeof u !== 'string') continue;
            try {
              hj.unregisterSchema(u.replace(/#$/, ''));
            } catch {
              // not registered under that URI
            }
          }
        }
        for (const r of references) hj.unregisterSchema(r.name);
      }
      console.log(
        `interpreter vs @hyperjump/json-schema and @cfworker/json-schema on the ${total} suite cases the interpreter runs: Plinth ${ours}, hyperjump ${theirs}, cfworker ${cfworker}`,
      );
      expect(total).toBeGreaterThan(0);
      expect(ours).toBeGreaterThanOrEqual(theirs);
    },
  );

  afterAll(() => {
    const lines = [
      '| draft | tests | passed | % | engine (cases) |',
      '| --- | ---: | ---: | ---: | --- |',
      ...[...rows].map(
        ([d, r]) =>
          `| ${d} | ${r.tests} | ${r.passed} | ${((100 * r.passed) / r.tests).toFixed(1)} % | ajv ${r.ajv}, interpreter ${r.interpreter} |`,
      ),
    ];
    console.log(lines.join('\n'));
  });
});
