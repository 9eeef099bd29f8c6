import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@plinth/core';
import { createCache } from '@plinth/cache';
import { PromotionEngine } from '@plinth/promotion';
import { Registry } from '@plinth/registry';
import { openStore } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { Validation } from '@plinth/validation';

/** One hour: how long a release soaks in dev before prod takes it. */
export const SOAK_MS = 3_600_000;

/**
 * Everything the quickstart composes, on one SQLite store in a temporary directory; `close()`
 * closes it all in reverse order and removes the directory. `deployments` records what the
 * engine's deploy step was asked to do (`stage: artifact@version`).
 */
export async function openServices(clock: Clock) {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-quickstart-'));
  const closers: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true })];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const store = await openStore({ adapter: sqliteAdapter({ path: join(dir, 'plinth.db') }) });
    closers.push(() => store.close());
    const validation = new Validation({ clock });
    closers.push(() => validation.close());
    const registry = await new Registry({ store, validation, clock }).open();
    closers.push(() => registry.close());
    const deployments: string[] = [];
    const engine = new PromotionEngine({
      store,
      clock,
      resolver: registry, // pins `name@range` artifact references to registry versions
      resumeIntervalMs: 0, // one instance: nobody else's stalled work to pick up
      pipelines: [
        {
          name: 'shop',
          stages: [
            { name: 'dev' },
            {
              name: 'prod',
              upstream: ['dev'],
              soakMs: SOAK_MS,
              approvals: { levels: [{ name: 'owners', required: 1, approvers: ['bob'] }] },
            },
          ],
        },
      ],
      promote: async ({ stage, release }) => {
        for (const a of release.artifacts) deployments.push(`${stage}: ${a.name}@${a.version}`);
      },
    });
    await engine.open();
    closers.push(() => engine.close());
    const cache = await createCache({ name: 'quickstart', ttl: 60_000, clock }); // L1 only
    closers.push(() => cache.close());
    return { dir, store, validation, registry, engine, cache, deployments, close };
  } catch (error) {
    await close();
    throw error;
  }
}
