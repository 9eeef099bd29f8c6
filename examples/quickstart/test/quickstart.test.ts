import { describe, expect, it } from 'vitest';
import { runQuickstart } from '../src/quickstart.js';

describe('quickstart', () => {
  it('records each distinct release once, soaks them, and reports typed errors', async () => {
    const lines: string[] = [];
    const result = await runQuickstart((line) => lines.push(line));
    expect(result.recorded).toBe(2);
    expect(result.events).toEqual([
      'release:recorded',
      'release:recorded',
      'release:soaked',
      'release:soaked',
    ]);
    expect(lines.some((l) => l.includes('duplicate=true, same id: true'))).toBe(true);
    expect(lines.some((l) => l.includes('E_INVALID_OPTION') && l.includes('"soakMs"'))).toBe(true);
    expect(lines.some((l) => l.includes('E_CLOSED'))).toBe(true);
    expect(lines.join('\n')).toContain('"soakedForMs":30000');
  });
});
