import type { Clock, Logger } from '@plinth/core';
import { cacheErrors } from '../errors.js';
import type { L2Adapter } from '../l2/adapter.js';

export interface L2GuardHooks {
  onDown(error: unknown, operation: string, retryAt: number): void;
  onUp(downMs: number): void;
  onLatency(operation: string, ms: number, ok: boolean): void;
}

/**
 * Every L2 call goes through here: failures are wrapped, counted, logged and answered with a
 * fallback (the cache carries on with L1) unless the caller asked for errors; after a failure
 * L2 is skipped for `retryAfter` ms (circuit open), then the next call probes it (half-open) and
 * a success closes the circuit again (`l2:up`).
 */
export class L2Guard {
  readonly adapter: L2Adapter;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #retryAfter: number;
  readonly #hooks: L2GuardHooks;
  #downSince: number | undefined;
  #retryAt = 0;
  errors = 0;

  constructor(
    adapter: L2Adapter,
    clock: Clock,
    logger: Logger,
    retryAfter: number,
    hooks: L2GuardHooks,
  ) {
    this.adapter = adapter;
    this.#clock = clock;
    this.#logger = logger;
    this.#retryAfter = retryAfter;
    this.#hooks = hooks;
  }

  /** False while the circuit is open (L2 is skipped). */
  get available(): boolean {
    return this.#downSince === undefined || this.#clock.now() >= this.#retryAt;
  }

  get down(): boolean {
    return this.#downSince !== undefined;
  }

  /** Records a failure observed outside `run` (connect). */
  markDown(error: unknown, operation: string): void {
    this.errors++;
    const now = this.#clock.now();
    const first = this.#downSince === undefined;
    this.#downSince ??= now;
    this.#retryAt = now + this.#retryAfter;
    if (first) {
      this.#logger.warn(
        { err: error, operation, adapter: this.adapter.name, retryAt: this.#retryAt },
        'L2 unavailable: serving from L1 only',
      );
    }
    this.#hooks.onDown(error, operation, this.#retryAt);
  }

  async run<T>(
    operation: string,
    fn: (adapter: L2Adapter) => Promise<T>,
    fallback: T,
    throwOnError: boolean,
  ): Promise<T> {
    if (!this.available) {
      if (throwOnError) {
        throw cacheErrors.create(
          'E_L2_UNAVAILABLE',
          `L2 "${this.adapter.name}" is unavailable (circuit open until ${new Date(this.#retryAt).toISOString()})`,
          {
            details: { adapter: this.adapter.name, operation },
          },
        );
      }
      return fallback;
    }
    const start = performance.now();
    try {
      const result = await fn(this.adapter);
      this.#hooks.onLatency(operation, performance.now() - start, true);
      if (this.#downSince !== undefined) {
        const downMs = this.#clock.now() - this.#downSince;
        this.#downSince = undefined;
        this.#logger.info({ adapter: this.adapter.name, downMs }, 'L2 available again');
        this.#hooks.onUp(downMs);
      }
      return result;
    } catch (error) {
      this.#hooks.onLatency(operation, performance.now() - start, false);
      this.markDown(error, operation);
      if (throwOnError) {
        throw cacheErrors.create(
          'E_L2_UNAVAILABLE',
          `L2 "${this.adapter.name}" ${operation} failed: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
            details: { adapter: this.adapter.name, operation },
          },
        );
      }
      return fallback;
    }
  }
}
