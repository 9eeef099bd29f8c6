import type { InvalidationBus } from './bus.js';
import { decodeBusMessage, encodeBusMessage, type BusMessage } from './message.js';

/** Several {@link memoryBus} ends that see each other's messages (one per cache instance). */
export interface MemoryBusHub {
  /** A new end of the hub, for one cache instance. */
  bus(): InvalidationBus;
  /** Messages published so far (encoded), for assertions. */
  readonly published: readonly string[];
}

/**
 * An in-process bus hub: the test double for Redis pub/sub. Messages go through the same
 * encoding as on the wire and are delivered asynchronously (a microtask later), like a real bus.
 */
export function memoryBusHub(): MemoryBusHub {
  const handlers = new Set<(m: BusMessage) => void>();
  const published: string[] = [];
  return {
    published,
    bus(): InvalidationBus {
      let mine: ((m: BusMessage) => void) | undefined;
      return {
        name: 'memory',
        subscribe(handler) {
          mine = handler;
          handlers.add(handler);
          return Promise.resolve();
        },
        publish(message) {
          const wire = encodeBusMessage(message);
          published.push(wire);
          queueMicrotask(() => {
            for (const h of handlers) h(decodeBusMessage(wire));
          });
          return Promise.resolve();
        },
        close() {
          if (mine !== undefined) handlers.delete(mine);
          return Promise.resolve();
        },
      };
    },
  };
}
