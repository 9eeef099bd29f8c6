import type { AnalysisGate, GateContext, GateVerdict } from '../types.js';
import type { Clock } from '@plinth/core';

/** The measured values a metric source returned: one number, or the last of a list. */
function scalar(value: number | readonly number[] | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value) && value.length > 0) {
    const last = value[value.length - 1] as number;
    return Number.isFinite(last) ? last : undefined;
  }
  return undefined;
}

/**
 * Argo Rollouts-style analysis: each metric is measured `count` times; a measurement is a
 * failure when `failureCondition` holds, a success when `successCondition` holds (or when only a
 * failure condition is given and it does not hold), inconclusive otherwise or without data. More
 * failures than `failureLimit` fail the gate; more inconclusives than `inconclusiveLimit` make it
 * inconclusive.
 */
export async function runAnalysis(
  gate: AnalysisGate,
  ctx: GateContext,
  clock: Clock,
): Promise<GateVerdict> {
  const messages: string[] = [];
  const data: Record<string, unknown> = {};
  let failed = false;
  let inconclusive = false;
  for (const m of gate.metrics) {
    const count = m.count ?? 1;
    let failures = 0;
    let inconclusives = 0;
    const values: Array<number | null> = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && (m.intervalMs ?? 0) > 0) await clock.sleep(m.intervalMs as number, ctx.signal);
      const raw = await gate.source({
        metric: m.name,
        query: m.query,
        sample: 'current',
        context: ctx,
      });
      const value = scalar(raw);
      values.push(value ?? null);
      if (value === undefined) inconclusives++;
      else if (m.failureCondition?.(value) === true) failures++;
      else if (
        m.successCondition !== undefined
          ? m.successCondition(value)
          : m.failureCondition !== undefined
      ) {
        // success
      } else inconclusives++;
    }
    data[m.name] = { values, failures, inconclusives, ...(m.dryRun === true && { dryRun: true }) };
    if (m.dryRun === true) {
      if (failures > 0 || inconclusives > 0) {
        messages.push(
          `dry run: metric "${m.name}" had ${failures} failed and ${inconclusives} inconclusive measurements`,
        );
      }
    } else if (failures > (m.failureLimit ?? 0)) {
      failed = true;
      messages.push(
        `metric "${m.name}" failed ${failures} of ${count} measurements (limit ${m.failureLimit ?? 0})`,
      );
    } else if (inconclusives > (m.inconclusiveLimit ?? 0)) {
      inconclusive = true;
      messages.push(
        `metric "${m.name}" was inconclusive ${inconclusives} of ${count} times (limit ${m.inconclusiveLimit ?? 0})`,
      );
    }
  }
  const status = failed
    ? 'failed'
    : inconclusive
      ? gate.onInconclusive === 'pass'
        ? 'passed'
        : 'inconclusive'
      : 'passed';
  return { status, messages, data };
}
