import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { isPlinthError } from '@plinth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { EntityStore } from '../src/entities.js';
import { parsePolicies } from '../src/internal/parser.js';
import { EntityUID } from '../src/internal/values.js';
import { PolicySet, type PolicySetJson } from '../src/policy-set.js';
import { policyIdAt, policySetArb, renderSet } from './oracle/policy-gen.js';

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const TEXT = `
// Readers may view anything.
permit(principal in Group::"readers", action == Action::"view", resource);

@id("no-bob")
forbid(principal == User::"bob", action, resource);

@id("owner-template")
permit(principal == ?principal, action, resource in ?resource);

permit(principal is User in ?principal, action, resource) when { resource.public };
`;

const request = (principal: string, action: string, resource: string) => ({
  principal: { type: 'User', id: principal },
  action: { type: 'Action', id: action },
  resource: { type: 'Doc', id: resource },
  context: {},
});

describe('ids', () => {
  it('uses @id when present, else policyN by position, templates counted', () => {
    const set = PolicySet.parse(TEXT);
    expect(set.policies().map((p) => p.id)).toEqual(['policy0', 'no-bob']);
    expect(set.templates().map((p) => p.id)).toEqual(['owner-template', 'policy3']);
    expect(set.size).toBe(2);
    expect(set.get('no-bob')?.effect).toBe('forbid');
    expect(set.get('policy3')?.kind).toBe('template');
    expect(set.get('nope')).toBeUndefined();
    expect(set.get('policy0')?.text).toBe(
      'permit(principal in Group::"readers", action == Action::"view", resource);',
    );
    expect([...set.get('no-bob')!.annotations]).toEqual([['id', 'no-bob']]);
  });

  it('names unannotated policies as cedar-wasm does', () => {
    const text =
      'permit(principal, action, resource);\nforbid(principal, action, resource) when { 1 + "a" == 2 };\npermit(principal, action, resource);';
    const r = cedar.isAuthorized({
      ...request('a', 'v', 'd'),
      policies: { staticPolicies: text },
      entities: [],
    });
    expect(r.type).toBe('success');
    if (r.type !== 'success') return;
    const ours = new Authorizer({ policies: PolicySet.parse(text) }).isAuthorized(
      request('a', 'v', 'd'),
    );
    expect(ours.determining).toEqual([...r.response.diagnostics.reason].sort());
    expect(ours.errors.map((e) => e.policyId)).toEqual(
      r.response.diagnostics.errors.map((e) => e.policyId),
    );
  });

  it('documents that cedar-wasm ignores @id when it names the policies of a text', () => {
    const r = cedar.isAuthorized({
      ...request('a', 'v', 'd'),
      policies: { staticPolicies: '@id("named") permit(principal, action, resource);' },
      entities: [],
    });
    expect(r.type === 'success' && r.response.diagnostics.reason).toEqual(['policy0']);
    // Plinth names it by its annotation.
    expect(
      PolicySet.parse('@id("named") permit(principal, action, resource);').policies()[0]!.id,
    ).toBe('named');
  });

  it('rejects two policies with one id', () => {
    for (const text of [
      '@id("a") permit(principal, action, resource); @id("a") forbid(principal, action, resource);',
      '@id("policy1") permit(principal, action, resource); permit(principal, action, resource);',
      '@id("t") permit(principal == ?principal, action, resource); @id("t") permit(principal, action, resource);',
    ]) {
      expect(
        isPlinthError(
          errorOf(() => PolicySet.parse(text)),
          'E_DUPLICATE_POLICY_ID',
        ),
        text,
      ).toBe(true);
    }
  });

  it('passes parse errors and limits through', () => {
    expect(
      isPlinthError(
        errorOf(() => PolicySet.parse('permit(')),
        'E_PARSE',
      ),
    ).toBe(true);
    expect(
      isPlinthError(
        errorOf(() =>
          PolicySet.parse('permit(principal, action, resource);', {
            limits: { maxDocumentSize: 5 },
          }),
        ),
        'E_LIMIT_EXCEEDED',
      ),
    ).toBe(true);
  });
});

describe('templates and links', () => {
  const set = PolicySet.parse(TEXT);

  it('links a template into a policy with its slots filled', () => {
    const linked = set.link('owner-template', 'alice-docs', {
      '?principal': { type: 'User', id: 'alice' },
      '?resource': 'Folder::"alice"',
    });
    const p = linked.get('alice-docs')!;
    expect(p.kind).toBe('link');
    expect(p.templateId).toBe('owner-template');
    expect(p.slots).toEqual({
      '?principal': new EntityUID('User', 'alice'),
      '?resource': new EntityUID('Folder', 'alice'),
    });
    expect(p.ast.principal).toEqual({
      op: '==',
      target: { kind: 'entity', uid: new EntityUID('User', 'alice') },
    });
    expect(p.ast.resource).toEqual({
      op: 'in',
      target: { kind: 'entity', uid: new EntityUID('Folder', 'alice') },
    });
    expect(p.annotations.get('id')).toBe('owner-template');
    expect(parsePolicies(p.text)[0]!.ast.principal).toEqual(p.ast.principal);
    expect(linked.policies().map((x) => x.id)).toEqual(['policy0', 'no-bob', 'alice-docs']);
    // The set it came from is unchanged, and the policies are shared.
    expect(set.get('alice-docs')).toBeUndefined();
    expect(linked.get('no-bob')).toBe(set.get('no-bob'));
  });

  it('decides linked policies as cedar-wasm does', () => {
    const linked = set
      .link('owner-template', 'L0', { '?principal': 'User::"alice"', '?resource': 'Folder::"f"' })
      .link('policy3', 'L1', { '?principal': 'Group::"g"' });
    const entities = [
      { uid: { type: 'User', id: 'alice' }, attrs: {}, parents: [{ type: 'Group', id: 'g' }] },
      { uid: { type: 'Group', id: 'g' }, attrs: {}, parents: [] },
      { uid: { type: 'Folder', id: 'f' }, attrs: {}, parents: [] },
      {
        uid: { type: 'Doc', id: 'd' },
        attrs: { public: true },
        parents: [{ type: 'Folder', id: 'f' }],
      },
      { uid: { type: 'Doc', id: 'e' }, attrs: { public: false }, parents: [] },
    ];
    const authorizer = new Authorizer({ policies: linked });
    const store = EntityStore.fromJson(entities);
    const decisions: string[] = [];
    for (const req of [
      request('alice', 'edit', 'd'),
      request('alice', 'edit', 'e'),
      request('bob', 'view', 'd'),
    ]) {
      const r = cedar.isAuthorized({
        ...req,
        policies: linked.toJson() as never,
        entities: entities as never,
      });
      expect(r.type).toBe('success');
      if (r.type !== 'success') return;
      const ours = authorizer.isAuthorized(req, store);
      expect(ours.decision).toBe(r.response.decision);
      expect(ours.determining).toEqual([...r.response.diagnostics.reason].sort());
      decisions.push(`${ours.decision}:${ours.determining.join(',')}`);
    }
    // Alice may edit d through both links and e through neither; bob is forbidden.
    expect(decisions).toEqual(['allow:L0,L1', 'deny:', 'deny:no-bob']);
  });

  it('reports link errors as E_LINK', () => {
    const cases: (() => unknown)[] = [
      () => set.link('missing', 'x', {}),
      () => set.link('policy0', 'x', {}),
      () => set.link('owner-template', 'x', { '?principal': 'User::"a"' }),
      () => set.link('policy3', 'x', { '?principal': 'User::"a"', '?resource': 'Doc::"d"' }),
      () => set.link('policy3', 'x', { '?principal': 42 as never }),
      () => set.link('policy3', 'x', { '?principal': 'not an entity' }),
    ];
    for (const f of cases) expect(isPlinthError(errorOf(f), 'E_LINK')).toBe(true);
    expect(
      isPlinthError(
        errorOf(() => set.link('policy3', 'no-bob', { '?principal': 'User::"a"' })),
        'E_DUPLICATE_POLICY_ID',
      ),
    ).toBe(true);
  });
});

describe('with and without', () => {
  const set = PolicySet.parse(TEXT).link('policy3', 'L', { '?principal': 'Group::"g"' });

  it('adds text numbered after the set, and other sets as they are', () => {
    const more = set.with('permit(principal, action, resource);');
    expect(more.get('policy4')?.kind).toBe('static');
    expect(
      isPlinthError(
        errorOf(() => set.with(set)),
        'E_DUPLICATE_POLICY_ID',
      ),
    ).toBe(true);
    const other = PolicySet.parse('@id("x") permit(principal, action, resource);');
    expect(
      set
        .with(other)
        .policies()
        .map((p) => p.id),
    ).toEqual(['policy0', 'no-bob', 'L', 'x']);
  });

  it('removes policies, and refuses to orphan a template’s links', () => {
    expect(
      set
        .without('no-bob')
        .policies()
        .map((p) => p.id),
    ).toEqual(['policy0', 'L']);
    expect(
      isPlinthError(
        errorOf(() => set.without('policy3')),
        'E_LINK',
      ),
    ).toBe(true);
    expect(
      set
        .without('policy3', 'L')
        .templates()
        .map((p) => p.id),
    ).toEqual(['owner-template']);
    expect(
      isPlinthError(
        errorOf(() => set.without('nope')),
        'E_UNKNOWN_POLICY',
      ),
    ).toBe(true);
    expect(set.size).toBe(3);
  });
});

describe('JSON and text forms', () => {
  const set = PolicySet.parse(TEXT)
    .link('owner-template', 'L0', { '?principal': 'User::"alice"', '?resource': 'Folder::"f"' })
    .link('policy3', 'L1', { '?principal': 'Group::"g"' });

  it('writes Cedar’s JSON policy-set format, which cedar-wasm reads', () => {
    const json = set.toJson();
    expect(Object.keys(json.staticPolicies)).toEqual(['policy0', 'no-bob']);
    expect(Object.keys(json.templates)).toEqual(['owner-template', 'policy3']);
    expect(json.templateLinks).toEqual([
      {
        templateId: 'owner-template',
        newId: 'L0',
        values: {
          '?principal': { type: 'User', id: 'alice' },
          '?resource': { type: 'Folder', id: 'f' },
        },
      },
      { templateId: 'policy3', newId: 'L1', values: { '?principal': { type: 'Group', id: 'g' } } },
    ]);
    expect(cedar.checkParsePolicySet(json as never)).toEqual({ type: 'success' });
  });

  it('reads its JSON back to the same set, from an object or its text', () => {
    const back = PolicySet.fromJson(set.toJson());
    expect(back.digest).toBe(set.digest);
    expect(back.policies().map((p) => p.id)).toEqual(set.policies().map((p) => p.id));
    expect(PolicySet.fromJson(JSON.stringify(set.toJson())).digest).toBe(set.digest);
  });

  it('reads policies given as Cedar text in the JSON format, keyed by id', () => {
    const json: PolicySetJson = {
      staticPolicies: {
        a: 'permit(principal, action, resource);',
        b: set.toJson().staticPolicies['no-bob']!,
      },
      templates: { t: 'permit(principal == ?principal, action, resource);' },
      templateLinks: [
        {
          templateId: 't',
          newId: 'l',
          values: { '?principal': { __entity: { type: 'User', id: 'x' } } },
        },
      ],
    };
    const s = PolicySet.fromJson(json);
    expect(s.policies().map((p) => p.id)).toEqual(['a', 'b', 'l']);
    expect(s.get('a')!.text).toBe('permit(principal, action, resource);');
  });

  it('reads static policies given as one text or a list, as cedar-wasm does', () => {
    const text =
      'permit(principal, action, resource);\n@id("x") forbid(principal, action, resource);';
    expect(PolicySet.fromJson({ staticPolicies: text }).digest).toBe(PolicySet.parse(text).digest);
    const listed = PolicySet.fromJson({
      staticPolicies: [
        'permit(principal, action, resource);',
        set.toJson().staticPolicies['no-bob']!,
      ],
    });
    expect(listed.policies().map((p) => p.id)).toEqual(['policy0', 'no-bob']);
    expect(
      isPlinthError(
        errorOf(() =>
          PolicySet.fromJson({
            staticPolicies: 'permit(principal == ?principal, action, resource);',
          }),
        ),
        'E_PARSE',
      ),
    ).toBe(true);
  });

  it('bounds the size and nesting of policy-set JSON', () => {
    const huge = JSON.stringify({ staticPolicies: {} }).padEnd(9 * 1024 * 1024, ' ');
    expect(
      isPlinthError(
        errorOf(() => PolicySet.fromJson(huge)),
        'E_LIMIT_EXCEEDED',
      ),
    ).toBe(true);
    let body = '{"Value":true}';
    for (let i = 0; i < 50_000; i++) body = `{"!":{"arg":${body}}}`;
    const deep = `{"staticPolicies":{"p":{"effect":"permit","principal":{"op":"All"},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[{"kind":"when","body":${body}}]}}}`;
    expect(
      isPlinthError(
        errorOf(() => PolicySet.fromJson(deep)),
        'E_LIMIT_EXCEEDED',
      ),
    ).toBe(true);
  });

  it('rejects malformed policy-set JSON', () => {
    const bad: unknown[] = [
      '{',
      '[]',
      { policies: {} },
      { staticPolicies: 42 },
      { templates: [] },
      { staticPolicies: { a: 'permit(principal == ?principal, action, resource);' } },
      { templates: { t: 'permit(principal, action, resource);' } },
      {
        staticPolicies: {
          a: 'permit(principal, action, resource); permit(principal, action, resource);',
        },
      },
      { staticPolicies: { a: { effect: 'allow' } } },
      { templateLinks: {} },
      { templateLinks: [{ templateId: 't' }] },
    ];
    for (const j of bad) {
      const e = errorOf(() => PolicySet.fromJson(j as never));
      expect(isPlinthError(e, 'E_PARSE'), JSON.stringify(j)).toBe(true);
    }
    expect(
      isPlinthError(
        errorOf(() =>
          PolicySet.fromJson({ templateLinks: [{ templateId: 't', newId: 'l', values: {} }] }),
        ),
        'E_LINK',
      ),
    ).toBe(true);
  });

  it('prints text that parses back to the same policies and ids (links live in the JSON form)', () => {
    const text = set.toText();
    const back = PolicySet.parse(text);
    expect(back.digest).toBe(set.without('L0', 'L1').digest);
    // After a removal, positional ids would shift: the text pins them with @id.
    const fewer = set.without('policy0');
    expect(
      PolicySet.parse(fewer.toText())
        .templates()
        .map((p) => p.id),
    ).toEqual(['owner-template', 'policy3']);
    expect(PolicySet.empty().toText()).toBe('');
    // A JSON key that differs from the policy's own @id wins, in the text too.
    const keyed = PolicySet.fromJson({
      staticPolicies: { key: '@id("inner") permit(principal, action, resource);' },
    });
    expect(keyed.policies()[0]!.id).toBe('key');
    expect(PolicySet.parse(keyed.toText()).policies()[0]!.id).toBe('key');
  });
});

describe('digest', () => {
  it('is the SHA-256 hex of the content, independent of layout and comments', () => {
    const a = PolicySet.parse('permit(principal, action, resource) when { context.x == 1 };');
    const b = PolicySet.parse(
      '// same\npermit(\n  principal,\n  action,\n  resource\n)\nwhen { context.x==1 };',
    );
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.digest).toBe(a.digest);
    expect(
      PolicySet.parse('permit(principal, action, resource) when { context.x == 2 };').digest,
    ).not.toBe(a.digest);
    expect(
      PolicySet.parse('@id("other") permit(principal, action, resource) when { context.x == 1 };')
        .digest,
    ).not.toBe(a.digest);
  });

  it('distinguishes Longs past 2^53 exactly', () => {
    const a = PolicySet.parse(
      'permit(principal, action, resource) when { context.x == 9007199254740993 };',
    );
    const b = PolicySet.parse(
      'permit(principal, action, resource) when { context.x == 9007199254740992 };',
    );
    expect(a.digest).not.toBe(b.digest);
  });
});

describe('generated policy sets', () => {
  it('get the ids the differential suite expects, and survive JSON and text round trips', () => {
    fc.assert(
      fc.property(policySetArb(), (g) => {
        const rendered = renderSet(g);
        let set: PolicySet;
        try {
          set = PolicySet.parse(rendered.text);
        } catch (e) {
          // Sets both engines reject (an action scope on a non-action type) are the differential
          // suite's to check; this test is about the sets that parse.
          if (isPlinthError(e, 'E_PARSE')) return;
          throw e;
        }
        g.policies.forEach((_, i) => expect(set.get(policyIdAt(g, i))).toBeDefined());
        for (const l of rendered.links) set = set.link(l.templateId, l.newId, l.values);
        expect(PolicySet.fromJson(set.toJson()).digest).toBe(set.digest);
        const statics = set.without(
          ...set
            .policies()
            .filter((p) => p.kind === 'link')
            .map((p) => p.id),
        );
        expect(PolicySet.parse(set.toText()).digest).toBe(statics.digest);
      }),
      { numRuns: 150, seed: 1416 },
    );
  });
});
