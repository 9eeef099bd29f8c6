import { describe, expect, it } from 'vitest';
import { runStory } from '../src/story.js';

describe('the demo story', () => {
  it('registers, refuses the breaking change, publishes the bump, promotes and rolls prod back', async () => {
    const lines: string[] = [];
    const out = await runStory((l) => lines.push(l));
    expect(out.versions).toEqual(['1.0.0', '1.1.0']);
    expect(out.incompatibleStatus).toBe(409);
    expect(out.suggestedVersion).toBe('1.1.0');
    expect(out.published).toBe('1.1.0');
    expect(out.baseline).toBe('succeeded');
    expect(out.candidate).toBe('rolled_back');
    expect(out.stages).toEqual({
      dev: ['shop/orders@1.1.0', 'shop/orders-config@1.1.0'],
      staging: ['shop/orders@1.1.0', 'shop/orders-config@1.1.0'],
      prod: ['shop/orders@1.0.0', 'shop/orders-config@1.0.0'],
    });
    expect(lines.join('\n')).toMatch(/automatic rollback/);
  });
});
