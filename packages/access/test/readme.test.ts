import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.tmp');
const file = join(dir, `readme-${process.pid}.ts`);

afterAll(() => rmSync(file, { force: true }));

it('the README example runs as written and prints what its comments say', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, (code as string).replace("from '@plinth/access'", "from '../src/index.js'"));
  const lines: unknown[][] = [];
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...args: unknown[]) => void lines.push(args));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    log.mockRestore();
  }
  expect(lines).toEqual([[true], [['salary']], ['scope'], [true]]);
});
