import type { RawResponse } from '../raw-http.js';
import type { FuzzRequest } from './requests.js';

/** What the accepted writes alone produce: the state the service must show after a run. */
export interface ModelState {
  /** Native artifacts (outside the Confluent group): name → state. */
  readonly artifacts: Map<string, ModelArtifact>;
  /** Confluent subjects: name → versions (Confluent numbers them 1, 2, … per subject). */
  readonly subjects: Map<string, ModelSubject>;
  readonly releases: Set<string>;
  readonly promotions: Set<string>;
}

export interface ModelArtifact {
  deleted: boolean;
  readonly versions: Map<string, { digest: string; state: string; deleted: boolean }>;
  readonly tags: Map<string, string>;
}

export interface ModelSubject {
  revisions: number;
  readonly versions: Array<{ id: number; revision: number; deleted: boolean }>;
}

export const emptyModel = (): ModelState => ({
  artifacts: new Map(),
  subjects: new Map(),
  releases: new Set(),
  promotions: new Set(),
});

const decode = (s: string) => decodeURIComponent(s);

/** Path parameters of a native request, by the template's names (decoded as Fastify does). */
function params(template: string, target: string): Record<string, string> {
  const want = template.split('/');
  const got = (target.split('?')[0] ?? '').split('/');
  const out: Record<string, string> = {};
  want.forEach((w, i) => {
    if (w.startsWith(':')) out[w.slice(1)] = decode(got[i] ?? '');
  });
  return out;
}

const queryFlag = (target: string, name: string) =>
  new URLSearchParams(target.split('?')[1] ?? '').get(name) === 'true';

function artifactOf(m: ModelState, name: string): ModelArtifact {
  let a = m.artifacts.get(name);
  if (a === undefined) {
    a = { deleted: false, versions: new Map(), tags: new Map() };
    m.artifacts.set(name, a);
  }
  return a;
}

const isConfluentGroup = (name: string) => name.startsWith('confluent/');

/**
 * Applies one accepted (2xx) request to the model. Outcomes the request alone does not say
 * (the version a bump chose, a content digest) come from the answer; everything else from the
 * request. Returns false when the route is not one the model knows how to apply.
 */
export function apply(m: ModelState, req: FuzzRequest, res: RawResponse): boolean {
  const [kind, ...rest] = req.route.split(' ');
  const json = () => JSON.parse(res.body) as Record<string, unknown>;
  if (kind === 'confluent') return applyConfluent(m, req, res, `${rest[0]} ${rest[1] ?? ''}`, json);
  const template = rest[0] as string;
  const route = `${req.method} ${template}`;
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  const p = params(template, req.target);
  const name = p.group !== undefined ? `${p.group}/${p.name}` : '';
  if (isConfluentGroup(name)) return true; // compared through the Confluent view
  switch (route) {
    case 'POST /v1/artifacts': {
      const info = json() as { artifact: string };
      if (!isConfluentGroup(info.artifact)) artifactOf(m, info.artifact);
      return true;
    }
    case 'PATCH /v1/artifacts/:group/:name':
    case 'PUT /v1/artifacts/:group/:name/rules':
    case 'POST /v1/artifacts/:group/:name/validate':
    case 'POST /v1/artifacts/:group/:name/compatibility':
    case 'POST /v1/schemas/:id/validate':
    case 'POST /v1/releases/:id/reject':
    case 'POST /v1/promotions/:id/approve':
    case 'POST /v1/promotions/:id/reject':
    case 'POST /v1/promotions/:id/cancel':
      return true; // nothing the model compares
    case 'DELETE /v1/artifacts/:group/:name':
      if (queryFlag(req.target, 'permanent')) m.artifacts.delete(name);
      else artifactOf(m, name).deleted = true;
      return true;
    case 'POST /v1/artifacts/:group/:name/restore':
      artifactOf(m, name).deleted = false;
      return true;
    case 'POST /v1/artifacts/:group/:name/versions': {
      const r = json() as {
        version: { artifact: string; version: string; digest: string; state: string };
      };
      const a = artifactOf(m, r.version.artifact);
      a.versions.set(r.version.version, {
        digest: r.version.digest,
        state: r.version.state,
        deleted: false,
      });
      return true;
    }
    case 'PUT /v1/artifacts/:group/:name/versions/:ref/state': {
      const r = json() as { version: string; state: string };
      const v = artifactOf(m, name).versions.get(r.version);
      if (v !== undefined) v.state = r.state;
      return v !== undefined;
    }
    case 'DELETE /v1/artifacts/:group/:name/versions/:ref': {
      // The ref of an accepted delete is an exact version (ranges and tags resolve to one).
      const a = artifactOf(m, name);
      const version = resolveRef(a, p.ref as string);
      if (version === undefined) return false;
      const permanent = queryFlag(req.target, 'permanent');
      if (permanent) a.versions.delete(version);
      else (a.versions.get(version) as { deleted: boolean }).deleted = true;
      for (const [t, v] of a.tags) if (v === version) a.tags.delete(t);
      return true;
    }
    case 'POST /v1/artifacts/:group/:name/versions/:ref/restore': {
      const r = json() as { version: string };
      const v = artifactOf(m, name).versions.get(r.version);
      if (v !== undefined) v.deleted = false;
      return v !== undefined;
    }
    case 'PUT /v1/artifacts/:group/:name/tags/:tag': {
      const r = json() as { version: string };
      artifactOf(m, name).tags.set(p.tag as string, r.version);
      return true;
    }
    case 'DELETE /v1/artifacts/:group/:name/tags/:tag':
      artifactOf(m, name).tags.delete(p.tag as string);
      return true;
    case 'POST /v1/releases':
      m.releases.add((json() as { id: string }).id);
      return true;
    case 'POST /v1/promotions':
    case 'POST /v1/pipelines/:pipeline/stages/:stage/rollback':
      m.promotions.add((json() as { id: string }).id);
      return true;
    default:
      return false;
  }
}

function resolveRef(a: ModelArtifact, ref: string): string | undefined {
  if (a.versions.has(ref)) return ref;
  if (a.tags.has(ref)) return a.tags.get(ref);
  return undefined;
}

function applyConfluent(
  m: ModelState,
  req: FuzzRequest,
  res: RawResponse,
  route: string,
  json: () => Record<string, unknown>,
): boolean {
  const path = (req.target.split('?')[0] ?? '').slice('/confluent/'.length);
  const segs = path.split('/').map(decode);
  const subject = segs[1] ?? '';
  const permanent = queryFlag(req.target, 'permanent');
  switch (route.trim()) {
    case 'GET':
    case 'POST subjects/*':
    case 'POST compatibility/subjects/*/versions':
    case 'POST compatibility/subjects/*/versions/*':
    case 'PUT config':
    case 'PUT config/*':
    case 'DELETE config':
    case 'DELETE config/*':
    case 'PUT mode':
    case 'PUT mode/*':
    case 'DELETE mode':
    case 'DELETE mode/*':
      return true;
    case 'POST subjects/*/versions': {
      const id = json().id as number;
      const sub = m.subjects.get(subject) ?? { revisions: 0, versions: [] };
      if (!sub.versions.some((v) => v.id === id && !v.deleted)) {
        sub.versions.push({ id, revision: ++sub.revisions, deleted: false });
      }
      m.subjects.set(subject, sub);
      return true;
    }
    case 'DELETE subjects/*': {
      const sub = m.subjects.get(subject);
      if (permanent) m.subjects.delete(subject);
      else for (const v of sub?.versions ?? []) v.deleted = true;
      return true;
    }
    case 'DELETE subjects/*/versions/*': {
      // The answer is the version number that was deleted.
      const sub = m.subjects.get(subject);
      const revision = Number(res.body);
      const i = sub?.versions.findIndex((v) => v.revision === revision) ?? -1;
      if (sub === undefined || i < 0) return false;
      if (permanent) sub.versions.splice(i, 1);
      else (sub.versions[i] as { deleted: boolean }).deleted = true;
      return true;
    }
    default:
      return route.startsWith('GET ');
  }
}
