import { isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter, openStore } from '../src/index.js';

describe('Store.defineCollections', () => {
  it('declares collections on an open store, usable at once and inside transactions', async () => {
    const store = await openStore({ adapter: memoryAdapter() });
    store.defineCollections({
      artifacts: { indexes: { byName: { fields: ['name'], unique: true } } },
    });
    await store.collection('artifacts').put('a', { name: 'orders' });
    await store.transaction(async (tx) => {
      await tx.collection('artifacts').put('b', { name: 'payments' });
    });
    const hit = await store.collection('artifacts').findOne('byName', 'payments');
    expect(hit?.key).toBe('b');
    expect(store.collectionNames()).toEqual(['artifacts']);
    await store.close();
  });

  it('accepts the same definition twice and refuses a different one, declaring nothing', async () => {
    const store = await openStore({ adapter: memoryAdapter() });
    const def = { indexes: { byName: { fields: ['name'] } } };
    store.defineCollections({ artifacts: def });
    store.defineCollections({ artifacts: { indexes: { byName: { fields: ['name'] } } } });
    let caught: unknown;
    try {
      store.defineCollections({
        fresh: {},
        artifacts: { indexes: { byName: { fields: ['name'], unique: true } } },
      });
    } catch (error) {
      caught = error;
    }
    expect(isPlinthError(caught, 'E_INVALID_OPTION')).toBe(true);
    expect(store.collectionNames()).toEqual(['artifacts']);
    await store.close();
  });

  it('refuses to declare on a closed store', async () => {
    const store = await openStore({ adapter: memoryAdapter() });
    await store.close();
    expect(() => store.defineCollections({ x: {} })).toThrow(/after close/);
  });
});
