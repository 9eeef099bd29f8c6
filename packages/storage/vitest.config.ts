import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@plinth/source'] },
  ssr: { resolve: { conditions: ['@plinth/source'] } },
  test: {
    name: 'storage',
    include: ['test/**/*.test.ts'],
    // The integration and multi-process tests share 2 CPU cores with every other package's.
    testTimeout: 30_000,
  },
});
