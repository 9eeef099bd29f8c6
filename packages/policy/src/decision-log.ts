/**
 * The decision log: one record per authorization decision, written to a sink (a function or a
 * core `Logger`), sampled or limited to denials, with attributes masked by path. It listens to
 * `policy:decided` on the authorizer's emitter. Masking happens while the record is built, on
 * a copy: a masked value is never in the record, so it never reaches the sink, and the record
 * never shares an object with the caller's request.
 */
import {
  check,
  noopLogger,
  resolveOptions,
  type LogLevel,
  type Logger,
  type TypedEmitter,
} from '@plinth/core';
import type { EntityStore } from './entities.js';
import type { PolicyEvents } from './events.js';
import type { CedarJsonValue, Decision, NearMiss, PolicyEvaluationError } from './types.js';
import { valueToJson } from './internal/json-values.js';

/** Cedar JSON attributes (a record), as written to the log. */
export type LoggedAttributes = { readonly [name: string]: CedarJsonValue };

/** One decision as written to the sink. */
export interface DecisionRecord {
  readonly at: number;
  /** Digest of the policy set that decided. */
  readonly policySet: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
  readonly determining: readonly string[];
  readonly errors: readonly PolicyEvaluationError[];
  /** The near-miss permits of a denial, when the authorizer explains. */
  readonly nearMisses?: readonly NearMiss[];
  /** The request context, masked. */
  readonly context?: LoggedAttributes;
  /** With `includeEntities`: the principal's and resource's attributes, masked. */
  readonly entities?: {
    readonly principal?: LoggedAttributes;
    readonly resource?: LoggedAttributes;
  };
}

/** Where records go: a function, or a logger (one line per record, at `level`). */
export type DecisionSink = ((record: DecisionRecord) => void) | Logger;

export interface DecisionLogOptions {
  /** Receives every record written. */
  readonly sink: DecisionSink;
  /** Fraction of (eligible) decisions written, in [0, 1]. @default 1 */
  readonly sampleRate?: number;
  /** Write denials only (they are sampled too). @default false */
  readonly denialsOnly?: boolean;
  /**
   * Attributes to mask, as dotted paths from `context`, `principal` or `resource`
   * (`context.ssn`, `principal.email`, `resource.owner.phone`). A `*` segment matches any
   * attribute (`context.*.token`; `*.email` under all three roots). Sets are traversed: a path
   * applies to each element. A masked value is replaced whole by `maskWith`. @default []
   */
  readonly mask?: readonly string[];
  /** What a masked value becomes. @default "***" */
  readonly maskWith?: string;
  /** Include the context in records. @default true */
  readonly includeContext?: boolean;
  /** Include the principal's and resource's attributes (from the entity store). @default false */
  readonly includeEntities?: boolean;
  /** Level of the line when the sink is a logger. @default 'info' */
  readonly level?: LogLevel;
  /** Source of uniform numbers in [0, 1) for sampling. @default Math.random */
  readonly random?: () => number;
  /** Where a failing sink is reported (warn); the decision itself is never affected. @default noopLogger */
  readonly logger?: Logger;
}

/** Counters of a decision log. */
export interface DecisionLogStats {
  /** Decisions seen. */
  readonly seen: number;
  /** Records handed to the sink. */
  readonly written: number;
  /** Left out by `denialsOnly`. */
  readonly filtered: number;
  /** Left out by sampling. */
  readonly sampledOut: number;
  /** Records the sink threw on. */
  readonly sinkFailures: number;
}

export const DEFAULT_DECISION_LOG_OPTIONS = Object.freeze({
  /** @default 1 */
  sampleRate: 1,
  /** @default false */
  denialsOnly: false,
  /** @default [] */
  mask: Object.freeze([]) as readonly string[],
  /** @default "***" */
  maskWith: '***',
  /** @default true */
  includeContext: true,
  /** @default false */
  includeEntities: false,
  /** @default 'info' */
  level: 'info' as LogLevel,
});

/** A node of the mask trie: children by attribute name (`*` for any) and whether to mask here. */
interface MaskNode {
  readonly children: Map<string, MaskNode>;
  mask: boolean;
}

function node(): MaskNode {
  return { children: new Map(), mask: false };
}

const ROOTS = ['context', 'principal', 'resource'] as const;
type Root = (typeof ROOTS)[number];

function compileMasks(paths: readonly string[]): Record<Root, MaskNode> {
  const roots: Record<Root, MaskNode> = { context: node(), principal: node(), resource: node() };
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    const targets = head === '*' ? ROOTS : ROOTS.filter((r) => r === head);
    for (const r of targets) {
      let n = roots[r];
      for (const seg of rest) {
        let next = n.children.get(seg);
        if (next === undefined) {
          next = node();
          n.children.set(seg, next);
        }
        n = next;
      }
      n.mask = true;
    }
  }
  return roots;
}

function validMaskPath(p: unknown): boolean {
  if (typeof p !== 'string') return false;
  const segs = p.split('.');
  return (
    segs.length >= 2 &&
    (ROOTS as readonly string[]).concat('*').includes(segs[0]!) &&
    segs.every((s) => s.length > 0)
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Copies a Cedar JSON value, masking what the trie nodes select. `masked` collects the text of
 * each masked primitive, so error messages that quote one can be redacted too.
 */
function copy(
  v: unknown,
  nodes: readonly MaskNode[],
  maskWith: string,
  masked: Set<string>,
  depth: number,
): CedarJsonValue {
  if (depth > 64) return maskWith;
  if (Array.isArray(v)) return v.map((x) => copy(x, nodes, maskWith, masked, depth + 1));
  if (!isRecord(v)) return v as CedarJsonValue;
  const keys = Object.keys(v);
  const only = keys.length === 1 ? keys[0] : undefined;
  if (only === '__entity' || only === '__extn') {
    // An entity reference or extension value is one value: masked whole or copied whole.
    return { [only]: copy(v[only], [], maskWith, masked, depth + 1) };
  }
  const out: Record<string, CedarJsonValue> = {};
  for (const k of keys) {
    let next: MaskNode[] | undefined;
    let hide = false;
    for (const n of nodes) {
      for (const c of [n.children.get(k), n.children.get('*')]) {
        if (c === undefined) continue;
        if (c.mask) hide = true;
        if (c.children.size > 0) (next ??= []).push(c);
      }
    }
    if (hide) {
      collect(v[k], masked);
      out[k] = maskWith;
    } else {
      out[k] = copy(v[k], next ?? [], maskWith, masked, depth + 1);
    }
  }
  return out;
}

function collect(v: unknown, into: Set<string>): void {
  if (typeof v === 'string') {
    if (v.length > 0) into.add(v);
  } else if (typeof v === 'number' || typeof v === 'bigint') into.add(String(v));
  else if (Array.isArray(v)) for (const x of v) collect(x, into);
  else if (isRecord(v)) for (const x of Object.values(v)) collect(x, into);
}

function redact(text: string, masked: ReadonlySet<string>, maskWith: string): string {
  let out = text;
  for (const s of masked) if (out.includes(s)) out = out.split(s).join(maskWith);
  return out;
}

/** The stored entity whose uid key is `key` (`Type::"id"`), if any. */
function entityAttrs(store: EntityStore, key: string): LoggedAttributes | undefined {
  const i = key.indexOf('::"');
  if (i < 0) return undefined;
  let id: unknown;
  try {
    id = JSON.parse(key.slice(i + 2));
  } catch {
    return undefined;
  }
  if (typeof id !== 'string') return undefined;
  const uid = store.internUid(key.slice(0, i), id);
  const entity = uid === undefined ? undefined : store.get(uid);
  if (entity === undefined) return undefined;
  return valueToJson(entity.attrs) as LoggedAttributes;
}

function isLogger(sink: DecisionSink): sink is Logger {
  return typeof sink === 'object' && sink !== null && typeof sink.info === 'function';
}

/**
 * A decision log. Attach it to the emitter an {@link Authorizer} was given:
 *
 * ```ts
 * const emitter = new TypedEmitter<PolicyEvents>();
 * const authorizer = new Authorizer({ policies, entities, emitter });
 * const log = new DecisionLog({ sink: logger, denialsOnly: true, mask: ['context.ssn', 'principal.email'] });
 * log.attach(emitter);
 * ```
 */
export class DecisionLog {
  readonly #write: (record: DecisionRecord) => void;
  readonly #sampleRate: number;
  readonly #denialsOnly: boolean;
  readonly #masks: Record<Root, MaskNode>;
  readonly #hasMasks: boolean;
  readonly #maskWith: string;
  readonly #includeContext: boolean;
  readonly #includeEntities: boolean;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #detach = new Set<() => void>();
  #seen = 0;
  #written = 0;
  #filtered = 0;
  #sampledOut = 0;
  #sinkFailures = 0;

  constructor(options: DecisionLogOptions) {
    const o = resolveOptions<DecisionLogOptions, typeof DEFAULT_DECISION_LOG_OPTIONS>({
      package: '@plinth/policy',
      owner: 'DecisionLog',
      input: options,
      defaults: DEFAULT_DECISION_LOG_OPTIONS,
      spec: {
        sink: {
          check: check.custom<DecisionSink>(
            'a function or a Logger',
            (v) => typeof v === 'function' || check.implementing('info').test(v),
          ),
          required: true,
        },
        sampleRate: check.number({ min: 0, max: 1 }),
        denialsOnly: check.boolean(),
        mask: check.custom<readonly string[]>(
          'an array of paths like "context.ssn" or "principal.email"',
          (v) => Array.isArray(v) && v.every(validMaskPath),
        ),
        maskWith: check.string(),
        includeContext: check.boolean(),
        includeEntities: check.boolean(),
        level: check.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const),
        random: check.func() as never,
        logger: check.implementing('warn'),
      },
    });
    const sink = o.sink;
    if (isLogger(sink)) {
      const level = o.level;
      this.#write = (record) => sink[level]({ ...record }, 'policy decision');
    } else {
      this.#write = sink;
    }
    this.#sampleRate = o.sampleRate;
    this.#denialsOnly = o.denialsOnly;
    this.#masks = compileMasks(o.mask);
    this.#hasMasks = o.mask.length > 0;
    this.#maskWith = o.maskWith;
    this.#includeContext = o.includeContext;
    this.#includeEntities = o.includeEntities;
    this.#random = o.random ?? Math.random;
    this.#logger = o.logger ?? noopLogger;
  }

  /** Listens to `policy:decided` on `emitter`; returns the function that stops listening. */
  attach(emitter: TypedEmitter<PolicyEvents>): () => void {
    const listener = (payload: PolicyEvents['policy:decided']): void => this.record(payload);
    emitter.on('policy:decided', listener);
    const detach = (): void => {
      emitter.off('policy:decided', listener);
      this.#detach.delete(detach);
    };
    this.#detach.add(detach);
    return detach;
  }

  /** Stops listening to every emitter it was attached to. */
  detach(): void {
    for (const d of [...this.#detach]) d();
  }

  /** Handles one decision (what the `policy:decided` listener calls). Never throws. */
  record(payload: PolicyEvents['policy:decided']): void {
    this.#seen++;
    if (this.#denialsOnly && payload.response.decision !== 'deny') {
      this.#filtered++;
      return;
    }
    if (this.#sampleRate < 1 && !(this.#random() < this.#sampleRate)) {
      this.#sampledOut++;
      return;
    }
    let record: DecisionRecord;
    try {
      record = this.#build(payload);
    } catch (e) {
      this.#sinkFailures++;
      this.#logger.warn({ err: e }, 'decision log: the record could not be built');
      return;
    }
    try {
      this.#write(record);
      this.#written++;
    } catch (e) {
      this.#sinkFailures++;
      this.#logger.warn({ err: e }, 'decision log: the sink failed');
    }
  }

  #build(payload: PolicyEvents['policy:decided']): DecisionRecord {
    const { request, response } = payload;
    const masked = new Set<string>();
    const mw = this.#maskWith;
    const out: {
      -readonly [K in keyof DecisionRecord]: DecisionRecord[K];
    } = {
      at: payload.at,
      policySet: payload.policySet,
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      decision: response.decision,
      determining: [...response.determining],
      errors: [],
    };
    if (this.#includeContext && request.context !== undefined) {
      out.context = copy(request.context, [this.#masks.context], mw, masked, 0) as LoggedAttributes;
    }
    if (this.#includeEntities) {
      const entities: { principal?: LoggedAttributes; resource?: LoggedAttributes } = {};
      const p = entityAttrs(payload.entities, request.principal);
      if (p !== undefined)
        entities.principal = copy(p, [this.#masks.principal], mw, masked, 0) as LoggedAttributes;
      const r = entityAttrs(payload.entities, request.resource);
      if (r !== undefined)
        entities.resource = copy(r, [this.#masks.resource], mw, masked, 0) as LoggedAttributes;
      out.entities = entities;
    }
    // Error messages may quote a value (an overflow names its operands): redact masked ones.
    out.errors = response.errors.map((e) => ({
      policyId: e.policyId,
      message: this.#hasMasks ? redact(e.message, masked, mw) : e.message,
    }));
    if (response.nearMisses !== undefined && response.nearMisses.length > 0) {
      out.nearMisses = response.nearMisses.map((m) => ({ ...m }));
    }
    return out;
  }

  /** Counters since construction. */
  get stats(): DecisionLogStats {
    return {
      seen: this.#seen,
      written: this.#written,
      filtered: this.#filtered,
      sampledOut: this.#sampledOut,
      sinkFailures: this.#sinkFailures,
    };
  }
}
