import type { MeterLike } from '../types.js';

type Attrs = Record<string, string | number | boolean>;

/** The engine's OTel instruments (no-ops without a meter). */
export class Telemetry {
  #transitions: { add(v: number, a?: Attrs): void } | undefined;
  #completed: { add(v: number, a?: Attrs): void } | undefined;
  #rollbacks: { add(v: number, a?: Attrs): void } | undefined;
  #duration: { record(v: number, a?: Attrs): void } | undefined;
  #gateDuration: { record(v: number, a?: Attrs): void } | undefined;

  use(meter: MeterLike | undefined): void {
    if (meter === undefined) return;
    this.#transitions = meter.createCounter('plinth.promotion.transitions', {
      description: 'State transitions of promotions',
    });
    this.#completed = meter.createCounter('plinth.promotion.completed', {
      description: 'Promotions that reached a final state, by outcome',
    });
    this.#rollbacks = meter.createCounter('plinth.promotion.rollbacks', {
      description: 'Rollbacks, automatic and on demand',
    });
    this.#duration = meter.createHistogram('plinth.promotion.duration', {
      description: 'Time from request to final state',
      unit: 'ms',
    });
    this.#gateDuration = meter.createHistogram('plinth.promotion.gate.duration', {
      description: 'Time a gate took',
      unit: 'ms',
    });
  }

  transition(pipeline: string, stage: string, to: string): void {
    this.#transitions?.add(1, { pipeline, stage, state: to });
  }

  completed(pipeline: string, stage: string, outcome: string, durationMs: number): void {
    this.#completed?.add(1, { pipeline, stage, outcome });
    this.#duration?.record(durationMs, { pipeline, stage, outcome });
  }

  rollback(pipeline: string, stage: string, automatic: boolean): void {
    this.#rollbacks?.add(1, { pipeline, stage, automatic });
  }

  gate(pipeline: string, stage: string, gate: string, status: string, durationMs: number): void {
    this.#gateDuration?.record(durationMs, { pipeline, stage, gate, status });
  }
}

/** `metrics.getMeter('@plinth/promotion')` when @opentelemetry/api is installed. */
export async function defaultMeter(): Promise<MeterLike | undefined> {
  try {
    const api = (await import('@opentelemetry/api')) as unknown as {
      metrics: { getMeter(name: string): MeterLike };
    };
    return api.metrics.getMeter('@plinth/promotion');
  } catch {
    return undefined;
  }
}
