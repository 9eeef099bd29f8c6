import { defineLibConfig } from '../../scripts/tsup.base.js';

// ajv's meta-schema JSON files are bundled: an external JSON import would need an import
// attribute in the ESM build, which the build output does not keep.
export default defineLibConfig(
  { index: 'src/index.ts' },
  { noExternal: [/^ajv\/dist\/refs\/.*\.json$/] },
);
