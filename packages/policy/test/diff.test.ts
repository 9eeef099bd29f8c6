import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { diffPolicySets, type DecisionChange, type PolicySetDiff } from '../src/diff.js';
import { EntityStore } from '../src/entities.js';
import { PolicySet } from '../src/policy-set.js';
import { Schema } from '../src/schema.js';
import { parsePolicies } from '../src/internal/parser.js';

/** A PolicySet-like object from Cedar text (ids: `@id`, else `policy<N>` by position). */
function set(text: string) {
  const policies = parsePolicies(text).map((p, i) => ({
    id: p.ast.annotations.get('id') ?? `policy${i}`,
    effect: p.ast.effect,
    ast: p.ast,
  }));
  return { policies: () => policies, digest: `test:${text}` };
}

const schema = Schema.parse(`
  entity Group;
  entity User in [Group] { dept: String, level: Long, manager?: User };
  entity Folder;
  entity Doc in [Folder] { owner: User, public: Bool, tags: Set<String> };
  action view, edit appliesTo { principal: [User], resource: [Doc], context: { mfa: Bool, ip?: String } };
  action "delete" appliesTo { principal: [User], resource: [Doc] };
`);

/** Decides a change's request again, with fresh authorizers, against its entities. */
function redecide(text: string, change: DecisionChange, host?: EntityStore) {
  const store = change.entities === undefined ? host! : EntityStore.fromJson([...change.entities]);
  return new Authorizer({ policies: set(text) }).isAuthorized(change.request, store);
}

function expectReal(before: string, after: string, diff: PolicySetDiff, host?: EntityStore): void {
  for (const c of diff.changes) {
    const x = redecide(before, c, host);
    const y = redecide(after, c, host);
    expect(x.decision).toBe(c.before.decision);
    expect(y.decision).toBe(c.after.decision);
    expect(x.decision).not.toBe(y.decision);
    expect(x.determining).toEqual(c.before.determining);
    expect(y.determining).toEqual(c.after.determining);
  }
}

describe('diffPolicySets: structural diff', () => {
  it('lists added, removed and changed ids', () => {
    const d = diffPolicySets(
      set(`
        @id("keep") permit(principal, action == Action::"view", resource);
        @id("edit") permit(principal, action == Action::"edit", resource) when { resource.owner == principal };
        @id("gone") forbid(principal, action == Action::"delete", resource);
      `),
      set(`
        @id("keep") permit(principal, action == Action::"view", resource);
        @id("edit") permit(principal, action == Action::"edit", resource) when { resource.owner == principal && context.mfa };
        @id("new") permit(principal in Group::"admins", action, resource);
      `),
      { schema },
    );
    expect(d.added).toEqual(['new']);
    expect(d.removed).toEqual(['gone']);
    expect(d.changed).toEqual(['edit']);
  });
});

describe('diffPolicySets: decision changes', () => {
  const before = `
    @id("eng-view") permit(principal in Group::"eng", action == Action::"view", resource);
    @id("owner-edit") permit(principal, action == Action::"edit", resource) when { resource.owner == principal };
  `;
  const after = `
    @id("eng-view") permit(principal in Group::"eng", action == Action::"view", resource) when { principal.level >= 3 };
    @id("owner-edit") permit(principal, action == Action::"edit", resource) when { resource.owner == principal };
  `;

  it('finds the requests a new condition denies, and only real changes', () => {
    const d = diffPolicySets(set(before), set(after), { schema });
    expect(d.changed).toEqual(['eng-view']);
    expect(d.truncated).toBe(false);
    expect(d.changes.length).toBeGreaterThan(0);
    for (const c of d.changes) {
      expect(c.request.action).toEqual({ type: 'Action', id: 'view' });
      expect(c.before).toEqual({ decision: 'allow', determining: ['eng-view'], errors: [] });
      expect(c.after.decision).toBe('deny');
      const principal = c.entities!.find(
        (e) => JSON.stringify(e.uid) === JSON.stringify(c.request.principal),
      )!;
      expect(principal.parents).toContainEqual({ type: 'Group', id: 'eng' });
      expect(principal.attrs!.level).toBeLessThan(3);
    }
    expectReal(before, after, d);
  });

  it('finds widened access: a removed forbid, a new permit', () => {
    const b = `
      permit(principal, action == Action::"view", resource) when { resource.public };
      forbid(principal, action, resource) unless { context.mfa };
    `;
    const a = `
      permit(principal, action == Action::"view", resource) when { resource.public };
      permit(principal == User::"alice", action == Action::"delete", resource);
    `;
    const d = diffPolicySets(set(b), set(a), { schema });
    const kinds = new Set(d.changes.map((c) => `${c.request.action.toString()}`));
    expect(kinds.size).toBeGreaterThan(0);
    expect(
      d.changes.some(
        (c) => (c.request.action as { id: string }).id === 'view' && c.after.decision === 'allow',
      ),
    ).toBe(true);
    expect(
      d.changes.some(
        (c) =>
          (c.request.action as { id: string }).id === 'delete' &&
          (c.request.principal as { id: string }).id === 'alice',
      ),
    ).toBe(true);
    expectReal(b, a, d);
  });

  it('works without a schema, from the types the policies name', () => {
    const d = diffPolicySets(set(before), set(after));
    expect(d.changes.length).toBeGreaterThan(0);
    expectReal(before, after, d);
  });

  it('reports nothing for reordered policies (no request needs evaluating)', () => {
    const b = `
      permit(principal in Group::"eng", action == Action::"view", resource);
      forbid(principal, action, resource) unless { context.mfa };
    `;
    const a = `
      forbid(principal, action, resource) unless { context.mfa };
      permit(principal in Group::"eng", action == Action::"view", resource);
    `;
    const d = diffPolicySets(set(b), set(a), { schema });
    expect(d.changed).toEqual(['policy0', 'policy1']);
    expect(d.changes).toEqual([]);
    expect(d.examined).toBe(0);
  });

  it('reports nothing for rewritten but equivalent policies, after evaluating the universe', () => {
    const b = `
      permit(principal in Group::"eng", action == Action::"view", resource) when { principal.level > 3 && context.mfa };
      forbid(principal, action, resource) unless { resource.public };
      permit(principal, action == Action::"edit", resource) when { resource.owner == principal };
    `;
    const a = `
      permit(principal in Group::"eng", action == Action::"view", resource)
        when { 3 < principal.level }
        when { context.mfa == true };
      forbid(principal, action, resource) when { !resource.public };
      permit(principal, action in [Action::"edit"], resource) when { principal == resource.owner };
    `;
    const d = diffPolicySets(set(b), set(a), { schema });
    expect(d.examined).toBeGreaterThan(0);
    expect(d.truncated).toBe(false);
    expect(d.changes).toEqual([]);
  });

  it('is deterministic and independent of policy order', () => {
    const b2 = before.split('\n').reverse().join('\n');
    const d1 = diffPolicySets(set(before), set(after), { schema });
    const d2 = diffPolicySets(set(before), set(after), { schema });
    const d3 = diffPolicySets(set(b2), set(after), { schema });
    expect(d2.changes).toEqual(d1.changes);
    expect(d3.changes.map((c) => c.request)).toEqual(d1.changes.map((c) => c.request));
  });

  it('stops at maxRequests and says so', () => {
    const d = diffPolicySets(set(before), set(after), { schema, maxRequests: 3 });
    expect(d.examined).toBe(3);
    expect(d.truncated).toBe(true);
    expect(d.universeSize).toBeGreaterThan(3);
    const full = diffPolicySets(set(before), set(after), { schema });
    expect(full.examined).toBe(full.universeSize);
  });

  it("tries the host's own entities, against its store", () => {
    const host = EntityStore.fromJson([
      { uid: { type: 'Group', id: 'eng' } },
      {
        uid: { type: 'User', id: 'carol' },
        attrs: { dept: 'r&d', level: 1 },
        parents: [{ type: 'Group', id: 'eng' }],
      },
      {
        uid: { type: 'User', id: 'dave' },
        attrs: { dept: 'r&d', level: 7 },
        parents: [{ type: 'Group', id: 'eng' }],
      },
      {
        uid: { type: 'Doc', id: 'plan' },
        attrs: { owner: { __entity: { type: 'User', id: 'dave' } }, public: false, tags: [] },
      },
    ]);
    const d = diffPolicySets(set(before), set(after), { schema, entities: host });
    const own = d.changes.filter((c) => c.entities === undefined);
    expect(own.map((c) => c.request.principal)).toEqual([{ type: 'User', id: 'carol' }]);
    expect(own[0]!.request.resource).toEqual({ type: 'Doc', id: 'plan' });
    expectReal(
      before,
      after,
      d,
      EntityStore.fromJson([...host.toJson(), { uid: { type: 'Action', id: 'view' } }]),
    );
  });

  it('rejects bad arguments', () => {
    expect(() => diffPolicySets({} as never, set(''))).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() => diffPolicySets(set(''), set(''), { maxRequests: 1.5 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_OPTION' }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property: for random small edits, every reported change is a real change.

const SCOPES_P = [
  'principal',
  'principal == User::"alice"',
  'principal in Group::"eng"',
  'principal is User',
];
const SCOPES_A = [
  'action',
  'action == Action::"view"',
  'action in [Action::"edit", Action::"delete"]',
];
const SCOPES_R = ['resource', 'resource in Folder::"f"', 'resource == Doc::"d"'];
const CONDS = [
  'principal.level > 2',
  'principal.level <= 5',
  'principal.dept == "eng"',
  'principal.dept like "e*"',
  'resource.public',
  'resource.owner == principal',
  'resource.tags.contains("secret")',
  'context.mfa',
  'context has ip && context.ip == "10.0.0.1"',
  'principal has manager && principal.manager == User::"bob"',
  'principal in Group::"admins"',
];

interface GenPolicy {
  readonly effect: 'permit' | 'forbid';
  readonly scope: readonly [number, number, number];
  readonly conds: readonly (readonly [boolean, number])[];
}

const policyArb: fc.Arbitrary<GenPolicy> = fc.record({
  effect: fc.constantFrom('permit' as const, 'forbid' as const),
  scope: fc.tuple(
    fc.nat(SCOPES_P.length - 1),
    fc.nat(SCOPES_A.length - 1),
    fc.nat(SCOPES_R.length - 1),
  ),
  conds: fc.array(fc.tuple(fc.boolean(), fc.nat(CONDS.length - 1)), { maxLength: 2 }),
});

function render(ps: readonly GenPolicy[]): string {
  return ps
    .map(
      (p, i) =>
        `@id("p${i}") ${p.effect}(${SCOPES_P[p.scope[0]]}, ${SCOPES_A[p.scope[1]]}, ${SCOPES_R[p.scope[2]]})` +
        p.conds.map(([when, c]) => ` ${when ? 'when' : 'unless'} { ${CONDS[c]} }`).join('') +
        ';',
    )
    .join('\n');
}

type Edit =
  | { kind: 'flip'; at: number }
  | { kind: 'drop'; at: number }
  | { kind: 'cond'; at: number; cond: readonly [boolean, number] }
  | { kind: 'scope'; at: number; part: 0 | 1 | 2; to: number }
  | { kind: 'add'; policy: GenPolicy };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(9) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat(9) }),
  fc.record({
    kind: fc.constant('cond' as const),
    at: fc.nat(9),
    cond: fc.tuple(fc.boolean(), fc.nat(CONDS.length - 1)),
  }),
  fc.record({
    kind: fc.constant('scope' as const),
    at: fc.nat(9),
    part: fc.constantFrom(0 as const, 1 as const, 2 as const),
    to: fc.nat(3),
  }),
  fc.record({ kind: fc.constant('add' as const), policy: policyArb }),
);

function apply(ps: readonly GenPolicy[], e: Edit): GenPolicy[] {
  const out = [...ps];
  if (e.kind === 'add') return [...out, e.policy];
  if (out.length === 0) return out;
  const i = e.at % out.length;
  const p = out[i]!;
  switch (e.kind) {
    case 'flip':
      out[i] = { ...p, effect: p.effect === 'permit' ? 'forbid' : 'permit' };
      break;
    case 'drop':
      out.splice(i, 1);
      break;
    case 'cond':
      out[i] = { ...p, conds: [...p.conds, e.cond] };
      break;
    case 'scope': {
      const sizes = [SCOPES_P.length, SCOPES_A.length, SCOPES_R.length];
      const scope = [...p.scope] as [number, number, number];
      scope[e.part] = e.to % sizes[e.part]!;
      out[i] = { ...p, scope };
      break;
    }
  }
  return out;
}

describe('diffPolicySets: property', () => {
  it('every reported change really differs when evaluated (no false positives)', () => {
    let found = 0;
    fc.assert(
      fc.property(
        fc.array(policyArb, { minLength: 1, maxLength: 4 }),
        fc.array(editArb, { minLength: 1, maxLength: 2 }),
        (ps, edits) => {
          const b = render(ps);
          const a = render(edits.reduce(apply, ps));
          const d = diffPolicySets(set(b), set(a), { schema, maxRequests: 300 });
          found += d.changes.length;
          expectReal(b, a, d);
          // A set compared with itself never changes.
          expect(diffPolicySets(set(a), set(a), { schema }).changes).toEqual([]);
        },
      ),
      { numRuns: 60, seed: 20261207 },
    );
    // The edits do change decisions, and the diff sees it.
    expect(found).toBeGreaterThan(0);
  });

  it('a flipped unconditional policy is always caught', () => {
    fc.assert(
      fc.property(
        fc.array(policyArb, { minLength: 0, maxLength: 3 }),
        fc.tuple(fc.nat(3), fc.nat(2), fc.nat(2)),
        (ps, [p, a, r]) => {
          const extra: GenPolicy = { effect: 'forbid', scope: [p, a, r], conds: [] };
          const b = render(
            ps.filter((x) => x.effect === 'permit').concat([{ ...extra, effect: 'permit' }]),
          );
          const after = render(ps.filter((x) => x.effect === 'permit').concat([extra]));
          const d = diffPolicySets(set(b), set(after), { schema, maxRequests: 2_000 });
          expect(d.changes.length).toBeGreaterThan(0);
          expectReal(b, after, d);
        },
      ),
      { numRuns: 25, seed: 7 },
    );
  });
});

describe('diffPolicySets: with PolicySet', () => {
  it('sees a new template link and nothing for a reformatted set', () => {
    const text = `
      @id("viewers") permit(principal == ?principal, action == Action::"view", resource in ?resource);
      @id("owner-edit") permit(principal, action == Action::"edit", resource) when { resource.owner == principal };
    `;
    const before = PolicySet.parse(text);
    const after = before.link('viewers', 'alice-f', {
      '?principal': { type: 'User', id: 'alice' },
      '?resource': { type: 'Folder', id: 'f' },
    });
    const d = diffPolicySets(before, after, { schema });
    expect(d.added).toEqual(['alice-f']);
    expect(d.changes.length).toBeGreaterThan(0);
    for (const c of d.changes) {
      expect(c.request.principal).toEqual({ type: 'User', id: 'alice' });
      expect(c.after).toEqual({ decision: 'allow', determining: ['alice-f'], errors: [] });
    }
    const reformatted = PolicySet.parse(before.toText());
    expect(
      diffPolicySets(
        after,
        reformatted.link('viewers', 'alice-f', {
          '?principal': { type: 'User', id: 'alice' },
          '?resource': { type: 'Folder', id: 'f' },
        }),
        { schema },
      ).changes,
    ).toEqual([]);
  });
});

describe('diffPolicySets: extension values', () => {
  const netSchema = Schema.parse(`
    entity User { since: datetime };
    entity Doc;
    action view appliesTo { principal: User, resource: Doc, context: { src: ipaddr, amount: decimal } };
  `);

  it('finds requests between two IP ranges and two dates', () => {
    const b = `
      permit(principal, action, resource) when { context.src.isInRange(ip("10.0.0.0/8")) };
      permit(principal, action, resource) when { principal.since < datetime("2024-01-01") };
    `;
    const a = `
      permit(principal, action, resource) when { context.src.isInRange(ip("10.1.0.0/16")) };
      permit(principal, action, resource) when { principal.since < datetime("2023-01-01") };
    `;
    const d = diffPolicySets(set(b), set(a), { schema: netSchema });
    expect(d.changes.length).toBeGreaterThan(0);
    expect(
      d.changes.every((c) => c.before.decision === 'allow' && c.after.decision === 'deny'),
    ).toBe(true);
    expectReal(b, a, d);
  });

  it('sees no change between equal decimal thresholds written differently', () => {
    const b = `permit(principal, action, resource) when { context.amount.lessThan(decimal("10.0")) };`;
    const a = `permit(principal, action, resource) when { context.amount.lessThan(decimal("10.0000")) };`;
    const d = diffPolicySets(set(b), set(a), { schema: netSchema });
    expect(d.examined).toBeGreaterThan(0);
    expect(d.changes).toEqual([]);
  });
});

describe('diffPolicySets: larger sets', () => {
  it("finds a change in one policy among many, through an entity attribute's attribute", () => {
    const actions = ['view', 'edit', 'delete'];
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      lines.push(
        i % 10 === 9
          ? `forbid(principal in Group::"g${i}", action == Action::"${actions[i % 3]}", resource) unless { context.mfa };`
          : `permit(principal in Group::"g${i % 12}", action == Action::"${actions[i % 3]}", resource in Folder::"f${i % 5}") when { principal.level >= ${i % 4} && resource.owner.dept == "d${i % 3}" };`,
      );
    }
    const b = lines.join('\n');
    lines[17] = lines[17]!.replace('>= 1', '>= 2');
    const a = lines.join('\n');
    const d = diffPolicySets(set(b), set(a), { schema, maxRequests: 2_000 });
    expect(d.changed).toEqual(['policy17']);
    expect(d.changes.length).toBeGreaterThan(0);
    const c = d.changes[0]!;
    expect(c.before.determining).toEqual(['policy17']);
    const owner = c.entities!.find(
      (e) => JSON.stringify(e.uid) === JSON.stringify(c.request.resource),
    )!.attrs!.owner as { __entity: { type: string; id: string } };
    const ownerData = c.entities!.find(
      (e) => JSON.stringify(e.uid) === JSON.stringify(owner.__entity),
    )!;
    expect(ownerData.attrs!.dept).toBe('d2');
    expectReal(b, a, d);
  });
});
