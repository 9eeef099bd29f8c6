export { PromotionEngine } from './engine.js';
export { promotionSteps } from './steps.js';
export type { PromotionStep, StepContext, StepResult } from './steps.js';
export type { SimulationInput, SimulationReport, SimulatedStage } from './simulate.js';
export { promotionErrors, ERROR_CODES } from './errors.js';
export type { PromotionErrorCode } from './errors.js';
export type { PromotionEvents, PromotionEventBase } from './events.js';
export {
  DEFAULT_PROMOTION_OPTIONS,
  DEFAULT_HANDLER_POLICY,
  DEFAULT_GATE_POLICY,
} from './options.js';
export { satisfies } from './internal/semver.js';
export { mannWhitneyU } from './internal/mann-whitney.js';
export type { MannWhitneyResult } from './internal/mann-whitney.js';
export type * from './types.js';
