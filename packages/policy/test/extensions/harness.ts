/**
 * Test harness for the extension types: a tiny expression model (extension calls, `==`/`!=`,
 * comparisons) evaluated through the extension classes directly, its Cedar text, and a batched
 * comparison with cedar-wasm (one policy per expression, many per isAuthorized call).
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { EvalError, type EvalErrorKind } from '../../src/internal/eval-error.js';
import {
  EXTENSION_FUNCTIONS,
  Datetime,
  compareExtension,
} from '../../src/internal/extensions/index.js';
import { ExtensionValue, LONG_MIN, valueEquals, type Value } from '../../src/internal/values.js';

// ---------------------------------------------------------------------------------------------
// A tiny expression model: extension calls, `==`/`!=` and the comparison operators.

export type CompareOp = '<' | '<=' | '>' | '>=';
export type Op = '==' | '!=' | CompareOp;
export type Expr = boolean | string | number | bigint | Call;
export interface Call {
  readonly fn: string;
  readonly args: readonly Expr[];
}

export const OPS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

export function call(fn: string, ...args: Expr[]): Call {
  return { fn, args };
}
export const ip = (s: string): Call => call('ip', s);
export const dec = (s: string): Call => call('decimal', s);
export const dt = (s: string): Call => call('datetime', s);
export const dur = (s: string): Call => call('duration', s);

/** Evaluates with our extension functions (no arity or parser checks beyond the functions'). */
export function evaluate(e: Expr): Value {
  if (typeof e !== 'object') return e;
  const args = e.args.map(evaluate);
  if (OPS.has(e.fn)) {
    const [a, b] = args as [Value, Value];
    if (e.fn === '==') return valueEquals(a, b);
    if (e.fn === '!=') return !valueEquals(a, b);
    return compareExtensionOrLong(e.fn as CompareOp, a, b);
  }
  const f = EXTENSION_FUNCTIONS.get(e.fn);
  if (f === undefined) throw new Error(`no extension function ${e.fn}`);
  if (args.length !== f.arity) throw new EvalError('type', `arity of ${e.fn}`);
  return f.call(args);
}

export function compareExtensionOrLong(op: CompareOp, a: Value, b: Value): boolean {
  const long = (v: Value): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
  if (long(a) && long(b)) {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  return compareExtension(op, a, b);
}

export type Outcome = { readonly value: Value } | { readonly error: EvalErrorKind };

export function outcome(e: Expr): Outcome {
  try {
    return { value: evaluate(e) };
  } catch (err) {
    if (err instanceof EvalError) return { error: err.kind };
    throw err;
  }
}

export function longText(n: number | bigint): string {
  if (BigInt(n) === LONG_MIN) return '(-9223372036854775807 - 1)';
  return n < 0 ? `(${String(n)})` : String(n);
}

/** Cedar text of an expression. */
export function cedarText(e: Expr): string {
  if (typeof e === 'string') return JSON.stringify(e);
  if (typeof e === 'boolean') return String(e);
  if (typeof e !== 'object') return longText(e);
  const args = e.args.map(cedarText);
  if (OPS.has(e.fn)) return `(${args[0]} ${e.fn} ${args[1]})`;
  const f = EXTENSION_FUNCTIONS.get(e.fn)!;
  if (f.style === 'function') return `${e.fn}(${args.join(', ')})`;
  return `(${args[0]}).${e.fn}(${args.slice(1).join(', ')})`;
}

export const DATETIME_LITERAL_MIN = -62_167_305_540_000; // 0000-01-01T00:00:00+2359
export const DATETIME_LITERAL_MAX = 253_402_387_139_999; // 9999-12-31T23:59:59.999-2359

/** Cedar text that evaluates to `v` (used as the expected side of `==` for the oracle). */
export function valueText(v: Value): string {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' || typeof v === 'bigint') return longText(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Datetime) {
    const inLiteralRange = v.ms >= DATETIME_LITERAL_MIN && v.ms <= DATETIME_LITERAL_MAX;
    if (inLiteralRange && !v.arg().startsWith('-') && !v.arg().startsWith('+')) {
      return `datetime(${JSON.stringify(v.arg())})`;
    }
    return `datetime("1970-01-01").offset(duration("${String(v.ms)}ms"))`;
  }
  if (v instanceof ExtensionValue) return `${v.constructorName}(${JSON.stringify(v.arg())})`;
  throw new Error('unexpected value');
}

// ---------------------------------------------------------------------------------------------
// The oracle: many expressions per isAuthorized call, one policy each.

export type OracleOutcome = { readonly satisfied: boolean } | { readonly error: string };

export const REQUEST: Omit<cedar.AuthorizationCall, 'policies'> = {
  principal: { type: 'U', id: 'a' },
  action: { type: 'A', id: 'a' },
  resource: { type: 'R', id: 'r' },
  context: {},
  entities: [],
};

export function oracleBatch(conditions: readonly string[]): OracleOutcome[] {
  const staticPolicies: Record<string, string> = {};
  conditions.forEach((c, i) => {
    staticPolicies[`p${i}`] = `permit(principal, action, resource) when { ${c} };`;
  });
  const r = cedar.isAuthorized({ ...REQUEST, policies: { staticPolicies } });
  if (r.type !== 'success') {
    if (conditions.length === 1) {
      return [{ error: `parse: ${r.errors.map((x) => x.message).join('; ')}` }];
    }
    return conditions.flatMap((c) => oracleBatch([c]));
  }
  const satisfied = new Set(r.response.diagnostics.reason);
  const errors = new Map<string, string>();
  for (const e of r.response.diagnostics.errors) errors.set(e.policyId, e.error.message);
  return conditions.map((_, i) => {
    const err = errors.get(`p${i}`);
    return err === undefined ? { satisfied: satisfied.has(`p${i}`) } : { error: err };
  });
}

/** Our error kind for a cedar-wasm evaluation error message. */
export function oracleKind(message: string): EvalErrorKind | 'other' {
  if (message.startsWith('type error') || message.startsWith('wrong number of arguments')) {
    return 'type';
  }
  if (message.startsWith('error while evaluating')) return 'extension';
  return 'other';
}

/**
 * Checks our outcome of each expression against cedar-wasm; returns the disagreements (empty
 * when all agree). Ours returning `v` must make `(<expr>) == <v>` hold in Cedar without error;
 * ours failing with kind `k` must make Cedar report an evaluation error of that kind.
 */
export function compareWithOracle(items: readonly { expr: Expr; ours: Outcome }[]): string[] {
  const conditions = items.map(({ expr, ours }) =>
    'value' in ours
      ? `(${cedarText(expr)}) == ${valueText(ours.value)}`
      : `(${cedarText(expr)}) == true`,
  );
  const theirs: OracleOutcome[] = [];
  for (let i = 0; i < conditions.length; i += 250) {
    theirs.push(...oracleBatch(conditions.slice(i, i + 250)));
  }
  const out: string[] = [];
  items.forEach(({ expr, ours }, i) => {
    const t = theirs[i]!;
    const text = cedarText(expr);
    if ('value' in ours) {
      const v = valueText(ours.value);
      if ('error' in t) out.push(`${text}: ours ${v}, cedar error ${t.error}`);
      else if (!t.satisfied) out.push(`${text}: ours ${v}, cedar a different value`);
    } else if (!('error' in t)) {
      out.push(`${text}: ours ${ours.error} error, cedar no error`);
    } else if (oracleKind(t.error) !== ours.error) {
      out.push(`${text}: ours ${ours.error} error, cedar ${t.error}`);
    }
  });
  return out;
}

/** Evaluates each expression both ways; returns the disagreements. */
export function disagreements(exprs: readonly Expr[]): string[] {
  return compareWithOracle(exprs.map((expr) => ({ expr, ours: outcome(expr) })));
}
