/**
 * `toSql` executed for real: seeded random resource tables (attributes of mixed and wrong
 * types, hostile strings, big Longs, a folder hierarchy, tags) are loaded into SQLite
 * (better-sqlite3) and PostgreSQL (pg; `PLINTH_PG_URL`), random policy sets are reduced to
 * residual filters for each principal, the generated `WHERE` fragment is run, and the selected
 * rows must be exactly the resources `Authorizer.isAuthorized` allows, row by row. Every value
 * reaches the database as a bound parameter: the fragment's text never holds a value of the
 * policies (quotes, `%`, `_`, backslashes, NUL).
 */
import { randomBytes } from 'node:crypto';
import { isPlinthError } from '@plinth/core';
import { describeWithService } from '@plinth/core/testing';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import type { ResourceFilter } from '../src/filters/filter.js';
import { toSql, type SqlMapping } from '../src/filters/sql.js';
import { residualFilter } from '../src/partial.js';
import { EntityUID } from '../src/internal/values.js';
import type { CedarJsonValue, EntityJson } from '../src/types.js';
import {
  ACTION,
  HOSTILE,
  NUL,
  PRINCIPALS,
  policySet,
  randomPolicies,
  randomTable,
  rng,
} from './residual-fixtures.js';

const SEED = Number(process.env.PLINTH_SQL_SEED ?? 20_261_207);
const TABLES = 3;
const ROWS = 70;
const SETS_PER_TABLE = 40;

/** JSON text with bigints written as exact integers. */
function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0001${x}` : x)).replace(
    /"\\u0001(-?\d+)"/g,
    '$1',
  );
}

interface Row {
  readonly id: string;
  readonly type: string;
  readonly attrs: string;
  readonly tags: string;
  readonly ownerId: string | null;
  readonly rank: number | null;
}

function rowsOf(entities: readonly EntityJson[]): Row[] {
  return entities.map((e) => {
    const uid = e.uid as { type: string; id: string };
    const attrs = (e.attrs ?? {}) as Record<string, CedarJsonValue>;
    const owner = attrs.owner as { __entity: { id: string } } | undefined;
    return {
      id: uid.id,
      type: uid.type,
      attrs: jsonText(attrs),
      tags: jsonText(e.tags ?? {}),
      ownerId: owner?.__entity.id ?? null,
      rank: typeof attrs.rank === 'number' ? attrs.rank : null,
    };
  });
}

function closureRows(store: EntityStore): [string, string, string, string][] {
  const out: [string, string, string, string][] = [];
  for (const e of store.entities()) {
    for (const a of store.ancestors(e.uid)) out.push([e.uid.id, e.uid.type, a.type, a.id]);
  }
  return out;
}

const MAPPING = {
  id: 'r.id',
  type: 'r.type',
  attrs: 'r.attrs',
  tags: 'r.tags',
  columns: {
    owner: { column: 'r.owner_id', type: 'Entity', entityType: 'User' },
    rank: { column: 'r.rank', type: 'Long' },
  },
  ancestors: {
    table: 'anc',
    id: 'id',
    type: 'type',
    ancestorType: 'anc_type',
    ancestorId: 'anc_id',
  },
} as const;

/** Every string the generator may put in a policy that is worth looking for in SQL text. */
const SPLICE_PROBES = [...HOSTILE.filter((h) => h.length >= 3), NUL, 'alpha', 'alpine'];

function expectNoSplicing(where: string): void {
  for (const probe of SPLICE_PROBES)
    expect(where.includes(probe), `${probe} spliced into ${where}`).toBe(false);
}

type Run = (where: string, params: unknown[]) => Promise<string[]>;

interface Tally {
  sets: number;
  queries: number;
  rows: number;
  allowed: number;
  unsupported: number;
}

/**
 * For random policy sets over the table: every principal and both contexts, the rows the
 * fragment selects (as `Type::"id"` keys) must be the authorizer's allowed resources.
 */
async function checkTable(
  seed: number,
  dialect: 'sqlite' | 'postgres',
  load: (rows: Row[], anc: [string, string, string, string][]) => Promise<Run>,
  tally: Tally,
) {
  const table = randomTable(seed, ROWS, { nul: dialect === 'sqlite' });
  const store = EntityStore.fromJson(table.entities);
  const run = await load(rowsOf(table.entities), closureRows(store));
  const r = rng(seed * 7 + 1);
  const mapping: SqlMapping = { dialect, ...MAPPING };
  for (let s = 0; s < SETS_PER_TABLE; s++) {
    const text = randomPolicies(r, { nul: true });
    const set = policySet(text);
    const authorizer = new Authorizer({ policies: set, explain: false });
    tally.sets++;
    for (const principal of PRINCIPALS) {
      for (const open of [true, false]) {
        let filter: ResourceFilter;
        try {
          filter = residualFilter({
            policies: set,
            principal,
            action: ACTION,
            context: { open },
            entities: store,
          }).filter;
        } catch (e) {
          if (isPlinthError(e, 'E_UNSUPPORTED')) {
            tally.unsupported++;
            continue;
          }
          throw e;
        }
        const { where, params } = toSql(filter, mapping);
        expectNoSplicing(where);
        const selected = new Set(await run(where, params));
        tally.queries++;
        const mismatches: string[] = [];
        for (const e of store.entities()) {
          const allow =
            authorizer.isAuthorized(
              {
                principal,
                action: ACTION,
                resource: { type: e.uid.type, id: e.uid.id },
                context: { open },
              },
              store,
            ).decision === 'allow';
          tally.rows++;
          if (allow) tally.allowed++;
          if (selected.has(e.uid.key) !== allow)
            mismatches.push(`${e.uid.key}: authorizer ${allow ? 'allows' : 'denies'}`);
        }
        expect(
          mismatches,
          `${dialect} seed ${seed}\n${text}\n${principal} open=${open}\nWHERE ${where}\n${JSON.stringify(params, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
        ).toEqual([]);
      }
    }
  }
}

const key = (type: string, id: string) => new EntityUID(type, id).key;

const VALUES = HOSTILE.filter((h) => h !== '');

/** A hand-made filter holding every hostile string in every predicate that takes a value. */
function hostileFilter(): ResourceFilter {
  const path = { attrs: ['name'] };
  const values = [...VALUES, NUL];
  return {
    kind: 'or',
    args: [
      ...values.map((v): ResourceFilter => ({ kind: 'eq', path, value: v })),
      ...values.map((v): ResourceFilter => ({
        kind: 'like',
        path,
        pattern: [{ literal: v }, 'wildcard'],
      })),
      { kind: 'containsAny', path: { attrs: ['labels'] }, values },
      ...values.map((v): ResourceFilter => ({ kind: 'resourceEq', uid: new EntityUID('Doc', v) })),
      { kind: 'eq', path: { attrs: ['meta', 'k'] }, value: new EntityUID('User', "o'brien") },
    ],
  };
}

/**
 * 2,000 users, rows owned by them (a typed column) and naming them in JSON (`meta.by`): a
 * condition on the owners' attributes is one membership test per case, not one per user.
 */
async function manyOwners(
  dialect: 'sqlite' | 'postgres',
  load: (rows: Row[], anc: [string, string, string, string][]) => Promise<Run>,
) {
  const users: EntityJson[] = Array.from({ length: 2_000 }, (_v, i) => ({
    uid: { type: 'User', id: `user${i}` },
    attrs: { level: i % 10, team: `t${i % 7}` },
  }));
  const docs: EntityJson[] = Array.from({ length: 300 }, (_v, i) => ({
    uid: { type: 'Doc', id: `doc${i}` },
    attrs: {
      owner: { __entity: { type: 'User', id: `user${(i * 7) % 2_100}` } },
      meta: { by: i % 5 === 0 ? { __entity: { type: 'User', id: `user${i}` } } : { team: 't1' } },
    },
  }));
  const store = EntityStore.fromJson([...users, ...docs]);
  const run = await load(rowsOf(docs), []);
  const set = policySet(
    'permit(principal, action, resource) when { resource.owner.level > 6 && resource.meta.team == "t1" || resource.meta.by.team == principal.team };',
  );
  const authorizer = new Authorizer({ policies: set, explain: false });
  const principal = 'User::"user8"';
  const { filter } = residualFilter({ policies: set, principal, action: ACTION, entities: store });
  const { where, params } = toSql(filter, { dialect, ...MAPPING });
  expect(params.length).toBeLessThan(80); // 2,000 users: O(distinct values), not O(entities)
  const got = new Set(await run(where, params));
  const want = docs
    .map((d) => (d.uid as { id: string }).id)
    .filter(
      (id) =>
        authorizer.isAuthorized({ principal, action: ACTION, resource: { type: 'Doc', id } }, store)
          .decision === 'allow',
    );
  expect(want.length).toBeGreaterThan(10);
  expect([...got].sort()).toEqual(want.map((id) => key('Doc', id)).sort());
}

describe('toSql on SQLite (better-sqlite3)', () => {
  let db: Database.Database;
  const tally: Tally = { sets: 0, queries: 0, rows: 0, allowed: 0, unsupported: 0 };

  beforeAll(() => {
    db = new Database(':memory:');
  });
  afterAll(() => {
    db.close();
  });

  const load = (rows: Row[], anc: [string, string, string, string][]): Promise<Run> => {
    db.exec('DROP TABLE IF EXISTS res; DROP TABLE IF EXISTS anc;');
    db.exec(
      'CREATE TABLE res (id TEXT NOT NULL, type TEXT NOT NULL, attrs TEXT NOT NULL, tags TEXT NOT NULL, owner_id TEXT, rank INTEGER, PRIMARY KEY (type, id))',
    );
    db.exec(
      'CREATE TABLE anc (id TEXT NOT NULL, type TEXT NOT NULL, anc_type TEXT NOT NULL, anc_id TEXT NOT NULL)',
    );
    const ins = db.prepare('INSERT INTO res VALUES (?, ?, ?, ?, ?, ?)');
    const insA = db.prepare('INSERT INTO anc VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const r of rows) ins.run(r.id, r.type, r.attrs, r.tags, r.ownerId, r.rank);
      for (const a of anc) insA.run(...a);
    })();
    return Promise.resolve(async (where, params) =>
      (
        db
          .prepare(`SELECT r.type AS type, r.id AS id FROM res AS r WHERE ${where}`)
          .all(...params) as { type: string; id: string }[]
      ).map((x) => key(x.type, x.id)),
    );
  };

  it('selects exactly the allowed rows of seeded random tables', async () => {
    for (let t = 0; t < TABLES; t++) await checkTable(SEED + t, 'sqlite', load, tally);
    console.info(
      `[sql] sqlite: ${tally.queries} queries over ${tally.sets} policy sets, ${tally.rows} rows agree (${tally.allowed} allowed), ${tally.unsupported} unsupported`,
    );
    expect(tally.queries).toBeGreaterThan(600);
    expect(tally.allowed).toBeGreaterThan(tally.rows / 20);
    expect(tally.allowed).toBeLessThan(tally.rows / 2);
    expect(tally.unsupported).toBe(0);
  });

  it('conditions on many entities named by the rows stay a few parameters', async () => {
    await manyOwners('sqlite', load);
  });

  it('hostile strings are bound parameters and match as plain text', async () => {
    const run = await load(
      rowsOf([
        ...VALUES.map((h, i): EntityJson => ({
          uid: { type: 'Doc', id: `h${i}` },
          attrs: { name: h },
        })),
        { uid: { type: 'Doc', id: 'nul' }, attrs: { name: NUL, labels: [NUL] } },
        { uid: { type: 'Doc', id: "o'brien" }, attrs: { name: 'plain' } },
        { uid: { type: 'Doc', id: 'near' }, attrs: { name: 'o brien', labels: ['5%'] } },
        { uid: { type: 'Doc', id: 'x' }, attrs: { name: 'ab' } },
      ]),
      [],
    );
    const { where, params } = toSql(hostileFilter(), { dialect: 'sqlite', ...MAPPING });
    expectNoSplicing(where);
    expect(params).toEqual(expect.arrayContaining([...VALUES, NUL]));
    const got = await run(where, params);
    expect(got.sort()).toEqual(
      [
        ...VALUES.map((_h, i) => key('Doc', `h${i}`)),
        key('Doc', 'nul'),
        key('Doc', "o'brien"),
      ].sort(),
    );
    expect(db.prepare('SELECT count(*) AS n FROM res').get()).toEqual({ n: VALUES.length + 4 });
  });
});

describeWithService('PLINTH_PG_URL', 'toSql on PostgreSQL (pg)', (url) => {
  let client: pg.Client;
  let schema: string;
  const tally: Tally = { sets: 0, queries: 0, rows: 0, allowed: 0, unsupported: 0 };

  beforeAll(async () => {
    client = new pg.Client({ connectionString: url });
    await client.connect();
    schema = `plinth_policy_sql_${randomBytes(6).toString('hex')}`;
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`SET search_path TO "${schema}"`);
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  const load = async (rows: Row[], anc: [string, string, string, string][]): Promise<Run> => {
    await client.query('DROP TABLE IF EXISTS res; DROP TABLE IF EXISTS anc;');
    await client.query(
      'CREATE TABLE res (id text NOT NULL, type text NOT NULL, attrs jsonb NOT NULL, tags jsonb NOT NULL, owner_id text, rank bigint, PRIMARY KEY (type, id))',
    );
    await client.query(
      'CREATE TABLE anc (id text NOT NULL, type text NOT NULL, anc_type text NOT NULL, anc_id text NOT NULL)',
    );
    for (const r of rows) {
      await client.query('INSERT INTO res VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6)', [
        r.id,
        r.type,
        r.attrs,
        r.tags,
        r.ownerId,
        r.rank,
      ]);
    }
    for (const a of anc) await client.query('INSERT INTO anc VALUES ($1, $2, $3, $4)', a);
    return async (where, params) =>
      (
        await client.query<{ type: string; id: string }>(
          `SELECT r.type, r.id FROM res AS r WHERE ${where}`,
          params,
        )
      ).rows.map((x) => key(x.type, x.id));
  };

  it('selects exactly the allowed rows of seeded random tables', async () => {
    for (let t = 0; t < TABLES; t++) await checkTable(SEED + t, 'postgres', load, tally);
    console.info(
      `[sql] postgres: ${tally.queries} queries over ${tally.sets} policy sets, ${tally.rows} rows agree (${tally.allowed} allowed), ${tally.unsupported} unsupported`,
    );
    expect(tally.queries).toBeGreaterThan(600);
    expect(tally.allowed).toBeGreaterThan(tally.rows / 20);
    expect(tally.unsupported).toBe(0);
  }, 300_000);

  it('conditions on many entities named by the rows stay a few parameters', async () => {
    await manyOwners('postgres', load);
  });

  it('hostile strings are bound parameters; NUL (which PostgreSQL text cannot hold) matches nothing', async () => {
    const run = await load(
      rowsOf([
        ...VALUES.map((h, i): EntityJson => ({
          uid: { type: 'Doc', id: `h${i}` },
          attrs: { name: h },
        })),
        { uid: { type: 'Doc', id: "o'brien" }, attrs: { name: 'plain' } },
        { uid: { type: 'Doc', id: 'near' }, attrs: { name: 'o brien', labels: ['5%'] } },
      ]),
      [],
    );
    const { where, params } = toSql(hostileFilter(), { dialect: 'postgres', ...MAPPING });
    expectNoSplicing(where);
    const got = await run(where, params);
    expect(got.sort()).toEqual(
      [...VALUES.map((_h, i) => key('Doc', `h${i}`)), key('Doc', "o'brien")].sort(),
    );
    expect((await client.query('SELECT count(*)::int AS n FROM res')).rows).toEqual([
      { n: VALUES.length + 2 },
    ]);
  });

  it('paramOffset numbers the placeholders after the host’s own', async () => {
    await load(
      rowsOf([
        { uid: { type: 'Doc', id: 'a' }, attrs: { name: 'x' } },
        { uid: { type: 'Doc', id: 'b' }, attrs: { name: 'y' } },
      ]),
      [],
    );
    const { where, params } = toSql(
      { kind: 'eq', path: { attrs: ['name'] }, value: 'x' },
      { dialect: 'postgres', ...MAPPING, paramOffset: 2 },
    );
    const res = await client.query(`SELECT r.id FROM res AS r WHERE r.type = $1 AND ${where}`, [
      'Doc',
      ...params,
    ]);
    expect(res.rows).toEqual([{ id: 'a' }]);
  });
});

describe('toSql refuses what it cannot express, with a typed error', () => {
  const m: SqlMapping = { dialect: 'sqlite', ...MAPPING };
  const unsupported = (f: ResourceFilter, mapping: SqlMapping, message: RegExp) => {
    let error: unknown;
    try {
      toSql(f, mapping);
    } catch (e) {
      error = e;
    }
    expect(isPlinthError(error, 'E_UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toMatch(message);
  };

  it('extension functions, extension comparisons, Set equality, `in` without a hierarchy table', () => {
    const set = policySet(
      'permit(principal, action, resource) when { resource.ip.isInRange(ip("10.0.0.0/8")) };',
    );
    const { filter } = residualFilter({ policies: set, principal: 'User::"u0"', action: ACTION });
    unsupported(
      filter,
      m,
      /toSql: the extension function `isInRange` on a resource attribute has no SQL form/,
    );
    const dt = residualFilter({
      policies: policySet(
        'permit(principal, action, resource) when { resource.at < datetime("2025-01-01") };',
      ),
      principal: 'User::"u0"',
      action: ACTION,
    }).filter;
    unsupported(dt, m, /`<` on an extension value \(datetime\)/);
    unsupported(
      { kind: 'eq', path: { attrs: ['labels'] }, value: policySetValue() },
      m,
      /equality with a Set value/,
    );
    const { ancestors: _a, ...noTree } = MAPPING;
    unsupported(
      { kind: 'resourceIn', ancestor: new EntityUID('Folder', 'f1') },
      { dialect: 'sqlite', ...noTree },
      /`resource in` without an `ancestors` mapping/,
    );
  });

  it('a mapping naming something other than a column is E_INVALID_OPTION', () => {
    for (const bad of ['r.id; DROP TABLE res', 'r."id', '1col', '']) {
      expect(() => toSql({ kind: 'const', value: true }, { ...m, id: bad })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_OPTION' }),
      );
    }
  });
});

function policySetValue() {
  const f = residualFilter({
    policies: policySet('permit(principal, action, resource) when { resource.labels == ["a"] };'),
    principal: 'User::"u0"',
    action: ACTION,
  }).filter;
  const eq = (f.kind === 'and' ? f.args : [f]).find((x) => x.kind === 'eq');
  if (eq?.kind !== 'eq') throw new Error(`no eq in the residual`);
  return eq.value;
}
