import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@plinth/source'] },
  ssr: { resolve: { conditions: ['@plinth/source'] } },
  test: {
    name: 'access',
    include: ['test/**/*.test.ts'],
  },
});
