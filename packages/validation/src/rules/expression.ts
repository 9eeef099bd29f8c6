import { compileUserPattern, type UserPattern } from '@plinth/core';
import { validationErrors } from '../errors.js';
import { type Node, parseExpression } from './expression-parser.js';

type Scope = Readonly<Record<string, unknown>>;
type Fn = (scope: Scope, now: () => number) => unknown;

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PATTERN = 512;

function toTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return Number.NaN;
}

/** The built-in functions: pure, total (bad input gives null/false, never a throw). */
const FUNCTIONS: Record<string, (args: unknown[], now: () => number) => unknown> = {
  len: ([x]) =>
    typeof x === 'string' || Array.isArray(x)
      ? x.length
      : typeof x === 'object' && x !== null
        ? Object.keys(x).length
        : null,
  lower: ([x]) => (typeof x === 'string' ? x.toLowerCase() : null),
  upper: ([x]) => (typeof x === 'string' ? x.toUpperCase() : null),
  trim: ([x]) => (typeof x === 'string' ? x.trim() : null),
  abs: ([x]) => (typeof x === 'number' ? Math.abs(x) : null),
  round: ([x, d]) =>
    typeof x === 'number'
      ? Math.round(x * 10 ** (typeof d === 'number' ? d : 0)) /
        10 ** (typeof d === 'number' ? d : 0)
      : null,
  floor: ([x]) => (typeof x === 'number' ? Math.floor(x) : null),
  ceil: ([x]) => (typeof x === 'number' ? Math.ceil(x) : null),
  min: (xs) => Math.min(...xs.filter((x): x is number => typeof x === 'number')),
  max: (xs) => Math.max(...xs.filter((x): x is number => typeof x === 'number')),
  sum: ([xs]) =>
    Array.isArray(xs) ? xs.reduce((a: number, x) => a + (typeof x === 'number' ? x : 0), 0) : null,
  now: (_a, now) => now(),
  date: ([x]) => {
    const t = toTime(x);
    return Number.isNaN(t) ? null : t;
  },
  days: ([x]) => (typeof x === 'number' ? x * 86_400_000 : null),
  hours: ([x]) => (typeof x === 'number' ? x * 3_600_000 : null),
  minutes: ([x]) => (typeof x === 'number' ? x * 60_000 : null),
  startsWith: ([s, p]) => typeof s === 'string' && typeof p === 'string' && s.startsWith(p),
  endsWith: ([s, p]) => typeof s === 'string' && typeof p === 'string' && s.endsWith(p),
  contains: ([s, p]) =>
    typeof s === 'string' && typeof p === 'string'
      ? s.includes(p)
      : Array.isArray(s)
        ? s.includes(p)
        : false,
  isEmail: ([s]) => typeof s === 'string' && EMAIL.test(s),
  isUuid: ([s]) => typeof s === 'string' && UUID.test(s),
  isNull: ([x]) => x === null || x === undefined,
  isNumber: ([x]) => typeof x === 'number' && Number.isFinite(x),
  isString: ([x]) => typeof x === 'string',
  coalesce: (xs) => xs.find((x) => x !== null && x !== undefined) ?? null,
  number: ([x]) => {
    const n = typeof x === 'string' ? Number(x) : typeof x === 'number' ? x : Number.NaN;
    return Number.isNaN(n) ? null : n;
  },
  string: ([x]) => (x === null || x === undefined ? null : String(x)),
};

function member(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const k = String(key);
  if (FORBIDDEN.has(k)) return undefined;
  if (typeof obj === 'string' && k === 'length') return obj.length;
  if (typeof obj !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(obj, k)
    ? (obj as Record<string, unknown>)[k]
    : undefined;
}

function eq(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a instanceof Date) a = a.getTime();
  if (b instanceof Date) b = b.getTime();
  return a === b;
}

function regex(pattern: unknown, src: string): UserPattern {
  if (typeof pattern !== 'string' || pattern.length > MAX_PATTERN) {
    throw validationErrors.create(
      'E_EXPRESSION_SYNTAX',
      `expression ${JSON.stringify(src)}: "matches" needs a string literal pattern of at most ${MAX_PATTERN} characters`,
      { details: { expression: src } },
    );
  }
  try {
    // Linear-time matching: a rule's pattern comes from user data.
    return compileUserPattern(pattern, 'u', { package: '@plinth/validation' });
  } catch (error) {
    const reason = (error as { details?: { reason?: string } }).details?.reason;
    throw validationErrors.create(
      'E_EXPRESSION_SYNTAX',
      `expression ${JSON.stringify(src)}: bad pattern ${JSON.stringify(pattern)}${reason === undefined ? '' : ` (${reason})`}`,
      { details: { expression: src, pattern }, cause: error },
    );
  }
}

function build(n: Node, src: string): Fn {
  switch (n.t) {
    case 'lit': {
      const v = n.v;
      return () => v;
    }
    case 'id': {
      const name = n.name;
      if (name === 'record') return (s) => s;
      if (FORBIDDEN.has(name)) return () => undefined;
      return (s) => (Object.prototype.hasOwnProperty.call(s, name) ? s[name] : undefined);
    }
    case 'list': {
      const items = n.items.map((x) => build(x, src));
      return (s, now) => items.map((f) => f(s, now));
    }
    case 'member': {
      const obj = build(n.obj, src);
      const key = build(n.key, src);
      return (s, now) => member(obj(s, now), key(s, now));
    }
    case 'call': {
      const fn = FUNCTIONS[n.fn];
      if (fn === undefined || !Object.prototype.hasOwnProperty.call(FUNCTIONS, n.fn)) {
        throw validationErrors.create(
          'E_EXPRESSION_SYNTAX',
          `expression ${JSON.stringify(src)}: unknown function "${n.fn}" (${Object.keys(FUNCTIONS).join(', ')})`,
          { details: { expression: src, function: n.fn } },
        );
      }
      const args = n.args.map((x) => build(x, src));
      return (s, now) =>
        fn(
          args.map((f) => f(s, now)),
          now,
        );
    }
    case 'unary': {
      const arg = build(n.arg, src);
      if (n.op === '!') return (s, now) => !arg(s, now);
      return (s, now) => {
        const v = arg(s, now);
        return typeof v === 'number' ? -v : null;
      };
    }
    case 'cond': {
      const test = build(n.test, src);
      const a = build(n.then, src);
      const b = build(n.else, src);
      return (s, now) => (test(s, now) ? a(s, now) : b(s, now));
    }
    case 'bin':
      return binary(n, src);
  }
}

function binary(n: Node & { t: 'bin' }, src: string): Fn {
  const l = build(n.l, src);
  if (n.op === 'matches') {
    if (n.r.t !== 'lit') regex(undefined, src);
    const re = regex((n.r as { v: unknown }).v, src);
    return (s, now) => {
      const v = l(s, now);
      return typeof v === 'string' && re.test(v);
    };
  }
  const r = build(n.r, src);
  switch (n.op) {
    case '||':
      return (s, now) => Boolean(l(s, now)) || Boolean(r(s, now));
    case '&&':
      return (s, now) => Boolean(l(s, now)) && Boolean(r(s, now));
    case '==':
      return (s, now) => eq(l(s, now), r(s, now));
    case '!=':
      return (s, now) => !eq(l(s, now), r(s, now));
    case 'in':
      return (s, now) => {
        const hay = r(s, now);
        const v = l(s, now);
        if (Array.isArray(hay)) return hay.some((x) => eq(x, v));
        if (typeof hay === 'string') return typeof v === 'string' && hay.includes(v);
        return false;
      };
    case '+':
      return (s, now) => {
        const a = l(s, now);
        const b = r(s, now);
        if (typeof a === 'number' && typeof b === 'number') return a + b;
        if (typeof a === 'string' || typeof b === 'string')
          return `${a === null || a === undefined ? '' : String(a)}${b === null || b === undefined ? '' : String(b)}`;
        return null;
      };
    default: {
      const op = n.op;
      return (s, now) => {
        const a = l(s, now);
        const b = r(s, now);
        const x = a instanceof Date ? a.getTime() : a;
        const y = b instanceof Date ? b.getTime() : b;
        const comparable =
          (typeof x === 'number' && typeof y === 'number') ||
          (typeof x === 'string' && typeof y === 'string');
        switch (op) {
          case '<':
            return comparable && (x as number) < (y as number);
          case '<=':
            return comparable && (x as number) <= (y as number);
          case '>':
            return comparable && (x as number) > (y as number);
          case '>=':
            return comparable && (x as number) >= (y as number);
        }
        if (typeof x !== 'number' || typeof y !== 'number') return null;
        if (op === '-') return x - y;
        if (op === '*') return x * y;
        if (op === '/') return y === 0 ? null : x / y;
        return y === 0 ? null : x % y;
      };
    }
  }
}

/** A compiled expression: evaluate it against a record. */
export interface CompiledExpression {
  readonly source: string;
  evaluate(record: unknown, now?: () => number): unknown;
  /** `Boolean(evaluate(record))`. */
  test(record: unknown, now?: () => number): boolean;
}

const defaultNow = () => Date.now();

/**
 * Compiles an expression once into closures (no `eval`, no `new Function`). Unknown functions
 * and bad `matches` patterns are reported at compile time as `E_EXPRESSION_SYNTAX`.
 */
export function compileExpression(source: string): CompiledExpression {
  const fn = build(parseExpression(source), source);
  const scope = (r: unknown): Scope => (typeof r === 'object' && r !== null ? (r as Scope) : {});
  return {
    source,
    evaluate: (record, now = defaultNow) => fn(scope(record), now),
    test: (record, now = defaultNow) => Boolean(fn(scope(record), now)),
  };
}
