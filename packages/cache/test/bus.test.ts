import { ManualClock } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { Cache, memoryBusHub, memoryL2 } from '../src/index.js';

function pair() {
  const clock = new ManualClock(1_700_000_000_000);
  const l2 = memoryL2({ clock });
  const hub = memoryBusHub();
  const a = new Cache({ clock, l2, bus: hub.bus(), timeResolution: 0 });
  const b = new Cache({ clock, l2, bus: hub.bus(), timeResolution: 0 });
  return { clock, l2, hub, a, b, ready: Promise.all([a.connect(), b.connect()]) };
}

describe('invalidation bus', () => {
  it('a delete on one instance removes the other instance’s L1 copy', async () => {
    const { a, b, ready } = pair();
    await ready;
    await a.set('k', 'v');
    expect(await b.get('k')).toBe('v');
    const landed = b.next('bus:received');
    await a.delete('k');
    await landed;
    expect(b.getSync('k')).toBeUndefined();
    expect(await b.get('k')).toBeUndefined();
  });

  it('a write on one instance makes the other drop its copy and read the new value', async () => {
    const { a, b, ready } = pair();
    await ready;
    await a.set('k', 1);
    expect(await b.get('k')).toBe(1);
    const landed = b.next('bus:received');
    await a.set('k', 2);
    await landed;
    expect(await b.get('k')).toBe(2);
  });

  it('deletes in a namespace reach the other instance, and only that namespace (bentocache#72)', async () => {
    const { a, b, ready } = pair();
    await ready;
    await a.namespace('users').set('1', 'u');
    await a.set('1', 'root');
    expect(await b.namespace('users').get('1')).toBe('u');
    expect(await b.get('1')).toBe('root');
    const landed = b.next('bus:received');
    await a.namespace('users').delete('1');
    await landed;
    expect(b.namespace('users').getSync('1')).toBeUndefined();
    expect(b.getSync('1')).toBe('root');
  });

  it('clearing a namespace clears only that namespace on the others (bentocache#32)', async () => {
    const { a, b, ready } = pair();
    await ready;
    await a.namespace('users').set('1', 'u');
    await a.namespace('orders').set('1', 'o');
    await b.namespace('users').get('1');
    await b.namespace('orders').get('1');
    const landed = b.next('bus:received', { filter: (e) => e.message.type === 'clear' });
    await a.namespace('users').clear();
    await landed;
    expect(b.namespace('users').getSync('1')).toBeUndefined();
    expect(b.namespace('orders').getSync('1')).toBe('o');
  });

  it('tag invalidations reach the other instance’s L1', async () => {
    const { a, b, ready, clock } = pair();
    await ready;
    await a.set('k', 1, { tags: ['t'] });
    expect(await b.get('k')).toBe(1);
    clock.advance(1);
    const landed = b.next('bus:received', { filter: (e) => e.message.type === 'tags' });
    await a.invalidateTags(['t']);
    await landed;
    expect(b.getSync('k')).toBeUndefined();
  });

  it('an instance ignores its own messages; messages carry invalidations, never values', async () => {
    const { a, hub, ready } = pair();
    await ready;
    let received = 0;
    a.on('bus:received', () => received++);
    await a.set('k', { secret: 'value' });
    await new Promise((r) => setImmediate(r));
    expect(received).toBe(0);
    expect(hub.published.join('')).not.toContain('secret');
    expect(a.stats().busPublished).toBe(1);
  });
});
