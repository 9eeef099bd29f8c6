import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, isPlinthError } from '../src/index.js';

/** The `E_INVALID_ARGUMENT` that `canonicalJson(value)` throws. */
function rejection(value: unknown): { message: string; details: { path: string } } {
  try {
    canonicalJson(value);
  } catch (error) {
    expect(isPlinthError(error, 'E_INVALID_ARGUMENT')).toBe(true);
    return error as { message: string; details: { path: string } };
  }
  throw new Error('canonicalJson did not throw');
}

/** A copy with every object's own keys re-inserted in the order `order` gives them. */
function reorder(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, order));
  if (typeof value !== 'object' || value === null) return value;
  const out = {};
  for (const key of order(Object.keys(value))) {
    // defineProperty, so a generated "__proto__" key stays an own property.
    Object.defineProperty(out, key, {
      value: reorder((value as Record<string, unknown>)[key], order),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Deterministic shuffle driven by `seed`. */
function shuffler(seed: number): (keys: string[]) => string[] {
  let state = seed >>> 0 || 1;
  return (keys) => {
    const out = [...keys];
    for (let i = out.length - 1; i > 0; i--) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      const j = state % (i + 1);
      [out[i], out[j]] = [out[j] as string, out[i] as string];
    }
    return out;
  };
}

/** An independent reference for JSON values: sorted keys, JSON.stringify for the leaves. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Strings with any UTF-16 code unit, lone surrogates included. */
const anyUnit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)),
  fc.integer({ min: 0, max: 0x1f }).map((u) => String.fromCharCode(u)),
);
const json = fc.jsonValue({ stringUnit: anyUnit, maxDepth: 5 });

describe('canonicalJson: objects', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: { z: null, y: true } }], c: {} })).toBe(
      '{"a":[1,{"c":{"y":true,"z":null},"d":2}],"b":1,"c":{}}',
    );
  });

  it('sorts integer-like keys as strings, not as numbers', () => {
    // JavaScript enumerates "2" before "10"; canonical order compares the strings.
    expect(canonicalJson({ a: 3, 2: 2, 10: 1 })).toBe('{"10":1,"2":2,"a":3}');
    expect(canonicalJson({ '1': 'x', '01': 'y', '-1': 'z', '1.5': 'w' })).toBe(
      '{"-1":"z","01":"y","1":"x","1.5":"w"}',
    );
  });

  it('sorts keys by UTF-16 code units, not code points', () => {
    // U+1F600 is the surrogate pair D83D DE00; D83D < FFFD, so the emoji comes first,
    // although its code point is greater than U+FFFD.
    expect(canonicalJson({ '\uFFFD': 2, '\u{1F600}': 1 })).toBe('{"\u{1F600}":1,"\uFFFD":2}');
    expect(canonicalJson({ '\uFF61': 2, '\u{10000}': 1 })).toBe('{"\u{10000}":1,"\uFF61":2}');
  });

  it('sorts upper case before lower case and shorter prefixes first', () => {
    expect(canonicalJson({ b: 1, B: 2, ab: 3, a: 4, '': 5 })).toBe(
      '{"":5,"B":2,"a":4,"ab":3,"b":1}',
    );
  });

  it('gives the same text whatever the insertion order', () => {
    const a = { x: { p: 1, q: [{ m: 1, n: 2 }] }, y: 'y' };
    const b = { y: 'y', x: { q: [{ n: 2, m: 1 }], p: 1 } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('drops undefined, function and symbol values from objects', () => {
    expect(canonicalJson({ a: undefined, b: () => 1, c: Symbol('s'), d: 1 })).toBe('{"d":1}');
    expect(canonicalJson({ only: undefined })).toBe('{}');
    expect(canonicalJson({ a: undefined, b: 2, c: undefined })).toBe('{"b":2}');
  });

  it('ignores symbol keys and non-enumerable properties', () => {
    const value = { a: 1, [Symbol('hidden')]: 2 };
    Object.defineProperty(value, 'secret', { value: 3, enumerable: false });
    expect(canonicalJson(value)).toBe('{"a":1}');
  });

  it('writes only own enumerable properties of class instances and Maps, as JSON does', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(canonicalJson(new Point(1, 2))).toBe('{"x":1,"y":2}');
    expect(canonicalJson(new Map([['a', 1]]))).toBe('{}');
    expect(canonicalJson(Object.create(null))).toBe('{}');
  });
});

describe('canonicalJson: arrays', () => {
  it('keeps array order and nests arrays', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([[], [[]], [1, [2, [3]]]])).toBe('[[],[[]],[1,[2,[3]]]]');
  });

  it('writes undefined, functions and symbols in arrays as null', () => {
    expect(canonicalJson([undefined, () => 1, Symbol('s'), null])).toBe('[null,null,null,null]');
  });

  it('writes holes of sparse arrays as null', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson([1, , 3])).toBe('[1,null,3]');
    expect(canonicalJson(new Array(2))).toBe('[null,null]');
  });
});

describe('canonicalJson: strings', () => {
  it('escapes quotes, backslashes and control characters as JSON.stringify does', () => {
    expect(canonicalJson('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(canonicalJson('\n\r\t\b\f')).toBe('"\\n\\r\\t\\b\\f"');
    expect(canonicalJson('\u0000\u001f')).toBe('"\\u0000\\u001f"');
  });

  it('writes non-ASCII text as itself, not as escapes', () => {
    expect(canonicalJson('é€😀 \u2028\u2029 \u007f')).toBe('"é€😀 \u2028\u2029 \u007f"');
    expect(canonicalJson('/')).toBe('"/"');
  });

  it('escapes lone surrogates as lowercase \\u escapes', () => {
    expect(canonicalJson('\uD800')).toBe('"\\ud800"');
    expect(canonicalJson('a\uDFFFb')).toBe('"a\\udfffb"');
    expect(canonicalJson('\uDE00\uD83D')).toBe('"\\ude00\\ud83d"');
    expect(canonicalJson({ '\uD800': 1 })).toBe('{"\\ud800":1}');
  });

  it('round-trips any string through JSON.parse', () => {
    fc.assert(fc.property(fc.string({ unit: anyUnit }), (s) => JSON.parse(canonicalJson(s)) === s));
  });
});

describe('canonicalJson: numbers', () => {
  it.each<[number, string]>([
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1.5, '-1.5'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [1e-7, '1e-7'],
    [1e-6, '0.000001'],
    [0.1 + 0.2, '0.30000000000000004'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [Number.MIN_SAFE_INTEGER, '-9007199254740991'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [-5e-324, '-5e-324'],
  ])('writes %s as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('writes -0 as 0 inside structures too', () => {
    expect(canonicalJson({ a: -0, b: [-0] })).toBe('{"a":0,"b":[0]}');
  });

  // RFC 8785 appendix B: IEEE 754 bit patterns and their canonical text.
  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('writes the IEEE 754 value 0x%s as %s (RFC 8785)', (bits, text) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(`0x${bits}`));
    expect(canonicalJson(view.getFloat64(0))).toBe(text);
  });

  it('writes every finite number so that JSON.parse gives it back', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const back = JSON.parse(canonicalJson(n)) as number;
        return back === n; // -0 parses back as 0, and 0 === -0
      }),
    );
  });
});

describe('canonicalJson: RFC 8785 examples', () => {
  it('canonicalises the example of section 3.2.2', () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`) as unknown;
    expect(canonicalJson(input)).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('sorts the keys of the section 3.2.3 example', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\u{1F600}":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });
});

describe('canonicalJson: toJSON and boxed primitives', () => {
  it('uses toJSON, so Dates become ISO strings', () => {
    const d = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6));
    expect(canonicalJson(d)).toBe('"2025-01-02T03:04:05.006Z"');
    expect(canonicalJson({ at: d })).toBe('{"at":"2025-01-02T03:04:05.006Z"}');
  });

  it('writes an invalid Date as null, as JSON.stringify does', () => {
    expect(canonicalJson({ at: new Date(Number.NaN) })).toBe('{"at":null}');
  });

  it('canonicalises what toJSON returns (sorted), without calling toJSON on it again', () => {
    const inner = { toJSON: () => 'inner' };
    const value = { toJSON: () => ({ z: 1, a: inner, m: [inner] }) };
    expect(canonicalJson(value)).toBe('{"a":"inner","m":["inner"],"z":1}');
    const twice = { toJSON: () => ({ toJSON: () => 'never called', k: 1 }) };
    expect(canonicalJson(twice)).toBe('{"k":1}');
  });

  it('drops a property whose toJSON returns undefined, and writes null in arrays', () => {
    const gone = { toJSON: () => undefined };
    expect(canonicalJson({ a: gone, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([gone])).toBe('[null]');
  });

  it('passes toJSON the raw property name or index, as JSON.stringify does', () => {
    const keyed = { toJSON: (key: string) => `key=${key}` };
    const value = { 'a/b': keyed, 'c~d': keyed, plain: keyed, list: [keyed, keyed] };
    expect(canonicalJson(value)).toBe(
      '{"a/b":"key=a/b","c~d":"key=c~d","list":["key=0","key=1"],"plain":"key=plain"}',
    );
    expect(canonicalJson(keyed)).toBe('"key="');
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('unboxes Number, String and Boolean objects', () => {
    expect(canonicalJson([Object(1.5), Object('s'), Object(false)])).toBe('[1.5,"s",false]');
    expect(canonicalJson({ n: Object(-0) })).toBe('{"n":0}');
  });

  it('refuses boxed non-finite numbers and boxed BigInts like their primitives', () => {
    expect(rejection({ a: Object(Number.NaN) }).details.path).toBe('/a');
    expect(rejection({ a: [Object(1n)] }).details.path).toBe('/a/0');
  });
});

describe('canonicalJson: values JSON cannot represent', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('refuses %s at the top level with path ""', (what, value) => {
    const error = rejection(value);
    expect(error.details.path).toBe('');
    expect(error.message).toContain(what);
  });

  it('refuses a BigInt and names it', () => {
    const error = rejection({ n: 10n });
    expect(error.details.path).toBe('/n');
    expect(error.message).toContain('BigInt (10n)');
  });

  it('reports the JSON pointer of a nested bad value', () => {
    expect(rejection({ a: [{ b: Number.NaN }] }).details.path).toBe('/a/0/b');
    expect(rejection([1, [2, Infinity]]).details.path).toBe('/1/1');
    expect(rejection({ a: { b: { c: 1n } } }).message).toContain('"/a/b/c"');
  });

  it('escapes "~" as ~0 and "/" as ~1 in the pointer', () => {
    expect(rejection({ 'a/b': { 'c~d': Number.NaN } }).details.path).toBe('/a~1b/c~0d');
    expect(rejection({ '~1': Number.NaN }).details.path).toBe('/~01');
    expect(rejection({ '': { '': Number.NaN } }).details.path).toBe('//');
  });

  it('refuses a cycle, with the path where it closes', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(rejection(a).details.path).toBe('/self');

    const list: unknown[] = [];
    const holder = { list };
    list.push({ back: holder });
    expect(rejection(holder).details.path).toBe('/list/0/back');
    expect(rejection(holder).message).toContain('cycle');
  });

  it('refuses a cycle that closes through what a toJSON returns', () => {
    const root: Record<string, unknown> = {};
    root.child = { toJSON: () => ({ parent: root }) };
    expect(rejection(root).details.path).toBe('/child/parent');
  });

  it('accepts the same (non-cyclic) object appearing twice', () => {
    const shared = { v: 1 };
    expect(canonicalJson({ a: shared, b: shared, c: [shared, shared] })).toBe(
      '{"a":{"v":1},"b":{"v":1},"c":[{"v":1},{"v":1}]}',
    );
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
  ])('refuses %s at the top level', (_, value) => {
    const error = rejection(value);
    expect(error.details.path).toBe('');
    expect(error.message).toContain(typeof value);
  });

  it('refuses a top-level value whose toJSON returns undefined', () => {
    expect(rejection({ toJSON: () => undefined }).details.path).toBe('');
  });
});

describe('canonicalJson: properties', () => {
  it('matches an independent sorted-keys serialisation', () => {
    fc.assert(fc.property(json, (value) => canonicalJson(value) === reference(value)));
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        const shuffled = reorder(value, shuffler(seed));
        const reversed = reorder(value, (keys) => [...keys].reverse());
        const text = canonicalJson(value);
        return canonicalJson(shuffled) === text && canonicalJson(reversed) === text;
      }),
    );
  });

  it('parses back to the JSON-normalised value', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(JSON.parse(canonicalJson(value))).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('is idempotent: canonicalising the parsed output gives the same text', () => {
    fc.assert(
      fc.property(json, (value) => {
        const once = canonicalJson(value);
        return canonicalJson(JSON.parse(once)) === once;
      }),
    );
  });
});
