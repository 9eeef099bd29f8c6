import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ProtobufStrictness, Validation } from '../src/index.js';
import {
  agreement,
  bufBreakingIssues,
  bufInvalid,
  type Exclusion,
  mutatedPairs,
  type Mutation,
} from './buf-oracle.js';

/**
 * Differential test of the file-set rules: Plinth's Protobuf compatibility of a schema with its
 * references against `buf breaking` (the real CLI) on the same files as a module, for Buf's
 * `PACKAGE` category (and `FILE`, whose deletion rules are per file). Generated (old, new) file
 * sets move, delete and re-package messages, enums, services and extensions between a main file,
 * a dependency and an optional third file. Verdicts and rule ids must agree on every pair but the
 * listed exclusions.
 */

type FileId = 'main' | 'dep' | 'extra';
type Kind = 'message' | 'enum' | 'service' | 'extension';
const POOL: Record<Kind, readonly string[]> = {
  message: ['A', 'B', 'C', 'D'],
  enum: ['E1', 'E2', 'E3'],
  service: ['S1', 'S2'],
  extension: ['x1', 'x2', 'x3', 'x4'],
};
const KINDS = Object.keys(POOL) as Kind[];

interface Holder {
  inner: boolean;
  ext: boolean;
  map: boolean;
}
interface Model {
  pkg: Record<FileId, string>;
  extra: boolean;
  /** Where each named element lives (absent: nowhere). */
  at: Record<string, FileId>;
  holder: FileId | undefined;
  nested: Holder;
  fields: string[];
  goPackage: string;
  noAccessor: boolean;
}

const kindOf = (name: string): Kind => KINDS.find((k) => POOL[k].includes(name)) as Kind;

function render(m: Model, i: number): Record<string, string> {
  const dir = `p${i}`;
  const q = (f: FileId) => `p${i}.${m.pkg[f]}`;
  const shared = `.${q('dep')}.Shared`;
  const ext = `.${q('dep')}.Ext`;
  const body = (f: FileId): string[] => {
    const out: string[] = [];
    for (const [name, where] of Object.entries(m.at)) {
      if (where !== f) continue;
      const kind = kindOf(name);
      if (kind === 'message') out.push(`message ${name} { optional int32 v = 1; }`);
      if (kind === 'enum') out.push(`enum ${name} { ${name}_ZERO = 0; }`);
      if (kind === 'service')
        out.push(`service ${name} { rpc Do (${shared}) returns (${shared}); }`);
      if (kind === 'extension')
        out.push(`extend ${ext} { optional int32 ${name} = ${100 + Number(name.slice(1))}; }`);
    }
    if (m.holder === f) {
      const h = m.nested;
      out.push(
        [
          'message Holder {',
          h.inner ? '  enum Inner { INNER_ZERO = 0; }' : '',
          h.ext ? `  extend ${ext} { optional int32 nested_ext = 150; }` : '',
          h.map ? '  map<string, int32> tags = 1;' : '',
          '}',
        ]
          .filter((x) => x !== '')
          .join('\n'),
      );
    }
    return out;
  };
  const head = (f: FileId, imports: string[]) => [
    'syntax = "proto2";',
    `package ${q(f)};`,
    ...imports.map((x) => `import "${dir}/${x}.proto";`),
  ];
  const files: Record<string, string> = {
    [`${dir}/dep.proto`]: [
      ...head('dep', []),
      ...(m.goPackage === '' ? [] : [`option go_package = "${m.goPackage}";`]),
      'message Shared { optional int32 s = 1; }',
      'message Ext { extensions 100 to 199; }',
      ...body('dep'),
    ].join('\n'),
    [`${dir}/main.proto`]: [
      ...head('main', ['dep']),
      'message M {',
      ...(m.noAccessor ? ['  option no_standard_descriptor_accessor = true;'] : []),
      `  optional ${shared} shared = 1;`,
      ...m.fields,
      '}',
      ...body('main'),
    ].join('\n'),
  };
  if (m.extra)
    files[`${dir}/extra.proto`] = [...head('extra', ['dep']), ...body('extra')].join('\n');
  for (const k of Object.keys(files)) files[k] = `${files[k]}\n`;
  return files;
}

const FIELDS = [
  '  optional int32 f2 = 2;',
  '  optional string f3 = 3;',
  '  repeated int64 f4 = 4;',
];

const modelArb: fc.Arbitrary<Model> = fc.record({
  pkg: fc.record({
    main: fc.constant('a'),
    dep: fc.constantFrom('a', 'b'),
    extra: fc.constantFrom('a', 'b', 'c'),
  }),
  extra: fc.boolean(),
  at: fc
    .tuple(
      ...Object.values(POOL)
        .flat()
        .map((name) =>
          fc
            .constantFrom<Array<FileId | 'none'>>('none', 'main', 'dep', 'extra')
            .map((w) => [name, w] as const),
        ),
    )
    .map((xs) => Object.fromEntries(xs.filter(([, w]) => w !== 'none')) as Record<string, FileId>),
  holder: fc.constantFrom<Array<FileId | undefined>>(undefined, 'main', 'dep', 'extra'),
  nested: fc.record({ inner: fc.boolean(), ext: fc.boolean(), map: fc.boolean() }),
  fields: fc.subarray(FIELDS),
  goPackage: fc.constantFrom('', 'example.com/dep'),
  noAccessor: fc.constant(false),
});

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)] as T;
const FILES: FileId[] = ['main', 'dep', 'extra'];
const placed = (m: Model, kind?: Kind) =>
  Object.keys(m.at).filter((n) => kind === undefined || kindOf(n) === kind);
const MUTATIONS: Record<string, Mutation<Model>> = {
  deleteElement(m, r) {
    const names = placed(m);
    if (names.length > 0) delete m.at[pick(names, r)];
  },
  moveElement(m, r) {
    const names = placed(m);
    if (names.length > 0) m.at[pick(names, r)] = pick(FILES, r);
  },
  deleteKindFromFile(m, r) {
    const kind = pick(KINDS, r);
    const file = pick(FILES, r);
    for (const n of placed(m, kind)) if (m.at[n] === file) delete m.at[n];
  },
  addElement(m, r) {
    const free = Object.values(POOL)
      .flat()
      .filter((n) => m.at[n] === undefined);
    if (free.length > 0) m.at[pick(free, r)] = pick(FILES, r);
  },
  changePackage(m, r) {
    const f = pick(FILES, r);
    m.pkg[f] = pick(
      ['a', 'b', 'c'].filter((p) => p !== m.pkg[f]),
      r,
    );
  },
  toggleExtra(m) {
    m.extra = !m.extra;
  },
  moveHolder(m, r) {
    m.holder = pick(
      [undefined, ...FILES].filter((f) => f !== m.holder),
      r,
    );
  },
  nested(m, r) {
    const k = pick(['inner', 'ext', 'map'] as const, r);
    m.nested[k] = !m.nested[k];
  },
  field(m, r) {
    const f = pick(FIELDS, r);
    m.fields = m.fields.includes(f) ? m.fields.filter((x) => x !== f) : [...m.fields, f];
  },
  renameField(m, r) {
    if (m.fields.length > 0) {
      const f = pick(m.fields, r);
      m.fields = m.fields.map((x) => (x === f ? x.replace(/ (f\d) =/, ' $1_renamed =') : x));
    }
  },
  goPackage(m) {
    m.goPackage = m.goPackage === '' ? 'example.com/other' : '';
  },
  noAccessor(m) {
    m.noAccessor = true;
  },
};
const pairArb = mutatedPairs(modelArb, MUTATIONS, 3);

/** Known divergences; the test fails when a covered pair starts agreeing (the list only shrinks). */
const EXCLUSIONS: Exclusion[] = [];

const CATEGORIES: ProtobufStrictness[] = ['PACKAGE', 'FILE'];

/** The pair an issue belongs to: its path, or the file or package its message names. */
const pairOf = (issue: { path?: string; message: string }) =>
  Number(/\bp(\d+)[/.]/.exec(issue.path ?? issue.message)?.[1] ?? -1);

describe('Protobuf file sets (schema + references) vs buf breaking', () => {
  const pairs = fc.sample(pairArb, { numRuns: 480, seed: 20_250 });
  const oldFiles: Record<string, string> = {};
  const newFiles: Record<string, string> = {};
  pairs.forEach((p, i) => {
    Object.assign(oldFiles, render(p.old, i));
    Object.assign(newFiles, render(p.next, i));
  });
  // Only pairs whose files are all valid for buf on both sides are compared.
  const bad = new Set(
    [...bufInvalid(oldFiles).keys(), ...bufInvalid(newFiles).keys()].map((k) =>
      Number(/^p(\d+)\//.exec(k)?.[1]),
    ),
  );
  const ok = pairs.map((_, i) => i).filter((i) => !bad.has(i));
  const inPair = (files: Record<string, string>, i: number) =>
    Object.entries(files).filter(([k]) => k.startsWith(`p${i}/`));
  const module = (files: Record<string, string>) =>
    Object.fromEntries(ok.flatMap((i) => inPair(files, i)));
  const source = (files: Record<string, string>, i: number) => ({
    format: 'protobuf',
    schema: files[`p${i}/main.proto`],
    references: inPair(files, i)
      .filter(([k]) => k !== `p${i}/main.proto`)
      .map(([name, schema]) => ({ name, schema })),
  });
  const v = new Validation();

  it.each(CATEGORIES)(
    '%s: verdicts and rule ids agree on generated file sets',
    (category) => {
      expect(ok.length).toBeGreaterThanOrEqual(400);
      const buf = new Map<number, Set<string>>();
      for (const issue of bufBreakingIssues(module(oldFiles), module(newFiles), category)) {
        const i = pairOf(issue);
        buf.set(i, (buf.get(i) ?? new Set<string>()).add(issue.type));
      }
      let verdicts = 0;
      let ids = 0;
      let breaking = 0;
      const disagreements: string[] = [];
      const excludedAgreeing: string[] = [];
      const seen = new Set<string>();
      for (const i of ok) {
        const r = v.checkCompatibility(source(newFiles, i), [source(oldFiles, i)], {
          level: 'BACKWARD',
          protobufStrictness: category,
        });
        const plinth = new Set(r.violations.map((x) => x.rule));
        const theirs = buf.get(i) ?? new Set<string>();
        for (const x of theirs) seen.add(x);
        if (theirs.size > 0) breaking++;
        const { sameVerdict, sameIds } = agreement(plinth, theirs);
        if (sameVerdict) verdicts++;
        if (sameIds) ids++;
        const muts = pairs[i]?.muts ?? [];
        const excluded = EXCLUSIONS.find((x) => x.covers(muts, plinth, theirs));
        if (sameIds && excluded !== undefined) excludedAgreeing.push(`p${i}: ${excluded.reason}`);
        if (!sameIds && excluded === undefined)
          disagreements.push(
            `p${i} [${muts.join(', ')}]: plinth {${[...plinth].sort().join(', ')}} buf {${[...theirs].sort().join(', ')}}\n${inPair(
              oldFiles,
              i,
            )
              .map(([k, t]) => `--- old ${k}\n${t}`)
              .join('')}${inPair(newFiles, i)
              .map(([k, t]) => `--- new ${k}\n${t}`)
              .join('')}`,
          );
      }
      console.log(
        `Protobuf file sets ${category} vs buf breaking: verdicts ${verdicts}/${ok.length} (${((100 * verdicts) / ok.length).toFixed(1)} %), rule ids ${ids}/${ok.length} (${((100 * ids) / ok.length).toFixed(1)} %), ${breaking} breaking for buf, ${seen.size} buf rule ids met`,
      );
      expect(disagreements.slice(0, 5)).toEqual([]);
      expect(excludedAgreeing).toEqual([]);
      expect(breaking).toBeGreaterThan(100);
      // Every file-set rule of the category is met at least once.
      const wanted =
        category === 'PACKAGE'
          ? [
              'PACKAGE_NO_DELETE',
              'PACKAGE_MESSAGE_NO_DELETE',
              'PACKAGE_ENUM_NO_DELETE',
              'PACKAGE_SERVICE_NO_DELETE',
              'PACKAGE_EXTENSION_NO_DELETE',
              'MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR',
            ]
          : ['FILE_NO_DELETE', 'MESSAGE_NO_DELETE', 'ENUM_NO_DELETE', 'EXTENSION_NO_DELETE'];
      expect(wanted.filter((x) => !seen.has(x))).toEqual([]);
    },
    60_000,
  );
});
