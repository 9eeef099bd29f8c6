/**
 * Shadow evaluation: a candidate policy set decides the same requests as the active one, beside
 * it, before it is rolled out. The active decision is always the one returned, unchanged; the
 * candidate's only effect is a `shadow:differed` event and counters when the two disagree.
 * Nothing is kept for requests where they agree (apart from one count), and nothing the
 * candidate does — an error, a throwing listener — reaches the caller.
 */
import {
  check,
  noopLogger,
  resolveOptions,
  systemClock,
  type Clock,
  type Logger,
  type TypedEmitter,
} from '@plinth/core';
import { Authorizer, type AuthorizerPolicies } from './authorizer.js';
import { EntityStore } from './entities.js';
import type { PolicyEvents } from './events.js';
import type { AuthorizationRequest, AuthorizationResponse } from './types.js';
import { uidFromRef } from './internal/json-values.js';

/** A difference between the active and the candidate decision (the `shadow:differed` payload). */
export type ShadowDifference = PolicyEvents['shadow:differed'];

export interface ShadowAuthorizerOptions<P extends AuthorizerPolicies = AuthorizerPolicies> {
  /** The authorizer whose decisions are returned, or a policy set to build one from. */
  readonly active: Authorizer<P> | P;
  /** The candidate policy set, evaluated beside the active one. */
  readonly candidate: AuthorizerPolicies;
  /**
   * Default entity store for requests that pass none.
   * @default the active authorizer's store (or an empty store when `active` is a policy set)
   */
  readonly entities?: EntityStore;
  /** Fraction of requests the candidate also decides, in [0, 1]. @default 1 */
  readonly sampleRate?: number;
  /** Source of uniform numbers in [0, 1) for sampling. @default Math.random */
  readonly random?: () => number;
  /**
   * What counts as a difference: the decision only, or also the determining policies and the
   * policies that errored. @default 'decision'
   */
  readonly compare?: 'decision' | 'determining';
  /** Receives `shadow:differed` (and, from an active authorizer built here, `policy:decided`). */
  readonly emitter?: TypedEmitter<PolicyEvents>;
  /** Most recent differences kept for {@link ShadowAuthorizer.recent}. @default 100 */
  readonly keepRecent?: number;
  /** Time source for event timestamps. @default systemClock */
  readonly clock?: Clock;
  /** Where candidate failures are reported (warn). @default noopLogger */
  readonly logger?: Logger;
}

/** Counters of a shadow run. Only differences are broken down. */
export interface ShadowStats {
  /** Requests the candidate decided too (sampled in). */
  readonly compared: number;
  /** Requests on which the two differed (per `compare`). */
  readonly differed: number;
  /** Active allowed, candidate denied. */
  readonly allowToDeny: number;
  /** Active denied, candidate allowed. */
  readonly denyToAllow: number;
  /** Same decision, other determining or erroring policies (with `compare: 'determining'`). */
  readonly determiningChanged: number;
  /** Candidate evaluations that threw (the request was still answered by the active set). */
  readonly candidateFailures: number;
}

const DEFAULTS = Object.freeze({
  sampleRate: 1,
  compare: 'decision' as 'decision' | 'determining',
  keepRecent: 100,
});

function isAuthorizer<P extends AuthorizerPolicies>(v: Authorizer<P> | P): v is Authorizer<P> {
  return v instanceof Authorizer;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function errorIds(r: AuthorizationResponse): string[] {
  return r.errors.map((e) => e.policyId);
}

function keyOf(ref: unknown): string {
  try {
    return uidFromRef(ref).key;
  } catch {
    return String(ref);
  }
}

/**
 * An authorizer that decides with the active policy set and evaluates a candidate beside it.
 *
 * ```ts
 * const shadowed = new ShadowAuthorizer({ active: authorizer, candidate: nextSet, emitter, sampleRate: 0.1 });
 * emitter.on('shadow:differed', (d) => log.warn(d, 'candidate policy set decides differently'));
 * shadowed.isAuthorized(request); // always the active set's answer
 * ```
 */
export class ShadowAuthorizer<P extends AuthorizerPolicies = AuthorizerPolicies> {
  readonly #active: Authorizer<P>;
  readonly #candidate: Authorizer;
  readonly #entities: EntityStore;
  readonly #sampleRate: number;
  readonly #random: () => number;
  readonly #compareDetermining: boolean;
  readonly #emitter: TypedEmitter<PolicyEvents> | undefined;
  readonly #keepRecent: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #recent: ShadowDifference[] = [];
  #compared = 0;
  #allowToDeny = 0;
  #denyToAllow = 0;
  #determiningChanged = 0;
  #candidateFailures = 0;

  constructor(options: ShadowAuthorizerOptions<P>) {
    const o = resolveOptions<ShadowAuthorizerOptions<P>, typeof DEFAULTS>({
      package: '@plinth/policy',
      owner: 'ShadowAuthorizer',
      input: options,
      defaults: DEFAULTS,
      spec: {
        active: {
          check: check.custom<Authorizer<P> | P>(
            'an Authorizer or a policy set',
            (v) => v instanceof Authorizer || check.implementing('policies').test(v),
          ),
          required: true,
        },
        candidate: { check: check.implementing('policies'), required: true },
        entities: check.custom('an EntityStore', (v) => v instanceof EntityStore),
        sampleRate: check.number({ min: 0, max: 1 }),
        random: check.func() as never,
        compare: check.oneOf(['decision', 'determining'] as const),
        emitter: check.implementing('emit', 'listenerCount'),
        keepRecent: check.number({ min: 0, integer: true }),
        clock: check.implementing('now'),
        logger: check.implementing('warn'),
      },
    });
    const active = o.active;
    this.#entities = o.entities ?? (isAuthorizer(active) ? active.entities : new EntityStore());
    this.#active = isAuthorizer(active)
      ? active
      : new Authorizer<P>({
          policies: active,
          entities: this.#entities,
          ...(o.emitter === undefined ? {} : { emitter: o.emitter }),
        });
    this.#candidate = new Authorizer({
      policies: o.candidate,
      entities: this.#entities,
      explain: false,
    });
    this.#sampleRate = o.sampleRate;
    this.#random = o.random ?? Math.random;
    this.#compareDetermining = o.compare === 'determining';
    this.#emitter = o.emitter;
    this.#keepRecent = o.keepRecent;
    this.#clock = o.clock ?? systemClock;
    this.#logger = o.logger ?? noopLogger;
  }

  /** The active authorizer (its answers are the ones returned). */
  get active(): Authorizer<P> {
    return this.#active;
  }

  /** The candidate policy set. */
  get candidate(): AuthorizerPolicies {
    return this.#candidate.policies;
  }

  /** Replaces the candidate set (atomically, like {@link Authorizer.swap}); counters carry on. */
  setCandidate(candidate: AuthorizerPolicies): void {
    this.#candidate.swap(candidate);
  }

  /**
   * The active set's decision, exactly as {@link Authorizer.isAuthorized} returns it. On a
   * sampled request the candidate decides too, and a difference is counted and emitted.
   */
  isAuthorized(request: AuthorizationRequest, entities?: EntityStore): AuthorizationResponse {
    const store = entities ?? this.#entities;
    const active = this.#active.isAuthorized(request, store);
    if (this.#sampleRate < 1 && !(this.#random() < this.#sampleRate)) return active;
    try {
      this.#shadow(request, store, active);
    } catch (e) {
      this.#candidateFailures++;
      this.#logger.warn({ err: e }, 'shadow evaluation of the candidate policy set failed');
    }
    return active;
  }

  #shadow(request: AuthorizationRequest, store: EntityStore, active: AuthorizationResponse): void {
    const candidate = this.#candidate.isAuthorized(request, store);
    this.#compared++;
    if (active.decision !== candidate.decision) {
      if (active.decision === 'allow') this.#allowToDeny++;
      else this.#denyToAllow++;
    } else if (
      !this.#compareDetermining ||
      (sameIds(active.determining, candidate.determining) &&
        sameIds(errorIds(active), errorIds(candidate)))
    ) {
      return;
    } else {
      this.#determiningChanged++;
    }
    const difference: ShadowDifference = {
      at: this.#clock.now(),
      request: {
        principal: keyOf(request.principal),
        action: keyOf(request.action),
        resource: keyOf(request.resource),
      },
      active,
      candidate,
    };
    if (this.#keepRecent > 0) {
      this.#recent.push(difference);
      if (this.#recent.length > this.#keepRecent) this.#recent.shift();
    }
    const emitter = this.#emitter;
    if (emitter !== undefined && emitter.listenerCount('shadow:differed') > 0) {
      emitter.emit('shadow:differed', difference);
    }
  }

  /** Counters since construction (or the last {@link reset}). */
  get stats(): ShadowStats {
    return {
      compared: this.#compared,
      differed: this.#allowToDeny + this.#denyToAllow + this.#determiningChanged,
      allowToDeny: this.#allowToDeny,
      denyToAllow: this.#denyToAllow,
      determiningChanged: this.#determiningChanged,
      candidateFailures: this.#candidateFailures,
    };
  }

  /** The most recent differences, oldest first (at most `keepRecent`). */
  recent(): readonly ShadowDifference[] {
    return [...this.#recent];
  }

  /** Clears the counters and the recent differences. */
  reset(): void {
    this.#compared = 0;
    this.#allowToDeny = 0;
    this.#denyToAllow = 0;
    this.#determiningChanged = 0;
    this.#candidateFailures = 0;
    this.#recent.length = 0;
  }
}

/** Shorthand: `shadow(authorizer, candidate, options)` is `new ShadowAuthorizer({ active, candidate, ...options })`. */
export function shadow<P extends AuthorizerPolicies>(
  active: Authorizer<P> | P,
  candidate: AuthorizerPolicies,
  options: Omit<ShadowAuthorizerOptions<P>, 'active' | 'candidate'> = {},
): ShadowAuthorizer<P> {
  return new ShadowAuthorizer<P>({ ...options, active, candidate });
}
