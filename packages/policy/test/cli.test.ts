import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyCli } from '../src/cli.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/policy-tests/', import.meta.url));
const TSX = import.meta.resolve('tsx');

let dir: string;

/** Runs the real CLI in a child process (TypeScript through tsx, workspace sources). */
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@plinth/source', '--import', TSX, CLI, ...args],
    { cwd: dir, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SCHEMA = `
entity User;
entity Photo { owner: User, private: Bool };
action view appliesTo { principal: User, resource: Photo };
`;

const VALID = `@id("owner") permit (principal, action == Action::"view", resource)
when { resource.owner == principal };
`;

const INVALID = `@id("fine") permit (principal, action == Action::"view", resource);

@id("typo")
permit (principal, action == Action::"view", resource)
when { resource.ownr == principal };
`;

const MESSY = `// photos
permit(principal,action==Action::"view",resource)when{resource.owner==principal};
forbid  (principal , action, resource) unless { resource.private == false } ;`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plinth-policy-cli-'));
  copyFileSync(join(FIXTURES, 'photos.cedar'), join(dir, 'photos.cedar'));
  copyFileSync(join(FIXTURES, 'photos.tests.json'), join(dir, 'photos.tests.json'));
  const photos = JSON.parse(readFileSync(join(FIXTURES, 'photos.tests.json'), 'utf8')) as {
    tests: { expect: { decision: string } }[];
  };
  photos.tests[2]!.expect.decision = 'allow';
  writeFileSync(join(dir, 'failing.tests.json'), JSON.stringify(photos));
  writeFileSync(join(dir, 'malformed.tests.json'), JSON.stringify({ tests: [{ name: 'x' }] }));
  writeFileSync(join(dir, 'allow-all.cedar'), '@id("all") permit(principal, action, resource);');
  writeFileSync(join(dir, 'app.cedarschema'), SCHEMA);
  writeFileSync(join(dir, 'valid.cedar'), VALID);
  writeFileSync(join(dir, 'invalid.cedar'), INVALID);
  writeFileSync(join(dir, 'syntax.cedar'), 'permit(principal, action, resource) when { 1 + };');
  writeFileSync(join(dir, 'messy.cedar'), MESSY);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in this process (same code path as the bin, without a child process). */
function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = runPolicyCli(args, { cwd: dir });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

// A child process costs seconds (tsx compiles the sources): the spawned tests cover each exit
// code and each command once; the in-process ones cover the details.
describe('plinth-policy (spawned)', () => {
  it('test: passing files exit 0 with one line per test', () => {
    const r = cli('test', 'photos.tests.json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  ✓ alice views her own photo');
    expect(r.stdout).toContain('4 passed, 0 failed');
  });

  it('test: a failing test exits 1 and prints its diff', () => {
    const r = cli('test', 'photos.tests.json', 'failing.tests.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  ✗ eve is no friend');
    expect(r.stdout).toContain('decision: expected allow, got deny');
    expect(r.stdout).toContain('7 passed, 1 failed');
  });

  it('test: a malformed file exits 2 with the JSON path of the defect', () => {
    const r = cli('test', 'malformed.tests.json', 'photos.tests.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('malformed.tests.json');
    expect(r.stderr).toContain('$.tests[0].request: is required');
    expect(r.stdout).toContain('4 passed, 0 failed, 1 file(s) could not be run');
  });

  it('validate: exits 1 with file:line:column for a schema violation', () => {
    const bad = cli('validate', '--schema', 'app.cedarschema', 'invalid.cedar');
    expect(bad.code).toBe(1);
    // `resource.ownr` is on line 5 of the file, in the second policy.
    expect(bad.stdout).toContain(
      'invalid.cedar:5:8: error: policy `typo`: attribute `ownr` on entity type `Photo` not found [unknownAttribute]',
    );
  });

  it('format --write rewrites the file', () => {
    writeFileSync(join(dir, 'rewrite.cedar'), 'permit(principal,action,resource);');
    const r = cli('format', '--write', 'rewrite.cedar');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rewrite.cedar: formatted');
    expect(readFileSync(join(dir, 'rewrite.cedar'), 'utf8')).toBe(
      run('format', 'rewrite.cedar').stdout,
    );
  });

  it('--help exits 0, an unknown command exits 2 with the usage', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('plinth-policy test');
    const bad = cli('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage:');
  });
});

describe('plinth-policy (in process)', () => {
  it('test --coverage --json: machine-readable results and merged coverage', () => {
    const r = run('test', '--coverage', '--json', 'photos.tests.json', 'photos.tests.json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      passed: number;
      failed: number;
      files: { file: string; results: { name: string; passed: boolean }[] }[];
      coverage: { requests: number; summary: { policies: number; determining: number } };
    };
    expect(out.passed).toBe(8);
    expect(out.files[0]?.results[0]).toMatchObject({
      name: 'alice views her own photo',
      passed: true,
    });
    expect(out.coverage.requests).toBe(8);
    expect(out.coverage.summary).toMatchObject({ policies: 4, determining: 3 });
  });

  it('test --coverage prints what was never exercised', () => {
    const r = run('test', '--coverage', 'photos.tests.json');
    expect(r.stdout).toContain('admin-deletes (permit): evaluated 0');
    expect(r.stdout).toContain('never evaluated');
  });

  it('test --policies replaces the file policies; an unreadable one exits 2', () => {
    const r = run('test', '--policies', 'allow-all.cedar', 'photos.tests.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('determining: expected [owner-views], got [all]');
    expect(run('test', '--policies', 'absent.cedar', 'photos.tests.json').code).toBe(2);
  });

  it('validate: 0 for valid policies, 1 for a syntax error, 2 without a usable schema', () => {
    const ok = run('validate', '--schema', 'app.cedarschema', 'valid.cedar');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid.cedar: valid');
    const syntax = run('validate', '--schema', 'app.cedarschema', 'syntax.cedar');
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/syntax\.cedar: .*line 1, column \d+/);
    expect(run('validate', '--schema', 'absent.cedarschema', 'valid.cedar').code).toBe(2);
    expect(run('validate', 'valid.cedar').code).toBe(2);
    const json = JSON.parse(
      run('validate', '--json', '--schema', 'app.cedarschema', 'invalid.cedar').stdout,
    ) as {
      valid: boolean;
      files: { file: string; issues: { code: string }[] }[];
    };
    expect(json.valid).toBe(false);
    expect(json.files[0]?.issues.map((i) => i.code)).toEqual(['unknownAttribute']);
  });

  it('format: prints canonical text; --check exits 1 on an unformatted file; --write keeps comments safe', () => {
    const printed = run('format', 'messy.cedar');
    expect(printed.code).toBe(0);
    expect(printed.stderr).toContain('comments are not kept');
    const formatted = join(dir, 'formatted.cedar');
    writeFileSync(formatted, printed.stdout);
    expect(run('format', '--check', 'formatted.cedar').code).toBe(0);
    const check = run('format', '--check', 'messy.cedar');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      'messy.cedar: not formatted (first difference at line 1, column 1)',
    );
    const refused = run('format', '--write', 'messy.cedar');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--drop-comments');
    expect(readFileSync(join(dir, 'messy.cedar'), 'utf8')).toBe(MESSY);
    const written = run('format', '--write', '--drop-comments', 'messy.cedar');
    expect(written.code).toBe(0);
    expect(readFileSync(join(dir, 'messy.cedar'), 'utf8')).toBe(printed.stdout);
    expect(run('format', 'syntax.cedar').code).toBe(2);
    expect(run('format', '--check', '--write', 'valid.cedar').code).toBe(2);
  });

  it('usage errors exit 2 with the usage', () => {
    for (const args of [[], ['test'], ['test', '--nope', 'x.json'], ['format']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage:');
    }
  });
});
