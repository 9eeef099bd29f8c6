import { defineLibConfig } from '../../scripts/tsup.base.js';

export default defineLibConfig({ index: 'src/index.ts' });
