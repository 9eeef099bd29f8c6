import { describe, expect, it, vi } from 'vitest';
import { Lifecycle, closeAll, isPlinthError } from '../src/index.js';

describe('Lifecycle', () => {
  it('is open until close() is called', () => {
    const life = new Lifecycle('@plinth/registry', 'Registry', () => {});
    expect(life.closed).toBe(false);
    expect(() => life.assertOpen('get')).not.toThrow();
  });

  it('runs the close routine once and returns the same promise on every call', async () => {
    const onClose = vi.fn(async () => {});
    const life = new Lifecycle('@plinth/registry', 'Registry', onClose);
    const first = life.close();
    const second = life.close();
    expect(second).toBe(first);
    await first;
    expect(life.close()).toBe(first);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('reports closed as soon as closing begins, before the routine finishes', async () => {
    let finish!: () => void;
    const life = new Lifecycle('@plinth/x', 'X', () => new Promise<void>((r) => (finish = r)));
    let settled = false;
    const closing = life.close().then(() => {
      settled = true;
    });
    expect(life.closed).toBe(true);
    await Promise.resolve();
    expect(settled).toBe(false);
    finish();
    await closing;
    expect(settled).toBe(true);
  });

  it('accepts a synchronous close routine', async () => {
    const onClose = vi.fn();
    const life = new Lifecycle('@plinth/x', 'X', onClose);
    await expect(life.close()).resolves.toBeUndefined();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('turns a throwing close routine into a rejection shared by every call, without rerunning it', async () => {
    const failure = new Error('flush failed');
    const onClose = vi.fn(() => {
      throw failure;
    });
    const life = new Lifecycle('@plinth/x', 'X', onClose);
    await expect(life.close()).rejects.toBe(failure);
    await expect(life.close()).rejects.toBe(failure);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(life.closed).toBe(true);
  });

  it('assertOpen throws E_CLOSED from the owner package, naming owner and operation', () => {
    const life = new Lifecycle('@plinth/registry', 'Registry', () => {});
    void life.close();
    let error: unknown;
    try {
      life.assertOpen('publish');
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_CLOSED')).toBe(true);
    expect(error).toMatchObject({
      package: '@plinth/registry',
      message: '[@plinth/registry] Registry.publish() called after close()',
      details: { owner: 'Registry', operation: 'publish' },
      retryable: false,
    });
  });
});

describe('closeAll', () => {
  it('closes resources in reverse order, waiting for each', async () => {
    const order: string[] = [];
    const resource = (name: string) => ({
      close: async () => {
        await Promise.resolve();
        order.push(`${name}:done`);
      },
    });
    await closeAll([resource('db'), resource('cache'), resource('server')]);
    expect(order).toEqual(['server:done', 'cache:done', 'db:done']);
  });

  it('skips null and undefined entries', async () => {
    const close = vi.fn();
    await expect(closeAll([null, { close }, undefined])).resolves.toBeUndefined();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('resolves for an empty list', async () => {
    await expect(closeAll([])).resolves.toBeUndefined();
  });

  it('continues past a failure and rethrows a single error as is', async () => {
    const failure = new Error('cache close failed');
    const first = vi.fn();
    const last = vi.fn();
    const result = closeAll([
      { close: first },
      {
        close: () => {
          throw failure;
        },
      },
      { close: last },
    ]);
    await expect(result).rejects.toBe(failure);
    expect(first).toHaveBeenCalledTimes(1);
    expect(last).toHaveBeenCalledTimes(1);
  });

  it('rejects with an AggregateError of every failure, in closing order', async () => {
    const a = new Error('a');
    const b = new Error('b');
    const ok = vi.fn();
    const result = closeAll([
      { close: () => Promise.reject(a) },
      { close: ok },
      { close: () => Promise.reject(b) },
    ]);
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([b, a]);
    expect((error as AggregateError).message).toBe('2 resources failed to close');
    expect(ok).toHaveBeenCalledTimes(1);
  });

  it('closes Lifecycle-backed objects once even if listed twice', async () => {
    const onClose = vi.fn();
    const life = new Lifecycle('@plinth/x', 'X', onClose);
    await closeAll([life, life]);
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
