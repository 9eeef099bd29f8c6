import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runQuickstart, type QuickstartSummary } from '../src/quickstart.js';

describe('quickstart', () => {
  let lines: string[];
  let summary: QuickstartSummary;

  beforeAll(async () => {
    lines = [];
    summary = await runQuickstart({ log: (line) => lines.push(line) });
  });

  it('publishes v1 and the compatible change on one SQLite store', () => {
    expect(summary.published).toEqual(['1.0.0', '1.1.0']);
  });

  it('refuses the incompatible change with its diff', () => {
    expect(summary.refused).toEqual({
      code: 'E_INCOMPATIBLE',
      level: 'BACKWARD',
      violations: [{ rule: 'AVRO_READER_FIELD_MISSING_DEFAULT', path: '/fields/2' }],
    });
    expect(summary.published).not.toContain('2.0.0');
  });

  it('publishes the compatible change with the bump validation suggested', () => {
    expect(summary.suggestedBump).toBe('minor');
    expect(summary.appliedBump).toBe('minor');
  });

  it('resolves the range to the newest matching version, the second time from L1', () => {
    expect(summary.resolved).toEqual({ range: 'shop/orders@^1.0.0', version: '1.1.0', id: 2 });
    expect(summary.cache).toEqual({ l1Hits: 1, misses: 1, factoryCalls: 1 });
  });

  it('promotes the pinned release dev → prod after the approval and the soak', () => {
    expect(summary.promotions).toEqual({
      dev: 'succeeded',
      prod: ['awaiting_approval', 'gating', 'gating', 'succeeded'],
    });
    expect(summary.stages).toEqual({
      dev: ['shop/orders@1.1.0'],
      prod: ['shop/orders@1.1.0'],
    });
    expect(summary.deployments).toEqual(['dev: shop/orders@1.1.0', 'prod: shop/orders@1.1.0']);
  });

  it('tells the story and removes its temporary directory', () => {
    const opened = lines[0]?.match(/at (\S+)\/plinth\.db$/);
    expect(opened?.[1]).toBeDefined();
    expect(existsSync(opened?.[1] ?? '')).toBe(false);
    for (const pkg of ['storage', 'registry', 'validation', 'cache', 'promotion']) {
      expect(lines.some((l) => l.startsWith(pkg))).toBe(true);
    }
  });
});
