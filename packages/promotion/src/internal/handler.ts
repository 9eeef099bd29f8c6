import { withTimeout, type Clock } from '@plinth/core';
import { DEFAULT_HANDLER_POLICY } from '../options.js';
import type { HandlerContext, HandlerPolicy, PromotionHandler } from '../types.js';

export interface HandlerOutcome {
  readonly ok: boolean;
  readonly attempts: number;
  readonly outputs?: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

function jsonSafe(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return { unserialisable: true };
  }
}

/**
 * Runs a host handler with its timeout and retries. A handler that throws or hangs becomes a
 * recorded failure; this never throws.
 */
export async function runHandler(
  handler: PromotionHandler | undefined,
  base: Omit<HandlerContext, 'attempt' | 'signal'>,
  policy: HandlerPolicy,
  clock: Clock,
  stop?: AbortSignal,
): Promise<HandlerOutcome> {
  if (handler === undefined) return { ok: true, attempts: 0 };
  const timeoutMs = policy.timeoutMs ?? DEFAULT_HANDLER_POLICY.timeoutMs;
  const retries = policy.retries ?? DEFAULT_HANDLER_POLICY.retries;
  const retryDelayMs = policy.retryDelayMs ?? DEFAULT_HANDLER_POLICY.retryDelayMs;
  let error = '';
  let partial: Readonly<Record<string, unknown>> | undefined;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (stop?.aborted) return { ok: false, attempts: attempt - 1, error: 'engine closed' };
    if (attempt > 1 && retryDelayMs > 0) {
      await clock.sleep(retryDelayMs * 2 ** (attempt - 2), stop).catch(() => undefined);
      if (stop?.aborted) return { ok: false, attempts: attempt - 1, error: 'engine closed' };
    }
    const controller = new AbortController();
    try {
      const out = await withTimeout(
        Promise.resolve().then(() => handler({ ...base, attempt, signal: controller.signal })),
        timeoutMs,
        {
          clock,
          operation: `${base.kind} handler for stage "${base.stage}"`,
          ...(stop !== undefined && { signal: stop }),
        },
      );
      const outputs = jsonSafe(out);
      return { ok: true, attempts: attempt, ...(outputs !== undefined && { outputs }) };
    } catch (e) {
      controller.abort(e);
      error = e instanceof Error ? e.message : String(e);
      // promotionSteps() attaches the step results to its error: keep them on the record.
      const steps = (e as { steps?: unknown } | null)?.steps;
      if (steps !== undefined) partial = jsonSafe({ steps });
    }
  }
  return {
    ok: false,
    attempts: retries + 1,
    error,
    ...(partial !== undefined && { outputs: partial }),
  };
}
