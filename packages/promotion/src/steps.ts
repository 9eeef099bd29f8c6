import { withTimeout, type Clock, systemClock } from '@plinth/core';
import { promotionErrors } from './errors.js';
import type { HandlerContext, PromotionHandler } from './types.js';

/** Outcome of one step, as later steps and the promotion record see it. */
export interface StepResult {
  readonly status: 'succeeded' | 'failed' | 'skipped';
  readonly outputs?: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly attempts: number;
}

export interface StepContext extends HandlerContext {
  /** Results of the steps before this one, by alias. */
  readonly steps: Readonly<Record<string, StepResult>>;
}

/** One step of a promotion process (Kargo's promotion steps, as functions). */
export interface PromotionStep {
  /** Alias under which later steps see the result. */
  readonly as: string;
  readonly run: (context: StepContext) => Promise<Readonly<Record<string, unknown>> | void>;
  /**
   * Runs the step only when this holds. `failed` says whether an earlier step failed (with
   * `continueOnError`). @default runs unless an earlier step failed
   */
  readonly if?: (context: StepContext, failed: boolean) => boolean;
  /** A failure of this step does not stop the process. @default false */
  readonly continueOnError?: boolean;
  /** Extra attempts after a throw or timeout. @default 0 */
  readonly retries?: number;
  /** Per attempt. @default 60000 */
  readonly timeoutMs?: number;
}

/**
 * Composes steps into one promotion (or rollback) handler: steps run in order, each sees the
 * outputs of the earlier ones, `if` conditions and `continueOnError` decide what runs after a
 * failure, and each step has its own retries and timeout. The handler's recorded outputs are
 * `{ steps: { <alias>: StepResult } }`; it throws (failing the promotion, or retrying it under
 * the handler policy) when a step without `continueOnError` fails.
 */
export function promotionSteps(
  steps: readonly PromotionStep[],
  options: { clock?: Clock } = {},
): PromotionHandler {
  const aliases = new Set<string>();
  for (const s of steps) {
    if (typeof s?.as !== 'string' || s.as.length === 0 || typeof s.run !== 'function') {
      throw promotionErrors.create(
        'E_INVALID_ARGUMENT',
        'every step needs an alias (as) and a run function',
      );
    }
    if (aliases.has(s.as)) {
      throw promotionErrors.create('E_INVALID_ARGUMENT', `step alias "${s.as}" is used twice`, {
        details: { step: s.as },
      });
    }
    aliases.add(s.as);
  }
  const clock = options.clock ?? systemClock;
  return async (ctx) => {
    const results: Record<string, StepResult> = {};
    let failed = false;
    let fatal: string | undefined;
    for (const step of steps) {
      const sctx: StepContext = { ...ctx, steps: { ...results } };
      const runIt = step.if !== undefined ? step.if(sctx, failed) : !failed;
      if (!runIt || fatal !== undefined) {
        results[step.as] = { status: 'skipped', attempts: 0 };
        continue;
      }
      const retries = step.retries ?? 0;
      let error = '';
      let done: StepResult | undefined;
      for (let attempt = 1; attempt <= retries + 1 && done === undefined; attempt++) {
        try {
          const out = await withTimeout(
            Promise.resolve().then(() => step.run(sctx)),
            step.timeoutMs ?? 60_000,
            { clock, operation: `step "${step.as}"`, signal: ctx.signal },
          );
          done = {
            status: 'succeeded',
            attempts: attempt,
            ...(out !== undefined && { outputs: out }),
          };
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
          if (ctx.signal.aborted) break;
        }
      }
      if (done === undefined) {
        done = { status: 'failed', attempts: retries + 1, error };
        failed = true;
        if (step.continueOnError !== true) fatal = `step "${step.as}" failed: ${error}`;
      }
      results[step.as] = done;
    }
    if (fatal !== undefined) {
      throw Object.assign(new Error(fatal), { steps: results });
    }
    return { steps: results };
  };
}
