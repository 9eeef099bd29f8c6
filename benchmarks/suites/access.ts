import { seededRandom } from '@plinth/core';
import { AccessControl, ApiKeys, Directory } from '@plinth/access';
import { ManualClock } from '@plinth/core';
import bcrypt from 'bcryptjs';
import { benchAudit } from '../../packages/access/bench/audit.bench.js';
import { benchSessions } from '../../packages/access/bench/sessions.bench.js';
import { PolicySet } from '@plinth/policy';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import { defineSuite, type BenchCase, type Measurement, type RunSettings } from '../src/harness.js';
import { CASBIN_RBAC_MODEL } from '../src/casbin-rbac.js';
import { percentile } from '../src/stats.js';

/**
 * @plinth/access against the libraries a host would glue together instead. authorize(): the
 * directory's RBAC (1,000 principals, 100 roles in an inheritance DAG, each role granting one
 * action on one folder of documents) decided with explanations on, against node-casbin
 * `enforce` and `enforceSync` on the equivalent RBAC model (g for user → role and role → role,
 * g2 for document → folder). Same 1,024 seeded requests, one process; decisions checked equal
 * before timing.
 */

const PRINCIPALS = 1_000;
const ROLES = 100;
const FOLDERS = 50;
const DOCS = 2_000;
const REQUESTS = 1_024;
const ACTIONS = ['read', 'write', 'delete', 'share'] as const;

interface RbacModel {
  roles: { name: string; inherits: string[]; action: string; folder: string }[];
  users: { id: string; roles: string[] }[];
  docs: { id: string; folder: string }[];
  requests: { principal: string; action: string; doc: string }[];
}

function buildRbac(seed = 11): RbacModel {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const roles = Array.from({ length: ROLES }, (_, i) => ({
    name: `r${i}`,
    // A DAG: a role may inherit up to two roles with smaller numbers.
    inherits:
      i < 10
        ? []
        : [
            `r${Math.floor(random() * i)}`,
            ...(random() < 0.3 ? [`r${Math.floor(random() * i)}`] : []),
          ],
    action: pick(ACTIONS),
    folder: `f${i % FOLDERS}`,
  }));
  for (const r of roles) r.inherits = [...new Set(r.inherits)];
  const users = Array.from({ length: PRINCIPALS }, (_, i) => ({
    id: `u${i}`,
    roles: [
      ...new Set([
        `r${Math.floor(random() * ROLES)}`,
        ...(random() < 0.5 ? [`r${Math.floor(random() * ROLES)}`] : []),
      ]),
    ],
  }));
  const docs = Array.from({ length: DOCS }, (_, i) => ({
    id: `doc${i}`,
    folder: `f${(i * 7) % FOLDERS}`,
  }));
  const requests = Array.from({ length: REQUESTS }, () => ({
    principal: pick(users).id,
    action: pick(ACTIONS),
    doc: pick(docs).id,
  }));
  return { roles, users, docs, requests };
}

let store: Store | undefined;
let directory: Directory | undefined;
let keyStore: Store | undefined;
let apiKeys: ApiKeys | undefined;
let issued: string[] = [];

/** 1,000 keys issued and verified once (so the L1 cache holds them), on the memory adapter. */
async function openKeys(): Promise<void> {
  if (apiKeys !== undefined) return;
  keyStore = await openStore({ adapter: memoryAdapter() });
  apiKeys = await ApiKeys.open({
    store: keyStore,
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    flushIntervalMs: 3_600_000,
  });
  issued = [];
  for (let i = 0; i < 1000; i++)
    issued.push((await apiKeys.create(`svc-${i}`, { scopes: ['jobs:run'] })).key);
  for (const k of issued) await apiKeys.verify(k);
}

async function apiKeyCases(): Promise<BenchCase[]> {
  await openKeys();
  const keys = apiKeys as ApiKeys;
  // The baseline: what a host does without prefixed keys: one bcrypt compare per request.
  const secrets = issued.slice(0, 16).map((k) => k.slice(-36, -6));
  const hashes = secrets.map((s) => bcrypt.hashSync(s, 10));
  let i = 0;
  let j = 0;
  return [
    {
      name: 'API key verify (checksum + SHA-256 + L1-cached store) vs bcrypt compare per request (cost 10)',
      verify: async () => {
        if ((await keys.verify(issued[0]!)).principalId !== 'svc-0')
          throw new Error('ours refused a good key');
        if (!bcrypt.compareSync(secrets[0]!, hashes[0]!))
          throw new Error('bcrypt refused its own hash');
      },
      ours: { name: 'ApiKeys.verify (hot)', fn: () => keys.verify(issued[i++ % 1000]!) },
      anchors: [
        {
          name: 'bcryptjs compareSync (cost 10)',
          fn: () => {
            const k = j++ % 16;
            if (!bcrypt.compareSync(secrets[k]!, hashes[k]!)) throw new Error('baseline mismatch');
          },
        },
      ],
    },
  ];
}

async function apiKeyMeasurements(settings: RunSettings): Promise<Measurement[]> {
  await openKeys();
  const keys = apiKeys as ApiKeys;
  const lat: number[] = [];
  const n = settings.smoke ? 1000 : 100_000;
  for (let k = 0; k < n; k++) {
    const t0 = process.hrtime.bigint();
    await keys.verify(issued[k % 1000]!);
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  lat.sort((a, b) => a - b);
  const note = `${n} verifies timed one by one, 1,000 cached keys`;
  return [
    {
      name: 'API key verify latency p50 (hot)',
      value: percentile(lat, 0.5),
      unit: 'µs',
      target: { max: 5 },
      note,
    },
    { name: 'API key verify latency p99 (hot)', value: percentile(lat, 0.99), unit: 'µs', note },
  ];
}

async function authorizeCases(): Promise<BenchCase[]> {
  const model = buildRbac();
  store = await openStore({ adapter: memoryAdapter() });
  const dir = (directory = await Directory.open({ store, follow: false }));
  for (const r of model.roles) await dir.createRole({ name: r.name, inherits: r.inherits });
  for (const u of model.users) {
    await dir.createPrincipal({ id: u.id });
    for (const role of u.roles) await dir.assign(u.id, role);
  }
  dir.entities.upsert([
    ...Array.from({ length: FOLDERS }, (_, i) => ({ uid: { type: 'Folder', id: `f${i}` } })),
    ...model.docs.map((d) => ({
      uid: { type: 'Doc', id: d.id },
      parents: [{ type: 'Folder', id: d.folder }],
    })),
  ]);
  const text = model.roles
    .map(
      (r) =>
        `@id("${r.name}") permit(principal in Role::"${r.name}", action == Action::"${r.action}", resource in Folder::"${r.folder}");`,
    )
    .join('\n');
  const access = new AccessControl({
    directory: dir,
    policies: PolicySet.parse(text),
    explain: true,
    auditDecisions: 'none',
  });

  const enforcer: Enforcer = await newEnforcer(newModelFromString(CASBIN_RBAC_MODEL));
  for (const r of model.roles) {
    await enforcer.addPolicy(`role:${r.name}`, `folder:${r.folder}`, r.action);
    // Casbin's g: the heir is a member of the role it inherits.
    for (const parent of r.inherits)
      await enforcer.addGroupingPolicy(`role:${r.name}`, `role:${parent}`);
  }
  for (const u of model.users) {
    for (const role of u.roles) await enforcer.addGroupingPolicy(`user:${u.id}`, `role:${role}`);
  }
  for (const d of model.docs)
    await enforcer.addNamedGroupingPolicy('g2', `doc:${d.id}`, `folder:${d.folder}`);

  const reqs = model.requests.map((r) => ({
    principal: r.principal,
    action: r.action,
    resource: `Doc::"${r.doc}"`,
  }));
  const casbinArgs = model.requests.map(
    (r) => [`user:${r.principal}`, `doc:${r.doc}`, r.action] as const,
  );
  let sink: unknown;
  let pos = 0;
  const mask = REQUESTS - 1;
  return [
    {
      name: `authorize() with explanations, ${PRINCIPALS} principals, ${ROLES} roles (DAG) vs node-casbin enforce`,
      batch: 256,
      verify: async () => {
        let allowed = 0;
        for (let i = 0; i < REQUESTS; i++) {
          const ours = access.authorize(reqs[i]!).allowed;
          const [s, o, a] = casbinArgs[i]!;
          const theirs = await enforcer.enforce(s, o, a);
          if (ours !== theirs) throw new Error(`request ${i}: plinth ${ours}, casbin ${theirs}`);
          if (ours) allowed++;
        }
        if (allowed < REQUESTS / 50)
          throw new Error(`only ${allowed} requests are allowed: the model is too sparse`);
      },
      ours: {
        name: 'AccessControl.authorize (explain on)',
        fn: (n) => {
          for (let i = 0; i < n; i++) sink = access.authorize(reqs[pos++ & mask]!);
          return sink;
        },
      },
      anchors: [
        {
          name: 'casbin enforce',
          fn: async (n) => {
            for (let i = 0; i < n; i++) {
              const [s, o, a] = casbinArgs[pos++ & mask]!;
              sink = await enforcer.enforce(s, o, a);
            }
            return sink;
          },
        },
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
      target: { minRatio: 1000 },
    },
  ];
}

async function authorizeMeasurements(settings: RunSettings): Promise<Measurement[]> {
  const model = buildRbac();
  const s = await openStore({ adapter: memoryAdapter() });
  const dir = await Directory.open({ store: s, follow: false });
  for (const r of model.roles) await dir.createRole({ name: r.name, inherits: r.inherits });
  for (const u of model.users.slice(0, settings.smoke ? 50 : PRINCIPALS)) {
    await dir.createPrincipal({ id: u.id });
    for (const role of u.roles) await dir.assign(u.id, role);
  }
  const text = model.roles
    .map(
      (r) =>
        `permit(principal in Role::"${r.name}", action == Action::"${r.action}", resource in Folder::"${r.folder}");`,
    )
    .join('\n');
  const access = new AccessControl({
    directory: dir,
    policies: PolicySet.parse(text),
    auditDecisions: 'none',
  });
  const reqs = model.requests.map((r) => ({
    principal: r.principal,
    action: r.action,
    resource: `Doc::"${r.doc}"`,
  }));
  for (let i = 0; i < 20_000; i++) access.authorize(reqs[i % REQUESTS]!);
  const lat: number[] = [];
  for (let k = 0; k < (settings.smoke ? 1 : 100); k++) {
    for (const r of reqs) {
      const t0 = process.hrtime.bigint();
      access.authorize(r);
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  lat.sort((a, b) => a - b);
  await dir.close();
  await s.close();
  const note = `${lat.length} authorize() calls timed one by one (explanations on)`;
  return [
    { name: 'authorize() latency p50', value: percentile(lat, 0.5), unit: 'µs', note },
    { name: 'authorize() latency p99', value: percentile(lat, 0.99), unit: 'µs', note },
  ];
}

async function auditMeasurements(settings: RunSettings): Promise<Measurement[]> {
  const r = await benchAudit(
    settings.smoke ? { entries: 5_000, proofTreeSize: 10_000, proofs: 1_000 } : {},
  );
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    {
      name: 'audit append, batched (SQLite, hash chain)',
      value: r.appendPerSec,
      unit: 'entries/s',
      target: { min: 100_000 },
      note: `${f(r.appended)} records, appendMany ×1000; one put per entry: ${f(r.naivePerSec)}/s (${r.appendRatio.toFixed(1)}×)`,
    },
    {
      name: 'audit append, concurrent append() (SQLite, group commit)',
      value: r.appendConcurrentPerSec,
      unit: 'entries/s',
    },
    {
      name: `audit inclusion proof p50 at ${f(r.proofTreeSize)} entries`,
      value: r.proofP50Us,
      unit: 'µs',
      target: { max: 1000 },
      note: `p99 ${r.proofP99Us.toFixed(1)} µs; recomputed from the leaves: ${f(r.naiveProofUs)} µs (${f(r.proofRatio)}×)`,
    },
  ];
}

async function sessionMeasurements(settings: RunSettings): Promise<Measurement[]> {
  const r = await benchSessions(settings.smoke ? { samples: 200, hashSamples: 1 } : {});
  return [
    ...r.passwords.flatMap((p) => [
      {
        name: `password ${p.hasher} hash p50 (default parameters)`,
        value: p.hashP50Ms,
        unit: 'ms',
      },
      {
        name: `password ${p.hasher} verify p50 (default parameters)`,
        value: p.verifyP50Ms,
        unit: 'ms',
      },
    ]),
    ...r.sessions.map((s) => ({
      name: `session validate p50, cached (${s.adapter})`,
      value: s.cachedP50Us,
      unit: 'µs',
      note: `uncached ${s.uncachedP50Us.toFixed(2)} µs: ${s.ratio.toFixed(1)}× faster`,
    })),
    ...r.tokens.map((t) => ({
      name: `access token ${t.algorithm} verify p50`,
      value: t.verifyP50Us,
      unit: 'µs',
      note: `bare jose jwtVerify ${t.joseVerifyP50Us.toFixed(1)} µs: ${t.overhead.toFixed(2)}× of it`,
    })),
  ];
}

export default defineSuite({
  name: 'access',
  description:
    '@plinth/access: authorize() with explanations on the directory RBAC (1,000 principals, 100 ' +
    'roles in a DAG) vs node-casbin enforce/enforceSync on the equivalent model; decisions ' +
    'checked equal before timing; one process.',
  async cases() {
    return [...(await authorizeCases()), ...(await apiKeyCases())];
  },
  async measurements(settings) {
    return [
      ...(await authorizeMeasurements(settings)),
      ...(await apiKeyMeasurements(settings)),
      ...(await auditMeasurements(settings)),
      ...(await sessionMeasurements(settings)),
    ];
  },
  async teardown() {
    await directory?.close();
    await store?.close();
    await apiKeys?.close();
    await keyStore?.close();
    apiKeys = undefined;
  },
});
