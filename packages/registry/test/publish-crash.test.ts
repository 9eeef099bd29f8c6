import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@plinth/core';
import { openStore } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { afterAll, expect, it } from 'vitest';
import { Registry, fsBlobStore, storageBlobStore } from '../src/index.js';
import { ARTIFACT, KINDS, contentOf, type Kind } from './fixtures/publish-content.js';

const dir = mkdtempSync(join(tmpdir(), 'plinth-publish-crash-'));
const worker = fileURLToPath(new URL('./fixtures/publish-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const ROUNDS = 20;
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A worker that has loaded its modules and waits for 'go'. */
function spawnLoaded(): Promise<ChildProcess> {
  const child = fork(worker, [dir], {
    execPath: process.execPath,
    execArgv: ['--conditions=@plinth/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) while loading`)));
  });
}

type Ack = { kind: Kind; version: string; digest: string };

/** Lets `child` publish until `acks` acknowledgements plus `extraMs`, then kill -9. */
async function publishAndKill(child: ChildProcess, acks: number, extraMs: number): Promise<Ack[]> {
  const acked: Ack[] = [];
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: Ack) => {
      acked.push(m);
      // A random moment after the wanted acknowledgements: between two publishes, or inside one
      // (blob written and metadata not, or the transaction half-way through its commit).
      if (acked.length === acks) setTimeout(resolve, extraMs);
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was killed`)));
    child.send('go');
  });
  child.removeAllListeners('exit');
  const exited = new Promise<string | null>((r) => child.once('exit', (_c, signal) => r(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return acked; // messages still in the pipe were acknowledged too, and are included
}

async function openAs(kind: Kind) {
  const store = await openStore({ adapter: sqliteAdapter({ path: join(dir, `${kind}.sqlite`) }) });
  const blobs =
    kind === 'fs' ? fsBlobStore({ root: join(dir, 'fs-blobs') }) : storageBlobStore({ store });
  const registry = await new Registry({ store, blobs, usageFlushMs: 0 }).open();
  return {
    registry,
    close: async () => {
      await registry.close();
      await store.close();
    },
  };
}

it(`kill -9 during publish on SQLite (storage and fs blob stores): after each of ${ROUNDS} kills every acknowledged version is intact, nothing half-written is visible, and publishing goes on`, async () => {
  const random = seededRandom(13);
  const acked = new Map<string, string>(); // `${kind} ${version}` → digest
  const listed: Record<Kind, number> = { storage: 0, fs: 0 };
  let next = spawnLoaded();
  for (let round = 0; round < ROUNDS; round++) {
    const child = await next;
    const acks = 1 + Math.floor(random() * 4);
    const got = await publishAndKill(child, acks, Math.floor(random() * 30));
    next = spawnLoaded(); // loads while this round is checked
    for (const a of got) acked.set(`${a.kind} ${a.version}`, a.digest);

    for (const kind of KINDS) {
      const { registry, close } = await openAs(kind);
      try {
        const versions = await registry.listVersions(ARTIFACT, { includeDeleted: true });
        const seen = new Set(versions.map((v) => v.version));
        for (const [key, digest] of acked) {
          const [k, version] = key.split(' ') as [Kind, string];
          if (k !== kind) continue;
          expect(seen.has(version), `acknowledged ${key} is listed`).toBe(true);
          expect((await registry.fetch(`${ARTIFACT}@${version}`)).version.digest).toBe(digest);
        }
        // Every listed version, acknowledged or not, has its whole content.
        for (const v of versions) {
          const { content } = await registry.fetch(`${ARTIFACT}@${v.version}`);
          expect(sha256(content)).toBe(v.digest);
          const n = Number(v.version.split('.')[2]);
          expect(Buffer.from(content).equals(Buffer.from(contentOf(n)))).toBe(true);
        }
        // And versions are contiguous: none is listed past a missing one.
        expect(versions.map((v) => Number(v.version.split('.')[2]))).toEqual(
          Array.from({ length: versions.length }, (_, i) => i + 1),
        );
        listed[kind] = versions.length;
      } finally {
        await close();
      }
    }
  }
  (await next).kill('SIGKILL');
  // The next publish works on both (the workers also resumed after every kill).
  for (const kind of KINDS) {
    const { registry, close } = await openAs(kind);
    const n = listed[kind] + 1;
    const r = await registry.publish({
      artifact: ARTIFACT,
      kind: 'binary',
      version: `1.0.${n}`,
      content: contentOf(n),
    });
    expect(r.created).toBe(true);
    expect(sha256((await registry.fetch(`${ARTIFACT}@1.0.${n}`)).content)).toBe(r.version.digest);
    await close();
  }
  for (const kind of KINDS) expect(listed[kind]).toBeGreaterThan(ROUNDS / 2);
  console.log(
    `publish kill -9: ${ROUNDS} kills, ${acked.size} acknowledged versions intact; listed storage ${listed.storage}, fs ${listed.fs}, all whole`,
  );
}, 120_000);
