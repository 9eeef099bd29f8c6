type Attrs = Record<string, string | number | boolean>;

/** The subset of an OpenTelemetry `Meter` this package uses. */
export interface MeterLike {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(v: number, a?: Attrs): void };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): { record(v: number, a?: Attrs): void };
  createObservableCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    addCallback(cb: (result: { observe(v: number, a?: Attrs): void }) => void): void;
  };
}

/** Per-format counts kept as plain numbers on the hot path and observed by OTel on collection. */
export interface FormatCounts {
  validations: number;
  failures: number;
}

/**
 * OTel instruments, no-ops until a meter is known. `validate()` only bumps plain integers
 * (`plinth.validation.validations`, observed); failures, compile, compatibility and quality
 * latencies are recorded directly.
 */
export class Telemetry {
  readonly counts = new Map<string, FormatCounts>();
  #failures: { add(v: number, a?: Attrs): void } | undefined;
  #compile: { record(v: number, a?: Attrs): void } | undefined;
  #compat: { record(v: number, a?: Attrs): void } | undefined;
  #quality: { record(v: number, a?: Attrs): void } | undefined;
  #cacheHits = 0;
  #cacheMisses = 0;

  countsFor(format: string): FormatCounts {
    let c = this.counts.get(format);
    if (c === undefined) this.counts.set(format, (c = { validations: 0, failures: 0 }));
    return c;
  }

  use(meter: MeterLike | undefined, cache: () => { hits: number; misses: number }): void {
    if (meter === undefined) return;
    meter
      .createObservableCounter('plinth.validation.validations', {
        description: 'Values validated, by format',
      })
      .addCallback((r) => {
        for (const [format, c] of this.counts) r.observe(c.validations, { format });
      });
    meter
      .createObservableCounter('plinth.validation.cache.hits', {
        description: 'Compiled-validator cache hits',
      })
      .addCallback((r) => {
        this.#cacheHits = cache().hits;
        r.observe(this.#cacheHits);
      });
    meter
      .createObservableCounter('plinth.validation.cache.misses', {
        description: 'Compiled-validator cache misses',
      })
      .addCallback((r) => {
        this.#cacheMisses = cache().misses;
        r.observe(this.#cacheMisses);
      });
    this.#failures = meter.createCounter('plinth.validation.failures', {
      description: 'Failed validations, by format',
    });
    this.#compile = meter.createHistogram('plinth.validation.compile.duration', {
      description: 'Schema compile time',
      unit: 'ms',
    });
    this.#compat = meter.createHistogram('plinth.validation.compatibility.duration', {
      description: 'Compatibility check time',
      unit: 'ms',
    });
    this.#quality = meter.createHistogram('plinth.validation.quality.duration', {
      description: 'Data-quality suite time',
      unit: 'ms',
    });
  }

  failure(format: string): void {
    this.#failures?.add(1, { format });
  }
  compiled(format: string, ms: number, cached: boolean): void {
    this.#compile?.record(ms, { format, cached });
  }
  compatibility(format: string, ms: number, compatible: boolean): void {
    this.#compat?.record(ms, { format, compatible });
  }
  quality(suite: string, ms: number, status: string): void {
    this.#quality?.record(ms, { suite, status });
  }
}

/** `metrics.getMeter('@plinth/validation')` when @opentelemetry/api is installed. */
export async function defaultMeter(): Promise<MeterLike | undefined> {
  try {
    const api = (await import('@opentelemetry/api')) as unknown as {
      metrics: { getMeter(name: string): MeterLike };
    };
    return api.metrics.getMeter('@plinth/validation');
  } catch {
    return undefined;
  }
}
