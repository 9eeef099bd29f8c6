/**
 * Residual filters over `@plinth/storage` collections (memory and SQLite adapters): the plan
 * picks a declared index (or a key range, or a full list) and checks the filter on each scanned
 * document; paged through with `findAuthorized` at random page sizes, it must return exactly
 * the documents `Authorizer.isAuthorized` allows, each once, on seeded random collections.
 */
import { isPlinthError } from '@plinth/core';
import {
  memoryAdapter,
  openStore,
  type Collection,
  type Document,
  type Store,
} from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import type { ResourceFilter } from '../src/filters/filter.js';
import {
  findAuthorized,
  toStorageFilter,
  type StorageMapping,
  type StorageScan,
} from '../src/filters/storage.js';
import { residualFilter } from '../src/partial.js';
import { EntityUID } from '../src/internal/values.js';
import type { CedarJsonValue, EntityJson } from '../src/types.js';
import {
  ACTION,
  PRINCIPALS,
  pick,
  policySet,
  randomCondition,
  randomPolicies,
  randomTable,
  rng,
} from './residual-fixtures.js';

const SEED = Number(process.env.PLINTH_STORAGE_SEED ?? 20_261_207);
const TABLES = 2;
const DOCS = 60;
const SETS_PER_TABLE = 30;

const INDEXES = {
  byOwner: { fields: ['ownerId'] },
  byOwnerRank: { fields: ['ownerId', 'rank'] },
  byRank: { fields: ['rank'] },
  byName: { fields: ['attrs.name'] },
  byFolder: { fields: ['attrs.folder.__entity.id'] },
  byLevel: { fields: ['tags.level'] },
} as const;

/**
 * Documents hold the Cedar JSON attributes under `attrs`, except `owner` (the User id in
 * `ownerId`) and `rank` (a plain number), the tags under `tags` and the parents under `parents`.
 */
const MAPPING: StorageMapping = {
  entityType: 'Doc',
  attrs: 'attrs',
  tags: 'tags',
  parents: 'parents',
  fields: {
    owner: { field: 'ownerId', type: 'Entity', entityType: 'User' },
    rank: { field: 'rank', type: 'Long' },
  },
  indexes: INDEXES,
};

/** A policy set whose permit is conjunctive on an indexed attribute (to exercise index scans). */
function indexedPolicies(r: () => number): string {
  const k = Math.floor(r() * 6) - 1;
  const lead = pick(r, [
    'resource.owner == principal',
    `resource.rank > ${k}`,
    `resource.rank <= ${k}`,
    'resource.owner == principal && resource.rank >= 2',
    'resource.name like "al*"',
    'resource.name == "alpha"',
    'resource.folder == Folder::"f1"',
    `resource.getTag("level") <= ${k}`,
    'resource == Doc::"d3"',
  ]);
  const permit = `permit(principal, action == Action::"read", resource) when { ${lead} && ${randomCondition(r, 1)} };`;
  const forbid =
    r() < 0.4 ? `\nforbid(principal, action, resource) when { ${randomCondition(r, 1)} };` : '';
  return permit + forbid;
}

function documentOf(e: EntityJson): Document {
  const { owner, rank, ...attrs } = (e.attrs ?? {}) as Record<string, CedarJsonValue>;
  return {
    attrs,
    ...(owner !== undefined && { ownerId: (owner as { __entity: { id: string } }).__entity.id }),
    ...(rank !== undefined && { rank }),
    ...(e.tags !== undefined && { tags: e.tags }),
    parents: e.parents ?? [],
  };
}

const ADAPTERS = [
  ['memory', () => memoryAdapter()],
  ['sqlite', () => sqliteAdapter({ path: ':memory:' })],
] as const;

for (const [name, adapter] of ADAPTERS) {
  describe(`residual filters as ${name} storage plans`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await openStore({ adapter: adapter(), purgeIntervalMs: 0 });
      await store.ensureCollections({
        docs: { indexes: INDEXES },
        small: { indexes: { byRank: { fields: ['rank'] } } },
      });
    });
    afterAll(async () => {
      await store.close();
    });

    async function load(table: ReturnType<typeof randomTable>): Promise<Collection> {
      const docs = store.collection('docs');
      for (
        let page = await docs.list({ limit: 10_000 });
        page.items.length > 0;
        page = await docs.list({ limit: 10_000 })
      ) {
        for (const e of page.items) await docs.delete(e.key);
      }
      for (const d of table.docs) await docs.put((d.uid as { id: string }).id, documentOf(d));
      return docs;
    }

    async function all(
      collection: Collection,
      plan: ReturnType<typeof toStorageFilter>,
      limit: number,
    ) {
      const keys: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await findAuthorized(collection, plan, {
          limit,
          ...(cursor !== undefined && { cursor }),
        });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        if (page.cursor !== undefined) expect(page.items.length).toBe(limit);
        keys.push(...page.items.map((e) => e.key));
        cursor = page.cursor;
        pages++;
        expect(pages).toBeLessThan(DOCS + 2);
      } while (cursor !== undefined);
      return keys;
    }

    it('pages through exactly the allowed documents of seeded random collections', async () => {
      const scans: Record<string, number> = {};
      let queries = 0;
      let checked = 0;
      let allowed = 0;
      for (let t = 0; t < TABLES; t++) {
        const table = randomTable(SEED + t, DOCS, { bigints: false });
        const full = EntityStore.fromJson(table.entities);
        // The collection holds the documents; the store holds everything else.
        const others = EntityStore.fromJson(
          table.entities.filter((e) => (e.uid as { type: string }).type !== 'Doc'),
        );
        const docs = await load(table);
        const r = rng(SEED * 13 + t);
        for (let s = 0; s < SETS_PER_TABLE; s++) {
          const text = s % 2 === 0 ? randomPolicies(r) : indexedPolicies(r);
          const set = policySet(text);
          const authorizer = new Authorizer({ policies: set, explain: false });
          for (const principal of PRINCIPALS) {
            const context = { open: r() < 0.5 };
            const { filter } = residualFilter({
              policies: set,
              principal,
              action: ACTION,
              context,
              entities: others,
            });
            const plan = toStorageFilter(filter, MAPPING, { entities: others });
            const label =
              plan.scan.kind === 'find'
                ? `find:${plan.scan.index}`
                : plan.scan.kind === 'list' && plan.scan.gte !== undefined
                  ? 'key range'
                  : plan.scan.kind;
            scans[label] = (scans[label] ?? 0) + 1;
            const limit = 1 + Math.floor(r() * 8);
            const got = await all(docs, plan, limit);
            queries++;
            const want: string[] = [];
            for (const d of table.docs) {
              const id = (d.uid as { id: string }).id;
              checked++;
              const res = authorizer.isAuthorized(
                { principal, action: ACTION, resource: { type: 'Doc', id }, context },
                full,
              );
              if (res.decision === 'allow') want.push(id);
            }
            allowed += want.length;
            expect(new Set(got).size, 'no document twice').toBe(got.length);
            expect(
              [...got].sort(),
              `${text}\n${principal} ${JSON.stringify(context)} scan ${JSON.stringify(plan.scan)} limit ${limit}`,
            ).toEqual([...want].sort());
          }
        }
      }
      console.info(
        `[storage] ${name}: ${queries} plans, ${checked} documents agree (${allowed} allowed); scans ${JSON.stringify(scans)}`,
      );
      expect(allowed).toBeGreaterThan(checked / 20);
      expect(Object.keys(scans).filter((k) => k.startsWith('find:')).length).toBeGreaterThanOrEqual(
        4,
      );
      expect(
        Object.entries(scans)
          .filter(([k]) => k.startsWith('find:'))
          .reduce((n, [, c]) => n + c, 0),
      ).toBeGreaterThan(queries / 4);
      expect(scans['key range'] ?? 0).toBeGreaterThan(0);
    }, 120_000);

    it('a page stops at the limit and the cursor resumes right after its last document', async () => {
      const small = store.collection('small');
      for (let i = 0; i < 30; i++)
        await small.put(`k${String(i).padStart(2, '0')}`, { rank: i % 10 });
      const filter: ResourceFilter = { kind: 'cmp', path: { attrs: ['rank'] }, op: '>=', value: 7 };
      const plan = toStorageFilter(filter, {
        entityType: 'Doc',
        indexes: { byRank: { fields: ['rank'] } },
      });
      expect(plan.scan).toEqual({ kind: 'find', index: 'byRank', eq: [], gte: 7, lt: '' });
      const first = await findAuthorized(small, plan, { limit: 4 });
      expect(first.items.map((e) => e.key)).toEqual(['k07', 'k17', 'k27', 'k08']);
      expect(first.cursor).toBeDefined();
      const second = await findAuthorized(small, plan, { limit: 4, cursor: first.cursor! });
      expect(second.items.map((e) => e.key)).toEqual(['k18', 'k28', 'k09', 'k19']);
      const third = await findAuthorized(small, plan, { limit: 4, cursor: second.cursor! });
      expect(third.items.map((e) => e.key)).toEqual(['k29']);
      expect(third.cursor).toBeUndefined();
      // A full list scan with a sparse match pages the same way.
      const listPlan = toStorageFilter(
        { kind: 'eq', path: { attrs: ['rank'] }, value: 3 },
        { entityType: 'Doc' },
      );
      expect(listPlan.scan).toEqual({ kind: 'list' });
      const p1 = await findAuthorized(small, listPlan, { limit: 2 });
      expect(p1.items.map((e) => e.key)).toEqual(['k03', 'k13']);
      const p2 = await findAuthorized(small, listPlan, { limit: 2, cursor: p1.cursor! });
      expect(p2.items.map((e) => e.key)).toEqual(['k23']);
      expect(p2.cursor).toBeUndefined();
    });
  });
}

describe('the plan: which scan a filter gets', () => {
  const eq = (attrs: string[], value: unknown): ResourceFilter => ({
    kind: 'eq',
    path: { attrs },
    value: value as never,
  });
  const user = (id: string) => new EntityUID('User', id);
  const scan = (f: ResourceFilter, mapping: StorageMapping = MAPPING): StorageScan =>
    toStorageFilter(f, mapping).scan;
  const and = (...args: ResourceFilter[]): ResourceFilter => ({ kind: 'and', args });

  it('equality on a typed entity field uses its index; with a range on the next field, the compound one', () => {
    expect(scan(eq(['owner'], user('u1')))).toEqual({ kind: 'find', index: 'byOwner', eq: ['u1'] });
    expect(
      scan(
        and(eq(['owner'], user('u1')), {
          kind: 'cmp',
          path: { attrs: ['rank'] },
          op: '>',
          value: 2,
        }),
      ),
    ).toEqual({
      kind: 'find',
      index: 'byOwnerRank',
      eq: ['u1'],
      gt: 2,
      lt: '',
    });
    expect(scan(and(eq(['owner'], user('u1')), eq(['rank'], 4)))).toEqual({
      kind: 'find',
      index: 'byOwnerRank',
      eq: ['u1', 4],
    });
  });

  it('a sparse compound index is used only when every remaining field is known to be present', () => {
    const both = scan(and(eq(['owner'], user('u1')), { kind: 'has', path: { attrs: ['rank'] } }), {
      ...MAPPING,
      indexes: { byOwnerRank: INDEXES.byOwnerRank },
    });
    expect(both).toEqual({ kind: 'find', index: 'byOwnerRank', eq: ['u1'] });
    const alone = scan(eq(['owner'], user('u1')), {
      ...MAPPING,
      indexes: { byOwnerRank: INDEXES.byOwnerRank },
    });
    expect(alone).toEqual({ kind: 'list' });
  });

  it('Cedar JSON attributes, entity ids inside them, tags, like prefixes, key ranges', () => {
    expect(scan(eq(['name'], "o'brien"))).toEqual({
      kind: 'find',
      index: 'byName',
      eq: ["o'brien"],
    });
    expect(scan(eq(['folder'], new EntityUID('Folder', 'f1')))).toEqual({
      kind: 'find',
      index: 'byFolder',
      eq: ['f1'],
    });
    expect(scan({ kind: 'cmp', path: { tag: 'level', attrs: [] }, op: '<=', value: 3 })).toEqual({
      kind: 'find',
      index: 'byLevel',
      eq: [],
      gte: -Number.MAX_VALUE,
      lte: 3,
    });
    expect(
      scan({ kind: 'like', path: { attrs: ['name'] }, pattern: [{ literal: 'al' }, 'wildcard'] }),
    ).toEqual({
      kind: 'find',
      index: 'byName',
      eq: [],
      gte: 'al',
      lt: 'am',
    });
    expect(
      scan(and({ kind: 'resourceEq', uid: new EntityUID('Doc', 'd1') }, eq(['name'], 'x'))),
    ).toEqual({
      kind: 'list',
      gte: 'd1',
      lt: 'd1\u0000',
    });
  });

  it('contradictions with the collection give no scan; disjunctions and negations a full list', () => {
    expect(scan({ kind: 'const', value: false })).toEqual({ kind: 'none' });
    expect(scan({ kind: 'resourceIs', entityType: 'Photo' })).toEqual({ kind: 'none' });
    expect(scan({ kind: 'resourceEq', uid: new EntityUID('Photo', 'd1') })).toEqual({
      kind: 'none',
    });
    expect(scan({ kind: 'or', args: [eq(['name'], 'a'), eq(['name'], 'b')] })).toEqual({
      kind: 'list',
    });
    expect(scan({ kind: 'not', arg: eq(['name'], 'a') })).toEqual({ kind: 'list' });
    expect(scan(eq(['name'], 2n ** 60n))).toEqual({ kind: 'list' });
  });

  it('the document read back as a Cedar entity', () => {
    const plan = toStorageFilter({ kind: 'const', value: true }, MAPPING);
    const e = plan.entityOf({
      key: 'd1',
      version: 1,
      value: {
        attrs: { name: 'x', folder: { __entity: { type: 'Folder', id: 'f1' } } },
        ownerId: 'u1',
        rank: 3,
        tags: { level: 2 },
        parents: ['Folder::"f2"'],
      },
    });
    expect(e.uid.key).toBe('Doc::"d1"');
    expect(e.attrs.get('owner')).toEqual(user('u1'));
    expect(e.attrs.get('rank')).toBe(3);
    expect(e.attrs.get('folder')).toEqual(new EntityUID('Folder', 'f1'));
    expect(e.tags.get('level')).toBe(2);
    expect(e.parents).toEqual([new EntityUID('Folder', 'f2')]);
    const root = toStorageFilter(
      { kind: 'const', value: true },
      { entityType: 'Doc', tags: 'tags' },
    );
    expect([
      ...root
        .entityOf({ key: 'k', version: 1, value: { a: 1, tags: { t: 'x' } } })
        .attrs.attrs.keys(),
    ]).toEqual(['a']);
  });

  it('malformed documents and mappings are typed errors', () => {
    const plan = toStorageFilter({ kind: 'has', path: { attrs: ['a'] } }, MAPPING);
    for (const value of [
      { attrs: { a: 1.5 } },
      { attrs: 'x' },
      { ownerId: 7 },
      { parents: [{ type: 'Folder' }] },
      { tags: [1] },
    ]) {
      let error: unknown;
      try {
        plan.matches({ key: 'bad', version: 1, value });
      } catch (e) {
        error = e;
      }
      expect(isPlinthError(error, 'E_INVALID_VALUE'), JSON.stringify(value)).toBe(true);
      expect((error as Error).message).toContain('document "bad"');
    }
    const bad: unknown[] = [
      { entityType: '' },
      { entityType: 'Doc', attrs: 'a.b' },
      { entityType: 'Doc', tags: 't', parents: 't' },
      { entityType: 'Doc', fields: { owner: { field: 'o', type: 'Entity' } } },
      { entityType: 'Doc', fields: { owner: { field: 'o', type: 'Set' } } },
      { entityType: 'Doc', indexes: { x: { fields: [] } } },
    ];
    for (const m of bad) {
      expect(
        () => toStorageFilter({ kind: 'const', value: true }, m as StorageMapping),
        JSON.stringify(m),
      ).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION' }));
    }
  });
});
