import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@plinth/source'] },
  ssr: { resolve: { conditions: ['@plinth/source'] } },
  test: {
    name: 'core',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
