import { runSuite, toMarkdown, writeResults, type RunSettings } from './harness.js';
import { loadSuite, suiteNames } from '../suites/index.js';

/**
 * `pnpm bench [suite …] [--smoke] [--time=<ms>]`
 *
 * With no suite names, runs every suite. `--smoke` (or PLINTH_BENCH_SMOKE=1) runs each
 * contender a couple of times only: CI uses it to prove the suites run, not to time them.
 */
function parse(argv: string[]): { names: string[]; settings: RunSettings } {
  const names: string[] = [];
  let smoke = process.env.PLINTH_BENCH_SMOKE === '1';
  let timeMs = 1000;
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--smoke') smoke = true;
    else if (arg.startsWith('--time=')) timeMs = Number(arg.slice('--time='.length));
    else if (arg.startsWith('-')) throw new Error(`unknown flag ${arg}`);
    else names.push(arg);
  }
  if (!Number.isFinite(timeMs) || timeMs <= 0) throw new Error('--time must be a positive number');
  return { names, settings: { smoke, timeMs, warmupMs: Math.min(500, timeMs / 2) } };
}

async function main(): Promise<void> {
  const { names, settings } = parse(process.argv.slice(2));
  const available = suiteNames();
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  }
  const selected = names.length > 0 ? names : available;
  for (const name of selected) {
    const suite = await loadSuite(name);
    console.log(`\n▶ ${name}${settings.smoke ? ' (smoke)' : ''}`);
    const result = await runSuite(suite, settings);
    console.log(toMarkdown(result));
    const files = writeResults(result);
    console.log(`results: ${files.json}, ${files.md}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
