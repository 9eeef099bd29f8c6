import { cacheErrors } from '../errors.js';

/**
 * What instances tell each other. Invalidations only, never values (a value published to every
 * instance would cost bandwidth for keys nobody else reads). Keys are local keys (namespace path
 * included), so a delete in one namespace never touches another (bentocache#72, #32).
 */
export type BusMessage =
  /** Drop these keys from L1 (a delete, or a write that makes other copies stale). */
  | { readonly type: 'delete'; readonly origin: string; readonly keys: readonly string[] }
  /** Drop every L1 key that starts with `prefix` ('' = everything). */
  | { readonly type: 'clear'; readonly origin: string; readonly prefix: string }
  /** Entries tagged with one of `tags` and created at or before `at` are invalid. */
  | {
      readonly type: 'tags';
      readonly origin: string;
      readonly tags: readonly string[];
      readonly at: number;
    };

/** Encodes a message for the wire (JSON: small, debuggable with `redis-cli monitor`). */
export function encodeBusMessage(message: BusMessage): string {
  return JSON.stringify(message);
}

/** Decodes a wire message; `E_DESERIALIZE` when it is not one of ours. */
export function decodeBusMessage(data: string): BusMessage {
  let m: unknown;
  try {
    m = JSON.parse(data);
  } catch (error) {
    throw cacheErrors.create('E_DESERIALIZE', 'bus message is not JSON', { cause: error });
  }
  if (typeof m === 'object' && m !== null) {
    const o = m as Record<string, unknown>;
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (typeof o.origin === 'string') {
      if (o.type === 'delete' && strings(o.keys)) return m as BusMessage;
      if (o.type === 'clear' && typeof o.prefix === 'string') return m as BusMessage;
      if (o.type === 'tags' && strings(o.tags) && typeof o.at === 'number') return m as BusMessage;
    }
  }
  throw cacheErrors.create('E_DESERIALIZE', 'bus message has an unknown shape', {
    details: { data: data.slice(0, 200) },
  });
}
