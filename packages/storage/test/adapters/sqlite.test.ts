import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock, isPlinthError } from '@plinth/core';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type {
  CommitRefusal,
  CommitResult,
  PutWrite,
  StoredRecord,
  Write,
} from '../../src/adapter.js';
import {
  type SqliteAdapterOptions,
  sqliteAdapter,
  type SqliteAdapter,
} from '../../src/adapters/sqlite.js';
import { encodeIndexValue } from '../../src/internal/index-value.js';
import { runAdapterSuite } from '../../src/testing/adapter-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'plinth-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function tempPath(): string {
  return join(dir, `db-${files++}.sqlite`);
}

runAdapterSuite({
  name: 'sqlite (file)',
  create: async () => {
    const adapter = sqliteAdapter({ path: tempPath() });
    await adapter.open();
    return adapter;
  },
});

runAdapterSuite({
  name: 'sqlite (:memory:)',
  create: async () => {
    const adapter = sqliteAdapter({ path: ':memory:' });
    await adapter.open();
    return adapter;
  },
});

function put(key: string, doc: unknown = {}, space = 's'): PutWrite {
  return {
    op: 'put',
    space,
    key,
    format: 0,
    data: JSON.stringify(doc),
    expiresAt: null,
    indexes: [],
  };
}

function isRefusal(r: CommitResult | CommitRefusal): r is CommitRefusal {
  return 'reason' in r;
}

async function ok(adapter: SqliteAdapter, writes: Write[]): Promise<CommitResult> {
  const r = await adapter.commit({ checks: [], writes, now: 0 });
  if (isRefusal(r)) expect.fail(`unexpected refusal ${r.reason}`);
  return r;
}

const opened: SqliteAdapter[] = [];
async function open(options: SqliteAdapterOptions): Promise<SqliteAdapter> {
  const adapter = sqliteAdapter(options);
  opened.push(adapter);
  await adapter.open();
  return adapter;
}
afterEach(async () => {
  for (const adapter of opened.splice(0)) await adapter.close();
});

const worker = fileURLToPath(new URL('../fixtures/sqlite-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function spawnWorker(...args: string[]): ChildProcess {
  const child = fork(worker, args, {
    execPath: process.execPath,
    execArgv: ['--conditions=@plinth/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}

function nextMessage<T>(child: ChildProcess, test: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!test(m as T)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`worker exited (${code}) before the message`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('sqliteAdapter options', () => {
  it('validates options with E_INVALID_OPTION', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { path: '' },
      { path: 'x', tablePrefix: 'Plinth-' },
      { path: 'x', tablePrefix: '1abc' },
      { path: 'x', synchronous: 'OFF' },
      { path: 'x', busyTimeoutMs: -1 },
      { path: 'x', pollIntervalMs: 1.5 },
      { path: 'x', clock: {} },
      { path: 'x', driver: 'better-sqlite3' },
      { path: 'x', busyTimeout: 10 },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        sqliteAdapter(options as SqliteAdapterOptions);
      } catch (e) {
        error = e;
      }
      expect(isPlinthError(error, 'E_INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
    expect(() => sqliteAdapter({ path: 'x', tablePrefix: 'my_app_2_' })).not.toThrow();
  });

  it('reports its capabilities', () => {
    expect(sqliteAdapter({ path: ':memory:' }).capabilities).toEqual({
      structuredValues: false,
      crossInstanceNotifications: false,
      durable: false,
    });
    expect(sqliteAdapter({ path: 'x.db', pollIntervalMs: 50 }).capabilities).toEqual({
      structuredValues: false,
      crossInstanceNotifications: true,
      durable: true,
    });
    expect(sqliteAdapter({ path: 'x.db' }).name).toBe('sqlite');
  });
});

describe('sqlite driver loading', () => {
  it('fails with E_DRIVER_MISSING saying how to install when better-sqlite3 cannot be imported', async () => {
    const notFound = Object.assign(new Error("Cannot find package 'better-sqlite3'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const adapter = sqliteAdapter({ path: ':memory:', driver: () => Promise.reject(notFound) });
    const error: unknown = await adapter.open().catch((e: unknown) => e);
    expect(isPlinthError(error, 'E_DRIVER_MISSING')).toBe(true);
    expect((error as Error).message).toContain('npm install better-sqlite3');
    expect((error as Error).cause).toBe(notFound);
    const wrong = sqliteAdapter({ path: ':memory:', driver: async () => ({ default: 42 }) });
    await expect(wrong.open()).rejects.toMatchObject({ code: 'E_DRIVER_MISSING' });
  });

  it('accepts a constructor or a loader returning the module', async () => {
    const direct = await open({ path: ':memory:', driver: Database });
    expect((await ok(direct, [put('a')])).lastSeq).toBe(1);
    const loaded = await open({ path: ':memory:', driver: () => import('better-sqlite3') });
    expect((await ok(loaded, [put('a')])).lastSeq).toBe(1);
  });

  it('wraps engine failures in E_ADAPTER with the driver error as cause', async () => {
    const adapter = sqliteAdapter({ path: join(dir, 'no', 'such', 'dir', 'x.sqlite') });
    const error: unknown = await adapter.open().catch((e: unknown) => e);
    expect(isPlinthError(error, 'E_ADAPTER')).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
    await adapter.close();
  });
});

describe('sqlite adapter', () => {
  it('keeps records, versions, feed and sequence across a reopen', async () => {
    const path = tempPath();
    const first = await open({ path });
    await ok(first, [put('a', { n: 1 }), put('b', { n: 2 })]);
    await ok(first, [put('a', { n: 3 })]);
    const before = {
      records: await first.scanKeys({
        kind: 'keys',
        space: 's',
        reverse: false,
        limit: 10,
        now: 0,
      }),
      feed: await first.readChanges(0, 10),
      seq: await first.lastSeq(),
    };
    await first.close();
    await first.close(); // idempotent
    await expect(first.get('s', 'a')).rejects.toMatchObject({ code: 'E_CLOSED' });
    await expect(first.open()).rejects.toMatchObject({ code: 'E_CLOSED' });

    const again = await open({ path });
    expect(
      await again.scanKeys({ kind: 'keys', space: 's', reverse: false, limit: 10, now: 0 }),
    ).toEqual(before.records);
    expect(before.records.map((r) => r.version)).toEqual([3, 2]);
    expect(await again.readChanges(0, 10)).toEqual(before.feed);
    expect(await again.lastSeq()).toBe(3);
    expect(await ok(again, [put('c')])).toEqual({ firstSeq: 4, lastSeq: 4 });
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('keeps tables of different prefixes apart', async () => {
    const path = tempPath();
    const a = await open({ path });
    const b = await open({ path, tablePrefix: 'other_' });
    await ok(a, [put('x')]);
    expect(await b.get('s', 'x')).toBeUndefined();
    expect(await b.lastSeq()).toBe(0);
    const raw = new Database(path, { readonly: true });
    const tables = raw
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    raw.close();
    expect(tables).toEqual([
      'other_changes',
      'other_index_entries',
      'other_meta',
      'other_records',
      'plinth_changes',
      'plinth_index_entries',
      'plinth_meta',
      'plinth_records',
    ]);
  });

  it('turns a UNIQUE violation raised by the engine into a unique refusal and rolls back', async () => {
    // A trigger plants a competing claim after the adapter's own check, as another process could.
    const path = tempPath();
    const adapter = await open({ path });
    const value = encodeIndexValue(['taken']);
    const raw = new Database(path);
    raw.exec(`CREATE TRIGGER ghost AFTER INSERT ON plinth_records WHEN NEW.key = 'b' BEGIN
      INSERT INTO plinth_index_entries (space, idx, value, key, uniq)
      VALUES ('s', 'u', X'${Buffer.from(value).toString('hex')}', 'ghost', 1); END`);
    raw.close();
    const r = await adapter.commit({
      checks: [],
      writes: [put('a'), { ...put('b'), indexes: [{ index: 'u', value, unique: true }] }],
      now: 0,
    });
    expect(r).toEqual({ reason: 'unique', space: 's', index: 'u', key: 'b', holder: 'ghost' });
    expect(await adapter.get('s', 'a')).toBeUndefined();
    expect(await adapter.lastSeq()).toBe(0);
    expect(await adapter.readChanges(0, 10)).toEqual([]);
  });

  it('fails with a retryable E_BUSY while another connection holds the write lock, without blocking the event loop', async () => {
    const path = tempPath();
    const adapter = await open({ path, busyTimeoutMs: 300 });
    await ok(adapter, [put('a')]);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      expect((await adapter.get('s', 'a'))?.version).toBe(1); // WAL: readers are not blocked
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      const started = Date.now();
      const error: unknown = await adapter
        .commit({ checks: [], writes: [put('b')], now: 0 })
        .catch((e: unknown) => e);
      clearInterval(ticker);
      expect(isPlinthError(error, 'E_BUSY')).toBe(true);
      expect((error as { retryable: boolean }).retryable).toBe(true);
      expect(((error as Error).cause as { code: string }).code).toMatch(/^SQLITE_BUSY/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(ticks).toBeGreaterThanOrEqual(5);
      expect(await adapter.get('s', 'b')).toBeUndefined();
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
    }

    // Released while the commit is retrying: it succeeds before its timeout.
    const slow = await open({ path, busyTimeoutMs: 5_000 });
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 100);
    const started = Date.now();
    try {
      const r = await slow.commit({ checks: [], writes: [put('b')], now: 0 });
      expect(r).toEqual({ firstSeq: 2, lastSeq: 2 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      clearTimeout(release);
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('waits for a lock on the injected clock', async () => {
    const path = tempPath();
    const clock = new ManualClock(0);
    const adapter = await open({ path, clock, busyTimeoutMs: 200 });
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      let settled = false;
      const pending = adapter
        .commit({ checks: [], writes: [put('a')], now: 0 })
        .finally(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      expect(clock.pendingTimers).toBe(1); // the backoff sleep
      other.exec('COMMIT');
      await clock.advanceAsync(100);
      expect(await pending).toEqual({ firstSeq: 1, lastSeq: 1 });

      other.exec('BEGIN IMMEDIATE');
      const failing = adapter
        .commit({ checks: [], writes: [put('b')], now: 0 })
        .catch((e: unknown) => e);
      await clock.advanceAsync(200);
      expect(isPlinthError(await failing, 'E_BUSY')).toBe(true);
      expect(clock.now()).toBe(300);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('announces commits of another connection when polling (manual clock)', async () => {
    const path = tempPath();
    const clock = new ManualClock(0);
    const watcher = await open({ path, pollIntervalMs: 100, clock });
    const writer = await open({ path });
    const heard: number[] = [];
    const stop = await watcher.watch((seq) => heard.push(seq));
    await ok(writer, [put('a'), put('b')]);
    clock.advance(99);
    await Promise.resolve();
    expect(heard).toEqual([]);
    clock.advance(1);
    await Promise.resolve();
    expect(heard).toEqual([2]);
    clock.advance(500); // nothing new
    await ok(watcher, [put('c')]); // own commit: announced once, not again by the poll
    await Promise.resolve();
    clock.advance(100);
    await Promise.resolve();
    expect(heard).toEqual([2, 3]);
    await stop();
    expect(clock.pendingTimers).toBe(0);
    await ok(writer, [put('d')]);
    clock.advance(1_000);
    await Promise.resolve();
    expect(heard).toEqual([2, 3]);
  });

  it('does not poll without pollIntervalMs, and close stops the poll timer', async () => {
    const clock = new ManualClock(0);
    const quiet = await open({ path: tempPath(), clock });
    await quiet.watch(() => {});
    expect(clock.pendingTimers).toBe(0);
    const polling = await open({ path: tempPath(), clock, pollIntervalMs: 10 });
    await polling.watch(() => {});
    expect(clock.pendingTimers).toBe(1);
    await polling.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('sqlite adapter across OS processes', () => {
  it('two processes doing compare-and-set increments lose no update', async () => {
    const path = tempPath();
    const n = 200;
    const setup = await open({ path });
    await setup.close();
    const a = spawnWorker('counter', path, String(n));
    const b = spawnWorker('counter', path, String(n));
    await Promise.all([nextMessage(a), nextMessage(b)]);
    const done = Promise.all([
      nextMessage<{ done: number; conflicts: number }>(a, (m) => 'done' in m),
      nextMessage<{ done: number; conflicts: number }>(b, (m) => 'done' in m),
    ]);
    a.send('go');
    b.send('go');
    const results = await done;
    expect(results.map((r) => r.done)).toEqual([n, n]);
    expect((await exited(a)).code).toBe(0);
    expect((await exited(b)).code).toBe(0);

    const adapter = await open({ path });
    const counter = (await adapter.get('c', 'counter')) as StoredRecord;
    expect(JSON.parse(counter.data as string)).toEqual({ n: 2 * n });
    expect(counter.version).toBe(2 * n);
    expect(await adapter.lastSeq()).toBe(2 * n);
    // The processes really raced: some compare-and-sets were refused and retried.
    expect(results[0].conflicts + results[1].conflicts).toBeGreaterThan(0);
  }, 60_000);

  it('a process killed mid-write leaves only whole batches and a gapless feed', async () => {
    const path = tempPath();
    const k = 25;
    const child = spawnWorker('crash', path, String(k));
    let acked = 0;
    await nextMessage<{ batch: number }>(child, (m) => {
      acked = m.batch;
      return m.batch >= 8;
    });
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');

    const raw = new Database(path);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const adapter = await open({ path });
    const records = await adapter.scanKeys({
      kind: 'keys',
      space: 'crash',
      reverse: false,
      limit: 1e6,
      now: 0,
    });
    const progress = records.find((r) => r.key === 'progress');
    const last = (JSON.parse(progress?.data as string) as { batch: number }).batch;
    expect(last).toBeGreaterThanOrEqual(acked);
    const perBatch = new Map<number, number>();
    for (const r of records) {
      if (r.key === 'progress') continue;
      const { batch } = JSON.parse(r.data as string) as { batch: number };
      perBatch.set(batch, (perBatch.get(batch) ?? 0) + 1);
    }
    expect([...perBatch.keys()].sort((x, y) => x - y)).toEqual(
      Array.from({ length: last }, (_, i) => i + 1),
    );
    expect([...perBatch.values()].every((count) => count === k)).toBe(true);

    const seq = await adapter.lastSeq();
    expect(seq).toBe(last * (k + 1));
    const feed = await adapter.readChanges(0, 1e6);
    expect(feed.map((c) => c.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(await ok(adapter, [put('after', {}, 'crash')])).toEqual({
      firstSeq: seq + 1,
      lastSeq: seq + 1,
    });
  }, 60_000);

  it('a process killed INSIDE a transaction (half its rows written) leaves it absent and the rest intact', async () => {
    const path = tempPath();
    const k = 4000; // ~4 MB per transaction: more than the page cache, so pages reach the WAL
    const child = fork(worker, ['crash-mid', path, String(k)], {
      execPath: process.execPath,
      execArgv: ['--conditions=@plinth/source', '--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('mid')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "mid"`)));
    });
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');

    const raw = new Database(path);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    const adapter = await open({ path });
    const records = await adapter.scanKeys({
      kind: 'keys',
      space: 'crash',
      reverse: false,
      limit: 1e6,
      now: 0,
    });
    const batches = new Map<number, number>();
    for (const r of records) {
      if (r.key === 'progress') continue;
      const { batch } = JSON.parse(r.data as string) as { batch: number };
      batches.set(batch, (batches.get(batch) ?? 0) + 1);
    }
    expect([...batches]).toEqual([
      [1, k],
      [2, k],
    ]);
    const progress = records.find((r) => r.key === 'progress');
    expect(JSON.parse(progress?.data as string)).toEqual({ batch: 2 });
    const seq = await adapter.lastSeq();
    expect(seq).toBe(2 * (k + 1));
    const feed = await adapter.readChanges(0, 1e6);
    expect(feed.map((c) => c.seq)).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(await ok(adapter, [put('after', {}, 'crash')])).toEqual({
      firstSeq: seq + 1,
      lastSeq: seq + 1,
    });
  }, 60_000);

  it('watch hears commits made by another process when polling', async () => {
    const path = tempPath();
    const adapter = await open({ path, pollIntervalMs: 20 });
    expect(adapter.capabilities.crossInstanceNotifications).toBe(true);
    const heard: number[] = [];
    await adapter.watch((seq) => heard.push(seq));
    const child = spawnWorker('commit', path, 'from-child');
    const { seq } = await nextMessage<{ seq: number }>(child);
    expect(seq).toBe(1);
    await vi.waitFor(() => expect(heard).toEqual([1]), { timeout: 5_000, interval: 10 });
    expect((await adapter.get('w', 'from-child'))?.version).toBe(1);
  }, 30_000);
});
