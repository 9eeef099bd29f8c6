import { describe, expect, it, vi } from 'vitest';
import { ERROR_CODES, PlinthError, coreErrors, defineErrors, isPlinthError } from '../src/index.js';

const storage = defineErrors('@plinth/storage', {
  E_CONFLICT: { description: 'A conditional write lost a race.', retryable: true },
  E_NOT_FOUND: { description: 'No such key.' },
});

describe('PlinthError', () => {
  it('carries code, package and a package-prefixed message', () => {
    const e = new PlinthError({ code: 'E_X', message: 'it broke', package: '@plinth/x' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('PlinthError');
    expect(e.code).toBe('E_X');
    expect(e.package).toBe('@plinth/x');
    expect(e.message).toBe('[@plinth/x] it broke');
    expect(String(e)).toBe('PlinthError: [@plinth/x] it broke');
  });

  it('defaults retryable to false and details to an empty object', () => {
    const e = new PlinthError({ code: 'E_X', message: 'm', package: '@plinth/x' });
    expect(e.retryable).toBe(false);
    expect(e.details).toEqual({});
    expect(Object.isFrozen(e.details)).toBe(true);
  });

  it('keeps retryable when given', () => {
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p', retryable: true });
    expect(e.retryable).toBe(true);
  });

  it('freezes a copy of details so neither the caller nor a catcher can change them', () => {
    const details: Record<string, unknown> = { key: 'a' };
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p', details });
    details.key = 'changed';
    expect(e.details).toEqual({ key: 'a' });
    expect(Object.isFrozen(e.details)).toBe(true);
    expect(() => {
      (e.details as Record<string, unknown>).key = 'b';
    }).toThrow(TypeError);
  });

  it('keeps the cause as the standard Error cause', () => {
    const cause = new Error('disk full');
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p', cause });
    expect(e.cause).toBe(cause);
  });

  it('has no own cause property when none is given', () => {
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p' });
    expect(Object.hasOwn(e, 'cause')).toBe(false);
  });

  it('keeps a non-Error cause as given', () => {
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p', cause: 'just a string' });
    expect(e.cause).toBe('just a string');
  });

  it('serialises to a plain object with toJSON', () => {
    const e = new PlinthError({
      code: 'E_X',
      message: 'm',
      package: '@plinth/x',
      details: { id: 7 },
      retryable: true,
    });
    expect(e.toJSON()).toEqual({
      name: 'PlinthError',
      code: 'E_X',
      package: '@plinth/x',
      message: '[@plinth/x] m',
      details: { id: 7 },
      retryable: true,
    });
    expect(JSON.parse(JSON.stringify(e))).toEqual(e.toJSON());
  });

  it('summarises an Error cause in toJSON, with its code when it has a string one', () => {
    const io = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    const withCode = new PlinthError({ code: 'E_X', message: 'm', package: 'p', cause: io });
    expect(withCode.toJSON().cause).toEqual({
      name: 'Error',
      message: 'no such file',
      code: 'ENOENT',
    });

    const plain = new PlinthError({
      code: 'E_X',
      message: 'm',
      package: 'p',
      cause: new TypeError('bad'),
    });
    expect(plain.toJSON().cause).toEqual({ name: 'TypeError', message: 'bad' });
    expect(plain.toJSON().cause).not.toHaveProperty('code');
  });

  it('leaves a non-Error cause out of toJSON', () => {
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p', cause: { secret: 1 } });
    expect(e.toJSON()).not.toHaveProperty('cause');
  });
});

describe('defineErrors', () => {
  it('maps every code to itself in a frozen codes object', () => {
    expect(storage.codes).toEqual({ E_CONFLICT: 'E_CONFLICT', E_NOT_FOUND: 'E_NOT_FOUND' });
    expect(Object.isFrozen(storage.codes)).toBe(true);
  });

  it('exposes the package name and the frozen specs', () => {
    expect(storage.package).toBe('@plinth/storage');
    expect(storage.specs.E_CONFLICT).toEqual({
      description: 'A conditional write lost a race.',
      retryable: true,
    });
    expect(Object.isFrozen(storage.specs)).toBe(true);
  });

  it('creates (without throwing) an error prefixed with the catalogue package', () => {
    const e = storage.create('E_NOT_FOUND', 'no key "a"', { details: { key: 'a' } });
    expect(e).toBeInstanceOf(PlinthError);
    expect(e.code).toBe('E_NOT_FOUND');
    expect(e.package).toBe('@plinth/storage');
    expect(e.message).toBe('[@plinth/storage] no key "a"');
    expect(e.details).toEqual({ key: 'a' });
  });

  it('uses the spec retryable default, false when the spec says nothing', () => {
    expect(storage.create('E_CONFLICT', 'lost').retryable).toBe(true);
    expect(storage.create('E_NOT_FOUND', 'gone').retryable).toBe(false);
  });

  it('lets a call override the spec retryable default either way', () => {
    expect(storage.create('E_CONFLICT', 'lost', { retryable: false }).retryable).toBe(false);
    expect(storage.create('E_NOT_FOUND', 'gone', { retryable: true }).retryable).toBe(true);
  });

  it('passes the cause through create', () => {
    const cause = new Error('root');
    expect(storage.create('E_CONFLICT', 'lost', { cause }).cause).toBe(cause);
  });

  it('is() matches only errors of its own package', () => {
    const mine = storage.create('E_CONFLICT', 'lost');
    const other = defineErrors('@plinth/cache', {
      E_CONFLICT: { description: 'same code, other package' },
    }).create('E_CONFLICT', 'lost');
    expect(storage.is(mine)).toBe(true);
    expect(storage.is(other)).toBe(false);
    expect(storage.is(coreErrors.create('E_CLOSED', 'closed'))).toBe(false);
    expect(storage.is(new Error('plain'))).toBe(false);
  });

  it('is() filters by a single code or a list of codes', () => {
    const e = storage.create('E_CONFLICT', 'lost');
    expect(storage.is(e, 'E_CONFLICT')).toBe(true);
    expect(storage.is(e, 'E_NOT_FOUND')).toBe(false);
    expect(storage.is(e, ['E_NOT_FOUND', 'E_CONFLICT'])).toBe(true);
    expect(storage.is(e, ['E_NOT_FOUND'])).toBe(false);
  });
});

describe('coreErrors', () => {
  it('is the @plinth/core catalogue with its documented codes', () => {
    expect(coreErrors.package).toBe('@plinth/core');
    expect(Object.keys(ERROR_CODES).sort()).toEqual([
      'E_ABORTED',
      'E_CLOSED',
      'E_INVALID_ARGUMENT',
      'E_INVALID_NAME',
      'E_INVALID_OPTION',
      'E_INVALID_PATTERN',
      'E_LIMIT_EXCEEDED',
      'E_TIMEOUT',
    ]);
    expect(ERROR_CODES.E_TIMEOUT).toBe('E_TIMEOUT');
  });

  it('marks only E_TIMEOUT retryable by default', () => {
    expect(coreErrors.create('E_TIMEOUT', 't').retryable).toBe(true);
    expect(coreErrors.create('E_CLOSED', 'c').retryable).toBe(false);
    expect(coreErrors.create('E_ABORTED', 'a').retryable).toBe(false);
  });
});

describe('isPlinthError', () => {
  it('recognises Plinth errors and filters by code', () => {
    const e = coreErrors.create('E_CLOSED', 'closed');
    expect(isPlinthError(e)).toBe(true);
    expect(isPlinthError(e, 'E_CLOSED')).toBe(true);
    expect(isPlinthError(e, 'E_TIMEOUT')).toBe(false);
    expect(isPlinthError(e, ['E_TIMEOUT', 'E_CLOSED'])).toBe(true);
    expect(isPlinthError(e, [])).toBe(false);
  });

  it('rejects non-objects and ordinary errors', () => {
    expect(isPlinthError(undefined)).toBe(false);
    expect(isPlinthError(null)).toBe(false);
    expect(isPlinthError('E_CLOSED')).toBe(false);
    expect(isPlinthError(42)).toBe(false);
    expect(isPlinthError(new Error('plain'))).toBe(false);
  });

  it('rejects a plain Error that merely has a code', () => {
    const e = Object.assign(new Error('x'), { code: 'E_CLOSED' });
    expect(isPlinthError(e)).toBe(false);
    expect(isPlinthError(e, 'E_CLOSED')).toBe(false);
  });

  it('rejects an object named PlinthError that is not an Error', () => {
    const fake = { name: 'PlinthError', code: 'E_CLOSED', message: 'x', package: 'p' };
    expect(isPlinthError(fake)).toBe(false);
  });

  it('accepts an Error named PlinthError with a string code (a copy without the brand)', () => {
    const e = Object.assign(new Error('x'), { name: 'PlinthError', code: 'E_CLOSED' });
    expect(isPlinthError(e, 'E_CLOSED')).toBe(true);
  });

  it('rejects a branded error without a string code', () => {
    const e = new PlinthError({ code: 'E_X', message: 'm', package: 'p' });
    Object.defineProperty(e, 'code', { value: 42 });
    expect(isPlinthError(e)).toBe(false);
  });

  it('recognises errors from a duplicate copy of the module, where instanceof fails', async () => {
    vi.resetModules();
    const copy = await import('../src/errors.js');
    expect(copy.PlinthError).not.toBe(PlinthError);

    const foreign = copy.coreErrors.create('E_TIMEOUT', 'slow', { details: { ms: 5 } });
    expect(foreign instanceof PlinthError).toBe(false);
    expect(isPlinthError(foreign)).toBe(true);
    expect(isPlinthError(foreign, 'E_TIMEOUT')).toBe(true);
    expect(isPlinthError(foreign, 'E_CLOSED')).toBe(false);
    expect(isPlinthError(foreign, ['E_CLOSED', 'E_TIMEOUT'])).toBe(true);
    expect(isPlinthError(foreign, ['E_CLOSED', 'E_ABORTED'])).toBe(false);
    expect(coreErrors.is(foreign, 'E_TIMEOUT')).toBe(true);

    // And the other way round: the copy recognises this copy's errors.
    const local = coreErrors.create('E_CLOSED', 'closed');
    expect(local instanceof copy.PlinthError).toBe(false);
    expect(copy.isPlinthError(local, 'E_CLOSED')).toBe(true);
  });

  it('recognises a duplicate-copy error by its global brand even if renamed', async () => {
    vi.resetModules();
    const copy = await import('../src/errors.js');
    const foreign = copy.coreErrors.create('E_CLOSED', 'closed');
    Object.defineProperty(foreign, 'name', { value: 'Renamed' });
    expect(isPlinthError(foreign, 'E_CLOSED')).toBe(true);
  });
});
