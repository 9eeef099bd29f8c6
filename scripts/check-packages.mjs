#!/usr/bin/env node
// Checks every published package as it would be packed: publint (strict) for the package.json
// and files, and @arethetypeswrong/cli for the types each resolution mode sees. Run after build.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkgsDir = join(root, 'packages');
let failed = 0;
for (const name of readdirSync(pkgsDir).sort()) {
  const dir = join(pkgsDir, name);
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  if (pkg.private) continue;
  if (!existsSync(join(dir, 'dist'))) {
    console.error(`✗ ${pkg.name}: no dist/ (run pnpm build first)`);
    failed++;
    continue;
  }
  for (const [cmd, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'node16', '--format', 'ascii']],
  ]) {
    try {
      execFileSync('pnpm', ['exec', cmd, ...args], { cwd: dir, stdio: 'pipe' });
      console.log(`✓ ${pkg.name}: ${cmd}`);
    } catch (error) {
      failed++;
      console.error(`✗ ${pkg.name}: ${cmd}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
// Both builds load and export the same names (a dual package that drifts breaks CJS users).
// For core, an error thrown by one copy is recognised by the other's isPlinthError.
for (const name of readdirSync(pkgsDir).sort()) {
  const dir = join(pkgsDir, name);
  if (!existsSync(join(dir, 'dist', 'index.cjs'))) continue;
  const cjs = createRequire(join(dir, 'package.json'))(join(dir, 'dist', 'index.cjs'));
  const esm = await import(pathToFileURL(join(dir, 'dist', 'index.js')).href);
  const a = Object.keys(cjs).sort().join(',');
  const b = Object.keys(esm).sort().join(',');
  if (a !== b) {
    failed++;
    console.error(`✗ ${name}: CJS and ESM builds export different names\n  cjs: ${a}\n  esm: ${b}`);
  } else {
    console.log(`✓ ${name}: CJS and ESM builds export the same ${Object.keys(esm).length} names`);
  }
  if (name === 'core') {
    const fromCjs = cjs.coreErrors.create('E_CLOSED', 'probe');
    if (fromCjs instanceof esm.PlinthError || !esm.isPlinthError(fromCjs, 'E_CLOSED')) {
      failed++;
      console.error('✗ core: isPlinthError does not recognise an error from the other build');
    } else {
      console.log('✓ core: errors are recognised across the CJS and ESM copies');
    }
  }
}

if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
