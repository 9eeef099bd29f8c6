/**
 * The entity store: entities in Cedar's JSON entity format, looked up by `{type, id}` through a
 * two-level map, with a precomputed ancestor index (the transitive closure of `parents`) that
 * answers `in` in O(1) and is updated incrementally: an upsert or removal recomputes the
 * ancestor sets of the changed entities and their descendants only.
 */
import { policyErrors } from './errors.js';
import { DEFAULT_POLICY_LIMITS } from './options.js';
import type { CedarJsonValue, EntityJson, EntityRef, PolicyLimits } from './types.js';
import type { EntityLookup } from './internal/ops.js';
import { uidFromRef, uidToJson, valueFromJson, valueToJson } from './internal/json-values.js';
import { CedarRecord, type EntityUID, type Value } from './internal/values.js';

/** One entity as stored: attributes, declared parents and tags. */
export interface StoredEntity {
  readonly uid: EntityUID;
  readonly attrs: CedarRecord;
  readonly parents: readonly EntityUID[];
  readonly tags: ReadonlyMap<string, Value>;
}

export interface EntityStoreOptions {
  /** Limits on entity data. @default DEFAULT_POLICY_LIMITS */
  readonly limits?: Partial<PolicyLimits>;
}

/**
 * A vertex of the hierarchy: an entity, or a uid only named as a parent (Cedar counts such a
 * uid as an ancestor even though it has no data). `ancestors` is never mutated in place: a
 * change replaces the set, so a reader (and the authorizer's memo) sees one consistent version.
 */
interface Node {
  readonly uid: EntityUID;
  entity: StoredEntity | undefined;
  parents: Node[];
  readonly children: Set<Node>;
  ancestors: ReadonlySet<Node>;
}

const NO_ANCESTORS: ReadonlySet<Node> = new Set<Node>();
const EMPTY_ATTRS = new CedarRecord(new Map());
const EMPTY_TAGS: ReadonlyMap<string, Value> = new Map();
const ENTITY_KEYS = new Set(['uid', 'attrs', 'parents', 'tags']);

function invalid(message: string, entity?: EntityUID): never {
  throw policyErrors.create('E_INVALID_ENTITY', message, {
    details: entity === undefined ? {} : { entity: entity.key },
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export class EntityStore implements EntityLookup {
  readonly #limits: PolicyLimits;
  readonly #nodes = new Map<string, Map<string, Node>>();
  #size = 0;
  #version = 0;
  #reindexed = 0;

  constructor(options: EntityStoreOptions = {}) {
    this.#limits = { ...DEFAULT_POLICY_LIMITS, ...options.limits };
  }

  /** A store loaded from Cedar's JSON entity format (an array, or its JSON text). */
  static fromJson(json: readonly EntityJson[] | string, options: EntityStoreOptions = {}) {
    let list: unknown = json;
    if (typeof json === 'string') {
      try {
        list = JSON.parse(json) as unknown;
      } catch (e) {
        throw policyErrors.create('E_INVALID_ENTITY', 'entity JSON does not parse', { cause: e });
      }
    }
    const store = new EntityStore(options);
    store.upsert(list as readonly EntityJson[]);
    return store;
  }

  /** Number of entities (uids only named as parents do not count). */
  get size(): number {
    return this.#size;
  }

  /** Increases on every successful change. */
  get version(): number {
    return this.#version;
  }

  /** How many ancestor sets the last upsert or removal recomputed (the incremental index's work). */
  get lastReindexed(): number {
    return this.#reindexed;
  }

  /**
   * Inserts or replaces entities. Malformed entities, a uid given twice, or parents that would
   * form a cycle throw `E_INVALID_ENTITY` naming the entity, and the store is unchanged.
   */
  upsert(entities: readonly EntityJson[]): void {
    if (!Array.isArray(entities)) invalid('entities must be an array of Cedar JSON entities');
    const staged = new Map<string, StoredEntity>();
    let added = 0;
    for (let i = 0; i < entities.length; i++) {
      const e = this.#parseEntity(entities[i], i);
      if (staged.has(e.uid.key)) invalid(`entity ${e.uid.key} is given twice`, e.uid);
      staged.set(e.uid.key, e);
      if (this.get(e.uid) === undefined) added++;
    }
    if (this.#size + added > this.#limits.maxEntities) {
      throw policyErrors.create(
        'E_LIMIT_EXCEEDED',
        `an entity store holds at most ${this.#limits.maxEntities} entities`,
        { details: { limit: 'maxEntities', value: this.#limits.maxEntities } },
      );
    }
    this.#checkAcyclic(staged);

    const changed: Node[] = [];
    for (const e of staged.values()) {
      const node = this.#nodeOrCreate(e.uid);
      if (node.entity === undefined) this.#size++;
      node.entity = e;
      const parents = e.parents.map((p) => this.#nodeOrCreate(p));
      if (!sameNodes(node.parents, parents)) {
        for (const p of node.parents) p.children.delete(node);
        node.parents = parents;
        for (const p of parents) p.children.add(node);
        changed.push(node);
      }
    }
    this.#reindex(changed);
    this.#version++;
  }

  /** Removes entities (unknown uids are ignored). Children keep naming a removed parent. */
  remove(refs: readonly EntityRef[]): void {
    if (!Array.isArray(refs)) invalid('remove takes an array of entity references');
    const uids = refs.map((r, i) => uidFromRef(r, 'E_INVALID_ENTITY', `remove[${i}]`));
    const changed: Node[] = [];
    for (const uid of uids) {
      const node = this.#node(uid);
      if (node?.entity === undefined) continue;
      node.entity = undefined;
      this.#size--;
      const oldParents = node.parents;
      for (const p of oldParents) p.children.delete(node);
      node.parents = [];
      changed.push(node);
      for (const p of oldParents) this.#dropIfUnused(p);
    }
    this.#reindex(changed);
    for (const node of changed) this.#dropIfUnused(node);
    this.#version++;
  }

  /** The entity with that uid, if stored. */
  get(uid: EntityUID): StoredEntity | undefined {
    return this.#nodes.get(uid.type)?.get(uid.id)?.entity;
  }

  /** True when `ancestor` is a strict ancestor of `child` through `parents` (O(1)). */
  isDescendant(child: EntityUID, ancestor: EntityUID): boolean {
    const c = this.#nodes.get(child.type)?.get(child.id);
    if (c === undefined || c.ancestors.size === 0) return false;
    const a = this.#nodes.get(ancestor.type)?.get(ancestor.id);
    return a !== undefined && c.ancestors.has(a);
  }

  /** Every strict ancestor of `uid` (uids only named as parents included). */
  ancestors(uid: EntityUID): EntityUID[] {
    const node = this.#node(uid);
    return node === undefined ? [] : [...node.ancestors].map((a) => a.uid);
  }

  /**
   * The stored uid equal to `{type, id}` (so hot paths reuse one object), or undefined.
   * @internal
   */
  internUid(type: string, id: string): EntityUID | undefined {
    return this.#nodes.get(type)?.get(id)?.uid;
  }

  /**
   * The strict ancestors of `uid` as an immutable set: a change replaces it, never mutates it,
   * so its identity names one version of the hierarchy. Undefined when there are none.
   * @internal
   */
  ancestorSet(uid: EntityUID): ReadonlySet<{ readonly uid: EntityUID }> | undefined {
    const node = this.#nodes.get(uid.type)?.get(uid.id);
    return node === undefined || node.ancestors.size === 0 ? undefined : node.ancestors;
  }

  /** Every stored entity. */
  entities(): StoredEntity[] {
    const out: StoredEntity[] = [];
    for (const byId of this.#nodes.values()) {
      for (const node of byId.values()) if (node.entity !== undefined) out.push(node.entity);
    }
    return out;
  }

  /** The store in Cedar's JSON entity format (`fromJson(toJson())` is an equal store). */
  toJson(): EntityJson[] {
    return this.entities().map((e) => {
      const out: {
        uid: { type: string; id: string };
        attrs: Record<string, CedarJsonValue>;
        parents: { type: string; id: string }[];
        tags?: Record<string, CedarJsonValue>;
      } = {
        uid: uidToJson(e.uid),
        attrs: Object.fromEntries([...e.attrs.attrs].map(([k, v]) => [k, valueToJson(v)])),
        parents: e.parents.map(uidToJson),
      };
      if (e.tags.size > 0) {
        out.tags = Object.fromEntries([...e.tags].map(([k, v]) => [k, valueToJson(v)]));
      }
      return out;
    });
  }

  #node(uid: EntityUID): Node | undefined {
    return this.#nodes.get(uid.type)?.get(uid.id);
  }

  #nodeOrCreate(uid: EntityUID): Node {
    let byId = this.#nodes.get(uid.type);
    if (byId === undefined) {
      byId = new Map();
      this.#nodes.set(uid.type, byId);
    }
    let node = byId.get(uid.id);
    if (node === undefined) {
      node = { uid, entity: undefined, parents: [], children: new Set(), ancestors: NO_ANCESTORS };
      byId.set(uid.id, node);
    }
    return node;
  }

  #dropIfUnused(node: Node): void {
    if (node.entity !== undefined || node.children.size > 0 || node.parents.length > 0) return;
    const byId = this.#nodes.get(node.uid.type);
    if (byId?.get(node.uid.id) !== node) return;
    byId.delete(node.uid.id);
    if (byId.size === 0) this.#nodes.delete(node.uid.type);
  }

  #parseEntity(json: unknown, index: number): StoredEntity {
    const where = `entities[${index}]`;
    if (!isPlainObject(json))
      invalid(`${where}: an entity must be an object { uid, attrs, parents }`);
    const uid = uidFromRef(json.uid, 'E_INVALID_ENTITY', `${where}.uid`);
    const name = `entity ${uid.key}`;
    for (const k of Object.keys(json)) {
      if (!ENTITY_KEYS.has(k)) invalid(`${name}: unknown key ${JSON.stringify(k)}`, uid);
    }
    const limits = this.#limits;
    const attrs = json.attrs === undefined ? EMPTY_ATTRS : this.#record(json.attrs, name, 'attrs');
    const parents: EntityUID[] = [];
    if (json.parents !== undefined) {
      if (!Array.isArray(json.parents)) invalid(`${name}: parents must be an array`, uid);
      if (json.parents.length > limits.maxArrayLength) {
        invalid(`${name}: more than ${limits.maxArrayLength} parents`, uid);
      }
      const seen = new Set<string>();
      json.parents.forEach((p: unknown, i: number) => {
        const parent = uidFromRef(p, 'E_INVALID_ENTITY', `${name} parents[${i}]`);
        if (parent.equals(uid)) invalid(`${name}: an entity cannot be its own parent`, uid);
        if (!seen.has(parent.key)) {
          seen.add(parent.key);
          parents.push(parent);
        }
      });
    }
    const tags = json.tags === undefined ? EMPTY_TAGS : this.#record(json.tags, name, 'tags').attrs;
    return Object.freeze({ uid, attrs, parents: Object.freeze(parents), tags });
  }

  #record(json: unknown, name: string, what: string): CedarRecord {
    if (!isPlainObject(json)) invalid(`${name}: ${what} must be an object`);
    const v = valueFromJson(json, this.#limits, `${name} ${what}`, 'E_INVALID_ENTITY');
    if (!(v instanceof CedarRecord)) invalid(`${name}: ${what} must be a record`);
    return v;
  }

  /** Rejects a batch whose parents (with the rest of the store) would form a cycle. */
  #checkAcyclic(staged: ReadonlyMap<string, StoredEntity>): void {
    const parentsOf = (uid: EntityUID): readonly EntityUID[] =>
      staged.get(uid.key)?.parents ?? this.#node(uid)?.parents.map((p) => p.uid) ?? [];
    const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
    for (const e of staged.values()) {
      if (state.has(e.uid.key)) continue;
      // Iterative DFS over the new parent relation.
      const stack: { uid: EntityUID; next: number; parents: readonly EntityUID[] }[] = [
        { uid: e.uid, next: 0, parents: parentsOf(e.uid) },
      ];
      state.set(e.uid.key, 1);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.next === top.parents.length) {
          state.set(top.uid.key, 2);
          stack.pop();
          continue;
        }
        const p = top.parents[top.next++]!;
        const s = state.get(p.key);
        if (s === 1) invalid(`entity ${e.uid.key}: parents form a cycle through ${p.key}`, e.uid);
        if (s === 2) continue;
        const pNode = this.#node(p);
        // An untouched node whose ancestors hold no staged entity cannot reach back into the batch.
        if (!staged.has(p.key) && pNode !== undefined && !reachesStaged(pNode, staged)) {
          state.set(p.key, 2);
          continue;
        }
        state.set(p.key, 1);
        stack.push({ uid: p, next: 0, parents: parentsOf(p) });
      }
    }
  }

  /**
   * Recomputes the ancestor sets of `changed` and all their descendants, parents before
   * children; nothing else is touched. A set whose content is unchanged keeps its identity.
   */
  #reindex(changed: readonly Node[]): void {
    this.#reindexed = 0;
    if (changed.length === 0) return;
    const affected = new Set<Node>();
    const queue = [...changed];
    for (let i = 0; i < queue.length; i++) {
      const n = queue[i]!;
      if (affected.has(n)) continue;
      affected.add(n);
      for (const c of n.children) if (!affected.has(c)) queue.push(c);
    }
    const pending = new Map<Node, number>();
    for (const n of affected) {
      let k = 0;
      for (const p of n.parents) if (affected.has(p)) k++;
      pending.set(n, k);
    }
    const ready: Node[] = [];
    for (const [n, k] of pending) if (k === 0) ready.push(n);
    while (ready.length > 0) {
      const n = ready.pop()!;
      const next = new Set<Node>();
      for (const p of n.parents) {
        next.add(p);
        for (const a of p.ancestors) next.add(a);
      }
      if (!sameSet(n.ancestors, next)) n.ancestors = next.size === 0 ? NO_ANCESTORS : next;
      this.#reindexed++;
      for (const c of n.children) {
        const k = pending.get(c);
        if (k === undefined) continue;
        if (k === 1) ready.push(c);
        pending.set(c, k - 1);
      }
    }
  }
}

function reachesStaged(node: Node, staged: ReadonlyMap<string, StoredEntity>): boolean {
  for (const a of node.ancestors) if (staged.has(a.uid.key)) return true;
  return false;
}

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  for (const n of b) if (!set.has(n)) return false;
  return true;
}

function sameSet(a: ReadonlySet<Node>, b: ReadonlySet<Node>): boolean {
  if (a.size !== b.size) return false;
  for (const n of a) if (!b.has(n)) return false;
  return true;
}
