import { ManualClock } from '@plinth/core';
import { expect, it } from 'vitest';
import { memoryL2 } from '../../src/index.js';
import { runL2ConformanceSuite } from '../../src/testing/index.js';

runL2ConformanceSuite({
  name: 'memoryL2',
  async create() {
    const clock = new ManualClock(Date.now());
    const adapter = memoryL2({ clock });
    await adapter.connect();
    return { adapter, advance: async (ms) => void clock.advance(ms) };
  },
});

it('memoryL2 simulates an outage with `down`', async () => {
  const l2 = memoryL2();
  l2.down = true;
  await expect(l2.get('x')).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' });
  l2.down = false;
  expect(await l2.get('x')).toBeUndefined();
});
