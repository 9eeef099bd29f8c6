import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const generated = fileURLToPath(new URL('./readme-example.generated.ts', import.meta.url));
afterEach(() => rmSync(generated, { force: true }));

describe('README', () => {
  it('runs the usage example as written and prints what its comments say', async () => {
    const usage = readme.slice(readme.indexOf('## Usage'));
    const code = /```ts\n([\s\S]*?)```/.exec(usage)?.[1];
    expect(code).toBeDefined();
    // The example imports the published names; here they resolve to this package's sources.
    writeFileSync(
      generated,
      (code as string)
        .replace(/'@plinth\/storage\/adapters\/sqlite'/g, "'../src/adapters/sqlite.js'")
        .replace(/'@plinth\/storage'/g, "'../src/index.js'"),
    );
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
    try {
      await import(/* @vite-ignore */ `${generated}?t=${Date.now()}`);
    } finally {
      log.mockRestore();
    }
    expect(printed).toEqual([
      'alan',
      JSON.stringify(['ada']),
      JSON.stringify(['put ada', 'put ada', 'put alan', 'put session:alan']),
    ]);
  });
});
