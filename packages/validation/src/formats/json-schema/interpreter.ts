import { compileUserPattern, type UserPattern } from '@plinth/core';
import type { Format, FormatDefinition } from 'ajv';
import { validationErrors } from '../../errors.js';
import { isObject, jsonEqual, ptr } from '../../internal/json.js';
import type { ValidationIssue } from '../../types.js';
import { createAjv, type JsonSchemaDraft } from './drafts.js';
import { META_SCHEMAS } from './metaschemas.js';
import type { ReferenceModel, SchemaLocation } from './refs.js';

/**
 * Plinth's own JSON Schema evaluator: an interpreter of the core and validation specifications
 * (drafts 04 to 2020-12) over the reference model, synchronous, with annotation collection for
 * `unevaluatedItems`/`unevaluatedProperties`, the dynamic scope for `$recursiveRef` and
 * `$dynamicRef`, and `$vocabulary`. It runs the schemas that need those features (see
 * `needsInterpreter`); every other schema runs on ajv's generated code.
 */

/** The vocabularies of 2019-09 and 2020-12 and the keywords each one defines. */
const VOCABULARY_KEYWORDS: Record<string, readonly string[]> = {
  applicator: [
    'prefixItems',
    'items',
    'additionalItems',
    'contains',
    'additionalProperties',
    'properties',
    'patternProperties',
    'dependentSchemas',
    'propertyNames',
    'if',
    'then',
    'else',
    'allOf',
    'anyOf',
    'oneOf',
    'not',
  ],
  unevaluated: ['unevaluatedItems', 'unevaluatedProperties'],
  validation: [
    'type',
    'const',
    'enum',
    'multipleOf',
    'maximum',
    'exclusiveMaximum',
    'minimum',
    'exclusiveMinimum',
    'maxLength',
    'minLength',
    'pattern',
    'maxItems',
    'minItems',
    'uniqueItems',
    'maxContains',
    'minContains',
    'maxProperties',
    'minProperties',
    'required',
    'dependentRequired',
  ],
  format: ['format'],
  'format-annotation': ['format'],
  'format-assertion': ['format'],
};

const KNOWN_VOCABULARY = /^https:\/\/json-schema\.org\/draft\/(2019-09|2020-12)\/vocab\/([a-z-]+)$/;

/**
 * Keywords a custom meta-schema switches off through `$vocabulary` (a standard vocabulary it does
 * not list). An unknown vocabulary it requires (`true`) is refused, as the specification says.
 */
export function disabledKeywords(metaSchema: unknown): ReadonlySet<string> {
  const off = new Set<string>();
  if (!isObject(metaSchema) || !isObject(metaSchema.$vocabulary)) return off;
  const on = new Set<string>();
  for (const [uri, required] of Object.entries(metaSchema.$vocabulary)) {
    const m = KNOWN_VOCABULARY.exec(uri);
    if (m === null) {
      if (required === true) {
        throw validationErrors.create(
          'E_INVALID_SCHEMA',
          `invalid json-schema schema at /$vocabulary: the meta-schema requires the vocabulary "${uri}", which Plinth does not know`,
          { details: { format: 'json-schema', location: '/$vocabulary', vocabulary: uri } },
        );
      }
      continue;
    }
    on.add(m[2] as string);
    if (m[2] === 'applicator' && m[1] === '2019-09') on.add('unevaluated');
  }
  for (const [vocab, keywords] of Object.entries(VOCABULARY_KEYWORDS)) {
    if (vocab.startsWith('format')) continue;
    if (!on.has(vocab)) for (const k of keywords) off.add(k);
  }
  return off;
}

type Sink = ValidationIssue[] | null;

interface Outcome {
  readonly valid: boolean;
  /** Property names this schema evaluated (annotations), when collected. */
  readonly props: Set<string> | null;
  /** Array indices this schema evaluated, when collected. */
  readonly items: Set<number> | null;
}

const INVALID: Outcome = { valid: false, props: null, items: null };
const VALID_EMPTY: Outcome = { valid: true, props: null, items: null };
const APPLICATORS = ['allOf', 'anyOf', 'oneOf'] as const;

/** The state of one schema object's evaluation: its outcome and where issues go. */
class Frame implements Outcome {
  valid = true;
  /** Evaluated property names and item indices, created on first use (annotations). */
  props: Set<string> | null = null;
  items: Set<number> | null = null;

  constructor(
    readonly path: string,
    readonly scope: SchemaLocation[],
    readonly sink: Sink,
    readonly depth: number,
    /** Whether annotations are collected (the schema uses unevaluated*). */
    readonly track: boolean,
  ) {}

  /**
   * Marks the schema failed, with an issue unless `message` is null (the subschema that failed
   * reported its own); true when evaluation can stop (test mode).
   */
  fail(rule: string, message: string | null, at = this.path): boolean {
    this.valid = false;
    if (message !== null) this.sink?.push({ path: at, message, rule, severity: 'error' });
    return this.sink === null;
  }

  prop(k: string): void {
    if (this.track) (this.props ??= new Set()).add(k);
  }

  item(i: number): void {
    if (this.track) (this.items ??= new Set()).add(i);
  }

  /** Takes the annotations of a subschema that passed. */
  merge(o: Outcome): void {
    if (!this.track) return;
    if (o.props !== null) for (const p of o.props) this.prop(p);
    if (o.items !== null) for (const i of o.items) this.item(i);
  }
}

/** One subschema, with its children and static reference target resolved once. */
class Node {
  readonly children = new Map<string, Node>();
  /** Children under keywords that hold several (`properties`, `allOf`…), by keyword then key. */
  readonly keyed = new Map<string, Map<string | number, Node>>();
  ref: Node | null | undefined;
  /** Which keyword groups the schema uses (GROUP_* bits), so evaluation skips the others. */
  readonly groups: number;
  constructor(
    readonly loc: SchemaLocation,
    readonly draft: JsonSchemaDraft,
    readonly key: string,
  ) {
    let g = 0;
    if (isObject(loc.schema)) for (const k in loc.schema) g |= GROUP_OF[k] ?? 0;
    this.groups = g;
  }
}

const GROUP_NUMBER = 1;
const GROUP_STRING = 2;
const GROUP_ARRAY = 4;
const GROUP_OBJECT = 8;
const GROUP_IN_PLACE = 16;
const GROUP_OF: Record<string, number> = Object.assign(Object.create(null) as object, {
  multipleOf: GROUP_NUMBER,
  maximum: GROUP_NUMBER,
  minimum: GROUP_NUMBER,
  exclusiveMaximum: GROUP_NUMBER,
  exclusiveMinimum: GROUP_NUMBER,
  maxLength: GROUP_STRING,
  minLength: GROUP_STRING,
  pattern: GROUP_STRING,
  maxItems: GROUP_ARRAY,
  minItems: GROUP_ARRAY,
  uniqueItems: GROUP_ARRAY,
  items: GROUP_ARRAY,
  prefixItems: GROUP_ARRAY,
  additionalItems: GROUP_ARRAY,
  contains: GROUP_ARRAY,
  unevaluatedItems: GROUP_ARRAY,
  maxProperties: GROUP_OBJECT,
  minProperties: GROUP_OBJECT,
  required: GROUP_OBJECT,
  dependentRequired: GROUP_OBJECT,
  dependentSchemas: GROUP_OBJECT,
  dependencies: GROUP_OBJECT,
  propertyNames: GROUP_OBJECT,
  properties: GROUP_OBJECT,
  patternProperties: GROUP_OBJECT,
  additionalProperties: GROUP_OBJECT,
  unevaluatedProperties: GROUP_OBJECT,
  allOf: GROUP_IN_PLACE,
  anyOf: GROUP_IN_PLACE,
  oneOf: GROUP_IN_PLACE,
  not: GROUP_IN_PLACE,
  if: GROUP_IN_PLACE,
}) as Record<string, number>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeOf(v) === t;
  }
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}

function isMultiple(x: number, m: number): boolean {
  if (Number.isInteger(x) && Number.isInteger(m)) return x % m === 0;
  const q = x / m;
  if (!Number.isFinite(q)) return false;
  return Math.abs(q - Math.round(q)) < 1e-9 * Math.max(1, Math.abs(q));
}

const LEGACY = new Set<JsonSchemaDraft>(['draft-04', 'draft-06', 'draft-07']);

/** Most nested evaluations (schema depth × value depth) before a value is refused. */
const MAX_EVALUATION_DEPTH = 4_000;

/** A compiled interpreter for one parsed schema. */
export class SchemaInterpreter {
  readonly #model: ReferenceModel;
  readonly #nodes = new Map<string, Node>();
  readonly #patterns = new Map<string, UserPattern>();
  readonly #formats: Record<string, Format | undefined>;
  readonly #off: ReadonlySet<string>;
  readonly #track: boolean;
  readonly #root: Node;

  constructor(model: ReferenceModel, options: { metaSchema?: unknown } = {}) {
    this.#model = model;
    this.#formats = formatsFor(model.draft);
    this.#off = options.metaSchema === undefined ? new Set() : disabledKeywords(options.metaSchema);
    this.#track = model
      .locations()
      .some(
        (l) =>
          isObject(l.schema) &&
          ('unevaluatedProperties' in l.schema || 'unevaluatedItems' in l.schema),
      );
    this.#root = this.#node(model.root);
    // Resolve every static reference once: a reference that leads nowhere is found here.
    for (const loc of model.locations()) this.#prepare(this.#node(loc));
  }

  /** True when `value` conforms (stops at the first failure). */
  test(value: unknown): boolean {
    return this.#eval(this.#root, value, '', [], null, 0).valid;
  }

  /** Every issue (up to `max`), in the same shape as the ajv path's. */
  validate(value: unknown, max: number): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    this.#eval(this.#root, value, '', [], issues, 0);
    return issues.slice(0, max);
  }

  #node(loc: SchemaLocation): Node {
    const key = `${loc.resourceUri}#${loc.pointer}`;
    let n = this.#nodes.get(key);
    if (n === undefined) {
      n = new Node(loc, this.#model.draftAt(loc), key);
      this.#nodes.set(key, n);
    }
    return n;
  }

  #prepare(n: Node): void {
    const s = n.loc.schema;
    if (isObject(s) && typeof s.$ref === 'string') this.#refOf(n);
  }

  #child1(n: Node, kw: string): Node {
    let c = n.children.get(kw);
    if (c === undefined) {
      c = this.#node(this.#model.at(n.loc, kw));
      n.children.set(kw, c);
    }
    return c;
  }

  #child2(n: Node, kw: string, key: string | number): Node {
    let m = n.keyed.get(kw);
    if (m === undefined) n.keyed.set(kw, (m = new Map()));
    let c = m.get(key);
    if (c === undefined) {
      c = this.#node(this.#model.at(n.loc, kw, key));
      m.set(key, c);
    }
    return c;
  }

  #refOf(n: Node): Node | null {
    if (n.ref === undefined) {
      const s = n.loc.schema as Record<string, unknown>;
      const target = this.#model.resolve(n.loc, s.$ref as string);
      n.ref = target === undefined ? null : this.#node(target);
    }
    return n.ref;
  }

  #pattern(source: string): UserPattern {
    let p = this.#patterns.get(source);
    if (p === undefined) {
      p = compileUserPattern(source, 'u', { package: '@plinth/validation' });
      this.#patterns.set(source, p);
    }
    return p;
  }

  #on(s: Record<string, unknown>, k: string): boolean {
    return Object.hasOwn(s, k) && (this.#off.size === 0 || !this.#off.has(k));
  }

  #eval(
    n: Node,
    v: unknown,
    path: string,
    scope: SchemaLocation[],
    sink: Sink,
    depth: number,
  ): Outcome {
    const s = n.loc.schema;
    if (s === true) return VALID_EMPTY;
    if (s === false || !isObject(s)) {
      sink?.push({
        path,
        message: 'boolean schema is false',
        rule: 'false schema',
        severity: 'error',
      });
      return INVALID;
    }
    if (depth > MAX_EVALUATION_DEPTH) {
      sink?.push({
        path,
        message: `nests deeper than ${MAX_EVALUATION_DEPTH} evaluations`,
        rule: 'limit',
        severity: 'error',
      });
      return INVALID;
    }
    scope.push(n.loc);
    try {
      if (LEGACY.has(n.draft) && typeof s.$ref === 'string') {
        const t = this.#refOf(n);
        if (t === null) {
          sink?.push({
            path,
            message: `cannot resolve ${s.$ref}`,
            rule: '$ref',
            severity: 'error',
          });
          return INVALID;
        }
        return this.#eval(t, v, path, scope, sink, depth + 1);
      }
      const f = new Frame(path, scope, sink, depth, this.#track);
      this.#keywords(n, s, v, f);
      return f.valid ? f : INVALID;
    } finally {
      scope.pop();
    }
  }

  /** Evaluates a subschema of the frame's schema against `value` (at instance path `at`). */
  #sub(f: Frame, c: Node, value: unknown, at: string, into: Sink = f.sink): Outcome {
    return this.#eval(c, value, at, f.scope, into, f.depth + 1);
  }

  /** The instance path of a child value (only built when issues are collected). */
  static #at(f: Frame, key: string | number): string {
    return f.sink === null ? '' : ptr(f.path, key);
  }

  /** Applies every keyword of `s`; the outcome is in `f`. Returns early in test mode. */
  #keywords(n: Node, s: Record<string, unknown>, v: unknown, f: Frame): void {
    const draft = n.draft;
    const sink = f.sink;

    // References (2019-09 and later: applicators next to the other keywords).
    if (typeof s.$ref === 'string') {
      const t = this.#refOf(n);
      if (t === null) {
        if (f.fail('$ref', `cannot resolve ${s.$ref}`)) return;
      } else {
        const o = this.#sub(f, t, v, f.path);
        if (o.valid) f.merge(o);
        else if (f.fail('$ref', null)) return;
      }
    }
    const dynamic =
      draft === '2020-12' ? s.$dynamicRef : draft === '2019-09' ? s.$recursiveRef : undefined;
    if (typeof dynamic === 'string') {
      const target = this.#model.resolveDynamic(n.loc, dynamic, f.scope);
      const rule = draft === '2020-12' ? '$dynamicRef' : '$recursiveRef';
      if (target === undefined) {
        if (f.fail(rule, `cannot resolve ${dynamic}`)) return;
      } else {
        const o = this.#sub(f, this.#node(target), v, f.path);
        if (o.valid) f.merge(o);
        else if (f.fail(rule, null)) return;
      }
    }

    // Any instance.
    if (this.#on(s, 'type')) {
      const t = s.type;
      const ok = Array.isArray(t)
        ? t.some((x) => hasType(v, x as string))
        : hasType(v, t as string);
      if (!ok && f.fail('type', `must be ${Array.isArray(t) ? t.join(',') : String(t)}`)) return;
    }
    if (this.#on(s, 'enum') && Array.isArray(s.enum)) {
      if (
        !s.enum.some((e) => jsonEqual(e, v)) &&
        f.fail('enum', 'must be equal to one of the allowed values')
      )
        return;
    }
    if (draft !== 'draft-04' && this.#on(s, 'const') && !jsonEqual(s.const, v)) {
      if (f.fail('const', 'must be equal to constant')) return;
    }

    const groups = n.groups;
    if (typeof v === 'number') {
      if ((groups & GROUP_NUMBER) !== 0 && this.#numeric(s, v, draft, f)) return;
    } else if (typeof v === 'string' && (groups & GROUP_STRING) !== 0) {
      if (this.#on(s, 'maxLength') && codePoints(v) > (s.maxLength as number)) {
        if (f.fail('maxLength', `must NOT have more than ${s.maxLength as number} characters`))
          return;
      }
      if (this.#on(s, 'minLength') && codePoints(v) < (s.minLength as number)) {
        if (f.fail('minLength', `must NOT have fewer than ${s.minLength as number} characters`))
          return;
      }
      if (this.#on(s, 'pattern') && !this.#pattern(s.pattern as string).test(v)) {
        if (f.fail('pattern', `must match pattern "${s.pattern as string}"`)) return;
      }
    }
    if (this.#on(s, 'format') && typeof s.format === 'string' && !this.#format(s.format, v)) {
      if (f.fail('format', `must match format "${s.format}"`)) return;
    }

    // In-place applicators.
    for (const kw of APPLICATORS) {
      if ((groups & GROUP_IN_PLACE) === 0) break;
      if (!this.#on(s, kw) || !Array.isArray(s[kw])) continue;
      const branches = s[kw] as unknown[];
      const local: Sink = sink === null ? null : [];
      let passed = 0;
      for (let i = 0; i < branches.length; i++) {
        const o = this.#sub(f, this.#child2(n, kw, i), v, f.path, local);
        if (o.valid) {
          passed++;
          f.merge(o);
        } else if (kw === 'allOf' && sink === null) {
          f.valid = false;
          return;
        }
        if (kw === 'anyOf' && o.valid && !this.#track && sink === null) break;
      }
      const ok =
        kw === 'allOf' ? passed === branches.length : kw === 'anyOf' ? passed > 0 : passed === 1;
      if (!ok) {
        if (local !== null) sink?.push(...local);
        const message =
          kw === 'allOf'
            ? null
            : kw === 'anyOf'
              ? 'must match a schema in anyOf'
              : 'must match exactly one schema in oneOf';
        if (f.fail(kw, message)) return;
      }
    }
    if ((groups & GROUP_IN_PLACE) !== 0 && this.#on(s, 'not')) {
      const o = this.#sub(f, this.#child1(n, 'not'), v, f.path, null);
      if (o.valid && f.fail('not', 'must NOT be valid')) return;
    }
    if (
      (groups & GROUP_IN_PLACE) !== 0 &&
      draft !== 'draft-04' &&
      draft !== 'draft-06' &&
      this.#on(s, 'if')
    ) {
      const cond = this.#sub(f, this.#child1(n, 'if'), v, f.path, null);
      if (cond.valid) f.merge(cond);
      const branch = cond.valid ? 'then' : 'else';
      if (this.#on(s, branch)) {
        const local: Sink = sink === null ? null : [];
        const o = this.#sub(f, this.#child1(n, branch), v, f.path, local);
        if (o.valid) f.merge(o);
        else {
          if (local !== null) sink?.push(...local);
          if (f.fail('if', `must match "${branch}" schema`)) return;
        }
      }
    }

    if (Array.isArray(v)) {
      if ((groups & GROUP_ARRAY) !== 0 && this.#array(n, s, v, f)) return;
    } else if (isObject(v)) {
      if ((groups & GROUP_OBJECT) !== 0 && this.#object(n, s, v, f)) return;
    }

    // unevaluated*: after every other keyword of this schema object.
    if (f.track && Array.isArray(v) && this.#on(s, 'unevaluatedItems')) {
      const c = this.#child1(n, 'unevaluatedItems');
      const closed = c.loc.schema === false;
      for (let i = 0; i < v.length; i++) {
        if (f.items?.has(i) === true) continue;
        const o = closed ? INVALID : this.#sub(f, c, v[i], SchemaInterpreter.#at(f, i));
        if (!o.valid) {
          const message = closed ? 'must NOT have unevaluated items' : null;
          if (f.fail('unevaluatedItems', message, SchemaInterpreter.#at(f, i))) return;
        } else f.item(i);
      }
    }
    if (f.track && isObject(v) && this.#on(s, 'unevaluatedProperties')) {
      const c = this.#child1(n, 'unevaluatedProperties');
      const closed = c.loc.schema === false;
      for (const k in v) {
        if (!Object.hasOwn(v, k) || f.props?.has(k) === true) continue;
        const o = closed ? INVALID : this.#sub(f, c, v[k], SchemaInterpreter.#at(f, k));
        if (!o.valid) {
          const message = closed ? 'must NOT have unevaluated properties' : null;
          if (f.fail('unevaluatedProperties', message, SchemaInterpreter.#at(f, k))) return;
        } else f.prop(k);
      }
    }
  }

  /** Numeric keywords; true when evaluation can stop (test mode, failed). */
  #numeric(s: Record<string, unknown>, v: number, draft: JsonSchemaDraft, f: Frame): boolean {
    if (this.#on(s, 'multipleOf') && typeof s.multipleOf === 'number') {
      if (
        !isMultiple(v, s.multipleOf) &&
        f.fail('multipleOf', `must be multiple of ${s.multipleOf}`)
      )
        return true;
    }
    const max = this.#on(s, 'maximum') ? (s.maximum as number) : undefined;
    const min = this.#on(s, 'minimum') ? (s.minimum as number) : undefined;
    const exMax = this.#on(s, 'exclusiveMaximum') ? s.exclusiveMaximum : undefined;
    const exMin = this.#on(s, 'exclusiveMinimum') ? s.exclusiveMinimum : undefined;
    if (typeof max === 'number') {
      const strict = draft === 'draft-04' && exMax === true;
      if (
        (strict ? v >= max : v > max) &&
        f.fail(strict ? 'exclusiveMaximum' : 'maximum', `must be ${strict ? '<' : '<='} ${max}`)
      )
        return true;
    }
    if (typeof min === 'number') {
      const strict = draft === 'draft-04' && exMin === true;
      if (
        (strict ? v <= min : v < min) &&
        f.fail(strict ? 'exclusiveMinimum' : 'minimum', `must be ${strict ? '>' : '>='} ${min}`)
      )
        return true;
    }
    if (typeof exMax === 'number' && v >= exMax && f.fail('exclusiveMaximum', `must be < ${exMax}`))
      return true;
    if (typeof exMin === 'number' && v <= exMin && f.fail('exclusiveMinimum', `must be > ${exMin}`))
      return true;
    return false;
  }

  /** Array keywords; true when evaluation can stop. */
  #array(n: Node, s: Record<string, unknown>, v: unknown[], f: Frame): boolean {
    const draft = n.draft;
    if (this.#on(s, 'maxItems') && v.length > (s.maxItems as number)) {
      if (f.fail('maxItems', `must NOT have more than ${s.maxItems as number} items`)) return true;
    }
    if (this.#on(s, 'minItems') && v.length < (s.minItems as number)) {
      if (f.fail('minItems', `must NOT have fewer than ${s.minItems as number} items`)) return true;
    }
    if (this.#on(s, 'uniqueItems') && s.uniqueItems === true) {
      outer: for (let i = 1; i < v.length; i++) {
        for (let j = 0; j < i; j++) {
          if (jsonEqual(v[i], v[j])) {
            if (
              f.fail(
                'uniqueItems',
                `must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
              )
            )
              return true;
            break outer;
          }
        }
      }
    }
    let start = 0;
    const tuple = draft === '2020-12' ? 'prefixItems' : 'items';
    if (this.#on(s, tuple) && Array.isArray(s[tuple])) {
      const list = s[tuple] as unknown[];
      for (let i = 0; i < Math.min(list.length, v.length); i++) {
        const o = this.#sub(f, this.#child2(n, tuple, i), v[i], SchemaInterpreter.#at(f, i));
        if (!o.valid) {
          if (f.fail(tuple, null)) return true;
        } else f.item(i);
      }
      start = list.length;
      if (draft !== '2020-12' && this.#on(s, 'additionalItems') && start < v.length) {
        if (this.#each(f, this.#child1(n, 'additionalItems'), v, start, 'additionalItems'))
          return true;
      }
    }
    if (this.#on(s, 'items') && !Array.isArray(s.items)) {
      if (this.#each(f, this.#child1(n, 'items'), v, draft === '2020-12' ? start : 0, 'items'))
        return true;
    }
    if (draft !== 'draft-04' && this.#on(s, 'contains')) {
      const c = this.#child1(n, 'contains');
      let matched = 0;
      const hits: number[] = [];
      for (let i = 0; i < v.length; i++) {
        if (this.#sub(f, c, v[i], '', null).valid) {
          matched++;
          hits.push(i);
        }
      }
      const modern = draft === '2019-09' || draft === '2020-12';
      const minC =
        modern && this.#on(s, 'minContains') && typeof s.minContains === 'number'
          ? s.minContains
          : 1;
      const maxC =
        modern && this.#on(s, 'maxContains') && typeof s.maxContains === 'number'
          ? s.maxContains
          : Infinity;
      if (matched < minC) {
        if (
          f.fail(
            minC === 1 ? 'contains' : 'minContains',
            `must contain at least ${minC} valid item(s)`,
          )
        )
          return true;
      } else if (matched > maxC) {
        if (f.fail('maxContains', `must contain at most ${maxC} valid item(s)`)) return true;
      } else if (draft === '2020-12') for (const i of hits) f.item(i);
    }
    return false;
  }

  #each(f: Frame, c: Node, v: unknown[], from: number, rule: string): boolean {
    for (let i = from; i < v.length; i++) {
      const o = this.#sub(f, c, v[i], SchemaInterpreter.#at(f, i));
      if (!o.valid) {
        if (f.fail(rule, null)) return true;
      } else f.item(i);
    }
    return false;
  }

  /** Object keywords; true when evaluation can stop. */
  #object(n: Node, s: Record<string, unknown>, v: Record<string, unknown>, f: Frame): boolean {
    const draft = n.draft;
    const keys = Object.keys(v);
    if (this.#on(s, 'maxProperties') && keys.length > (s.maxProperties as number)) {
      if (
        f.fail('maxProperties', `must NOT have more than ${s.maxProperties as number} properties`)
      )
        return true;
    }
    if (this.#on(s, 'minProperties') && keys.length < (s.minProperties as number)) {
      if (
        f.fail('minProperties', `must NOT have fewer than ${s.minProperties as number} properties`)
      )
        return true;
    }
    if (this.#on(s, 'required') && Array.isArray(s.required)) {
      for (const r of s.required as string[]) {
        if (
          !Object.hasOwn(v, r) &&
          f.fail('required', `must have required property '${r}'`, SchemaInterpreter.#at(f, r))
        )
          return true;
      }
    }
    const modern = !LEGACY.has(draft);
    if (modern && this.#on(s, 'dependentRequired') && isObject(s.dependentRequired)) {
      if (this.#dependentRequired(v, s.dependentRequired, 'dependentRequired', f)) return true;
    }
    if (!modern && this.#on(s, 'dependencies') && isObject(s.dependencies)) {
      if (this.#dependentRequired(v, s.dependencies, 'dependencies', f)) return true;
      if (this.#dependentSchemas(n, v, s.dependencies, 'dependencies', f)) return true;
    }
    if (modern && this.#on(s, 'dependentSchemas') && isObject(s.dependentSchemas)) {
      if (this.#dependentSchemas(n, v, s.dependentSchemas, 'dependentSchemas', f)) return true;
    }
    if (draft !== 'draft-04' && this.#on(s, 'propertyNames')) {
      const c = this.#child1(n, 'propertyNames');
      for (const k of keys) {
        if (
          !this.#sub(f, c, k, f.path, null).valid &&
          f.fail('propertyNames', `property name '${k}' is invalid`)
        )
          return true;
      }
    }
    const properties =
      this.#on(s, 'properties') && isObject(s.properties) ? s.properties : undefined;
    if (properties !== undefined) {
      for (const k in properties) {
        if (!Object.hasOwn(properties, k) || !Object.hasOwn(v, k)) continue;
        const o = this.#sub(f, this.#child2(n, 'properties', k), v[k], SchemaInterpreter.#at(f, k));
        if (!o.valid) {
          if (f.fail('properties', null)) return true;
        } else f.prop(k);
      }
    }
    const patterns =
      this.#on(s, 'patternProperties') && isObject(s.patternProperties)
        ? Object.keys(s.patternProperties)
        : undefined;
    if (patterns !== undefined) {
      for (const p of patterns) {
        const re = this.#pattern(p);
        for (const k of keys) {
          if (!re.test(k)) continue;
          const o = this.#sub(
            f,
            this.#child2(n, 'patternProperties', p),
            v[k],
            SchemaInterpreter.#at(f, k),
          );
          if (!o.valid) {
            if (f.fail('patternProperties', null)) return true;
          } else f.prop(k);
        }
      }
    }
    if (this.#on(s, 'additionalProperties')) {
      const c = this.#child1(n, 'additionalProperties');
      const closed = c.loc.schema === false;
      for (const k of keys) {
        if (properties !== undefined && Object.hasOwn(properties, k)) continue;
        if (patterns !== undefined && patterns.some((p) => this.#pattern(p).test(k))) continue;
        const o = closed ? INVALID : this.#sub(f, c, v[k], SchemaInterpreter.#at(f, k));
        if (!o.valid) {
          const message = closed ? 'must NOT have additional properties' : null;
          if (f.fail('additionalProperties', message, SchemaInterpreter.#at(f, k))) return true;
        } else f.prop(k);
      }
    }
    return false;
  }

  #dependentRequired(
    v: Record<string, unknown>,
    deps: Record<string, unknown>,
    rule: string,
    f: Frame,
  ): boolean {
    for (const [k, list] of Object.entries(deps)) {
      if (!Object.hasOwn(v, k) || !Array.isArray(list)) continue;
      for (const d of list as string[]) {
        if (
          !Object.hasOwn(v, d) &&
          f.fail(rule, `must have property ${d} when property ${k} is present`)
        )
          return true;
      }
    }
    return false;
  }

  #dependentSchemas(
    n: Node,
    v: Record<string, unknown>,
    deps: Record<string, unknown>,
    kw: string,
    f: Frame,
  ): boolean {
    for (const [k, d] of Object.entries(deps)) {
      if (!Object.hasOwn(v, k) || Array.isArray(d)) continue;
      const o = this.#sub(f, this.#child2(n, kw, k), v, f.path);
      if (o.valid) f.merge(o);
      else if (f.fail(kw, `must match the schema of ${kw}/${k}`)) return true;
    }
    return false;
  }

  #format(name: string, v: unknown): boolean {
    const f = this.#formats[name];
    if (f === undefined || f === true) return true;
    let def: FormatDefinition<string | number> | undefined;
    let check: RegExp | ((x: never) => boolean);
    if (f instanceof RegExp || typeof f === 'function') check = f as RegExp;
    else if (typeof f === 'string') check = new RegExp(f, 'u');
    else {
      def = f as FormatDefinition<string | number>;
      if ((def as { async?: boolean }).async === true) return true;
      check = def.validate as RegExp | ((x: never) => boolean);
    }
    const type = def?.type ?? 'string';
    if (typeof v !== type) return true;
    return check instanceof RegExp ? check.test(v as string) : check(v as never);
  }
}

const formatCache = new Map<JsonSchemaDraft, Record<string, Format | undefined>>();

/** The same format checks the ajv path runs (ajv-formats, plus Plinth's `regex`). */
function formatsFor(draft: JsonSchemaDraft): Record<string, Format | undefined> {
  let f = formatCache.get(draft);
  if (f === undefined) {
    f = createAjv(draft, false).formats as Record<string, Format | undefined>;
    formatCache.set(draft, f);
  }
  return f;
}

const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Keywords that validate or apply subschemas (drafts 04-07 ignore them next to `$ref`). */
const ASSERTING = new Set([
  ...(VOCABULARY_KEYWORDS.applicator as string[]),
  ...(VOCABULARY_KEYWORDS.validation as string[]),
  'format',
  'dependencies',
]);

/**
 * Why a schema must run on the interpreter rather than on ajv (undefined: ajv is right for it).
 * Chosen from the keywords the schema and the references it reaches use: the features ajv's
 * generated code gets wrong.
 */
export function interpreterReason(
  model: ReferenceModel,
  reachable: ReadonlySet<string>,
  rootMetaSchema: unknown,
): string | undefined {
  if (isObject(rootMetaSchema) && isObject(rootMetaSchema.$vocabulary)) return '$vocabulary';
  for (const loc of model.locations()) {
    const doc = model.origin(loc).document;
    if (doc !== '' && !reachable.has(doc)) continue;
    const s = loc.schema;
    if (!isObject(s)) continue;
    const draft = model.draftAt(loc);
    if ('unevaluatedProperties' in s || 'unevaluatedItems' in s) return 'unevaluated';
    if (draft === '2020-12' && ('$dynamicRef' in s || '$dynamicAnchor' in s)) return '$dynamicRef';
    if (draft === '2019-09' && '$recursiveRef' in s) return '$recursiveRef';
    // Drafts 04-07 ignore everything next to `$ref`; ajv applies the siblings that validate and
    // lets a sibling `$id` move the base URI. Annotations, `definitions` and unknown keywords
    // beside `$ref` change nothing.
    if (LEGACY.has(draft) && '$ref' in s) {
      for (const k in s)
        if (ASSERTING.has(k) || k === '$id' || (k === 'id' && draft === 'draft-04'))
          return '$ref siblings';
    }
    if (Array.isArray(s.enum) && s.enum.length === 0) return 'empty enum';
    // ajv's tuple code lets an empty array through `contains` (found by the differential test).
    if ('contains' in s && (Array.isArray(s.prefixItems) || Array.isArray(s.items)))
      return 'contains with tuple items';
    for (const kw of ['properties', 'dependentRequired', 'dependentSchemas', 'dependencies']) {
      const o = s[kw];
      if (isObject(o) && Object.keys(o).some((k) => PROTOTYPE_NAMES.has(k)))
        return 'prototype names';
    }
    if (Array.isArray(s.required) && s.required.some((k) => PROTOTYPE_NAMES.has(k as string)))
      return 'prototype names';
  }
  return undefined;
}

/** The meta-schema a schema names in `$schema`, when it is a custom one among the references. */
export function customMetaSchema(model: ReferenceModel): unknown {
  const s = model.root.schema;
  if (!isObject(s) || typeof s.$schema !== 'string') return undefined;
  const target = model.resolve(model.root, s.$schema);
  if (target === undefined || META_SCHEMAS.has(target.resourceUri)) return undefined;
  return target.schema;
}
