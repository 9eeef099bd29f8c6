import { compileUserPattern, type UserPattern } from '@plinth/core';
import { validationErrors } from '../errors.js';
import { compileExpression } from '../rules/expression.js';
import type { Validator } from '../types.js';

export type QualityDimension = 'completeness' | 'validity' | 'consistency' | 'timeliness';

interface Common {
  /** Shown in the report. @default `<kind>(<field>)` */
  readonly name?: string;
  /** Fraction of rows that must pass, else the check fails. @default 1 */
  readonly mostly?: number;
  /** Below this pass ratio (and at or above `mostly`) the check warns. @default mostly */
  readonly warnBelow?: number;
  /** Only rows where this holds are checked (expression or function). */
  readonly where?: string | ((row: Record<string, unknown>) => boolean);
}

/** The checks a suite can run, by dimension. Field names may be dotted paths (`address.city`). */
export type QualityCheck =
  | (Common & {
      readonly kind: 'completeness';
      readonly field: string;
      /** Empty strings/arrays count as missing. @default true */ readonly emptyIsMissing?: boolean;
    })
  | (Common & {
      readonly kind: 'validity';
      readonly field: string;
      readonly type?: 'string' | 'number' | 'integer' | 'boolean' | 'date';
      readonly min?: number;
      readonly max?: number;
      readonly minLength?: number;
      readonly maxLength?: number;
      readonly pattern?: string | RegExp;
      readonly in?: readonly unknown[];
      readonly format?: 'email' | 'uuid' | 'date-time' | 'date' | 'uri';
      /** Missing values pass (completeness is its own check). @default true */
      readonly ignoreMissing?: boolean;
    })
  | (Common & { readonly kind: 'schema'; readonly validator: Pick<Validator, 'is'> })
  | (Common & { readonly kind: 'uniqueness'; readonly fields: string | readonly string[] })
  | (Common & {
      readonly kind: 'condition';
      readonly expression: string | ((row: Record<string, unknown>) => boolean);
    })
  | (Common & {
      readonly kind: 'reference';
      readonly field: string;
      /** The allowed values (a Set is used as is) or a lookup function. */
      readonly lookup: Iterable<unknown> | ((value: unknown) => boolean);
      readonly ignoreMissing?: boolean;
    })
  | (Common & { readonly kind: 'maxAge'; readonly field: string; readonly maxAgeMs: number })
  | (Omit<Common, 'mostly' | 'warnBelow' | 'where'> & {
      readonly kind: 'freshness';
      readonly field: string;
      readonly maxAgeMs: number;
    })
  | (Omit<Common, 'mostly' | 'warnBelow' | 'where'> & {
      readonly kind: 'rowCount';
      readonly min?: number;
      readonly max?: number;
    });

export const DIMENSION: Record<QualityCheck['kind'], QualityDimension> = {
  completeness: 'completeness',
  validity: 'validity',
  schema: 'validity',
  uniqueness: 'consistency',
  condition: 'consistency',
  reference: 'consistency',
  maxAge: 'timeliness',
  freshness: 'timeliness',
  rowCount: 'completeness',
};

/** A check compiled to a per-row predicate returning `undefined` (pass) or a failure reason. */
export interface CompiledQualityCheck {
  readonly name: string;
  readonly kind: QualityCheck['kind'];
  readonly dimension: QualityDimension;
  readonly mostly: number;
  readonly warnBelow: number;
  readonly where: ((row: Record<string, unknown>) => boolean) | undefined;
  /** Per row; `undefined` for dataset-level checks (freshness). */
  readonly row: ((row: Record<string, unknown>) => string | undefined) | undefined;
  /** Dataset-level: fed every row, then asked once. */
  readonly dataset:
    { feed(row: Record<string, unknown>): void; result(): string | undefined } | undefined;
  /** The value a failing row is reported with. */
  readonly value: (row: Record<string, unknown>) => unknown;
}

export function getter(path: string): (row: Record<string, unknown>) => unknown {
  if (!path.includes('.')) return (row) => row[path];
  const parts = path.split('.');
  return (row) => {
    let cur: unknown = row;
    for (const p of parts) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
  };
}

const FORMATS: Record<string, RegExp> = {
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
};

export function toTime(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(v);
  return Number.NaN;
}

const isMissing = (v: unknown, empty: boolean) =>
  v === null ||
  v === undefined ||
  (empty && ((typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0)));

/**
 * A string pattern comes from configuration (user data): it runs on the linear-time engine. A
 * `RegExp` object is the host's own code and runs as given.
 */
function userPattern(i: number, pattern: string): UserPattern {
  try {
    return compileUserPattern(pattern, 'u', { package: '@plinth/validation' });
  } catch (error) {
    const reason = (error as { details?: { reason?: string } }).details?.reason ?? String(error);
    return bad(i, `pattern ${JSON.stringify(pattern)} cannot be used: ${reason}`);
  }
}

function bad(i: number, message: string): never {
  throw validationErrors.create('E_INVALID_ARGUMENT', `quality check [${i}]: ${message}`, {
    details: { check: i },
  });
}

function ratio(v: unknown, name: string, i: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    bad(i, `${name} must be a number between 0 and 1`);
  return v;
}

/** Validates and compiles one check (once, at suite construction). */
export function compileCheck(c: QualityCheck, i: number, now: () => number): CompiledQualityCheck {
  if (typeof c !== 'object' || c === null || !(c.kind in DIMENSION))
    bad(i, `kind must be one of ${Object.keys(DIMENSION).join(', ')}`);
  const mostly = ratio((c as Common).mostly, 'mostly', i) ?? 1;
  const warnBelow = ratio((c as Common).warnBelow, 'warnBelow', i) ?? mostly;
  if (warnBelow < mostly) bad(i, 'warnBelow must be at least mostly');
  const whereSpec = (c as Common).where;
  let where: ((row: Record<string, unknown>) => boolean) | undefined;
  if (typeof whereSpec === 'string') {
    const e = compileExpression(whereSpec);
    where = (r) => e.test(r, now);
  } else if (typeof whereSpec === 'function') where = whereSpec;
  const field = 'field' in c ? c.field : undefined;
  if ('field' in c && (typeof field !== 'string' || field === ''))
    bad(i, 'field must be a non-empty string');
  const get = field === undefined ? () => undefined : getter(field);
  const base = {
    kind: c.kind,
    dimension: DIMENSION[c.kind],
    mostly,
    warnBelow,
    where,
    value: get,
    row: undefined,
    dataset: undefined,
  };
  const name =
    c.name ??
    `${c.kind}(${field ?? ('fields' in c ? [c.fields].flat().join(',') : c.kind === 'condition' && typeof c.expression === 'string' ? c.expression : '')})`;
  switch (c.kind) {
    case 'completeness': {
      const empty = c.emptyIsMissing ?? true;
      return { ...base, name, row: (r) => (isMissing(get(r), empty) ? 'missing' : undefined) };
    }
    case 'validity': {
      const ignore = c.ignoreMissing ?? true;
      const re =
        c.pattern === undefined
          ? undefined
          : typeof c.pattern === 'string'
            ? userPattern(i, c.pattern)
            : c.pattern;
      const fmt = c.format === undefined ? undefined : FORMATS[c.format];
      if (c.format !== undefined && fmt === undefined) bad(i, `unknown format "${c.format}"`);
      const set = c.in === undefined ? undefined : new Set(c.in);
      const { type, min, max, minLength, maxLength } = c;
      return {
        ...base,
        name,
        row(r) {
          const v = get(r);
          if (v === null || v === undefined) return ignore ? undefined : 'missing';
          if (type !== undefined) {
            const ok =
              type === 'integer'
                ? Number.isInteger(v)
                : type === 'number'
                  ? typeof v === 'number' && Number.isFinite(v)
                  : type === 'date'
                    ? !Number.isNaN(toTime(v))
                    : typeof v === type;
            if (!ok) return `not a ${type}`;
          }
          if (min !== undefined && !((typeof v === 'number' ? v : toTime(v)) >= min))
            return `below ${min}`;
          if (max !== undefined && !((typeof v === 'number' ? v : toTime(v)) <= max))
            return `above ${max}`;
          if (minLength !== undefined || maxLength !== undefined) {
            const len = typeof v === 'string' || Array.isArray(v) ? v.length : -1;
            if (len < 0) return 'has no length';
            if (minLength !== undefined && len < minLength) return `shorter than ${minLength}`;
            if (maxLength !== undefined && len > maxLength) return `longer than ${maxLength}`;
          }
          if (re !== undefined && (typeof v !== 'string' || !re.test(v)))
            return `does not match ${String(re)}`;
          if (fmt !== undefined && (typeof v !== 'string' || !fmt.test(v)))
            return `not a valid ${c.format}`;
          if (set !== undefined && !set.has(v)) return 'not in the allowed set';
          return undefined;
        },
      };
    }
    case 'schema': {
      if (typeof c.validator?.is !== 'function') bad(i, 'validator must be a compiled Validator');
      const v = c.validator;
      return {
        ...base,
        name: c.name ?? 'schema',
        value: (r) => r,
        row: (r) => (v.is(r) ? undefined : 'does not match the schema'),
      };
    }
    case 'uniqueness': {
      const fields = [c.fields].flat();
      if (fields.length === 0 || !fields.every((f) => typeof f === 'string'))
        bad(i, 'fields must be a field name or a non-empty array of names');
      const gets = fields.map(getter);
      const seen = new Set<unknown>();
      const key =
        gets.length === 1
          ? (gets[0] as (r: Record<string, unknown>) => unknown)
          : (r: Record<string, unknown>) => JSON.stringify(gets.map((g) => g(r)));
      return {
        ...base,
        name,
        value: key,
        row(r) {
          const k = key(r);
          if (seen.has(k)) return 'duplicate';
          seen.add(k);
          return undefined;
        },
      };
    }
    case 'condition': {
      let test: (r: Record<string, unknown>) => boolean;
      if (typeof c.expression === 'string') {
        const e = compileExpression(c.expression);
        test = (r) => e.test(r, now);
      } else if (typeof c.expression === 'function') test = c.expression;
      else bad(i, 'expression must be a string or a function');
      return {
        ...base,
        name,
        value: (r) => r,
        row: (r) => (test(r) ? undefined : 'condition is false'),
      };
    }
    case 'reference': {
      const ignore = c.ignoreMissing ?? true;
      const lookup = c.lookup;
      let has: (v: unknown) => boolean;
      if (typeof lookup === 'function') has = lookup;
      else if (lookup instanceof Set) has = (v) => lookup.has(v);
      else if (lookup !== null && typeof lookup === 'object' && Symbol.iterator in lookup) {
        const s = new Set(lookup);
        has = (v) => s.has(v);
      } else bad(i, 'lookup must be an iterable of values, a Set or a function');
      return {
        ...base,
        name,
        row(r) {
          const v = get(r);
          if (v === null || v === undefined) return ignore ? undefined : 'missing';
          return has(v) ? undefined : 'no matching reference';
        },
      };
    }
    case 'maxAge': {
      if (typeof c.maxAgeMs !== 'number' || c.maxAgeMs < 0)
        bad(i, 'maxAgeMs must be a non-negative number');
      const max = c.maxAgeMs;
      const t0 = now();
      return {
        ...base,
        name,
        row(r) {
          const t = toTime(get(r));
          if (Number.isNaN(t)) return 'not a timestamp';
          return t0 - t > max ? `older than ${max} ms` : undefined;
        },
      };
    }
    case 'rowCount': {
      const { min, max } = c;
      if (
        (min !== undefined && (typeof min !== 'number' || min < 0)) ||
        (max !== undefined && (typeof max !== 'number' || max < 0))
      )
        bad(i, 'min and max must be non-negative numbers');
      if (min === undefined && max === undefined) bad(i, 'rowCount needs min and/or max');
      let rows = 0;
      return {
        ...base,
        name: c.name ?? 'rowCount',
        mostly: 1,
        warnBelow: 1,
        dataset: {
          feed() {
            rows++;
          },
          result() {
            if (min !== undefined && rows < min) return `${rows} rows, fewer than ${min}`;
            if (max !== undefined && rows > max) return `${rows} rows, more than ${max}`;
            return undefined;
          },
        },
      };
    }
    case 'freshness': {
      if (typeof c.maxAgeMs !== 'number' || c.maxAgeMs < 0)
        bad(i, 'maxAgeMs must be a non-negative number');
      const max = c.maxAgeMs;
      let newest = Number.NEGATIVE_INFINITY;
      return {
        ...base,
        name,
        mostly: 1,
        warnBelow: 1,
        dataset: {
          feed(r) {
            const t = toTime(get(r));
            if (t > newest) newest = t;
          },
          result() {
            if (newest === Number.NEGATIVE_INFINITY) return 'no timestamps';
            const age = now() - newest;
            return age > max ? `newest row is ${age} ms old (max ${max} ms)` : undefined;
          },
        },
      };
    }
  }
}
