import type * as Otel from '@opentelemetry/api';

type Api = typeof Otel;

/**
 * Spans through `@opentelemetry/api` (an optional peer, loaded once at `open()`): tracer
 * `@plinth/registry`, span names `plinth.registry.<op>`. Without the package, or without a
 * registered provider, calls run bare.
 */
export class Telemetry {
  #api: Api | undefined;
  #tracer: Otel.Tracer | undefined;

  async load(): Promise<void> {
    try {
      this.#api = await import('@opentelemetry/api');
      this.#tracer = this.#api.trace.getTracer('@plinth/registry');
    } catch {
      this.#api = undefined;
    }
  }

  /** Runs `fn` in a span; errors are recorded on it and rethrown. */
  async span<T>(
    op: string,
    attributes: Record<string, string | number | boolean>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const tracer = this.#tracer;
    const api = this.#api;
    if (tracer === undefined || api === undefined) return fn();
    return tracer.startActiveSpan(`plinth.registry.${op}`, { attributes }, async (span) => {
      try {
        return await fn();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: api.SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}
