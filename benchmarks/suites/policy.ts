import v8 from 'node:v8';
import vm from 'node:vm';
import { defineAbility, subject as caslSubject, type AnyAbility } from '@casl/ability';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { seededRandom } from '@plinth/core';
import {
  Authorizer,
  EntityStore,
  PolicySet,
  Schema,
  validatePolicies,
  type AuthorizationRequest,
} from '@plinth/policy';
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import { defineSuite, type Measurement, type RunSettings } from '../src/harness.js';
import { CASBIN_RBAC_MODEL } from '../src/casbin-rbac.js';
import { percentile } from '../src/stats.js';

/**
 * @plinth/policy against the official Cedar engine (cedar-wasm: the policy set preparsed once,
 * `statefulIsAuthorized` with only the request's entities and their ancestors passed per call,
 * its fastest mode), node-casbin `enforceSync` (RBAC with two role hierarchies: the part of the
 * model Casbin expresses directly) and CASL `can()` (one Ability per user built before timing,
 * conditions on resource fields). Same model, same 1,024 seeded requests, one process; every
 * case first checks the contenders agree on every request.
 *
 * The model: 8,000 users in 50 roles and 20 departments, 2,000 documents in 50 folders, five
 * actions; 100 policies: 50 RBAC permits (role → actions on a folder), 20 department read
 * permits, 20 department write permits gated on clearance ≥ level, 10 forbids on locked
 * documents of one folder each unless the principal is in the admin role. The scaling figures
 * add per-user grants on single documents (the shape template links produce) up to 10,000.
 */

const ACTIONS = ['read', 'write', 'delete', 'share', 'comment'] as const;
const USERS = 8_000;
const DOCS = 2_000;
const ROLES = 50;
const FOLDERS = 50;
const DEPTS = 20;
const REQUESTS = 1_024;

interface User {
  id: string;
  roles: string[];
  department: string;
  clearance: number;
}
interface Doc {
  id: string;
  folder: string;
  department: string;
  level: number;
  locked: boolean;
}

interface Model {
  users: User[];
  docs: Doc[];
  /** role → [actions, folder] of its RBAC permit. */
  rbac: { role: string; actions: string[]; folder: string }[];
  text: string;
  entities: unknown[];
  requests: AuthorizationRequest[];
}

function buildModel(policyTarget = 100, seed = 7): Model {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const users: User[] = Array.from({ length: USERS }, (_, i) => ({
    id: `u${i}`,
    roles: [`r${i % ROLES}`, ...(i % 7 === 0 ? [`r${(i * 13) % ROLES}`] : [])],
    department: `d${i % DEPTS}`,
    clearance: i % 5,
  }));
  users[0]!.roles.push('admin');
  const docs: Doc[] = Array.from({ length: DOCS }, (_, i) => ({
    id: `doc${i}`,
    folder: `f${(i * 31) % FOLDERS}`,
    department: `d${(i * 17) % DEPTS}`,
    level: i % 5,
    locked: i % 9 === 0,
  }));
  const rbac = Array.from({ length: ROLES }, (_, k) => ({
    role: `r${k}`,
    actions: ACTIONS.filter((_, j) => (k + j) % 3 !== 0),
    folder: `f${(k * 7) % FOLDERS}`,
  }));
  const lines: string[] = [];
  for (const r of rbac) {
    lines.push(
      `@id("rbac-${r.role}") permit(principal in Role::"${r.role}", action in [${r.actions
        .map((a) => `Action::"${a}"`)
        .join(', ')}], resource in Folder::"${r.folder}");`,
    );
  }
  for (let k = 0; k < DEPTS; k++) {
    lines.push(
      `@id("dept-read-d${k}") permit(principal is User, action == Action::"read", resource is Document) when { principal.department == "d${k}" && resource.department == "d${k}" };`,
    );
  }
  for (let k = 0; k < DEPTS; k++) {
    lines.push(
      `@id("dept-write-d${k}") permit(principal is User, action == Action::"write", resource is Document) when { principal.department == "d${k}" && resource.department == "d${k}" && principal.clearance >= resource.level };`,
    );
  }
  for (let k = 0; k < 10; k++) {
    lines.push(
      `@id("locked-f${k}") forbid(principal, action, resource in Folder::"f${k}") when { resource.locked } unless { principal in Role::"admin" };`,
    );
  }
  // Scaling variants: per-user grants on one document each (what template links produce),
  // on users and documents of the model, so they are real candidates the index must tell apart.
  for (let k = lines.length; k < policyTarget; k++) {
    lines.push(
      `@id("grant-${k}") permit(principal == User::"u${(k * 7919) % USERS}", action == Action::"${ACTIONS[k % 5]}", resource == Document::"doc${(k * 104_729) % DOCS}") when { resource.level <= ${k % 5} };`,
    );
  }
  const entities: unknown[] = [
    ...users.map((u) => ({
      uid: { type: 'User', id: u.id },
      attrs: { department: u.department, clearance: u.clearance },
      parents: u.roles.map((r) => ({ type: 'Role', id: r })),
    })),
    ...rbac.map((r) => ({ uid: { type: 'Role', id: r.role }, attrs: {}, parents: [] })),
    { uid: { type: 'Role', id: 'admin' }, attrs: {}, parents: [] },
    ...docs.map((d) => ({
      uid: { type: 'Document', id: d.id },
      attrs: { department: d.department, level: d.level, locked: d.locked },
      parents: [{ type: 'Folder', id: d.folder }],
    })),
    ...Array.from({ length: FOLDERS }, (_, f) => ({
      uid: { type: 'Folder', id: `f${f}` },
      attrs: {},
      parents: [],
    })),
  ];
  const requests: AuthorizationRequest[] = Array.from({ length: REQUESTS }, () => ({
    principal: { type: 'User', id: pick(users).id },
    action: { type: 'Action', id: pick(ACTIONS) },
    resource: { type: 'Document', id: pick(docs).id },
    context: {},
  }));
  return { users, docs, rbac, text: lines.slice(0, policyTarget).join('\n'), entities, requests };
}

/** The request's entities and their ancestors: what a Cedar host passes per call. */
function slice(model: Model, r: AuthorizationRequest): unknown[] {
  const byKey = new Map<string, unknown>();
  const index = entityIndex(model);
  const visit = (type: string, id: string): void => {
    const key = `${type}::${id}`;
    if (byKey.has(key)) return;
    const e = index.get(key) as { parents: { type: string; id: string }[] } | undefined;
    if (e === undefined) return;
    byKey.set(key, e);
    for (const p of e.parents) visit(p.type, p.id);
  };
  const p = r.principal as { type: string; id: string };
  const res = r.resource as { type: string; id: string };
  visit(p.type, p.id);
  visit(res.type, res.id);
  return [...byKey.values()];
}

const indexes = new WeakMap<Model, Map<string, unknown>>();
function entityIndex(model: Model): Map<string, unknown> {
  let m = indexes.get(model);
  if (m === undefined) {
    m = new Map();
    for (const e of model.entities as { uid: { type: string; id: string } }[]) {
      m.set(`${e.uid.type}::${e.uid.id}`, e);
    }
    indexes.set(model, m);
  }
  return m;
}

const SCHEMA = `
entity Role, Folder;
entity User in [Role] { department: String, clearance: Long };
entity Document in [Folder] { department: String, level: Long, locked: Bool };
action read, write, delete, share, comment appliesTo { principal: User, resource: Document };
`;

/** A full GC through V8's flag (the harness does not start Node with --expose-gc). */
function collect(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function cedarCall(model: Model, r: AuthorizationRequest, id: string) {
  return {
    principal: r.principal as { type: string; id: string },
    action: r.action as { type: string; id: string },
    resource: r.resource as { type: string; id: string },
    context: {},
    preparsedPolicySetId: id,
    entities: slice(model, r) as never,
  };
}

function cedarDecision(call: ReturnType<typeof cedarCall>): string {
  const a = cedar.statefulIsAuthorized(call);
  if (a.type !== 'success') throw new Error(`cedar-wasm failed: ${JSON.stringify(a.errors)}`);
  return a.response.decision;
}

export default defineSuite({
  name: 'policy',
  description:
    '@plinth/policy vs cedar-wasm statefulIsAuthorized (policy set preparsed, per-request entity ' +
    'slice), node-casbin enforceSync (RBAC part of the model) and CASL can() (per-user Ability ' +
    'built before timing). 100 policies, 10,050 entities, 1,024 seeded requests, one process; ' +
    'decisions checked equal before timing.',
  async cases() {
    const model = buildModel();
    const set = PolicySet.parse(model.text);
    const store = EntityStore.fromJson(model.entities as never);
    const plain = new Authorizer({ policies: set, entities: store, explain: false });
    const explained = new Authorizer({ policies: set, entities: store, explain: true });
    const pset = cedar.preparsePolicySet('bench', { staticPolicies: model.text });
    if (pset.type !== 'success') throw new Error(`cedar-wasm preparse: ${JSON.stringify(pset)}`);
    const calls = model.requests.map((r) => cedarCall(model, r, 'bench'));

    // Casbin: the RBAC part (roles → folder permissions, user → roles, document → folder).
    const enforcer: Enforcer = await newEnforcer(newModelFromString(CASBIN_RBAC_MODEL));
    for (const r of model.rbac) {
      for (const a of r.actions)
        await enforcer.addPolicy(`role:${r.role}`, `folder:${r.folder}`, a);
    }
    for (const u of model.users) {
      for (const role of u.roles) await enforcer.addGroupingPolicy(`user:${u.id}`, `role:${role}`);
    }
    for (const d of model.docs) {
      await enforcer.addNamedGroupingPolicy('g2', `doc:${d.id}`, `folder:${d.folder}`);
    }
    const rbacSet = PolicySet.parse(model.text.split('\n').slice(0, ROLES).join('\n'));
    const rbacOnly = new Authorizer({ policies: rbacSet, entities: store, explain: false });

    // CASL: one Ability per user, from the same rules.
    const abilities = new Map<string, AnyAbility>();
    const userById = new Map(model.users.map((u) => [u.id, u]));
    const docById = new Map(model.docs.map((d) => [d.id, caslSubject('Document', { ...d })]));
    const abilityOf = (u: User): AnyAbility =>
      defineAbility((can, cannot) => {
        for (const r of model.rbac) {
          if (u.roles.includes(r.role)) can(r.actions, 'Document', { folder: r.folder });
        }
        can('read', 'Document', { department: u.department });
        can('write', 'Document', { department: u.department, level: { $lte: u.clearance } });
        if (!u.roles.includes('admin')) {
          for (let k = 0; k < 10; k++)
            cannot(ACTIONS as never, 'Document', { folder: `f${k}`, locked: true });
        }
      });
    for (const r of model.requests) {
      const id = (r.principal as { id: string }).id;
      if (!abilities.has(id)) abilities.set(id, abilityOf(userById.get(id)!));
    }

    let sink: unknown;
    let pos = 0;
    const mask = REQUESTS - 1;
    const reqs = model.requests;
    const casbinArgs = reqs.map((r) => [
      `user:${(r.principal as { id: string }).id}`,
      `doc:${(r.resource as { id: string }).id}`,
      (r.action as { id: string }).id,
    ]);
    const caslArgs = reqs.map(
      (r) =>
        [
          abilities.get((r.principal as { id: string }).id)!,
          (r.action as { id: string }).id,
          docById.get((r.resource as { id: string }).id)!,
        ] as const,
    );

    return [
      {
        name: 'decision, 100 policies, 10,050 entities (explanations off) vs cedar-wasm',
        batch: 256,
        verify: () => {
          for (let i = 0; i < reqs.length; i++) {
            const ours = plain.isAuthorized(reqs[i]!).decision;
            const theirs = cedarDecision(calls[i]!);
            if (ours !== theirs) {
              throw new Error(`request ${i}: plinth ${ours}, cedar-wasm ${theirs}`);
            }
          }
        },
        ours: {
          name: 'Authorizer.isAuthorized',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink = plain.isAuthorized(reqs[pos++ & mask]!);
            return sink;
          },
        },
        anchors: [
          {
            name: 'cedar-wasm statefulIsAuthorized',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink = cedar.statefulIsAuthorized(calls[pos++ & mask]!);
              return sink;
            },
          },
        ],
        target: { minRatio: 100 },
      },
      {
        name: 'decision with explanations (near misses) vs without',
        batch: 256,
        ours: {
          name: 'isAuthorized, explain: true',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink = explained.isAuthorized(reqs[pos++ & mask]!);
            return sink;
          },
        },
        anchors: [
          {
            name: 'isAuthorized, explain: false',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink = plain.isAuthorized(reqs[pos++ & mask]!);
              return sink;
            },
          },
        ],
        target: { minRatio: 0.9 },
      },
      {
        name: 'RBAC decision (50 role policies, two hierarchies) vs node-casbin enforceSync',
        batch: 256,
        verify: () => {
          for (let i = 0; i < reqs.length; i++) {
            const ours = rbacOnly.isAuthorized(reqs[i]!).decision === 'allow';
            const [s, o, a] = casbinArgs[i]!;
            const theirs = enforcer.enforceSync(s, o, a);
            if (ours !== theirs) throw new Error(`request ${i}: plinth ${ours}, casbin ${theirs}`);
          }
        },
        ours: {
          name: 'Authorizer.isAuthorized (RBAC set)',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink = rbacOnly.isAuthorized(reqs[pos++ & mask]!);
            return sink;
          },
        },
        anchors: [
          {
            name: 'casbin enforceSync',
            fn: (n) => {
              for (let i = 0; i < n; i++) {
                const [s, o, a] = casbinArgs[pos++ & mask]!;
                sink = enforcer.enforceSync(s, o, a);
              }
              return sink;
            },
          },
        ],
      },
      {
        name: 'decision, full model vs CASL can() (Ability per user prebuilt)',
        batch: 256,
        verify: () => {
          for (let i = 0; i < reqs.length; i++) {
            const ours = plain.isAuthorized(reqs[i]!).decision === 'allow';
            const [ability, action, doc] = caslArgs[i]!;
            const theirs = ability.can(action, doc);
            if (ours !== theirs) throw new Error(`request ${i}: plinth ${ours}, CASL ${theirs}`);
          }
        },
        ours: {
          name: 'Authorizer.isAuthorized',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink = plain.isAuthorized(reqs[pos++ & mask]!);
            return sink;
          },
        },
        anchors: [
          {
            name: 'CASL ability.can',
            fn: (n) => {
              for (let i = 0; i < n; i++) {
                const [ability, action, doc] = caslArgs[pos++ & mask]!;
                sink = ability.can(action, doc);
              }
              return sink;
            },
          },
        ],
      },
      {
        name: 'validate 100 policies against a schema (text in, strict mode) vs cedar-wasm validate',
        verify: () => {
          const ours = validatePolicies(Schema.parse(SCHEMA), PolicySet.parse(model.text)).valid;
          const a = cedar.validate({
            validationSettings: { mode: 'strict' },
            schema: SCHEMA,
            policies: { staticPolicies: model.text },
          });
          const theirs = a.type === 'success' && a.validationErrors.length === 0;
          if (!ours || !theirs)
            throw new Error(`the bench policies must validate (${ours}, ${theirs})`);
        },
        ours: {
          name: 'validatePolicies(Schema.parse, PolicySet.parse)',
          fn: () => (sink = validatePolicies(Schema.parse(SCHEMA), PolicySet.parse(model.text))),
        },
        anchors: [
          {
            name: 'cedar-wasm validate',
            fn: () =>
              (sink = cedar.validate({
                validationSettings: { mode: 'strict' },
                schema: SCHEMA,
                policies: { staticPolicies: model.text },
              })),
          },
        ],
      },
    ];
  },
  measurements(settings: RunSettings): Measurement[] {
    const out: Measurement[] = [];
    const model = buildModel();
    const store = EntityStore.fromJson(model.entities as never);
    const reqs = model.requests;
    const rounds = settings.smoke ? 2 : 200;

    // Per-decision latency: every call timed alone.
    const auth = new Authorizer({
      policies: PolicySet.parse(model.text),
      entities: store,
      explain: false,
    });
    for (let i = 0; i < 20_000; i++) auth.isAuthorized(reqs[i % REQUESTS]!);
    const lat: number[] = [];
    for (let k = 0; k < rounds; k++) {
      for (const r of reqs) {
        const t0 = process.hrtime.bigint();
        auth.isAuthorized(r);
        lat.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
    lat.sort((a, b) => a - b);
    const note = `${lat.length} decisions timed one by one (hrtime overhead included)`;
    out.push({
      name: 'decision latency p50',
      value: percentile(lat, 0.5),
      unit: 'µs',
      target: { max: 1 },
      note,
    });
    out.push({
      name: 'decision latency p99',
      value: percentile(lat, 0.99),
      unit: 'µs',
      target: { max: 5 },
      note,
    });

    // Scaling: per-decision time at 10 and 10,000 policies.
    const perDecision = (n: number): number => {
      const a = new Authorizer({
        policies: PolicySet.parse(buildModel(n).text),
        entities: store,
        explain: false,
      });
      for (let i = 0; i < 20_000; i++) a.isAuthorized(reqs[i % REQUESTS]!);
      const t0 = process.hrtime.bigint();
      const total = rounds * REQUESTS;
      for (let i = 0; i < total; i++) a.isAuthorized(reqs[i & (REQUESTS - 1)]!);
      return Number(process.hrtime.bigint() - t0) / 1000 / total;
    };
    const small = perDecision(10);
    const base = perDecision(100);
    const large = perDecision(10_000);
    out.push({
      name: 'scaling: per-decision time at 10,000 policies / at 100 (same 100 + grants)',
      value: large / base,
      unit: '×',
      target: { max: 2 },
      note: `${base.toFixed(3)} µs at 100 policies, ${large.toFixed(3)} µs at 10,000`,
    });
    out.push({
      name: 'scaling: per-decision time at 10,000 policies / at 10',
      value: large / small,
      unit: '×',
      target: { max: 2 },
      note: `${small.toFixed(3)} µs at 10 policies, ${large.toFixed(3)} µs at 10,000`,
    });

    // Compile time and memory of 10,000 policies.
    const text = buildModel(10_000).text;
    collect();
    const before = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    const big = PolicySet.parse(text);
    const a = new Authorizer({ policies: big, entities: store, explain: false });
    a.isAuthorized(reqs[0]!);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    collect();
    const bytes = (process.memoryUsage().heapUsed - before) / 10_000;
    out.push({
      name: 'parse + compile + index 10,000 policies',
      value: ms,
      unit: 'ms',
      target: { max: 200 },
    });
    out.push({
      name: 'retained heap per policy (parsed, compiled, indexed)',
      value: bytes,
      unit: 'B',
      target: { max: 2048 },
      note: 'includes the policy text and AST kept for explanations',
    });
    if (a.policies.size !== 10_000) throw new Error('not all policies were kept');
    return out;
  },
});
