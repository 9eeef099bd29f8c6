/**
 * `@plinth/registry/testing`: the conformance suite every blob store passes, as framework-agnostic
 * cases (`{ name, run }`) a test file turns into tests.
 */
export { blobStoreConformance } from './blob-store-suite.js';
export type { BlobStoreSuiteOptions, ConformanceCase } from './blob-store-suite.js';
