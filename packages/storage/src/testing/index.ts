/**
 * `@plinth/storage/testing`: the conformance suites every storage adapter must pass.
 *
 * - {@link runAdapterSuite} drives an adapter's primitive operations directly.
 * - {@link runStorageConformanceSuite} drives the same adapter through the public `Store`.
 *
 * Both need vitest and fast-check (optional peer dependencies of this subpath).
 */
export { runAdapterSuite } from './adapter-suite.js';
export type { AdapterSuiteOptions } from './adapter-suite.js';
export { runStorageConformanceSuite } from './store-suite.js';
export type { RestoreTarget, StorageSuiteFixture, StorageSuiteOptions } from './store-suite.js';
