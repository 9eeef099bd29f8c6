import type {
  Attributes,
  BatchObservableCallback,
  Histogram,
  Meter,
  Observable,
} from '@opentelemetry/api';
import type { CacheStats } from '../types.js';

/**
 * OpenTelemetry instruments (meter `@plinth/cache`), loaded lazily: `@opentelemetry/api` is an
 * optional peer and without a registered provider its meter is a no-op. Counters are observable
 * (read from the plain counters the cache keeps anyway), so the hit path pays nothing for them;
 * only L2 operations record a latency histogram sample.
 */
export class Telemetry {
  #meter: Meter | undefined;
  #duration: Histogram | undefined;
  #callback: BatchObservableCallback | undefined;
  #observables: Observable[] = [];
  readonly #attributes: Attributes;
  readonly ready: Promise<void>;

  constructor(name: string, stats: () => CacheStats) {
    this.#attributes = { 'cache.name': name };
    this.ready = import('@opentelemetry/api').then(
      (api) => this.#setup(api.metrics.getMeter('@plinth/cache'), stats),
      () => undefined,
    );
  }

  #setup(meter: Meter, stats: () => CacheStats): void {
    this.#meter = meter;
    this.#duration = meter.createHistogram('plinth.cache.operation.duration', {
      description: 'Latency of cache operations per tier',
      unit: 'ms',
    });
    const hits = meter.createObservableCounter('plinth.cache.hits', {
      description: 'Reads answered, per tier',
    });
    const misses = meter.createObservableCounter('plinth.cache.misses', {
      description: 'Reads answered by no tier',
    });
    const evictions = meter.createObservableCounter('plinth.cache.evictions', {
      description: 'L1 entries evicted by the policy',
    });
    const l2Errors = meter.createObservableCounter('plinth.cache.l2.errors', {
      description: 'Failed L2 operations',
    });
    const hitRate = meter.createObservableGauge('plinth.cache.hit_ratio', {
      description: 'Hits over reads since start',
      unit: '1',
    });
    const available = meter.createObservableGauge('plinth.cache.l2.available', {
      description: '1 while L2 answers, 0 during an outage',
    });
    const entries = meter.createObservableGauge('plinth.cache.l1.entries', {
      description: 'Entries held in L1',
    });
    this.#observables = [hits, misses, evictions, l2Errors, hitRate, available, entries];
    const a = this.#attributes;
    this.#callback = (result) => {
      const s = stats();
      result.observe(hits, s.l1Hits, { ...a, 'cache.tier': 'l1' });
      result.observe(hits, s.l2Hits, { ...a, 'cache.tier': 'l2' });
      result.observe(hits, s.staleHits, { ...a, 'cache.tier': 'stale' });
      result.observe(misses, s.misses, a);
      result.observe(evictions, s.evictions, a);
      result.observe(l2Errors, s.l2Errors, a);
      result.observe(hitRate, s.hitRate, a);
      result.observe(available, s.l2Available ? 1 : 0, a);
      result.observe(entries, s.l1Entries, a);
    };
    meter.addBatchObservableCallback(this.#callback, this.#observables);
  }

  /** One latency sample (ms) for a tier's operation. */
  record(tier: 'l1' | 'l2', operation: string, ms: number, ok: boolean): void {
    this.#duration?.record(ms, {
      ...this.#attributes,
      'cache.tier': tier,
      'cache.operation': operation,
      'cache.ok': ok,
    });
  }

  close(): void {
    if (this.#meter !== undefined && this.#callback !== undefined) {
      this.#meter.removeBatchObservableCallback(this.#callback, this.#observables);
    }
    this.#callback = undefined;
  }
}
