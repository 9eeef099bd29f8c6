import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring, generateKey } from '../../codecs/keyring.js';
import type { Collection } from '../../collection.js';
import type { FindOptions } from '../../types.js';
import type { SuiteContext, User } from './context.js';

/** Code point order (UTF-8 byte order), the order of keys and of indexed strings. */
function cmpText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Every page of a query, concatenated. */
async function findAll(users: Collection<User>, index: string, query: FindOptions) {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await users.find(index, { ...query, ...(cursor !== undefined && { cursor }) });
    keys.push(...page.items.map((e) => e.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  return keys;
}

/** Keeps what JSON keeps (drops undefined, -0 → 0), as a stored document reads back. */
function asStored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const noNul = (v: unknown): boolean => !JSON.stringify(v).includes('\\u0000');

export function propertiesQueriesCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('model-based properties: queries and codecs', () => {
    it('answers index queries (ranges, compound prefixes, reverse, paging) like a naive filter', async () => {
      const store = await open();
      const users = store.collection<User>('users');
      const person = fc.record({
        age: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(0.5, 7.25, 1e9)),
        team: fc.option(fc.constantFrom('a', 'b', 'é', 'B', 'a b'), { nil: undefined }),
      });
      const query = fc.record({
        lower: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        upper: fc.option(fc.integer({ min: 0, max: 13 }), { nil: undefined }),
        inclusive: fc.boolean(),
        team: fc.option(fc.constantFrom('a', 'b', 'é', 'zz'), { nil: undefined }),
        reverse: fc.boolean(),
        limit: fc.integer({ min: 1, max: 7 }),
      });
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(person, { maxLength: 25 }),
          fc.array(query, { minLength: 1, maxLength: 4 }),
          async (people, queries) => {
            round++;
            const model = people.map((p, i) => ({
              key: `q${round}-${String(i).padStart(2, '0')}`,
              value: {
                email: `${round}.${i}@x.io`,
                age: p.age,
                ...(p.team !== undefined && { team: p.team }),
              } as User,
            }));
            await store.transaction(async (tx) => {
              for (const m of model) await tx.collection<User>('users').put(m.key, m.value);
            });
            try {
              for (const q of queries) {
                const range: FindOptions = {
                  ...(q.lower !== undefined && (q.inclusive ? { gte: q.lower } : { gt: q.lower })),
                  ...(q.upper !== undefined && (q.inclusive ? { lte: q.upper } : { lt: q.upper })),
                };
                const inRange = (age: number) =>
                  (q.lower === undefined || (q.inclusive ? age >= q.lower : age > q.lower)) &&
                  (q.upper === undefined || (q.inclusive ? age <= q.upper : age < q.upper));
                const byAge = model
                  .filter((m) => inRange(m.value.age))
                  .sort((x, y) => x.value.age - y.value.age || cmpText(x.key, y.key))
                  .map((m) => m.key);
                if (q.reverse) byAge.reverse();
                const opts = { ...range, reverse: q.reverse, limit: q.limit };
                expect(await findAll(users, 'age', opts)).toEqual(byAge);
                const byTeam = model
                  .filter(
                    (m) =>
                      m.value.team !== undefined &&
                      (q.team === undefined || m.value.team === q.team) &&
                      (q.team === undefined || inRange(m.value.age)),
                  )
                  .sort(
                    (x, y) =>
                      cmpText(x.value.team as string, y.value.team as string) ||
                      x.value.age - y.value.age ||
                      cmpText(x.key, y.key),
                  )
                  .map((m) => m.key);
                if (q.reverse) byTeam.reverse();
                const teamQuery =
                  q.team === undefined
                    ? { reverse: q.reverse, limit: q.limit }
                    : { eq: q.team, ...opts };
                expect(await findAll(users, 'teamAge', teamQuery)).toEqual(byTeam);
              }
            } finally {
              await store.transaction(async (tx) => {
                for (const m of model) await tx.collection('users').delete(m.key);
              });
            }
          },
        ),
        { numRuns: ctx.options.propertyRuns ?? 30 },
      );
    });

    it('round-trips any JSON document and KV value through compression and encryption', async () => {
      const keyring = createKeyring({ active: { id: 'k1', key: generateKey() } });
      const store = await open({
        codecs: {
          compression: { algorithm: 'gzip', thresholdBytes: 16 },
          encryption: { keyring },
        },
      });
      const notes = store.collection('notes');
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.string(), fc.jsonValue()).filter(noNul),
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }),
            fc.string({ maxLength: 300 }).filter(noNul),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
          ),
          async (doc, value) => {
            const key = `c${n++}`;
            await notes.put(key, doc);
            expect((await notes.get(key))?.value).toEqual(asStored(doc));
            await store.kv.set(key, value);
            const back = (await store.kv.get(key))?.value;
            if (value instanceof Uint8Array) expect(back).toEqual(value);
            else expect(back).toBe(typeof value === 'number' && value === 0 ? 0 : value);
          },
        ),
        { numRuns: ctx.options.propertyRuns ?? 30 },
      );
    });
  });
}
