/**
 * `@plinth/cache/testing`: the conformance suite every L2 adapter must pass (needs vitest), and
 * the in-memory doubles tests build on.
 */
export { runL2ConformanceSuite } from './l2-suite.js';
export type { L2SuiteFixture, L2SuiteOptions } from './l2-suite.js';
export { memoryL2 } from '../l2/memory.js';
export { memoryBusHub } from '../bus/memory.js';
