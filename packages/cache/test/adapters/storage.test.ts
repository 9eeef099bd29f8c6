import { ManualClock } from '@plinth/core';
import { memoryAdapter, openStore } from '@plinth/storage';
import { describe, expect, it } from 'vitest';
import { storageBus, storageL2 } from '../../src/adapters/storage.js';
import { Cache } from '../../src/index.js';
import { runL2ConformanceSuite } from '../../src/testing/index.js';

runL2ConformanceSuite({
  name: 'storageL2 (memory adapter)',
  async create() {
    const clock = new ManualClock(Date.now());
    const store = await openStore({ adapter: memoryAdapter(), clock, purgeIntervalMs: 0 });
    const adapter = storageL2({ store });
    await adapter.connect();
    return { adapter, advance: async (ms) => void clock.advance(ms) };
  },
});

describe('storageBus', () => {
  it('carries deletes between two caches over one store (the change feed)', async () => {
    const store = await openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 });
    const a = new Cache({ l2: storageL2({ store }), bus: storageBus({ store }) });
    const b = new Cache({ l2: storageL2({ store }), bus: storageBus({ store }) });
    await a.connect();
    await b.connect();
    await a.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    const landed = b.next('bus:received', { filter: (e) => e.message.type === 'delete' });
    await a.delete('k');
    await landed;
    expect(b.getSync('k')).toBeUndefined();
    await a.close();
    await b.close();
    await store.close();
  });

  it('rejects something that is not a store', () => {
    expect(() => storageL2({ store: {} as never })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
    expect(() => storageBus({ store: undefined as never })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
  });
});
