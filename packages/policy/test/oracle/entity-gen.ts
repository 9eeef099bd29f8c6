/**
 * Entity stores in Cedar's JSON entity format over the universe's uids: a random subset of the
 * uids is stored (the rest are "missing entities" that requests and policies still name), each
 * with attributes, tags, and parents that form a DAG. The DAG comes from a random order: an
 * entity's parents are drawn from the entities after it in that order, plus uids that are not
 * stored (Cedar counts a parent without data as an ancestor). Actions get parents among actions
 * (so `action in Action::"readers"` has a hierarchy to walk), other entities among the rest.
 */
import fc from 'fast-check';
import { jsonRecordOver, type JsonValue } from './value-gen.js';
import { ACTION_UIDS, ATTRS, ENTITY_UIDS, TAGS, type Uid } from './universe.js';

export interface GEntity {
  readonly uid: Uid;
  readonly attrs: { readonly [key: string]: JsonValue };
  readonly parents: readonly Uid[];
  /** Absent (rather than `{}`) on some entities, as hosts write them. */
  readonly tags?: { readonly [key: string]: JsonValue };
}

const uidKey = (u: Uid): string => `${u.type}::${JSON.stringify(u.id)}`;

/** Parents for the entity at `i` of `order`: later entities, and uids from `outside`. */
function parentsArb(
  order: readonly Uid[],
  i: number,
  outside: readonly Uid[],
): fc.Arbitrary<Uid[]> {
  const candidates = [...order.slice(i + 1), ...outside];
  if (candidates.length === 0) return fc.constant([]);
  return fc.subarray(candidates, { maxLength: Math.min(3, candidates.length) }).chain((ps) =>
    // Rarely list one parent twice: both engines must treat `parents` as a set.
    fc.nat(19).map((n) => (n === 0 && ps.length > 0 ? [...ps, ps[0]!] : ps)),
  );
}

function groupArb(
  pool: readonly Uid[],
  minLength: number,
  maxLength: number,
  withData: boolean,
): fc.Arbitrary<GEntity[]> {
  return fc.shuffledSubarray([...pool], { minLength, maxLength }).chain((order) => {
    const stored = new Set(order.map(uidKey));
    const outside = pool.filter((u) => !stored.has(uidKey(u)));
    return fc
      .tuple(
        ...order.map((_, i) =>
          fc.record({
            parents: parentsArb(order, i, outside),
            attrs: withData ? jsonRecordOver(ATTRS, 45) : fc.constant({}),
            tags: withData ? fc.option(jsonRecordOver(TAGS, 50), { freq: 4 }) : fc.constant(null),
          }),
        ),
      )
      .map((parts) =>
        order.map((uid, i): GEntity => {
          const p = parts[i]!;
          return p.tags === null
            ? { uid, attrs: p.attrs, parents: p.parents }
            : { uid, attrs: p.attrs, parents: p.parents, tags: p.tags };
        }),
      );
  });
}

/**
 * An entity store: 8 to 16 of the universe's 25 principal/resource uids with data, and most
 * actions, with a DAG of parents. (The oracle parses the store on every request: its size is
 * most of the suite's run time.)
 */
export const entitiesArb: fc.Arbitrary<readonly GEntity[]> = fc
  .tuple(groupArb(ENTITY_UIDS, 8, 16, true), groupArb(ACTION_UIDS, 2, ACTION_UIDS.length, false))
  .map(([es, as]) => [...es, ...as]);

/** The store in Cedar's JSON entity format (what both engines load). */
export function entitiesJson(entities: readonly GEntity[]) {
  return entities.map((e) => ({
    uid: { type: e.uid.type, id: e.uid.id },
    attrs: e.attrs,
    parents: e.parents.map((p) => ({ type: p.type, id: p.id })),
    ...(e.tags === undefined ? {} : { tags: e.tags }),
  }));
}
