/**
 * Cedar's extension functions (Cedar 4.x): the constructors `ip`, `decimal`, `datetime`,
 * `duration` and their methods, the ordering of extension values under `<` `<=` `>` `>=`, and
 * the decoding of `__extn` JSON values.
 *
 * A method's receiver is `args[0]`, so `arity` counts it. Argument and return types are named
 * as {@link typeName} prints them (`String`, `Long`, `Bool`, `ipaddr`, `decimal`, `datetime`,
 * `duration`). Every function checks its argument types itself and throws a `type`
 * {@link EvalError}; a bad literal or an overflow throws an `extension` one.
 */
import { EvalError, typeError } from '../eval-error.js';
import { typeName, type ExtensionValue, type Value } from '../values.js';
import { Datetime } from './datetime.js';
import { Decimal } from './decimal.js';
import { Duration } from './duration.js';
import { IpAddr } from './ip.js';

export { Datetime } from './datetime.js';
export { Decimal } from './decimal.js';
export { Duration } from './duration.js';
export { IpAddr } from './ip.js';

/** One extension function, as the parser, compiler and partial evaluator see it. */
export interface ExtensionFn {
  readonly name: string;
  /** `function`: written `f(x)` (the constructors); `method`: written `x.f(…)`. */
  readonly style: 'function' | 'method';
  /** The number of arguments, a method's receiver included. */
  readonly arity: number;
  readonly argTypes: readonly string[];
  readonly returns: string;
  /** Applies the function to evaluated arguments (already checked for arity, not for type). */
  call(args: readonly Value[]): Value;
}

type ExtClass<T> = abstract new (...args: never[]) => T;

const TYPE_NAMES = new Map<ExtClass<ExtensionValue>, string>([
  [IpAddr, 'ipaddr'],
  [Decimal, 'decimal'],
  [Datetime, 'datetime'],
  [Duration, 'duration'],
]);

function expect<T extends ExtensionValue>(cls: ExtClass<T>, v: Value | undefined, fn: string): T {
  if (v instanceof cls) return v;
  return typeError(TYPE_NAMES.get(cls)!, v === undefined ? 'nothing' : typeName(v), `\`${fn}\``);
}

function str(v: Value | undefined, fn: string): string {
  if (typeof v === 'string') return v;
  return typeError('String', v === undefined ? 'nothing' : typeName(v), `\`${fn}\``);
}

function ctor(name: string, returns: string, parse: (text: string) => ExtensionValue): ExtensionFn {
  return {
    name,
    style: 'function',
    arity: 1,
    argTypes: ['String'],
    returns,
    call: (args) => parse(str(args[0], name)),
  };
}

function method<T extends ExtensionValue>(
  name: string,
  receiver: ExtClass<T>,
  returns: string,
  body: (self: T) => Value,
): ExtensionFn {
  return {
    name,
    style: 'method',
    arity: 1,
    argTypes: [TYPE_NAMES.get(receiver)!],
    returns,
    call: (args) => body(expect(receiver, args[0], name)),
  };
}

function method2<T extends ExtensionValue, U extends ExtensionValue>(
  name: string,
  receiver: ExtClass<T>,
  other: ExtClass<U>,
  returns: string,
  body: (self: T, other: U) => Value,
): ExtensionFn {
  return {
    name,
    style: 'method',
    arity: 2,
    argTypes: [TYPE_NAMES.get(receiver)!, TYPE_NAMES.get(other)!],
    returns,
    call: (args) => body(expect(receiver, args[0], name), expect(other, args[1], name)),
  };
}

const FUNCTIONS: readonly ExtensionFn[] = [
  ctor('ip', 'ipaddr', IpAddr.parse),
  method('isIpv4', IpAddr, 'Bool', (a) => !a.v6),
  method('isIpv6', IpAddr, 'Bool', (a) => a.v6),
  method('isLoopback', IpAddr, 'Bool', (a) => a.isLoopback()),
  method('isMulticast', IpAddr, 'Bool', (a) => a.isMulticast()),
  method2('isInRange', IpAddr, IpAddr, 'Bool', (a, b) => a.isInRange(b)),

  ctor('decimal', 'decimal', Decimal.parse),
  method2('lessThan', Decimal, Decimal, 'Bool', (a, b) => a.units < b.units),
  method2('lessThanOrEqual', Decimal, Decimal, 'Bool', (a, b) => a.units <= b.units),
  method2('greaterThan', Decimal, Decimal, 'Bool', (a, b) => a.units > b.units),
  method2('greaterThanOrEqual', Decimal, Decimal, 'Bool', (a, b) => a.units >= b.units),

  ctor('datetime', 'datetime', Datetime.parse),
  method2('offset', Datetime, Duration, 'datetime', (a, d) => a.offset(d)),
  method2('durationSince', Datetime, Datetime, 'duration', (a, b) => a.durationSince(b)),
  method('toDate', Datetime, 'datetime', (a) => a.toDate()),
  method('toTime', Datetime, 'duration', (a) => a.toTime()),

  ctor('duration', 'duration', Duration.parse),
  method('toMilliseconds', Duration, 'Long', (d) => d.ms),
  method('toSeconds', Duration, 'Long', (d) => d.inUnits(1000)),
  method('toMinutes', Duration, 'Long', (d) => d.inUnits(60_000)),
  method('toHours', Duration, 'Long', (d) => d.inUnits(3_600_000)),
  method('toDays', Duration, 'Long', (d) => d.inUnits(86_400_000)),
];

/** Every Cedar extension function, by the name written in policy text. */
export const EXTENSION_FUNCTIONS: ReadonlyMap<string, ExtensionFn> = new Map(
  FUNCTIONS.map((f) => [f.name, Object.freeze(f)]),
);

/**
 * Cedar `<` `<=` `>` `>=` where at least one operand is an extension value: defined on two
 * datetimes or two durations only (Cedar 4.x). Any other pair is a `type` error; `decimal` is
 * ordered through its methods (`lessThan`, …), not the operators, and `ipaddr` not at all.
 */
export function compareExtension(op: '<' | '<=' | '>' | '>=', a: Value, b: Value): boolean {
  const where = `\`${op}\``;
  let x: number | bigint;
  let y: number | bigint;
  if (a instanceof Datetime) {
    if (!(b instanceof Datetime)) return typeError('datetime', typeName(b), where);
    x = a.ms;
    y = b.ms;
  } else if (a instanceof Duration) {
    if (!(b instanceof Duration)) return typeError('duration', typeName(b), where);
    x = a.ms;
    y = b.ms;
  } else if (typeof a === 'number' || typeof a === 'bigint') {
    return typeError('Long', typeName(b), where);
  } else {
    return typeError('Long, datetime or duration', typeName(a), where);
  }
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

const CONSTRUCTORS: ReadonlyMap<string, (text: string) => ExtensionValue> = new Map<
  string,
  (text: string) => ExtensionValue
>([
  ['ip', IpAddr.parse],
  ['decimal', Decimal.parse],
  ['datetime', Datetime.parse],
  ['duration', Duration.parse],
]);

/**
 * The value of a Cedar JSON `{"__extn": {"fn": fn, "arg": arg}}`: `fn` applied to the string
 * `arg`. A constructor with a malformed literal, or an unknown `fn`, is an `extension` error;
 * a known method (which takes no String receiver) is a `type` error, as in Cedar.
 */
export function extensionFromJson(fn: string, arg: string): ExtensionValue {
  const parse = CONSTRUCTORS.get(fn);
  if (parse !== undefined) return parse(arg);
  const f = EXTENSION_FUNCTIONS.get(fn);
  if (f === undefined)
    throw new EvalError('extension', `extension function \`${fn}\` does not exist`);
  if (f.arity !== 1) {
    throw new EvalError('type', `type error: \`${fn}\` takes ${f.arity} argument(s), got 1`);
  }
  return typeError(f.argTypes[0]!, 'String', `\`${fn}\``);
}
