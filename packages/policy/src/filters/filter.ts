/**
 * The residual filter: a small boolean algebra over predicates on ONE resource, produced by
 * partial evaluation (`residualFilter`) and translated to SQL (`toSql`) or to a @plinth/storage
 * scan (`toStorageFilter`).
 *
 * Every predicate on a path is STRICT: it holds only when the path resolves without a Cedar
 * error (each attribute exists, each step is a record or an existing entity) and the value has
 * the type the operation needs. A predicate is therefore false exactly where Cedar would raise
 * an error, and the negation of a Cedar test is written as "the type fits and the test fails"
 * (`typeOf(p, 'Long') ∧ ¬cmp(p, '<', 5)` is expressed as `cmp(p, '>=', 5)`). This is what makes
 * `allow(r) ⇔ matches(filter, r)` hold exactly, errors included.
 */
import type { PatternElem } from '../internal/ast.js';
import { EvalError } from '../internal/eval-error.js';
import {
  callExtension,
  compare,
  contains,
  getAttr,
  likeMatch,
  type CompareOp,
  type EntityLookup,
} from '../internal/ops.js';
import { CedarRecord, CedarSet, EntityUID, valueEquals, type Value } from '../internal/values.js';

/**
 * Where a value sits on the resource: `attrs` walked from the resource's attributes, or from
 * the tag `tag` when it is set (`resource.getTag("k").a` is `{ tag: 'k', attrs: ['a'] }`).
 */
export interface ResourcePath {
  readonly tag?: string;
  readonly attrs: readonly string[];
}

/** Value kinds a `typeOf` predicate tests. `EntitySet` is a set whose members are all entities. */
export type FilterValueType =
  'Bool' | 'Long' | 'String' | 'Set' | 'Record' | 'Entity' | 'EntitySet' | 'Extension';

/** An argument of an extension-call predicate: a known value, or a value on the resource. */
export type FilterExtArg = { readonly value: Value } | { readonly path: ResourcePath };

export type ResourceFilter =
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'and'; readonly args: readonly ResourceFilter[] }
  | { readonly kind: 'or'; readonly args: readonly ResourceFilter[] }
  | { readonly kind: 'not'; readonly arg: ResourceFilter }
  /** `resource == uid`. */
  | { readonly kind: 'resourceEq'; readonly uid: EntityUID }
  /** `resource in uid`: the resource is `uid` or has it as an ancestor. */
  | { readonly kind: 'resourceIn'; readonly ancestor: EntityUID }
  /** `resource is T`. */
  | { readonly kind: 'resourceIs'; readonly entityType: string }
  /** The path resolves (every attribute, or the tag, exists). */
  | { readonly kind: 'has'; readonly path: ResourcePath }
  /** The path resolves to a value of this kind. */
  | { readonly kind: 'typeOf'; readonly path: ResourcePath; readonly type: FilterValueType }
  /** The path resolves to an entity of this type. */
  | { readonly kind: 'entityIs'; readonly path: ResourcePath; readonly entityType: string }
  /** The path resolves to a value equal (Cedar `==`) to `value`. */
  | { readonly kind: 'eq'; readonly path: ResourcePath; readonly value: Value }
  /** The path resolves to a value that Cedar compares with `value` (`Long`, datetime, duration) and the comparison holds. */
  | {
      readonly kind: 'cmp';
      readonly path: ResourcePath;
      readonly op: CompareOp;
      readonly value: Value;
    }
  /** The path resolves to a String matching the pattern. */
  | { readonly kind: 'like'; readonly path: ResourcePath; readonly pattern: readonly PatternElem[] }
  /** The path resolves to a Set that holds `value`. */
  | { readonly kind: 'contains'; readonly path: ResourcePath; readonly value: Value }
  /** The path resolves to a Set holding every one of `values`. */
  | { readonly kind: 'containsAll'; readonly path: ResourcePath; readonly values: readonly Value[] }
  /** The path resolves to a Set holding at least one of `values`. */
  | { readonly kind: 'containsAny'; readonly path: ResourcePath; readonly values: readonly Value[] }
  /** The path resolves to an empty Set. */
  | { readonly kind: 'isEmpty'; readonly path: ResourcePath }
  /** The extension function returns the Bool `expect` on these arguments (no error). */
  | {
      readonly kind: 'ext';
      readonly fn: string;
      readonly args: readonly FilterExtArg[];
      readonly expect: boolean;
    };

export const TRUE: ResourceFilter = Object.freeze({ kind: 'const', value: true });
export const FALSE: ResourceFilter = Object.freeze({ kind: 'const', value: false });

/** Conjunction with constant folding and flattening. */
export function and(...args: readonly ResourceFilter[]): ResourceFilter {
  const out: ResourceFilter[] = [];
  const seen = new Set<string>();
  for (const a of args) {
    if (a.kind === 'const') {
      if (!a.value) return FALSE;
      continue;
    }
    for (const x of a.kind === 'and' ? a.args : [a]) {
      const key = printFilter(x);
      if (seen.has(key)) continue;
      if (seen.has(printFilter(not(x)))) return FALSE;
      seen.add(key);
      out.push(x);
    }
  }
  if (out.length === 0) return TRUE;
  return out.length === 1 ? out[0]! : { kind: 'and', args: out };
}

/** Disjunction with constant folding and flattening. */
export function or(...args: readonly ResourceFilter[]): ResourceFilter {
  const out: ResourceFilter[] = [];
  const seen = new Set<string>();
  for (const a of args) {
    if (a.kind === 'const') {
      if (a.value) return TRUE;
      continue;
    }
    for (const x of a.kind === 'or' ? a.args : [a]) {
      const key = printFilter(x);
      if (seen.has(key)) continue;
      if (seen.has(printFilter(not(x)))) return TRUE;
      seen.add(key);
      out.push(x);
    }
  }
  if (out.length === 0) return FALSE;
  return out.length === 1 ? out[0]! : { kind: 'or', args: out };
}

/** Negation; folds constants and double negation. */
export function not(arg: ResourceFilter): ResourceFilter {
  if (arg.kind === 'const') return arg.value ? FALSE : TRUE;
  if (arg.kind === 'not') return arg.arg;
  return { kind: 'not', arg };
}

// ---------------------------------------------------------------------------------------------
// Printing (Cedar-like text, for messages, tests and keys)

function printValue(v: Value): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof EntityUID) return v.key;
  if (v instanceof CedarSet) return '[' + v.items.map(printValue).join(', ') + ']';
  if (v instanceof CedarRecord) {
    return (
      '{' + [...v.attrs].map(([k, x]) => JSON.stringify(k) + ': ' + printValue(x)).join(', ') + '}'
    );
  }
  return `${v.constructorName}(${JSON.stringify(v.arg())})`;
}

/** `resource.a.b` or `resource.getTag("t").a`. */
export function printPath(p: ResourcePath): string {
  let s = p.tag === undefined ? 'resource' : `resource.getTag(${JSON.stringify(p.tag)})`;
  for (const a of p.attrs)
    s += /^[A-Za-z_][A-Za-z0-9_]*$/.test(a) ? `.${a}` : `[${JSON.stringify(a)}]`;
  return s;
}

function printPattern(pattern: readonly PatternElem[]): string {
  return (
    '"' +
    pattern
      .map((e) =>
        e === 'wildcard' ? '*' : JSON.stringify(e.literal).slice(1, -1).replace(/\*/g, '\\*'),
      )
      .join('') +
    '"'
  );
}

const printed = new WeakMap<ResourceFilter, string>();

/** A readable, canonical text of the filter (equal texts mean equal filters). */
export function printFilter(f: ResourceFilter): string {
  // Memoised: `and`/`or` key their operands by this text while a residual is built bottom-up.
  let text = printed.get(f);
  if (text === undefined) printed.set(f, (text = printUncached(f)));
  return text;
}

function printUncached(f: ResourceFilter): string {
  switch (f.kind) {
    case 'const':
      return String(f.value);
    case 'and':
      return '(' + f.args.map(printFilter).join(' && ') + ')';
    case 'or':
      return '(' + f.args.map(printFilter).join(' || ') + ')';
    case 'not':
      return '!' + printFilter(f.arg);
    case 'resourceEq':
      return `resource == ${f.uid.key}`;
    case 'resourceIn':
      return `resource in ${f.ancestor.key}`;
    case 'resourceIs':
      return `resource is ${f.entityType}`;
    case 'has':
      return `has(${printPath(f.path)})`;
    case 'typeOf':
      return `${printPath(f.path)} is:${f.type}`;
    case 'entityIs':
      return `${printPath(f.path)} is ${f.entityType}`;
    case 'eq':
      return `${printPath(f.path)} == ${printValue(f.value)}`;
    case 'cmp':
      return `${printPath(f.path)} ${f.op} ${printValue(f.value)}`;
    case 'like':
      return `${printPath(f.path)} like ${printPattern(f.pattern)}`;
    case 'contains':
      return `${printPath(f.path)}.contains(${printValue(f.value)})`;
    case 'containsAll':
    case 'containsAny':
      return `${printPath(f.path)}.${f.kind}([${f.values.map(printValue).join(', ')}])`;
    case 'isEmpty':
      return `${printPath(f.path)}.isEmpty()`;
    case 'ext':
      return `${f.expect ? '' : '!'}${f.fn}(${f.args.map((a) => ('path' in a ? printPath(a.path) : printValue(a.value))).join(', ')})`;
  }
}

// ---------------------------------------------------------------------------------------------
// In-memory matcher

/**
 * Resolves a path on the resource with Cedar's attribute access (records, and entities looked
 * up in `lookup`); `undefined` where Cedar would raise an error.
 */
export function resolvePath(
  lookup: EntityLookup,
  resource: EntityUID,
  path: ResourcePath,
): Value | undefined {
  let v: Value;
  try {
    if (path.tag !== undefined) {
      const data = lookup.get(resource);
      const t = data?.tags.get(path.tag);
      if (t === undefined) return undefined;
      v = t;
    } else {
      v = resource;
    }
    for (const a of path.attrs) v = getAttr(lookup, v, a);
    return v;
  } catch (e) {
    if (e instanceof EvalError) return undefined;
    throw e;
  }
}

/** The kind of a value, as `typeOf` tests it. */
export function valueKind(v: Value): Exclude<FilterValueType, 'EntitySet'> {
  switch (typeof v) {
    case 'boolean':
      return 'Bool';
    case 'number':
    case 'bigint':
      return 'Long';
    case 'string':
      return 'String';
    default:
      if (v instanceof EntityUID) return 'Entity';
      if (v instanceof CedarSet) return 'Set';
      if (v instanceof CedarRecord) return 'Record';
      return 'Extension';
  }
}

function strict(test: () => boolean): boolean {
  try {
    return test();
  } catch (e) {
    if (e instanceof EvalError) return false;
    throw e;
  }
}

/**
 * Whether `resource` satisfies the filter, reading its data (and any entity a path crosses)
 * from `lookup` with Cedar's semantics. A resource missing from `lookup` has no attributes and
 * no ancestors.
 */
export function matchesFilter(
  filter: ResourceFilter,
  resource: EntityUID,
  lookup: EntityLookup,
): boolean {
  const at = (p: ResourcePath) => resolvePath(lookup, resource, p);
  const m = (f: ResourceFilter): boolean => {
    switch (f.kind) {
      case 'const':
        return f.value;
      case 'and':
        return f.args.every(m);
      case 'or':
        return f.args.some(m);
      case 'not':
        return !m(f.arg);
      case 'resourceEq':
        return resource.equals(f.uid);
      case 'resourceIn':
        return resource.equals(f.ancestor) || lookup.isDescendant(resource, f.ancestor);
      case 'resourceIs':
        return resource.type === f.entityType;
      case 'has':
        return at(f.path) !== undefined;
      case 'typeOf': {
        const v = at(f.path);
        if (v === undefined) return false;
        if (f.type === 'EntitySet')
          return v instanceof CedarSet && v.items.every((x) => x instanceof EntityUID);
        return valueKind(v) === f.type;
      }
      case 'entityIs': {
        const v = at(f.path);
        return v instanceof EntityUID && v.type === f.entityType;
      }
      case 'eq': {
        const v = at(f.path);
        return v !== undefined && valueEquals(v, f.value);
      }
      case 'cmp': {
        const v = at(f.path);
        return v !== undefined && strict(() => compare(f.op, v, f.value));
      }
      case 'like': {
        const v = at(f.path);
        return v !== undefined && strict(() => likeMatch(v, f.pattern));
      }
      case 'contains': {
        const v = at(f.path);
        return v !== undefined && strict(() => contains(v, f.value));
      }
      case 'containsAll': {
        const v = at(f.path);
        return v instanceof CedarSet && f.values.every((x) => v.has(x));
      }
      case 'containsAny': {
        const v = at(f.path);
        return v instanceof CedarSet && f.values.some((x) => v.has(x));
      }
      case 'isEmpty': {
        const v = at(f.path);
        return v instanceof CedarSet && v.size === 0;
      }
      case 'ext': {
        const args: Value[] = [];
        for (const a of f.args) {
          const v = 'path' in a ? at(a.path) : a.value;
          if (v === undefined) return false;
          args.push(v);
        }
        return strict(() => callExtension(f.fn, args) === f.expect);
      }
    }
  };
  return m(filter);
}

/** Every path the filter reads, each once (for mappings and error messages). */
export function filterPaths(filter: ResourceFilter): ResourcePath[] {
  const out = new Map<string, ResourcePath>();
  const add = (p: ResourcePath) => out.set(printPath(p), p);
  const walk = (f: ResourceFilter): void => {
    switch (f.kind) {
      case 'and':
      case 'or':
        f.args.forEach(walk);
        return;
      case 'not':
        walk(f.arg);
        return;
      case 'const':
      case 'resourceEq':
      case 'resourceIn':
      case 'resourceIs':
        return;
      case 'ext':
        for (const a of f.args) if ('path' in a) add(a.path);
        return;
      default:
        add(f.path);
    }
  };
  walk(filter);
  return [...out.values()];
}
