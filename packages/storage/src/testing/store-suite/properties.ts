import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { code, type SuiteContext } from './context.js';

export function propertiesCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('model-based property', () => {
    it('behaves like a plain Map under random writes, deletes and conditional writes', async () => {
      const store = await open();
      const notes = store.collection<{ v: number }>('notes');
      const key = fc.constantFrom('a', 'b', 'c', 'd', 'é', '\u{1F600}');
      const op = fc.oneof(
        fc.record({ t: fc.constant('put' as const), k: key, v: fc.integer() }),
        fc.record({ t: fc.constant('insert' as const), k: key, v: fc.integer() }),
        fc.record({ t: fc.constant('delete' as const), k: key }),
        fc.record({
          t: fc.constant('tx' as const),
          k: key,
          k2: key,
          v: fc.integer(),
          fail: fc.boolean(),
        }),
      );
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          round++;
          const prefix = `r${round}/`;
          const model = new Map<string, number>();
          for (const o of ops) {
            const k = prefix + o.k;
            if (o.t === 'put') {
              await notes.put(k, { v: o.v });
              model.set(k, o.v);
            } else if (o.t === 'insert') {
              const r = await code(notes.insert(k, { v: o.v }));
              expect(r).toBe(model.has(k) ? 'E_CONFLICT' : 'resolved');
              if (!model.has(k)) model.set(k, o.v);
            } else if (o.t === 'delete') {
              expect(await notes.delete(k)).toBe(model.delete(k));
            } else {
              const k2 = prefix + o.k2;
              const r = await code(
                store.transaction(async (tx) => {
                  await tx.collection('notes').put(k, { v: o.v });
                  await tx.collection('notes').delete(k2);
                  if (o.fail) throw Object.assign(new Error('rollback'), { code: 'X' });
                }),
              ).catch(() => 'thrown');
              if (!o.fail) {
                expect(r).toBe('resolved');
                model.set(k, o.v);
                model.delete(k2);
              }
            }
          }
          const listed = (await notes.list({ prefix, limit: 100 })).items.map((e) => [
            e.key,
            e.value.v,
          ]);
          const expected = [...model.entries()].sort(([x], [y]) =>
            Buffer.compare(Buffer.from(x), Buffer.from(y)),
          );
          expect(listed).toEqual(expected);
        }),
        { numRuns: ctx.options.propertyRuns ?? 30 },
      );
    });
  });
}
