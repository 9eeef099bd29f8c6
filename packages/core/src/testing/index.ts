/**
 * `@plinth/core/testing`: helpers Plinth's own test suites share (and hosts may use): gating
 * integration tests on the real services CI provides, and the hostile-input property check every
 * package runs over its public API (needs `fast-check`).
 */
export { serviceUrl, describeWithService } from './services.js';
export type { ServiceVariable } from './services.js';
export { checkHostileCalls, hostileValues, nested } from './hostile-input.js';
export type { HostileCall, HostileCallsOptions } from './hostile-input.js';
