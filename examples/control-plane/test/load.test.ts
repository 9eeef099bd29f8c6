import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../src/load.js';
import { start, type Running } from './helpers.js';

let svc: Running;
beforeAll(async () => {
  svc = await start();
});
afterAll(async () => {
  await svc.stop();
});

describe('the benchmark load generator', () => {
  it('drives a route and reports throughput, p99 and failures', async () => {
    const ok = await runLoad({
      url: `${svc.url}/healthz`,
      method: 'GET',
      connections: 2,
      duration: 1,
    });
    expect(ok.total).toBeGreaterThan(0);
    expect(ok.rps).toBeGreaterThan(0);
    expect([ok.errors, ok.non2xx]).toEqual([0, 0]);
    const missing = await runLoad({
      url: `${svc.url}/nope`,
      method: 'GET',
      connections: 1,
      duration: 1,
    });
    expect(missing.non2xx).toBe(missing.total);
  });
});
