import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('the usage example runs as written and prints what the README says', async () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const code = /## Usage[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const expected = /Output:\s*```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const file = `${root}readme-example.tmp.ts`;
    writeFileSync(file, code as string);
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--conditions=@plinth/source', '--import', 'tsx', file],
        { cwd: root },
      );
      expect(stdout).toBe(expected);
    } finally {
      rmSync(file, { force: true });
    }
  }, 30_000);
});
