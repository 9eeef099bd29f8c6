/**
 * The policy index: which compiled policies can apply to a request, without looking at the
 * others. First by action — an exact uid, or an action group resolved against the store's
 * action hierarchy (memoised per ancestor set of the action, which the store replaces, never
 * mutates, when the hierarchy changes) — then, inside the action's group, by principal and by
 * resource: the `==` uid, the `in` target (reached through the entity's ancestors), the `is`
 * type, or "any". A request walks the smaller of the two candidate lists.
 */
import type { CompiledPolicy } from './compile.js';
import type { ScopeConstraint } from './ast.js';
import type { EntityUID } from './values.js';

/** What the index reads from an entity store. */
export interface IndexStore {
  /** The uid's strict ancestors as an immutable set (replaced when they change), if any. */
  ancestorSet(uid: EntityUID): ReadonlySet<{ readonly uid: EntityUID }> | undefined;
  isDescendant(child: EntityUID, ancestor: EntityUID): boolean;
}

/** A compiled policy with its position in the set. */
export interface IndexEntry {
  readonly policy: CompiledPolicy;
  readonly position: number;
  readonly forbid: boolean;
}

type TwoLevel<T> = Map<string, Map<string, T>>;

function get2<T>(m: TwoLevel<T>, uid: EntityUID): T | undefined {
  return m.get(uid.type)?.get(uid.id);
}

function push2<T>(m: TwoLevel<T[]>, uid: EntityUID, v: T): void {
  let byId = m.get(uid.type);
  if (byId === undefined) {
    byId = new Map();
    m.set(uid.type, byId);
  }
  const list = byId.get(uid.id);
  if (list === undefined) byId.set(uid.id, [v]);
  else list.push(v);
}

/** Candidates along one dimension (principal or resource) of one action group. */
class DimensionIndex {
  readonly #eq: TwoLevel<IndexEntry[]> = new Map();
  readonly #in: TwoLevel<IndexEntry[]> = new Map();
  readonly #inTargets: { uid: EntityUID; entries: IndexEntry[] }[] = [];
  readonly #byType = new Map<string, IndexEntry[]>();
  readonly #any: IndexEntry[] = [];

  constructor(entries: readonly IndexEntry[], part: 'principal' | 'resource') {
    for (const e of entries) {
      const ast = e.policy.policy.ast;
      const c: ScopeConstraint = part === 'principal' ? ast.principal : ast.resource;
      if (c.op === '==' && c.target.kind === 'entity') push2(this.#eq, c.target.uid, e);
      else if (c.op === 'in' && c.target.kind === 'entity') this.#addIn(c.target.uid, e);
      else if (c.op === 'is' && c.in?.kind === 'entity') this.#addIn(c.in.uid, e);
      else if (c.op === 'is' && c.in === undefined) {
        const list = this.#byType.get(c.entityType);
        if (list === undefined) this.#byType.set(c.entityType, [e]);
        else list.push(e);
      } else this.#any.push(e);
    }
  }

  #addIn(uid: EntityUID, e: IndexEntry): void {
    const list = get2(this.#in, uid);
    if (list === undefined) {
      const entries = [e];
      let byId = this.#in.get(uid.type);
      if (byId === undefined) {
        byId = new Map();
        this.#in.set(uid.type, byId);
      }
      byId.set(uid.id, entries);
      this.#inTargets.push({ uid, entries });
    } else list.push(e);
  }

  /**
   * Appends to `out` the lists of entries whose scope part can match `uid` (each entry appears
   * in exactly one list) and returns how many entries that is.
   */
  /**
   * The buckets of a uid, remembered with the ancestor set they were computed from: the result
   * depends only on the uid and its ancestors, and an ancestor set is replaced (never mutated)
   * when the hierarchy changes, so an identical set means an identical answer.
   */
  readonly #memo = new WeakMap<
    EntityUID,
    {
      readonly ancestors: ReadonlySet<unknown> | undefined;
      readonly buckets: IndexEntry[][];
      readonly n: number;
    }
  >();

  collect(uid: EntityUID, store: IndexStore, out: IndexEntry[][]): number {
    const ancestors = this.#inTargets.length === 0 ? undefined : store.ancestorSet(uid);
    const memo = this.#memo.get(uid);
    if (memo !== undefined && memo.ancestors === ancestors) {
      for (const b of memo.buckets) out.push(b);
      return memo.n;
    }
    const buckets: IndexEntry[][] = [];
    const n = this.#collect(uid, store, buckets, ancestors);
    this.#memo.set(uid, { ancestors, buckets, n });
    for (const b of buckets) out.push(b);
    return n;
  }

  #collect(
    uid: EntityUID,
    store: IndexStore,
    out: IndexEntry[][],
    ancestors: ReadonlySet<{ readonly uid: EntityUID }> | undefined,
  ): number {
    let n = 0;
    const eq = get2(this.#eq, uid);
    if (eq !== undefined) {
      out.push(eq);
      n += eq.length;
    }
    const typed = this.#byType.get(uid.type);
    if (typed !== undefined) {
      out.push(typed);
      n += typed.length;
    }
    if (this.#any.length > 0) {
      out.push(this.#any);
      n += this.#any.length;
    }
    const targets = this.#inTargets;
    if (targets.length === 0) return n;
    const self = get2(this.#in, uid);
    if (self !== undefined) {
      out.push(self);
      n += self.length;
    }
    if (ancestors === undefined) return n;
    if (ancestors.size <= targets.length) {
      for (const a of ancestors) {
        const list = get2(this.#in, a.uid);
        if (list !== undefined) {
          out.push(list);
          n += list.length;
        }
      }
    } else {
      for (const t of targets) {
        if (store.isDescendant(uid, t.uid)) {
          out.push(t.entries);
          n += t.entries.length;
        }
      }
    }
    return n;
  }
}

/** The policies that can apply to one action, with their principal and resource indexes. */
export class ActionGroup {
  readonly entries: readonly IndexEntry[];
  readonly principal: DimensionIndex;
  readonly resource: DimensionIndex;
  constructor(entries: readonly IndexEntry[]) {
    this.entries = entries;
    this.principal = new DimensionIndex(entries, 'principal');
    this.resource = new DimensionIndex(entries, 'resource');
  }
}

export class PolicyIndex {
  readonly entries: readonly IndexEntry[];
  readonly #anyAction: IndexEntry[] = [];
  readonly #eqAction: TwoLevel<IndexEntry[]> = new Map();
  readonly #inAction: TwoLevel<IndexEntry[]> = new Map();
  readonly #anyGroup: ActionGroup;
  /** Groups of actions whose group depends on the uid only (no `action in` or no ancestors). */
  readonly #byUid: TwoLevel<ActionGroup> = new Map();
  /**
   * Groups keyed by the action's ancestor set (one per store and hierarchy version), then by the
   * action's key (a store may share one ancestor set between several actions).
   */
  readonly #byAncestors = new WeakMap<object, Map<string, ActionGroup>>();

  constructor(policies: readonly CompiledPolicy[]) {
    this.entries = policies.map((policy, position) => ({
      policy,
      position,
      forbid: policy.effect === 'forbid',
    }));
    for (const e of this.entries) {
      const a = e.policy.policy.ast.action;
      if (a.op === 'all') this.#anyAction.push(e);
      else if (a.op === '==') push2(this.#eqAction, a.uid, e);
      else for (const u of a.uids) push2(this.#inAction, u, e);
    }
    this.#anyGroup = new ActionGroup(this.#anyAction);
  }

  /** The policies whose action scope matches `action` in `store`. */
  group(store: IndexStore, action: EntityUID): ActionGroup {
    const ancestors = this.#inAction.size === 0 ? undefined : store.ancestorSet(action);
    if (ancestors === undefined) {
      const g = get2(this.#byUid, action);
      if (g !== undefined) return g;
      if (
        get2(this.#eqAction, action) === undefined &&
        get2(this.#inAction, action) === undefined
      ) {
        return this.#anyGroup;
      }
      const built = this.#build(action, undefined);
      let byId = this.#byUid.get(action.type);
      if (byId === undefined) {
        byId = new Map();
        this.#byUid.set(action.type, byId);
      }
      byId.set(action.id, built);
      return built;
    }
    let byAction = this.#byAncestors.get(ancestors);
    if (byAction === undefined) {
      byAction = new Map();
      this.#byAncestors.set(ancestors, byAction);
    }
    let g = byAction.get(action.key);
    if (g === undefined) {
      g = this.#build(action, ancestors);
      byAction.set(action.key, g);
    }
    return g;
  }

  #build(action: EntityUID, ancestors: ReadonlySet<{ readonly uid: EntityUID }> | undefined) {
    const seen = new Set<IndexEntry>();
    const add = (list: readonly IndexEntry[] | undefined) => {
      if (list !== undefined) for (const e of list) seen.add(e);
    };
    add(this.#anyAction);
    add(get2(this.#eqAction, action));
    add(get2(this.#inAction, action));
    if (ancestors !== undefined) for (const a of ancestors) add(get2(this.#inAction, a.uid));
    return new ActionGroup([...seen].sort((x, y) => x.position - y.position));
  }
}
