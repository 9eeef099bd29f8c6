import { mannWhitneyU } from '../internal/mann-whitney.js';
import type { CanaryGate, GateContext, GateVerdict } from '../types.js';

function samples(value: number | readonly number[] | undefined): number[] {
  if (value === undefined) return [];
  const list = typeof value === 'number' ? [value] : [...value];
  return list.filter((x) => Number.isFinite(x)); // NaN strategy: remove
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Kayenta-style canary judgement: each metric's canary samples are compared with the baseline's
 * by a Mann-Whitney U test; a significant change in the bad direction beyond `allowedChange`
 * (relative change of the mean) marks the metric High/Low (bad). The score is the weighted
 * share of good metrics: at least `pass` passes, at least `marginal` is inconclusive, lower
 * fails; a bad critical metric fails the judgement whatever the score.
 */
export async function runCanary(gate: CanaryGate, ctx: GateContext): Promise<GateVerdict> {
  const thresholds = gate.thresholds ?? { pass: 95, marginal: 75 };
  let total = 0;
  let good = 0;
  let criticalFailure = false;
  const messages: string[] = [];
  const data: Record<string, unknown> = {};
  for (const m of gate.metrics) {
    const weight = m.weight ?? 1;
    const dry = m.dryRun === true;
    if (!dry) total += weight;
    const [c, b] = await Promise.all([
      gate.source({ metric: m.name, query: m.query, sample: 'canary', context: ctx }),
      gate.source({ metric: m.name, query: m.query, sample: 'baseline', context: ctx }),
    ]);
    const canary = samples(c);
    const baseline = samples(b);
    if (canary.length === 0 || baseline.length === 0) {
      data[m.name] = { classification: 'nodata' };
      messages.push(`${dry ? 'dry run: ' : ''}metric "${m.name}" has no data`);
      if (m.critical === true && !dry) criticalFailure = true;
      continue;
    }
    const test = mannWhitneyU(canary, baseline);
    const mc = mean(canary);
    const mb = mean(baseline);
    const change = mb === 0 ? (mc === 0 ? 0 : Infinity * Math.sign(mc)) : (mc - mb) / Math.abs(mb);
    const significant = test.p < (m.alpha ?? 0.05) && Math.abs(change) > (m.allowedChange ?? 0);
    const classification = !significant ? 'pass' : test.z > 0 ? 'high' : 'low';
    const direction = m.direction ?? 'increase';
    const bad =
      (classification === 'high' && direction !== 'decrease') ||
      (classification === 'low' && direction !== 'increase');
    data[m.name] = {
      classification,
      bad,
      p: test.p,
      u: test.u,
      canaryMean: mc,
      baselineMean: mb,
      ...(dry && { dryRun: true }),
    };
    if (dry) {
      if (bad)
        messages.push(
          `dry run: metric "${m.name}" is ${classification} (p=${test.p.toPrecision(3)})`,
        );
    } else if (bad) {
      messages.push(
        `metric "${m.name}" is ${classification} (p=${test.p.toPrecision(3)}, mean ${mb.toPrecision(4)} → ${mc.toPrecision(4)})`,
      );
      if (m.critical === true) criticalFailure = true;
    } else good += weight;
  }
  const score = total === 0 ? 100 : (100 * good) / total;
  messages.unshift(
    `canary score ${score.toFixed(1)} (pass ≥ ${thresholds.pass}, marginal ≥ ${thresholds.marginal})`,
  );
  const status = criticalFailure
    ? 'failed'
    : score >= thresholds.pass
      ? 'passed'
      : score >= thresholds.marginal
        ? gate.onInconclusive === 'pass'
          ? 'passed'
          : 'inconclusive'
        : 'failed';
  return { status, messages, data: { score, metrics: data } };
}
