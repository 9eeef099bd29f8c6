import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@plinth/source'] },
  ssr: { resolve: { conditions: ['@plinth/source'] } },
  test: {
    name: 'access',
    include: ['test/**/*.test.ts'],
    // cedar-wasm (the oracle of authorize()) can abort V8 on Node 20 once JS→wasm calls are inlined.
    pool: 'forks',
    execArgv: ['--no-turbo-inline-js-wasm-calls'],
    testTimeout: 60_000,
  },
});
