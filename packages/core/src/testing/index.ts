/**
 * `@plinth/core/testing`: helpers Plinth's own test suites share (and hosts may use): gating
 * integration tests on the real services CI provides.
 */
export { serviceUrl, describeWithService } from './services.js';
export type { ServiceVariable } from './services.js';
