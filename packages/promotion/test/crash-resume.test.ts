import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Promotion, StageView } from '../src/index.js';
import { tempDir } from './support/setup.js';

const worker = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawn(...args: string[]): ChildProcess {
  const child = fork(worker, args, {
    execPath: process.execPath,
    execArgv: ['--conditions=@plinth/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}

function messages<T>(child: ChildProcess, test: (m: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (test(m as T)) resolve(m as T);
    });
    child.once('error', reject);
  });
}

function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

interface Report {
  promotions: Promotion[];
  stage: StageView;
  calls: string[];
}

async function resume(path: string): Promise<Report> {
  const child = spawn(path, 'resume');
  const report = await messages<Report>(child, (m) => 'promotions' in (m as object));
  await exited(child);
  return report;
}

const HAPPY = ['requested', 'awaiting_approval', 'gating', 'promoting', 'verifying', 'succeeded'];

describe('crash and resume (SQLite, separate processes)', () => {
  it.each(['requested', 'awaiting_approval', 'gating', 'promoting', 'verifying'])(
    'a process killed right after "%s" committed is resumed by a new process to the end',
    async (state) => {
      const path = join(tempDir(), 'crash.db');
      const first = spawn(path, 'crash', state);
      const died = await exited(first);
      expect(died.signal).toBe('SIGKILL');
      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      const report = await resume(path);
      expect(report.promotions).toHaveLength(1);
      const p = report.promotions[0]!;
      expect(p.state).toBe('succeeded');
      // Every state entered exactly once, in order: the machine was never half-moved.
      expect(p.transitions.map((t) => t.state)).toEqual(HAPPY);
      expect(report.stage.releases.map((r) => [r.releaseId, r.verified])).toEqual([['v1', true]]);
      expect(report.stage.active).toBeUndefined();
      // The deploy ran in the resumed process only if the crash came before it finished.
      const before = HAPPY.indexOf(state) < HAPPY.indexOf('verifying');
      expect(report.calls).toEqual(before ? ['promote:v1'] : []);
    },
    60_000,
  );

  it('a process killed inside a hanging deploy handler is resumed: the deploy is retried', async () => {
    const path = join(tempDir(), 'hang.db');
    const first = spawn(path, 'hang');
    await messages(first, (m) => (m as { inHandler?: boolean }).inHandler === true);
    first.kill('SIGKILL');
    expect((await exited(first)).signal).toBe('SIGKILL');
    const report = await resume(path);
    expect(report.promotions[0]?.state).toBe('succeeded');
    expect(report.calls).toEqual(['promote:v1']);
    expect(report.promotions[0]?.handler?.outputs).toEqual({ deployed: 'v1' });
  }, 60_000);

  it('a process killed after the rollback decision runs the rollback handler on resume', async () => {
    const path = join(tempDir(), 'rollback.db');
    const first = spawn(path, 'crash', 'rolled_back');
    expect((await exited(first)).signal).toBe('SIGKILL');
    const report = await resume(path);
    const v2 = report.promotions.find((p) => p.releaseId === 'v2')!;
    expect(v2.state).toBe('rolled_back');
    expect(v2.rollback).toMatchObject({ status: 'done', targetReleaseId: 'v1' });
    expect(report.calls).toEqual(['rollback:v1']);
    expect(report.stage.releases.map((r) => [r.releaseId, r.via])).toEqual([['v1', 'rollback']]);
    expect(report.stage.active).toBeUndefined();
  }, 60_000);
});
