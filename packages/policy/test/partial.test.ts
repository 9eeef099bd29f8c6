/**
 * Partial evaluation to residual filters, by hand: for each construct that can depend on the
 * resource, a policy set whose residual filter must match exactly the resources the authorizer
 * allows (`isAuthorized(r) ⇔ matchesFilter(filter, r)`), checked on every entity of a small
 * store plus resources that are not stored, with the expected allowed set spelled out so that
 * a vacuous agreement cannot pass. Constructs the filter algebra has no predicate for give a
 * typed `E_UNSUPPORTED` naming the policy and the construct.
 */
import { isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { EntityStore } from '../src/entities.js';
import { matchesFilter, printFilter } from '../src/filters/filter.js';
import { residualFilter } from '../src/partial.js';
import { EntityUID } from '../src/internal/values.js';
import { PolicySet } from '../src/policy-set.js';
import type { EntityJson } from '../src/types.js';
import { agreement, policySet, type Request } from './residual-fixtures.js';

const ent = (type: string, id: string) => ({ __entity: { type, id } });
const ext = (fn: string, arg: string) => ({ __extn: { fn, arg } });

const ENTITIES: EntityJson[] = [
  {
    uid: { type: 'User', id: 'alice' },
    attrs: { dept: 'eng', level: 5, docs: [ent('Doc', 'd2')] },
    tags: { clearance: 3 },
    parents: [{ type: 'Group', id: 'admins' }],
  },
  {
    uid: { type: 'User', id: 'bob' },
    attrs: { dept: 'ops', level: 2 },
    parents: [{ type: 'Group', id: 'staff' }],
  },
  { uid: { type: 'Group', id: 'admins' }, attrs: {}, parents: [{ type: 'Group', id: 'staff' }] },
  { uid: { type: 'Group', id: 'staff' }, attrs: {}, parents: [] },
  { uid: { type: 'Folder', id: 'root' }, attrs: {}, parents: [] },
  { uid: { type: 'Folder', id: 'f1' }, attrs: {}, parents: [{ type: 'Folder', id: 'root' }] },
  { uid: { type: 'Folder', id: 'f2' }, attrs: {}, parents: [{ type: 'Folder', id: 'f1' }] },
  { uid: { type: 'Folder', id: 'other' }, attrs: {}, parents: [] },
  {
    uid: { type: 'Doc', id: 'd1' },
    attrs: {
      owner: ent('User', 'alice'),
      n: 1,
      name: 'report-2024.pdf',
      flag: true,
      labels: ['red', 'green'],
      readers: [ent('Group', 'admins')],
      folder: ent('Folder', 'f2'),
      address: { city: 'Paris' },
      created: ext('datetime', '2024-03-01'),
      ttl: ext('duration', '2h'),
      ip: ext('ip', '10.1.2.3'),
      price: ext('decimal', '1.25'),
    },
    parents: [{ type: 'Folder', id: 'f2' }],
    tags: { level: 3, info: { a: 'x' } },
  },
  {
    uid: { type: 'Doc', id: 'd2' },
    attrs: {
      owner: ent('User', 'bob'),
      n: 7,
      name: "o'brien_50%.txt",
      flag: false,
      labels: [],
      readers: [ent('Group', 'staff'), ent('User', 'alice')],
      folder: ent('Folder', 'other'),
      address: { zip: '75001' },
      created: ext('datetime', '2025-06-01'),
      ttl: ext('duration', '30m'),
      ip: ext('ip', '192.168.0.1'),
      price: ext('decimal', '3.5'),
    },
    parents: [{ type: 'Folder', id: 'f1' }],
    tags: { level: 'high' },
  },
  {
    uid: { type: 'Doc', id: 'd3' },
    // Wrong types everywhere: errors, never matches.
    attrs: {
      owner: 'alice',
      n: 'seven',
      name: 42,
      flag: 'yes',
      labels: 'red',
      readers: ent('Group', 'admins'),
      folder: 'f1',
      address: 'Paris',
      created: 5,
      ip: '10.0.0.1',
      price: 1,
    },
    parents: [{ type: 'Folder', id: 'root' }],
    tags: { level: 9 },
  },
  { uid: { type: 'Doc', id: 'd4' }, attrs: {}, parents: [] },
  {
    uid: { type: 'Doc', id: 'd5' },
    attrs: {
      owner: ent('User', 'ghost'),
      n: 3,
      name: 'Report-1.PDF',
      flag: true,
      labels: ['blue', 'red', 'green'],
      folder: ent('Folder', 'root'),
      ip: ext('ip', '127.0.0.1'),
    },
    parents: [
      { type: 'Folder', id: 'other' },
      { type: 'Folder', id: 'root' },
    ],
  },
  {
    uid: { type: 'Photo', id: 'p1' },
    attrs: { owner: ent('User', 'alice'), n: 9, name: 'report.pdf' },
    parents: [{ type: 'Folder', id: 'f1' }],
  },
];

const store = EntityStore.fromJson(ENTITIES);
/** Resources that are not stored: no attributes, no ancestors. */
const GHOSTS = ['Doc::"ghost"', 'Photo::"ghost"'];
const ALICE: Request = { principal: 'User::"alice"', action: 'Action::"view"' };
const BOB: Request = { principal: 'User::"bob"', action: 'Action::"view"' };

const permitWhen = (cond: string) => `permit(principal, action, resource) when { ${cond} };`;
let agreements = 0;

/** Asserts exact agreement, and that the authorizer allows exactly `expected`. */
function expectAllowed(
  text: string | PolicySet,
  expected: readonly string[],
  req: Request = ALICE,
) {
  const a = agreement(text, store, req, GHOSTS);
  expect(a.mismatches, `filter: ${printFilter(a.filter)}`).toEqual([]);
  expect(a.allowed.sort()).toEqual([...expected].sort());
  agreements += a.checked;
  return a;
}

const docs = (...ids: string[]) => ids.map((i) => `Doc::"${i}"`);

describe('residual filters agree with the authorizer on every resource', () => {
  it('scope: resource ==, in, is, is … in', () => {
    expectAllowed('permit(principal, action, resource == Doc::"d1");', docs('d1'));
    expectAllowed('permit(principal, action, resource in Folder::"f1");', [
      ...docs('d1', 'd2'),
      'Folder::"f1"',
      'Folder::"f2"',
      'Photo::"p1"',
    ]);
    expectAllowed('permit(principal, action, resource is Photo);', [
      'Photo::"p1"',
      'Photo::"ghost"',
    ]);
    expectAllowed(
      'permit(principal, action, resource is Doc in Folder::"root");',
      docs('d1', 'd2', 'd3', 'd5'),
    );
    expectAllowed('permit(principal == User::"bob", action, resource);', []);
    expectAllowed(
      'permit(principal in Group::"staff", action == Action::"view", resource == Doc::"d4");',
      docs('d4'),
    );
  });

  it('== and != on attributes, the resource and the principal', () => {
    expectAllowed(permitWhen('resource.owner == principal'), [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(permitWhen('principal == resource.owner'), [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.n != 7'), [...docs('d1', 'd3', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource == Doc::"d2" || resource == principal'), [
      ...docs('d2'),
      'User::"alice"',
    ]);
    expectAllowed(permitWhen('resource.address == {"city": "Paris"}'), docs('d1'));
    expectAllowed(permitWhen('resource.labels == ["green", "red"]'), docs('d1'));
    expectAllowed(permitWhen('resource.flag == (resource.n > 2)'), docs('d5'));
    expectAllowed(permitWhen('resource.n == resource.n'), [
      ...docs('d1', 'd2', 'd3', 'd5'),
      'Photo::"p1"',
    ]);
  });

  it('in over the hierarchy, from both sides', () => {
    expectAllowed(permitWhen('resource in Folder::"f1"'), [
      ...docs('d1', 'd2'),
      'Folder::"f1"',
      'Folder::"f2"',
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('resource in [Folder::"f2", Folder::"other"]'), [
      ...docs('d1', 'd5'),
      'Folder::"f2"',
      'Folder::"other"',
    ]);
    expectAllowed(permitWhen('resource.folder in Folder::"f1"'), docs('d1'));
    expectAllowed(
      permitWhen('resource.folder in [Folder::"other", Folder::"f2"]'),
      docs('d1', 'd2'),
    );
    // d3's readers is one entity, not a set: `in` accepts both.
    expectAllowed(permitWhen('principal in resource.readers'), docs('d1', 'd2', 'd3'));
    expectAllowed(permitWhen('principal in resource'), [
      'User::"alice"',
      'Group::"admins"',
      'Group::"staff"',
    ]);
    expectAllowed(permitWhen('resource in principal.docs'), docs('d2'));
    expectAllowed(permitWhen('resource.owner in Group::"admins"'), [...docs('d1'), 'Photo::"p1"']);
  });

  it('is, on the resource and on attributes', () => {
    expectAllowed(permitWhen('resource is Folder'), [
      'Folder::"root"',
      'Folder::"f1"',
      'Folder::"f2"',
      'Folder::"other"',
    ]);
    expectAllowed(permitWhen('!(resource is Doc) && resource has owner'), ['Photo::"p1"']);
    expectAllowed(permitWhen('resource.owner is User'), [...docs('d1', 'd2', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.folder is Folder in Folder::"f1"'), docs('d1'));
  });

  it('has, nested has, has on records', () => {
    expectAllowed(permitWhen('resource has owner'), [
      ...docs('d1', 'd2', 'd3', 'd5'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('resource has address.city'), docs('d1'));
    expectAllowed(permitWhen('resource.address has zip'), docs('d2'));
    expectAllowed(permitWhen('!(resource has name)'), [
      ...docs('d4', 'ghost'),
      'Photo::"ghost"',
      'User::"alice"',
      'User::"bob"',
      'Group::"admins"',
      'Group::"staff"',
      'Folder::"root"',
      'Folder::"f1"',
      'Folder::"f2"',
      'Folder::"other"',
    ]);
    expectAllowed(permitWhen('resource.owner has dept'), [...docs('d1', 'd2'), 'Photo::"p1"']);
  });

  it('like with wildcards, escapes and SQL metacharacters', () => {
    expectAllowed(permitWhen('resource.name like "report*"'), [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.name like "*.pdf"'), [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.name like "*_50%*"'), docs('d2'));
    expectAllowed(permitWhen('resource.name like "o\'*"'), docs('d2'));
    expectAllowed(permitWhen('!(resource.name like "*.pdf")'), docs('d2', 'd5'));
    expectAllowed(permitWhen('resource.name like "*"'), [...docs('d1', 'd2', 'd5'), 'Photo::"p1"']);
  });

  it('<, <=, >, >= on Longs (both orders), datetimes and durations', () => {
    expectAllowed(permitWhen('resource.n > 2'), [...docs('d2', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.n <= 3'), docs('d1', 'd5'));
    expectAllowed(permitWhen('3 < resource.n'), [...docs('d2'), 'Photo::"p1"']);
    expectAllowed(permitWhen('!(resource.n >= 7)'), docs('d1', 'd5'));
    expectAllowed(permitWhen('resource.n > principal.level'), [...docs('d2'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.created < datetime("2025-01-01")'), docs('d1'));
    expectAllowed(permitWhen('datetime("2025-01-01") <= resource.created'), docs('d2'));
    expectAllowed(permitWhen('resource.ttl > duration("1h")'), docs('d1'));
    expectAllowed(permitWhen('!(resource.ttl > duration("1h"))'), docs('d2'));
  });

  it('arithmetic on an attribute with known operands, overflow errors included', () => {
    expectAllowed(permitWhen('resource.n + 1 > 2'), [...docs('d2', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('-resource.n < -2'), [...docs('d2', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.n * 2 == 14'), docs('d2'));
    expectAllowed(permitWhen('10 - resource.n >= 7'), docs('d1', 'd5'));
    expectAllowed(permitWhen('!(2 * (resource.n - 1) + 1 <= 5)'), [...docs('d2'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.n * 0 == 0'), [...docs('d1', 'd2', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('resource.n + principal.level != 6'), [
      ...docs('d2', 'd5'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('[3, 7].contains(resource.n + 0)'), docs('d2', 'd5'));
    // n + (2^63 - 1) overflows for every n ≥ 1: an error, so no resource is allowed.
    expectAllowed(permitWhen('resource.n + 9223372036854775807 > 0'), []);
    expectAllowed(permitWhen('resource.n - 9223372036854775807 < 0'), [
      ...docs('d1', 'd2', 'd5'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('resource.n * 4611686018427387904 > 0'), docs('d1'));
    expectAllowed(permitWhen('!(resource.n * 4611686018427387904 > 0)'), []);
  });

  it('contains, containsAll, containsAny, isEmpty from both sides', () => {
    expectAllowed(permitWhen('resource.labels.contains("red")'), docs('d1', 'd5'));
    expectAllowed(permitWhen('!resource.labels.contains("red")'), docs('d2'));
    expectAllowed(permitWhen('resource.labels.containsAll(["red", "green"])'), docs('d1', 'd5'));
    expectAllowed(permitWhen('resource.labels.containsAny(["blue", "x"])'), docs('d5'));
    expectAllowed(
      permitWhen('["red", "green", "blue"].containsAny(resource.labels)'),
      docs('d1', 'd5'),
    );
    expectAllowed(permitWhen('resource.labels.isEmpty()'), docs('d2'));
    expectAllowed(permitWhen('!resource.labels.isEmpty()'), docs('d1', 'd5'));
    expectAllowed(
      permitWhen('["report-2024.pdf", "Report-1.PDF"].contains(resource.name)'),
      docs('d1', 'd5'),
    );
    expectAllowed(permitWhen('[Doc::"d1", Doc::"d4"].contains(resource)'), docs('d1', 'd4'));
    expectAllowed(permitWhen('resource.readers.contains(User::"alice")'), docs('d2'));
    expectAllowed(permitWhen('[true].contains(resource.n > 5)'), [...docs('d2'), 'Photo::"p1"']);
  });

  it('set literals holding resource attributes', () => {
    expectAllowed(permitWhen('[resource.owner, User::"bob"].contains(principal)'), [
      ...docs('d1'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('principal in [resource.owner, Group::"nobody"]'), [
      ...docs('d1'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('User::"bob" in [resource.owner, resource.folder]'), docs('d2'));
    expectAllowed(permitWhen('[resource.n, 7].containsAny([1, 3])'), docs('d1', 'd5'));
    expectAllowed(permitWhen('[1, 3, 7].containsAll([resource.n])'), docs('d1', 'd2', 'd5'));
    expectAllowed(permitWhen('[1, 3].containsAny([resource.n, resource.rank])'), []);
    expectAllowed(permitWhen('!([resource.n].isEmpty())'), [
      ...docs('d1', 'd2', 'd3', 'd5'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('[resource.flag].contains(true)'), docs('d1', 'd5'));
  });

  it('record literals holding resource attributes: every field must evaluate', () => {
    expectAllowed(permitWhen('{a: resource.n, b: 1}.a > 2'), [...docs('d2', 'd5'), 'Photo::"p1"']);
    expectAllowed(permitWhen('{a: resource.n, b: resource.name}.b like "*.pdf"'), [
      ...docs('d1'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('{a: resource.n} has a'), [
      ...docs('d1', 'd2', 'd3', 'd5'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('!({a: resource.n} has b)'), [
      ...docs('d1', 'd2', 'd3', 'd5'),
      'Photo::"p1"',
    ]);
    expectAllowed(permitWhen('{a: resource.n}.b == 1'), []);
  });

  it('tags: hasTag, getTag and paths below a tag', () => {
    expectAllowed(permitWhen('resource.hasTag("level")'), docs('d1', 'd2', 'd3'));
    expectAllowed(permitWhen('resource.getTag("level") > 2'), docs('d1', 'd3'));
    expectAllowed(
      permitWhen('resource.hasTag("level") && !(resource.getTag("level") < 5)'),
      docs('d3'),
    );
    expectAllowed(permitWhen('resource.getTag("info").a == "x"'), docs('d1'));
    expectAllowed(permitWhen('resource.getTag("info") has a'), docs('d1'));
    expectAllowed(permitWhen('!resource.hasTag(resource) || !resource.owner.hasTag(true)'), []);
    expectAllowed(permitWhen('resource.owner.hasTag("clearance")'), [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(permitWhen('!resource.owner.hasTag("clearance")'), docs('d2', 'd5'));
    expectAllowed(permitWhen('resource.owner.getTag("clearance") >= 3'), [
      ...docs('d1'),
      'Photo::"p1"',
    ]);
  });

  it('extension methods on attributes: ip, decimal', () => {
    expectAllowed(permitWhen('resource.ip.isInRange(ip("10.0.0.0/8"))'), docs('d1'));
    expectAllowed(permitWhen('!resource.ip.isInRange(ip("10.0.0.0/8"))'), docs('d2', 'd5'));
    expectAllowed(permitWhen('resource.ip.isLoopback()'), docs('d5'));
    expectAllowed(permitWhen('resource.price.lessThan(decimal("2.0"))'), docs('d1'));
    expectAllowed(permitWhen('decimal("2.0").lessThanOrEqual(resource.price)'), docs('d2'));
  });

  it('if-then-else: on the condition and on values it chooses', () => {
    expectAllowed(permitWhen('if resource has n then resource.n > 2 else true'), [
      ...docs('d2', 'd4', 'd5', 'ghost'),
      'Photo::"p1"',
      'Photo::"ghost"',
      'User::"alice"',
      'User::"bob"',
      'Group::"admins"',
      'Group::"staff"',
      'Folder::"root"',
      'Folder::"f1"',
      'Folder::"f2"',
      'Folder::"other"',
    ]);
    expectAllowed(permitWhen('(if resource.flag then resource.n else 7) == 7'), docs('d2'));
    expectAllowed(permitWhen('if principal.level > 3 then resource.n < 3 else false'), docs('d1'));
    expectAllowed(permitWhen('if principal.level > 3 then resource.n < 3 else false'), [], BOB);
  });

  it('attributes of an entity a resource attribute names are read from the store now', () => {
    const a = expectAllowed(permitWhen('resource.owner.level > 3'), [...docs('d1'), 'Photo::"p1"']);
    // The filter compares the reference; a path goes on only where the value is a record.
    expect(printFilter(a.filter)).toBe(
      '(resource.owner == User::"alice" || (resource.owner is:Record && resource.owner.level > 3))',
    );
    expectAllowed(
      permitWhen('resource.owner has level && resource.owner.dept == "ops"'),
      docs('d2'),
    );
    expectAllowed(permitWhen('resource.address.city == "Paris"'), docs('d1'));
  });

  it('evaluation errors: an erroring permit allows nothing, an erroring forbid denies nothing', () => {
    // d3's attributes have the wrong types; d4 has none; a ghost has no data.
    expectAllowed(permitWhen('resource.flag'), docs('d1', 'd5'));
    expectAllowed(permitWhen('!resource.flag'), docs('d2'));
    expectAllowed(
      `permit(principal, action, resource is Doc);\nforbid(principal, action, resource) when { resource.flag };`,
      docs('d2', 'd3', 'd4', 'ghost'),
    );
    expectAllowed(
      `permit(principal, action, resource is Doc);\nforbid(principal, action, resource) unless { resource.n < 5 };`,
      docs('d1', 'd3', 'd4', 'd5', 'ghost'),
    );
    expectAllowed(permitWhen('resource.owner.level > 3'), [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(permitWhen('principal.nope == 1 || resource.n == 1'), []);
    expectAllowed(permitWhen('resource.n == 1 || principal.nope == 1'), docs('d1'));
    expectAllowed(permitWhen('resource.n > 9223372036854775807 - 1'), []);
    expectAllowed(permitWhen('resource.name like "*" && 1 + 9223372036854775807 == 0'), []);
  });

  it('template-linked policies, with their slots filled, and unlinked templates ignored', () => {
    const set = PolicySet.parse(
      [
        '@id("t") permit(principal == ?principal, action, resource in ?resource) when { resource has owner };',
        '@id("f") forbid(principal, action, resource == ?resource);',
      ].join('\n'),
    )
      .link('t', 'alice-f1', { '?principal': 'User::"alice"', '?resource': 'Folder::"f1"' })
      .link('t', 'bob-root', { '?principal': 'User::"bob"', '?resource': 'Folder::"root"' })
      .link('f', 'no-d2', { '?resource': 'Doc::"d2"' });
    expectAllowed(set, [...docs('d1'), 'Photo::"p1"']);
    expectAllowed(set, [...docs('d1', 'd3', 'd5'), 'Photo::"p1"'], BOB);
  });

  it('several permits and forbids combine as Cedar decides', () => {
    expectAllowed(
      [
        'permit(principal, action, resource in Folder::"root") when { resource has owner };',
        'permit(principal, action, resource) when { resource.owner == principal };',
        'forbid(principal, action, resource) when { resource.n > 2 };',
        'forbid(principal, action == Action::"edit", resource);',
      ].join('\n'),
      docs('d1', 'd3'),
    );
  });

  it('context and principal are known: only the resource stays symbolic', () => {
    const text = permitWhen('context.mfa && resource.owner.dept == principal.dept');
    expectAllowed(text, [], { ...ALICE, context: { mfa: false } });
    expectAllowed(text, [...docs('d1'), 'Photo::"p1"'], { ...ALICE, context: { mfa: true } });
    expectAllowed(text, docs('d2'), { ...BOB, context: { mfa: true } });
  });

  it('resourceType: the filter starts with `resource is T` and folds type tests', () => {
    const a = expectAllowed(permitWhen('resource.owner == principal'), docs('d1'), {
      ...ALICE,
      resourceType: 'Doc',
    });
    expect(printFilter(a.filter)).toBe('(resource is Doc && resource.owner == User::"alice")');
    const b = agreement(permitWhen('resource is Photo'), store, { ...ALICE, resourceType: 'Doc' });
    expect(b.filter).toEqual({ kind: 'const', value: false });
  });

  it('residuals are simplified: known parts fold to constants', () => {
    const r = residualFilter({
      policies: policySet(
        [
          'permit(principal == User::"bob", action, resource);',
          'permit(principal, action, resource) when { principal.level > 3 && resource.n > 2 };',
          'permit(principal, action == Action::"edit", resource);',
        ].join('\n'),
      ),
      ...ALICE,
      entities: store,
    });
    expect(r.policies.map((p) => p.id)).toEqual(['policy1']);
    expect(printFilter(r.filter)).toBe('resource.n > 2');
    const always = residualFilter({
      policies: policySet('permit(principal, action, resource);'),
      ...ALICE,
    });
    expect(always.filter).toEqual({ kind: 'const', value: true });
    const never = residualFilter({
      policies: policySet('forbid(principal, action, resource);'),
      ...ALICE,
    });
    expect(never.filter).toEqual({ kind: 'const', value: false });
  });

  it('a resource absent from the store has no attributes and no ancestors', () => {
    const { filter } = residualFilter({
      policies: policySet(permitWhen('!(resource has n) && !(resource in Folder::"root")')),
      ...ALICE,
      entities: store,
    });
    expect(matchesFilter(filter, new EntityUID('Doc', 'ghost'), store)).toBe(true);
    expect(matchesFilter(filter, new EntityUID('Doc', 'd4'), store)).toBe(true);
    expect(matchesFilter(filter, new EntityUID('Doc', 'd1'), store)).toBe(false);
  });

  it('checked every hand case on every resource', () => {
    expect(agreements).toBeGreaterThan(1_000);
    console.info(`[partial] ${agreements} (policy set, resource) pairs agree with the authorizer`);
  });
});

describe('constructs without a filter predicate give a typed E_UNSUPPORTED', () => {
  const cases: [string, RegExp][] = [
    ['resource.n + resource.rank > 2', /arithmetic between two resource attributes \(`\+`\)/],
    ['resource.n * 2 < resource.rank', /`<` between two resource attributes/],
    [
      'resource.n + 1 == resource.rank',
      /`==` between arithmetic on a resource attribute and another resource value/,
    ],
    ['resource.n < resource.rank', /`<` between two resource attributes/],
    ['resource.owner == resource.manager', /`==` between two resource attributes/],
    ['resource.labels.contains(resource.name)', /`contains` with a resource-dependent argument/],
    ['resource.labels.containsAll(resource.tags)', /between two resource attributes/],
    [
      '["a"].containsAll(resource.labels)',
      /`containsAll` with a resource attribute as its argument/,
    ],
    ['resource.hasTag(resource.name)', /`hasTag` with a resource-dependent tag name/],
    ['resource.getTag(resource.name) == 1', /`getTag` with a resource-dependent tag name/],
    ['resource.ttl.toDays() > 3', /`toDays` on a resource attribute \(it returns Long\)/],
    ['[resource.n] == [1]', /`==` with a set literal holding a resource-dependent value/],
    [
      '[if resource.flag then 1 else 2].contains(1)',
      /a set literal holding a value chosen by a resource-dependent `if`/,
    ],
    ['{a: resource.n} == {a: 1}', /a record literal holding a resource-dependent value/],
    ['resource in resource.folder', /`resource in` one of its own attributes/],
  ];
  for (const [cond, message] of cases) {
    it(cond, () => {
      let error: unknown;
      try {
        residualFilter({
          policies: policySet(`@id("p") ${permitWhen(cond)}`),
          ...ALICE,
          entities: store,
        });
      } catch (e) {
        error = e;
      }
      expect(isPlinthError(error, 'E_UNSUPPORTED')).toBe(true);
      const e = error as Error & { details: { policyId: string; construct: string } };
      expect(e.message).toMatch(
        /policy "p" has no residual filter: .* cannot be expressed as a resource filter/,
      );
      expect(e.details.construct).toMatch(message);
      expect(e.details.policyId).toBe('p');
    });
  }

  it('a policy that cannot apply to the principal or action is never a problem', () => {
    const r = residualFilter({
      policies: policySet(
        'permit(principal == User::"bob", action, resource) when { resource.n + 1 > 2 };',
      ),
      ...ALICE,
    });
    expect(r.filter).toEqual({ kind: 'const', value: false });
  });

  it('bad arguments are typed errors', () => {
    expect(() => residualFilter({} as never)).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
    expect(() =>
      residualFilter({ policies: policySet(''), principal: 'nope', action: 'Action::"a"' }),
    ).toThrow(expect.objectContaining({ code: 'E_INVALID_REQUEST' }));
    expect(() => residualFilter({ policies: policySet(''), ...ALICE, resourceType: '' })).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }),
    );
  });
});
