/**
 * The authorizer: Cedar's decision over a compiled, indexed policy set. Deny unless some permit
 * is satisfied and no forbid is; a policy whose evaluation errors is skipped and reported. The
 * compiled set is one immutable object behind one reference, so `swap` is atomic: a request
 * reads the reference once and sees one set from start to finish.
 */
import { systemClock, type Clock, type TypedEmitter } from '@plinth/core';
import { EntityStore } from './entities.js';
import { policyErrors } from './errors.js';
import type { PolicyEvents } from './events.js';
import { DEFAULT_POLICY_LIMITS } from './options.js';
import type {
  AuthorizationRequest,
  AuthorizationResponse,
  CedarJsonValue,
  NearMiss,
  PolicyEvaluationError,
} from './types.js';
import {
  compilePolicy,
  type CompilablePolicy,
  type CompiledPolicy,
  type EvalEnv,
  type PolicyTrace,
} from './internal/compile.js';
import {
  isEntityTypeName,
  uidFromRef,
  valueFromJson,
  valueToJson,
} from './internal/json-values.js';
import { PolicyIndex, type IndexEntry } from './internal/policy-index.js';
import { CedarRecord, EntityUID } from './internal/values.js';

/** What the authorizer needs of a policy set (a `PolicySet` is one). */
export interface AuthorizerPolicies {
  policies(): readonly CompilablePolicy[];
  readonly digest: string;
}

export interface AuthorizerOptions<P extends AuthorizerPolicies = AuthorizerPolicies> {
  /** The policy set to decide with (replace it later with {@link Authorizer.swap}). */
  readonly policies: P;
  /** The default entity store for requests that pass none. @default an empty store */
  readonly entities?: EntityStore;
  /** Near misses on denials. @default true */
  readonly explain?: boolean;
  /** Most near misses per denial. @default 3 */
  readonly maxNearMisses?: number;
  /** Receives `policy:decided` (only when someone listens) and `policies:swapped`. */
  readonly emitter?: TypedEmitter<PolicyEvents>;
  /** Time source for event timestamps. @default systemClock */
  readonly clock?: Clock;
}

interface CompiledSet<P> {
  readonly source: P;
  readonly compiled: readonly CompiledPolicy[];
  readonly index: PolicyIndex;
}

const EMPTY_STRINGS: readonly string[] = Object.freeze([]);
const EMPTY_ERRORS: readonly PolicyEvaluationError[] = Object.freeze([]);
const EMPTY_MISSES: readonly NearMiss[] = Object.freeze([]);
const EMPTY_CONTEXT = new CedarRecord(new Map());
const DENY: AuthorizationResponse = Object.freeze({
  decision: 'deny',
  determining: EMPTY_STRINGS,
  errors: EMPTY_ERRORS,
});
const DENY_EXPLAINED: AuthorizationResponse = Object.freeze({
  decision: 'deny',
  determining: EMPTY_STRINGS,
  errors: EMPTY_ERRORS,
  nearMisses: EMPTY_MISSES,
});
/** How many unsatisfied permits are examined for near misses at most. */
const MISS_SCAN = 64;

/** Compiled policies, shared by every set (and authorizer) holding the same `Policy` object. */
const compiledCache = new WeakMap<CompilablePolicy, CompiledPolicy>();

function compileCached(p: CompilablePolicy): CompiledPolicy {
  let c = compiledCache.get(p);
  if (c === undefined) {
    c = compilePolicy(p);
    compiledCache.set(p, c);
  }
  return c;
}

function compileSet<P extends AuthorizerPolicies>(source: P): CompiledSet<P> {
  const compiled = source.policies().map(compileCached);
  return { source, compiled, index: new PolicyIndex(compiled) };
}

function badRequest(message: string, cause?: unknown): never {
  throw policyErrors.create('E_INVALID_REQUEST', message, cause === undefined ? {} : { cause });
}

const UNSTORED_UIDS = new Map<string, Map<string, EntityUID>>();
let unstoredCount = 0;

/** A request entity reference → a uid, reusing the store's object when the entity is stored. */
function requestUid(ref: unknown, store: EntityStore, part: string): EntityUID {
  // A uid an entity store handed out (`internUid`, `StoredEntity.uid`): already validated.
  if (ref instanceof EntityUID) return ref;
  if (typeof ref === 'object' && ref !== null) {
    const { type, id } = ref as { type?: unknown; id?: unknown };
    if (typeof type === 'string' && typeof id === 'string') {
      const known = store.internUid(type, id);
      if (known !== undefined) return known;
      // Uids the store does not hold (actions, mostly) are made once and reused (bounded).
      const cached = UNSTORED_UIDS.get(type)?.get(id);
      if (cached !== undefined) return cached;
      if (!isEntityTypeName(type))
        badRequest(`${part}: invalid entity type ${JSON.stringify(type)}`);
      const uid = new EntityUID(type, id);
      if (unstoredCount >= 10_000) {
        UNSTORED_UIDS.clear();
        unstoredCount = 0;
      }
      let byId = UNSTORED_UIDS.get(type);
      if (byId === undefined) UNSTORED_UIDS.set(type, (byId = new Map()));
      byId.set(id, uid);
      unstoredCount++;
      return uid;
    }
  }
  return uidFromRef(ref, 'E_INVALID_REQUEST', part);
}

/**
 * A request context converted once, for requests that share it: pass it as `context` and the
 * authorizer skips converting the JSON on every call. Made by {@link prepareContext}; later
 * changes to the JSON it was made from do not reach it.
 */
export class PreparedContext {
  /** @internal */
  readonly record: CedarRecord;
  /** @internal Use {@link prepareContext}. */
  constructor(record: CedarRecord) {
    this.record = record;
    Object.freeze(this);
  }
}

/** Converts a context (a Cedar record in JSON) once; `E_INVALID_REQUEST` if it is malformed. */
export function prepareContext(context: {
  readonly [name: string]: CedarJsonValue;
}): PreparedContext {
  return new PreparedContext(requestContext(context));
}

function requestContext(ctx: unknown): CedarRecord {
  if (ctx === undefined) return EMPTY_CONTEXT;
  if (ctx instanceof PreparedContext) return ctx.record;
  if (typeof ctx !== 'object' || ctx === null || Array.isArray(ctx)) {
    badRequest('context must be an object (a Cedar record)');
  }
  let empty = true;
  for (const _ in ctx) {
    empty = false;
    break;
  }
  if (empty && Object.getPrototypeOf(ctx) === Object.prototype) return EMPTY_CONTEXT;
  const v = valueFromJson(ctx, DEFAULT_POLICY_LIMITS, 'context', 'E_INVALID_REQUEST');
  if (!(v instanceof CedarRecord)) badRequest('context must be a Cedar record');
  return v;
}

function byPolicyId(a: { policyId: string }, b: { policyId: string }): number {
  return a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0;
}

export class Authorizer<P extends AuthorizerPolicies = AuthorizerPolicies> {
  #set: CompiledSet<P>;
  readonly #entities: EntityStore;
  readonly #explain: boolean;
  readonly #maxNearMisses: number;
  readonly #emitter: TypedEmitter<PolicyEvents> | undefined;
  readonly #clock: Clock;
  // Scratch lists, reused by every call (evaluation never re-enters the authorizer).
  readonly #pBuckets: IndexEntry[][] = [];
  readonly #rBuckets: IndexEntry[][] = [];
  readonly #permits: CompiledPolicy[] = [];
  readonly #forbids: CompiledPolicy[] = [];
  readonly #misses: CompiledPolicy[] = [];

  constructor(options: AuthorizerOptions<P>) {
    if (typeof options !== 'object' || options === null || options.policies === undefined) {
      throw policyErrors.create('E_INVALID_OPTION', 'Authorizer needs { policies: PolicySet }');
    }
    const max = options.maxNearMisses ?? 3;
    if (!Number.isInteger(max) || max < 0) {
      throw policyErrors.create('E_INVALID_OPTION', 'maxNearMisses must be an integer ≥ 0', {
        details: { option: 'maxNearMisses' },
      });
    }
    if (options.entities !== undefined && !(options.entities instanceof EntityStore)) {
      throw policyErrors.create('E_INVALID_OPTION', 'entities must be an EntityStore', {
        details: { option: 'entities' },
      });
    }
    this.#set = compileSet(options.policies);
    this.#entities = options.entities ?? new EntityStore();
    this.#explain = options.explain ?? true;
    this.#maxNearMisses = max;
    this.#emitter = options.emitter;
    this.#clock = options.clock ?? systemClock;
  }

  /** The policy set in use. */
  get policies(): P {
    return this.#set.source;
  }

  /** The default entity store (used by requests that pass none). */
  get entities(): EntityStore {
    return this.#entities;
  }

  /**
   * Replaces the policy set. The new set is compiled and indexed first, then installed with one
   * assignment: every request sees either the old set or the new one, whole.
   */
  swap(policies: P): void {
    const next = compileSet(policies);
    const previous = this.#set.source;
    this.#set = next;
    if (this.#emitter !== undefined && this.#emitter.listenerCount('policies:swapped') > 0) {
      this.#emitter.emit('policies:swapped', {
        at: this.#clock.now(),
        from: previous.digest,
        to: policies.digest,
      });
    }
  }

  /**
   * Cedar's decision on one request. Evaluation errors never throw (they are in `errors`); a
   * malformed request (bad entity reference, non-integer number or bad value in the context)
   * throws `E_INVALID_REQUEST`.
   */
  isAuthorized(request: AuthorizationRequest, entities?: EntityStore): AuthorizationResponse {
    const set = this.#set;
    const store = entities ?? this.#entities;
    const env = this.#env(request, store);
    const group = set.index.group(store, env.action);
    let response: AuthorizationResponse;
    if (group.entries.length === 0) {
      response = this.#explain ? DENY_EXPLAINED : DENY;
    } else {
      const pb = this.#pBuckets;
      const rb = this.#rBuckets;
      if (pb.length !== 0) pb.length = 0;
      if (rb.length !== 0) rb.length = 0;
      // A candidate must match both scopes: when no policy of the group matches the resource
      // (or the principal), nothing applies and the other side need not be collected.
      const nr = group.resource.collect(env.resource, store, rb);
      const np = nr === 0 ? 0 : group.principal.collect(env.principal, store, pb);
      response =
        np === 0 || nr === 0
          ? this.#explain
            ? DENY_EXPLAINED
            : DENY
          : this.#decide(env, np <= nr ? pb : rb);
    }
    const emitter = this.#emitter;
    if (emitter !== undefined && emitter.listenerCount('policy:decided') > 0) {
      emitter.emit('policy:decided', {
        at: this.#clock.now(),
        request: {
          principal: env.principal.key,
          action: env.action.key,
          resource: env.resource.key,
          ...(request.context === undefined
            ? {}
            : {
                context:
                  request.context instanceof PreparedContext
                    ? valueToJson(request.context.record)
                    : request.context,
              }),
        },
        response,
        policySet: set.source.digest,
        entities: store,
      });
    }
    return response;
  }

  /** How every policy of the set fared on the request, in set order (coverage; slow path). */
  trace(request: AuthorizationRequest, entities?: EntityStore): readonly PolicyTrace[] {
    const set = this.#set;
    const env = this.#env(request, entities ?? this.#entities);
    return set.compiled.map((p) => p.trace(env));
  }

  #env(request: AuthorizationRequest, store: EntityStore): EvalEnv {
    if (typeof request !== 'object' || request === null) {
      badRequest('a request is an object { principal, action, resource, context? }');
    }
    if (!(store instanceof EntityStore)) badRequest('entities must be an EntityStore');
    return {
      principal: requestUid(request.principal, store, 'principal'),
      action: requestUid(request.action, store, 'action'),
      resource: requestUid(request.resource, store, 'resource'),
      context: requestContext(request.context),
      store,
    };
  }

  #decide(env: EvalEnv, buckets: readonly IndexEntry[][]): AuthorizationResponse {
    const permits = this.#permits;
    const forbids = this.#forbids;
    const misses = this.#misses;
    if (permits.length !== 0) permits.length = 0;
    if (forbids.length !== 0) forbids.length = 0;
    if (misses.length !== 0) misses.length = 0;
    const explain = this.#explain;
    let errors: PolicyEvaluationError[] | undefined;
    for (const bucket of buckets) {
      for (const entry of bucket) {
        const p = entry.policy;
        let ok: boolean;
        try {
          ok = p.matchAfterAction(env);
        } catch (e) {
          (errors ??= []).push({
            policyId: p.id,
            message: e instanceof Error ? e.message : String(e),
          });
          continue;
        }
        if (ok) (entry.forbid ? forbids : permits).push(p);
        else if (explain && !entry.forbid && misses.length < MISS_SCAN) misses.push(p);
      }
    }
    const errs = errors === undefined ? EMPTY_ERRORS : Object.freeze(errors.sort(byPolicyId));
    if (forbids.length > 0) {
      return this.#respond('deny', ids(forbids), errs, explain ? this.#nearMisses(env) : undefined);
    }
    if (permits.length > 0) return this.#respond('allow', ids(permits), errs, undefined);
    if (!explain)
      return errs === EMPTY_ERRORS ? DENY : this.#respond('deny', EMPTY_STRINGS, errs, undefined);
    const near = this.#nearMisses(env);
    return errs === EMPTY_ERRORS && near === EMPTY_MISSES
      ? DENY_EXPLAINED
      : this.#respond('deny', EMPTY_STRINGS, errs, near);
  }

  #respond(
    decision: 'allow' | 'deny',
    determining: readonly string[],
    errors: readonly PolicyEvaluationError[],
    nearMisses: readonly NearMiss[] | undefined,
  ): AuthorizationResponse {
    return nearMisses === undefined
      ? { decision, determining, errors }
      : { decision, determining, errors, nearMisses };
  }

  /** The near-miss permits: condition failures first (their scope matched), then set order. */
  #nearMisses(env: EvalEnv): readonly NearMiss[] {
    const misses = this.#misses;
    if (misses.length === 0 || this.#maxNearMisses === 0) return EMPTY_MISSES;
    const found: NearMiss[] = [];
    for (const p of misses) {
      const m = p.nearMiss(env);
      if (m !== undefined) found.push(m);
    }
    found.sort((a, b) => rank(a) - rank(b));
    if (found.length > this.#maxNearMisses) found.length = this.#maxNearMisses;
    return Object.freeze(found);
  }
}

function rank(m: NearMiss): number {
  return m.failed === 'condition' ? 0 : 1;
}

function ids(list: readonly CompiledPolicy[]): readonly string[] {
  if (list.length === 1) return list[0]!.idList;
  const out = list.map((p) => p.id);
  out.sort();
  return Object.freeze(out);
}

const oneShot = new WeakMap<AuthorizerPolicies, Authorizer>();

/** One decision without keeping an authorizer (the compiled set is cached per policy set). */
export function isAuthorized(
  request: AuthorizationRequest,
  policies: AuthorizerPolicies,
  entities?: EntityStore,
): AuthorizationResponse {
  let a = oneShot.get(policies);
  if (a === undefined) {
    a = new Authorizer({ policies });
    oneShot.set(policies, a);
  }
  return a.isAuthorized(request, entities);
}
