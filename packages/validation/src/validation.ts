import {
  canonicalJson,
  describeValue,
  Lifecycle,
  seededRandom,
  sha256Hex,
  TypedEmitter,
} from '@plinth/core';
import type { z } from 'zod';
import { LruCache } from './cache.js';
import { diffParsed, runCompatibility } from './compat/check.js';
import { bumpOf, makeIgnore } from './compat/bump.js';
import { empiricalCheck, type EmpiricalOptions, type EmpiricalResult } from './compat/empirical.js';
import { validationErrors } from './errors.js';
import type { ValidationEvents } from './events.js';
import type { CompareContext, FormatContext, FormatPlugin } from './format-plugin.js';
import { avroFormat } from './formats/avro/plugin.js';
import { jsonSchemaFormat } from './formats/json-schema/plugin.js';
import { protobufFormat } from './formats/protobuf/plugin.js';
import { zodFormat, zodToJsonSchema } from './formats/zod/plugin.js';
import { contentKey } from './internal/content-key.js';
import { isObject } from './internal/json.js';
import {
  JSON_SCHEMA_POLICIES,
  LEVELS,
  PROTOBUF_STRICTNESS,
  resolveValidationOptions,
  type ResolvedValidationOptions,
} from './options.js';
import { defaultMeter, Telemetry } from './telemetry.js';
import type {
  CompatibilityOptions,
  CompatibilityResult,
  DiffResult,
  SchemaSource,
  ValidationOptions,
} from './types.js';
import { CompiledValidator } from './validator.js';
import { QualitySuite, type QualitySuiteOptions } from './quality/suite.js';
import { type BusinessRule, RuleSet } from './rules/rule-set.js';

/**
 * Checks the options of a comparison at the boundary: an object whose `ignore` is an array of
 * rule ids (strings), so nothing below walks a hostile value.
 */
function checkCompareOptions(options: unknown, method: string): void {
  if (!isObject(options)) {
    throw validationErrors.create('E_INVALID_ARGUMENT', `${method}(): options must be an object`);
  }
  const { ignore } = options;
  if (
    ignore !== undefined &&
    (!Array.isArray(ignore) || !ignore.every((x) => typeof x === 'string'))
  ) {
    throw validationErrors.create(
      'E_INVALID_ARGUMENT',
      `${method}(): options.ignore must be an array of rule ids ("rule" or "rule@path")`,
    );
  }
  for (const [name, allowed] of CALL_CHOICES) {
    const v = options[name];
    if (v !== undefined && !(allowed as readonly unknown[]).includes(v)) {
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        `${method}(): options.${name} must be one of ${allowed.join(', ')}`,
        { details: { option: name } },
      );
    }
  }
}

/** Per-call comparison options with a closed set of values (the instance options' own sets). */
const CALL_CHOICES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['protobufStrictness', PROTOBUF_STRICTNESS],
  ['jsonSchemaPolicy', JSON_SCHEMA_POLICIES],
];

interface Parsed {
  readonly plugin: FormatPlugin;
  readonly parsed: unknown;
  readonly canonical: string;
  readonly fingerprint: string;
  /** Key of the compiled-validator cache (see `compileKey`). */
  readonly compileKey: string;
}

/** Identity numbers of live schema objects (zod), for cache keys of what is not JSON. */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;
function identityOf(o: object): number {
  let id = identities.get(o);
  if (id === undefined) identities.set(o, (id = ++nextIdentity));
  return id;
}

/**
 * The compiled-validator cache key: the format and a digest of the FULL schema, as canonical
 * JSON of the schema and its references (key order and formatting aside, every attribute counts).
 * A canonical form or fingerprint is not enough: Avro's Parsing Canonical Form drops
 * `logicalType`, precision and scale, which validators enforce. Live objects (zod schemas) are
 * keyed by identity. Options need no place in the key: the cache belongs to one instance and
 * compiling takes no per-call options.
 */
function compileKey(format: string, source: SchemaSource, parsed: object): string {
  const refs = source.references ?? [];
  const plain = (x: unknown): boolean =>
    typeof x === 'string' ||
    (typeof x === 'object' &&
      x !== null &&
      (Array.isArray(x) || Object.getPrototypeOf(x) === Object.prototype));
  let text: string | undefined;
  if (plain(source.schema) && refs.every((r) => plain(r.schema))) {
    try {
      text = canonicalJson({ schema: source.schema, references: refs });
    } catch {
      text = undefined; // not JSON (a cycle, NaN, a BigInt...): identity below
    }
  }
  if (text !== undefined) return `${format}\u0000${sha256Hex(text)}`;
  const schema = source.schema;
  const id =
    typeof schema === 'object' && schema !== null && refs.length === 0
      ? identityOf(schema)
      : `p${identityOf(parsed)}`;
  return `${format}\u0000#${id}`;
}

/** A zod source: `compile()` infers the validator's type from the schema. */
export interface ZodSource<S extends z.ZodType> extends SchemaSource {
  readonly format: 'zod';
  readonly schema: S;
}

/** Statistics of the compiled-validator cache. */
export interface CacheStats {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/**
 * One API over JSON Schema, Avro, Protobuf, zod and plug-in formats: compiled validators cached
 * by the full schema, compatibility checks with a typed diff, canonical forms and
 * fingerprints, and the empirical check.
 */
export class Validation extends TypedEmitter<ValidationEvents> {
  readonly #options: ResolvedValidationOptions;
  readonly #plugins = new Map<string, FormatPlugin>();
  readonly #cache: LruCache<string, CompiledValidator>;
  readonly #parsed = new WeakMap<object, Parsed>();
  /** Parsed schemas by content, so a history read back from storage is not parsed again. */
  readonly #byContent: LruCache<string, Parsed>;
  readonly #telemetry = new Telemetry();
  readonly #life = new Lifecycle('@plinth/validation', 'Validation', () => this.#shutdown());
  readonly #formatContext: FormatContext;

  constructor(options?: ValidationOptions) {
    super();
    this.#options = resolveValidationOptions(options);
    const meter = this.#options.meter;
    this.#cache = new LruCache(this.#options.cacheSize);
    this.#byContent = new LruCache(Math.max(1, this.#options.parseCacheSize));
    this.#formatContext = { limits: this.#options.limits };
    for (const p of [jsonSchemaFormat, avroFormat, protobufFormat, zodFormat] as FormatPlugin[])
      this.#plugins.set(p.format, p);
    for (const p of this.#options.formats) this.#plugins.set(p.format, p);
    const cache = () => this.#cache;
    if (meter !== undefined) this.#telemetry.use(meter, cache);
    else void defaultMeter().then((m) => this.#telemetry.use(m, cache));
  }

  /** Adds (or replaces) a format plug-in. */
  registerFormat(plugin: FormatPlugin): this {
    if (
      !isObject(plugin) ||
      typeof plugin.format !== 'string' ||
      typeof plugin.parse !== 'function' ||
      typeof plugin.compile !== 'function' ||
      typeof plugin.canonicalForm !== 'function'
    ) {
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'registerFormat() needs a plug-in with format, parse(), canonicalForm() and compile()',
      );
    }
    this.#plugins.set(plugin.format, plugin);
    return this;
  }

  /** The registered format names. */
  formats(): string[] {
    return [...this.#plugins.keys()];
  }

  /** Compiles (or finds in the LRU cache) a validator for a schema. */
  compile<S extends z.ZodType>(source: ZodSource<S>): CompiledValidator<z.output<S>>;
  compile<T = unknown>(source: SchemaSource): CompiledValidator<T>;
  compile<T = unknown>(source: SchemaSource): CompiledValidator<T> {
    this.#life.assertOpen('compile');
    const start = performance.now();
    const p = this.#parse(source);
    const key = p.compileKey;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      const ms = performance.now() - start;
      this.#telemetry.compiled(p.plugin.format, ms, true);
      this.emit('schema:compiled', {
        format: p.plugin.format,
        fingerprint: p.fingerprint,
        cached: true,
        durationMs: ms,
      });
      return hit as CompiledValidator<T>;
    }
    const counts = this.#telemetry.countsFor(p.plugin.format);
    const validator = new CompiledValidator<T>({
      format: p.plugin.format,
      fingerprint: p.fingerprint,
      check: p.plugin.compile(p.parsed, this.#formatContext),
      counts,
      limits: this.#options.limits,
      plugin: p.plugin,
      parsed: p.parsed,
      onFailure: (v, outcome) => {
        counts.failures++;
        this.#telemetry.failure(v.format);
        if (this.#options.emitFailures)
          this.emit('validation:failed', {
            format: v.format,
            fingerprint: v.fingerprint,
            issues: outcome.issues,
          });
      },
    });
    this.#cache.set(key, validator as CompiledValidator);
    const ms = performance.now() - start;
    this.#telemetry.compiled(p.plugin.format, ms, false);
    this.emit('schema:compiled', {
      format: p.plugin.format,
      fingerprint: p.fingerprint,
      cached: false,
      durationMs: ms,
    });
    return validator;
  }

  /**
   * Checks `candidate` against `previous` (oldest first) at a level. The result lists every
   * violation with the index of the version it breaks, the diff against the latest version and
   * the suggested semver bump.
   */
  checkCompatibility(
    candidate: SchemaSource,
    previous: readonly SchemaSource[],
    options: CompatibilityOptions = {},
  ): CompatibilityResult {
    this.#life.assertOpen('checkCompatibility');
    const start = performance.now();
    if (!Array.isArray(previous))
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'checkCompatibility(): previous must be an array (oldest first)',
      );
    checkCompareOptions(options, 'checkCompatibility');
    const level = options.level ?? this.#options.defaultLevel;
    if (!LEVELS.includes(level)) {
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        `unknown compatibility level ${describeValue(level)} (one of ${LEVELS.join(', ')})`,
        { details: { level: describeValue(level) } },
      );
    }
    const cand = this.#parse(candidate);
    const prev = previous.map((s, i) => this.#parseSame(cand, s, `previous[${i}]`));
    const result = runCompatibility({
      plugin: cand.plugin,
      candidate: cand.parsed,
      previous: prev.map((p) => p.parsed),
      level,
      ignore: options.ignore,
      ctx: this.#compareContext(options),
    });
    const ms = performance.now() - start;
    this.#telemetry.compatibility(cand.plugin.format, ms, result.compatible);
    this.emit('compatibility:checked', {
      format: cand.plugin.format,
      level,
      compatible: result.compatible,
      violations: result.violations.length,
      durationMs: ms,
    });
    return result;
  }

  /** The typed diff between two versions and the semver bump it suggests. */
  diff(
    previous: SchemaSource,
    next: SchemaSource,
    options: Pick<CompatibilityOptions, 'ignore' | 'protobufStrictness' | 'jsonSchemaPolicy'> = {},
  ): DiffResult {
    this.#life.assertOpen('diff');
    checkCompareOptions(options, 'diff');
    const n = this.#parse(next);
    const p = this.#parseSame(n, previous, 'previous');
    const ignored = makeIgnore(options.ignore);
    const changes = diffParsed(n.plugin, p.parsed, n.parsed, this.#compareContext(options))
      .filter((c) => !ignored(c))
      .map((c) => ({ rule: c.rule, path: c.path, severity: c.severity, message: c.message }));
    return { changes, bump: bumpOf(changes) };
  }

  /** The format's canonical form (Avro: Parsing Canonical Form; JSON: canonical JSON). */
  canonicalForm(source: SchemaSource): string {
    return this.#parse(source).canonical;
  }

  /** `sha256:<hex>` of the canonical form. */
  fingerprint(source: SchemaSource): string {
    return this.#parse(source).fingerprint;
  }

  /**
   * Generates sample data from `previous` and reads it under `next` (backward), or the reverse
   * (forward), returning concrete counterexamples.
   */
  empiricalCheck(
    previous: SchemaSource,
    next: SchemaSource,
    options: EmpiricalOptions = {},
  ): EmpiricalResult {
    this.#life.assertOpen('empiricalCheck');
    const n = this.#parse(next);
    const p = this.#parseSame(n, previous, 'previous');
    return empiricalCheck(n.plugin, p.parsed, n.parsed, options);
  }

  /** Sample values conforming to a schema (what the empirical check writes), from a seeded generator. */
  sample(source: SchemaSource, count = 10, seed = 1): unknown[] {
    const p = this.#parse(source);
    if (p.plugin.empirical === undefined) {
      throw validationErrors.create(
        'E_UNSUPPORTED',
        `format "${p.plugin.format}" cannot generate sample data`,
      );
    }
    return p.plugin.empirical.sample(p.parsed, count, seededRandom(seed));
  }

  /** A data-quality suite on this instance's clock; its reports are emitted as `quality:report`. */
  qualitySuite(options: Omit<QualitySuiteOptions, 'clock' | 'events' | 'onReport'>): QualitySuite {
    return new QualitySuite({
      ...options,
      clock: this.#options.clock,
      events: this,
      onReport: (r) => this.#telemetry.quality(r.suite, r.durationMs, r.status),
    });
  }

  /** Business rules on this instance's clock and logger; failures are emitted as `rule:failed`. */
  ruleSet<R = Record<string, unknown>>(rules: readonly BusinessRule<R>[]): RuleSet<R> {
    return new RuleSet<R>(rules, {
      clock: this.#options.clock,
      logger: this.#options.logger,
      events: this,
    });
  }

  /** JSON Schema (2020-12) for a zod schema, so it can be registered as `json-schema`. */
  toJsonSchema(source: SchemaSource): unknown {
    if (!isObject(source) || source.format !== 'zod')
      throw validationErrors.create('E_UNSUPPORTED', 'toJsonSchema() converts zod schemas only');
    return zodToJsonSchema(this.#parse(source).parsed);
  }

  cacheStats(): CacheStats {
    const c = this.#cache;
    return { size: c.size, hits: c.hits, misses: c.misses, evictions: c.evictions };
  }

  /** Validations and failures counted per format since construction. */
  counts(): Record<string, { validations: number; failures: number }> {
    return Object.fromEntries([...this.#telemetry.counts].map(([k, v]) => [k, { ...v }]));
  }

  get clock(): ResolvedValidationOptions['clock'] {
    return this.#options.clock;
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#life.close();
  }

  #shutdown(): void {
    this.#cache.clear();
    this.removeAllListeners();
  }

  #compareContext(
    o: Pick<CompatibilityOptions, 'protobufStrictness' | 'jsonSchemaPolicy'>,
  ): CompareContext {
    return {
      protobufStrictness: o.protobufStrictness ?? this.#options.protobufStrictness,
      jsonSchemaPolicy: o.jsonSchemaPolicy ?? this.#options.jsonSchemaPolicy,
    };
  }

  #parseSame(like: Parsed, source: SchemaSource, what: string): Parsed {
    const p = this.#parse(source);
    if (p.plugin !== like.plugin) {
      throw validationErrors.create(
        'E_FORMAT_MISMATCH',
        `${what} is ${p.plugin.format} but the candidate is ${like.plugin.format}`,
        {
          details: { expected: like.plugin.format, got: p.plugin.format },
        },
      );
    }
    return p;
  }

  #parse(source: SchemaSource): Parsed {
    if (!isObject(source))
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'a schema source must be an object { format, schema, references? }',
      );
    const cached = this.#parsed.get(source);
    if (cached !== undefined) return cached;
    if (typeof source.format !== 'string')
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'a schema source needs a string "format"',
      );
    if (source.schema === undefined)
      throw validationErrors.create('E_INVALID_ARGUMENT', 'a schema source needs a "schema"');
    const refs = source.references;
    if (
      refs !== undefined &&
      (!Array.isArray(refs) ||
        !refs.every((r) => isObject(r) && typeof r.name === 'string' && r.schema !== undefined))
    ) {
      throw validationErrors.create(
        'E_INVALID_ARGUMENT',
        'references must be an array of { name, schema, format? }',
      );
    }
    const plugin = this.#plugins.get(source.format);
    if (plugin === undefined) {
      throw validationErrors.create(
        'E_UNKNOWN_FORMAT',
        `no format plug-in named "${source.format}" (registered: ${this.formats().join(', ')})`,
        {
          details: { format: source.format },
        },
      );
    }
    const key = this.#options.parseCacheSize > 0 ? contentKey(source) : undefined;
    if (key !== undefined) {
      const hit = this.#byContent.get(key);
      if (hit !== undefined && hit.plugin === plugin) {
        this.#parsed.set(source, hit);
        return hit;
      }
    }
    const parsed = plugin.parse(source, this.#formatContext);
    // Canonical form and fingerprint are computed on first use: compatibility checks need neither.
    let canonical: string | undefined;
    let fp: string | undefined;
    let ck: string | undefined;
    const out: Parsed = {
      plugin,
      parsed,
      get canonical() {
        return (canonical ??= plugin.canonicalForm(parsed));
      },
      get fingerprint() {
        return (fp ??= `sha256:${sha256Hex(this.canonical)}`);
      },
      get compileKey() {
        return (ck ??= compileKey(plugin.format, source, out));
      },
    };
    this.#parsed.set(source, out);
    if (key !== undefined) this.#byContent.set(key, out);
    return out;
  }
}
