import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Runs examples/readme.ts — the README's usage example, verbatim — in a temporary directory.
describe('README example', () => {
  const cwd = process.cwd();
  let dir: string | undefined;
  afterEach(async () => {
    process.chdir(cwd);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('runs as written and prints the auto-bumped version and the fetched model', async () => {
    const readme = await readFile(join(__dirname, '../README.md'), 'utf8');
    const example = await readFile(join(__dirname, '../examples/readme.ts'), 'utf8');
    expect(readme).toContain(example.trim());
    dir = await mkdtemp(join(tmpdir(), 'plinth-readme-'));
    process.chdir(dir);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import('../examples/readme.js');
    expect(log.mock.calls[0]).toEqual(['1.1.0', 'minor']);
    expect(log.mock.calls[1]?.[2]).toBe(3);
    log.mockRestore();
  }, 60_000);
});
