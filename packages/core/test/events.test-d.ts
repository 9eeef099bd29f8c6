import { describe, expectTypeOf, it } from 'vitest';
import { TypedEmitter, type AnyEventListener, type EventName } from '../src/index.js';

interface ShopEvents {
  'order:placed': { id: string; total: number };
  'order:cancelled': { id: string };
}

class Shop extends TypedEmitter<ShopEvents> {}

describe('TypedEmitter types', () => {
  it('types each listener payload from the event map', () => {
    const shop = new Shop();
    shop.on('order:placed', (payload) => {
      expectTypeOf(payload).toEqualTypeOf<{ id: string; total: number }>();
    });
    shop.on('order:cancelled', (payload) => {
      expectTypeOf(payload).toEqualTypeOf<{ id: string }>();
    });
  });

  it('types emit: the right payload compiles, a wrong one does not', () => {
    const shop = new Shop();
    expectTypeOf(shop.emit('order:placed', { id: 'o1', total: 1 })).toEqualTypeOf<boolean>();
    // @ts-expect-error: `total` must be a number
    shop.emit('order:placed', { id: 'o1', total: '10' });
    // @ts-expect-error: the payload misses `total`
    shop.emit('order:placed', { id: 'o1' });
    // @ts-expect-error: no such event in the map
    shop.emit('order:shipped', { id: 'o1' });
  });

  it('rejects a listener written for another payload', () => {
    const shop = new Shop();
    // @ts-expect-error: `order:cancelled` carries no `total`
    shop.on('order:cancelled', (payload: { total: number }) => payload.total);
  });

  it('rejects an event map with a key that is not `namespace:verb`', () => {
    // @ts-expect-error: `published` has no colon
    expectTypeOf<TypedEmitter<{ published: { id: string } }>>().not.toBeNever();
    expectTypeOf<TypedEmitter<{ 'artifact:published': { id: string } }>>().not.toBeNever();
  });

  it("gives a subscribe listener the event name and that event's payload", () => {
    const shop = new Shop();
    shop.subscribe((name, payload) => {
      const n: 'order:placed' | 'order:cancelled' = name;
      const p: { id: string } = payload;
      // @ts-expect-error: only some payloads have a total
      const t: number = payload.total;
      void [n, p, t];
    });
    expectTypeOf(shop.subscribe(() => {})).toEqualTypeOf<() => void>();

    const listener: AnyEventListener<ShopEvents> = () => {};
    listener('order:placed', { id: 'o1', total: 1 });
    // @ts-expect-error: the payload does not match the name
    listener('order:placed', { id: 'o1' });
    // @ts-expect-error: no such event in the map
    listener('order:shipped', { id: 'o1' });
  });

  it('types next() from the event name and its filter', () => {
    const shop = new Shop();
    expectTypeOf(shop.next('order:placed')).toEqualTypeOf<Promise<{ id: string; total: number }>>();
    void shop.next('order:placed', {
      filter: (payload) => {
        expectTypeOf(payload.total).toEqualTypeOf<number>();
        return payload.total > 0;
      },
    });
    // @ts-expect-error: no such event in the map
    void shop.next('order:shipped');
  });

  it('accepts only `namespace:verb` strings as event names', () => {
    expectTypeOf<'cache:hit'>().toExtend<EventName>();
    expectTypeOf<'hit'>().not.toExtend<EventName>();
  });
});
