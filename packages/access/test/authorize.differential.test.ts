/**
 * authorize() against the oracle: random directories (a role DAG, nested groups, users with
 * attributes, global and scoped assignments, tenants and documents) and random requests,
 * decided by Plinth and by cedar-wasm 4.13.0 on the same entities. The roles passed to
 * cedar-wasm as `context.roles` are computed here by a naive reference (closure over the stored
 * records), not by the directory, so the scoped-role logic is checked too.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { seededRandom } from '@plinth/core';
import { PolicySet } from '@plinth/policy';
import { memoryAdapter, openStore } from '@plinth/storage';
import { describe, expect, it } from 'vitest';
import { AccessControl } from '../src/authorize.js';
import { Directory } from '../src/directory.js';

const POOL = [
  '@id("p-view") permit(principal, action == Action::"read", resource) when { context.roles.contains(Role::"r0") };',
  '@id("p-edit") permit(principal in Role::"r1", action in [Action::"edit", Action::"read"], resource);',
  '@id("p-scoped") permit(principal, action == Action::"edit", resource) when { context.roles.contains(Role::"r2") && resource.status == "open" };',
  '@id("p-level") permit(principal, action == Action::"delete", resource) when { context.roles.contains(Role::"r3") && principal.level >= resource.minLevel };',
  '@id("p-group") permit(principal in Group::"g1", action == Action::"read", resource in Tenant::"t0");',
  '@id("p-any") permit(principal, action == Action::"pay", resource) when { context.roles.containsAny([Role::"r4", Role::"r5"]) };',
  '@id("f-contractor") forbid(principal, action in [Action::"delete", Action::"pay"], resource) when { principal.contractor };',
  '@id("f-locked") forbid(principal, action == Action::"edit", resource) unless { resource has status && resource.status != "locked" };',
  '@id("p-dept") permit(principal, action == Action::"read", resource) when { principal.dept == "ops" && context.roles.contains(Role::"r6") };',
  '@id("p-r7-global") permit(principal in Role::"r7", action, resource is Doc);',
  '@id("f-t2") forbid(principal, action == Action::"pay", resource in Tenant::"t2") unless { principal in Role::"r7" };',
];
const ACTIONS = ['read', 'edit', 'delete', 'pay'];

interface World {
  roles: { name: string; inherits: string[] }[];
  groups: { id: string; groups: string[] }[];
  users: {
    id: string;
    attrs: Record<string, string | number | boolean>;
    groups: string[];
    disabled: boolean;
  }[];
  docs: { id: string; tenant: string | undefined; status: string; minLevel: number }[];
  grants: { holder: string; role: string; scope: string }[];
  policies: string[];
}

function world(rand: () => number): World {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const some = <T>(xs: readonly T[], p: number): T[] => xs.filter(() => rand() < p);
  const roles = Array.from({ length: 8 }, (_, i) => ({
    name: `r${i}`,
    inherits: some(
      Array.from({ length: i }, (_, j) => `r${j}`),
      0.25,
    ),
  }));
  const groups = Array.from({ length: 4 }, (_, i) => ({
    id: `g${i}`,
    groups: some(
      Array.from({ length: i }, (_, j) => `g${j}`),
      0.3,
    ),
  }));
  const users = Array.from({ length: 12 }, (_, i) => ({
    id: `u${i}`,
    attrs: { level: Math.floor(rand() * 6), dept: pick(['eng', 'ops']), contractor: rand() < 0.2 },
    groups: some(
      groups.map((g) => g.id),
      0.3,
    ),
    disabled: rand() < 0.08,
  }));
  const docs = Array.from({ length: 10 }, (_, i) => ({
    id: `d${i}`,
    tenant: rand() < 0.85 ? pick(['t0', 't1', 't2']) : undefined,
    status: pick(['open', 'locked', 'draft']),
    minLevel: Math.floor(rand() * 6),
  }));
  const holders = [...users.map((u) => u.id), ...groups.map((g) => g.id)];
  const scopes = [
    '*',
    'Tenant::"t0"',
    'Tenant::"t1"',
    'Tenant::"t2"',
    ...docs.map((d) => `Doc::"${d.id}"`),
  ];
  const grants = Array.from({ length: 14 }, () => ({
    holder: pick(holders),
    role: pick(roles).name,
    scope: rand() < 0.4 ? '*' : pick(scopes),
  }));
  return { roles, groups, users, docs, grants, policies: some(POOL, 0.6) };
}

/** The roles that apply, computed from the world's records alone. */
function referenceRoles(w: World, user: string, resource: string): string[] {
  const groupParents = new Map(w.groups.map((g) => [g.id, g.groups]));
  const holders = new Set<string>([user]);
  const queue = [...(w.users.find((u) => u.id === user)?.groups ?? [])];
  while (queue.length > 0) {
    const g = queue.pop() as string;
    if (holders.has(g)) continue;
    holders.add(g);
    queue.push(...(groupParents.get(g) ?? []));
  }
  const doc = w.docs.find((d) => `Doc::"${d.id}"` === resource);
  const inScope = (scope: string) =>
    scope === '*' ||
    scope === resource ||
    (doc?.tenant !== undefined && scope === `Tenant::"${doc.tenant}"`);
  const inherits = new Map(w.roles.map((r) => [r.name, r.inherits]));
  const out = new Set<string>();
  const visit = (r: string) => {
    if (out.has(r)) return;
    out.add(r);
    for (const p of inherits.get(r) ?? []) visit(p);
  };
  for (const g of w.grants) if (holders.has(g.holder) && inScope(g.scope)) visit(g.role);
  return [...out].sort();
}

describe('authorize() agrees with cedar-wasm', () => {
  it('on random directories and requests (seeded)', async () => {
    const rand = seededRandom(20261208);
    let compared = 0;
    let agreed = 0;
    let allows = 0;
    let scopedOnly = 0;
    const disagreements: string[] = [];
    for (let c = 0; c < 120; c++) {
      const w = world(rand);
      const store = await openStore({ adapter: memoryAdapter() });
      const dir = await Directory.open({ store, follow: false });
      for (const r of w.roles) await dir.createRole(r);
      for (const g of w.groups)
        await dir.createPrincipal({ id: g.id, kind: 'group', groups: g.groups });
      for (const u of w.users)
        await dir.createPrincipal({
          id: u.id,
          attrs: u.attrs,
          groups: u.groups,
          disabled: u.disabled,
        });
      for (const g of w.grants) {
        await dir.assign(g.holder, g.role, g.scope === '*' ? {} : { scope: g.scope });
      }
      dir.entities.upsert([
        { uid: { type: 'Tenant', id: 't0' } },
        { uid: { type: 'Tenant', id: 't1' } },
        { uid: { type: 'Tenant', id: 't2' } },
        ...w.docs.map((d) => ({
          uid: { type: 'Doc', id: d.id },
          attrs: { status: d.status, minLevel: d.minLevel },
          parents: d.tenant === undefined ? [] : [{ type: 'Tenant', id: d.tenant }],
        })),
      ]);
      const text = w.policies.join('\n');
      const access = new AccessControl({
        directory: dir,
        policies: PolicySet.parse(text),
        explain: false,
      });
      const entities = dir.entities.toJson();
      // cedar-wasm names policies given as one text policy0, policy1…: give them by @id.
      const byId = Object.fromEntries(
        w.policies.map((p) => [/@id\("([^"]+)"\)/.exec(p)?.[1] as string, p]),
      );
      for (let q = 0; q < 25; q++) {
        const user = w.users[Math.floor(rand() * w.users.length)] as World['users'][number];
        const action = ACTIONS[Math.floor(rand() * ACTIONS.length)] as string;
        const resource =
          rand() < 0.85
            ? `Doc::"${(w.docs[Math.floor(rand() * w.docs.length)] as World['docs'][number]).id}"`
            : `Tenant::"t${Math.floor(rand() * 3)}"`;
        const ours = access.authorize({ principal: user.id, action, resource });
        compared++;
        if (user.disabled) {
          if (!ours.allowed && ours.determining.length === 0) agreed++;
          else disagreements.push(`disabled ${user.id} allowed`);
          continue;
        }
        const roles = referenceRoles(w, user.id, resource);
        const globalOnly = referenceRoles(
          { ...w, grants: w.grants.filter((g) => g.scope === '*') },
          user.id,
          resource,
        );
        if (roles.length > globalOnly.length) scopedOnly++;
        const [rType, rId] = resource.split('::') as [string, string];
        const answer = cedar.isAuthorized({
          principal: { type: 'User', id: user.id },
          action: { type: 'Action', id: action },
          resource: { type: rType, id: JSON.parse(rId) as string },
          context: { roles: roles.map((r) => ({ __entity: { type: 'Role', id: r } })) },
          policies: { staticPolicies: byId },
          entities: entities as cedar.Entities,
        });
        if (answer.type !== 'success') throw new Error(JSON.stringify(answer.errors));
        const theirs = answer.response;
        const same =
          theirs.decision === ours.decision &&
          JSON.stringify([...theirs.diagnostics.reason].sort()) ===
            JSON.stringify(ours.determining) &&
          JSON.stringify(roles) === JSON.stringify(ours.roles);
        if (same) agreed++;
        else
          disagreements.push(
            `${user.id} ${action} ${resource}: ${theirs.decision} ${JSON.stringify(theirs.diagnostics.reason)} ${JSON.stringify(roles)} vs ${ours.decision} ${JSON.stringify(ours.determining)} ${JSON.stringify(ours.roles)}`,
          );
        if (ours.allowed) allows++;
      }
      await dir.close();
      await store.close();
    }
    process.stdout.write(
      `authorize() vs cedar-wasm: ${agreed}/${compared} agree (${allows} allowed, ${scopedOnly} with scoped roles)\n`,
    );
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(agreed).toBe(compared);
    // The generator must exercise both outcomes and scoped roles in earnest.
    expect(allows).toBeGreaterThan(compared / 10);
    expect(scopedOnly).toBeGreaterThan(compared / 10);
  });
});
