import { defineLibConfig } from '../../scripts/tsup.base.js';

export default defineLibConfig(
  {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    cli: 'src/cli.ts',
  },
  // One copy of each class across the entries (instanceof checks hold between them).
  { external: ['vitest', '@plinth/storage'], splitting: true },
);
