import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { postgresAdapter } from '@plinth/storage/adapters/postgres';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach } from 'vitest';
import { PromotionEngine, type PromotionEvents, type PromotionOptions } from '../../src/index.js';

export const START = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday, noon UTC

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'plinth-promotion-'));
  dirs.push(d);
  return d;
}

/** A store on a fresh PostgreSQL schema, dropped after the test. */
async function postgresStore(url: string): Promise<Store> {
  const schema = `plinth_promo_${randomBytes(5).toString('hex')}`;
  const store = await openStore({
    adapter: postgresAdapter({ url, schema, poolSize: 4 }),
    purgeIntervalMs: 0,
  });
  // Runs after the engine and store closers (closers run in reverse).
  closers.unshift(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  return store;
}

const PG_URL = process.env.PLINTH_PG_URL;

/**
 * The adapters the main suite runs on: memory and SQLite always, PostgreSQL as well when
 * PLINTH_PG_URL is set (the multi-instance file gates on it with describeWithService).
 */
export const ADAPTERS: ReadonlyArray<readonly [string, () => Promise<Store>]> = [
  ['memory', () => openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 })],
  [
    'sqlite',
    () =>
      openStore({ adapter: sqliteAdapter({ path: join(tempDir(), 'p.db') }), purgeIntervalMs: 0 }),
  ],
  ...(PG_URL !== undefined && PG_URL !== ''
    ? [['postgres', () => postgresStore(PG_URL)] as const]
    : []),
];

export interface Harness {
  readonly engine: PromotionEngine;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly events: Array<{ name: keyof PromotionEvents; payload: unknown }>;
  /** Lets the engine settle, advancing the manual clock by `ms` first. */
  advance(ms: number): Promise<void>;
  settle(): Promise<void>;
  names(): string[];
}

export async function harness(
  openStoreFn: () => Promise<Store>,
  options: Omit<PromotionOptions, 'store' | 'clock'> & { clock?: ManualClock } = {},
): Promise<Harness> {
  const store = await openStoreFn();
  const clock = options.clock ?? new ManualClock(START);
  const engine = new PromotionEngine({ resumeIntervalMs: 0, ...options, store, clock });
  const events: Harness['events'] = [];
  engine.subscribe((name, payload) => events.push({ name, payload }));
  await engine.open();
  closers.push(async () => {
    await engine.close();
    await store.close();
  });
  const settle = () => settleEngine(engine, store);
  return {
    engine,
    store,
    clock,
    events,
    settle,
    async advance(ms: number) {
      await settle();
      await clock.advanceAsync(ms);
      await settle();
    },
    names: () => events.map((e) => e.name),
  };
}

/**
 * Waits until the engine is idle, or until it has stopped making progress — nothing committed to
 * the store for a while although a step is in flight: it waits on the manual clock (a timeout,
 * a retry delay) or on a hanging host function.
 */
export async function settleEngine(engine: PromotionEngine, store: Store): Promise<void> {
  let lastCommit = Date.now();
  const onCommit = () => (lastCommit = Date.now());
  store.on('store:committed', onCommit);
  try {
    for (let round = 0; round < 5; round++) {
      let idle = false;
      void engine.idle().then(() => (idle = true));
      for (let i = 0; i < 50 && !idle; i++) await new Promise((r) => setImmediate(r));
      // Network round trips (PostgreSQL on a loaded machine) need a wider window.
      const quiet = store.adapter.name === 'postgres' ? 1000 : 150;
      while (!idle && Date.now() - lastCommit < quiet) await new Promise((r) => setTimeout(r, 2));
      if (!idle) return;
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    store.off('store:committed', onCommit);
  }
}

export function registerCloser(fn: () => Promise<void>): void {
  closers.push(fn);
}
