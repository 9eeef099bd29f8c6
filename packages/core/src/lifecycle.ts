import { PlinthError } from './errors.js';

/**
 * Lifecycle conventions: long-lived Plinth objects have an idempotent `close(): Promise<void>`
 * (a second call returns the first call's promise) and `[Symbol.asyncDispose]`, so hosts can
 * write `await using registry = new Registry(…)`. Calls after close fail with `E_CLOSED`.
 */
export interface Closeable {
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs a close routine at most once. Classes hold one and delegate:
 *
 * ```ts
 * readonly #life = new Lifecycle('@plinth/registry', 'Registry', () => this.#shutdown());
 * close() { return this.#life.close(); }
 * [Symbol.asyncDispose]() { return this.#life.close(); }
 * get(id) { this.#life.assertOpen('get'); … }
 * ```
 */
export class Lifecycle {
  readonly #package: string;
  readonly #owner: string;
  readonly #onClose: () => void | Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(packageName: string, owner: string, onClose: () => void | Promise<void>) {
    this.#package = packageName;
    this.#owner = owner;
    this.#onClose = onClose;
  }

  /** True once `close()` has been called (even while it is still running). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Runs the close routine once; every call returns the same promise. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#onClose();
    })();
    return this.#closing;
  }

  /** Throws `E_CLOSED` (naming the owner and operation) once closing has begun. */
  assertOpen(operation: string): void {
    if (this.#closing !== undefined) {
      throw new PlinthError({
        code: 'E_CLOSED',
        package: this.#package,
        message: `${this.#owner}.${operation}() called after close()`,
        details: { owner: this.#owner, operation },
      });
    }
  }
}

/**
 * Closes several resources in reverse order of acquisition, continuing past failures; rejects
 * with an AggregateError of every failure once all have been tried.
 */
export async function closeAll(
  resources: ReadonlyArray<{ close(): unknown } | undefined | null>,
): Promise<void> {
  const errors: unknown[] = [];
  for (let i = resources.length - 1; i >= 0; i--) {
    const r = resources[i];
    if (r == null) continue;
    try {
      await r.close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `${errors.length} resources failed to close`);
}
