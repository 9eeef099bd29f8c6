import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPlinthError } from '@plinth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicySet } from '../src/policy-set.js';
import {
  formatCoverage,
  formatPolicyTestReport,
  mergeCoverage,
  parsePolicyTestFile,
  PolicyTestRunner,
  runPolicyTests,
  type PolicyTestFile,
} from '../src/policy-tests.js';
import { describePolicyTests } from '../src/testing/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/policy-tests/', import.meta.url));
const PHOTOS = join(FIXTURES, 'photos.tests.json');
const PHOTOS_CEDAR = readFileSync(join(FIXTURES, 'photos.cedar'), 'utf8');
const photos = JSON.parse(readFileSync(PHOTOS, 'utf8')) as PolicyTestFile;

const dir = mkdtempSync(join(tmpdir(), 'plinth-policy-tests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectTestFileError(input: unknown, path: string, text?: RegExp): void {
  const e = errorOf(
    () => new PolicyTestRunner(input as PolicyTestFile, { policies: PHOTOS_CEDAR }),
  );
  expect(isPlinthError(e, 'E_TEST_FILE'), String(e)).toBe(true);
  expect((e as { details: { path: string } }).details.path).toBe(path);
  expect((e as Error).message).toContain(path);
  if (text !== undefined) expect((e as Error).message).toMatch(text);
}

const viewBeach = (principal: string) => ({
  principal: { type: 'User', id: principal },
  action: { type: 'Action', id: 'view' },
  resource: { type: 'Photo', id: 'beach' },
});

describe('runPolicyTests', () => {
  it('runs a file from disk, resolving its policy path against the file', () => {
    const report = runPolicyTests(PHOTOS);
    expect(report.file).toBe(PHOTOS);
    expect(report.results.map((r) => [r.name, r.passed])).toEqual([
      ['alice views her own photo', true],
      ['bob, a friend, views a shared photo', true],
      ['eve is no friend', true],
      ['a locked photo is hidden even from its owner', true],
    ]);
    expect(report.passed).toBe(4);
    expect(report.failed).toBe(0);
    expect(report.results[3]?.actual).toEqual({
      decision: 'deny',
      determining: ['locked'],
      errors: [],
    });
    expect(report.results.every((r) => r.diff.length === 0 && r.message === '')).toBe(true);
  });

  it('measures which policies were evaluated, satisfied, determining, and each condition value', () => {
    const { coverage } = runPolicyTests(PHOTOS);
    expect(coverage.requests).toBe(4);
    const by = Object.fromEntries(coverage.policies.map((p) => [p.id, p]));
    expect(by['owner-views']).toMatchObject({
      evaluated: 4,
      satisfied: 2,
      determining: 1,
      errors: 0,
    });
    expect(by['owner-views']?.conditions).toEqual([
      { index: 0, kind: 'when', text: 'resource.owner == principal', true: 2, false: 2, errors: 0 },
    ]);
    expect(by['friends-view']).toMatchObject({ evaluated: 4, satisfied: 1, determining: 1 });
    // `unless { resource.private }`: the expression was false once (bob) and never true.
    expect(by['friends-view']?.conditions.map((c) => [c.kind, c.true, c.false])).toEqual([
      ['when', 1, 3],
      ['unless', 0, 1],
    ]);
    expect(by.locked).toMatchObject({ evaluated: 4, satisfied: 1, determining: 1 });
    expect(by['admin-deletes']).toMatchObject({ evaluated: 0, satisfied: 0, determining: 0 });
    expect(coverage.summary).toEqual({
      policies: 4,
      evaluated: 3,
      satisfied: 3,
      determining: 3,
      conditionOutcomes: 8,
      conditionOutcomesCovered: 7,
    });
    const text = formatCoverage(coverage);
    expect(text).toContain(
      'admin-deletes (permit): evaluated 0, satisfied 0, determining 0  ← never evaluated',
    );
    expect(text).toContain('unless #2 resource.private: true 0, false 1  ← never true');
  });

  it('reports a failing test with a readable diff and the near misses of the denial', () => {
    const file: PolicyTestFile = {
      ...photos,
      tests: [
        {
          name: 'eve views the beach',
          request: viewBeach('eve'),
          expect: { decision: 'allow', determining: ['friends-view'] },
        },
      ],
    };
    const [r] = runPolicyTests(file, { baseDir: FIXTURES }).results;
    expect(r?.passed).toBe(false);
    expect(r?.diff).toEqual([
      'decision: expected allow, got deny',
      'determining: expected [friends-view], got [] (missing friends-view)',
    ]);
    expect(r?.message).toContain('policy test "eve views the beach" failed:');
    expect(r?.message).toContain(
      'near miss owner-views: condition #1 was false: resource.owner == principal',
    );
    expect(r?.response?.decision).toBe('deny');
  });

  it('compares determining and errors as sets, and checks only what the test lists', () => {
    const file: PolicyTestFile = {
      policies: {
        text: '@id("b") permit(principal, action, resource); @id("a") permit(principal, action, resource);\n@id("bad") permit(principal, action, resource) when { principal.missing };',
      },
      tests: [
        {
          name: 'order does not matter',
          request: viewBeach('x'),
          expect: { decision: 'allow', determining: ['b', 'a'], errors: ['bad'] },
        },
        { name: 'decision only', request: viewBeach('x'), expect: { decision: 'allow' } },
        {
          name: 'an unexpected error',
          request: viewBeach('x'),
          expect: { decision: 'allow', errors: [] },
        },
      ],
    };
    const report = runPolicyTests(file);
    expect(report.results.map((r) => r.passed)).toEqual([true, true, false]);
    expect(report.results[2]?.diff).toEqual(['errors: expected [], got [bad] (unexpected bad)']);
    expect(report.results[2]?.message).toMatch(/error in bad: /);
    expect(report.coverage.policies.find((p) => p.id === 'bad')).toMatchObject({
      evaluated: 3,
      errors: 3,
      satisfied: 0,
    });
    expect(report.coverage.policies.find((p) => p.id === 'bad')?.conditions[0]).toMatchObject({
      true: 0,
      false: 0,
      errors: 3,
    });
  });

  it("a test's entities replace the file's entities with the same uid, for that test only", () => {
    const report = runPolicyTests(PHOTOS);
    // Test 4 locks the photo; the other tests see it unlocked (alice is allowed in test 1).
    expect(report.results[0]?.actual?.decision).toBe('allow');
    expect(report.results[3]?.actual?.decision).toBe('deny');
  });

  it('the policies option replaces the file policies (a set or Cedar text)', () => {
    const forbidAll = 'forbid(principal, action, resource);';
    const a = runPolicyTests(PHOTOS, { policies: forbidAll });
    expect(a.failed).toBe(4);
    expect(a.results[2]?.diff).toEqual([
      'determining: expected [], got [policy0] (unexpected policy0)',
    ]);
    expect(a.results[3]?.diff).toEqual([
      'determining: expected [locked], got [policy0] (missing locked; unexpected policy0)',
    ]);
    const b = runPolicyTests(PHOTOS, { policies: PolicySet.parse(PHOTOS_CEDAR) });
    expect(b.failed).toBe(0);
  });

  it("reads policies in Cedar's JSON policy format, inline or from a .json file", () => {
    const json = PolicySet.parse(PHOTOS_CEDAR).toJson();
    const inline = runPolicyTests({ ...photos, policies: { json } }, { baseDir: FIXTURES });
    expect(inline.failed).toBe(0);
    const jsonFile = join(dir, 'photos.policies.json');
    writeFileSync(jsonFile, JSON.stringify(json));
    const testFile = join(dir, 'photos-json.tests.json');
    writeFileSync(testFile, JSON.stringify({ ...photos, policies: './photos.policies.json' }));
    const fromFile = runPolicyTests(testFile);
    expect(fromFile.failed).toBe(0);
    expect(fromFile.coverage.policies.map((p) => p.id)).toEqual([
      'owner-views',
      'friends-view',
      'locked',
      'admin-deletes',
    ]);
  });

  it('covers template-linked policies under their link ids', () => {
    const set = PolicySet.parse(
      '@id("viewer") permit(principal == ?principal, action == Action::"view", resource);',
    ).link('viewer', 'alice-views', { '?principal': 'User::"alice"' });
    const report = runPolicyTests(
      {
        tests: [
          {
            name: 'alice',
            request: viewBeach('alice'),
            expect: { decision: 'allow', determining: ['alice-views'] },
          },
          { name: 'bob', request: viewBeach('bob'), expect: { decision: 'deny' } },
        ],
      },
      { policies: set },
    );
    expect(report.failed).toBe(0);
    expect(report.coverage.policies).toHaveLength(1);
    expect(report.coverage.policies[0]).toMatchObject({
      id: 'alice-views',
      evaluated: 1,
      determining: 1,
    });
  });

  it('formats a report with one line per test and the diff under failures', () => {
    const file: PolicyTestFile = {
      ...photos,
      tests: [
        { name: 'ok', request: viewBeach('alice'), expect: { decision: 'allow' } },
        { name: 'wrong', request: viewBeach('eve'), expect: { decision: 'allow' } },
      ],
    };
    const text = formatPolicyTestReport(runPolicyTests(file, { baseDir: FIXTURES }), {
      coverage: true,
    });
    expect(text).toContain('  ✓ ok');
    expect(text).toContain('  ✗ wrong\n    decision: expected allow, got deny');
    expect(text).toContain('1 passed, 1 failed');
    expect(text).toContain('coverage over 2 request(s)');
  });

  it('mergeCoverage adds up the counts of several runs over the same policies', () => {
    const a = runPolicyTests(PHOTOS).coverage;
    const merged = mergeCoverage([a, a]);
    expect(merged.requests).toBe(8);
    const owner = merged.policies.find((p) => p.id === 'owner-views');
    expect(owner).toMatchObject({ evaluated: 8, satisfied: 4, determining: 2 });
    expect(owner?.conditions[0]).toMatchObject({ true: 4, false: 4 });
    expect(merged.summary).toEqual(a.summary);
  });

  it('runs one case at a time and accumulates coverage', () => {
    const runner = new PolicyTestRunner(PHOTOS);
    expect(runner.cases).toHaveLength(4);
    expect(runner.run(2).passed).toBe(true);
    expect(runner.coverage().requests).toBe(1);
    expect(
      isPlinthError(
        errorOf(() => runner.run(9)),
        'E_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });
});

describe('test file errors (E_TEST_FILE with the JSON path)', () => {
  const ok = {
    name: 't',
    request: { principal: 'User::"a"', action: 'Action::"view"', resource: 'Photo::"p"' },
    expect: { decision: 'deny' },
  };

  it('names the path of the first defect', () => {
    expectTestFileError([], '$', /expected an object/);
    expectTestFileError({}, '$.tests', /is required/);
    expectTestFileError({ tests: {} }, '$.tests', /expected an array of tests/);
    expectTestFileError({ tests: [ok], extra: 1 }, '$.extra', /unknown key/);
    expectTestFileError(
      { tests: [ok, { ...ok, expected: {} }] },
      '$.tests[1].expected',
      /unknown key/,
    );
    expectTestFileError(
      { tests: [{ ...ok, expect: {} }] },
      '$.tests[0].expect.decision',
      /is required/,
    );
    expectTestFileError(
      { tests: [{ ...ok, expect: { decision: 'permit' } }] },
      '$.tests[0].expect.decision',
      /expected "allow" or "deny"/,
    );
    expectTestFileError(
      { tests: [{ ...ok, expect: { decision: 'deny', determining: 'p' } }] },
      '$.tests[0].expect.determining',
    );
    expectTestFileError(
      { tests: [{ ...ok, expect: { decision: 'deny', errors: ['a', 'a'] } }] },
      '$.tests[0].expect.errors[1]',
      /listed twice/,
    );
    expectTestFileError({ tests: [{ ...ok, name: ' ' }] }, '$.tests[0].name', /non-empty/);
    expectTestFileError({ tests: [ok, ok] }, '$.tests[1].name', /already used by \$\.tests\[0\]/);
    expectTestFileError(
      { tests: [{ ...ok, request: { ...ok.request, principal: 'alice' } }] },
      '$.tests[0].request.principal',
      /not an entity reference/,
    );
    expectTestFileError(
      { tests: [{ ...ok, request: { ...ok.request, resource: { type: 'Photo' } } }] },
      '$.tests[0].request.resource',
    );
    expectTestFileError(
      { tests: [{ ...ok, request: { ...ok.request, context: { n: 1.5 } } }] },
      '$.tests[0].request.context.n',
      /integer/,
    );
    expectTestFileError(
      { tests: [ok], entities: [{ id: 'x' }] },
      '$.entities[0].id',
      /unknown key/,
    );
    expectTestFileError(
      { tests: [{ ...ok, entities: [{ uid: 'nope' }] }] },
      '$.tests[0].entities[0].uid',
    );
    expectTestFileError({ tests: [ok], policies: 42 }, '$.policies');
  });

  it('reports entity data the store refuses (a cycle in parents) at the entities path', () => {
    const cycle = [
      { uid: 'G::"a"', parents: ['G::"b"'] },
      { uid: 'G::"b"', parents: ['G::"a"'] },
    ];
    expectTestFileError({ tests: [ok], entities: cycle }, '$.entities');
    expectTestFileError({ tests: [{ ...ok, entities: cycle }] }, '$.tests[0].entities');
  });

  it('reports unparseable JSON, an unreadable file, and missing policies', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "tests": [ }');
    let e = errorOf(() => new PolicyTestRunner(bad));
    expect(isPlinthError(e, 'E_TEST_FILE')).toBe(true);
    expect((e as Error).message).toContain(`${bad}: $: not valid JSON`);
    e = errorOf(() => new PolicyTestRunner(join(dir, 'missing.json')));
    expect(isPlinthError(e, 'E_TEST_FILE')).toBe(true);
    e = errorOf(() => new PolicyTestRunner({ tests: [ok] } as never));
    expect(isPlinthError(e, 'E_TEST_FILE')).toBe(true);
    expect((e as Error).message).toContain('no policies');
    const noPolicyFile = join(dir, 'no-policy-file.json');
    writeFileSync(noPolicyFile, JSON.stringify({ policies: './absent.cedar', tests: [ok] }));
    e = errorOf(() => new PolicyTestRunner(noPolicyFile));
    expect(isPlinthError(e, 'E_TEST_FILE')).toBe(true);
    expect((e as { details: { path: string } }).details.path).toBe('$.policies');
  });

  it('lets a policy syntax error through as E_PARSE with its location', () => {
    const e = errorOf(() =>
      runPolicyTests({ policies: { text: 'permit(principal' }, tests: [ok] } as never),
    );
    expect(isPlinthError(e, 'E_PARSE')).toBe(true);
  });

  it('parsePolicyTestFile accepts JSON text and returns the checked file', () => {
    const f = parsePolicyTestFile(JSON.stringify({ policies: { text: '' }, tests: [ok] }));
    expect(f.tests[0]?.expect.decision).toBe('deny');
    expect(f.policies).toEqual({ text: '' });
  });
});

describe('describePolicyTests (vitest)', () => {
  const runner = describePolicyTests(PHOTOS, { name: 'photos policy tests' });
  it('returned the runner whose cases it registered', () => {
    expect(runner.cases.map((c) => c.name)).toContain('eve is no friend');
  });
  describePolicyTests(
    {
      policies: { text: '@id("all") permit(principal, action, resource);' },
      tests: [
        {
          name: 'anyone',
          request: viewBeach('z'),
          expect: { decision: 'allow', determining: ['all'] },
        },
      ],
    },
    { requireCoverage: 'determining' },
  );
  it('refuses an unknown requireCoverage level', () => {
    const e = errorOf(() => describePolicyTests(PHOTOS, { requireCoverage: 'all' as never }));
    expect(isPlinthError(e, 'E_INVALID_OPTION')).toBe(true);
  });
});
