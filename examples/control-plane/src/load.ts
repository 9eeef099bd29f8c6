import autocannon from 'autocannon';

/**
 * The load generator of `benchmarks/suites/control-plane.ts`: autocannon against a running
 * service. The suite forks this module (env `PLINTH_LOAD_CHILD=1`) so the load does not share an
 * event loop with the service under test.
 */
export interface LoadJob {
  readonly url: string;
  readonly method: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly connections: number;
  /** Seconds. */
  readonly duration: number;
}

export interface LoadResult {
  readonly rps: number;
  /** Milliseconds. */
  readonly p99: number;
  readonly total: number;
  readonly errors: number;
  readonly non2xx: number;
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const r = await autocannon({
    url: job.url,
    method: job.method,
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    duration: job.duration,
  });
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    total: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

if (process.env.PLINTH_LOAD_CHILD === '1' && process.send !== undefined) {
  process.once('message', (job) => {
    runLoad(job as LoadJob).then(
      (result) => process.send?.(result),
      (error: unknown) => process.send?.({ error: String(error) }),
    );
  });
}
