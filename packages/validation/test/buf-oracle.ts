import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@plinth/core';
import fc from 'fast-check';

/**
 * The real `buf` CLI (from the @bufbuild/buf devDependency) as a test oracle: many files per
 * invocation, in temporary module directories that are removed afterwards.
 */
const BUF = join(
  dirname(fileURLToPath(import.meta.resolve('@bufbuild/buf/package.json'))),
  'bin',
  'buf',
);

interface BufIssue {
  path: string;
  type: string;
  message: string;
  start_line?: number;
  start_column?: number;
}

function writeModule(dir: string, files: Readonly<Record<string, string>>, yaml: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'buf.yaml'), yaml);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

function run(args: string[], cwd: string): BufIssue[] {
  const r = spawnSync(BUF, [...args, '--error-format', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const issues = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as BufIssue);
  if (r.status !== 0 && issues.length === 0)
    throw new Error(`buf ${args[0]} failed (${r.status}): ${r.stderr}`);
  return issues;
}

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-buf-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `buf build` over many files at once: the set of files buf refuses, with its first message each.
 * Files with errors are dropped and the rest rebuilt until the build is clean, so every file
 * reported valid is part of a clean build. `support` files are always present (imports).
 */
export function bufInvalid(
  files: Readonly<Record<string, string>>,
  support: Readonly<Record<string, string>> = {},
): Map<string, string> {
  return withTemp((dir) => {
    const bad = new Map<string, string>();
    let remaining = { ...files };
    for (let round = 0; round < 20; round++) {
      const mod = join(dir, `round${round}`);
      writeModule(mod, { ...support, ...remaining }, 'version: v2\n');
      const issues = run(['build'], mod);
      if (issues.length === 0) return bad;
      const next = { ...remaining };
      for (const i of issues) {
        if (!(i.path in remaining))
          throw new Error(`buf: error in a support file: ${JSON.stringify(i)}`);
        if (!bad.has(i.path)) bad.set(i.path, i.message);
        delete next[i.path];
      }
      remaining = next;
    }
    throw new Error('buf build did not converge');
  });
}

/** `buf breaking new --against old` for one category: rule ids per file path. */
export function bufBreaking(
  previous: Readonly<Record<string, string>>,
  next: Readonly<Record<string, string>>,
  category: 'WIRE' | 'WIRE_JSON' | 'FILE' | 'PACKAGE',
): Map<string, Set<string>> {
  return withTemp((dir) => {
    writeModule(join(dir, 'old'), previous, 'version: v2\n');
    writeModule(join(dir, 'new'), next, `version: v2\nbreaking:\n  use: [${category}]\n`);
    const out = new Map<string, Set<string>>();
    for (const i of run(['breaking', '.', '--against', '../old'], join(dir, 'new'))) {
      if (i.type === 'COMPILE') throw new Error(`buf breaking: ${i.path}: ${i.message}`);
      const s = out.get(i.path) ?? new Set<string>();
      s.add(i.type);
      out.set(i.path, s);
    }
    return out;
  });
}

/**
 * `buf breaking` for one category over a module holding many independent file sets: every issue,
 * with its file path when buf gives one (FILE_NO_DELETE and PACKAGE_NO_DELETE have none; their
 * message names the file or package).
 */
export function bufBreakingIssues(
  previous: Readonly<Record<string, string>>,
  next: Readonly<Record<string, string>>,
  category: 'WIRE' | 'WIRE_JSON' | 'FILE' | 'PACKAGE',
): Array<{ path?: string; type: string; message: string }> {
  return withTemp((dir) => {
    writeModule(join(dir, 'old'), previous, 'version: v2\n');
    writeModule(join(dir, 'new'), next, `version: v2\nbreaking:\n  use: [${category}]\n`);
    const issues = run(['breaking', '.', '--against', '../old'], join(dir, 'new'));
    for (const i of issues)
      if (i.type === 'COMPILE') throw new Error(`buf breaking: ${i.path}: ${i.message}`);
    return issues;
  });
}

/** A named change applied to a copy of a generated model, drawing from `r` (0 ≤ x < 1). */
export type Mutation<M> = (model: M, r: () => number) => void;

/**
 * (old, new) pairs: a generated model and a copy changed by 1…`maxMutations` named mutations,
 * each drawing from core's seeded PRNG, so a pair is reproduced from fast-check's seed alone.
 */
export function mutatedPairs<M>(
  model: fc.Arbitrary<M>,
  mutations: Readonly<Record<string, Mutation<M>>>,
  maxMutations: number,
): fc.Arbitrary<{ old: M; next: M; muts: string[] }> {
  const names = Object.keys(mutations);
  return fc
    .tuple(
      model,
      fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: maxMutations }),
      fc.integer(),
    )
    .map(([old, muts, seed]) => {
      const next = structuredClone(old);
      const r = seededRandom(seed);
      for (const mu of muts) mutations[mu]?.(next, r);
      return { old, next, muts };
    });
}

/** A known divergence from buf; the test fails when a covered pair starts agreeing. */
export interface Exclusion {
  readonly reason: string;
  covers(muts: readonly string[], plinth: ReadonlySet<string>, buf: ReadonlySet<string>): boolean;
}

/** Whether Plinth and buf agree on a pair: the verdict (breaking or not), and the set of rule ids. */
export function agreement(
  plinth: ReadonlySet<string>,
  buf: ReadonlySet<string>,
): { sameVerdict: boolean; sameIds: boolean } {
  const sameVerdict = plinth.size > 0 === buf.size > 0;
  const sameIds = sameVerdict && plinth.size === buf.size && [...plinth].every((x) => buf.has(x));
  return { sameVerdict, sameIds };
}
