/**
 * A residual filter → a SQL `WHERE` fragment with bound parameters, for SQLite (`?`) and
 * PostgreSQL (`$n`). Every value is a parameter; only the host's mapping (column and table
 * names, checked to be plain or quoted identifiers) is spliced into the text.
 *
 * Every predicate is emitted two-valued (`COALESCE(…, FALSE)`), so `NOT` never meets an SQL
 * NULL, and type tests come before casts (PostgreSQL `CASE`), so a row holding an unexpected
 * type is simply not matched — the same strictness as the in-memory matcher.
 */
import { policyErrors } from '../errors.js';
import type { PatternElem } from '../internal/ast.js';
import { valueToJson } from '../internal/json-values.js';
import { CedarRecord, CedarSet, EntityUID, type Value } from '../internal/values.js';
import { printFilter, printPath, type ResourceFilter, type ResourcePath } from './filter.js';

/** A typed column holding one attribute path; SQL NULL means the attribute is absent. */
export interface SqlColumn {
  /** The column (or `alias.column`). */
  readonly column: string;
  /** The Cedar type every non-NULL value of the column has. `Entity` columns hold the entity id. */
  readonly type: 'String' | 'Long' | 'Bool' | 'Entity';
  /** For `Entity`: the entity type of every value. */
  readonly entityType?: string;
  /** For `Entity`: a column holding the entity type (instead of `entityType`). */
  readonly typeColumn?: string;
}

/** Where the resources' data lives in the host's tables. */
export interface SqlMapping {
  readonly dialect: 'sqlite' | 'postgres';
  /** The column holding the resource's entity id. */
  readonly id: string;
  /** The column holding the resource's entity type; omit when every row is of `entityType`. */
  readonly type?: string;
  /** The entity type of every row, when there is no `type` column. */
  readonly entityType?: string;
  /**
   * A JSON column (SQLite JSON text, PostgreSQL `jsonb`) holding the resource's attributes in
   * Cedar's JSON value format (entities as `{"__entity": {type, id}}`, sets as arrays). Every
   * attribute path without a typed column is read from it.
   */
  readonly attrs?: string;
  /** A JSON column holding the resource's tags (an object, values in Cedar's JSON value format). */
  readonly tags?: string;
  /** Typed columns by attribute path (`'owner'`, `'address.city'`), used for exactly that path. */
  readonly columns?: { readonly [path: string]: SqlColumn };
  /**
   * The hierarchy, for `resource in G`: a table with one row per (resource, strict ancestor),
   * i.e. the transitive closure of `parents`. Column names are those of the table.
   */
  readonly ancestors?: {
    readonly table: string;
    /** The column of the resource id (compared with `mapping.id`). */
    readonly id: string;
    /** The column of the resource type (compared with `mapping.type`), if the table holds several types. */
    readonly type?: string;
    readonly ancestorType: string;
    readonly ancestorId: string;
  };
  /** Number of the first `$n` placeholder (PostgreSQL), to splice into a larger query. @default 1 */
  readonly paramOffset?: number;
}

export interface SqlFilter {
  readonly where: string;
  readonly params: unknown[];
}

const IDENT =
  /^(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+")(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+"))*$/;

function badOption(option: string, message: string): never {
  throw policyErrors.create('E_INVALID_OPTION', `toSql: ${message}`, { details: { option } });
}

function unsupported(construct: string, filter?: ResourceFilter): never {
  throw policyErrors.create(
    'E_UNSUPPORTED',
    `toSql: ${construct} has no SQL form${filter === undefined ? '' : ` (in \`${printFilter(filter)}\`)`}`,
    { details: { construct } },
  );
}

function checkIdent(option: string, v: unknown): string {
  if (typeof v !== 'string' || !IDENT.test(v)) {
    badOption(
      option,
      `${option} must be a column or table name (\`a\`, \`t.a\` or "quoted"), got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function checkMapping(m: SqlMapping): void {
  if (typeof m !== 'object' || m === null) badOption('mapping', 'the mapping must be an object');
  if (m.dialect !== 'sqlite' && m.dialect !== 'postgres')
    badOption(
      'dialect',
      `dialect must be 'sqlite' or 'postgres', got ${JSON.stringify(m.dialect)}`,
    );
  checkIdent('id', m.id);
  if (m.type !== undefined) checkIdent('type', m.type);
  else if (typeof m.entityType !== 'string')
    badOption('type', 'give a `type` column or a fixed `entityType`');
  if (m.attrs !== undefined) checkIdent('attrs', m.attrs);
  if (m.tags !== undefined) checkIdent('tags', m.tags);
  for (const [path, c] of Object.entries(m.columns ?? {})) {
    checkIdent(`columns.${path}.column`, c.column);
    if (!['String', 'Long', 'Bool', 'Entity'].includes(c.type))
      badOption(
        `columns.${path}.type`,
        `columns.${path}.type must be String, Long, Bool or Entity`,
      );
    if (c.type === 'Entity' && c.typeColumn === undefined && typeof c.entityType !== 'string')
      badOption(`columns.${path}`, `the Entity column for ${path} needs entityType or typeColumn`);
    if (c.typeColumn !== undefined) checkIdent(`columns.${path}.typeColumn`, c.typeColumn);
  }
  const a = m.ancestors;
  if (a !== undefined) {
    checkIdent('ancestors.table', a.table);
    for (const k of ['id', 'ancestorType', 'ancestorId'] as const)
      checkIdent(`ancestors.${k}`, a[k]);
    if (a.type !== undefined) checkIdent('ancestors.type', a.type);
  }
  const off = m.paramOffset ?? 1;
  if (!Number.isSafeInteger(off) || off < 1)
    badOption('paramOffset', 'paramOffset must be an integer ≥ 1');
}

type Scalar = { kind: 'Long' | 'String' | 'Bool'; v: Value } | { kind: 'Entity'; v: EntityUID };

function scalarOf(v: Value): Scalar | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return { kind: 'Long', v };
  if (typeof v === 'string') return { kind: 'String', v };
  if (typeof v === 'boolean') return { kind: 'Bool', v };
  if (v instanceof EntityUID) return { kind: 'Entity', v };
  return undefined;
}

function describeKind(v: Value): string {
  if (v instanceof CedarSet) return 'a Set value';
  if (v instanceof CedarRecord) return 'a Record value';
  return `an extension value (${(v as { extensionType?: string }).extensionType ?? 'unknown'})`;
}

/** JSON text of a value in Cedar's JSON format, Longs outside ±2^53 written exactly. */
function jsonText(v: Value): string {
  const write = (x: unknown): string => {
    if (typeof x === 'bigint') return String(x);
    if (Array.isArray(x)) return '[' + x.map(write).join(',') + ']';
    if (typeof x === 'object' && x !== null) {
      return (
        '{' +
        Object.entries(x)
          .map(([k, y]) => JSON.stringify(k) + ':' + write(y))
          .join(',') +
        '}'
      );
    }
    return JSON.stringify(x);
  };
  return write(valueToJson(v));
}

/** From this many equalities on one path in a disjunction, they are written as one membership test. */
const ONE_OF_MIN = 3;

type Atom = Exclude<ResourceFilter, { kind: 'const' | 'and' | 'or' | 'not' }>;

function hasNul(v: Value): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v instanceof EntityUID) return v.id.includes('\u0000') || v.type.includes('\u0000');
  if (v instanceof CedarSet) return v.items.some(hasNul);
  if (v instanceof CedarRecord)
    return [...v.attrs].some(([k, x]) => k.includes('\u0000') || hasNul(x));
  return false;
}

/**
 * PostgreSQL `text` and `jsonb` cannot hold U+0000, so no row holds a value containing it: a
 * predicate needing one is false on every row (and is never sent, which PostgreSQL would
 * refuse). `undefined` for such an atom; `containsAny` just drops those values.
 */
function withoutNul(f: Atom): Atom | undefined {
  const paths = f.kind === 'ext' ? [] : 'path' in f ? [f.path] : [];
  for (const p of paths) {
    if ((p.tag ?? '').includes('\u0000') || p.attrs.some((a) => a.includes('\u0000')))
      return undefined;
  }
  switch (f.kind) {
    case 'resourceEq':
      return hasNul(f.uid) ? undefined : f;
    case 'resourceIn':
      return hasNul(f.ancestor) ? undefined : f;
    case 'eq':
    case 'contains':
      return hasNul(f.value) ? undefined : f;
    case 'containsAll':
      return f.values.some(hasNul) ? undefined : f;
    case 'containsAny': {
      const values = f.values.filter((v) => !hasNul(v));
      return values.length === f.values.length ? f : { ...f, values };
    }
    case 'like':
      return f.pattern.some((e) => e !== 'wildcard' && e.literal.includes('\u0000'))
        ? undefined
        : f;
    default:
      return f;
  }
}

class SqlWriter {
  readonly params: unknown[] = [];
  readonly #pg: boolean;
  readonly #offset: number;
  constructor(private readonly m: SqlMapping) {
    this.#pg = m.dialect === 'postgres';
    this.#offset = m.paramOffset ?? 1;
  }

  p(v: unknown, cast = ''): string {
    this.params.push(v);
    return this.#pg ? `$${this.params.length + this.#offset - 1}${cast}` : '?';
  }

  /** A parameter holding a Long (bigint-safe on both engines). */
  long(v: Value): string {
    return this.#pg ? this.p(String(v), '::numeric') : this.p(v);
  }

  write(f: ResourceFilter): string {
    switch (f.kind) {
      case 'const':
        return f.value ? 'TRUE' : 'FALSE';
      case 'and':
        return '(' + f.args.map((a) => this.write(a)).join(' AND ') + ')';
      case 'or':
        return '(' + this.#disjuncts(f.args).join(' OR ') + ')';
      case 'not':
        return `(NOT ${this.write(f.arg)})`;
      default: {
        const atom = this.#pg ? withoutNul(f) : f;
        return atom === undefined ? 'FALSE' : `COALESCE(${this.#atom(atom)}, FALSE)`;
      }
    }
  }

  /**
   * The disjuncts, with equalities on one path against several values written as ONE
   * membership test holding the values in one JSON parameter (a residual that names many
   * entities — every owner with some attribute — stays one predicate and one parameter).
   */
  #disjuncts(args: readonly ResourceFilter[]): string[] {
    const byPath = new Map<string, { path: ResourcePath; values: Value[] }>();
    for (const a of args) {
      if (a.kind !== 'eq' || scalarOf(a.value) === undefined || typeof a.value === 'boolean')
        continue;
      const k = JSON.stringify([a.path.tag ?? null, a.path.attrs]);
      let g = byPath.get(k);
      if (g === undefined) byPath.set(k, (g = { path: a.path, values: [] }));
      g.values.push(a.value);
    }
    const out: string[] = [];
    const done = new Set<string>();
    for (const a of args) {
      if (a.kind === 'eq') {
        const k = JSON.stringify([a.path.tag ?? null, a.path.attrs]);
        const g = byPath.get(k);
        if (g !== undefined && g.values.length >= ONE_OF_MIN) {
          if (!done.has(k)) {
            done.add(k);
            const values = this.#pg ? g.values.filter((v) => !hasNul(v)) : g.values;
            out.push(
              values.length === 0 ? 'FALSE' : `COALESCE(${this.#oneOf(g.path, values)}, FALSE)`,
            );
          }
          if (scalarOf(a.value) !== undefined && typeof a.value !== 'boolean') continue;
        }
      }
      out.push(this.write(a));
    }
    return out;
  }

  /** The path holds one of `values` (Longs, Strings, entities). */
  #oneOf(path: ResourcePath, values: readonly Value[]): string {
    const m = this.m;
    const longs = values.filter((v) => typeof v === 'number' || typeof v === 'bigint');
    const strings = values.filter((v): v is string => typeof v === 'string');
    const uids = values.filter((v): v is EntityUID => v instanceof EntityUID);
    const either = (parts: string[]) => (parts.length === 0 ? 'FALSE' : `(${parts.join(' OR ')})`);
    const col =
      path.tag === undefined && path.attrs.length > 0
        ? m.columns?.[path.attrs.join('.')]
        : undefined;
    if (col !== undefined) {
      const c = col.column;
      if (col.type === 'Long') {
        if (longs.length === 0) return 'FALSE';
        return this.#pg
          ? `${c} = ANY(${this.p(longs.map(String), '::numeric[]')})`
          : `${c} IN (SELECT value FROM json_each(${this.p(jsonText(new CedarSet(longs, true)))}))`;
      }
      if (col.type === 'String') {
        if (strings.length === 0) return 'FALSE';
        return this.#pg
          ? `${c} = ANY(${this.p(strings, '::text[]')})`
          : `${c} IN (SELECT value FROM json_each(${this.p(JSON.stringify(strings))}))`;
      }
      if (col.type !== 'Entity' || uids.length === 0) return 'FALSE';
      if (col.typeColumn === undefined) {
        const ids = uids.filter((u) => u.type === col.entityType).map((u) => u.id);
        if (ids.length === 0) return 'FALSE';
        return this.#pg
          ? `${c} = ANY(${this.p(ids, '::text[]')})`
          : `${c} IN (SELECT value FROM json_each(${this.p(JSON.stringify(ids))}))`;
      }
      const pairs = JSON.stringify(uids.map((u) => [u.type, u.id]));
      return this.#pg
        ? `(${col.typeColumn}, ${c}) IN (SELECT plinth_v.v ->> 0, plinth_v.v ->> 1 FROM jsonb_array_elements(${this.p(pairs, '::jsonb')}) AS plinth_v(v))`
        : `EXISTS (SELECT 1 FROM json_each(${this.p(pairs)}) AS plinth_v WHERE json_extract(plinth_v.value, '$[0]') = ${col.typeColumn} AND json_extract(plinth_v.value, '$[1]') = ${c})`;
    }
    const root = path.tag === undefined ? m.attrs : m.tags;
    if (root === undefined)
      unsupported(`${printPath(path)} (no typed column for it and no JSON column)`);
    const segs = path.tag === undefined ? [...path.attrs] : [path.tag, ...path.attrs];
    if (this.#pg) {
      return `EXISTS (SELECT 1 FROM jsonb_array_elements(${this.p(jsonText(new CedarSet(values, true)), '::jsonb')}) AS plinth_v(v) WHERE plinth_v.v = (${root} #> ${this.p(segs, '::text[]')}))`;
    }
    const at = this.#sqlitePath(segs);
    const parts: string[] = [];
    if (longs.length > 0)
      parts.push(
        `(json_type(${root}, ${this.p(at)}) = 'integer' AND json_extract(${root}, ${this.p(at)}) IN (SELECT value FROM json_each(${this.p(jsonText(new CedarSet(longs, true)))})))`,
      );
    if (strings.length > 0)
      parts.push(
        `(json_type(${root}, ${this.p(at)}) = 'text' AND json_extract(${root}, ${this.p(at)}) IN (SELECT value FROM json_each(${this.p(JSON.stringify(strings))})))`,
      );
    if (uids.length > 0) {
      const t = '."__entity"."type"';
      const i = '."__entity"."id"';
      parts.push(
        `(json_type(${root}, ${this.p(at + t)}) = 'text' AND EXISTS (SELECT 1 FROM json_each(${this.p(JSON.stringify(uids.map((u) => [u.type, u.id])))}) AS plinth_v WHERE json_extract(plinth_v.value, '$[0]') = json_extract(${root}, ${this.p(at + t)}) AND json_extract(plinth_v.value, '$[1]') = json_extract(${root}, ${this.p(at + i)})))`,
      );
    }
    return either(parts);
  }

  #resourceEq(uid: EntityUID): string {
    const m = this.m;
    if (m.type === undefined)
      return uid.type === m.entityType ? `${m.id} = ${this.p(uid.id)}` : 'FALSE';
    return `(${m.type} = ${this.p(uid.type)} AND ${m.id} = ${this.p(uid.id)})`;
  }

  #atom(f: Atom): string {
    const m = this.m;
    switch (f.kind) {
      case 'resourceEq':
        return this.#resourceEq(f.uid);
      case 'resourceIs':
        if (m.type === undefined) return f.entityType === m.entityType ? 'TRUE' : 'FALSE';
        return `${m.type} = ${this.p(f.entityType)}`;
      case 'resourceIn': {
        const a = m.ancestors;
        if (a === undefined) unsupported('`resource in` without an `ancestors` mapping', f);
        const self = this.#resourceEq(f.ancestor); // first: SQLite binds `?` in text order
        const t = 'plinth_anc';
        const typeJoin =
          a.type !== undefined && m.type !== undefined ? ` AND ${t}.${a.type} = ${m.type}` : '';
        const anc = `EXISTS (SELECT 1 FROM ${a.table} AS ${t} WHERE ${t}.${a.id} = ${m.id}${typeJoin} AND ${t}.${a.ancestorType} = ${this.p(f.ancestor.type)} AND ${t}.${a.ancestorId} = ${this.p(f.ancestor.id)})`;
        return `(${self} OR ${anc})`;
      }
      case 'ext':
        return unsupported(`the extension function \`${f.fn}\` on a resource attribute`, f);
      default:
        break;
    }
    const col = f.path.tag === undefined ? m.columns?.[f.path.attrs.join('.')] : undefined;
    if (col !== undefined && f.path.attrs.length > 0) return this.#typed(col, f);
    const root = f.path.tag === undefined ? m.attrs : m.tags;
    if (root === undefined) {
      unsupported(
        `${printPath(f.path)} (no typed column for it and no \`${f.path.tag === undefined ? 'attrs' : 'tags'}\` JSON column)`,
        f,
      );
    }
    const segs = f.path.tag === undefined ? [...f.path.attrs] : [f.path.tag, ...f.path.attrs];
    return this.#pg ? this.#pgJson(root, segs, f) : this.#sqliteJson(root, segs, f);
  }

  #typed(
    c: SqlColumn,
    f: Exclude<
      ResourceFilter,
      { kind: 'const' | 'and' | 'or' | 'not' | 'resourceEq' | 'resourceIn' | 'resourceIs' | 'ext' }
    >,
  ): string {
    const col = c.column;
    const present = `${col} IS NOT NULL`;
    const entityTypeIs = (t: string) =>
      c.typeColumn !== undefined
        ? `${c.typeColumn} = ${this.p(t)}`
        : t === c.entityType
          ? 'TRUE'
          : 'FALSE';
    switch (f.kind) {
      case 'has':
        return present;
      case 'typeOf':
        return f.type === c.type ? present : 'FALSE';
      case 'entityIs':
        return c.type === 'Entity' ? `(${present} AND ${entityTypeIs(f.entityType)})` : 'FALSE';
      case 'eq': {
        const s = scalarOf(f.value);
        if (s === undefined || s.kind !== c.type) return 'FALSE';
        if (s.kind === 'Entity')
          return `(${col} = ${this.p(s.v.id)} AND ${entityTypeIs(s.v.type)})`;
        if (s.kind === 'Bool')
          return this.#pg ? `${col} = ${this.p(s.v)}` : `${col} = ${s.v ? 1 : 0}`;
        if (s.kind === 'Long') return `${col} = ${this.long(s.v)}`;
        return `${col} = ${this.p(s.v)}`;
      }
      case 'cmp':
        if (c.type !== 'Long' || scalarOf(f.value)?.kind !== 'Long') return 'FALSE';
        return `${col} ${f.op} ${this.long(f.value)}`;
      case 'like':
        return c.type === 'String' ? this.#like(col, f.pattern) : 'FALSE';
      default:
        return 'FALSE'; // a scalar column is never a Set
    }
  }

  #like(text: string, pattern: readonly PatternElem[]): string {
    if (this.#pg) {
      const pat = pattern
        .map((e) => (e === 'wildcard' ? '%' : e.literal.replace(/[!%_]/g, (ch) => '!' + ch)))
        .join('');
      return `(${text} COLLATE "C") LIKE ${this.p(pat)} ESCAPE '!'`;
    }
    const pat = pattern
      .map((e) => (e === 'wildcard' ? '*' : e.literal.replace(/[*?[]/g, (ch) => `[${ch}]`)))
      .join('');
    return `${text} GLOB ${this.p(pat)}`;
  }

  // SQLite: JSON text column, JSON paths as parameters (`$."a"."b"`).

  #sqlitePath(segs: readonly string[]): string {
    for (const s of segs) {
      if (/["\\]/.test(s))
        unsupported(
          `the attribute name ${JSON.stringify(s)} (a quote or backslash in a SQLite JSON path)`,
        );
    }
    return '$' + segs.map((s) => `."${s}"`).join('');
  }

  #sqliteJson(
    col: string,
    segs: string[],
    f: Exclude<
      ResourceFilter,
      { kind: 'const' | 'and' | 'or' | 'not' | 'resourceEq' | 'resourceIn' | 'resourceIs' | 'ext' }
    >,
  ): string {
    const path = this.#sqlitePath(segs);
    const type = () => `json_type(${col}, ${this.p(path)})`;
    const extract = (suffix = '') => `json_extract(${col}, ${this.p(path + suffix)})`;
    const entityType = '."__entity"."type"';
    const entityId = '."__entity"."id"';
    const elemMatch = (v: Value): string => {
      const s = scalarOf(v);
      if (s === undefined) unsupported(`a Set test on ${describeKind(v)}`, f);
      const e = 'plinth_e';
      const from = `FROM json_each(${col}, ${this.p(path)}) AS ${e}`;
      switch (s.kind) {
        case 'Long':
          return `EXISTS (SELECT 1 ${from} WHERE ${e}.type = 'integer' AND ${e}.atom = ${this.p(s.v)})`;
        case 'String':
          return `EXISTS (SELECT 1 ${from} WHERE ${e}.type = 'text' AND ${e}.atom = ${this.p(s.v)})`;
        case 'Bool':
          return `EXISTS (SELECT 1 ${from} WHERE ${e}.type = '${s.v ? 'true' : 'false'}')`;
        case 'Entity':
          return `EXISTS (SELECT 1 ${from} WHERE ${e}.type = 'object' AND json_extract(${col}, ${e}.fullkey || '${entityType}') = ${this.p(s.v.type)} AND json_extract(${col}, ${e}.fullkey || '${entityId}') = ${this.p(s.v.id)})`;
      }
    };
    const isArray = () => `${type()} = 'array'`;
    switch (f.kind) {
      case 'has':
        return `${type()} IS NOT NULL`;
      case 'typeOf':
        switch (f.type) {
          case 'Long':
            return `${type()} = 'integer'`;
          case 'String':
            return `${type()} = 'text'`;
          case 'Bool':
            return `${type()} IN ('true', 'false')`;
          case 'Set':
            return isArray();
          case 'Entity':
            return `json_type(${col}, ${this.p(path + '."__entity"')}) = 'object'`;
          case 'Extension':
            return `json_type(${col}, ${this.p(path + '."__extn"')}) = 'object'`;
          case 'Record':
            return `(${type()} = 'object' AND json_type(${col}, ${this.p(path + '."__entity"')}) IS NULL AND json_type(${col}, ${this.p(path + '."__extn"')}) IS NULL)`;
          case 'EntitySet': {
            const e = 'plinth_e';
            return `(${isArray()} AND NOT EXISTS (SELECT 1 FROM json_each(${col}, ${this.p(path)}) AS ${e} WHERE ${e}.type <> 'object' OR json_type(${col}, ${e}.fullkey || '."__entity"') IS NOT 'object'))`;
          }
        }
        break;
      case 'entityIs':
        return `(json_type(${col}, ${this.p(path + entityType)}) = 'text' AND ${extract(entityType)} = ${this.p(f.entityType)})`;
      case 'eq': {
        const s = scalarOf(f.value);
        if (s === undefined) unsupported(`equality with ${describeKind(f.value)}`, f);
        switch (s.kind) {
          case 'Long':
            return `(${type()} = 'integer' AND ${extract()} = ${this.p(s.v)})`;
          case 'String':
            return `(${type()} = 'text' AND ${extract()} = ${this.p(s.v)})`;
          case 'Bool':
            return `${type()} = '${s.v ? 'true' : 'false'}'`;
          case 'Entity':
            return `(json_type(${col}, ${this.p(path + entityType)}) = 'text' AND ${extract(entityType)} = ${this.p(s.v.type)} AND ${extract(entityId)} = ${this.p(s.v.id)})`;
        }
        break;
      }
      case 'cmp':
        if (scalarOf(f.value)?.kind !== 'Long')
          unsupported(`\`${f.op}\` on ${describeKind(f.value)}`, f);
        return `(${type()} = 'integer' AND ${extract()} ${f.op} ${this.p(f.value)})`;
      case 'like':
        return `(${type()} = 'text' AND ${this.#like(extract(), f.pattern)})`;
      case 'contains':
        return `(${isArray()} AND ${elemMatch(f.value)})`;
      case 'containsAll':
        return `(${[isArray(), ...f.values.map(elemMatch)].join(' AND ')})`;
      case 'containsAny':
        return f.values.length === 0
          ? 'FALSE'
          : `(${isArray()} AND (${f.values.map(elemMatch).join(' OR ')}))`;
      case 'isEmpty':
        return `(${isArray()} AND json_array_length(${col}, ${this.p(path)}) = 0)`;
    }
    return unsupported(printFilter(f));
  }

  // PostgreSQL: jsonb column, paths as text[] parameters; CASE guards every cast.

  #pgJson(
    col: string,
    segs: string[],
    f: Exclude<
      ResourceFilter,
      { kind: 'const' | 'and' | 'or' | 'not' | 'resourceEq' | 'resourceIn' | 'resourceIs' | 'ext' }
    >,
  ): string {
    const x = () => `(${col} #> ${this.p(segs, '::text[]')})`;
    const typeIs = (t: string) => `jsonb_typeof(${x()}) = '${t}'`;
    const elems = () =>
      `jsonb_array_elements(CASE WHEN ${typeIs('array')} THEN ${x()} ELSE '[]'::jsonb END) AS plinth_e(v)`;
    const elemMatch = (v: Value): string => {
      if (scalarOf(v) === undefined) unsupported(`a Set test on ${describeKind(v)}`, f);
      return `EXISTS (SELECT 1 FROM ${elems()} WHERE plinth_e.v = ${this.p(jsonText(v), '::jsonb')})`;
    };
    switch (f.kind) {
      case 'has':
        return `${x()} IS NOT NULL`;
      case 'typeOf':
        switch (f.type) {
          case 'Long':
            return typeIs('number');
          case 'String':
            return typeIs('string');
          case 'Bool':
            return typeIs('boolean');
          case 'Set':
            return typeIs('array');
          case 'Entity':
            return `jsonb_typeof(${x()} -> '__entity') = 'object'`;
          case 'Extension':
            return `jsonb_typeof(${x()} -> '__extn') = 'object'`;
          case 'Record':
            return `(${typeIs('object')} AND (${x()} -> '__entity') IS NULL AND (${x()} -> '__extn') IS NULL)`;
          case 'EntitySet':
            return `(${typeIs('array')} AND NOT EXISTS (SELECT 1 FROM ${elems()} WHERE jsonb_typeof(plinth_e.v -> '__entity') IS DISTINCT FROM 'object'))`;
        }
        break;
      case 'entityIs':
        return `(${x()} #>> '{__entity,type}') = ${this.p(f.entityType)}`;
      case 'eq':
        if (scalarOf(f.value) === undefined)
          unsupported(`equality with ${describeKind(f.value)}`, f);
        return `${x()} = ${this.p(jsonText(f.value), '::jsonb')}`;
      case 'cmp':
        if (scalarOf(f.value)?.kind !== 'Long')
          unsupported(`\`${f.op}\` on ${describeKind(f.value)}`, f);
        return `CASE WHEN ${typeIs('number')} THEN (${x()})::numeric ${f.op} ${this.long(f.value)} ELSE FALSE END`;
      case 'like':
        return `CASE WHEN ${typeIs('string')} THEN ${this.#like(`(${x()} #>> '{}')`, f.pattern)} ELSE FALSE END`;
      case 'contains':
        return `(${typeIs('array')} AND ${elemMatch(f.value)})`;
      case 'containsAll':
        return `(${[typeIs('array'), ...f.values.map(elemMatch)].join(' AND ')})`;
      case 'containsAny':
        return f.values.length === 0
          ? 'FALSE'
          : `(${typeIs('array')} AND (${f.values.map(elemMatch).join(' OR ')}))`;
      case 'isEmpty':
        return `CASE WHEN ${typeIs('array')} THEN jsonb_array_length(${x()}) = 0 ELSE FALSE END`;
    }
    return unsupported(printFilter(f));
  }
}

/**
 * The filter as a SQL `WHERE` fragment over the host's tables. `E_UNSUPPORTED` names a
 * predicate the mapping or the dialect cannot express (an extension function, equality with a
 * Set or Record, `resource in` without an `ancestors` table, a path with no column).
 */
export function toSql(filter: ResourceFilter, mapping: SqlMapping): SqlFilter {
  checkMapping(mapping);
  const w = new SqlWriter(mapping);
  const where = w.write(filter);
  return { where, params: w.params };
}
