import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Suite } from '../src/harness.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The suite files: every `suites/<name>.ts` but this index. */
export function suiteNames(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

/**
 * Loads `suites/<name>.ts`, whose default export is the suite. Suites are discovered, not listed,
 * so adding one is adding one file.
 */
export async function loadSuite(name: string): Promise<Suite> {
  const mod = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as { default?: Suite };
  if (mod.default === undefined) throw new Error(`suites/${name}.ts has no default export`);
  return mod.default;
}
