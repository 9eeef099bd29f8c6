// Load generator for benchmarks/suites/control-plane.ts, run in its own process (fork) so the
// service under test does not share an event loop with autocannon.
import autocannon from 'autocannon';

process.once('message', async (job) => {
  try {
    const r = await autocannon({
      url: job.url,
      method: job.method,
      headers: job.headers,
      body: job.body,
      connections: job.connections,
      duration: job.duration,
    });
    process.send({
      rps: r.requests.average,
      p99: r.latency.p99,
      total: r.requests.total,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
    });
  } catch (error) {
    process.send({ error: String(error) });
  }
});
