import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@plinth/registry';
import { openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import semver from 'semver';
import { defineSuite } from '../src/harness.js';

const RANGES = ['^5.3', '~7.2', '>=3.0.0 <4.0.0', '9.x', '^1.2.3 || ^8.1', '2.40 - 2.60', '<0.50'];

let dir: string | undefined;
let store: Store | undefined;
let registry: Registry | undefined;

/**
 * 10,000 versions: majors 0–9 × minors 0–99 × patches 0–9. The smoke run (which measures
 * nothing) uses 1,000 (patch 0 only) so that setting up stays within its time budget.
 */
const SMOKE = process.argv.includes('--smoke') || process.env.PLINTH_BENCH_SMOKE === '1';
function tenThousand(): string[] {
  const out: string[] = [];
  const patches = SMOKE ? 1 : 10;
  for (let a = 0; a < 10; a++)
    for (let b = 0; b < 100; b++) for (let c = 0; c < patches; c++) out.push(`${a}.${b}.${c}`);
  return out;
}

async function open(): Promise<{ store: Store; registry: Registry }> {
  dir = mkdtempSync(join(tmpdir(), 'plinth-bench-registry-'));
  store = await openStore({ adapter: sqliteAdapter({ path: join(dir, 'registry.db') }) });
  registry = await new Registry({ store, usageFlushMs: 5000 }).open();
  return { store, registry };
}

export default defineSuite({
  name: 'registry',
  description:
    '@plinth/registry on SQLite: range resolution over 10,000 versions of one artifact (indexed, ' +
    'vs semver.maxSatisfying over the same list), publish of 1 KB artifacts one per transaction ' +
    'and batched (vs a bare @plinth/storage transaction writing one 1 KB document), and fetch of ' +
    'metadata + content by range (vs semver.maxSatisfying + a Map lookup over 100 versions). ' +
    'Reads run before the publish cases so they measure a settled registry.',
  async cases() {
    const { store: s, registry: reg } = await open();
    const versions = tenThousand();
    for (let i = 0; i < versions.length; i += 1000) {
      await reg.publishMany(
        versions.slice(i, i + 1000).map((v) => ({
          artifact: 'bench/big',
          kind: 'config',
          version: v,
          content: `content of ${v}`,
        })),
      );
    }
    const small = versions.filter((v) => v.startsWith('1.')).slice(0, SMOKE ? 20 : 100);
    await reg.publishMany(
      small.map((v) => ({
        artifact: 'bench/fetch',
        kind: 'config',
        version: v,
        content: randomBytes(1024),
      })),
    );
    const smallBytes = new Map(small.map((v) => [v, randomBytes(1024)]));
    s.defineCollections({ 'bench.raw': {} });
    const payload = randomBytes(1024);
    let pubN = 0;
    let batchN = 0;
    let rawN = 0;
    let r = 0;
    const nextRange = () => RANGES[r++ % RANGES.length] as string;
    return [
      {
        name: 'resolve a range over 10,000 versions',
        batch: 200,
        target: { minRatio: 100 },
        async verify() {
          for (const range of RANGES) {
            const ours = (await reg.resolve(`bench/big@${range}`)).version;
            const anchor = semver.maxSatisfying(versions, range);
            if (ours !== anchor) throw new Error(`${range}: ours ${ours}, semver ${anchor}`);
          }
        },
        ours: {
          name: 'registry.resolve',
          async fn(n) {
            let last;
            for (let i = 0; i < n; i++) last = await reg.resolve(`bench/big@${nextRange()}`);
            return last;
          },
        },
        anchors: [
          {
            name: 'semver.maxSatisfying',
            fn(n) {
              let last;
              for (let i = 0; i < n; i++) last = semver.maxSatisfying(versions, nextRange());
              return last;
            },
          },
        ],
      },
      {
        name: 'fetch metadata + content by range',
        batch: 500,
        target: { minOpsPerSec: 100_000 },
        async verify() {
          const got = await reg.fetch('bench/fetch@^1.2');
          if (
            got.version.version !== semver.maxSatisfying(small, '^1.2') ||
            got.content.byteLength !== 1024
          ) {
            throw new Error('fetch returned the wrong version');
          }
        },
        ours: {
          name: 'registry.fetch',
          async fn(n) {
            let last;
            for (let i = 0; i < n; i++)
              last = await reg.fetch(i % 2 === 0 ? 'bench/fetch@^1.2' : 'bench/fetch@~1.5.0');
            return last;
          },
        },
        anchors: [
          {
            name: 'maxSatisfying + Map.get (100 versions)',
            fn(n) {
              let last;
              for (let i = 0; i < n; i++) {
                const v = semver.maxSatisfying(small, i % 2 === 0 ? '^1.2' : '~1.5.0');
                last = v === null ? undefined : smallBytes.get(v);
              }
              return last;
            },
          },
        ],
      },
      {
        name: 'publish 1 KB, one per transaction',
        batch: 50,
        target: { minOpsPerSec: 5000 },
        ours: {
          name: 'registry.publish',
          async fn(n) {
            for (let i = 0; i < n; i++) {
              const k = pubN++;
              const content = Buffer.from(payload);
              content.writeUInt32BE(k, 0);
              await reg.publish({
                artifact: `bench/pub${k % 50}`,
                kind: 'binary',
                version: `1.0.${k}`,
                content,
              });
            }
          },
        },
        anchors: [
          {
            name: 'storage transaction, one 1 KB doc',
            async fn(n) {
              for (let i = 0; i < n; i++) {
                const k = rawN++;
                await s.transaction(async (tx) => {
                  await tx
                    .collection('bench.raw')
                    .put(`k${k}`, { data: payload.toString('base64') });
                });
              }
            },
          },
        ],
      },
      {
        name: 'publish 1 KB, batched (publishMany of 200)',
        batch: 200,
        target: { minOpsPerSec: 20_000 },
        ours: {
          name: 'registry.publishMany',
          async fn(n) {
            const inputs = [];
            for (let i = 0; i < n; i++) {
              const k = batchN++;
              const content = Buffer.from(payload);
              content.writeUInt32BE(k, 0);
              inputs.push({
                artifact: `bench/batch${k % 20}`,
                kind: 'binary',
                version: `2.0.${k}`,
                content,
              });
            }
            await reg.publishMany(inputs);
          },
        },
        anchors: [
          {
            name: 'storage transaction, n 1 KB docs',
            async fn(n) {
              await s.transaction(async (tx) => {
                for (let i = 0; i < n; i++) {
                  await tx
                    .collection('bench.raw')
                    .put(`b${rawN++}`, { data: payload.toString('base64') });
                }
              });
            },
          },
        ],
      },
    ];
  },
  async measurements(settings) {
    const reg = registry as Registry;
    const n = settings.smoke ? 200 : 20_000;
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const range = RANGES[i % RANGES.length] as string;
      const t0 = process.hrtime.bigint();
      await reg.resolve(`bench/big@${range}`);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    samples.sort((a, b) => a - b);
    const p = (q: number) =>
      samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
    return [
      {
        name: 'resolve p50 over 10,000 versions',
        value: Number(p(0.5).toFixed(2)),
        unit: 'µs',
        target: { max: 20 },
        note: `p99 ${p(0.99).toFixed(2)} µs over ${n} calls, ${RANGES.length} ranges`,
      },
    ];
  },
  async teardown() {
    await registry?.close();
    await store?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
});
