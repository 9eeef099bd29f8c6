import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, isPlinthError } from '@plinth/core';
import { checkHostileCalls } from '@plinth/core/testing';
import { PolicySet, isAuthorized } from '@plinth/policy';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Directory } from '../src/directory.js';
import { ERROR_CODES } from '../src/errors.js';
import type { AuditRecordInput } from '../src/types.js';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (e) {
    return isPlinthError(e) ? e.code : `raw: ${String(e)}`;
  }
}

describe('Directory', () => {
  let store: Store;
  let dir: Directory;
  let audit: AuditRecordInput[];
  const clock = new ManualClock(1_700_000_000_000);

  beforeEach(async () => {
    store = await openStore({ adapter: memoryAdapter() });
    audit = [];
    dir = await Directory.open({
      store,
      clock,
      audit: { append: async (r) => void audit.push(r) },
    });
  });
  afterEach(async () => {
    await dir.close();
    await store.close();
  });

  it('models users, groups and inherited roles as Cedar entities', async () => {
    await dir.createRole({ name: 'viewer' });
    await dir.createRole({ name: 'editor', inherits: ['viewer'] });
    await dir.createRole({ name: 'admin', inherits: ['editor'] });
    await dir.createPrincipal({ id: 'eng', kind: 'group' });
    await dir.createPrincipal({ id: 'alice', attrs: { level: 3 }, groups: ['eng'] });
    await dir.createPrincipal({ id: 'ci', kind: 'service' });
    await dir.assign('eng', 'editor');
    await dir.assign('ci', 'viewer');

    const set = PolicySet.parse(`
      @id("view") permit(principal in Role::"viewer", action == Action::"view", resource);
      @id("edit") permit(principal in Role::"editor", action == Action::"edit", resource) when { principal.level >= 2 };
    `);
    const ask = (principal: { type: string; id: string }, action: string) =>
      isAuthorized(
        { principal, action: { type: 'Action', id: action }, resource: { type: 'Doc', id: 'd' } },
        set,
        dir.entities,
      ).decision;
    expect(dir.uidOf('alice')).toEqual({ type: 'User', id: 'alice' });
    expect(dir.uidOf('ci')).toEqual({ type: 'ServiceAccount', id: 'ci' });
    expect(ask(dir.uidOf('alice'), 'view')).toBe('allow'); // eng → editor → viewer
    expect(ask(dir.uidOf('alice'), 'edit')).toBe('allow');
    expect(ask(dir.uidOf('ci'), 'view')).toBe('allow');
    expect(ask(dir.uidOf('ci'), 'edit')).toBe('deny');
    expect(dir.rolesFor('alice')).toEqual(['editor', 'viewer']);

    await dir.unassign('eng', 'editor');
    expect(ask(dir.uidOf('alice'), 'view')).toBe('deny');
    expect(audit.map((r) => r.type)).toEqual([
      'role.created',
      'role.created',
      'role.created',
      'principal.created',
      'principal.created',
      'principal.created',
      'role.assigned',
      'role.assigned',
      'role.unassigned',
    ]);
  });

  it('refuses role-inheritance cycles and leaves the roles unchanged', async () => {
    await dir.createRole({ name: 'a' });
    await dir.createRole({ name: 'b', inherits: ['a'] });
    await dir.createRole({ name: 'c', inherits: ['b'] });
    expect(await codeOf(dir.updateRole('a', { inherits: ['c'] }))).toBe('E_ROLE_CYCLE');
    expect(await codeOf(dir.updateRole('a', { inherits: ['a'] }))).toBe('E_ROLE_CYCLE');
    expect(dir.getRole('a')?.inherits).toEqual([]);
    expect((await store.collection('access.roles').get('a'))?.value).toMatchObject({
      inherits: [],
    });
    expect(await codeOf(dir.createRole({ name: 'd', inherits: ['missing'] }))).toBe('E_NOT_FOUND');
    expect(await codeOf(dir.createRole({ name: 'a' }))).toBe('E_EXISTS');
    expect(await codeOf(dir.deleteRole('a'))).toBe('E_INVALID_ARGUMENT'); // b inherits it
  });

  it('keeps any random sequence of inheritance edits acyclic (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 5 }),
            fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
          ),
          {
            maxLength: 25,
          },
        ),
        async (edits) => {
          const s = await openStore({ adapter: memoryAdapter() });
          const d = await Directory.open({ store: s, follow: false });
          for (let i = 0; i < 6; i++) await d.createRole({ name: `r${i}` });
          for (const [role, parents] of edits) {
            await d
              .updateRole(`r${role}`, { inherits: parents.map((p) => `r${p}`) })
              .catch((e: unknown) => {
                if (!isPlinthError(e, 'E_ROLE_CYCLE')) throw e;
              });
          }
          // No role reaches itself.
          const graph = new Map(d.roles().map((r) => [r.name, r.inherits]));
          const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
            (graph.get(from) ?? []).some(
              (p) => p === to || (!seen.has(p) && (seen.add(p), reaches(p, to, seen))),
            );
          for (const r of graph.keys()) expect(reaches(r, r)).toBe(false);
          await d.close();
          await s.close();
        },
      ),
      { numRuns: 40, seed: 20261208 },
    );
  });

  it('refuses group cycles', async () => {
    await dir.createPrincipal({ id: 'g1', kind: 'group' });
    await dir.createPrincipal({ id: 'g2', kind: 'group', groups: ['g1'] });
    expect(await codeOf(dir.updatePrincipal('g1', { groups: ['g2'] }))).toBe('E_ROLE_CYCLE');
    expect(await codeOf(dir.createPrincipal({ id: 'u', groups: ['nope'] }))).toBe('E_NOT_FOUND');
    expect(await codeOf(dir.createPrincipal({ id: 'u', groups: ['g1'] }))).toBeUndefined();
    expect(await codeOf(dir.createPrincipal({ id: 'u' }))).toBe('E_EXISTS');
  });

  it('applies scoped assignments to the scope and to resources in it', async () => {
    await dir.createRole({ name: 'viewer' });
    await dir.createRole({ name: 'editor', inherits: ['viewer'] });
    await dir.createPrincipal({ id: 'bob' });
    await dir.assign('bob', 'editor', { scope: { type: 'Tenant', id: 'acme' } });
    dir.entities.upsert([
      { uid: { type: 'Tenant', id: 'acme' } },
      { uid: { type: 'Doc', id: 'in-acme' }, parents: [{ type: 'Tenant', id: 'acme' }] },
      { uid: { type: 'Doc', id: 'elsewhere' } },
    ]);
    expect(dir.rolesFor('bob')).toEqual([]);
    expect(dir.rolesFor('bob', 'Tenant::"acme"')).toEqual(['editor', 'viewer']);
    expect(dir.rolesFor('bob', { type: 'Doc', id: 'in-acme' })).toEqual(['editor', 'viewer']);
    expect(dir.rolesFor('bob', { type: 'Doc', id: 'elsewhere' })).toEqual([]);
  });

  it('lets an assignment expire on the clock', async () => {
    await dir.createRole({ name: 'oncall' });
    await dir.createPrincipal({ id: 'carol' });
    await dir.assign('carol', 'oncall', { expiresAt: clock.now() + 60_000 });
    expect(dir.rolesFor('carol')).toEqual(['oncall']);
    clock.advance(60_001);
    expect(dir.rolesFor('carol')).toEqual([]);
  });

  it('deleting a principal removes its assignments and memberships', async () => {
    await dir.createRole({ name: 'r' });
    await dir.createPrincipal({ id: 'g', kind: 'group' });
    await dir.createPrincipal({ id: 'dave', groups: ['g'] });
    await dir.assign('g', 'r');
    expect(dir.rolesFor('dave')).toEqual(['r']);
    expect(await dir.deletePrincipal('g')).toBe(true);
    expect(dir.getPrincipal('dave')?.groups).toEqual([]);
    expect(dir.rolesFor('dave')).toEqual([]);
    expect((await store.collection('access.assignments').list()).items).toHaveLength(0);
    expect(await dir.deletePrincipal('g')).toBe(false);
    expect(dir.entities.toJson().some((e) => JSON.stringify(e.uid).includes('"g"'))).toBe(false);
  });

  it('refuses hostile names and attributes with typed errors and writes nothing', async () => {
    await dir.createRole({ name: 'r' });
    await dir.createPrincipal({ id: 'p' });
    const results = await checkHostileCalls({
      target: dir,
      calls: [
        ['createPrincipal', (d, a, b) => d.createPrincipal({ id: a, kind: b } as never)],
        ['createPrincipal attrs', (d, a) => d.createPrincipal({ id: 'h', attrs: a } as never)],
        ['updatePrincipal', (d, a, b) => d.updatePrincipal(a as never, b as never)],
        ['createRole', (d, a, b) => d.createRole({ name: a, inherits: b } as never)],
        ['updateRole', (d, a, b) => d.updateRole('r', { inherits: a, description: b } as never)],
        ['assign', (d, a, b) => d.assign('p', a as never, { scope: b } as never)],
        ['unassign', (d, a, b) => d.unassign(a as never, 'r', b as never)],
        ['deletePrincipal', (d, a) => d.deletePrincipal(a as never)],
        ['rolesFor', (d, a, b) => d.rolesFor(a as never, b as never)],
      ],
      codes: ERROR_CODES,
      snapshot: async () => String(await store.lastSeq()),
      seed: 20261208,
      numRuns: 400,
    });
    expect(results.rejected).toBeGreaterThan(300);
    const seq = await store.lastSeq();
    for (const bad of ['', 'a\u202Eb', 'x\u0000', 'e\u0301', 'z'.repeat(300)]) {
      expect(await codeOf(dir.createPrincipal({ id: bad }))).toBe('E_INVALID_NAME');
    }
    expect(await codeOf(dir.createPrincipal({ id: 'f', attrs: { x: 1.5 } }))).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect(await codeOf(dir.createPrincipal({ id: 'f', attrs: { x: null } as never }))).toBe(
      'E_INVALID_ARGUMENT',
    );
    expect(await store.lastSeq()).toBe(seq);
  });
});

describe('Directory across instances (SQLite file)', () => {
  let dirPath: string;
  beforeEach(() => {
    dirPath = mkdtempSync(join(tmpdir(), 'plinth-access-dir-'));
  });
  afterEach(() => rmSync(dirPath, { recursive: true, force: true }));

  it('reloads everything on open and follows changes another handle makes', async () => {
    const path = join(dirPath, 'a.db');
    const s1 = await openStore({ adapter: sqliteAdapter({ path }) });
    const d1 = await Directory.open({ store: s1 });
    await d1.createRole({ name: 'viewer' });
    await d1.createPrincipal({ id: 'erin' });
    await d1.assign('erin', 'viewer');

    const s2 = await openStore({ adapter: sqliteAdapter({ path, pollIntervalMs: 20 }) });
    const d2 = await Directory.open({ store: s2 });
    expect(d2.rolesFor('erin')).toEqual(['viewer']);
    await d1.unassign('erin', 'viewer');
    await vi.waitFor(() => expect(d2.rolesFor('erin')).toEqual([]), { timeout: 5000 });
    await d1.createRole({ name: 'admin', inherits: ['viewer'] });
    await d1.assign('erin', 'admin');
    await vi.waitFor(() => expect(d2.rolesFor('erin')).toEqual(['admin', 'viewer']), {
      timeout: 5000,
    });
    await d1.close();
    await d2.close();
    await s1.close();
    await s2.close();
  });
});
