import type { Store } from '@plinth/storage';
import { ConfluentError } from './errors.js';
import type { ConfluentMode } from './types.js';

const MODES = new Set(['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT']);
const PREFIX = 'plinth.registry.confluent.mode/';

/** Checks a mode from a request body. IMPORT is refused: ids are allocated by the registry. */
export function checkMode(value: unknown): ConfluentMode {
  if (typeof value !== 'string' || !MODES.has(value)) {
    throw new ConfluentError(
      422,
      42204,
      `Invalid mode ${JSON.stringify(value)}; one of READWRITE, READONLY, READONLY_OVERRIDE`,
    );
  }
  if (value === 'IMPORT') {
    throw new ConfluentError(
      422,
      42204,
      'IMPORT mode is not supported: the registry allocates schema ids and versions itself',
    );
  }
  return value as ConfluentMode;
}

/** Global and per-subject modes, in the store's KV space (or in memory without a store). */
export class ModeStore {
  readonly #store: Store | undefined;
  readonly #memory = new Map<string, ConfluentMode>();

  constructor(store: Store | undefined) {
    this.#store = store;
  }

  async get(scope: string): Promise<ConfluentMode | undefined> {
    if (this.#store === undefined) return this.#memory.get(scope);
    const entry = await this.#store.kv.get(PREFIX + scope);
    return entry === undefined ? undefined : (String(entry.value) as ConfluentMode);
  }

  async set(scope: string, mode: ConfluentMode): Promise<void> {
    if (this.#store === undefined) this.#memory.set(scope, mode);
    else await this.#store.kv.set(PREFIX + scope, mode);
  }

  async clear(scope: string): Promise<ConfluentMode | undefined> {
    const before = await this.get(scope);
    if (this.#store === undefined) this.#memory.delete(scope);
    else await this.#store.kv.delete(PREFIX + scope);
    return before;
  }

  /** The mode a write to `artifact` runs under (subject, then global, then READWRITE). */
  async effective(artifact: string): Promise<ConfluentMode> {
    return (await this.get(artifact)) ?? (await this.get('')) ?? 'READWRITE';
  }

  async assertWritable(artifact: string, subject: string): Promise<void> {
    const mode = await this.effective(artifact);
    if (mode !== 'READWRITE') {
      throw new ConfluentError(
        422,
        42205,
        `Subject '${subject}' is in ${mode} mode; the operation is not permitted`,
      );
    }
  }
}
