import { describe, expect, it } from 'vitest';
import { MemoryLogger, noopLogger, type LogLevel, type Logger } from '../src/index.js';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

describe('noopLogger', () => {
  it('returns itself from child()', () => {
    expect(noopLogger.child({ component: 'x' })).toBe(noopLogger);
  });

  it('accepts both call styles at every level and returns nothing', () => {
    for (const level of LEVELS) {
      expect(noopLogger[level]('message')).toBeUndefined();
      expect(noopLogger[level]({ key: 1 }, 'message')).toBeUndefined();
    }
  });

  it('is frozen, so no package can replace its methods for everyone', () => {
    expect(Object.isFrozen(noopLogger)).toBe(true);
  });
});

describe('MemoryLogger', () => {
  it('records a message-only call with empty fields', () => {
    const log = new MemoryLogger();
    log.info('started');
    expect(log.records).toEqual([{ level: 'info', message: 'started', fields: {} }]);
  });

  it('records an object-first call with its fields and message', () => {
    const log = new MemoryLogger();
    log.warn({ option: 'ttl', clampedTo: 60 }, 'ttl clamped');
    expect(log.records).toEqual([
      { level: 'warn', message: 'ttl clamped', fields: { option: 'ttl', clampedTo: 60 } },
    ]);
  });

  it('records an object-only call with an undefined message', () => {
    const log = new MemoryLogger();
    log.error({ err: 'boom' });
    expect(log.records).toEqual([{ level: 'error', message: undefined, fields: { err: 'boom' } }]);
  });

  it('records every level under its own name, in call order', () => {
    const log = new MemoryLogger();
    for (const level of LEVELS) log[level](level);
    expect(log.records.map((r) => [r.level, r.message])).toEqual(LEVELS.map((l) => [l, l]));
  });

  it('copies the fields object, so later changes to it do not alter the record', () => {
    const log = new MemoryLogger();
    const fields: Record<string, unknown> = { n: 1 };
    log.info(fields, 'x');
    fields.n = 2;
    expect(log.records[0]?.fields).toEqual({ n: 1 });
  });

  it('keeps working when a method is detached from the logger', () => {
    const log = new MemoryLogger();
    const { info } = log;
    info('detached');
    expect(log.records[0]?.message).toBe('detached');
  });

  it('returns the records of one level with at()', () => {
    const log = new MemoryLogger();
    log.info('a');
    log.warn('b');
    log.info({ k: 1 }, 'c');
    expect(log.at('info').map((r) => r.message)).toEqual(['a', 'c']);
    expect(log.at('warn').map((r) => r.message)).toEqual(['b']);
    expect(log.at('fatal')).toEqual([]);
  });

  it('adds constructor bindings to every record', () => {
    const log = new MemoryLogger({ service: 'api' });
    log.info('plain');
    log.info({ id: 1 }, 'with fields');
    expect(log.records.map((r) => r.fields)).toEqual([
      { service: 'api' },
      { service: 'api', id: 1 },
    ]);
  });

  it('merges child bindings over the parent ones and shares the record list', () => {
    const root = new MemoryLogger({ service: 'api', component: 'root' });
    const child = root.child({ component: 'cache' });
    const grandchild = child.child({ shard: 2 });

    child.info('from child');
    grandchild.warn({ key: 'k' }, 'from grandchild');
    root.info('from root');

    expect(child.records).toBe(root.records);
    expect(grandchild.records).toBe(root.records);
    expect(root.records).toEqual([
      { level: 'info', message: 'from child', fields: { service: 'api', component: 'cache' } },
      {
        level: 'warn',
        message: 'from grandchild',
        fields: { service: 'api', component: 'cache', shard: 2, key: 'k' },
      },
      { level: 'info', message: 'from root', fields: { service: 'api', component: 'root' } },
    ]);
  });

  it('lets call fields override bindings', () => {
    const log = new MemoryLogger().child({ component: 'a' });
    log.info({ component: 'b' }, 'm');
    expect(log.records[0]?.fields).toEqual({ component: 'b' });
  });

  it('does not change the parent when a child is made', () => {
    const root = new MemoryLogger({ a: 1 });
    root.child({ b: 2 });
    root.info('m');
    expect(root.records[0]?.fields).toEqual({ a: 1 });
  });

  it('is a Logger', () => {
    const log: Logger = new MemoryLogger();
    log.child({ x: 1 }).debug('typed');
    expect((log as MemoryLogger).at('debug')).toHaveLength(1);
  });
});
