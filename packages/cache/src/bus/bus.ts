import type { BusMessage } from './message.js';

/**
 * The cross-instance invalidation channel. Implementations: {@link memoryBus} (instances in one
 * process; the test double), `redisBus` (Redis pub/sub) and `storageBus` (the @plinth/storage
 * change feed; LISTEN/NOTIFY on PostgreSQL). Delivery is at-most-once: a message published while
 * an instance is disconnected is not replayed to it, which is why L1 TTLs stay bounded.
 */
export interface InvalidationBus {
  readonly name: string;
  /** Starts delivering messages (from every instance, including this one) to `handler`. */
  subscribe(handler: (message: BusMessage) => void): Promise<void>;
  publish(message: BusMessage): Promise<void>;
  close(): Promise<void>;
}
