/**
 * fast-check generators of extension literals (valid, edge and malformed spellings of each type)
 * and of expressions over them, for the differential check against cedar-wasm.
 */
import fc from 'fast-check';
import { ExtensionValue, LONG_MIN } from '../../src/internal/values.js';
import { call, dt, dur, ip, outcome, type Expr, type Op } from './harness.js';

// ---------------------------------------------------------------------------------------------
// Generated literals and calls, compared with cedar-wasm.

export const digitString = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
export const pad = (n: number, w: number): string => String(n).padStart(w, '0');
export const cat = (...parts: fc.Arbitrary<string>[]): fc.Arbitrary<string> =>
  fc.tuple(...parts).map((xs) => xs.join(''));
export const opt = (a: fc.Arbitrary<string>, freq = 1): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.constant(''), weight: freq }, { arbitrary: a, weight: 1 });

/** IPv4 text: mostly valid octets, sometimes leading zeros, big numbers or a wrong count. */
export const ipv4Text = (narrow: boolean): fc.Arbitrary<string> => {
  const octet = narrow
    ? fc.constantFrom('0', '1', '10', '127', '255')
    : fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 255 }).map(String), weight: 12 },
        { arbitrary: fc.constantFrom('256', '999', '01', '00', '010', '1000', '', 'a'), weight: 1 },
      );
  const count = narrow
    ? fc.constant(4)
    : fc.oneof({ arbitrary: fc.constant(4), weight: 15 }, fc.constantFrom(3, 5));
  return count
    .chain((n) => fc.array(octet, { minLength: n, maxLength: n }))
    .map((xs) => xs.join('.'));
};

/** IPv6 text: eight groups (many zeros) with an optional `::` over a random run. */
export const ipv6Text = (narrow: boolean): fc.Arbitrary<string> => {
  const group = narrow
    ? fc.constantFrom(0, 0, 0, 1, 0xff00, 0xffff)
    : fc.oneof(
        fc.constant(0),
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(1, 0xff02, 0xfe80),
      );
  const spell = fc.tuple(group, fc.constantFrom('lower', 'upper', 'padded')).map(([g, how]) => {
    const h = g.toString(16);
    return how === 'upper' ? h.toUpperCase() : how === 'padded' ? h.padStart(4, '0') : h;
  });
  const bad = fc.constantFrom('12345', 'g', '', '1.2.3.4');
  const cell = narrow
    ? spell
    : fc.oneof({ arbitrary: spell, weight: 30 }, { arbitrary: bad, weight: 1 });
  return fc
    .tuple(fc.array(cell, { minLength: 8, maxLength: 8 }), fc.nat(8), fc.nat(8), fc.boolean())
    .map(([gs, i, j, compress]) => {
      if (!compress) return gs.join(':');
      const [a, b] = i <= j ? [i, j] : [j, i];
      return `${gs.slice(0, a).join(':')}::${gs.slice(b).join(':')}`;
    });
};

export const prefixText = (narrow: boolean): fc.Arbitrary<string> =>
  opt(
    narrow
      ? fc.constantFrom('/8', '/32', '/128', '/0', '/1', '/4')
      : fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 130 }).map((n) => `/${n}`), weight: 10 },
          {
            arbitrary: fc.constantFrom(
              '/08',
              '/00',
              '/+8',
              '/',
              '/-1',
              '/0128',
              '/1000',
              '/8/8',
              '/ 8',
            ),
            weight: 1,
          },
        ),
  );

export const ipText = (narrow: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: cat(ipv4Text(narrow), prefixText(narrow)), weight: 5 },
    { arbitrary: cat(ipv6Text(narrow), prefixText(narrow)), weight: 5 },
    {
      arbitrary: fc.constantFrom(
        ' 1.2.3.4',
        '1.2.3.4 ',
        'fe80::1%eth0',
        '',
        ':',
        ':::',
        '::ffff:1.2.3.4',
        'abc',
      ),
      weight: narrow ? 0 : 1,
    },
  );

/** Decimal text: sign, integer digits (leading zeros too), `.`, 0–6 fraction digits; edges. */
export const decimalText = (narrow: boolean): fc.Arbitrary<string> =>
  narrow
    ? cat(
        fc.constantFrom('', '-'),
        fc.constantFrom('0', '1', '01'),
        fc.constant('.'),
        fc.constantFrom('0', '5', '50', '05', '5000'),
      )
    : fc.oneof(
        {
          arbitrary: cat(
            fc.constantFrom('', '', '', '-', '+'),
            digitString(0, 17),
            fc.oneof({ arbitrary: fc.constant('.'), weight: 12 }, fc.constantFrom('', ',', '..')),
            digitString(0, 6),
          ),
          weight: 10,
        },
        {
          arbitrary: fc.constantFrom(
            '922337203685477.5807',
            '922337203685477.5808',
            '-922337203685477.5808',
            '-922337203685477.5809',
            '922337203685478.0',
            '-0.0',
          ),
          weight: 2,
        },
      );

/** Datetime text: mostly well-formed parts with out-of-range values mixed in. */
export const datetimeText = (narrow: boolean): fc.Arbitrary<string> => {
  if (narrow) {
    return cat(
      fc.constantFrom('1970-01-01', '1970-01-02', '1969-12-31'),
      opt(
        cat(
          fc.constantFrom('T00:00:00', 'T01:00:00', 'T23:00:00'),
          fc.constantFrom('', '.000'),
          fc.constantFrom('Z', '+0100', '-0100', '+0000', '-2300', '+2300'),
        ),
      ),
    );
  }
  const num = (min: number, max: number, w: number, badMax: number): fc.Arbitrary<string> =>
    fc.oneof(
      { arbitrary: fc.integer({ min, max }).map((n) => pad(n, w)), weight: 12 },
      { arbitrary: fc.integer({ min: 0, max: badMax }).map((n) => pad(n, w)), weight: 1 },
      { arbitrary: fc.integer({ min: 0, max: 9 }).map(String), weight: 1 },
    );
  const date = cat(
    fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 9999 }).map((n) => pad(n, 4)), weight: 10 },
      fc.constantFrom('10000', '+2024', '99'),
    ),
    fc.constant('-'),
    num(1, 12, 2, 99),
    fc.constant('-'),
    num(1, 28, 2, 99).chain((d) =>
      d === '28' ? fc.constantFrom('28', '29', '30', '31') : fc.constant(d),
    ),
  );
  const time = cat(
    fc.oneof({ arbitrary: fc.constant('T'), weight: 12 }, fc.constantFrom('t', ' ')),
    num(0, 23, 2, 99),
    fc.constant(':'),
    num(0, 59, 2, 99),
    fc.constant(':'),
    num(0, 59, 2, 99),
    opt(
      cat(
        fc.constant('.'),
        fc.oneof({ arbitrary: digitString(3, 3), weight: 6 }, digitString(0, 5)),
      ),
    ),
    fc.oneof(
      { arbitrary: fc.constant('Z'), weight: 4 },
      {
        arbitrary: cat(fc.constantFrom('+', '-'), num(0, 23, 2, 99), num(0, 59, 2, 99)),
        weight: 4,
      },
      { arbitrary: fc.constantFrom('', 'z', '+01:00', '+01', 'Z '), weight: 1 },
    ),
  );
  return cat(date, opt(time));
};

export const DURATION_UNITS = ['d', 'h', 'm', 's', 'ms'] as const;

/** Duration text: components in order (sometimes out of order or repeated), small and huge. */
export const durationText = (narrow: boolean): fc.Arbitrary<string> => {
  const magnitude = narrow
    ? fc.constantFrom('0', '1', '2', '24', '60', '1000', '1440', '3600')
    : fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 999 }).map(String), weight: 8 },
        { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), weight: 2 },
        {
          arbitrary: fc.constantFrom(
            '9223372036854775807',
            '9223372036854775808',
            '106751991167',
            '106751991168',
            '007',
          ),
          weight: 1,
        },
      );
  const components = fc
    .subarray([...DURATION_UNITS], { minLength: 1 })
    .chain((units) => fc.tuple(...units.map((u) => magnitude.map((n) => `${n}${u}`))));
  const ordered = components.map((cs) => cs.join(''));
  const shuffled = components
    .chain((cs) => fc.shuffledSubarray(cs, { minLength: 1 }))
    .map((cs) => cs.join(''));
  const body = narrow
    ? ordered
    : fc.oneof(
        { arbitrary: ordered, weight: 10 },
        { arbitrary: shuffled, weight: 2 },
        {
          arbitrary: fc.constantFrom(
            '',
            '1',
            'ms',
            '1x',
            '1H',
            '1.5h',
            '1h ',
            '1 h',
            '1h1h',
            '1msms',
          ),
          weight: 1,
        },
      );
  return cat(
    fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, fc.constantFrom('-', '-', '+', '--')),
    body,
  );
};

/** Two ranges likely to nest: a shared leading part, then random rest and prefixes. */
export const relatedIps: fc.Arbitrary<[Expr, Expr]> = fc.oneof(
  fc
    .tuple(
      fc.array(fc.constantFrom(0, 10, 127, 192, 224, 255), { minLength: 4, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 32 }),
    )
    .map(([a, b, shared, p, q]): [Expr, Expr] => {
      const c = [...a.slice(0, shared), ...b.slice(shared)];
      return [ip(`${a.join('.')}/${p}`), ip(`${c.join('.')}/${q}`)];
    }),
  fc
    .tuple(
      fc.array(fc.constantFrom(0, 1, 0x2001, 0xdb8, 0xff02), { minLength: 8, maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 0, max: 128 }),
      fc.integer({ min: 0, max: 128 }),
    )
    .map(([a, b, shared, p, q]): [Expr, Expr] => {
      const c = [...a.slice(0, shared), ...b.slice(shared)];
      const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
      return [ip(`${hex(a)}/${p}`), ip(`${hex(c)}/${q}`)];
    }),
);

/** Addresses near the loopback and multicast ranges, with any prefix. */
export const specialIp: fc.Arbitrary<Expr> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(126, 127, 128, 223, 224, 239, 240),
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 3, maxLength: 3 }),
      prefixText(false),
    )
    .map(([a, rest, p]) => ip(`${[a, ...rest].join('.')}${p}`)),
  fc
    .tuple(
      fc.constantFrom('::1', '::2', '::', 'ff00::', 'ff02::1', 'fe80::1', 'ffff::1'),
      prefixText(true),
    )
    .map(([a, p]) => ip(`${a}${p}`)),
);

/**
 * `==` between a literal and our own spelling of its value (`arg()`): proves that arg() is a
 * literal Cedar accepts and that Cedar-equal spellings are equal for us too.
 */
export function respelled(fn: string, text: fc.Arbitrary<string>): fc.Arbitrary<Expr> {
  return text.map((s) => {
    const o = outcome(call(fn, s));
    const alt = 'value' in o && o.value instanceof ExtensionValue ? o.value.arg() : s;
    return call('==', call(fn, s), call(fn, alt));
  });
}

export const respellings: fc.Arbitrary<Expr> = fc.oneof(
  ...[false, true].flatMap((narrow) => [
    respelled('ip', ipText(narrow)),
    respelled('decimal', decimalText(narrow)),
    respelled('datetime', datetimeText(narrow)),
    respelled('duration', durationText(narrow)),
  ]),
);

export const longArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom<Expr>(LONG_MIN, 9_223_372_036_854_775_807n),
);

export interface Typed {
  readonly ip: fc.Arbitrary<Expr>;
  readonly decimal: fc.Arbitrary<Expr>;
  readonly datetime: fc.Arbitrary<Expr>;
  readonly duration: fc.Arbitrary<Expr>;
}

/** Generators of expressions of each extension type, `depth` levels of calls deep. */
export function typed(depth: number): Typed {
  const lit = (fn: string, text: (narrow: boolean) => fc.Arbitrary<string>): fc.Arbitrary<Expr> =>
    fc.oneof(text(false), text(true)).map((s) => call(fn, s));
  const ipE = lit('ip', ipText);
  const decE = lit('decimal', decimalText);
  const edgeDatetime = fc
    .constantFrom(
      '9223372036854775807ms',
      '-9223372036854775808ms',
      '-9223372036854775807ms',
      '9223372036828800000ms',
    )
    .map((d) => call('offset', dt('1970-01-01'), dur(d)));
  let dtE: fc.Arbitrary<Expr> = fc.oneof(
    { arbitrary: lit('datetime', datetimeText), weight: 6 },
    { arbitrary: edgeDatetime, weight: 1 },
  );
  let durE: fc.Arbitrary<Expr> = lit('duration', durationText);
  if (depth > 0) {
    const inner = typed(depth - 1);
    dtE = fc.oneof(
      { arbitrary: dtE, weight: 3 },
      fc.tuple(inner.datetime, inner.duration).map(([a, d]) => call('offset', a, d)),
      inner.datetime.map((a) => call('toDate', a)),
    );
    durE = fc.oneof(
      { arbitrary: durE, weight: 3 },
      fc.tuple(inner.datetime, inner.datetime).map(([a, b]) => call('durationSince', a, b)),
      inner.datetime.map((a) => call('toTime', a)),
    );
  }
  return { ip: ipE, decimal: decE, datetime: dtE, duration: durE };
}

/** A call returning Bool or Long, or a comparison; with a few ill-typed arguments. */
export function topLevel(t: Typed): fc.Arbitrary<Expr> {
  const anyExt = fc.oneof(t.ip, t.decimal, t.datetime, t.duration);
  const m1 = (names: readonly string[], recv: fc.Arbitrary<Expr>): fc.Arbitrary<Expr> =>
    fc.tuple(fc.constantFrom(...names), recv).map(([fn, a]) => call(fn, a));
  const m2 = (
    names: readonly string[],
    a: fc.Arbitrary<Expr>,
    b: fc.Arbitrary<Expr>,
  ): fc.Arbitrary<Expr> =>
    fc.tuple(fc.constantFrom(...names), a, b).map(([fn, x, y]) => call(fn, x, y));
  const cmp: readonly Op[] = ['<', '<=', '>', '>='];
  const eq: readonly Op[] = ['==', '!='];
  return fc.oneof(
    { arbitrary: t.ip, weight: 2 },
    { arbitrary: t.decimal, weight: 2 },
    { arbitrary: t.datetime, weight: 2 },
    { arbitrary: t.duration, weight: 2 },
    { arbitrary: m1(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'], t.ip), weight: 3 },
    { arbitrary: m2(['isInRange'], t.ip, t.ip), weight: 2 },
    { arbitrary: relatedIps.map(([a, b]) => call('isInRange', a, b)), weight: 3 },
    { arbitrary: m1(['isLoopback', 'isMulticast'], specialIp), weight: 2 },
    { arbitrary: respellings, weight: 3 },
    {
      arbitrary: m2(
        ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'],
        t.decimal,
        t.decimal,
      ),
      weight: 3,
    },
    {
      arbitrary: m1(['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays'], t.duration),
      weight: 4,
    },
    { arbitrary: m2(cmp, t.datetime, t.datetime), weight: 2 },
    { arbitrary: m2(cmp, t.duration, t.duration), weight: 2 },
    { arbitrary: m2(eq, t.ip, t.ip), weight: 3 },
    { arbitrary: m2(eq, t.decimal, t.decimal), weight: 3 },
    { arbitrary: m2(eq, t.datetime, t.datetime), weight: 3 },
    { arbitrary: m2(eq, t.duration, t.duration), weight: 3 },
    // Ill-typed on purpose: wrong receivers and arguments, operators on unordered types.
    { arbitrary: m2(cmp, anyExt, fc.oneof(anyExt, longArb)), weight: 1 },
    { arbitrary: m2(cmp, longArb, anyExt), weight: 1 },
    {
      arbitrary: m1(
        ['isIpv4', 'toDate', 'toTime', 'toDays'],
        fc.oneof(anyExt, longArb, fc.constant<Expr>('x')),
      ),
      weight: 1,
    },
    {
      arbitrary: m2(
        ['isInRange', 'offset', 'durationSince', 'lessThan'],
        anyExt,
        fc.oneof(anyExt, longArb),
      ),
      weight: 1,
    },
    { arbitrary: m1(['ip', 'decimal', 'datetime', 'duration'], longArb), weight: 1 },
  );
}
