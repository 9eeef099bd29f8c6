import { canonicalJson, contentDigest, uuidv7 } from '@plinth/core';
import { promotionErrors } from '../errors.js';
import { shown } from './args.js';
import type {
  ArtifactInput,
  ArtifactRef,
  ArtifactResolver,
  Release,
  ReleaseInput,
} from '../types.js';
import { parseDependency } from './rules.js';
import { isRange, parseVersion } from './semver.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

function bad(message: string, details: Record<string, unknown> = {}): never {
  throw promotionErrors.create('E_INVALID_ARGUMENT', message, { details });
}

function splitRef(ref: string): { name: string; spec: string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0 || at === ref.length - 1)
    bad(`artifact reference "${ref}" must look like "name@version"`, { ref });
  return { name: ref.slice(0, at), spec: ref.slice(at + 1) };
}

async function resolveArtifact(
  input: ArtifactInput,
  resolver: ArtifactResolver | undefined,
): Promise<ArtifactRef> {
  let name: string;
  let spec: string;
  let digest: string | undefined;
  if (typeof input === 'string') ({ name, spec } = splitRef(input));
  else if (typeof input === 'object' && input !== null && 'ref' in input) {
    name = input.name;
    spec = splitRef(input.ref).spec;
  } else if (typeof input === 'object' && input !== null) {
    name = input.name;
    spec = input.version;
    digest = input.digest;
  } else bad('an artifact must be "name@version", { name, version } or { name, ref }');
  if (typeof name !== 'string' || name.length === 0) bad('an artifact needs a name');
  if (typeof spec !== 'string' || spec.trim().length === 0)
    bad(`artifact "${name}" needs a version`, { artifact: name });
  spec = spec.trim();
  if (resolver !== undefined) {
    try {
      const r = await resolver.resolve(`${name}@${spec}`);
      return {
        name,
        version: r.version,
        ...((r.digest ?? digest) !== undefined && { digest: (r.digest ?? digest) as string }),
      };
    } catch (error) {
      throw promotionErrors.create(
        'E_RESOLVE_FAILED',
        `resolving "${name}@${spec}" failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          details: { artifact: name, ref: spec },
          cause: error,
        },
      );
    }
  }
  // Without a resolver a release holds plain references; a range cannot be pinned.
  if (parseVersion(spec) === undefined && isRange(spec) && /[\^~*xX<>=|\s]/.test(spec)) {
    throw promotionErrors.create(
      'E_RESOLVER_REQUIRED',
      `"${name}@${spec}" is a range: configure a resolver to pin it`,
      {
        details: { artifact: name, ref: spec },
      },
    );
  }
  return { name, version: spec, ...(digest !== undefined && { digest }) };
}

/** Validates and pins a release input. */
export async function buildRelease(
  input: ReleaseInput,
  resolver: ArtifactResolver | undefined,
  now: number,
): Promise<Release> {
  if (typeof input !== 'object' || input === null) bad('createRelease takes an object');
  if (typeof input.name !== 'string' || !ID.test(input.name))
    bad(`release name must match ${String(ID)}`, { name: shown(input.name) });
  if (input.id !== undefined && (typeof input.id !== 'string' || !ID.test(input.id)))
    bad(`release id must match ${String(ID)}`, { id: shown(input.id) });
  if (!Array.isArray(input.artifacts) || input.artifacts.length === 0)
    bad('a release needs at least one artifact', { name: input.name });
  const artifacts = await Promise.all(input.artifacts.map((a) => resolveArtifact(a, resolver)));
  const names = new Set<string>();
  for (const a of artifacts) {
    if (names.has(a.name))
      bad(`artifact "${a.name}" appears twice in release "${input.name}"`, { artifact: a.name });
    names.add(a.name);
  }
  const dependencies = (input.dependencies ?? []).map(parseDependency);
  for (const d of dependencies) {
    if (!isRange(d.range) && d.range.includes(' '))
      bad(`dependency range "${d.range}" is not understood`, { dependency: d.name });
  }
  const metadata = input.metadata ?? {};
  try {
    canonicalJson(metadata);
  } catch (error) {
    throw promotionErrors.create(
      'E_INVALID_ARGUMENT',
      'release metadata must be JSON-serialisable',
      { cause: error },
    );
  }
  const sorted = [...artifacts].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    id: input.id ?? uuidv7(),
    name: input.name,
    artifacts,
    dependencies,
    metadata,
    digest: contentDigest({ artifacts: sorted, dependencies }),
    createdAt: now,
    createdBy: input.principal?.id ?? 'anonymous',
    status: 'active',
  };
}
