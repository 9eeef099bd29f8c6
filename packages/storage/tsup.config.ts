import { defineLibConfig } from '../../scripts/tsup.base.js';

export default defineLibConfig(
  {
    index: 'src/index.ts',
    'adapters/memory': 'src/adapters/memory.ts',
    'adapters/sqlite': 'src/adapters/sqlite.ts',
    'adapters/postgres': 'src/adapters/postgres.ts',
    'testing/index': 'src/testing/index.ts',
  },
  { external: ['better-sqlite3', 'pg', 'vitest', 'fast-check'], splitting: true },
);
