import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkHostileCalls, hostileValues, type HostileCall } from '@plinth/core/testing';
import { ERROR_CODES, type Registry } from '../src/index.js';
import { makeRegistry, orderV1, type Fixture } from './helpers.js';

/** Hostile values, with names and references that almost parse. */
const hostile = hostileValues(['g/\u202ea', 'g/a\u200b', 'g/a@', 'g/a@>=1 <', 'g/a@1.0.0']);

const base = { artifact: 'g/a', kind: 'schema', format: 'json-schema', schema: orderV1 };
const CALLS: ReadonlyArray<HostileCall<Registry>> = [
  ['publish(x)', (r, a) => r.publish(a as never)],
  ['publish({artifact: x})', (r, a) => r.publish({ ...base, artifact: a } as never)],
  [
    'publish({format: x, schema: y})',
    (r, a, b) => r.publish({ ...base, format: a, schema: b } as never),
  ],
  ['publish({schema: x})', (r, a) => r.publish({ ...base, schema: a } as never)],
  [
    'publish({kind: x, content: y})',
    (r, a, b) => r.publish({ artifact: 'g/b', kind: a, content: b } as never),
  ],
  ['publish({version: x})', (r, a) => r.publish({ ...base, version: a } as never)],
  [
    'publish({labels: x, annotations: y})',
    (r, a, b) => r.publish({ ...base, labels: a, annotations: b } as never),
  ],
  [
    'publish({description: x, tags: y})',
    (r, a, b) => r.publish({ ...base, description: a, tags: b } as never),
  ],
  ['publish({references: x})', (r, a) => r.publish({ ...base, references: a } as never)],
  ['publishMany(x)', (r, a) => r.publishMany(a as never)],
  ['publishMany([x])', (r, a) => r.publishMany([a] as never)],
  ['createArtifact(x)', (r, a) => r.createArtifact(a as never)],
  [
    'createArtifact({artifact, kind: x})',
    (r, a) => r.createArtifact({ artifact: 'g/c', kind: a } as never),
  ],
  ['getArtifact(x)', (r, a) => r.getArtifact(a as never)],
  ['updateArtifact(x, y)', (r, a, b) => r.updateArtifact(a as never, b as never)],
  ['updateArtifact(g/a, y)', (r, _a, b) => r.updateArtifact('g/a', b as never)],
  ['deleteArtifact(x, y)', (r, a, b) => r.deleteArtifact(a as never, b as never)],
  ['restoreArtifact(x)', (r, a) => r.restoreArtifact(a as never)],
  ['resolve(x, y)', (r, a, b) => r.resolve(a as never, b as never)],
  ['fetch(x, y)', (r, a, b) => r.fetch(a as never, b as never)],
  ['openContent(x)', (r, a) => r.openContent(a as never)],
  ['listVersions(x, y)', (r, a, b) => r.listVersions(a as never, b as never)],
  ['listVersions(g/a, y)', (r, _a, b) => r.listVersions('g/a', b as never)],
  ['getVersionById(x)', (r, a) => r.getVersionById(a as never)],
  ['getContent(x)', (r, a) => r.getContent(a as never)],
  ['referencedBy(x)', (r, a) => r.referencedBy(a as never)],
  ['setTag(g/a, x, 1.0.0)', (r, a) => r.setTag('g/a', a as never, '1.0.0')],
  ['setTag(g/a, stable, x, y)', (r, a, b) => r.setTag('g/a', 'stable', a as never, b as never)],
  ['setTag(x, y, 1.0.0)', (r, a, b) => r.setTag(a as never, b as never, '1.0.0')],
  ['removeTag(x, y)', (r, a, b) => r.removeTag(a as never, b as never)],
  ['deprecate(g/a@1.0.0, {actor: x})', (r, a) => r.deprecate('g/a@1.0.0', { actor: a } as never)],
  ['tagHistory(g/a, x, y)', (r, a, b) => r.tagHistory('g/a', a as never, b as never)],
  ['setState(x, y)', (r, a, b) => r.setState(a as never, b as never)],
  ['setState(g/a@1.0.0, y)', (r, _a, b) => r.setState('g/a@1.0.0', b as never)],
  ['deprecate(x)', (r, a) => r.deprecate(a as never)],
  ['deleteVersion(x, y)', (r, a, b) => r.deleteVersion(a as never, b as never)],
  ['restoreVersion(x)', (r, a) => r.restoreVersion(a as never)],
  ['setRules(x, y)', (r, a, b) => r.setRules(a as never, b as never)],
  [
    'setRules(global, {ignore: x})',
    (r, a) => r.setRules({ scope: 'global' }, { ignore: a } as never),
  ],
  [
    'setRules(global, {compatibility: x})',
    (r, a) => r.setRules({ scope: 'global' }, { compatibility: a } as never),
  ],
  ['clearRules(x)', (r, a) => r.clearRules(a as never)],
  ['getRules(x)', (r, a) => r.getRules(a as never)],
  ['effectiveRules(x)', (r, a) => r.effectiveRules(a as never)],
  ['search(x)', (r, a) => r.search(a as never)],
  ['search({text: x, limit: y})', (r, a, b) => r.search({ text: a, limit: b } as never)],
  ['search({labels: x, cursor: y})', (r, a, b) => r.search({ labels: a, cursor: b } as never)],
  ['usage(x)', (r, a) => r.usage(a as never)],
  ['audit(x)', (r, a) => r.audit(a as never)],
  ['audit({cursor: x, limit: y})', (r, a, b) => r.audit({ cursor: a, limit: b } as never)],
  ['applyRetention(x)', (r, a) => r.applyRetention(a as never)],
  ['collectGarbage(x)', (r, a) => r.collectGarbage(a as never)],
  ['setReadOnly(x)', (r, a) => (typeof a === 'boolean' ? undefined : r.setReadOnly(a as never))],
];

let f: Fixture;
async function snapshot(): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of f.registry.export()) h.update(chunk);
  return h.digest('hex');
}

beforeAll(async () => {
  f = await makeRegistry();
  await f.registry.publish({ ...base, version: '1.0.0', tags: ['stable'] } as never);
});
afterAll(async () => {
  await f.close();
});

describe('hostile input to the public API', () => {
  it('is refused with a catalogued PlinthError and leaves the store unchanged (property)', async () => {
    const { rejected, accepted } = await checkHostileCalls({
      target: f.registry,
      calls: CALLS,
      codes: ERROR_CODES,
      first: hostile,
      second: hostile,
      snapshot,
      seed: 1313,
      numRuns: 600,
    });
    console.log(
      `registry hostile input: ${rejected} rejected with catalogued PlinthErrors, ${accepted} accepted, 0 raw errors`,
    );
  }, 120_000);
});
