import { Validation } from '@plinth/validation';
import type { SchemaEngine } from '../schema-engine.js';

/** The schema engine used when the host passes none: a fresh `Validation` instance. */
export function defaultEngine(): SchemaEngine {
  return new Validation() as unknown as SchemaEngine;
}
