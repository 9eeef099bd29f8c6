import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createControlPlane,
  type ControlPlane,
} from '../../examples/control-plane/src/control-plane.js';
import { defineSuite, type Measurement, type RunSettings } from '../src/harness.js';

/**
 * The control plane over HTTP on loopback (load from autocannon in a forked process) next to the
 * same request answered in-process through the packages' API, on one SQLite-backed service.
 */
const here = dirname(fileURLToPath(import.meta.url));
const RUNNER = join(here, '../../examples/control-plane/src/load.ts');

interface Load {
  rps: number;
  p99: number;
  total: number;
  errors: number;
  non2xx: number;
  error?: string;
}

function load(job: {
  url: string;
  method: string;
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  duration: number;
}): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = fork(RUNNER, [], {
      stdio: 'inherit',
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, PLINTH_LOAD_CHILD: '1' },
    });
    child.once('message', (m) => {
      child.kill();
      const r = m as Load;
      if (r.error !== undefined) reject(new Error(r.error));
      else if (r.errors > 0 || r.non2xx > 0 || r.total === 0) {
        reject(new Error(`load run had ${r.errors} errors and ${r.non2xx} non-2xx of ${r.total}`));
      } else resolve(r);
    });
    child.once('error', reject);
    child.send(job);
  });
}

async function inProcess(n: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < Math.min(100, n); i++) await fn(); // warm-up
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return { opsPerSec: (n / total) * 1000, p99Us: (times[Math.floor(n * 0.99)] ?? 0) * 1000 };
}

let cp: ControlPlane | undefined;
let dir: string | undefined;

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'currency', type: 'string', default: 'EUR' },
  ],
};

export default defineSuite({
  name: 'control-plane',
  description:
    'HTTP (Fastify, loopback, autocannon in a separate process) vs in-process: schema lookup by id and payload validation',
  cases: () => [],
  async measurements(settings: RunSettings): Promise<Measurement[]> {
    dir = mkdtempSync(join(tmpdir(), 'plinth-bench-cp-'));
    cp = await createControlPlane({ dataDir: dir });
    const url = await cp.listen(0, '127.0.0.1');
    const { registry, validators } = cp.services;
    const pub = await registry.publish({
      artifact: 'shop/orders',
      kind: 'schema',
      format: 'avro',
      schema: ORDER,
    });
    const id = pub.version.contentId;
    const payload = { id: 'o-1', amount: 12.5, currency: 'EUR' };
    const duration = settings.smoke ? 1 : 10;
    const n = settings.smoke ? 500 : 20_000;
    const connections = 10;
    const out: Measurement[] = [];

    const report = (
      what: string,
      http: Load,
      local: { opsPerSec: number; p99Us: number },
      min: number,
    ) => {
      out.push(
        {
          name: `${what}: HTTP req/s`,
          value: Math.round(http.rps),
          unit: 'req/s',
          target: { min },
          note: `${connections} connections, ${duration} s; in-process ${Math.round(local.opsPerSec)} ops/s (HTTP = ${((http.rps / local.opsPerSec) * 100).toFixed(1)} %)`,
        },
        { name: `${what}: HTTP p99`, value: http.p99, unit: 'ms', target: { max: 50 } },
        { name: `${what}: in-process ops/s`, value: Math.round(local.opsPerSec), unit: 'ops/s' },
        { name: `${what}: in-process p99`, value: Number(local.p99Us.toFixed(1)), unit: 'µs' },
      );
    };

    // Warm-up (JIT, connection pools, caches) so the first measured route is not penalised.
    if (!settings.smoke) {
      for (const path of [`/v1/schemas/${id}`, `/confluent/schemas/ids/${id}`]) {
        await load({ url: url + path, method: 'GET', connections, duration: 2 });
      }
      await load({
        url: `${url}/v1/artifacts/shop/orders/validate`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payload }),
        connections,
        duration: 2,
      });
    }
    const lookupHttp = await load({
      url: `${url}/v1/schemas/${id}`,
      method: 'GET',
      connections,
      duration,
    });
    const lookupLocal = await inProcess(n, () => registry.getContent(id));
    report('schema lookup by id', lookupHttp, lookupLocal, 2000);

    const confluentHttp = await load({
      url: `${url}/confluent/schemas/ids/${id}`,
      method: 'GET',
      connections,
      duration,
    });
    out.push({
      name: 'Confluent GET /schemas/ids/{id}: HTTP req/s',
      value: Math.round(confluentHttp.rps),
      unit: 'req/s',
      target: { min: 2000 },
      note: `p99 ${confluentHttp.p99} ms`,
    });

    const body = JSON.stringify({ payload });
    const validateHttp = await load({
      url: `${url}/v1/artifacts/shop/orders/validate`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      duration,
    });
    const validateLocal = await inProcess(n, async () => {
      const info = await registry.resolve('shop/orders@latest', { includeDeprecated: true });
      const v = await validators.get(info);
      if (!v.validate(payload).valid) throw new Error('payload should be valid');
    });
    report('payload validation', validateHttp, validateLocal, 2000);
    return out;
  },
  async teardown() {
    await cp?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
});
