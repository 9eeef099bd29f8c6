/**
 * The directory: users, service accounts, groups and roles as Cedar entities, and role
 * assignments, global or scoped to a tenant or any other resource. Records live in
 * `@plinth/storage`; the directory keeps a live `@plinth/policy` EntityStore built from them,
 * updated on every write and, through the store's change feed, on writes made by other instances.
 *
 * The Cedar model (type names configurable):
 * - `User::"alice"` and `ServiceAccount::"ci"`: parents are the groups the principal belongs to
 *   and the roles assigned to it globally, so `principal in Role::"editor"` holds for them;
 * - `Group::"eng"`: parents are its parent groups and its global roles (members inherit them);
 * - `Role::"admin"`: parents are the roles it inherits, so a holder of `admin` is `in` `editor`;
 * - a scoped assignment (alice is `editor` in `Tenant::"acme"`) is not a parent edge: it applies
 *   to a request whose resource is the scope or is `in` it, and `authorize()` passes the roles that
 *   apply as `context.roles` (a set of Role entities, inheritance included).
 */
import {
  Lifecycle,
  TypedEmitter,
  checkName,
  describeValue,
  noopLogger,
  systemClock,
  type Clock,
  type Logger,
} from '@plinth/core';
import type { EntityRef, EntityStore } from '@plinth/policy';
import type { CollectionDefinitions, Store, StoreChange, Transaction } from '@plinth/storage';
import { accessErrors } from './errors.js';
import type { AccessEvents } from './events.js';
import { checkAttributes, parseScope, type Scope } from './internal/directory-input.js';
import {
  C,
  DirectoryState,
  GLOBAL,
  notFound,
  type AssignmentRecord,
  type DirectoryTypes,
  type PrincipalKind,
  type PrincipalRecord,
  type RoleRecord,
} from './internal/directory-state.js';
import { sha256Hex } from './internal/secrets.js';
import { storageCall } from './internal/storage.js';
import { DEFAULT_ACCESS_LIMITS } from './options.js';
import type { AuditRecordInput, AuditSink, JsonValue } from './types.js';

const COLLECTIONS: CollectionDefinitions = {
  [C.principals]: { indexes: { byKind: { fields: ['kind', 'id'] } } },
  [C.roles]: {},
  [C.assignments]: {
    indexes: {
      byPrincipal: { fields: ['principal', 'role'] },
      byRole: { fields: ['role', 'principal'] },
    },
  },
};

export interface DirectoryOptions {
  /** An open `@plinth/storage` store. */
  readonly store: Store;
  /** Cedar type names. @default DEFAULT_DIRECTORY_TYPES */
  readonly types?: Partial<DirectoryTypes>;
  /** Apply changes other instances make (through the change feed). @default true */
  readonly follow?: boolean;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Receives principal.* and role.* records. */
  readonly audit?: AuditSink;
}

export const DEFAULT_DIRECTORY_TYPES: Readonly<DirectoryTypes> = Object.freeze({
  user: 'User',
  service: 'ServiceAccount',
  group: 'Group',
  role: 'Role',
});

/** Who made an administrative change, for the audit log. */
export interface ChangeContext {
  readonly actor?: string;
  readonly source?: string;
}

export type {
  AssignmentRecord,
  DirectoryTypes,
  PrincipalKind,
  PrincipalRecord,
  RoleRecord,
} from './internal/directory-state.js';

type Doc<T> = { -readonly [K in keyof T]: T[K] } & { [field: string]: unknown };

/** An assignment's storage key: fixed length, any characters in the names (PostgreSQL-safe). */
function assignmentKey(principal: string, role: string, scope: string): string {
  return sha256Hex(JSON.stringify([principal, role, scope]));
}

function exists(what: string, id: string): never {
  throw accessErrors.create('E_EXISTS', `${what} ${JSON.stringify(id)} already exists`, {
    details: { [what]: id },
  });
}

export class Directory extends TypedEmitter<AccessEvents> {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #audit: AuditSink | undefined;
  readonly #types: DirectoryTypes;
  readonly #life: Lifecycle;
  readonly #state: DirectoryState;
  #unwatch: (() => Promise<void>) | undefined;

  private constructor(options: DirectoryOptions) {
    super();
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#audit = options.audit;
    this.#types = { ...DEFAULT_DIRECTORY_TYPES, ...options.types };
    this.#life = new Lifecycle('@plinth/access', 'Directory', () => this.#unwatch?.());
    this.#state = new DirectoryState(this.#types, this.#clock);
    for (const [name, type] of Object.entries(this.#types)) {
      if (
        typeof type !== 'string' ||
        !/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/.test(type)
      ) {
        throw accessErrors.create(
          'E_INVALID_OPTION',
          `types.${name} must be a Cedar entity type name`,
          {
            details: { option: `types.${name}` },
          },
        );
      }
    }
    if (new Set(Object.values(this.#types)).size !== 4) {
      throw accessErrors.create('E_INVALID_OPTION', 'types must name four different entity types', {
        details: { option: 'types' },
      });
    }
  }

  /** Opens the directory: declares its collections, loads every record, follows changes. */
  static async open(options: DirectoryOptions): Promise<Directory> {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.store?.ensureCollections !== 'function'
    ) {
      throw accessErrors.create(
        'E_INVALID_OPTION',
        'Directory needs { store } (an open @plinth/storage Store)',
        {
          details: { option: 'store' },
        },
      );
    }
    const directory = new Directory(options);
    await directory.#load(options.follow ?? true);
    return directory;
  }

  async #load(follow: boolean): Promise<void> {
    const store = this.#store;
    await storageCall(() => store.ensureCollections(COLLECTIONS));
    const from = await storageCall(() => store.lastSeq());
    for (const name of [C.roles, C.principals, C.assignments]) {
      let cursor: string | undefined;
      do {
        const page = await storageCall(() =>
          store.collection(name).list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) }),
        );
        for (const entry of page.items)
          this.#state.apply(name, entry.key, entry.value, entry.version);
        cursor = page.cursor;
      } while (cursor !== undefined);
    }
    if (follow) {
      this.#unwatch = await storageCall(() =>
        store.watch((change) => this.#onChange(change), { after: from }),
      );
    }
  }

  async #onChange(change: StoreChange): Promise<void> {
    const name = change.collection;
    if (name !== C.principals && name !== C.roles && name !== C.assignments) return;
    const entry = await this.#store.collection(name).get(change.key);
    if (entry === undefined) this.#state.apply(name, change.key, undefined, change.seq);
    else this.#state.apply(name, change.key, entry.value, entry.version);
  }

  /** The live Cedar entity store (principals, groups, roles; hosts may add resource entities). */
  get entities(): EntityStore {
    return this.#state.entities;
  }

  /** The Cedar type names in use. */
  get types(): DirectoryTypes {
    return this.#types;
  }

  /** The Cedar uid of a principal record (or of a stored principal id). */
  uidOf(principal: PrincipalRecord | string): { type: string; id: string } {
    return this.#state.uidOf(principal);
  }

  getPrincipal(id: string): PrincipalRecord | undefined {
    return this.#state.getPrincipal(id);
  }

  getRole(name: string): RoleRecord | undefined {
    return this.#state.getRole(name);
  }

  /** Principals (users, service accounts, groups) in id order, optionally of one kind. */
  principals(kind?: PrincipalKind): PrincipalRecord[] {
    return this.#state.principals(kind);
  }

  roles(): RoleRecord[] {
    return this.#state.roles();
  }

  /** The assignments of a principal (its own, not those of its groups). */
  assignmentsOf(principal: string): AssignmentRecord[] {
    return this.#state.assignmentsOf(principal);
  }

  /**
   * The roles that apply to `principal` on `resource`, inheritance included, sorted: its global
   * roles and those of its groups, and roles assigned in a scope the resource is or is `in`.
   * Without a resource, only global roles. Expired assignments do not count.
   */
  rolesFor(principal: string, resource?: EntityRef): string[] {
    return this.#state.rolesFor(principal, resource);
  }

  /**
   * @internal The sorted roles behind {@link rolesFor}, for authorize(): one frozen array per
   * directory state for a principal without scoped assignments, so callers can key on it.
   */
  effectiveRoles(principal: PrincipalRecord, resource: Scope | undefined): readonly string[] {
    return this.#state.effectiveRoles(principal, resource);
  }

  // ---- principals ---------------------------------------------------------------------------

  /** Creates a user, service account or group. `E_EXISTS` if the id is taken. */
  async createPrincipal(
    input: {
      readonly id: string;
      readonly kind?: PrincipalKind;
      readonly attrs?: { readonly [name: string]: JsonValue };
      readonly groups?: readonly string[];
      readonly disabled?: boolean;
    },
    ctx: ChangeContext = {},
  ): Promise<PrincipalRecord> {
    this.#life.assertOpen('createPrincipal');
    if (typeof input !== 'object' || input === null) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'createPrincipal needs { id, kind? }');
    }
    const id = this.#name(input.id, 'principal id');
    const kind = input.kind ?? 'user';
    if (kind !== 'user' && kind !== 'service' && kind !== 'group') {
      throw accessErrors.create('E_INVALID_ARGUMENT', `kind must be user, service or group`, {
        details: { kind: describeValue(kind) },
      });
    }
    const attrs = checkAttributes(input.attrs ?? {});
    const groups = this.#names(input.groups ?? [], 'group');
    const now = this.#clock.now();
    const record: PrincipalRecord = {
      id,
      kind,
      attrs,
      groups,
      disabled: input.disabled === true,
      createdAt: now,
      updatedAt: now,
    };
    const entry = await this.#write(async (tx) => {
      const c = tx.collection<Doc<PrincipalRecord>>(C.principals);
      if (await c.has(id)) exists('principal', id);
      await this.#checkGroups(tx, id, groups);
      return c.insert(id, { ...record });
    });
    this.#state.apply(C.principals, id, entry.value, entry.version);
    this.emit('principal:created', { at: now, principal: id, kind });
    await this.#record(
      { type: 'principal.created', subject: id, outcome: 'success', data: { kind } },
      ctx,
    );
    return record;
  }

  /** Changes a principal's attributes, groups or disabled flag. */
  async updatePrincipal(
    id: string,
    patch: {
      readonly attrs?: { readonly [name: string]: JsonValue };
      readonly groups?: readonly string[];
      readonly disabled?: boolean;
    },
    ctx: ChangeContext = {},
  ): Promise<PrincipalRecord> {
    this.#life.assertOpen('updatePrincipal');
    this.#name(id, 'principal id');
    if (typeof patch !== 'object' || patch === null) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'updatePrincipal needs a patch object');
    }
    const attrs = patch.attrs === undefined ? undefined : checkAttributes(patch.attrs);
    const groups = patch.groups === undefined ? undefined : this.#names(patch.groups, 'group');
    if (patch.disabled !== undefined && typeof patch.disabled !== 'boolean') {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'disabled must be a boolean');
    }
    const now = this.#clock.now();
    const entry = await this.#write(async (tx) => {
      const c = tx.collection<Doc<PrincipalRecord>>(C.principals);
      const current = await c.get(id);
      if (current === undefined) return notFound('principal', id);
      if (groups !== undefined) await this.#checkGroups(tx, id, groups);
      const next: Doc<PrincipalRecord> = {
        ...current.value,
        ...(attrs === undefined ? {} : { attrs }),
        ...(groups === undefined ? {} : { groups }),
        ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
        updatedAt: now,
      };
      return c.put(id, next, { ifVersion: current.version });
    });
    this.#state.apply(C.principals, id, entry.value, entry.version);
    this.emit('principal:updated', { at: now, principal: id });
    const changed = Object.keys(patch).filter(
      (k) => k === 'attrs' || k === 'groups' || k === 'disabled',
    );
    await this.#record(
      { type: 'principal.updated', subject: id, outcome: 'success', data: { changed } },
      ctx,
    );
    return entry.value;
  }

  /** Deletes a principal and its assignments. Returns whether it existed. */
  async deletePrincipal(id: string, ctx: ChangeContext = {}): Promise<boolean> {
    this.#life.assertOpen('deletePrincipal');
    this.#name(id, 'principal id');
    const removed: string[] = [];
    const existed = await this.#write(async (tx) => {
      removed.length = 0;
      const c = tx.collection<Doc<PrincipalRecord>>(C.principals);
      if (!(await c.has(id))) return false;
      for (const m of await this.#membersOf(tx, id)) {
        if (m.value.groups.includes(id)) {
          await c.put(
            m.key,
            { ...m.value, groups: m.value.groups.filter((g) => g !== id) },
            { ifVersion: m.version },
          );
        }
      }
      const a = tx.collection<Doc<AssignmentRecord>>(C.assignments);
      for (;;) {
        const page = await a.find('byPrincipal', { eq: [id], limit: 1000 });
        for (const e of page.items) {
          await a.delete(e.key);
          removed.push(e.key);
        }
        if (page.cursor === undefined) break;
      }
      await c.delete(id);
      return true;
    });
    if (!existed) return false;
    for (const key of removed) this.#state.applyDeleted(C.assignments, key);
    this.#state.applyDeleted(C.principals, id);
    this.emit('principal:deleted', { at: this.#clock.now(), principal: id });
    await this.#record({ type: 'principal.deleted', subject: id, outcome: 'success' }, ctx);
    return true;
  }

  /** Principals whose `groups` name `group` (a scan: groups are few next to lookups). */
  async #membersOf(tx: Transaction, group: string) {
    const out = [];
    let cursor: string | undefined;
    do {
      const page = await tx
        .collection<Doc<PrincipalRecord>>(C.principals)
        .list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      for (const e of page.items) if (e.value.groups.includes(group)) out.push(e);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  /** Every group must exist and be a group, and group nesting must stay acyclic. */
  async #checkGroups(tx: Transaction, id: string, groups: readonly string[]): Promise<void> {
    const c = tx.collection<Doc<PrincipalRecord>>(C.principals);
    const seen = new Set<string>();
    const walk = async (g: string, path: string[]): Promise<void> => {
      if (g === id) {
        throw accessErrors.create(
          'E_ROLE_CYCLE',
          `group membership would form a cycle: ${[...path, g].join(' → ')}`,
          {
            details: { path: [...path, g] },
          },
        );
      }
      if (seen.has(g)) return;
      seen.add(g);
      const entry = await c.get(g);
      if (entry === undefined || entry.value.kind !== 'group') {
        throw accessErrors.create('E_NOT_FOUND', `no group ${JSON.stringify(g)}`, {
          details: { group: g },
        });
      }
      for (const parent of entry.value.groups) await walk(parent, [...path, g]);
    };
    for (const g of groups) await walk(g, [id]);
  }

  // ---- roles --------------------------------------------------------------------------------

  /** Creates a role. Inherited roles must exist; the DAG stays acyclic (`E_ROLE_CYCLE`). */
  async createRole(
    input: {
      readonly name: string;
      readonly inherits?: readonly string[];
      readonly description?: string;
    },
    ctx: ChangeContext = {},
  ): Promise<RoleRecord> {
    this.#life.assertOpen('createRole');
    if (typeof input !== 'object' || input === null) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'createRole needs { name, inherits? }');
    }
    const name = this.#name(input.name, 'role');
    const inherits = this.#names(input.inherits ?? [], 'role');
    const description = this.#description(input.description);
    const now = this.#clock.now();
    const record: RoleRecord = {
      name,
      inherits,
      ...(description === undefined ? {} : { description }),
      createdAt: now,
      updatedAt: now,
    };
    const entry = await this.#write(async (tx) => {
      const c = tx.collection<Doc<RoleRecord>>(C.roles);
      if (await c.has(name)) exists('role', name);
      await this.#checkInherits(tx, name, inherits);
      return c.insert(name, { ...record });
    });
    this.#state.apply(C.roles, name, entry.value, entry.version);
    this.emit('role:created', { at: now, role: name });
    await this.#record(
      { type: 'role.created', subject: name, outcome: 'success', data: { inherits } },
      ctx,
    );
    return record;
  }

  /** Changes what a role inherits (cycle-checked) or its description. */
  async updateRole(
    name: string,
    patch: { readonly inherits?: readonly string[]; readonly description?: string },
    ctx: ChangeContext = {},
  ): Promise<RoleRecord> {
    this.#life.assertOpen('updateRole');
    this.#name(name, 'role');
    if (typeof patch !== 'object' || patch === null) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'updateRole needs a patch object');
    }
    const inherits = patch.inherits === undefined ? undefined : this.#names(patch.inherits, 'role');
    const description = this.#description(patch.description);
    const now = this.#clock.now();
    const entry = await this.#write(async (tx) => {
      const c = tx.collection<Doc<RoleRecord>>(C.roles);
      const current = await c.get(name);
      if (current === undefined) return notFound('role', name);
      if (inherits !== undefined) await this.#checkInherits(tx, name, inherits);
      const next: Doc<RoleRecord> = {
        ...current.value,
        ...(inherits === undefined ? {} : { inherits }),
        ...(description === undefined ? {} : { description }),
        updatedAt: now,
      };
      return c.put(name, next, { ifVersion: current.version });
    });
    this.#state.apply(C.roles, name, entry.value, entry.version);
    this.emit('role:updated', { at: now, role: name });
    await this.#record(
      {
        type: 'role.updated',
        subject: name,
        outcome: 'success',
        data: { inherits: entry.value.inherits },
      },
      ctx,
    );
    return entry.value;
  }

  /**
   * Deletes a role and its assignments. A role other roles inherit cannot be deleted
   * (`E_INVALID_ARGUMENT` naming them): change those first.
   */
  async deleteRole(name: string, ctx: ChangeContext = {}): Promise<boolean> {
    this.#life.assertOpen('deleteRole');
    this.#name(name, 'role');
    const removed: string[] = [];
    const existed = await this.#write(async (tx) => {
      removed.length = 0;
      const c = tx.collection<Doc<RoleRecord>>(C.roles);
      if (!(await c.has(name))) return false;
      const heirs: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await c.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
        for (const e of page.items) if (e.value.inherits.includes(name)) heirs.push(e.key);
        cursor = page.cursor;
      } while (cursor !== undefined);
      if (heirs.length > 0) {
        throw accessErrors.create(
          'E_INVALID_ARGUMENT',
          `role ${JSON.stringify(name)} is inherited by ${heirs.join(', ')}`,
          {
            details: { role: name, inheritedBy: heirs },
          },
        );
      }
      const a = tx.collection<Doc<AssignmentRecord>>(C.assignments);
      for (;;) {
        const page = await a.find('byRole', { eq: [name], limit: 1000 });
        for (const e of page.items) {
          await a.delete(e.key);
          removed.push(e.key);
        }
        if (page.cursor === undefined) break;
      }
      await c.delete(name);
      return true;
    });
    if (!existed) return false;
    const now = this.#clock.now();
    for (const key of removed) {
      this.#state.applyDeleted(C.assignments, key);
    }
    this.#state.applyDeleted(C.roles, name);
    this.emit('role:deleted', { at: now, role: name });
    await this.#record({ type: 'role.deleted', subject: name, outcome: 'success' }, ctx);
    return true;
  }

  /** Every inherited role exists, and adding the edges keeps the role graph acyclic. */
  async #checkInherits(tx: Transaction, name: string, inherits: readonly string[]): Promise<void> {
    const c = tx.collection<Doc<RoleRecord>>(C.roles);
    const seen = new Set<string>();
    const walk = async (role: string, path: string[]): Promise<void> => {
      if (role === name) {
        throw accessErrors.create(
          'E_ROLE_CYCLE',
          `role inheritance would form a cycle: ${[...path, role].join(' → ')}`,
          {
            details: { path: [...path, role] },
          },
        );
      }
      if (seen.has(role)) return;
      seen.add(role);
      const entry = await c.get(role);
      if (entry === undefined) notFound('role', role);
      for (const parent of entry.value.inherits) await walk(parent, [...path, role]);
    };
    for (const role of inherits) await walk(role, [name]);
  }

  // ---- assignments --------------------------------------------------------------------------

  /**
   * Assigns a role to a principal or group, globally or in a scope (an entity: a tenant, a
   * project, one document). Assigning again replaces the expiry. Both must exist.
   */
  async assign(
    principal: string,
    role: string,
    options: { readonly scope?: EntityRef; readonly expiresAt?: number } = {},
    ctx: ChangeContext = {},
  ): Promise<AssignmentRecord> {
    this.#life.assertOpen('assign');
    this.#name(principal, 'principal id');
    this.#name(role, 'role');
    const scope = options.scope === undefined ? GLOBAL : parseScope(options.scope).text;
    const { expiresAt } = options;
    if (
      expiresAt !== undefined &&
      (!Number.isSafeInteger(expiresAt) || expiresAt <= this.#clock.now())
    ) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'expiresAt must be a future epoch-ms integer',
      );
    }
    const now = this.#clock.now();
    const key = assignmentKey(principal, role, scope);
    const record: AssignmentRecord = {
      principal,
      role,
      scope,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      createdAt: now,
    };
    const entry = await this.#write(async (tx) => {
      if (!(await tx.collection(C.principals).has(principal))) notFound('principal', principal);
      if (!(await tx.collection(C.roles).has(role))) notFound('role', role);
      return tx.collection<Doc<AssignmentRecord>>(C.assignments).put(key, { ...record });
    });
    this.#state.apply(C.assignments, key, entry.value, entry.version);
    this.emit('role:assigned', { at: now, principal, role, scope });
    await this.#record(
      { type: 'role.assigned', subject: principal, outcome: 'success', data: { role, scope } },
      ctx,
    );
    return record;
  }

  /** Removes an assignment; returns whether it existed. */
  async unassign(
    principal: string,
    role: string,
    options: { readonly scope?: EntityRef } = {},
    ctx: ChangeContext = {},
  ): Promise<boolean> {
    this.#life.assertOpen('unassign');
    this.#name(principal, 'principal id');
    this.#name(role, 'role');
    const scope = options.scope === undefined ? GLOBAL : parseScope(options.scope).text;
    const key = assignmentKey(principal, role, scope);
    const existed = await this.#write((tx) => tx.collection(C.assignments).delete(key));
    if (!existed) return false;
    this.#state.applyDeleted(C.assignments, key);
    this.emit('role:unassigned', { at: this.#clock.now(), principal, role, scope });
    await this.#record(
      { type: 'role.unassigned', subject: principal, outcome: 'success', data: { role, scope } },
      ctx,
    );
    return true;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  #name(value: unknown, what: string): string {
    return checkName(value, {
      what,
      package: '@plinth/access',
      maxLength: DEFAULT_ACCESS_LIMITS.maxNameLength,
    });
  }

  #names(values: unknown, what: string): string[] {
    if (!Array.isArray(values)) {
      throw accessErrors.create('E_INVALID_ARGUMENT', `${what}s must be an array of names`);
    }
    if (values.length > 1000) {
      throw accessErrors.create('E_LIMIT_EXCEEDED', `at most 1000 ${what}s`, {
        details: { limit: what },
      });
    }
    return [...new Set(values.map((v) => this.#name(v, what)))];
  }

  #description(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length > 4096) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        'description must be a string of at most 4096 characters',
      );
    }
    return value;
  }

  #write<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return storageCall(() => this.#store.transaction(fn, { retry: { attempts: 5 } }));
  }

  async #record(record: AuditRecordInput, ctx: ChangeContext): Promise<void> {
    if (this.#audit === undefined) return;
    try {
      await this.#audit.append({
        ...record,
        ...(ctx.actor === undefined ? {} : { actor: ctx.actor }),
        ...(ctx.source === undefined ? {} : { source: ctx.source }),
      });
    } catch (error) {
      this.#logger.error({ err: error }, 'the audit log refused a directory record');
      throw error;
    }
  }

  /** Stops following the change feed. Idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
