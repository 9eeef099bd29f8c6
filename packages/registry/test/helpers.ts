import { ManualClock } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { Registry } from '../src/index.js';
import type { RegistryOptions } from '../src/index.js';

export interface Fixture {
  readonly store: Store;
  readonly registry: Registry;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

/** A registry over a fresh memory store with a manual clock. */
export async function makeRegistry(options: Partial<RegistryOptions> = {}): Promise<Fixture> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  // The store keeps real time for its retry backoff; the registry runs on the manual clock.
  const store = options.store ?? (await openStore({ adapter: memoryAdapter() }));
  const registry = await new Registry({ store, clock, usageFlushMs: 0, ...options }).open();
  return {
    store,
    registry,
    clock,
    close: async () => {
      await registry.close();
      await store.close();
    },
  };
}

export const orderV1 = {
  type: 'object',
  properties: { id: { type: 'string' }, amount: { type: 'number' } },
  required: ['id'],
};

export const orderV2 = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    amount: { type: 'number' },
    currency: { type: 'string' },
  },
  required: ['id'],
};

/** Breaking for BACKWARD: a new required field. */
export const orderBreaking = {
  type: 'object',
  properties: { id: { type: 'string' }, amount: { type: 'number' }, customer: { type: 'string' } },
  required: ['id', 'customer'],
};
