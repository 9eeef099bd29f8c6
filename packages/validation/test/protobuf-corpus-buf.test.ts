import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ProtobufStrictness, type SchemaSource, Validation } from '../src/index.js';
import { agreement, bufBreaking, bufInvalid } from './buf-oracle.js';

/**
 * Real `.proto` files (google-proto-files: well-known types, googleapis common protos, IAM,
 * long-running operations, logging, Cloud Tasks): Plinth must accept every file `buf build`
 * accepts, with imports resolved across the corpus, and mutations of real messages must get
 * buf's breaking verdict and rule ids.
 */
const ROOT = dirname(fileURLToPath(import.meta.resolve('google-proto-files/package.json')));
const DIRS = [
  'google/protobuf',
  'google/type',
  'google/rpc',
  'google/api',
  'google/longrunning',
  'google/iam/v1',
  'google/logging',
  'google/cloud/tasks/v2',
];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir))) {
    const rel = `${dir}/${e}`;
    if (statSync(join(ROOT, rel)).isDirectory()) walk(rel, out);
    else if (e.endsWith('.proto')) out.push(rel);
  }
  return out;
}

const texts = new Map<string, string>();
const read = (f: string) => {
  let t = texts.get(f);
  if (t === undefined) {
    t = readFileSync(join(ROOT, f), 'utf8');
    texts.set(f, t);
  }
  return t;
};
const importsOf = (t: string) =>
  [...t.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"/gm)].map((m) => m[1] as string);
/** The file's imports, transitively, dependencies first; undefined when one is not in the corpus. */
function closure(f: string, seen = new Set<string>(), out: string[] = []): string[] | undefined {
  for (const i of importsOf(read(f))) {
    if (seen.has(i)) continue;
    seen.add(i);
    try {
      statSync(join(ROOT, i));
    } catch {
      return undefined;
    }
    if (closure(i, seen, out) === undefined) return undefined;
    out.push(i);
  }
  return out;
}

const selected = DIRS.flatMap((d) => walk(d)).sort();
const resolvable = selected.filter((f) => closure(f) !== undefined);
const sourceOf = (f: string, text = read(f)): SchemaSource => ({
  format: 'protobuf',
  schema: text,
  references: (closure(f) ?? []).map((name) => ({ name, schema: read(name) })),
});

/**
 * Known divergences: the test fails when an excluded file starts being accepted (the list only
 * shrinks).
 */
const EXCLUSIONS: Array<{ reason: string; covers: (file: string) => boolean }> = [
  {
    reason: 'protobufjs parses proto2, proto3 and edition 2023, not editions 2024 and later',
    covers: (f) =>
      [f, ...(closure(f) ?? [])].some((x) =>
        /^\s*edition\s*=\s*"20(2[4-9]|[3-9]\d)"/m.test(read(x)),
      ),
  },
];

describe('Protobuf on a corpus of real .proto files vs buf', () => {
  const v = new Validation();
  const all: Record<string, string> = {};
  for (const f of resolvable) for (const x of [f, ...(closure(f) ?? [])]) all[x] = read(x);
  const invalid = bufInvalid(all);
  const accepts = (f: string) => {
    try {
      v.fingerprint(sourceOf(f));
      return true;
    } catch {
      return false;
    }
  };

  it('accepts every file buf build accepts', () => {
    const refused: string[] = [];
    const excludedAccepted: string[] = [];
    let accepted = 0;
    let excluded = 0;
    for (const f of resolvable) {
      if (invalid.has(f)) continue;
      const ex = EXCLUSIONS.find((x) => x.covers(f));
      if (ex !== undefined) {
        excluded++;
        if (accepts(f)) excludedAccepted.push(`${f}: ${ex.reason}`);
        continue;
      }
      try {
        v.fingerprint(sourceOf(f));
        accepted++;
      } catch (e) {
        refused.push(`${f}: ${(e as Error).message}`);
      }
    }
    const bufValid = resolvable.filter((f) => !invalid.has(f)).length;
    console.log(
      `Protobuf corpus vs buf build: ${accepted}/${bufValid - excluded} files buf accepts are accepted (${resolvable.length} files, ${invalid.size} refused by buf, ${excluded} excluded)`,
    );
    expect(refused).toEqual([]);
    expect(excludedAccepted).toEqual([]);
    expect(accepted).toBeGreaterThan(100);
  }, 60_000);

  // Mutations of real messages: one field line changed per pair, in its own package copy.
  const fieldLine = /^(\s*)((?:optional |repeated )?)([\w.]+) (\w+) = (\d+)(.*);\s*$/;
  const support = Object.fromEntries(Object.entries(all).filter(([f]) => !invalid.has(f)));
  const candidates = resolvable.filter(
    (f) =>
      /^\s*syntax\s*=\s*"proto3"/m.test(read(f)) &&
      !/^\s*extend\s/m.test(read(f)) &&
      !/message_set_wire_format/.test(read(f)) &&
      (closure(f) ?? []).every((x) => x in support) &&
      !invalid.has(f) &&
      accepts(f),
  );
  const MUTATIONS = [
    'delete',
    'deleteReserved',
    'renumber',
    'rename',
    'retype',
    'intoOneof',
    'repeated',
    'optional',
  ] as const;
  const pairs = fc.sample(
    fc.record({
      file: fc.constantFrom(...candidates),
      line: fc.nat(),
      mutation: fc.constantFrom(...MUTATIONS),
      type: fc.constantFrom('int32', 'int64', 'string', 'bytes', 'bool', 'uint64', 'double'),
    }),
    { numRuns: 120, seed: 77 },
  );
  const oldFiles: Record<string, string> = {};
  const newFiles: Record<string, string> = {};
  const meta = new Map<string, { file: string; mutation: string }>();
  pairs.forEach((p, k) => {
    const text = read(p.file);
    const lines = text.split('\n');
    const idx = lines
      .map((l, i) => (fieldLine.test(l) && !/map</.test(l) ? i : -1))
      .filter((i) => i >= 0);
    if (idx.length === 0) return;
    const at = idx[p.line % idx.length] as number;
    const m = fieldLine.exec(lines[at] as string) as RegExpExecArray;
    const [, indent, label, type, name, num, rest] = m as unknown as string[];
    const next = [...lines];
    const put = (s: string) => (next[at] = s);
    switch (p.mutation) {
      case 'delete':
        put('');
        break;
      case 'deleteReserved':
        put(`${indent}reserved ${num};`);
        break;
      case 'renumber':
        put(`${indent}${label}${type} ${name} = ${Number(num) + 1000}${rest};`);
        break;
      case 'rename':
        put(`${indent}${label}${type} ${name}_renamed = ${num}${rest};`);
        break;
      case 'retype':
        put(`${indent}${label}${p.type} ${name} = ${num}${rest};`);
        break;
      case 'intoOneof':
        if (label !== '') return;
        put(`${indent}oneof ${name}_choice { ${type} ${name} = ${num}${rest}; }`);
        break;
      case 'repeated':
        put(`${indent}${label === 'repeated ' ? '' : 'repeated '}${type} ${name} = ${num}${rest};`);
        break;
      case 'optional':
        put(
          `${indent}${label === 'optional ' ? '' : label === '' ? 'optional ' : label}${type} ${name} = ${num}${rest};`,
        );
        break;
    }
    // A private package per pair, so that every pair fits in one buf module.
    const pkg = (t: string) => t.replace(/^(\s*package\s+)([\w.]+)\s*;/m, `$1$2.mut${k};`);
    const path = `mut${k}/${p.file}`;
    oldFiles[path] = pkg(text);
    newFiles[path] = pkg(next.join('\n'));
    meta.set(path, p);
  });

  let prepared:
    { ok: string[]; keep: (files: Record<string, string>) => Record<string, string> } | undefined;
  const prepare = () => {
    if (prepared !== undefined) return prepared;
    // Only what the mutated files import (the corpus has files buf breaking cannot load).
    const needed = Object.fromEntries(
      [...meta.values()].flatMap(({ file }) => (closure(file) ?? []).map((x) => [x, read(x)])),
    );
    const badOld = bufInvalid(oldFiles, needed);
    const badNew = bufInvalid(newFiles, needed);
    const ok = Object.keys(oldFiles).filter((k) => !badOld.has(k) && !badNew.has(k));
    const keep = (files: Record<string, string>) => ({
      ...needed,
      ...Object.fromEntries(ok.map((k) => [k, files[k] as string])),
    });
    prepared = { ok, keep };
    return prepared;
  };

  it.each<ProtobufStrictness>(['WIRE', 'WIRE_JSON', 'FILE'])(
    "%s: mutations of real files get buf breaking's verdict and rule ids",
    (category) => {
      const { ok, keep } = prepare();
      const buf = bufBreaking(keep(oldFiles), keep(newFiles), category);
      let verdicts = 0;
      let ids = 0;
      const disagreements: string[] = [];
      for (const k of ok) {
        const { file, mutation } = meta.get(k) as { file: string; mutation: string };
        const r = v.checkCompatibility(sourceOf(file, newFiles[k]), [sourceOf(file, oldFiles[k])], {
          level: 'BACKWARD',
          protobufStrictness: category,
        });
        const plinth = new Set(r.violations.map((x) => x.rule));
        const theirs = buf.get(k) ?? new Set<string>();
        const { sameVerdict, sameIds } = agreement(plinth, theirs);
        if (sameVerdict) verdicts++;
        if (sameIds) ids++;
        else
          disagreements.push(
            `${k} (${mutation}): plinth {${[...plinth].sort().join(', ')}} buf {${[...theirs].sort().join(', ')}}`,
          );
      }
      console.log(
        `Protobuf corpus mutations ${category} vs buf breaking: verdicts ${verdicts}/${ok.length}, rule ids ${ids}/${ok.length}`,
      );
      expect(ok.length).toBeGreaterThan(80);
      expect(disagreements).toEqual([]);
    },
    60_000,
  );
});
