#!/usr/bin/env node
/**
 * `plinth-cache-replay`: hit rate of each eviction policy at several sizes, on a generated Zipf
 * trace or on a file of keys (one per line). From the workspace:
 *
 *   node --conditions=@plinth/source --import tsx packages/cache/src/replay/cli.ts zipf --keys 100000 --length 1000000 --sizes 100,1000,10000
 *   node packages/cache/dist/replay/cli.js file ./keys.txt --sizes 1000,10000
 */
import { readFileSync, realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EVICTION_POLICIES, type EvictionPolicyName } from '../l1/policy.js';
import { formatReplayTable, replayTrace } from './replay.js';
import { zipfTrace } from './zipf.js';

const USAGE = `usage:
  plinth-cache-replay zipf [--keys N] [--length N] [--exponent S] [--seed N] [--sizes a,b,c] [--policies lru,w-tinylfu] [--warmup N] [--json]
  plinth-cache-replay file <path> [--sizes a,b,c] [--policies …] [--warmup N] [--json]`;

function ints(v: string | undefined, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  return v.split(',').map((x) => Number(x.trim()));
}

/** Runs the CLI with `argv` (without node and script); returns the text to print. */
export function runReplayCli(argv: readonly string[]): string {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      keys: { type: 'string' },
      length: { type: 'string' },
      exponent: { type: 'string' },
      seed: { type: 'string' },
      sizes: { type: 'string' },
      policies: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [mode, path] = positionals;
  if (
    values.help === true ||
    (mode !== 'zipf' && mode !== 'file') ||
    (mode === 'file' && path === undefined)
  )
    return USAGE;
  const policies = (values.policies?.split(',').map((p) => p.trim()) ??
    EVICTION_POLICIES) as EvictionPolicyName[];
  let trace: string[];
  let sizes: number[];
  if (mode === 'zipf') {
    const keys = Number(values.keys ?? 100_000);
    trace = zipfTrace({
      keys,
      length: Number(values.length ?? 1_000_000),
      exponent: Number(values.exponent ?? 0.9),
      seed: Number(values.seed ?? 1),
    });
    sizes = ints(
      values.sizes,
      [keys / 1000, keys / 100, keys / 10].map((s) => Math.max(1, Math.round(s))),
    );
  } else {
    trace = readFileSync(path as string, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const distinct = new Set(trace).size;
    sizes = ints(
      values.sizes,
      [distinct / 1000, distinct / 100, distinct / 10].map((s) => Math.max(1, Math.round(s))),
    );
  }
  const results = replayTrace(trace, {
    policies,
    sizes,
    warmup: Number(values.warmup ?? Math.floor(trace.length / 10)),
  });
  return values.json === true ? JSON.stringify(results, null, 2) : formatReplayTable(results);
}

/** True when this file is the program (also through the `plinth-cache-replay` bin symlink). */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  let real = script;
  try {
    real = realpathSync(script);
  } catch {
    // not a file path: keep it as given
  }
  return /replay[\\/]cli\.[cm]?[jt]s$/.test(real);
}

if (invokedDirectly()) {
  try {
    process.stdout.write(`${runReplayCli(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 1;
  }
}
