import { type Clock, systemClock } from '@plinth/core';
import { validationErrors } from '../errors.js';
import type { ValidationEvents } from '../events.js';
import {
  type CompiledQualityCheck,
  compileCheck,
  type QualityCheck,
  type QualityDimension,
} from './checks.js';

export type QualityStatus = 'pass' | 'warn' | 'fail';

export interface FailingRow {
  /** Position of the row in the input (0-based). */
  readonly index: number;
  readonly value: unknown;
  readonly reason: string;
  readonly row: unknown;
}

export interface CheckResult {
  readonly name: string;
  readonly kind: QualityCheck['kind'];
  readonly dimension: QualityDimension;
  /** Rows the check looked at (after `where`); 1 for dataset-level checks. */
  readonly evaluated: number;
  readonly passed: number;
  readonly failed: number;
  /** passed / evaluated (1 when nothing was evaluated). */
  readonly score: number;
  readonly status: QualityStatus;
  readonly mostly: number;
  readonly warnBelow: number;
  /** Up to `sampleFailures` failing rows, the first ones met. */
  readonly failures: readonly FailingRow[];
}

export interface DimensionResult {
  readonly score: number;
  readonly status: QualityStatus;
  readonly checks: number;
}

export interface QualityReport {
  readonly suite: string;
  readonly rows: number;
  readonly status: QualityStatus;
  /** Mean of the check scores. */
  readonly score: number;
  readonly dimensions: Partial<Record<QualityDimension, DimensionResult>>;
  readonly checks: readonly CheckResult[];
  readonly startedAt: number;
  readonly durationMs: number;
}

export interface QualitySuiteOptions {
  readonly name?: string;
  readonly checks: readonly QualityCheck[];
  /** Failing rows kept per check. @default 5 */
  readonly sampleFailures?: number;
  /** Timeliness and `now()` in expressions. @default systemClock */
  readonly clock?: Clock;
  /** Receives `quality:report` (a Validation instance, or any emitter). */
  readonly events?: {
    emit(name: 'quality:report', payload: ValidationEvents['quality:report']): unknown;
  };
  /** Called with each report (telemetry). */
  readonly onReport?: (report: QualityReport) => void;
}

const worst = (a: QualityStatus, b: QualityStatus): QualityStatus =>
  a === 'fail' || b === 'fail' ? 'fail' : a === 'warn' || b === 'warn' ? 'warn' : 'pass';

/**
 * A data-quality suite: every check runs in ONE pass over the rows (arrays, iterables or async
 * iterables — pulled one at a time, so a slow source is never buffered), with tolerance
 * (`mostly`), warn/fail thresholds, scores, sampled failing rows and a per-dimension summary.
 */
export class QualitySuite {
  readonly name: string;
  readonly #checks: readonly QualityCheck[];
  readonly #sample: number;
  readonly #clock: Clock;
  readonly #events: QualitySuiteOptions['events'];
  readonly #onReport: QualitySuiteOptions['onReport'];

  constructor(options: QualitySuiteOptions) {
    if (
      typeof options !== 'object' ||
      options === null ||
      !Array.isArray(options.checks) ||
      options.checks.length === 0
    ) {
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'QualitySuite needs { checks: [...] } with at least one check',
      );
    }
    this.name = options.name ?? 'quality';
    this.#checks = options.checks;
    this.#sample = options.sampleFailures ?? 5;
    if (!Number.isInteger(this.#sample) || this.#sample < 0)
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'sampleFailures must be a non-negative integer',
      );
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events;
    this.#onReport = options.onReport;
    this.#compile(); // validate every check now, at the boundary
  }

  #compile(): CompiledQualityCheck[] {
    const now = () => this.#clock.now();
    return this.#checks.map((c, i) => compileCheck(c, i, now));
  }

  /** Runs the suite over an array or iterable, synchronously. */
  runSync(rows: Iterable<Record<string, unknown>>): QualityReport {
    const run = this.#start();
    if (Array.isArray(rows))
      for (let i = 0; i < rows.length; i++) run.feed(rows[i] as Record<string, unknown>);
    else for (const r of rows) run.feed(r);
    return run.finish();
  }

  /** Runs the suite over an array, iterable or async iterable (streamed, one row at a time). */
  async run(
    rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
  ): Promise<QualityReport> {
    if (Symbol.asyncIterator in (rows as object)) {
      const run = this.#start();
      for await (const r of rows as AsyncIterable<Record<string, unknown>>) run.feed(r);
      return run.finish();
    }
    return this.runSync(rows as Iterable<Record<string, unknown>>);
  }

  #start(): { feed(row: Record<string, unknown>): void; finish(): QualityReport } {
    const checks = this.#compile();
    const n = checks.length;
    const evaluated = new Float64Array(n);
    const failed = new Float64Array(n);
    const samples: FailingRow[][] = checks.map(() => []);
    const max = this.#sample;
    const startedAt = this.#clock.now();
    const t0 = performance.now();
    let index = 0;
    const rowChecks = checks.map((c, i) => [i, c] as const).filter(([, c]) => c.row !== undefined);
    const datasetChecks = checks
      .map((c, i) => [i, c] as const)
      .filter(([, c]) => c.dataset !== undefined);
    const feed = (row: Record<string, unknown>) => {
      if (typeof row !== 'object' || row === null) row = {};
      for (let k = 0; k < rowChecks.length; k++) {
        const [i, c] = rowChecks[k] as (typeof rowChecks)[number];
        if (c.where !== undefined && !c.where(row)) continue;
        evaluated[i] = (evaluated[i] as number) + 1;
        const reason = (c.row as NonNullable<CompiledQualityCheck['row']>)(row);
        if (reason !== undefined) {
          failed[i] = (failed[i] as number) + 1;
          const s = samples[i] as FailingRow[];
          if (s.length < max) s.push({ index, value: c.value(row), reason, row });
        }
      }
      for (const [, c] of datasetChecks) c.dataset?.feed(row);
      index++;
    };
    const finish = (): QualityReport => {
      for (const [i, c] of datasetChecks) {
        evaluated[i] = 1;
        const reason = c.dataset?.result();
        if (reason !== undefined) {
          failed[i] = 1;
          (samples[i] as FailingRow[]).push({
            index: -1,
            value: undefined,
            reason,
            row: undefined,
          });
        }
      }
      const results: CheckResult[] = checks.map((c, i) => {
        const ev = evaluated[i] as number;
        const fl = failed[i] as number;
        const score = ev === 0 ? 1 : (ev - fl) / ev;
        const status: QualityStatus =
          score < c.mostly ? 'fail' : score < c.warnBelow ? 'warn' : 'pass';
        return {
          name: c.name,
          kind: c.kind,
          dimension: c.dimension,
          evaluated: ev,
          passed: ev - fl,
          failed: fl,
          score,
          status,
          mostly: c.mostly,
          warnBelow: c.warnBelow,
          failures: samples[i] as FailingRow[],
        };
      });
      const dimensions: Partial<Record<QualityDimension, DimensionResult>> = {};
      for (const r of results) {
        const d = dimensions[r.dimension];
        dimensions[r.dimension] =
          d === undefined
            ? { score: r.score, status: r.status, checks: 1 }
            : { score: d.score + r.score, status: worst(d.status, r.status), checks: d.checks + 1 };
      }
      for (const [k, d] of Object.entries(dimensions))
        dimensions[k as QualityDimension] = { ...d, score: d.score / d.checks };
      const status = results.reduce<QualityStatus>((s, r) => worst(s, r.status), 'pass');
      const score = results.reduce((s, r) => s + r.score, 0) / results.length;
      const report: QualityReport = {
        suite: this.name,
        rows: index,
        status,
        score,
        dimensions,
        checks: results,
        startedAt,
        durationMs: performance.now() - t0,
      };
      this.#onReport?.(report);
      this.#events?.emit('quality:report', { suite: this.name, status, score, rows: index });
      return report;
    };
    return { feed, finish };
  }
}
