/**
 * One `authorize(principal, action, resource, context)` over the directory's entities and a
 * `@plinth/policy` (Cedar) policy set: RBAC through `principal in Role::"…"` and
 * `context.roles.contains(Role::"…")` (scoped roles included), ABAC through attributes and
 * context, with Cedar's decision, its explanation, and the obligations the deciding policies
 * carry in their annotations:
 *
 * - `@mask("ssn, salary")`: the caller must hide these fields of the resource;
 * - `@requireMfa("300")`: allowed only if the caller passed MFA in the last 300 seconds; when the
 *   session's MFA is older (or absent), the decision is a denial with `stepUp` set, so the host
 *   asks for a second factor and retries;
 * - `@obligation("log:high")`: any host-defined string, returned as is.
 *
 * The obligations of every determining policy apply (their union): a permit that asks for a mask
 * is never made moot by another permit that does not.
 */
import { TypedEmitter, noopLogger, systemClock, type Clock, type Logger } from '@plinth/core';
import {
  Authorizer,
  type PreparedContext,
  prepareContext,
  type AuthorizationResponse,
  type CedarJsonValue,
  type EntityRef,
  type NearMiss,
  type Policy,
  type PolicyEvaluationError,
} from '@plinth/policy';
import type { Directory } from './directory.js';
import { accessErrors } from './errors.js';
import type { AccessEvents } from './events.js';
import { parseScope, type Scope } from './internal/directory-input.js';
import type { AuditSink } from './types.js';

/** An obligation a determining policy attached to the decision. */
export type Obligation =
  | { readonly kind: 'mask'; readonly fields: readonly string[]; readonly policyId: string }
  | {
      readonly kind: 'require-mfa';
      readonly maxAgeSeconds: number;
      readonly policyId: string;
      /** Whether the request's MFA time meets it. */
      readonly satisfied: boolean;
    }
  | { readonly kind: 'custom'; readonly value: string; readonly policyId: string };

/** What authorization needs of a policy set (a `PolicySet` is one). */
export interface AccessPolicies {
  policies(): readonly Policy[];
  readonly digest: string;
}

export interface AccessRequest {
  /** A principal id of the directory. */
  readonly principal: string;
  /** An action id (`'read'` → `Action::"read"`) or an entity reference. */
  readonly action: string | EntityRef;
  readonly resource: EntityRef;
  /** A Cedar record; `roles` is reserved (the roles that apply are put there). */
  readonly context?: { readonly [name: string]: CedarJsonValue };
  /** When the caller last passed MFA (a session's `mfaAt`), epoch ms. */
  readonly mfaAt?: number;
  /** For audit records: where the request came from. */
  readonly source?: string;
}

export interface AccessDecision {
  readonly decision: 'allow' | 'deny';
  readonly allowed: boolean;
  /** Policies that determined Cedar's decision, sorted. */
  readonly determining: readonly string[];
  readonly errors: readonly PolicyEvaluationError[];
  /** For a denial (explanations on): the permits that nearly applied and what failed first. */
  readonly nearMisses: readonly NearMiss[];
  /** The roles that applied to this principal on this resource (inheritance included), sorted. */
  readonly roles: readonly string[];
  /** Obligations of the determining policies. */
  readonly obligations: readonly Obligation[];
  /** Fields to mask (the union of every `mask` obligation), sorted. */
  readonly mask: readonly string[];
  /** Set when Cedar allowed but a `@requireMfa` is not met: ask for a second factor. */
  readonly stepUp?: { readonly maxAgeSeconds: number };
  /**
   * Why a denial: the policies (`policy`), a `@requireMfa` not met (`mfa`), an unknown or
   * disabled principal (`principal`), or an API key whose scopes do not cover the action
   * (`scope`, from `Access.authorize`).
   */
  readonly reason?: 'policy' | 'mfa' | 'principal' | 'scope';
}

export interface AccessControlOptions {
  readonly directory: Directory;
  /** The policy set (replace it with {@link AccessControl.swap}). */
  readonly policies: AccessPolicies;
  /** Cedar type of actions. @default 'Action' */
  readonly actionType?: string;
  /** Near misses on denials. @default true */
  readonly explain?: boolean;
  /** Which decisions go to the audit log as `authz.denied` / `authz.allowed`. @default 'denials' */
  readonly auditDecisions?: 'denials' | 'all' | 'none';
  readonly audit?: AuditSink;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
}

type PolicyObligations = readonly Obligation[];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const NONE: readonly never[] = Object.freeze([]);

function obligationsOf(policy: Policy): PolicyObligations {
  const out: Obligation[] = [];
  for (const [name, value] of policy.annotations) {
    if (name === 'mask') {
      const fields = value
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f.length > 0);
      out.push({ kind: 'mask', fields, policyId: policy.id });
    } else if (name === 'requireMfa') {
      const seconds = Number(value);
      if (!Number.isSafeInteger(seconds) || seconds < 0) {
        throw accessErrors.create(
          'E_INVALID_ARGUMENT',
          `policy ${policy.id}: @requireMfa takes a number of seconds, got ${JSON.stringify(value)}`,
          { details: { policyId: policy.id } },
        );
      }
      out.push({
        kind: 'require-mfa',
        maxAgeSeconds: seconds,
        policyId: policy.id,
        satisfied: false,
      });
    } else if (name === 'obligation') {
      out.push({ kind: 'custom', value, policyId: policy.id });
    }
  }
  return out.length === 0 ? NONE : Object.freeze(out);
}

function obligationTable(policies: AccessPolicies): Map<string, PolicyObligations> {
  const table = new Map<string, PolicyObligations>();
  for (const p of policies.policies()) {
    const o = obligationsOf(p);
    if (o.length > 0) table.set(p.id, o);
  }
  return table;
}

export class AccessControl extends TypedEmitter<AccessEvents> {
  readonly #directory: Directory;
  readonly #authorizer: Authorizer<AccessPolicies>;
  #obligations: Map<string, PolicyObligations>;
  readonly #actionType: string;
  readonly #auditDecisions: 'denials' | 'all' | 'none';
  readonly #audit: AuditSink | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #roleType: string;
  /** Interned `{ __entity }` values of role names, so a request builds no new objects for them. */
  readonly #roleRefs = new Map<string, CedarJsonValue>();
  readonly #actionRefs = new Map<string, { type: string; id: string }>();
  readonly #preparedRoles = new WeakMap<readonly string[], PreparedContext>();
  /** Parsed resource references, with the uid the entity store interned once it holds one. */
  readonly #scopes = new Map<string, Scope & { uid?: EntityRef | undefined }>();
  /** Each principal record's uid as the entity store interned it. */
  readonly #principalUids = new WeakMap<object, EntityRef>();

  constructor(options: AccessControlOptions) {
    super();
    if (typeof options !== 'object' || options === null || options.directory === undefined) {
      throw accessErrors.create('E_INVALID_OPTION', 'AccessControl needs { directory, policies }', {
        details: { option: 'directory' },
      });
    }
    if (typeof options.policies?.policies !== 'function') {
      throw accessErrors.create('E_INVALID_OPTION', 'policies must be a PolicySet', {
        details: { option: 'policies' },
      });
    }
    const audit = options.auditDecisions ?? 'denials';
    if (audit !== 'denials' && audit !== 'all' && audit !== 'none') {
      throw accessErrors.create('E_INVALID_OPTION', `auditDecisions must be denials, all or none`, {
        details: { option: 'auditDecisions' },
      });
    }
    this.#directory = options.directory;
    this.#obligations = obligationTable(options.policies);
    this.#authorizer = new Authorizer<AccessPolicies>({
      policies: options.policies,
      entities: options.directory.entities,
      explain: options.explain ?? true,
    });
    this.#actionType = options.actionType ?? 'Action';
    this.#auditDecisions = audit;
    this.#audit = options.audit;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#roleType = options.directory.types.role;
  }

  /** The policy set in use. */
  get policies(): AccessPolicies {
    return this.#authorizer.policies;
  }

  /** Replaces the policy set atomically (a request sees the old set or the new one, whole). */
  swap(policies: AccessPolicies): void {
    const table = obligationTable(policies);
    this.#authorizer.swap(policies);
    this.#obligations = table;
  }

  #refsOf(roles: readonly string[]): CedarJsonValue[] {
    return roles.map((r) => this.#roleRef(r));
  }

  /** `{ roles }` as a prepared context, made once per cached role array. */
  #rolesContext(roles: readonly string[]): PreparedContext {
    let prepared = this.#preparedRoles.get(roles);
    if (prepared === undefined) {
      prepared = prepareContext({ roles: this.#refsOf(roles) });
      if (Object.isFrozen(roles)) this.#preparedRoles.set(roles, prepared);
    }
    return prepared;
  }

  #scope(ref: unknown): Scope & { uid?: EntityRef | undefined } {
    if (typeof ref !== 'string') return parseScope(ref);
    let scope = this.#scopes.get(ref);
    if (scope === undefined) {
      scope = parseScope(ref);
      if (this.#scopes.size >= 10_000) this.#scopes.clear();
      this.#scopes.set(ref, scope);
    }
    return scope;
  }

  #roleRef(name: string): CedarJsonValue {
    let ref = this.#roleRefs.get(name);
    if (ref === undefined) {
      ref = { __entity: { type: this.#roleType, id: name } };
      this.#roleRefs.set(name, ref);
    }
    return ref;
  }

  #action(action: unknown): EntityRef {
    if (typeof action === 'string') {
      if (action.includes('::')) return action;
      let ref = this.#actionRefs.get(action);
      if (ref === undefined) {
        ref = { type: this.#actionType, id: action };
        if (this.#actionRefs.size < 10_000) this.#actionRefs.set(action, ref);
      }
      return ref;
    }
    return action as EntityRef;
  }

  /**
   * Decides one request. An unknown or disabled principal is a plain denial (the same answer
   * for both, so the call does not reveal which principals exist); a malformed request throws
   * `E_INVALID_ARGUMENT`.
   */
  authorize(request: AccessRequest): AccessDecision {
    if (typeof request !== 'object' || request === null) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'authorize needs { principal, action, resource }',
      );
    }
    const { context } = request;
    if (context !== undefined) {
      if (typeof context !== 'object' || context === null || Array.isArray(context)) {
        throw accessErrors.create(
          'E_INVALID_ARGUMENT',
          'context must be an object (a Cedar record)',
        );
      }
      if (Object.prototype.hasOwnProperty.call(context, 'roles')) {
        throw accessErrors.create(
          'E_INVALID_ARGUMENT',
          'context.roles is reserved: authorize() fills it in',
        );
      }
    }
    const principal =
      typeof request.principal === 'string'
        ? this.#directory.getPrincipal(request.principal)
        : undefined;
    let scope: Scope & { uid?: EntityRef | undefined };
    try {
      scope = this.#scope(request.resource);
    } catch (error) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'resource must be { type, id } or Type::"id"',
        {
          cause: error,
        },
      );
    }
    if (principal === undefined || principal.disabled) {
      if (typeof request.principal !== 'string') {
        throw accessErrors.create(
          'E_INVALID_ARGUMENT',
          'principal must be a principal id (a string)',
        );
      }
      return this.#finish(request, denied('principal'), scope.text);
    }
    const roles = this.#directory.effectiveRoles(principal, scope);
    const entities = this.#directory.entities;
    let principalUid = this.#principalUids.get(principal);
    if (principalUid === undefined) {
      const uid = this.#directory.uidOf(principal);
      principalUid = entities.internUid(uid.type, uid.id) ?? uid;
      this.#principalUids.set(principal, principalUid);
    }
    let response: AuthorizationResponse;
    try {
      response = this.#authorizer.isAuthorized({
        principal: principalUid,
        action: this.#action(request.action),
        resource: (scope.uid ??= entities.internUid(scope.type, scope.id)) ?? scope,
        context:
          context === undefined
            ? this.#rolesContext(roles)
            : { ...context, roles: this.#refsOf(roles) },
      });
    } catch (error) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        `malformed request: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return this.#finish(request, this.#withObligations(request, response, roles), scope.text);
  }

  /** {@link authorize}, throwing `E_FORBIDDEN` (with the explanation in `details`) on a denial. */
  check(request: AccessRequest): AccessDecision {
    const d = this.authorize(request);
    if (!d.allowed) {
      throw accessErrors.create(
        'E_FORBIDDEN',
        d.stepUp ? 'multi-factor authentication required' : 'forbidden',
        {
          details: {
            determining: d.determining,
            nearMisses: d.nearMisses,
            ...(d.stepUp === undefined ? {} : { stepUp: d.stepUp }),
          },
        },
      );
    }
    return d;
  }

  #withObligations(
    request: AccessRequest,
    r: AuthorizationResponse,
    roles: readonly string[],
  ): AccessDecision {
    const table = this.#obligations;
    let obligations: Obligation[] | undefined;
    let mask: Set<string> | undefined;
    let stepUp: number | undefined;
    if (table.size > 0) {
      for (const id of r.determining) {
        const list = table.get(id);
        if (list === undefined) continue;
        obligations ??= [];
        for (const o of list) {
          if (o.kind === 'require-mfa') {
            const mfaAt = request.mfaAt;
            const satisfied =
              typeof mfaAt === 'number' && this.#clock.now() - mfaAt <= o.maxAgeSeconds * 1000;
            obligations.push({ ...o, satisfied });
            if (!satisfied) stepUp = Math.min(stepUp ?? Infinity, o.maxAgeSeconds);
          } else {
            obligations.push(o);
            if (o.kind === 'mask') for (const f of o.fields) (mask ??= new Set()).add(f);
          }
        }
      }
    }
    if (r.decision === 'allow' && stepUp === undefined) {
      return {
        decision: 'allow',
        allowed: true,
        determining: r.determining,
        errors: r.errors,
        nearMisses: NONE,
        roles,
        obligations: obligations ?? NONE,
        mask: mask === undefined ? NONE : [...mask].sort(),
      };
    }
    const denial: Mutable<AccessDecision> = {
      decision: 'deny',
      allowed: false,
      determining: r.determining,
      errors: r.errors,
      nearMisses: r.nearMisses ?? NONE,
      roles,
      obligations: obligations ?? NONE,
      mask: mask === undefined ? NONE : [...mask].sort(),
      reason: stepUp === undefined ? 'policy' : 'mfa',
    };
    if (stepUp !== undefined) denial.stepUp = { maxAgeSeconds: stepUp };
    return denial;
  }

  #finish(request: AccessRequest, d: AccessDecision, resource: string): AccessDecision {
    const action =
      typeof request.action === 'string' ? request.action : parseScope(request.action).text;
    if (this.listenerCount('access:decided') > 0) {
      this.emit('access:decided', {
        at: this.#clock.now(),
        principal: String(request.principal),
        action,
        resource,
        decision: d.decision,
        determining: d.determining,
      });
    }
    const audit = this.#audit;
    if (
      audit !== undefined &&
      (this.#auditDecisions === 'all' || (!d.allowed && this.#auditDecisions === 'denials'))
    ) {
      audit
        .append({
          type: d.allowed ? 'authz.allowed' : 'authz.denied',
          actor: String(request.principal),
          subject: resource,
          outcome: d.allowed ? 'success' : 'deny',
          ...(request.source === undefined ? {} : { source: request.source }),
          data: {
            action,
            determining: [...d.determining],
            ...(d.reason === undefined ? {} : { reason: d.reason }),
          },
        })
        .catch((error: unknown) =>
          this.#logger.error({ err: error }, 'the audit log refused a decision record'),
        );
    }
    return d;
  }
}

function denied(reason: 'principal'): AccessDecision {
  return {
    decision: 'deny',
    allowed: false,
    determining: NONE,
    errors: NONE,
    nearMisses: NONE,
    roles: NONE,
    obligations: NONE,
    mask: NONE,
    reason,
  };
}
