import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  checkJsonLimits,
  DEFAULT_LIMITS,
  isPlinthError,
  limitsOption,
  parseJson,
} from '../src/index.js';

function thrown(fn: () => unknown): {
  code: string;
  package: string;
  details: Record<string, unknown>;
  message: string;
} {
  try {
    fn();
  } catch (error) {
    expect(isPlinthError(error)).toBe(true);
    return error as never;
  }
  throw new Error('did not throw');
}

const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
function deepValue(n: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = [v];
  return v;
}

describe('parseJson', () => {
  it('refuses text nested 100,000 levels deep before parsing, naming the limit', () => {
    const e = thrown(() =>
      parseJson(deepArray(100_000), { maxDepth: 64 }, { package: '@plinth/x', what: 'schema' }),
    );
    expect(e.code).toBe('E_LIMIT_EXCEEDED');
    expect(e.package).toBe('@plinth/x');
    expect(e.details).toMatchObject({ limit: 'maxDepth', max: 64, offset: 64 });
    expect(e.message).toContain('limits.maxDepth (64)');
  });

  it('does not count brackets inside strings, and accepts the limit itself', () => {
    expect(parseJson('{"a":"[[[[[[[[[[[[\\"["}', { maxDepth: 1 })).toEqual({ a: '[[[[[[[[[[[["[' });
    expect(parseJson(deepArray(3), { maxDepth: 3 })).toEqual([[[]]]);
    expect(thrown(() => parseJson(deepArray(4), { maxDepth: 3 })).details.limit).toBe('maxDepth');
  });

  it('names the package option of each limit', () => {
    const e = thrown(() =>
      parseJson(
        '"' + 'x'.repeat(20) + '"',
        { maxStringLength: 10 },
        { names: { maxStringLength: 'maxText' } },
      ),
    );
    expect(e.details).toMatchObject({ limit: 'maxText', max: 10, actual: 20 });
  });

  it('checks size, array length and syntax with typed errors', () => {
    expect(thrown(() => parseJson('[1,2,3]', { maxDocumentSize: 3 })).details.limit).toBe(
      'maxDocumentSize',
    );
    expect(thrown(() => parseJson('[1,2,3]', { maxArrayLength: 2 })).details).toMatchObject({
      limit: 'maxArrayLength',
      path: '',
    });
    expect(thrown(() => parseJson('{"a":{"b":1,"c":2}}', { maxArrayLength: 1 })).details.path).toBe(
      '/a',
    );
    const syntax = thrown(() => parseJson('{', {}));
    expect(syntax.code).toBe('E_INVALID_ARGUMENT');
    expect(syntax.details.reason).toBe('syntax');
    expect(thrown(() => parseJson(42 as never, {})).code).toBe('E_INVALID_ARGUMENT');
  });

  it('agrees with JSON.parse on every JSON text within the limits (property)', () => {
    let agreed = 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = JSON.stringify(v);
        expect(parseJson(text, DEFAULT_LIMITS)).toEqual(JSON.parse(text));
        agreed++;
      }),
      { seed: 1313, numRuns: 300 },
    );
    console.log(`parseJson agrees with JSON.parse on ${agreed}/300 generated documents`);
  });
});

describe('checkJsonLimits', () => {
  it('walks a value nested 100,000 levels deep without overflowing the stack', () => {
    const e = thrown(() => checkJsonLimits(deepValue(100_000), { maxDepth: 64 }));
    expect(e.details).toMatchObject({ limit: 'maxDepth', max: 64 });
    expect(String(e.details.path).split('/')).toHaveLength(65);
  });

  it('walks shared objects in linear time and ends on a cycle without a depth limit', () => {
    let shared: unknown = { leaf: 'x' };
    for (let i = 0; i < 60; i++) shared = { a: shared, b: shared, c: shared };
    expect(() => checkJsonLimits(shared, { maxDepth: 64 })).not.toThrow();
    expect(thrown(() => checkJsonLimits(shared, { maxDepth: 30 })).details.limit).toBe('maxDepth');
    const loop: unknown[] = [];
    loop.push(loop);
    expect(() => checkJsonLimits(loop, { maxStringLength: 5 })).not.toThrow();
  });

  it('stops at the depth limit on a cycle and gives the pointer of long strings and keys', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(thrown(() => checkJsonLimits(a, { maxDepth: 10 })).details.limit).toBe('maxDepth');
    expect(
      thrown(() => checkJsonLimits({ x: [1, 'abcdef'] }, { maxStringLength: 3 })).details.path,
    ).toBe('/x/1');
    expect(thrown(() => checkJsonLimits({ abcdef: 1 }, { maxStringLength: 3 })).details.limit).toBe(
      'maxStringLength',
    );
    expect(() => checkJsonLimits({ a: [1, { b: 'c' }] }, DEFAULT_LIMITS)).not.toThrow();
  });
});

describe('canonicalJson depth bound', () => {
  it('answers E_LIMIT_EXCEEDED for a value nested 100,000 levels deep', () => {
    const e = thrown(() => canonicalJson(deepValue(100_000)));
    expect(e.code).toBe('E_LIMIT_EXCEEDED');
    expect(e.details).toMatchObject({ limit: 'maxDepth', max: 1000 });
    expect(thrown(() => canonicalJson(deepValue(5), { maxDepth: 4 })).details.max).toBe(4);
    expect(canonicalJson(deepValue(4), { maxDepth: 4 })).toBe('[[[["x"]]]]');
  });
});

describe('limitsOption', () => {
  it('accepts known positive integers and refuses anything else', () => {
    const c = limitsOption(['maxDepth', 'maxPageSize'], ['maxPageSize']);
    expect(c.test({ maxDepth: 3 })).toBe(true);
    expect(c.test({ maxPageSize: 0 })).toBe(true);
    expect(c.test({ maxDepth: 0 })).toBe(false);
    expect(c.test({ maxDepth: 1.5 })).toBe(false);
    expect(c.test({ maxDepht: 3 })).toBe(false);
    expect(c.test([])).toBe(false);
  });
});
