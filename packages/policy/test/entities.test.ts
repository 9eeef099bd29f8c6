import { isPlinthError } from '@plinth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityStore } from '../src/entities.js';
import { EntityUID } from '../src/internal/values.js';

const u = (type: string, id: string) => new EntityUID(type, id);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isPlinthError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

describe('EntityStore', () => {
  it('loads Cedar JSON entities (both uid shapes, attrs, parents, tags) and answers ancestry', () => {
    const store = EntityStore.fromJson([
      {
        uid: { type: 'User', id: 'alice' },
        attrs: { age: 30 },
        parents: [{ type: 'Group', id: 'eng' }],
      },
      {
        uid: { __entity: { type: 'Group', id: 'eng' } },
        parents: [{ __entity: { type: 'Group', id: 'all' } }],
      },
      {
        uid: 'Doc::"d1"',
        attrs: { owner: { __entity: { type: 'User', id: 'alice' } } },
        tags: { env: 'prod' },
      },
    ]);
    expect(store.size).toBe(3);
    expect(store.isDescendant(u('User', 'alice'), u('Group', 'all'))).toBe(true);
    expect(store.isDescendant(u('Group', 'all'), u('User', 'alice'))).toBe(false);
    expect(store.ancestors(u('User', 'alice')).map(String).sort()).toEqual([
      'Group::"all"',
      'Group::"eng"',
    ]);
    expect(store.get(u('Doc', 'd1'))?.tags.get('env')).toBe('prod');
    expect(EntityStore.fromJson(JSON.stringify(store.toJson())).toJson()).toEqual(store.toJson());
  });

  it('rejects malformed entity JSON with a typed error and leaves the store unchanged', () => {
    const store = EntityStore.fromJson([
      { uid: { type: 'Group', id: 'a' }, parents: [{ type: 'Group', id: 'b' }] },
    ]);
    const before = store.toJson();
    const bad: unknown[] = [
      [{ uid: { type: 'Group', id: 'b' }, parents: [{ type: 'Group', id: 'a' }] }], // cycle with the store
      [
        { uid: { type: 'X', id: '1' }, parents: [{ type: 'X', id: '2' }] },
        { uid: { type: 'X', id: '2' }, parents: [{ type: 'X', id: '1' }] },
      ], // cycle inside the batch
      [{ uid: { type: 'X', id: '1' }, parents: [{ type: 'X', id: '1' }] }], // own parent
      [{ uid: { type: 'X', id: 1 } }], // id not a string
      [{ uid: { type: 'not a type', id: 'x' } }],
      [{ uid: { type: 'X' } }],
      [{ uid: 'X::' }],
      [{ uid: { type: 'X', id: 'a' }, attrs: [] }],
      [{ uid: { type: 'X', id: 'a' }, attrs: { n: 1.5 } }], // Cedar has no floats
      [{ uid: { type: 'X', id: 'a' }, attrs: { n: 2 ** 64 } }],
      [{ uid: { type: 'X', id: 'a' }, parents: 'Group::"a"' }],
      [{ uid: { type: 'X', id: 'a' }, extra: true }],
      [{ uid: { type: 'X', id: 'a' } }, { uid: { type: 'X', id: 'a' } }], // twice
      'not an array',
      [null],
    ];
    for (const b of bad) {
      expect(
        code(() => store.upsert(b as never)),
        JSON.stringify(b),
      ).toBe('E_INVALID_ENTITY');
      expect(store.toJson()).toEqual(before);
    }
    expect(code(() => EntityStore.fromJson('{not json'))).toBe('E_INVALID_ENTITY');
    expect(
      code(() =>
        new EntityStore({ limits: { maxEntities: 1 } }).upsert([
          { uid: { type: 'X', id: 'a' } },
          { uid: { type: 'X', id: 'b' } },
        ]),
      ),
    ).toBe('E_LIMIT_EXCEEDED');
  });

  it('keeps the ancestor index exact under random upserts and removals (incremental = recomputed)', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upsert' as const),
        id: fc.constantFrom(...ids),
        parents: fc.uniqueArray(fc.constantFrom(...ids), { maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom(...ids) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const store = new EntityStore();
        for (const o of ops) {
          try {
            if (o.kind === 'upsert') {
              store.upsert([
                {
                  uid: { type: 'N', id: o.id },
                  parents: o.parents.map((p) => ({ type: 'N', id: p })),
                },
              ]);
            } else store.remove([{ type: 'N', id: o.id }]);
          } catch (e) {
            if (!isPlinthError(e, 'E_INVALID_ENTITY')) throw e;
          }
        }
        const fresh = EntityStore.fromJson(store.toJson());
        for (const x of ids) {
          for (const y of ids) {
            expect(store.isDescendant(u('N', x), u('N', y))).toBe(
              fresh.isDescendant(u('N', x), u('N', y)),
            );
          }
        }
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('recomputes only the changed entity and its descendants', () => {
    const chain = Array.from({ length: 100 }, (_, i) => ({
      uid: { type: 'N', id: String(i) },
      parents: i === 0 ? [] : [{ type: 'N', id: String(i - 1) }],
    }));
    const side = Array.from({ length: 1000 }, (_, i) => ({
      uid: { type: 'S', id: String(i) },
      parents: [{ type: 'N', id: '0' }],
    }));
    const store = EntityStore.fromJson([...chain, ...side]);
    store.upsert([{ uid: { type: 'N', id: '98' }, parents: [{ type: 'N', id: '5' }] }]);
    expect(store.lastReindexed).toBe(2); // N::"98" and N::"99"
    expect(store.isDescendant(u('N', '99'), u('N', '5'))).toBe(true);
    expect(store.isDescendant(u('N', '99'), u('N', '50'))).toBe(false);
  });
});
