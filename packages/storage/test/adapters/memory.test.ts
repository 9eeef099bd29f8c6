import { describe, expect, it } from 'vitest';

import { memoryAdapter } from '../../src/adapters/memory.js';
import { runAdapterSuite } from '../../src/testing/adapter-suite.js';

runAdapterSuite({
  name: 'memory',
  create: async () => {
    const a = memoryAdapter();
    await a.open();
    return a;
  },
});

describe('memory adapter specifics', () => {
  it('keeps structured documents as the very value given, and reads them synchronously', async () => {
    const a = memoryAdapter();
    await a.open();
    expect(a.capabilities).toEqual({
      structuredValues: true,
      crossInstanceNotifications: false,
      durable: false,
    });
    const doc = Object.freeze({ a: 1 });
    await a.commit({
      checks: [],
      writes: [
        { op: 'put', space: 's', key: 'k', format: 0, data: doc, expiresAt: null, indexes: [] },
      ],
      now: 0,
    });
    expect((await a.get('s', 'k'))?.data).toBe(doc);
    expect(a.getSync('s', 'k')?.data).toBe(doc);
  });
});
