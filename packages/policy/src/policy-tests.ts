/**
 * Policy tests: a JSON file of requests with the entities they need and the expected decision,
 * determining policies and errors; a runner that checks each case, explains a failure as a
 * readable diff (with the near misses of an unexpected denial), and measures coverage — which
 * policies were evaluated, satisfied or determining, and which value each condition took.
 *
 * The file format is {@link PolicyTestFile} (JSON Schema: {@link POLICY_TEST_FILE_SCHEMA}).
 * From vitest, use `describePolicyTests` of `@plinth/policy/testing`; from a shell,
 * `plinth-policy test`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Authorizer, type AuthorizerPolicies } from './authorizer.js';
import { EntityStore } from './entities.js';
import { policyErrors } from './errors.js';
import { PolicySet } from './policy-set.js';
import type { AuthorizationResponse, Decision, EntityJson } from './types.js';
import { uidFromRef } from './internal/json-values.js';
import {
  CoverageCollector,
  formatCoverage,
  mergeCoverage,
  type PolicyCoverage,
} from './internal/policy-coverage.js';
import {
  parsePolicyTestFile,
  testFileError,
  type PolicyTestCase,
  type PolicyTestFile,
  type PolicyTestPolicies,
} from './internal/policy-test-file.js';

export { parsePolicyTestFile, POLICY_TEST_FILE_SCHEMA } from './internal/policy-test-file.js';
export type {
  PolicyTestCase,
  PolicyTestExpectation,
  PolicyTestFile,
  PolicyTestPolicies,
} from './internal/policy-test-file.js';
export { formatCoverage, mergeCoverage } from './internal/policy-coverage.js';
export type {
  ConditionCoverage,
  PolicyCoverage,
  PolicyCoverageEntry,
} from './internal/policy-coverage.js';

export interface PolicyTestOptions {
  /**
   * The policies to test: a policy set, or Cedar text. Replaces the file's `policies`.
   * @default the file's `policies`
   */
  readonly policies?: AuthorizerPolicies | string;
  /**
   * Directory that relative paths in the file are resolved against.
   * @default the test file's directory, or the working directory for a file given as an object
   */
  readonly baseDir?: string;
}

/** The part of the response a test compares. */
export interface PolicyTestActual {
  readonly decision: Decision;
  readonly determining: readonly string[];
  /** Ids of the policies whose evaluation errored. */
  readonly errors: readonly string[];
}

/** The outcome of one test. */
export interface PolicyTestResult {
  readonly name: string;
  /** Position in the file's `tests`. */
  readonly index: number;
  readonly passed: boolean;
  readonly expected: PolicyTestCase['expect'];
  /** Undefined when the request could not be evaluated (see `error`). */
  readonly actual?: PolicyTestActual;
  /** The full response (with error messages and near misses). */
  readonly response?: AuthorizationResponse;
  /** Why the request could not be evaluated (a request the authorizer refused). */
  readonly error?: string;
  /** One line per difference (`decision: expected allow, got deny`); empty when passed. */
  readonly diff: readonly string[];
  /** The failure as a paragraph (name, diff, near misses, error messages); empty when passed. */
  readonly message: string;
}

/** The outcome of a test file. */
export interface PolicyTestReport {
  /** The file's path, when it was read from disk. */
  readonly file?: string;
  readonly results: readonly PolicyTestResult[];
  readonly passed: number;
  readonly failed: number;
  readonly coverage: PolicyCoverage;
}

function readText(path: string, what: string, source: string | undefined): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw testFileError(source, '$.policies', `cannot read the ${what} ${path}`, e);
  }
}

function loadPolicies(
  spec: PolicyTestPolicies | undefined,
  option: AuthorizerPolicies | string | undefined,
  baseDir: string,
  source: string | undefined,
): AuthorizerPolicies {
  if (typeof option === 'string') return PolicySet.parse(option);
  if (option !== undefined) return option;
  if (spec === undefined) {
    throw testFileError(
      source,
      '$.policies',
      'no policies: give "policies" in the file or the policies option',
    );
  }
  if (typeof spec === 'string') {
    const path = resolve(baseDir, spec);
    const text = readText(path, 'policy file', source);
    return /\.json$/i.test(path) ? PolicySet.fromJson(text) : PolicySet.parse(text);
  }
  return 'text' in spec
    ? PolicySet.parse(spec.text)
    : PolicySet.fromJson(spec.json as Parameters<typeof PolicySet.fromJson>[0]);
}

function entityKey(e: EntityJson): string {
  return uidFromRef(e.uid, 'E_INVALID_ENTITY').key;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function list(ids: readonly string[]): string {
  return `[${[...ids].sort().join(', ')}]`;
}

function idsDiff(what: string, expected: readonly string[], actual: readonly string[]): string {
  const missing = expected.filter((x) => !actual.includes(x));
  const extra = actual.filter((x) => !expected.includes(x));
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length > 0) parts.push(`unexpected ${extra.join(', ')}`);
  return `${what}: expected ${list(expected)}, got ${list(actual)} (${parts.join('; ')})`;
}

/**
 * Runs the tests of one file, one at a time or all at once, recording coverage. Loading the
 * file (and its policies and entities) happens in the constructor, which throws `E_TEST_FILE`
 * for a malformed file and the parser's `E_PARSE` for malformed policies.
 */
export class PolicyTestRunner {
  readonly file: PolicyTestFile;
  /** The file's path, when it was read from disk. */
  readonly source: string | undefined;
  readonly policies: AuthorizerPolicies;
  readonly #authorizer: Authorizer;
  readonly #base: EntityStore;
  readonly #stores = new Map<number, EntityStore>();
  readonly #coverage: CoverageCollector;

  /** `file` is a path to a JSON test file, or the parsed (or checked) file as an object. */
  constructor(file: string | PolicyTestFile, options: PolicyTestOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw policyErrors.create('E_INVALID_OPTION', 'PolicyTestRunner options must be an object');
    }
    let baseDir = options.baseDir ?? process.cwd();
    if (typeof file === 'string') {
      const path = resolve(file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw testFileError(file, '$', 'cannot read the test file', e);
      }
      this.source = file;
      this.file = parsePolicyTestFile(text, file);
      baseDir = options.baseDir ?? dirname(path);
    } else {
      this.source = undefined;
      this.file = parsePolicyTestFile(file);
    }
    this.policies = loadPolicies(this.file.policies, options.policies, baseDir, this.source);
    this.#authorizer = new Authorizer({ policies: this.policies, explain: true });
    this.#base = this.#store(this.file.entities ?? [], '$.entities');
    // Every test's store is built now, so bad entity data is a load error, not a failed test.
    this.file.tests.forEach((tc, i) => this.#storeFor(i, tc));
    this.#coverage = new CoverageCollector(this.policies.policies());
  }

  /** The file's tests. */
  get cases(): readonly PolicyTestCase[] {
    return this.file.tests;
  }

  #store(entities: readonly EntityJson[], path: string): EntityStore {
    try {
      return EntityStore.fromJson(entities);
    } catch (e) {
      const entity = (e as { details?: { entity?: unknown } }).details?.entity;
      const msg = e instanceof Error ? e.message.replace(/^\[[^\]]+\] /, '') : String(e);
      throw testFileError(
        this.source,
        path,
        typeof entity === 'string' ? `${entity}: ${msg}` : msg,
        e,
      );
    }
  }

  #storeFor(index: number, tc: PolicyTestCase): EntityStore {
    if (tc.entities === undefined || tc.entities.length === 0) return this.#base;
    let store = this.#stores.get(index);
    if (store === undefined) {
      const merged = new Map<string, EntityJson>();
      for (const e of this.file.entities ?? []) merged.set(entityKey(e), e);
      for (const e of tc.entities) merged.set(entityKey(e), e);
      store = this.#store([...merged.values()], `$.tests[${index}].entities`);
      this.#stores.set(index, store);
    }
    return store;
  }

  /** Runs test `index` (recording its coverage). */
  run(index: number): PolicyTestResult {
    const tc = this.file.tests[index];
    if (tc === undefined) {
      throw policyErrors.create('E_INVALID_ARGUMENT', `no test at index ${index}`, {
        details: { index },
      });
    }
    const store = this.#storeFor(index, tc);
    const expected = tc.expect;
    let response: AuthorizationResponse;
    try {
      response = this.#authorizer.isAuthorized(tc.request, store);
      this.#coverage.record(this.#authorizer.trace(tc.request, store), response);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const diff = [`request: not evaluated (${error})`];
      return {
        name: tc.name,
        index,
        passed: false,
        expected,
        error,
        diff,
        message: message(tc.name, diff, undefined),
      };
    }
    const actual: PolicyTestActual = {
      decision: response.decision,
      determining: response.determining,
      errors: response.errors.map((x) => x.policyId),
    };
    const diff: string[] = [];
    if (actual.decision !== expected.decision) {
      diff.push(`decision: expected ${expected.decision}, got ${actual.decision}`);
    }
    if (expected.determining !== undefined && !sameIds(expected.determining, actual.determining)) {
      diff.push(idsDiff('determining', expected.determining, actual.determining));
    }
    if (expected.errors !== undefined && !sameIds(expected.errors, actual.errors)) {
      diff.push(idsDiff('errors', expected.errors, actual.errors));
    }
    const passed = diff.length === 0;
    return {
      name: tc.name,
      index,
      passed,
      expected,
      actual,
      response,
      diff,
      message: passed ? '' : message(tc.name, diff, response),
    };
  }

  /** Runs every test, in file order. */
  runAll(): PolicyTestReport {
    const results = this.file.tests.map((_, i) => this.run(i));
    const failed = results.filter((r) => !r.passed).length;
    const out: PolicyTestReport = {
      results,
      passed: results.length - failed,
      failed,
      coverage: this.coverage(),
    };
    return this.source === undefined ? out : { file: this.source, ...out };
  }

  /** Coverage of the tests run so far. */
  coverage(): PolicyCoverage {
    return this.#coverage.report();
  }
}

function message(
  name: string,
  diff: readonly string[],
  response: AuthorizationResponse | undefined,
): string {
  const lines = [`policy test "${name}" failed:`, ...diff.map((d) => `  ${d}`)];
  if (response !== undefined) {
    for (const e of response.errors) lines.push(`  error in ${e.policyId}: ${e.message}`);
    for (const m of response.nearMisses ?? []) {
      const what =
        m.failed === 'condition' ? `condition #${(m.condition ?? 0) + 1}` : `${m.failed} scope`;
      lines.push(`  near miss ${m.policyId}: ${what} was false: ${m.text}`);
    }
  }
  return lines.join('\n');
}

/**
 * Runs a policy test file (a path, or the file as an object) and returns the result of every
 * test and the coverage. Throws `E_TEST_FILE` for a malformed file; failing tests do not throw.
 */
export function runPolicyTests(
  file: string | PolicyTestFile,
  options: PolicyTestOptions = {},
): PolicyTestReport {
  return new PolicyTestRunner(file, options).runAll();
}

/** A report as text: one line per test (failures with their diff), then the totals. */
export function formatPolicyTestReport(
  report: PolicyTestReport,
  options: { readonly coverage?: boolean } = {},
): string {
  const lines: string[] = [];
  if (report.file !== undefined) lines.push(report.file);
  for (const r of report.results) {
    if (r.passed) lines.push(`  ✓ ${r.name}`);
    else {
      lines.push(`  ✗ ${r.name}`);
      for (const l of r.message.split('\n').slice(1)) lines.push(`  ${l}`);
    }
  }
  lines.push(`  ${report.passed} passed, ${report.failed} failed`);
  if (options.coverage === true) lines.push(formatCoverage(report.coverage));
  return lines.join('\n');
}

/** Coverage of several reports (test files run against the same policies) as one. */
export function coverageOf(reports: readonly PolicyTestReport[]): PolicyCoverage {
  return mergeCoverage(reports.map((r) => r.coverage));
}
