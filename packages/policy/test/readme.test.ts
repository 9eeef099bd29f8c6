import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.tmp');

afterAll(() => rmSync(join(dir, `readme-${process.pid}.ts`), { force: true }));

it('the README example runs as written and prints what its comments say', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-${process.pid}.ts`);
  writeFileSync(file, (code as string).replace("from '@plinth/policy'", "from '../src/index.js'"));
  const lines: unknown[][] = [];
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...args: unknown[]) => void lines.push(args));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    log.mockRestore();
  }
  expect(lines).toEqual([
    [{ decision: 'allow', determining: ['members-read'], errors: [] }],
    [
      [
        {
          policyId: 'members-read',
          effect: 'permit',
          failed: 'condition',
          condition: 0,
          text: 'resource.public || resource.owner == principal',
        },
      ],
    ],
    [[true, false, 'ada']],
    [true],
  ]);
});
