/**
 * Cedar's extension types (ip, decimal, datetime, duration): a table of cases per function,
 * including edge and malformed literals, and a seeded differential check of generated literals
 * and calls against cedar-wasm. Expressions are evaluated here through the extension classes
 * directly (no parser), and rendered as Cedar text for the oracle.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EvalError, type EvalErrorKind } from '../src/internal/eval-error.js';
import {
  datetimeText,
  decimalText,
  durationText,
  ipText,
  topLevel,
  typed,
} from './extensions/generators.js';
import {
  REQUEST,
  call,
  cedarText,
  compareWithOracle,
  dec,
  disagreements,
  dt,
  dur,
  evaluate,
  ip,
  oracleBatch,
  oracleKind,
  outcome,
  valueText,
  type Expr,
  type Outcome,
} from './extensions/harness.js';
import {
  Datetime,
  Decimal,
  Duration,
  EXTENSION_FUNCTIONS,
  IpAddr,
  compareExtension,
  extensionFromJson,
} from '../src/internal/extensions/index.js';
import {
  CedarSet,
  ExtensionValue,
  LONG_MIN,
  hashKey,
  valueEquals,
  type Value,
} from '../src/internal/values.js';

// ---------------------------------------------------------------------------------------------
// The table: expression → expected value (as an expression) or error kind.

type Expected = Expr | { readonly error: EvalErrorKind };
const err = (kind: EvalErrorKind): { error: EvalErrorKind } => ({ error: kind });
const I64_MAX_MS = '9223372036854775807ms';

const IP_CASES: readonly (readonly [Expr, Expected])[] = [
  [call('isIpv4', ip('10.0.0.1')), true],
  [call('isIpv6', ip('10.0.0.1')), false],
  [call('isIpv4', ip('0.0.0.0')), true],
  [call('isIpv4', ip('255.255.255.255')), true],
  [call('isIpv6', ip('::')), true],
  [call('isIpv6', ip('::1')), true],
  [call('isIpv6', ip('1:2:3:4:5:6:7:8')), true],
  [call('isIpv6', ip('::1:2:3:4:5:6:7')), true],
  [call('isIpv6', ip('1:2:3:4:5:6:7::')), true],
  [call('isIpv6', ip('0001::')), true],
  [call('isIpv6', ip('2001:DB8::1')), true],
  [call('isIpv4', ip('::ffff:a00:1')), false],
  [call('isIpv4', ip('10.0.0.0/8')), true],
  [call('isIpv4', ip('0.0.0.0/0')), true],
  [call('isIpv6', ip('::/0')), true],
  [call('isIpv6', ip('::/128')), true],
  // Malformed: leading zeros, out-of-range octets, wrong group counts, embedded IPv4, zone ids,
  // whitespace, bad prefixes.
  [ip('01.2.3.4'), err('extension')],
  [ip('1.2.3.04'), err('extension')],
  [ip('1.2.3.400'), err('extension')],
  [ip('256.0.0.0'), err('extension')],
  [ip('1.2.3'), err('extension')],
  [ip('1.2.3.4.5'), err('extension')],
  [ip('+1.2.3.4'), err('extension')],
  [ip(''), err('extension')],
  [ip(' 10.0.0.1'), err('extension')],
  [ip('10.0.0.1 '), err('extension')],
  [ip('abc'), err('extension')],
  [ip('::ffff:10.0.0.1'), err('extension')],
  [ip('::0.0.0.1'), err('extension')],
  [ip('fe80::1%eth0'), err('extension')],
  [ip('1:2:3:4:5:6:7:8:9'), err('extension')],
  [ip('1:2:3:4::5:6:7:8'), err('extension')],
  [ip('1::2::3'), err('extension')],
  [ip('1:::'), err('extension')],
  [ip(':1'), err('extension')],
  [ip('1:'), err('extension')],
  [ip('::1:'), err('extension')],
  [ip('00001::'), err('extension')],
  [ip('12345::'), err('extension')],
  [ip('10.0.0.0/33'), err('extension')],
  [ip('::/129'), err('extension')],
  [ip('::/0128'), err('extension')],
  [ip('10.0.0.1/08'), err('extension')],
  [ip('0.0.0.0/00'), err('extension')],
  [ip('10.0.0.1/+8'), err('extension')],
  [ip('10.0.0.1/-1'), err('extension')],
  [ip('10.0.0.1/'), err('extension')],
  [ip('1.2.3.4/32/1'), err('extension')],
  [ip('1.2.3.4 /8'), err('extension')],
  [ip('1.2.3.4/8 '), err('extension')],
  [call('ip', 1), err('type')],
  // Equality: prefix-less means full length; host bits are kept; spelling does not matter.
  [call('==', ip('10.0.0.1'), ip('10.0.0.1/32')), true],
  [call('==', ip('::'), ip('::/128')), true],
  [call('==', ip('10.0.0.1/8'), ip('10.0.0.0/8')), false],
  [call('==', ip('::1/1'), ip('::1')), false],
  [call('==', ip('::FFFF:1'), ip('::ffff:1')), true],
  [call('==', ip('0:0::1'), ip('::1')), true],
  [call('==', ip('0:0:0:0:0:0:0:1'), ip('::1')), true],
  [call('==', ip('1:2:3::4:5:6:7'), ip('1:2:3:0:4:5:6:7')), true],
  [call('==', ip('0.0.0.0/32'), ip('0.0.0.0')), true],
  [ip('::1:2:3:4:5:6:7:8'), err('extension')],
  [ip('1:2:3:4:5:6:7:8::'), err('extension')],
  [call('==', ip('::ffff:a00:1'), ip('10.0.0.1')), false],
  // isInRange: the receiver's whole range inside the argument's, same family.
  [call('isInRange', ip('10.0.0.1'), ip('10.0.0.0/8')), true],
  [call('isInRange', ip('10.0.0.0/8'), ip('10.0.0.0/8')), true],
  [call('isInRange', ip('10.0.0.0/7'), ip('10.0.0.0/8')), false],
  [call('isInRange', ip('10.0.0.0/8'), ip('10.1.0.0/7')), true],
  [call('isInRange', ip('127.0.0.1'), ip('127.0.0.0/32')), false],
  [call('isInRange', ip('127.0.0.0/31'), ip('127.0.0.1/31')), true],
  [call('isInRange', ip('0.0.0.0/0'), ip('0.0.0.0/0')), true],
  [call('isInRange', ip('10.0.0.0/8'), ip('::/0')), false],
  [call('isInRange', ip('::/0'), ip('0.0.0.0/0')), false],
  [call('isInRange', ip('2001:db8::1'), ip('2001:db8::/32')), true],
  [call('isInRange', ip('2001:db9::1'), ip('2001:db8::/32')), false],
  [call('isInRange', ip('10.0.0.1'), dec('1.0')), err('type')],
  [call('isInRange', dec('1.0'), ip('10.0.0.1')), err('type')],
  // isLoopback / isMulticast: the whole range must be inside 127.0.0.0/8, ::1, 224.0.0.0/4, ff00::/8.
  [call('isLoopback', ip('127.0.0.1')), true],
  [call('isLoopback', ip('127.255.255.255/32')), true],
  [call('isLoopback', ip('127.0.0.1/8')), true],
  [call('isLoopback', ip('127.0.0.1/7')), false],
  [call('isLoopback', ip('127.0.0.1/1')), false],
  [call('isLoopback', ip('128.0.0.1')), false],
  [call('isLoopback', ip('::1')), true],
  [call('isLoopback', ip('::1/128')), true],
  [call('isLoopback', ip('::1/64')), false],
  [call('isLoopback', ip('::2')), false],
  [call('isLoopback', ip('::/0')), false],
  [call('isMulticast', ip('224.0.0.1')), true],
  [call('isMulticast', ip('239.255.255.255')), true],
  [call('isMulticast', ip('240.0.0.0')), false],
  [call('isMulticast', ip('224.0.0.1/4')), true],
  [call('isMulticast', ip('224.0.0.1/3')), false],
  [call('isMulticast', ip('0.0.0.0/0')), false],
  [call('isMulticast', ip('ff02::1')), true],
  [call('isMulticast', ip('ffff::')), true],
  [call('isMulticast', ip('ff00::1/8')), true],
  [call('isMulticast', ip('ff00::1/7')), false],
  [call('isMulticast', ip('feff::')), false],
  [call('isIpv4', dec('1.0')), err('type')],
  [call('isLoopback', 'x'), err('type')],
  [call('<', ip('::1'), ip('::2')), err('type')],
];

const DECIMAL_CASES: readonly (readonly [Expr, Expected])[] = [
  [call('==', dec('1.0'), dec('1.00')), true],
  [call('==', dec('1.5'), dec('1.5000')), true],
  [call('==', dec('-0.0'), dec('0.0')), true],
  [call('==', dec('01.5'), dec('1.5')), true],
  [call('==', dec('00000000000000000000001.5'), dec('1.5')), true],
  [call('==', dec('-0000922337203685477.5808'), dec('-922337203685477.5808')), true],
  [call('==', dec('1.5'), 1), false],
  [call('lessThan', dec('1.5'), dec('1.5001')), true],
  [call('lessThan', dec('-1.5'), dec('-1.4')), true],
  [call('lessThan', dec('-0.0001'), dec('0.0')), true],
  [call('lessThanOrEqual', dec('1.5'), dec('1.5')), true],
  [call('greaterThan', dec('1.5'), dec('1.5')), false],
  [call('greaterThanOrEqual', dec('1.5'), dec('1.5')), true],
  [call('greaterThan', dec('922337203685477.5807'), dec('-922337203685477.5808')), true],
  [call('lessThan', dec('-0922337203685477.5808'), dec('0.0')), true],
  [dec('922337203685477.5808'), err('extension')],
  [dec('-922337203685477.5809'), err('extension')],
  [dec('9999999999999999999999.0'), err('extension')],
  [dec('1.50001'), err('extension')],
  [dec('-922337203685477.58080'), err('extension')],
  [dec('1'), err('extension')],
  [dec('.5'), err('extension')],
  [dec('-.5'), err('extension')],
  [dec('1.'), err('extension')],
  [dec('+1.5'), err('extension')],
  [dec('--1.5'), err('extension')],
  [dec('1 .5'), err('extension')],
  [dec(' 1.5'), err('extension')],
  [dec('1.5 '), err('extension')],
  [dec('1,5'), err('extension')],
  [dec('1e2'), err('extension')],
  [dec('1.-5'), err('extension')],
  [dec('1.5.5'), err('extension')],
  [dec('\u0661.5'), err('extension')],
  [call('decimal', 1), err('type')],
  [call('lessThan', dec('1.5'), 1), err('type')],
  [call('lessThan', dt('2024-01-01'), dt('2024-01-02')), err('type')],
  [call('lessThan', dur('1h'), dur('2h')), err('type')],
  [call('<', dec('1.0'), dec('2.0')), err('type')],
  [call('<', dec('1.5'), 1), err('type')],
];

const DATETIME_CASES: readonly (readonly [Expr, Expected])[] = [
  [call('==', dt('2024-01-01'), dt('2024-01-01T00:00:00Z')), true],
  [call('==', dt('2024-01-01T00:00:00.000Z'), dt('2024-01-01T00:00:00Z')), true],
  [call('==', dt('2024-01-01T01:00:00+0100'), dt('2024-01-01T00:00:00Z')), true],
  [call('==', dt('2024-01-01T00:00:00+0000'), dt('2024-01-01')), true],
  [call('==', dt('2024-01-01T00:00:00-0000'), dt('2024-01-01')), true],
  [call('==', dt('2024-01-01T00:00:00+2359'), dt('2023-12-31T00:01:00Z')), true],
  [call('==', dt('2024-01-01T00:00:00-2359'), dt('2024-01-01T23:59:00Z')), true],
  [call('==', dt('2024-01-01T00:00:00.123+0100'), dt('2023-12-31T23:00:00.123Z')), true],
  [call('==', dt('2024-01-01T00:00:00.000+0000'), dt('2024-01-01')), true],
  [dt('2024-02-29'), dt('2024-02-29T00:00:00Z')],
  [dt('2000-02-29'), dt('2000-02-29T00:00:00Z')],
  [dt('0000-01-01'), dt('0000-01-01T00:00:00Z')],
  [dt('0000-01-01T00:00:00+2359'), call('offset', dt('0000-01-01'), dur('-23h59m'))],
  [
    dt('9999-12-31T23:59:59.999-2359'),
    call('offset', dt('9999-12-31T23:59:59.999Z'), dur('23h59m')),
  ],
  [dt('1969-12-31T23:59:59Z'), call('offset', dt('1970-01-01'), dur('-1s'))],
  [dt('2023-02-29'), err('extension')],
  [dt('1900-02-29'), err('extension')],
  [dt('2024-02-30'), err('extension')],
  [dt('2024-04-31'), err('extension')],
  [dt('2024-00-01'), err('extension')],
  [dt('2024-13-01'), err('extension')],
  [dt('2024-01-00'), err('extension')],
  [dt('2024-01-32'), err('extension')],
  [dt('2024-1-01'), err('extension')],
  [dt('10000-01-01'), err('extension')],
  [dt('+2024-01-01'), err('extension')],
  [dt('-2024-01-01'), err('extension')],
  [dt('\uff12024-01-01'), err('extension')],
  [dt('2024-01-01T'), err('extension')],
  [dt('2024-01-01 '), err('extension')],
  [dt('2024-01-01Z'), err('extension')],
  [dt('2024-01-01 10:20:30Z'), err('extension')],
  [dt('2024-01-01t00:00:00Z'), err('extension')],
  [dt('2024-01-01T00:00Z'), err('extension')],
  [dt('2024-01-01T10:20:30'), err('extension')],
  [dt('2024-01-01T00:00:00z'), err('extension')],
  [dt('2024-01-01T00:00:00.0Z'), err('extension')],
  [dt('2024-01-01T00:00:00.12Z'), err('extension')],
  [dt('2024-01-01T00:00:00.1234Z'), err('extension')],
  [dt('2024-01-01T00:00:00.000'), err('extension')],
  [dt('2024-01-01T00:00:00+01:00'), err('extension')],
  [dt('2024-01-01T00:00:00+01'), err('extension')],
  [dt('2024-01-01T00:00:00+2400'), err('extension')],
  [dt('2024-01-01T00:00:00+0060'), err('extension')],
  [dt('2024-01-01T24:00:00Z'), err('extension')],
  [dt('2024-01-01T23:60:00Z'), err('extension')],
  [dt('2024-01-01T23:59:60Z'), err('extension')],
  [dt('now'), err('extension')],
  [call('datetime', 1), err('type')],
  // Ordering (datetime with datetime only).
  [call('<', dt('2024-01-01'), dt('2024-01-02')), true],
  [call('<=', dt('2024-01-01'), dt('2024-01-01')), true],
  [call('>', dt('2024-01-01T00:00:00.001Z'), dt('2024-01-01')), true],
  [call('>=', dt('1969-12-31'), dt('1970-01-01')), false],
  [call('<', dt('2024-01-01'), dur('1h')), err('type')],
  [call('<', dt('2024-01-01'), 1), err('type')],
  [call('<', 1, dt('2024-01-01')), err('type')],
  // offset / durationSince, with i64 overflow.
  [call('offset', dt('2024-01-01'), dur('1d')), dt('2024-01-02')],
  [call('offset', dt('2024-01-01'), dur('-1d')), dt('2023-12-31')],
  [call('offset', call('offset', dt('1970-01-01'), dur(I64_MAX_MS)), dur('1ms')), err('extension')],
  [
    call('offset', call('offset', dt('1970-01-01'), dur('-9223372036854775808ms')), dur('-1ms')),
    err('extension'),
  ],
  [call('offset', dt('2024-01-01'), 1), err('type')],
  [call('offset', dur('1h'), dur('1h')), err('type')],
  [call('durationSince', dt('2024-01-02'), dt('2024-01-01')), dur('1d')],
  [call('durationSince', dt('2024-01-01'), dt('2024-01-02')), dur('-1d')],
  [
    call('durationSince', call('offset', dt('1970-01-01'), dur(I64_MAX_MS)), dt('1969-12-31')),
    err('extension'),
  ],
  [
    call(
      'durationSince',
      call('offset', dt('1970-01-01'), dur('-9223372036854775807ms')),
      dt('1970-01-02'),
    ),
    err('extension'),
  ],
  [call('durationSince', dt('2024-01-01'), dur('1d')), err('type')],
  // toDate rounds down (also before 1970); toTime is in [0, 1d).
  [call('toDate', dt('2024-06-15T08:00:00.500-0800')), dt('2024-06-15')],
  [call('toDate', dt('1969-12-31T23:59:59Z')), dt('1969-12-31')],
  [call('toDate', dt('1969-12-31T00:00:00Z')), dt('1969-12-31')],
  [
    call('toDate', call('offset', dt('1970-01-01'), dur(I64_MAX_MS))),
    call('offset', dt('1970-01-01'), dur('9223372036828800000ms')),
  ],
  [
    call('toDate', call('offset', dt('1970-01-01'), dur('-9223372036854775807ms'))),
    err('extension'),
  ],
  [call('toTime', dt('1970-01-01')), dur('0ms')],
  [call('toTime', dt('1969-12-31T23:59:59Z')), dur('23h59m59s')],
  [call('toTime', dt('1969-12-31T23:59:59.999Z')), dur('86399999ms')],
  [call('toTime', dt('2024-06-15T08:00:00.500-0800')), dur('16h500ms')],
  [
    call('toTime', call('offset', dt('1970-01-01'), dur('-9223372036854775808ms'))),
    dur('60424192ms'),
  ],
  [call('toTime', call('offset', dt('1970-01-01'), dur(I64_MAX_MS))), dur('25975807ms')],
  [call('toDate', dur('1d')), err('type')],
];

const DURATION_CASES: readonly (readonly [Expr, Expected])[] = [
  [call('toMilliseconds', dur('1d2h3m4s5ms')), 93_784_005],
  [call('==', dur('-1d2h'), dur('-26h')), true],
  [call('==', dur('1h'), dur('60m')), true],
  [call('==', dur('90m'), dur('1h30m')), true],
  [call('==', dur('-0ms'), dur('0ms')), true],
  [call('==', dur('0d0h0m0s0ms'), dur('0ms')), true],
  [call('==', dur('01h'), dur('1h')), true],
  [call('==', dur('0001h'), dur('1h')), true],
  [call('==', dur('1m1ms'), dur('60001ms')), true],
  [call('==', dur('1d1ms'), dur('86400001ms')), true],
  [call('==', dur('00000000000000000000001ms'), dur('1ms')), true],
  [call('==', dur('1d0h'), dur('1d')), true],
  [call('toMilliseconds', dur('-0000009223372036854775808ms')), LONG_MIN],
  [call('toMilliseconds', dur('2562047788015h12m55s807ms')), 9_223_372_036_854_775_807n],
  [call('toMilliseconds', dur('-2562047788015h12m55s808ms')), LONG_MIN],
  [call('toMilliseconds', dur('-106751991167d7h12m55s808ms')), LONG_MIN],
  [dur('2562047788015h12m55s808ms'), err('extension')],
  [dur('-2562047788015h12m55s809ms'), err('extension')],
  [dur('18446744073709551615ms'), err('extension')],
  [dur('0ms0ms'), err('extension')],
  [call('toMilliseconds', dur(I64_MAX_MS)), 9_223_372_036_854_775_807n],
  [call('toMilliseconds', dur('-9223372036854775808ms')), LONG_MIN],
  [call('toMilliseconds', dur('9223372036854775s807ms')), 9_223_372_036_854_775_807n],
  [call('toMilliseconds', dur('-9223372036854775s808ms')), LONG_MIN],
  [call('toDays', dur('106751991167d')), 106_751_991_167],
  [call('toDays', dur('-106751991167d')), -106_751_991_167],
  [call('toHours', dur('106751991167d1h')), 2_562_047_788_009],
  [dur('9223372036854775808ms'), err('extension')],
  [dur('-9223372036854775809ms'), err('extension')],
  [dur('9223372036854775s808ms'), err('extension')],
  [dur('106751991168d'), err('extension')],
  [dur('106751991167d100000000h'), err('extension')],
  [dur('99999999999999999999ms'), err('extension')],
  [dur('1h1h'), err('extension')],
  [dur('1h1d'), err('extension')],
  [dur('1ms1s'), err('extension')],
  [dur('1m1h'), err('extension')],
  [dur('1d1d'), err('extension')],
  [dur('1s1s'), err('extension')],
  [dur('1msms'), err('extension')],
  [dur('1mss'), err('extension')],
  [dur('1sm'), err('extension')],
  [dur('1hms'), err('extension')],
  [dur('1h2'), err('extension')],
  [dur('9223372036854775807ms1ms'), err('extension')],
  [dur(''), err('extension')],
  [dur('-'), err('extension')],
  [dur('0'), err('extension')],
  [dur('ms'), err('extension')],
  [dur('1x'), err('extension')],
  [dur('1H'), err('extension')],
  [dur('1.5h'), err('extension')],
  [dur('1h '), err('extension')],
  [dur(' 1h'), err('extension')],
  [dur('1 h'), err('extension')],
  [dur('+1h'), err('extension')],
  [dur('--1h'), err('extension')],
  [dur('1h-1m'), err('extension')],
  [dur('\u0661h'), err('extension')],
  [call('duration', 1), err('type')],
  // Conversions truncate toward zero.
  [call('toMilliseconds', dur('-1ms')), -1],
  [call('toSeconds', dur('-1999ms')), -1],
  [call('toSeconds', dur('1999ms')), 1],
  [call('toMinutes', dur('-59s999ms')), 0],
  [call('toHours', dur('90m')), 1],
  [call('toHours', dur('-1d23h59m59s999ms')), -47],
  [call('toDays', dur('1d23h59m59s999ms')), 1],
  [call('toDays', dur('-1d23h59m59s999ms')), -1],
  [call('toMinutes', dur('90m')), 90],
  [call('toSeconds', dur('90m')), 5400],
  [call('toSeconds', dur('9007199254740991ms')), 9_007_199_254_740],
  [call('toSeconds', dur('-9007199254740999ms')), -9_007_199_254_740],
  [call('toSeconds', dur('-9223372036854775808ms')), -9_223_372_036_854_775n],
  [call('toDays', dur('1h')), 0],
  [call('toDays', dt('2024-01-01')), err('type')],
  // Ordering (duration with duration only).
  [call('<', dur('1h'), dur('2h')), true],
  [call('<', dur('-1h'), dur('0ms')), true],
  [call('>=', dur('60m'), dur('1h')), true],
  [call('>', dur('1ms'), dur('-9223372036854775808ms')), true],
  [call('<', dur('1h'), dt('2024-01-01')), err('type')],
];

const TABLE = [...IP_CASES, ...DECIMAL_CASES, ...DATETIME_CASES, ...DURATION_CASES];

function expectOutcome(e: Expr, expected: Expected): void {
  const o = outcome(e);
  const what = cedarText(e);
  if (typeof expected === 'object' && 'error' in expected) {
    expect('error' in o ? o.error : valueText(o.value), what).toBe(expected.error);
    return;
  }
  if (!('value' in o)) throw new Error(`${what}: unexpected ${o.error} error`);
  const want = evaluate(expected);
  expect(
    valueEquals(o.value, want),
    `${what} = ${valueText(o.value)}, want ${valueText(want)}`,
  ).toBe(true);
  expect(hashKey(o.value), what).toEqual(hashKey(want));
}

describe('extension functions: table of cases', () => {
  for (const [name, cases] of [
    ['ip', IP_CASES],
    ['decimal', DECIMAL_CASES],
    ['datetime', DATETIME_CASES],
    ['duration', DURATION_CASES],
  ] as const) {
    it(`${name}: every case gives its expected value or error kind`, () => {
      for (const [e, expected] of cases) expectOutcome(e, expected);
    });
  }

  it('cedar-wasm agrees with every case of the table', () => {
    const exprs = TABLE.flatMap(([e, expected]) =>
      typeof expected === 'object' && !('error' in expected) ? [e, expected] : [e],
    );
    expect(disagreements(exprs)).toEqual([]);
  });
});

describe('the oracle comparison', () => {
  it('flags a wrong value, a missing error and a wrong error kind', () => {
    const found = compareWithOracle([
      { expr: call('==', ip('10.0.0.1/8'), ip('10.0.0.0/8')), ours: { value: true } },
      { expr: dec('1.23456'), ours: { value: false } },
      { expr: call('toDays', dur('1h')), ours: { error: 'extension' } },
      { expr: dur('1x'), ours: { error: 'type' } },
      { expr: call('isIpv4', ip('10.0.0.1')), ours: { value: true } },
    ]);
    expect(found).toHaveLength(4);
    expect(found.join('\n')).not.toContain('isIpv4');
  });
});

describe('extension functions: differential against cedar-wasm', () => {
  const t = typed(2);
  const cases: [string, fc.Arbitrary<Expr>, number][] = [
    [
      'ip literals and calls',
      fc.oneof(t.ip, topLevel({ ...t, decimal: t.ip, datetime: t.ip, duration: t.ip })),
      500,
    ],
    [
      'decimal literals and calls',
      fc.oneof(
        t.decimal,
        topLevel({ ...t, ip: t.decimal, datetime: t.decimal, duration: t.decimal }),
      ),
      500,
    ],
    [
      'datetime literals and calls',
      fc.oneof(t.datetime, topLevel({ ...t, ip: t.datetime, decimal: t.datetime })),
      600,
    ],
    [
      'duration literals and calls',
      fc.oneof(t.duration, topLevel({ ...t, ip: t.duration, decimal: t.duration })),
      500,
    ],
    ['mixed calls', topLevel(t), 800],
  ];
  const seen = new Map<string, Set<string>>();
  const note = (e: Expr, o: Outcome): void => {
    if (typeof e !== 'object') return;
    const what = 'error' in o ? 'error' : typeof o.value === 'boolean' ? String(o.value) : 'value';
    if (!seen.has(e.fn)) seen.set(e.fn, new Set());
    seen.get(e.fn)!.add(what);
  };
  for (const [name, arb, n] of cases) {
    it(`${name}: ${n} generated expressions agree (seeded)`, () => {
      const exprs = fc.sample(arb, { numRuns: n, seed: 0x5eed + n + name.length });
      const outcomes = exprs.map(outcome);
      exprs.forEach((e, i) => note(e, outcomes[i]!));
      // The generators must reach both sides: values and errors.
      expect(outcomes.filter((o) => 'value' in o).length).toBeGreaterThan(n / 5);
      expect(outcomes.filter((o) => 'error' in o).length).toBeGreaterThan(n / 20);
      expect(disagreements(exprs).slice(0, 20)).toEqual([]);
    });
  }

  it('the generated expressions reach every function with a value, and every Bool both ways', () => {
    for (const f of EXTENSION_FUNCTIONS.values()) {
      const got = seen.get(f.name) ?? new Set();
      const want = f.returns === 'Bool' ? ['true', 'false', 'error'] : ['value', 'error'];
      expect([...got].sort(), f.name).toEqual(expect.arrayContaining(want));
    }
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
      expect([...(seen.get(op) ?? [])].sort(), op).toEqual(['error', 'false', 'true']);
    }
  });
});

describe('EXTENSION_FUNCTIONS metadata', () => {
  /** A valid value of each type named in argTypes, as an expression. */
  const SAMPLE: Record<string, Expr> = {
    String: '1.2.3.4',
    ipaddr: ip('10.0.0.1'),
    decimal: dec('1.5'),
    datetime: dt('2024-01-01'),
    duration: dur('1h'),
  };
  const LITERAL: Record<string, string> = {
    ip: '10.0.0.0/8',
    decimal: '-1.25',
    datetime: '2024-01-01T00:00:00Z',
    duration: '1d',
  };
  const NAMES = [
    'ip',
    'isIpv4',
    'isIpv6',
    'isLoopback',
    'isMulticast',
    'isInRange',
    'decimal',
    'lessThan',
    'lessThanOrEqual',
    'greaterThan',
    'greaterThanOrEqual',
    'datetime',
    'offset',
    'durationSince',
    'toDate',
    'toTime',
    'duration',
    'toMilliseconds',
    'toSeconds',
    'toMinutes',
    'toHours',
    'toDays',
  ];

  it("holds exactly Cedar 4.x's extension functions", () => {
    expect([...EXTENSION_FUNCTIONS.keys()].sort()).toEqual([...NAMES].sort());
    for (const [name, f] of EXTENSION_FUNCTIONS) {
      expect(f.name).toBe(name);
      expect(f.argTypes).toHaveLength(f.arity);
      expect(f.style).toBe(
        ['ip', 'decimal', 'datetime', 'duration'].includes(name) ? 'function' : 'method',
      );
    }
  });

  it('style, arity, argument and return types agree with cedar-wasm', () => {
    for (const f of EXTENSION_FUNCTIONS.values()) {
      const good = f.style === 'function' ? [LITERAL[f.name]!] : f.argTypes.map((t) => SAMPLE[t]!);
      // Style: the other spelling does not parse.
      const other = f.style === 'function' ? `("x").${f.name}()` : `${f.name}("x")`;
      const [asOther] = oracleBatch([`${other} == true`]);
      expect(asOther && 'error' in asOther && asOther.error.startsWith('parse'), f.name).toBe(true);
      // Arity: one argument more is an arity error; the right count evaluates.
      const [extra] = oracleBatch([`${cedarText(call(f.name, ...good, 'x'))} == true`]);
      expect(extra && 'error' in extra ? extra.error : '', f.name).toMatch(
        /^wrong number of arguments/,
      );
      // Return type: ours has the declared type, and Cedar agrees on the value.
      const o = outcome(call(f.name, ...good));
      expect('value' in o, f.name).toBe(true);
      const v = (o as { value: Value }).value;
      const got =
        typeof v === 'boolean' ? 'Bool' : v instanceof ExtensionValue ? v.extensionType : 'Long';
      expect(got, f.name).toBe(f.returns);
      expect(disagreements([call(f.name, ...good)]), f.name).toEqual([]);
      // Argument types: a String where another type is wanted is a type error naming that type.
      f.argTypes.forEach((t, i) => {
        if (t === 'String') return;
        const args = good.map((g, j) => (j === i ? 'x' : g));
        const [bad] = oracleBatch([`${cedarText(call(f.name, ...args))} == true`]);
        expect(bad && 'error' in bad ? bad.error : '', `${f.name} argument ${i}`).toContain(
          `expected ${t}, got string`,
        );
        expect(outcome(call(f.name, ...args)), `${f.name} argument ${i}`).toEqual({
          error: 'type',
        });
      });
    }
  });
});

describe('extension values', () => {
  const v = (e: Expr): Value => evaluate(e);

  it('equal values share a key, so sets and hash lookups merge them', () => {
    const pairs: [Expr, Expr][] = [
      [ip('10.0.0.1'), ip('10.0.0.1/32')],
      [ip('::1'), ip('0:0:0:0:0:0:0:1/128')],
      [ip('2001:DB8::1'), ip('2001:db8:0::1')],
      [dec('1.0'), dec('1.00')],
      [dec('-0.0'), dec('0.0000')],
      [dt('2024-01-01'), dt('2024-01-01T01:00:00.000+0100')],
      [dur('60m'), dur('1h')],
      [dur('-1d'), dur('-24h')],
    ];
    for (const [a, b] of pairs) {
      expect(valueEquals(v(a), v(b)), cedarText(a)).toBe(true);
      expect(hashKey(v(a)), cedarText(a)).toBe(hashKey(v(b)));
      expect(new CedarSet([v(a), v(b)]).size, cedarText(a)).toBe(1);
    }
  });

  it('values of different types or ranges stay apart', () => {
    const apart: [Expr, Expr][] = [
      [ip('10.0.0.1/8'), ip('10.0.0.0/8')],
      [ip('10.0.0.1'), ip('::ffff:a00:1')],
      [ip('0.0.0.0/0'), ip('::/0')],
      [dt('1970-01-01'), dur('0ms')],
      [dec('1.0'), dur('1ms')],
    ];
    for (const [a, b] of apart) {
      expect(valueEquals(v(a), v(b)), cedarText(a)).toBe(false);
      expect(hashKey(v(a)), cedarText(a)).not.toBe(hashKey(v(b)));
    }
    expect(disagreements(apart.map(([a, b]) => call('==', a, b)))).toEqual([]);
  });

  it('equals() agrees with key() on every pair of collision-prone literals', () => {
    const values = fc
      .sample(
        fc.oneof(
          ipText(true).map((s) => ip(s)),
          decimalText(true).map((s) => dec(s)),
          datetimeText(true).map((s) => dt(s)),
          durationText(true).map((s) => dur(s)),
        ),
        { numRuns: 300, seed: 11 },
      )
      .map(outcome)
      .flatMap((o) => ('value' in o && o.value instanceof ExtensionValue ? [o.value] : []));
    let equalPairs = 0;
    for (const a of values) {
      for (const b of values) {
        const byKey = a.extensionType === b.extensionType && a.key() === b.key();
        expect(a.equals(b), `${a.toString()} vs ${b.toString()}`).toBe(byKey);
        if (byKey && a !== b) equalPairs++;
      }
    }
    expect(equalPairs).toBeGreaterThan(100);
  });

  it('Long results are canonical: a number when safe, a bigint otherwise', () => {
    const ms = (s: string): Value => v(call('toMilliseconds', dur(s)));
    expect(ms('9007199254740991ms')).toBe(9_007_199_254_740_991);
    expect(ms('9007199254740992ms')).toBe(9_007_199_254_740_992n);
    expect(ms('-9007199254740991ms')).toBe(-9_007_199_254_740_991);
    expect(v(call('toSeconds', dur('9223372036854775807ms')))).toBe(9_223_372_036_854_775n);
    expect(v(call('toDays', dur('-0ms')))).toBe(0);
    expect(Object.is(v(call('toDays', dur('-1h'))), 0)).toBe(true);
  });

  it('arg() rebuilds the value and is stable', () => {
    const texts = fc.sample(
      fc.oneof(
        ipText(false).map((s) => ['ip', s] as const),
        decimalText(false).map((s) => ['decimal', s] as const),
        datetimeText(false).map((s) => ['datetime', s] as const),
        durationText(false).map((s) => ['duration', s] as const),
      ),
      { numRuns: 2000, seed: 7 },
    );
    let valid = 0;
    for (const [fn, s] of texts) {
      const o = outcome(call(fn, s));
      if (!('value' in o)) continue;
      valid++;
      const x = o.value as ExtensionValue;
      const y = extensionFromJson(x.constructorName, x.arg());
      expect(y.equals(x), `${fn}("${s}")`).toBe(true);
      expect(y.arg()).toBe(x.arg());
    }
    expect(valid).toBeGreaterThan(500);
  });

  it('prints readable canonical text', () => {
    expect(v(ip('2001:0DB8:0:0:0:0:0:1/64')).toString()).toBe('ip("2001:db8::1/64")');
    expect(v(ip('1:0:0:2:0:0:0:3')).toString()).toBe('ip("1:0:0:2::3")');
    expect(v(ip('10.0.0.1/32')).toString()).toBe('ip("10.0.0.1")');
    expect(v(dec('-007.2500')).toString()).toBe('decimal("-7.25")');
    expect(v(dt('2024-06-15T08:00:00.500-0800')).toString()).toBe(
      'datetime("2024-06-15T16:00:00.500Z")',
    );
    expect(v(dur('-90m')).toString()).toBe('duration("-1h30m")');
    expect(v(dur('0d')).toString()).toBe('duration("0ms")');
    // Instants just outside years 0000–9999 print with the offset that a literal needs.
    const edges = ['0000-01-01T00:00:00+2359', '9999-12-31T23:59:59.999-2359'];
    expect(edges.map((s) => v(dt(s)).toString())).toEqual([
      'datetime("0000-01-01T00:00:00.000+2359")',
      'datetime("9999-12-31T23:59:59.999-2359")',
    ]);
    const respelled = edges.map((s) => call('==', dt(s), dt((v(dt(s)) as Datetime).arg())));
    expect(respelled.map((e) => v(e))).toEqual([true, true]);
    expect(disagreements(respelled)).toEqual([]);
    // Instants further out (only reachable through offset) print an expanded year.
    expect(v(call('offset', dt('1970-01-01'), dur(I64_MAX_MS))).toString()).toBe(
      'datetime("+292278994-08-17T07:12:55.807Z")',
    );
  });

  it('classes expose their parts', () => {
    const a = IpAddr.parse('10.1.2.3/8');
    expect([a.v6, a.addr, a.prefix, a.first, a.last]).toEqual([
      false,
      0x0a010203n,
      8,
      0x0a000000,
      0x0affffff,
    ]);
    const b = IpAddr.parse('2001:db8::1/32');
    expect([b.v6, b.prefix, b.first, b.last]).toEqual([
      true,
      32,
      0x20010db8n << 96n,
      ((0x20010db8n + 1n) << 96n) - 1n,
    ]);
    expect(IpAddr.parse('0.0.0.0/0').last).toBe(0xffffffff);
    expect(Decimal.parse('-1.5').units).toBe(-15_000);
    expect(Decimal.parse('922337203685477.5807').units).toBe(9_223_372_036_854_775_807n);
    expect(Datetime.parse('1970-01-02').ms).toBe(86_400_000);
    expect(Duration.parse('1s1ms').ms).toBe(1001);
  });
});

describe('compareExtension', () => {
  it('orders datetimes and durations, also across the number/bigint representations', () => {
    const big = evaluate(call('offset', dt('1970-01-01'), dur(I64_MAX_MS)));
    const small = evaluate(dt('2024-01-01'));
    expect(compareExtension('<', small, big)).toBe(true);
    expect(compareExtension('>=', big, small)).toBe(true);
    expect(compareExtension('<=', big, big)).toBe(true);
    expect(
      compareExtension('>', evaluate(dur('-9223372036854775808ms')), evaluate(dur('0ms'))),
    ).toBe(false);
  });

  it('is a type error on any other pair', () => {
    const values = [ip('::1'), dec('1.0'), dt('2024-01-01'), dur('1h')].map((e) => evaluate(e));
    for (const a of [...values, 1, 'x', true]) {
      for (const b of [...values, 1, 'x', true]) {
        if (!(a instanceof ExtensionValue) && !(b instanceof ExtensionValue)) continue;
        const ordered =
          (a instanceof Datetime && b instanceof Datetime) ||
          (a instanceof Duration && b instanceof Duration);
        for (const op of ['<', '<=', '>', '>='] as const) {
          if (ordered) expect(typeof compareExtension(op, a, b)).toBe('boolean');
          else
            expect(() => compareExtension(op, a, b)).toThrow(
              expect.objectContaining({ kind: 'type' }),
            );
        }
      }
    }
  });
});

describe('extensionFromJson', () => {
  const CASES: readonly [fn: string, arg: string][] = [
    ['ip', '10.0.0.1'],
    ['ip', '2001:db8::/32'],
    ['ip', '01.2.3.4'],
    ['ip', '::ffff:1.2.3.4'],
    ['decimal', '1.5'],
    ['decimal', '1'],
    ['decimal', '922337203685477.5808'],
    ['datetime', '2024-01-01T10:00:00.000+0100'],
    ['datetime', '2024-02-30'],
    ['duration', '1d2h'],
    ['duration', '1h1d'],
    ['ipaddr', '10.0.0.1'],
    ['nope', 'x'],
    ['isIpv4', '10.0.0.1'],
    ['toDate', '2024-01-01'],
    ['offset', '2024-01-01'],
  ];

  function cedarContext(fn: string, arg: string, rhs: string): string {
    const r = cedar.isAuthorized({
      ...REQUEST,
      context: { x: { __extn: { fn, arg } } },
      policies: {
        staticPolicies: { p: `permit(principal, action, resource) when { context.x == ${rhs} };` },
      },
    });
    if (r.type !== 'success') return `rejected: ${r.errors.map((e) => e.message).join('; ')}`;
    return r.response.decision === 'allow' ? 'equal' : 'unequal';
  }

  it('builds the value of a constructor, and rejects what cedar-wasm rejects', () => {
    for (const [fn, arg] of CASES) {
      let ours: ExtensionValue | EvalError;
      try {
        ours = extensionFromJson(fn, arg);
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        ours = e;
      }
      const theirs = cedarContext(
        fn,
        arg,
        ours instanceof ExtensionValue ? valueText(ours) : 'true',
      );
      if (ours instanceof ExtensionValue) {
        expect(theirs, `${fn}(${arg})`).toBe('equal');
        expect(ours.equals(evaluate(call(fn, arg)) as ExtensionValue)).toBe(true);
      } else {
        expect(theirs, `${fn}(${arg})`).toMatch(/^rejected/);
        const kind =
          /does not exist/.test(theirs) || oracleKind(theirs.slice(10)) === 'extension'
            ? 'extension'
            : 'type';
        expect(ours.kind, `${fn}(${arg}): ${theirs}`).toBe(kind);
      }
    }
  });
});
