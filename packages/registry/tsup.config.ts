import { defineLibConfig } from '../../scripts/tsup.base.js';

export default defineLibConfig(
  {
    index: 'src/index.ts',
    'adapters/s3': 'src/adapters/s3.ts',
    'testing/index': 'src/testing/index.ts',
    'confluent/index': 'src/confluent/index.ts',
  },
  { external: ['@aws-sdk/client-s3'], splitting: true },
);
