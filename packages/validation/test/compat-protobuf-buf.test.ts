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
 * Differential test: Plinth's Protobuf compatibility against `buf breaking` (the real CLI) on
 * generated (old, new) pairs, per Buf category. Both the verdict and the set of rule ids must
 * agree on every pair but the listed exclusions.
 */

interface PField {
  name: string;
  number: number;
  type: string;
  label: '' | 'optional' | 'repeated' | 'required';
  oneof?: string | undefined;
  json?: string | undefined;
  dflt?: string | undefined;
}
interface PModel {
  syntax: 'proto2' | 'proto3';
  pkg: string;
  goPackage: string;
  values: Array<{ name: string; number: number }>;
  enumReserved: string[];
  fields: PField[];
  reserved: string[];
  unused: boolean;
}

const TYPES = [
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'bool',
  'string',
  'bytes',
  'fixed32',
  'sfixed32',
  'fixed64',
  'double',
  'float',
  'E',
  'F',
  'N',
  'map<string, int32>',
  'map<int32, N>',
];
const isMap = (t: string) => t.startsWith('map<');

function render(m: PModel, pkg: string): string {
  const lines = [`syntax = "${m.syntax}";`, `package ${pkg}${m.pkg};`];
  if (m.goPackage !== '') lines.push(`option go_package = "${m.goPackage}";`);
  const enumBody = m.values.map((v) => ` ${v.name} = ${v.number};`).join('');
  const alias =
    new Set(m.values.map((v) => v.number)).size < m.values.length
      ? ' option allow_alias = true;'
      : '';
  lines.push(
    `enum E {${alias}${enumBody}${m.enumReserved.map((r) => ` reserved ${r};`).join('')} }`,
  );
  const label = m.syntax === 'proto2' ? 'optional ' : '';
  lines.push('enum F { F_ZERO = 0; F_ONE = 1; }', `message N { ${label}int32 x = 1; }`);
  if (m.unused) lines.push(`message U { ${label}string u = 1; }`);
  lines.push('message M {');
  const line = (f: PField, inOneof: boolean) => {
    const opts = [
      f.json === undefined ? '' : `json_name = "${f.json}"`,
      f.dflt === undefined ? '' : `default = ${f.dflt}`,
    ].filter((x) => x !== '');
    const label = inOneof || isMap(f.type) || f.label === '' ? '' : `${f.label} `;
    return `  ${inOneof ? '  ' : ''}${label}${f.type} ${f.name} = ${f.number}${opts.length > 0 ? ` [${opts.join(', ')}]` : ''};`;
  };
  for (const f of m.fields.filter((x) => x.oneof === undefined)) lines.push(line(f, false));
  for (const o of [...new Set(m.fields.map((f) => f.oneof).filter((x) => x !== undefined))]) {
    lines.push(
      `  oneof ${o} {`,
      ...m.fields.filter((f) => f.oneof === o).map((f) => line(f, true)),
      '  }',
    );
  }
  for (const r of m.reserved) lines.push(`  reserved ${r};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const fieldArb = (syntax: 'proto2' | 'proto3', i: number) =>
  fc
    .record({
      type: fc.constantFrom(...TYPES),
      label: fc.constantFrom<PField['label'][]>(
        ...(syntax === 'proto3'
          ? (['', '', 'optional', 'repeated'] as const)
          : (['optional', 'optional', 'repeated', 'required'] as const)),
      ),
      inOneof: fc.boolean(),
    })
    .map(({ type, label, inOneof }): PField => ({
      name: `f${i}`,
      number: i,
      type,
      label: isMap(type) ? '' : label,
      oneof: inOneof && !isMap(type) && label !== 'repeated' ? 'choice' : undefined,
    }));

const modelArb: fc.Arbitrary<PModel> = fc
  .constantFrom<'proto2' | 'proto3'>('proto2', 'proto3')
  .chain((syntax) =>
    fc.record({
      syntax: fc.constant(syntax),
      pkg: fc.constant(''),
      goPackage: fc.constantFrom('', 'example.com/a'),
      values: fc.constant([
        { name: 'E_ZERO', number: 0 },
        { name: 'E_ONE', number: 1 },
        { name: 'E_TWO', number: 2 },
      ]),
      enumReserved: fc.constantFrom<string[]>([], ['5'], ['"E_OLD"']),
      fields: fc
        .integer({ min: 2, max: 5 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => fieldArb(syntax, i + 1)))),
      reserved: fc.constantFrom<string[]>([], ['20'], ['20 to 25'], ['"old"'], ['20', '"old"']),
      unused: fc.boolean(),
    }),
  );

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)] as T;
const MUTATIONS: Record<string, Mutation<PModel>> = {
  deleteField(m, r) {
    const f = pick(m.fields, r);
    m.fields = m.fields.filter((x) => x !== f);
    const how = Math.floor(r() * 4);
    if (how & 1) m.reserved.push(String(f.number));
    if (how & 2) m.reserved.push(`"${f.name}"`);
  },
  renameField(m, r) {
    const f = pick(m.fields, r);
    f.name = pick([`${f.name}_x`, `${f.name}x`, `g_${f.number}`], r);
  },
  renumberField(m, r) {
    pick(m.fields, r).number = 30 + Math.floor(r() * 5);
  },
  changeType(m, r) {
    const f = pick(m.fields, r);
    f.type = pick(TYPES, r);
    if (isMap(f.type)) {
      f.label = '';
      f.oneof = undefined;
    }
    f.dflt = undefined;
  },
  changeLabel(m, r) {
    const f = pick(m.fields, r);
    if (isMap(f.type)) return;
    f.label = pick(
      m.syntax === 'proto3'
        ? (['', 'optional', 'repeated'] as const)
        : (['optional', 'repeated', 'required'] as const),
      r,
    );
    if (f.label === 'repeated') f.oneof = undefined;
  },
  intoOneof(m, r) {
    const f = pick(m.fields, r);
    if (isMap(f.type) || f.label === 'repeated') return;
    f.oneof = pick(['choice', 'other'], r);
  },
  outOfOneof(m, r) {
    const f = pick(m.fields, r);
    f.oneof = undefined;
    if (f.label === '' && m.syntax === 'proto2') f.label = 'optional';
  },
  jsonName(m, r) {
    pick(m.fields, r).json = pick(['custom', 'f1', 'fX'], r);
  },
  addField(m, r) {
    m.fields.push({
      name: 'added',
      number: 40,
      type: pick(TYPES, r),
      label: m.syntax === 'proto3' ? '' : pick(['optional', 'required'] as const, r),
    });
  },
  deleteMessage(m) {
    m.unused = !m.unused;
  },
  deleteEnumValue(m, r) {
    const v = pick(m.values.slice(1), r);
    m.values = m.values.filter((x) => x !== v);
    const how = Math.floor(r() * 4);
    if (how & 1) m.enumReserved.push(String(v.number));
    if (how & 2) m.enumReserved.push(`"${v.name}"`);
  },
  renameEnumValue(m, r) {
    const v = pick(m.values.slice(1), r);
    v.name = `${v.name}_RENAMED`;
  },
  aliasEnumValue(m) {
    m.values.push({ name: 'E_ALIAS', number: 1 });
  },
  addEnumValue(m) {
    m.values.push({ name: 'E_NEW', number: 7 });
  },
  dropReserved(m) {
    m.reserved = m.reserved.slice(1);
    m.enumReserved = m.enumReserved.slice(1);
  },
  splitReserved(m) {
    m.reserved = m.reserved.map((x) => (x === '20 to 25' ? '20 to 22, 23 to 25' : x));
  },
  setDefault(m, r) {
    const f = m.fields.find(
      (x) =>
        ['int32', 'int64', 'uint32', 'bool', 'string', 'E'].includes(x.type) &&
        x.label === 'optional' &&
        x.oneof === undefined,
    );
    if (m.syntax !== 'proto2' || f === undefined) return;
    f.dflt =
      f.type === 'bool'
        ? pick(['true', 'false'], r)
        : f.type === 'string'
          ? '"d"'
          : f.type === 'E'
            ? pick(['E_ZERO', 'E_ONE'], r)
            : pick(['0', '7'], r);
  },
  changePackage(m) {
    m.pkg = 'x';
  },
  goPackage(m) {
    m.goPackage = m.goPackage === '' ? 'example.com/b' : '';
  },
  syntax(m) {
    m.syntax = m.syntax === 'proto2' ? 'proto3' : 'proto2';
    for (const f of m.fields) {
      if (m.syntax === 'proto3' && f.label === 'required') f.label = 'optional';
      if (m.syntax === 'proto2' && f.label === '' && !isMap(f.type) && f.oneof === undefined)
        f.label = 'optional';
      f.dflt = undefined;
    }
  },
};
const pairArb = mutatedPairs(modelArb, MUTATIONS, 2);

/** Known divergences; the test fails when a covered pair starts agreeing (the list only shrinks). */
const EXCLUSIONS: Exclusion[] = [];

const CATEGORIES: ProtobufStrictness[] = ['WIRE', 'WIRE_JSON', 'FILE', 'PACKAGE'];

describe('Protobuf compatibility vs buf breaking', () => {
  const pairs = fc.sample(pairArb, { numRuns: 520, seed: 4_242 });
  const oldFiles: Record<string, string> = {};
  const newFiles: Record<string, string> = {};
  pairs.forEach((p, i) => {
    oldFiles[`p${i}.proto`] = render(p.old, `p${i}`);
    newFiles[`p${i}.proto`] = render(p.next, `p${i}`);
  });
  // Only pairs where both files are valid (for buf and for Plinth) are compared.
  const badOld = bufInvalid(oldFiles);
  const badNew = bufInvalid(newFiles);
  const v = new Validation();
  const ok = Object.keys(oldFiles).filter((k) => !badOld.has(k) && !badNew.has(k));
  const keep = Object.fromEntries(ok.map((k) => [k, true]));
  const pick2 = (files: Record<string, string>) =>
    Object.fromEntries(Object.entries(files).filter(([k]) => keep[k]));

  it.each(CATEGORIES)(
    '%s: verdicts and rule ids agree on generated pairs',
    (category) => {
      expect(ok.length).toBeGreaterThanOrEqual(400);
      // By file; PACKAGE_NO_DELETE has no file, its message names the package (`p<i>`).
      const buf = new Map<string, Set<string>>();
      for (const issue of bufBreakingIssues(pick2(oldFiles), pick2(newFiles), category)) {
        const k = `p${/\bp(\d+)/.exec(issue.path ?? issue.message)?.[1] ?? ''}.proto`;
        buf.set(k, (buf.get(k) ?? new Set<string>()).add(issue.type));
      }
      let verdicts = 0;
      let ids = 0;
      let breaking = 0;
      const disagreements: string[] = [];
      const excludedAgreeing: string[] = [];
      for (const k of ok) {
        const i = Number(k.slice(1, -6));
        const r = v.checkCompatibility(
          { format: 'protobuf', schema: newFiles[k] },
          [{ format: 'protobuf', schema: oldFiles[k] }],
          { level: 'BACKWARD', protobufStrictness: category },
        );
        const plinth = new Set(r.violations.map((x) => x.rule));
        const theirs = buf.get(k) ?? new Set<string>();
        if (theirs.size > 0) breaking++;
        const { sameVerdict, sameIds } = agreement(plinth, theirs);
        if (sameVerdict) verdicts++;
        if (sameIds) ids++;
        const muts = pairs[i]?.muts ?? [];
        const excluded = EXCLUSIONS.find((x) => x.covers(muts, plinth, theirs));
        if (sameIds && excluded !== undefined) excludedAgreeing.push(`${k}: ${excluded.reason}`);
        if (!sameIds && excluded === undefined)
          disagreements.push(
            `${k} [${muts.join(', ')}]: plinth {${[...plinth].sort().join(', ')}} buf {${[...theirs].sort().join(', ')}}\n--- old\n${oldFiles[k]}--- new\n${newFiles[k]}`,
          );
      }
      console.log(
        `Protobuf ${category} vs buf breaking: verdicts ${verdicts}/${ok.length} (${((100 * verdicts) / ok.length).toFixed(1)} %), rule ids ${ids}/${ok.length} (${((100 * ids) / ok.length).toFixed(1)} %), ${breaking} breaking for buf`,
      );
      expect(disagreements.slice(0, 5)).toEqual([]);
      expect(excludedAgreeing).toEqual([]);
      expect(breaking).toBeGreaterThan(50);
    },
    60_000,
  );
});
