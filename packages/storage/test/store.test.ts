import { memoryAdapter } from '../src/index.js';
import { runStorageConformanceSuite } from '../src/testing/store-suite.js';

runStorageConformanceSuite({
  name: 'memory',
  async fixture() {
    // Every store of a test shares one in-memory database.
    const adapter = memoryAdapter();
    return { adapter: () => adapter, destroy: async () => {} };
  },
  crossInstanceWatch: true,
});
