import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReplayTable, replayTrace, seededRandom, zipfTrace } from '../../src/index.js';
import { runReplayCli } from '../../src/replay/cli.js';

describe('zipfTrace', () => {
  it('is deterministic per seed and skewed towards the top ranks', () => {
    const a = zipfTrace({ keys: 1_000, length: 20_000, seed: 7 });
    expect(zipfTrace({ keys: 1_000, length: 20_000, seed: 7 })).toEqual(a);
    expect(zipfTrace({ keys: 1_000, length: 20_000, seed: 8 })).not.toEqual(a);
    const counts = new Map<string, number>();
    for (const k of a) counts.set(k, (counts.get(k) ?? 0) + 1);
    const sorted = [...counts.values()].sort((x, y) => y - x);
    // Zipf(0.9) over 1000 keys: the top key takes ~13 % of accesses, the top 10 ~40 %.
    expect((sorted[0] as number) / a.length).toBeGreaterThan(0.08);
    expect(sorted.slice(0, 10).reduce((s, x) => s + x, 0) / a.length).toBeGreaterThan(0.3);
    expect(new Set(zipfTrace({ keys: 50, length: 5_000, exponent: 0 })).size).toBe(50);
  });

  it('rejects bad parameters', () => {
    expect(() => zipfTrace({ keys: 0, length: 1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => zipfTrace({ keys: 1, length: 1, exponent: -1 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });

  it('seededRandom is uniform enough in [0, 1)', () => {
    const r = seededRandom(1);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });
});

describe('replayTrace', () => {
  it('W-TinyLFU beats LRU by more than 5 points on Zipf(0.9) with the cache at 1 % of the keys', () => {
    const trace = zipfTrace({ keys: 20_000, length: 200_000, exponent: 0.9, seed: 3 });
    const results = replayTrace(trace, {
      sizes: [200],
      policies: ['lru', 'w-tinylfu'],
      warmup: 20_000,
    });
    const rate = (p: string) => results.find((r) => r.policy === p)?.hitRate ?? NaN;
    expect(rate('w-tinylfu') - rate('lru')).toBeGreaterThan(5);
  });

  it('counts hits exactly on a hand-made trace', () => {
    const [lru] = replayTrace(['a', 'b', 'a', 'c', 'b', 'a'], { sizes: [2], policies: ['lru'] });
    // a miss, b miss, a hit, c miss (evicts b), b miss (evicts a), a miss
    expect(lru).toMatchObject({ hits: 1, accesses: 6 });
    expect(lru?.hitRate).toBeCloseTo(100 / 6);
  });

  it('formats a markdown table, one row per size', () => {
    const table = formatReplayTable(
      replayTrace(['a', 'a'], { sizes: [1, 2], policies: ['lru', 'fifo'] }),
    );
    expect(table.split('\n')).toEqual([
      '| size | lru | fifo |',
      '| ---: | ---: | ---: |',
      '| 1 | 50.00 % | 50.00 % |',
      '| 2 | 50.00 % | 50.00 % |',
    ]);
  });

  it('rejects bad sizes and unknown policies', () => {
    expect(() => replayTrace(['a'], { sizes: [0] })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => replayTrace(['a'], { sizes: [1], policies: ['arc' as never] })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});

describe('replay CLI', () => {
  it('replays a generated Zipf trace', () => {
    const out = runReplayCli([
      'zipf',
      '--keys',
      '2000',
      '--length',
      '20000',
      '--sizes',
      '20,200',
      '--policies',
      'lru,w-tinylfu',
    ]);
    expect(out.split('\n')[0]).toBe('| size | lru | w-tinylfu |');
    expect(out).toContain('| 20 |');
    expect(out).toContain('| 200 |');
  });

  it('replays a file of keys and can print JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plinth-replay-'));
    try {
      const file = join(dir, 'keys.txt');
      writeFileSync(file, ['a', 'b', 'a', 'a', ''].join('\n'));
      const json = JSON.parse(
        runReplayCli([
          'file',
          file,
          '--sizes',
          '1',
          '--policies',
          'lru',
          '--warmup',
          '0',
          '--json',
        ]),
      ) as Array<{ hits: number }>;
      expect(json[0]?.hits).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints usage for unknown commands', () => {
    expect(runReplayCli(['nope'])).toMatch(/^usage:/);
  });
});
