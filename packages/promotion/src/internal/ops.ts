import type {
  PromotionAction,
  PromotionResource,
  Principal,
  Promotion,
  Release,
  StageView,
} from '../types.js';
import type { EngineCore } from './core.js';
import type { Driver } from './driver.js';
import type { Unit } from './unit.js';

/** What the engine's operation modules (requests, decisions, stage flags) get from the engine. */
export interface Ops {
  readonly core: EngineCore;
  readonly driver: Driver;
  /** Throws unless the engine is open (names the operation). */
  ready(operation: string): void;
  /** Runs a unit of work and publishes it (events, follow-up work) after commit. */
  unit<T>(fn: (u: Unit) => Promise<T>): Promise<T>;
  authorize(
    principal: Principal,
    action: PromotionAction,
    resource: PromotionResource,
  ): Promise<void>;
  mustRelease(id: string): Promise<Release>;
  getPromotion(id: string): Promise<Promotion | undefined>;
  stage(pipeline: string, stage: string): Promise<StageView>;
}
