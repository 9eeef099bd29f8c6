#!/usr/bin/env node
// Creates packages/<name> with the house layout (STYLE.md): src/{index,types,errors,events,options}.ts,
// test/, bench/, README.md, package.json (dual ESM/CJS exports with the @plinth/source condition),
// tsconfig.json, tsconfig.build.json, tsup.config.ts and vitest.config.ts.
//
//   pnpm new-package <name> "<one-line description>"
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [name, description = `Plinth ${process.argv[2]} package`] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: pnpm new-package <kebab-case-name> "<description>"');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'packages', name);
if (existsSync(dir)) {
  console.error(`packages/${name} already exists`);
  process.exit(2);
}
const pascal = name.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase());
const pkg = `@plinth/${name}`;

const files = {
  'package.json':
    JSON.stringify(
      {
        name: pkg,
        version: '0.0.0',
        description,
        license: 'MIT',
        type: 'module',
        sideEffects: false,
        engines: { node: '>=20.19' },
        repository: {
          type: 'git',
          url: 'git+https://github.com/plinth-dev/plinth.git',
          directory: `packages/${name}`,
        },
        files: ['dist', 'src'],
        main: './dist/index.cjs',
        module: './dist/index.js',
        types: './dist/index.d.cts',
        exports: {
          '.': {
            '@plinth/source': './src/index.ts',
            import: { types: './dist/index.d.ts', default: './dist/index.js' },
            require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
          },
          './internal/*': null,
          './package.json': './package.json',
        },
        scripts: { build: 'tsup', typecheck: 'tsc -p tsconfig.json' },
        dependencies: { '@plinth/core': 'workspace:^' },
        publishConfig: { access: 'public' },
      },
      null,
      2,
    ) + '\n',
  'tsconfig.json': `{\n  "extends": "../../tsconfig.base.json",\n  "include": ["src", "test", "bench", "*.ts"]\n}\n`,
  'tsconfig.build.json': `{\n  "extends": "../../tsconfig.base.json",\n  "compilerOptions": {\n    "customConditions": [],\n    "noEmit": false\n  },\n  "include": ["src"]\n}\n`,
  'tsup.config.ts': `import { defineLibConfig } from '../../scripts/tsup.base.js';\n\nexport default defineLibConfig({ index: 'src/index.ts' });\n`,
  'vitest.config.ts': `import { defineProject } from 'vitest/config';\n\nexport default defineProject({\n  resolve: { conditions: ['@plinth/source'] },\n  ssr: { resolve: { conditions: ['@plinth/source'] } },\n  test: {\n    name: '${name}',\n    include: ['test/**/*.test.ts'],\n  },\n});\n`,
  'src/index.ts': `export { ${name.replace(/-/g, '')}Errors, ERROR_CODES } from './errors.js';\nexport type { ${pascal}Events } from './events.js';\nexport { DEFAULT_${name.toUpperCase().replace(/-/g, '_')}_OPTIONS } from './options.js';\nexport type { ${pascal}Options } from './types.js';\n`,
  'src/types.ts': `import type { Clock, Logger } from '@plinth/core';\n\n/** Options of the package's main class. */\nexport interface ${pascal}Options {\n  /** Time source. @default systemClock */\n  clock?: Clock;\n  /** Where the package logs. @default noopLogger */\n  logger?: Logger;\n}\n`,
  'src/errors.ts': `import { defineErrors } from '@plinth/core';\n\n/** ${pkg}'s error catalogue. */\nexport const ${name.replace(/-/g, '')}Errors = defineErrors('${pkg}', {\n  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },\n});\n\nexport const ERROR_CODES = ${name.replace(/-/g, '')}Errors.codes;\n`,
  'src/events.ts': `/** Events of ${pkg}: \`namespace:verb\`, one payload object, emitted after commit. */\nexport interface ${pascal}Events {\n  '${name}:ready': { readonly at: number };\n}\n`,
  'src/options.ts': `import { noopLogger, systemClock } from '@plinth/core';\n\n/** Defaults for {@link ${pascal}Options}. */\nexport const DEFAULT_${name.toUpperCase().replace(/-/g, '_')}_OPTIONS = Object.freeze({\n  clock: systemClock,\n  logger: noopLogger,\n});\n`,
  'test/errors.test.ts': `import { describe, expect, it } from 'vitest';\nimport { isPlinthError } from '@plinth/core';\nimport { ${name.replace(/-/g, '')}Errors } from '../src/index.js';\n\ndescribe('error catalogue', () => {\n  it('creates errors prefixed with the package name', () => {\n    const e = ${name.replace(/-/g, '')}Errors.create('E_INVALID_ARGUMENT', 'bad');\n    expect(isPlinthError(e, 'E_INVALID_ARGUMENT')).toBe(true);\n    expect(e.message).toBe('[${pkg}] bad');\n  });\n});\n`,
  'bench/.gitkeep': '',
  'README.md': `# ${pkg}\n\n${description}\n\n## Install\n\n\`\`\`sh\nnpm install ${pkg}\n\`\`\`\n\n## Usage\n\n## Options\n\n| option | default | meaning |\n| --- | --- | --- |\n\n## Events\n\n## Errors\n\n## Adapters and guarantees\n\n## Benchmarks\n\n## License\n\nMIT\n`,
};

for (const [rel, content] of Object.entries(files)) {
  const file = join(dir, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
console.log(
  `created packages/${name} (${pkg}); next: pnpm install, then add it to the README table`,
);
