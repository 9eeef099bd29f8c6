/**
 * The directory's in-memory mirror of its stored records: principals, roles and assignments by
 * key, the Cedar entity store built from them, and the roles that apply to a principal (cached
 * per directory state). The directory writes records through storage and hands every committed
 * record (its own, and other instances' through the change feed) to {@link DirectoryState.apply}.
 */
import type { Clock } from '@plinth/core';
import { EntityStore, type EntityJson, type EntityRef } from '@plinth/policy';
import { accessErrors } from '../errors.js';
import type { JsonValue } from '../types.js';
import { parseScope, type Scope } from './directory-input.js';

/** The directory's collections (all prefixed `access.`). */
export const C = {
  principals: 'access.principals',
  roles: 'access.roles',
  assignments: 'access.assignments',
} as const;

export type PrincipalKind = 'user' | 'service' | 'group';

/** A principal (or group) as stored. */
export interface PrincipalRecord {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly attrs: { readonly [name: string]: JsonValue };
  /** Groups it is a direct member of. */
  readonly groups: readonly string[];
  /** A disabled principal authenticates nowhere and every `authorize()` on it denies. */
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface RoleRecord {
  readonly name: string;
  /** Roles this one inherits (its parents in the role DAG). */
  readonly inherits: readonly string[];
  readonly description?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AssignmentRecord {
  readonly principal: string;
  readonly role: string;
  /** `'*'` for a global assignment, else the scope entity as Cedar text (`Tenant::"acme"`). */
  readonly scope: string;
  /** Epoch ms after which the assignment no longer applies. */
  readonly expiresAt?: number;
  readonly createdAt: number;
}

/** Cedar entity type names the directory uses. */
export interface DirectoryTypes {
  /** @default 'User' */
  readonly user: string;
  /** @default 'ServiceAccount' */
  readonly service: string;
  /** @default 'Group' */
  readonly group: string;
  /** @default 'Role' */
  readonly role: string;
}

interface Grant {
  readonly role: string;
  readonly scope: string;
  /** The scope parsed once, when the assignment is applied (undefined for a global one). */
  readonly scopeRef: Scope | undefined;
  readonly expiresAt: number | undefined;
}

/** The scope of a global assignment. */
export const GLOBAL = '*';

/** `E_NOT_FOUND` for a principal, role or group an administrative call named. */
export function notFound(what: string, id: string): never {
  throw accessErrors.create('E_NOT_FOUND', `no ${what} ${JSON.stringify(id)}`, {
    details: { [what]: id },
  });
}

export class DirectoryState {
  readonly #types: DirectoryTypes;
  readonly #clock: Clock;
  readonly #entities = new EntityStore();
  readonly #principals = new Map<string, PrincipalRecord>();
  readonly #roles = new Map<string, RoleRecord>();
  /** Assignments by principal (global and scoped). */
  readonly #grants = new Map<string, Map<string, Grant>>();
  /** Assignment records by storage key (a deletion in the change feed carries only the key). */
  readonly #assignmentKeys = new Map<string, AssignmentRecord>();
  /** Last applied storage version per record key, so a replayed change never rolls back. */
  readonly #versions = new Map<string, number>();
  /** Bumped by every applied change: cached role sets of older generations are stale. */
  #generation = 0;
  readonly #roleCache = new Map<
    string,
    { generation: number; entities: number; validUntil: number; roles: readonly string[] }
  >();

  constructor(types: DirectoryTypes, clock: Clock) {
    this.#types = types;
    this.#clock = clock;
  }

  /** Applies a deletion this instance committed, whatever version the feed reports later. */
  applyDeleted(collection: string, key: string): void {
    this.apply(collection, key, undefined, Number.MAX_SAFE_INTEGER);
    this.#versions.delete(`${collection}\u0000${key}`);
  }

  /** Applies one stored record (or its deletion) to the in-memory state and the entity store. */
  apply(collection: string, key: string, value: unknown, version: number): void {
    const vkey = `${collection}\u0000${key}`;
    if ((this.#versions.get(vkey) ?? -1) >= version) return;
    this.#versions.set(vkey, version);
    this.#generation++;
    if (collection === C.roles) {
      if (value === undefined) {
        this.#roles.delete(key);
        this.#entities.remove([{ type: this.#types.role, id: key }]);
      } else {
        const role = value as RoleRecord;
        this.#roles.set(key, role);
        this.#entities.upsert([this.#roleEntity(role)]);
      }
      return;
    }
    if (collection === C.principals) {
      const before = this.#principals.get(key);
      if (value === undefined) {
        this.#principals.delete(key);
        if (before !== undefined) this.#entities.remove([this.uidOf(before)]);
      } else {
        const p = value as PrincipalRecord;
        this.#principals.set(key, p);
        if (before !== undefined && before.kind !== p.kind)
          this.#entities.remove([this.uidOf(before)]);
        this.#entities.upsert([this.#principalEntity(p)]);
      }
      return;
    }
    let a = value as AssignmentRecord | undefined;
    if (a === undefined) {
      a = this.#assignmentKeys.get(key);
      this.#assignmentKeys.delete(key);
      if (a === undefined) return;
    } else {
      this.#assignmentKeys.set(key, a);
    }
    const { principal, role, scope } = a;
    let grants = this.#grants.get(principal);
    if (value === undefined) {
      grants?.delete(key);
    } else {
      if (grants === undefined) this.#grants.set(principal, (grants = new Map()));
      grants.set(key, {
        role,
        scope,
        scopeRef: scope === GLOBAL ? undefined : parseScope(scope),
        expiresAt: a.expiresAt,
      });
    }
    const p = this.#principals.get(principal);
    if (p !== undefined && scope === GLOBAL) this.#entities.upsert([this.#principalEntity(p)]);
  }

  #roleEntity(role: RoleRecord): EntityJson {
    return {
      uid: { type: this.#types.role, id: role.name },
      attrs: role.description === undefined ? {} : { description: role.description },
      parents: role.inherits.map((r) => ({ type: this.#types.role, id: r })),
    };
  }

  #principalEntity(p: PrincipalRecord): EntityJson {
    const parents: EntityRef[] = p.groups.map((g) => ({ type: this.#types.group, id: g }));
    for (const g of this.#grants.get(p.id)?.values() ?? []) {
      if (g.scope === GLOBAL && g.expiresAt === undefined)
        parents.push({ type: this.#types.role, id: g.role });
    }
    return { uid: this.uidOf(p), attrs: p.attrs as EntityJson['attrs'] & object, parents };
  }

  /** The live Cedar entity store (principals, groups, roles; hosts may add resource entities). */
  get entities(): EntityStore {
    return this.#entities;
  }

  /** The Cedar uid of a principal record (or of a stored principal id). */
  uidOf(principal: PrincipalRecord | string): { type: string; id: string } {
    const p = typeof principal === 'string' ? this.#principals.get(principal) : principal;
    if (p === undefined) return notFound('principal', principal as string);
    const type =
      p.kind === 'user'
        ? this.#types.user
        : p.kind === 'service'
          ? this.#types.service
          : this.#types.group;
    return { type, id: p.id };
  }

  getPrincipal(id: string): PrincipalRecord | undefined {
    return typeof id === 'string' ? this.#principals.get(id) : undefined;
  }

  getRole(name: string): RoleRecord | undefined {
    return typeof name === 'string' ? this.#roles.get(name) : undefined;
  }

  /** Principals (users, service accounts, groups) in id order, optionally of one kind. */
  principals(kind?: PrincipalKind): PrincipalRecord[] {
    const all = [...this.#principals.values()].filter((p) => kind === undefined || p.kind === kind);
    return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  roles(): RoleRecord[] {
    return [...this.#roles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The assignments of a principal (its own, not those of its groups). */
  assignmentsOf(principal: string): AssignmentRecord[] {
    return [...(this.#grants.get(principal)?.values() ?? [])].map((g) => ({
      principal,
      role: g.role,
      scope: g.scope,
      createdAt: 0,
      ...(g.expiresAt === undefined ? {} : { expiresAt: g.expiresAt }),
    }));
  }

  /**
   * The roles that apply to `principal` on `resource`, inheritance included, sorted: its global
   * roles and those of its groups, and roles assigned in a scope the resource is or is `in`.
   * Without a resource, only global roles. Expired assignments do not count.
   */
  rolesFor(principal: string, resource?: EntityRef): string[] {
    const p = this.#principals.get(principal);
    if (p === undefined) return [];
    return [...this.effectiveRoles(p, resource === undefined ? undefined : parseScope(resource))];
  }

  /**
   * The sorted roles behind `rolesFor`, for authorize(). A principal with no
   * scoped assignment (itself or through its groups) gets one frozen array per directory state,
   * whatever the resource, so callers can key per-roles work on its identity.
   */
  effectiveRoles(principal: PrincipalRecord, resource: Scope | undefined): readonly string[] {
    const cached = this.#roleCache.get(principal.id);
    if (
      cached !== undefined &&
      cached.generation === this.#generation &&
      cached.entities === this.#entities.version &&
      (cached.validUntil === Infinity || this.#clock.now() < cached.validUntil)
    ) {
      return cached.roles;
    }
    const computed = this.#effectiveRoles(principal, resource);
    if (computed.scoped) return [...computed.roles].sort();
    const roles = Object.freeze([...computed.roles].sort());
    if (this.#roleCache.size >= 100_000) this.#roleCache.clear();
    this.#roleCache.set(principal.id, {
      generation: this.#generation,
      entities: this.#entities.version,
      validUntil: computed.validUntil,
      roles,
    });
    return roles;
  }

  #effectiveRoles(
    p: PrincipalRecord,
    resource: Scope | undefined,
  ): { roles: Set<string>; scoped: boolean; validUntil: number } {
    const now = this.#clock.now();
    const direct = new Set<string>();
    let scoped = false;
    let validUntil = Infinity;
    const holders = [p.id];
    const uid = this.uidOf(p);
    const self = this.#entities.internUid(uid.type, uid.id);
    if (self !== undefined) {
      for (const a of this.#entities.ancestors(self))
        if (a.type === this.#types.group) holders.push(a.id);
    }
    let resourceUid: ReturnType<EntityStore['internUid']>;
    if (resource !== undefined) resourceUid = this.#entities.internUid(resource.type, resource.id);
    for (const holder of holders) {
      const grants = this.#grants.get(holder);
      if (grants === undefined) continue;
      for (const g of grants.values()) {
        if (g.expiresAt !== undefined) {
          if (g.expiresAt <= now) continue;
          validUntil = Math.min(validUntil, g.expiresAt);
        }
        if (g.scope !== GLOBAL) {
          scoped = true;
          if (resource === undefined) continue;
          if (g.scope !== resource.text) {
            const scope = g.scopeRef as Scope;
            const scopeUid = this.#entities.internUid(scope.type, scope.id);
            if (resourceUid === undefined || scopeUid === undefined) continue;
            if (!this.#entities.isDescendant(resourceUid, scopeUid)) continue;
          }
        }
        direct.add(g.role);
      }
    }
    const out = new Set<string>();
    const visit = (role: string) => {
      if (out.has(role)) return;
      out.add(role);
      for (const parent of this.#roles.get(role)?.inherits ?? []) visit(parent);
    };
    for (const role of direct) visit(role);
    return { roles: out, scoped, validUntil };
  }
}
