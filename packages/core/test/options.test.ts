import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MemoryLogger,
  check,
  isPlinthError,
  mergeOptions,
  resolveOptions,
  type OptionCheck,
  type OptionSpec,
} from '../src/index.js';

interface CacheOptions {
  maxEntries?: number;
  ttlMs?: number;
  name?: string;
  mode?: 'lru' | 'fifo';
  url: string;
}

const DEFAULTS = Object.freeze({ maxEntries: 1_000, ttlMs: 60_000, mode: 'lru' as const });

const SPEC: OptionSpec<CacheOptions> = {
  maxEntries: check.number({ min: 1, integer: true }),
  ttlMs: check.number({ min: 0 }),
  name: check.string({ nonEmpty: true }),
  mode: check.oneOf(['lru', 'fifo']),
  url: { check: check.string({ pattern: /^https?:/ }), required: true },
};

function resolve(input: unknown) {
  return resolveOptions<CacheOptions, typeof DEFAULTS>({
    package: '@plinth/cache',
    owner: 'Cache',
    spec: SPEC,
    defaults: DEFAULTS,
    input,
  });
}

/** The `E_INVALID_OPTION` that `resolve(input)` throws. */
function rejection(input: unknown): {
  message: string;
  package: string;
  details: Record<string, unknown>;
} {
  try {
    resolve(input);
  } catch (error) {
    expect(isPlinthError(error, 'E_INVALID_OPTION')).toBe(true);
    return error as { message: string; package: string; details: Record<string, unknown> };
  }
  throw new Error('resolveOptions did not throw');
}

describe('resolveOptions', () => {
  it('fills defaults for options not given', () => {
    expect(resolve({ url: 'https://x' })).toEqual({
      maxEntries: 1_000,
      ttlMs: 60_000,
      mode: 'lru',
      url: 'https://x',
    });
  });

  it('lets given values override defaults', () => {
    const options = resolve({ url: 'http://x', maxEntries: 5, mode: 'fifo', name: 'c' });
    expect(options).toEqual({
      maxEntries: 5,
      ttlMs: 60_000,
      mode: 'fifo',
      name: 'c',
      url: 'http://x',
    });
  });

  it('returns a frozen object, distinct from the defaults and the input', () => {
    const input = { url: 'https://x' };
    const options = resolve(input);
    expect(Object.isFrozen(options)).toBe(true);
    expect(options).not.toBe(input);
    expect(options).not.toBe(DEFAULTS);
    expect(input).toEqual({ url: 'https://x' });
  });

  it('treats undefined values as not given, keeping the default', () => {
    const options = resolve({ url: 'https://x', maxEntries: undefined, name: undefined });
    expect(options.maxEntries).toBe(1_000);
    expect(Object.hasOwn(options, 'name')).toBe(false);
  });

  it('rejects an unknown option and suggests the nearest known one', () => {
    const error = rejection({ url: 'https://x', maxEntires: 3 });
    expect(error.message).toBe(
      '[@plinth/cache] Cache: unknown option "maxEntires" (did you mean "maxEntries"?)',
    );
    expect(error.package).toBe('@plinth/cache');
    expect(error.details).toEqual({ owner: 'Cache', option: 'maxEntires' });
  });

  it('suggests regardless of letter case', () => {
    expect(rejection({ url: 'https://x', TTLMS: 1 }).message).toContain('did you mean "ttlMs"?');
  });

  it('makes no suggestion when nothing is close', () => {
    const error = rejection({ url: 'https://x', somethingElse: 1 });
    expect(error.message).toBe('[@plinth/cache] Cache: unknown option "somethingElse"');
  });

  it('rejects an unknown option even when its value is undefined', () => {
    expect(rejection({ url: 'https://x', nmae: undefined }).details.option).toBe('nmae');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a string for a number', { maxEntries: '5' }, 'maxEntries', '"5"'],
    ['a fraction for an integer', { maxEntries: 1.5 }, 'maxEntries', '1.5'],
    ['a number below the minimum', { maxEntries: 0 }, 'maxEntries', '0'],
    ['NaN for a number', { ttlMs: Number.NaN }, 'ttlMs', 'NaN'],
    ['an empty string', { name: '' }, 'name', '""'],
    ['a value outside the allowed list', { mode: 'lfu' }, 'mode', '"lfu"'],
    ['null', { name: null }, 'name', 'null'],
    ['an array', { name: ['a'] }, 'name', 'an array'],
    ['an object', { name: {} }, 'name', 'object'],
    ['a function', { name: () => 'a' }, 'name', 'a function'],
    ['a boolean', { ttlMs: true }, 'ttlMs', 'true'],
    ['a BigInt', { ttlMs: 5n }, 'ttlMs', '5'],
  ])('rejects %s, naming the option, what was expected and what it got', (_, bad, option, got) => {
    const error = rejection({ url: 'https://x', ...bad });
    const expected = (SPEC[option as keyof CacheOptions] as OptionCheck).expected;
    expect(error.message).toBe(
      `[@plinth/cache] Cache: option "${option}" must be ${expected}, got ${got}`,
    );
    expect(error.details).toEqual({ owner: 'Cache', option, expected });
  });

  it('describes the expectation in words', () => {
    expect(rejection({ url: 'https://x', maxEntries: 0 }).details.expected).toBe('an integer >= 1');
    expect(rejection({ url: 'https://x', mode: 'x' }).details.expected).toBe(
      'one of "lru", "fifo"',
    );
    expect(rejection({ url: 'ftp://x' }).details.expected).toBe('a string matching /^https?:/');
  });

  it('shortens long string values in the message', () => {
    const error = rejection({ url: 'https://x', mode: 'x'.repeat(100) });
    expect(error.message).toContain(`got "${'x'.repeat(40)}…"`);
    expect(error.message).not.toContain('x'.repeat(41));
  });

  it('validates a required option when given', () => {
    expect(rejection({ url: 'ftp://x' }).details.option).toBe('url');
  });

  it('rejects a missing required option', () => {
    const error = rejection({});
    expect(error.message).toBe(
      '[@plinth/cache] Cache: option "url" is required (a string matching /^https?:/)',
    );
    expect(error.details).toEqual({ owner: 'Cache', option: 'url' });
    expect(rejection({ url: undefined }).details.option).toBe('url');
  });

  it('accepts a missing required option that has a default', () => {
    const options = resolveOptions<CacheOptions, { url: string }>({
      package: '@plinth/cache',
      owner: 'Cache',
      spec: SPEC,
      defaults: { url: 'https://default' },
      input: {},
    });
    expect(options.url).toBe('https://default');
  });

  it('treats undefined input as no options', () => {
    const options = resolveOptions<Omit<CacheOptions, 'url'>, typeof DEFAULTS>({
      package: '@plinth/cache',
      owner: 'Cache',
      spec: { maxEntries: SPEC.maxEntries, ttlMs: SPEC.ttlMs, name: SPEC.name, mode: SPEC.mode },
      defaults: DEFAULTS,
      input: undefined,
    });
    expect(options).toEqual(DEFAULTS);
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['a string', 'fast', '"fast"'],
    ['a number', 3, '3'],
    ['an array', [{ url: 'https://x' }], 'an array'],
    ['a function', () => ({}), 'a function'],
  ])('rejects %s as the options argument', (_, input, got) => {
    const error = rejection(input);
    expect(error.message).toBe(`[@plinth/cache] Cache: options must be an object, got ${got}`);
    expect(error.details).toEqual({ owner: 'Cache', option: '(options)' });
  });

  it('accepts an options object without a prototype', () => {
    const input = Object.assign(Object.create(null) as object, { url: 'https://x' });
    expect(resolve(input).url).toBe('https://x');
  });

  it('does not validate the defaults themselves', () => {
    const options = resolveOptions<{ n?: number }, { n: number }>({
      package: 'p',
      owner: 'O',
      spec: { n: check.number({ min: 10 }) },
      defaults: { n: 1 },
      input: {},
    });
    expect(options.n).toBe(1);
  });
});

describe('check helpers', () => {
  it('number() accepts finite numbers and rejects everything else', () => {
    const c = check.number();
    expect(c.expected).toBe('a finite number');
    for (const v of [0, -1.5, 1e300]) expect(c.test(v)).toBe(true);
    for (const v of [Number.NaN, Infinity, -Infinity, '1', null, undefined, 1n]) {
      expect(c.test(v)).toBe(false);
    }
  });

  it('number({ min, max, integer }) enforces bounds inclusively and integrality', () => {
    const c = check.number({ min: 1, max: 10, integer: true });
    expect(c.expected).toBe('an integer >= 1 <= 10');
    expect([1, 5, 10].map((v) => c.test(v))).toEqual([true, true, true]);
    expect([0, 11, 2.5, Number.NaN].map((v) => c.test(v))).toEqual([false, false, false, false]);
    expect(check.number({ max: 0 }).test(-0.5)).toBe(true);
    expect(check.number({ max: 0 }).test(0.5)).toBe(false);
  });

  it('string() accepts strings, nonEmpty rejects "", pattern must match', () => {
    expect(check.string().test('')).toBe(true);
    expect(check.string().test(1)).toBe(false);
    expect(check.string().expected).toBe('a string');

    const nonEmpty = check.string({ nonEmpty: true });
    expect(nonEmpty.expected).toBe('a non-empty string');
    expect(nonEmpty.test('a')).toBe(true);
    expect(nonEmpty.test('')).toBe(false);

    const pattern = check.string({ pattern: /^[a-z]+$/ });
    expect(pattern.expected).toBe('a string matching /^[a-z]+$/');
    expect(pattern.test('abc')).toBe(true);
    expect(pattern.test('ABC')).toBe(false);
    expect(pattern.test(undefined)).toBe(false);
  });

  it('boolean() accepts only true and false', () => {
    const c = check.boolean();
    expect(c.expected).toBe('a boolean');
    expect(c.test(true)).toBe(true);
    expect(c.test(false)).toBe(true);
    expect(c.test(0)).toBe(false);
    expect(c.test('true')).toBe(false);
  });

  it('oneOf() accepts exactly the listed values (no coercion)', () => {
    const c = check.oneOf(['a', 1, true]);
    expect(c.expected).toBe('one of "a", 1, true');
    expect(['a', 1, true].map((v) => c.test(v))).toEqual([true, true, true]);
    expect(['b', '1', 'true', 2, false].map((v) => c.test(v))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('func() accepts functions and classes only', () => {
    const c = check.func();
    expect(c.expected).toBe('a function');
    expect(c.test(() => {})).toBe(true);
    expect(c.test(class {})).toBe(true);
    expect(c.test({})).toBe(false);
    expect(c.test('fn')).toBe(false);
  });

  it('object() accepts non-null, non-array objects', () => {
    const c = check.object();
    expect(c.expected).toBe('an object');
    expect(c.test({})).toBe(true);
    expect(c.test(new Map())).toBe(true);
    expect(c.test(null)).toBe(false);
    expect(c.test([])).toBe(false);
    expect(c.test(() => {})).toBe(false);
    expect(c.test('x')).toBe(false);
  });

  it('implementing() duck-types objects by their methods, own or inherited', () => {
    const clockLike = check.implementing('now', 'setTimeout');
    expect(clockLike.expected).toBe('an object with now(), setTimeout()');
    expect(clockLike.test(new ManualClock())).toBe(true);
    expect(clockLike.test({ now: () => 0, setTimeout: () => 0 })).toBe(true);
    expect(clockLike.test({ now: () => 0 })).toBe(false);
    expect(clockLike.test({ now: 0, setTimeout: () => 0 })).toBe(false);
    expect(clockLike.test(null)).toBe(false);
    expect(clockLike.test('now')).toBe(false);
    expect(check.implementing('info', 'child').test(new MemoryLogger())).toBe(true);
  });

  it('arrayOf() checks every item', () => {
    const c = check.arrayOf(check.number({ integer: true }));
    expect(c.expected).toBe('an array of an integer');
    expect(c.test([])).toBe(true);
    expect(c.test([1, 2, 3])).toBe(true);
    expect(c.test([1, 2.5])).toBe(false);
    expect(c.test({ 0: 1, length: 1 })).toBe(false);
  });

  it('anyOf() accepts what any check accepts and joins the expectations', () => {
    const c = check.anyOf<number | string>(check.number(), check.string({ nonEmpty: true }));
    expect(c.expected).toBe('a finite number or a non-empty string');
    expect(c.test(1)).toBe(true);
    expect(c.test('x')).toBe(true);
    expect(c.test('')).toBe(false);
    expect(c.test(null)).toBe(false);
  });

  it('custom() uses the given test and expectation', () => {
    const even = check.custom<number>(
      'an even number',
      (v) => typeof v === 'number' && v % 2 === 0,
    );
    expect(even.expected).toBe('an even number');
    expect(even.test(4)).toBe(true);
    expect(even.test(3)).toBe(false);
  });

  it('plugs into resolveOptions with its expectation in the error', () => {
    let error: unknown;
    try {
      resolveOptions<{ tags?: string[] }, object>({
        package: '@plinth/x',
        owner: 'X',
        spec: { tags: check.arrayOf(check.string()) },
        defaults: {},
        input: { tags: ['a', 1] },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'E_INVALID_OPTION',
      message: '[@plinth/x] X: option "tags" must be an array of a string, got an array',
    });
  });
});

describe('mergeOptions', () => {
  it('layers left to right, later layers winning', () => {
    expect(
      mergeOptions<{ a: number; b: number; c: number }>({ a: 1, b: 1 }, { b: 2, c: 2 }, { c: 3 }),
    ).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('does not let undefined values override earlier layers', () => {
    const callValue: number | undefined = undefined as number | undefined;
    expect(mergeOptions<{ a: number; b: number }>({ a: 1, b: 1 }, { a: callValue })).toEqual({
      a: 1,
      b: 1,
    });
    expect(mergeOptions<{ a: number }>({ a: 1 }, { a: undefined }, {})).toEqual({ a: 1 });
  });

  it('keeps null, false and 0 as real overrides', () => {
    expect(
      mergeOptions<{ a: unknown; b: boolean; c: number }>(
        { a: 'x', b: true, c: 5 },
        { a: null, b: false, c: 0 },
      ),
    ).toEqual({ a: null, b: false, c: 0 });
  });

  it('skips undefined layers and returns an empty object for none', () => {
    expect(mergeOptions<{ a: number }>(undefined, { a: 1 }, undefined)).toEqual({ a: 1 });
    expect(mergeOptions()).toEqual({});
  });

  it('is shallow: a nested object replaces the earlier one', () => {
    expect(
      mergeOptions<{ retry: { tries?: number; delay?: number } }>(
        { retry: { tries: 3, delay: 10 } },
        { retry: { tries: 5 } },
      ),
    ).toEqual({ retry: { tries: 5 } });
  });

  it('does not modify its layers', () => {
    const a = { x: 1 };
    const b = { x: 2 };
    const merged = mergeOptions<{ x: number }>(a, b);
    expect(merged).not.toBe(a);
    expect(merged).not.toBe(b);
    expect(a).toEqual({ x: 1 });
  });

  it('feeds resolveOptions: an undefined call value keeps the instance value', () => {
    const options = resolveOptions<{ ttlMs?: number }, { ttlMs: number }>({
      package: '@plinth/x',
      owner: 'X',
      spec: { ttlMs: check.number({ min: 0 }) },
      defaults: { ttlMs: 100 },
      input: mergeOptions<{ ttlMs: number }>({ ttlMs: 500 }, { ttlMs: undefined }),
    });
    expect(options.ttlMs).toBe(500);
  });
});
