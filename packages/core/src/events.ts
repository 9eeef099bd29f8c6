import { EventEmitter } from 'eventemitter3';

/**
 * Plinth's event conventions:
 * - names are `namespace:verb` (`artifact:published`, `cache:hit`);
 * - each event carries exactly one payload object;
 * - events are emitted after the change they announce is committed.
 *
 * A package declares its map once, in `src/events.ts`, and exports it:
 *
 * ```ts
 * export interface RegistryEvents {
 *   'artifact:published': { artifact: string; version: string };
 * }
 * export class Registry extends TypedEmitter<RegistryEvents> { … }
 * ```
 */
export type EventName = `${string}:${string}`;

/**
 * The constraint on an event map: every key is a `namespace:verb` name and every payload an
 * object. A key like `'published'` makes the map fail to type-check.
 */
export type EventMap<E> = { [K in keyof E]: K extends EventName ? object : never };

/** A listener for any event of a map, with a discriminating name. */
export type AnyEventListener<E> = <K extends keyof E & string>(name: K, payload: E[K]) => void;

const baseEmit = EventEmitter.prototype.emit as (
  this: unknown,
  name: string,
  payload: unknown,
) => boolean;

/** The eventemitter3 listener table derived from a payload map. */
type ListenerTable<E> = { [K in keyof E & string]: (payload: E[K]) => void };

/**
 * eventemitter3's emitter, typed from a payload map (one object per event). It adds
 * {@link TypedEmitter.subscribe} for "every event" listeners (dashboards, audit, test
 * recorders) and {@link TypedEmitter.next} to await one event.
 *
 */
export class TypedEmitter<E extends EventMap<E>> extends EventEmitter<ListenerTable<E>> {
  #all: Set<AnyEventListener<E>> | undefined;

  /**
   * Listens to every event; returns the function that stops listening. While at least one such
   * listener exists, `emit` is wrapped on this instance; otherwise emitting costs exactly what
   * eventemitter3 costs.
   */
  subscribe(listener: AnyEventListener<E>): () => void {
    if (this.#all === undefined) {
      const all = new Set<AnyEventListener<E>>();
      this.#all = all;
      const self = this as unknown as { emit: (name: string, payload: unknown) => boolean };
      Object.defineProperty(this, 'emit', {
        configurable: true,
        writable: true,
        value: (name: keyof E & string, payload: E[keyof E & string]): boolean => {
          for (const l of all) l(name, payload);
          return baseEmit.call(self, name, payload) || all.size > 0;
        },
      });
    }
    const all = this.#all;
    all.add(listener);
    return () => {
      if (!all.delete(listener) || all.size > 0 || this.#all !== all) return;
      this.#all = undefined;
      delete (this as { emit?: unknown }).emit;
    };
  }

  /**
   * Resolves with the payload of the next `name` event (optionally the next one that matches
   * `filter`). Rejects with the signal's reason if `signal` aborts first.
   */
  next<K extends keyof E & string>(
    name: K,
    options: { filter?: (payload: E[K]) => boolean; signal?: AbortSignal } = {},
  ): Promise<E[K]> {
    const { filter, signal } = options;
    return new Promise<E[K]>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      type Untyped = (n: string, l: (p: E[K]) => void) => unknown;
      const on = this.on.bind(this) as unknown as Untyped;
      const off = this.off.bind(this) as unknown as Untyped;
      const onAbort = () => {
        off(name, listener);
        reject(signal?.reason);
      };
      const listener = (payload: E[K]) => {
        if (filter !== undefined && !filter(payload)) return;
        off(name, listener);
        signal?.removeEventListener('abort', onAbort);
        resolve(payload);
      };
      on(name, listener);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
