import { withTimeout, type Clock } from '@plinth/core';
import { DEFAULT_GATE_POLICY } from '../options.js';
import type {
  ArtifactRef,
  CompatibilityChecker,
  GateContext,
  GateDefinition,
  GateRecord,
  GateVerdict,
} from '../types.js';
import { runAnalysis } from './analysis.js';
import { runCanary } from './canary.js';

export interface GateEnv {
  readonly clock: Clock;
  /** Aborts every gate when the engine closes. */
  readonly stop?: AbortSignal;
  readonly compatibility: CompatibilityChecker | undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function compatibility(
  check: CompatibilityChecker | undefined,
  ctx: GateContext,
): Promise<GateVerdict> {
  if (check === undefined) {
    return {
      status: 'failed',
      messages: ['no compatibility checker is configured (engine option "compatibility")'],
    };
  }
  const held = new Map<string, ArtifactRef>();
  for (const r of ctx.current) for (const a of r.artifacts) held.set(a.name, a);
  const messages: string[] = [];
  let ok = true;
  for (const a of ctx.release.artifacts) {
    const current = held.get(a.name);
    const result = await check(a, current);
    if (!result.compatible) {
      ok = false;
      const why = result.messages?.length ? `: ${result.messages.join('; ')}` : '';
      messages.push(
        `${a.name}@${a.version} is incompatible with ${current ? `${current.name}@${current.version}` : 'nothing'}${why}`,
      );
    }
  }
  return { status: ok ? 'passed' : 'failed', messages };
}

async function evaluate(
  gate: GateDefinition,
  ctx: GateContext,
  env: GateEnv,
): Promise<GateVerdict> {
  switch (gate.kind) {
    case 'compatibility':
      return compatibility(gate.check ?? env.compatibility, ctx);
    case 'health': {
      const r = await gate.check(ctx);
      const healthy = typeof r === 'boolean' ? r : r.healthy;
      const message = typeof r === 'boolean' ? undefined : r.message;
      return {
        status: healthy ? 'passed' : 'failed',
        messages:
          message !== undefined ? [message] : healthy ? [] : ['health check reported unhealthy'],
      };
    }
    case 'analysis':
      return runAnalysis(gate, ctx, env.clock);
    case 'canary':
      return runCanary(gate, ctx);
    case 'custom': {
      const r = await gate.run(ctx);
      if (typeof r === 'boolean')
        return { status: r ? 'passed' : 'failed', messages: r ? [] : ['gate returned false'] };
      if (
        r === null ||
        typeof r !== 'object' ||
        !['passed', 'failed', 'inconclusive'].includes(r.status)
      ) {
        return { status: 'failed', messages: ['gate returned neither a boolean nor a verdict'] };
      }
      return r;
    }
  }
}

/** JSON-safe copy of gate data (functions and cycles dropped). */
function safeData(data: unknown): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(data)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Runs one gate with its timeout and retries. A throw or a timeout is retried; a clean
 * `failed`/`inconclusive` verdict is not. Never throws: errors become a failed record.
 */
export async function runGate(
  gate: GateDefinition,
  base: Omit<GateContext, 'attempt' | 'signal'>,
  env: GateEnv,
): Promise<GateRecord> {
  const name = gate.name ?? gate.kind;
  const timeoutMs = gate.timeoutMs ?? DEFAULT_GATE_POLICY.timeoutMs;
  const retries = gate.retries ?? DEFAULT_GATE_POLICY.retries;
  const retryDelayMs = gate.retryDelayMs ?? DEFAULT_GATE_POLICY.retryDelayMs;
  const startedAt = env.clock.now();
  let lastError = '';
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (env.stop?.aborted) break;
    if (attempt > 1 && retryDelayMs > 0)
      await env.clock.sleep(retryDelayMs, env.stop).catch(() => undefined);
    const controller = new AbortController();
    try {
      const verdict = await withTimeout(
        Promise.resolve().then(() =>
          evaluate(gate, { ...base, attempt, signal: controller.signal }, env),
        ),
        timeoutMs,
        {
          clock: env.clock,
          operation: `gate "${name}"`,
          ...(env.stop !== undefined && { signal: env.stop }),
        },
      );
      const data = safeData(verdict.data);
      return {
        name,
        kind: gate.kind,
        status: verdict.status,
        messages: [...(verdict.messages ?? [])],
        attempts: attempt,
        startedAt,
        finishedAt: env.clock.now(),
        ...(data !== undefined && { data }),
      };
    } catch (error) {
      controller.abort(error);
      lastError = errorText(error);
    }
  }
  return {
    name,
    kind: gate.kind,
    status: 'failed',
    messages: [`gate "${name}" errored after ${retries + 1} attempt(s): ${lastError}`],
    attempts: retries + 1,
    startedAt,
    finishedAt: env.clock.now(),
  };
}
