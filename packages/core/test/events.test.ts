import { describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from '../src/index.js';

interface ShopEvents {
  'order:placed': { id: string; total: number };
  'order:cancelled': { id: string };
}

class Shop extends TypedEmitter<ShopEvents> {}

describe('TypedEmitter on/emit', () => {
  it('delivers the one payload object to listeners of that event only', () => {
    const shop = new Shop();
    const placed = vi.fn();
    const cancelled = vi.fn();
    shop.on('order:placed', placed);
    shop.on('order:cancelled', cancelled);

    shop.emit('order:placed', { id: 'o1', total: 10 });

    expect(placed).toHaveBeenCalledTimes(1);
    expect(placed).toHaveBeenCalledWith({ id: 'o1', total: 10 });
    expect(placed.mock.calls[0]).toHaveLength(1);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it('passes the same payload object (no copy) to every listener', () => {
    const shop = new Shop();
    const seen: object[] = [];
    shop.on('order:cancelled', (p) => seen.push(p));
    shop.on('order:cancelled', (p) => seen.push(p));
    const payload = { id: 'o1' };
    shop.emit('order:cancelled', payload);
    expect(seen).toEqual([payload, payload]);
    expect(seen[0]).toBe(payload);
    expect(seen[1]).toBe(payload);
  });

  it('returns true from emit when a listener exists and false otherwise', () => {
    const shop = new Shop();
    expect(shop.emit('order:placed', { id: 'o1', total: 1 })).toBe(false);
    shop.on('order:placed', () => {});
    expect(shop.emit('order:placed', { id: 'o1', total: 1 })).toBe(true);
    expect(shop.emit('order:cancelled', { id: 'o1' })).toBe(false);
  });

  it('stops delivering after off()', () => {
    const shop = new Shop();
    const listener = vi.fn();
    shop.on('order:cancelled', listener);
    shop.off('order:cancelled', listener);
    shop.emit('order:cancelled', { id: 'o1' });
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('TypedEmitter.subscribe', () => {
  it('receives every event with its name and payload, in emit order', () => {
    const shop = new Shop();
    const seen: [string, unknown][] = [];
    shop.subscribe((name, payload) => seen.push([name, payload]));

    shop.emit('order:placed', { id: 'o1', total: 3 });
    shop.emit('order:cancelled', { id: 'o1' });

    expect(seen).toEqual([
      ['order:placed', { id: 'o1', total: 3 }],
      ['order:cancelled', { id: 'o1' }],
    ]);
  });

  it('runs alongside ordinary listeners', () => {
    const shop = new Shop();
    const all = vi.fn();
    const one = vi.fn();
    shop.subscribe(all);
    shop.on('order:cancelled', one);
    shop.emit('order:cancelled', { id: 'o2' });
    expect(all).toHaveBeenCalledWith('order:cancelled', { id: 'o2' });
    expect(one).toHaveBeenCalledWith({ id: 'o2' });
  });

  it('makes emit return true while a subscriber exists, even with no event listener', () => {
    const shop = new Shop();
    const stop = shop.subscribe(() => {});
    expect(shop.emit('order:cancelled', { id: 'o1' })).toBe(true);
    stop();
    expect(shop.emit('order:cancelled', { id: 'o1' })).toBe(false);
  });

  it('wraps emit on the instance only while subscribed, and restores it after the last unsubscribe', () => {
    const shop = new Shop();
    expect(Object.hasOwn(shop, 'emit')).toBe(false);

    const stopA = shop.subscribe(() => {});
    const stopB = shop.subscribe(() => {});
    expect(Object.hasOwn(shop, 'emit')).toBe(true);

    stopA();
    expect(Object.hasOwn(shop, 'emit')).toBe(true);
    stopB();
    expect(Object.hasOwn(shop, 'emit')).toBe(false);
    expect(shop.emit).toBe(TypedEmitter.prototype.emit);
  });

  it('stops delivering to an unsubscribed listener while others keep receiving', () => {
    const shop = new Shop();
    const a = vi.fn();
    const b = vi.fn();
    const stopA = shop.subscribe(a);
    shop.subscribe(b);
    stopA();
    shop.emit('order:cancelled', { id: 'o1' });
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
  });

  it('keeps ordinary listeners working after the last unsubscribe', () => {
    const shop = new Shop();
    const one = vi.fn();
    shop.on('order:cancelled', one);
    const stop = shop.subscribe(() => {});
    stop();
    expect(shop.emit('order:cancelled', { id: 'o1' })).toBe(true);
    expect(one).toHaveBeenCalledTimes(1);
  });

  it('treats a second call of the same unsubscribe function as a no-op', () => {
    const shop = new Shop();
    const a = vi.fn();
    const stopA = shop.subscribe(a);
    stopA();
    const b = vi.fn();
    shop.subscribe(b);
    stopA(); // stale: must not remove the new subscription
    expect(Object.hasOwn(shop, 'emit')).toBe(true);
    shop.emit('order:cancelled', { id: 'o1' });
    expect(b).toHaveBeenCalledTimes(1);
    expect(a).not.toHaveBeenCalled();
  });

  it('can subscribe again after everything was unsubscribed', () => {
    const shop = new Shop();
    shop.subscribe(() => {})();
    const again = vi.fn();
    shop.subscribe(again);
    shop.emit('order:placed', { id: 'o1', total: 1 });
    expect(again).toHaveBeenCalledWith('order:placed', { id: 'o1', total: 1 });
  });

  it('keeps subscriptions separate per instance', () => {
    const a = new Shop();
    const b = new Shop();
    const listener = vi.fn();
    a.subscribe(listener);
    b.emit('order:cancelled', { id: 'o1' });
    expect(listener).not.toHaveBeenCalled();
    expect(Object.hasOwn(b, 'emit')).toBe(false);
  });
});

describe('TypedEmitter.next', () => {
  it('resolves with the payload of the next event of that name', async () => {
    const shop = new Shop();
    const next = shop.next('order:cancelled');
    shop.emit('order:placed', { id: 'o1', total: 1 });
    shop.emit('order:cancelled', { id: 'o1' });
    await expect(next).resolves.toEqual({ id: 'o1' });
  });

  it('skips events the filter rejects and resolves with the first match', async () => {
    const shop = new Shop();
    const next = shop.next('order:placed', { filter: (p) => p.total > 100 });
    shop.emit('order:placed', { id: 'small', total: 5 });
    expect(shop.listenerCount('order:placed')).toBe(1);
    shop.emit('order:placed', { id: 'big', total: 500 });
    shop.emit('order:placed', { id: 'bigger', total: 900 });
    await expect(next).resolves.toEqual({ id: 'big', total: 500 });
  });

  it('removes its listener once resolved', async () => {
    const shop = new Shop();
    const next = shop.next('order:cancelled');
    shop.emit('order:cancelled', { id: 'o1' });
    await next;
    expect(shop.listenerCount('order:cancelled')).toBe(0);
  });

  it('rejects at once with the reason of an already aborted signal, adding no listener', async () => {
    const shop = new Shop();
    const reason = new Error('stop');
    const next = shop.next('order:cancelled', { signal: AbortSignal.abort(reason) });
    await expect(next).rejects.toBe(reason);
    expect(shop.listenerCount('order:cancelled')).toBe(0);
  });

  it('rejects with the reason when the signal aborts later and removes its listener', async () => {
    const shop = new Shop();
    const controller = new AbortController();
    const next = shop.next('order:cancelled', { signal: controller.signal });
    expect(shop.listenerCount('order:cancelled')).toBe(1);

    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(next).rejects.toBe(reason);
    expect(shop.listenerCount('order:cancelled')).toBe(0);
  });

  it('is not affected by an abort after it resolved', async () => {
    const shop = new Shop();
    const controller = new AbortController();
    const next = shop.next('order:cancelled', { signal: controller.signal });
    shop.emit('order:cancelled', { id: 'o1' });
    controller.abort(new Error('late'));
    await expect(next).resolves.toEqual({ id: 'o1' });
  });
});
