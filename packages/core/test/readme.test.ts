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
    writeFileSync(generated, (code as string).replace(/'@plinth\/core'/g, "'../src/index.js'"));
    const printed: unknown[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(...args);
    });
    try {
      await import(/* @vite-ignore */ `${generated}?t=${Date.now()}`);
    } finally {
      log.mockRestore();
    }
    expect(printed).toEqual(['maxDepth', false, 'bidi']);
  });

  it('lists every limit of DEFAULT_LIMITS with its default', async () => {
    const { DEFAULT_LIMITS } = await import('../src/index.js');
    for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
      const row = new RegExp(`\\| \`${name}\`\\s+\\| \`([0-9_]+)\``).exec(readme);
      expect(row, name).not.toBeNull();
      expect(Number((row?.[1] as string).replace(/_/g, '')), name).toBe(value);
    }
  });
});
