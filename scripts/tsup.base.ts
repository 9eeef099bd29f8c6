import { defineConfig, type Options } from 'tsup';

/**
 * The one build configuration every published package uses: ESM + CJS, declarations for both,
 * source maps, Node 20 target. `entry` lists the package's public entry points (the barrel and
 * one per adapter/subpath), matching its `exports` map.
 */
export function defineLibConfig(entry: Record<string, string>, extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    tsconfig: 'tsconfig.build.json',
    ...extra,
  });
}
