/**
 * Policy test files as vitest tests: one `describe` per file, one `it` per test case, and
 * optionally one coverage check after them.
 */
import { afterAll, describe, it } from 'vitest';
import { policyErrors } from '../errors.js';
import {
  formatCoverage,
  PolicyTestRunner,
  type PolicyTestFile,
  type PolicyTestOptions,
} from '../policy-tests.js';

export interface DescribePolicyTestsOptions extends PolicyTestOptions {
  /** Name of the `describe` block. @default the file's path, or "policy tests" */
  readonly name?: string;
  /**
   * Adds a last test that fails unless every policy reached this level at least once:
   * `'evaluated'` (its scope matched), `'satisfied'` or `'determining'` (over all the file's
   * tests, whichever a filter selected). @default none
   */
  readonly requireCoverage?: 'evaluated' | 'satisfied' | 'determining';
  /** Called once all the file's tests ran, with the runner (to read or print its coverage). */
  readonly onComplete?: (runner: PolicyTestRunner) => void;
}

/**
 * Registers a policy test file with vitest: one `it` per test, named after it, that fails with
 * the test's diff. The file is read and checked when the suite is collected, so a malformed file
 * fails the whole test file with its `E_TEST_FILE` error.
 *
 * ```ts
 * import { describePolicyTests } from '@plinth/policy/testing';
 * describePolicyTests(new URL('./photos.policy-tests.json', import.meta.url).pathname, {
 *   requireCoverage: 'determining',
 * });
 * ```
 */
export function describePolicyTests(
  file: string | PolicyTestFile,
  options: DescribePolicyTestsOptions = {},
): PolicyTestRunner {
  const { name, requireCoverage, onComplete, ...runnerOptions } = options;
  if (
    requireCoverage !== undefined &&
    requireCoverage !== 'evaluated' &&
    requireCoverage !== 'satisfied' &&
    requireCoverage !== 'determining'
  ) {
    throw policyErrors.create(
      'E_INVALID_OPTION',
      'requireCoverage must be "evaluated", "satisfied" or "determining"',
      { details: { option: 'requireCoverage' } },
    );
  }
  const runner = new PolicyTestRunner(file, runnerOptions);
  describe(name ?? runner.source ?? 'policy tests', () => {
    runner.cases.forEach((tc, i) => {
      it(tc.name, () => {
        const r = runner.run(i);
        if (!r.passed) throw new Error(r.message);
      });
    });
    if (requireCoverage !== undefined) {
      it(`every policy is ${requireCoverage} at least once`, () => {
        // A fresh run of every case: the check holds whichever tests a filter selected.
        const coverage = new PolicyTestRunner(file, runnerOptions).runAll().coverage;
        const missing = coverage.policies.filter((p) => p[requireCoverage] === 0).map((p) => p.id);
        if (missing.length > 0) {
          throw new Error(
            `never ${requireCoverage}: ${missing.join(', ')}\n${formatCoverage(coverage)}`,
          );
        }
      });
    }
    if (onComplete !== undefined) afterAll(() => onComplete(runner));
  });
  return runner;
}
