import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

/**
 * The benchmark harness. A suite pits a Plinth operation ("ours") against the anchor libraries
 * that do the same job, in ONE process, on the SAME data, and reports ops/s and the ratio
 * ours/anchor. A ratio above 1 means Plinth is faster.
 *
 * Sub-microsecond operations are timed in batches (`batch` calls per sample) so the timer's
 * resolution does not swamp them; reported ops/s are per single operation.
 */

export interface Contender {
  readonly name: string;
  /** Runs the operation `batch` times (the harness passes the batch size). */
  readonly fn: (batch: number) => unknown;
}

export interface BenchCase {
  readonly name: string;
  /** Operations per timed call. @default 1 */
  readonly batch?: number;
  readonly ours: Contender;
  readonly anchors: readonly Contender[];
  /**
   * The target this case must meet: ours / the first anchor at least `minRatio`, and/or ours at
   * least `minOpsPerSec`. A miss is printed as such (never hidden); it does not fail the run.
   */
  readonly target?: { readonly minRatio?: number; readonly minOpsPerSec?: number };
  /**
   * Runs once before timing and throws if the contenders do not do the same job on the data
   * (same output, same count…). A benchmark that compares different work is worse than none.
   */
  readonly verify?: () => void | Promise<void>;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Builds the cases (and their data); may allocate or open resources. */
  readonly cases: () => BenchCase[] | Promise<BenchCase[]>;
  /**
   * Figures that are not a throughput race (latencies, hit rates, propagation delays): measured
   * after the cases, printed in their own table with their target.
   */
  readonly measurements?: (settings: RunSettings) => Measurement[] | Promise<Measurement[]>;
  /** Releases what `cases` opened. */
  readonly teardown?: () => void | Promise<void>;
}

export interface Measurement {
  readonly name: string;
  readonly value: number;
  /** `µs`, `ms`, `%`, `ops/s`, … */
  readonly unit: string;
  /** What the value is checked against; a miss is printed, never hidden. */
  readonly target?: { readonly min?: number; readonly max?: number };
  /** One line of context (sizes, the anchor's figure). */
  readonly note?: string;
}

export function defineSuite(suite: Suite): Suite {
  return suite;
}

export interface RunSettings {
  /** Tiny iterations: proves the suite runs, measures nothing. */
  readonly smoke: boolean;
  /** Time budget per contender, ms. */
  readonly timeMs: number;
  /** Warm-up budget per contender, ms. */
  readonly warmupMs: number;
}

export interface ContenderResult {
  readonly name: string;
  readonly opsPerSec: number;
  /** Relative margin of error, percent. */
  readonly rme: number;
  readonly samples: number;
}

export interface CaseResult {
  readonly case: string;
  readonly target?: BenchCase['target'];
  /** Whether the target was met (`undefined` when there is none). */
  readonly met?: boolean;
  readonly ours: ContenderResult;
  readonly anchors: ReadonlyArray<ContenderResult & { readonly ratio: number }>;
}

export interface SuiteResult {
  readonly suite: string;
  readonly description: string;
  readonly smoke: boolean;
  readonly date: string;
  readonly environment: { node: string; platform: string; cpu: string; cores: number };
  readonly cases: readonly CaseResult[];
  readonly measurements: ReadonlyArray<Measurement & { readonly met?: boolean }>;
}

async function measure(
  contender: Contender,
  batch: number,
  settings: RunSettings,
): Promise<ContenderResult> {
  const bench = new Bench(
    settings.smoke
      ? { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 }
      : { time: settings.timeMs, warmupTime: settings.warmupMs, iterations: 10 },
  );
  bench.add(contender.name, () => contender.fn(batch));
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (result === undefined || result.state === 'errored') {
    const cause = result?.state === 'errored' ? result.error : undefined;
    throw new Error(`benchmark "${contender.name}" failed`, { cause });
  }
  if (result.state !== 'completed') {
    throw new Error(`benchmark "${contender.name}" did not complete (${result.state})`);
  }
  return {
    name: contender.name,
    opsPerSec: result.throughput.mean * batch,
    rme: result.throughput.rme,
    samples: result.throughput.samplesCount,
  };
}

export async function runSuite(suite: Suite, settings: RunSettings): Promise<SuiteResult> {
  const cases = await suite.cases();
  const results: CaseResult[] = [];
  const measurements: Array<Measurement & { met?: boolean }> = [];
  try {
    for (const c of cases) {
      await c.verify?.();
      const batch = settings.smoke ? 1 : (c.batch ?? 1);
      // Alternate ours and anchors in two rounds and keep the better round of each, so neither
      // side always runs on a colder or hotter machine.
      const rounds = settings.smoke ? 1 : 2;
      let ours: ContenderResult | undefined;
      const anchors = new Map<string, ContenderResult>();
      for (let r = 0; r < rounds; r++) {
        const o = await measure(c.ours, batch, settings);
        if (ours === undefined || o.opsPerSec > ours.opsPerSec) ours = o;
        for (const a of c.anchors) {
          const m = await measure(a, batch, settings);
          const prev = anchors.get(a.name);
          if (prev === undefined || m.opsPerSec > prev.opsPerSec) anchors.set(a.name, m);
        }
      }
      const o = ours as ContenderResult;
      const rows = c.anchors.map((a) => {
        const m = anchors.get(a.name) as ContenderResult;
        return { ...m, ratio: o.opsPerSec / m.opsPerSec };
      });
      const t = c.target;
      const row: CaseResult = { case: c.name, ours: o, anchors: rows };
      results.push(
        t === undefined
          ? row
          : {
              ...row,
              target: t,
              met:
                (t.minRatio === undefined || (rows[0]?.ratio ?? 0) >= t.minRatio) &&
                (t.minOpsPerSec === undefined || o.opsPerSec >= t.minOpsPerSec),
            },
      );
    }
    const raw = (await suite.measurements?.(settings)) ?? [];
    for (const m of raw) {
      const met =
        m.target === undefined
          ? undefined
          : (m.target.min === undefined || m.value >= m.target.min) &&
            (m.target.max === undefined || m.value <= m.target.max);
      measurements.push(met === undefined ? m : { ...m, met });
    }
  } finally {
    await suite.teardown?.();
  }
  const cpu = cpus();
  return {
    suite: suite.name,
    description: suite.description,
    smoke: settings.smoke,
    date: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
    },
    cases: results,
    measurements,
  };
}

function fmtOps(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(1);
}

function fmtValue(n: number): string {
  if (Math.abs(n) >= 1e6) return fmtOps(n);
  if (Number.isInteger(n)) return String(n);
  return n.toPrecision(4);
}

function fmtTarget(c: CaseResult): string {
  if (c.target === undefined) return '';
  const parts: string[] = [];
  if (c.target.minRatio !== undefined) parts.push(`≥ ${c.target.minRatio}×`);
  if (c.target.minOpsPerSec !== undefined) parts.push(`≥ ${fmtOps(c.target.minOpsPerSec)} ops/s`);
  return `${parts.join(', ')}${c.met === true ? ' ✓' : ' **MISSED**'}`;
}

/** The markdown table: one row per contender, ratio ours/anchor on the anchor rows. */
export function toMarkdown(result: SuiteResult): string {
  const lines = [
    `# Benchmark: ${result.suite}`,
    '',
    result.description,
    '',
    `${result.smoke ? '**Smoke run (tiny iterations): figures are meaningless.** ' : ''}` +
      `Node ${result.environment.node}, ${result.environment.platform}, ` +
      `${result.environment.cpu} × ${result.environment.cores}, ${result.date}.`,
    '',
  ];
  if (result.cases.length > 0) {
    lines.push(
      '| case | implementation | ops/s | ± | ours / anchor | target |',
      '| --- | --- | ---: | ---: | ---: | --- |',
    );
  }
  for (const c of result.cases) {
    lines.push(
      `| ${c.case} | **Plinth: ${c.ours.name}** | ${fmtOps(c.ours.opsPerSec)} | ${c.ours.rme.toFixed(1)}% | | ${fmtTarget(c)} |`,
    );
    for (const a of c.anchors) {
      lines.push(
        `| | ${a.name} | ${fmtOps(a.opsPerSec)} | ${a.rme.toFixed(1)}% | **${a.ratio.toFixed(2)}×** | |`,
      );
    }
  }
  if (result.measurements.length > 0) {
    lines.push('', '| measurement | value | target | note |', '| --- | ---: | --- | --- |');
    for (const m of result.measurements) {
      const bounds = [
        m.target?.min === undefined ? '' : `≥ ${m.target.min} ${m.unit}`,
        m.target?.max === undefined ? '' : `≤ ${m.target.max} ${m.unit}`,
      ]
        .filter(Boolean)
        .join(', ');
      const verdict = m.met === undefined ? '' : m.met ? ' ✓' : ' **MISSED**';
      lines.push(
        `| ${m.name} | ${fmtValue(m.value)} ${m.unit} | ${bounds}${verdict} | ${m.note ?? ''} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

const resultsRoot = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Writes `results/<suite>.json` and `.md` (smoke runs go to `results/smoke/`, untracked). */
export function writeResults(result: SuiteResult): { json: string; md: string } {
  const dir = result.smoke ? join(resultsRoot, 'smoke') : resultsRoot;
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${result.suite}.json`);
  const md = join(dir, `${result.suite}.md`);
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(md, toMarkdown(result));
  return { json, md };
}
