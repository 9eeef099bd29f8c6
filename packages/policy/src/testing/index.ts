/**
 * `@plinth/policy/testing`: policy test files as vitest tests (needs vitest, an optional peer).
 * The runner itself (`runPolicyTests`, `PolicyTestRunner`) is framework-agnostic and lives in the
 * main entry.
 */
export { describePolicyTests } from './describe-policy-tests.js';
export type { DescribePolicyTestsOptions } from './describe-policy-tests.js';
