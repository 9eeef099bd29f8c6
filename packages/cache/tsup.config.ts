import { defineLibConfig } from '../../scripts/tsup.base.js';

export default defineLibConfig(
  {
    index: 'src/index.ts',
    'adapters/redis': 'src/adapters/redis.ts',
    'adapters/storage': 'src/adapters/storage.ts',
    'testing/index': 'src/testing/index.ts',
    'replay/cli': 'src/replay/cli.ts',
  },
  {
    external: ['ioredis', '@plinth/storage', '@opentelemetry/api', 'vitest'],
    splitting: true,
  },
);
