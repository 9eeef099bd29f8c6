import { isPlinthError } from '@plinth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRegistry, orderV1, type Fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeRegistry();
});
afterEach(async () => {
  await f.close();
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isPlinthError(e) ? e.code : String(e)),
  );

describe('lifecycle', () => {
  it('enforces draft → active → deprecated → disabled transitions', async () => {
    await f.registry.publish({
      artifact: 'a/m',
      kind: 'model',
      version: '1.0.0',
      content: 'x',
      state: 'draft',
    });
    expect((await f.registry.getArtifact('a/m')).tags.latest).toBeUndefined();
    await expect(f.registry.resolve('a/m@^1')).rejects.toMatchObject({ code: 'E_UNKNOWN_VERSION' });
    expect((await f.registry.resolve('a/m@^1', { includeDrafts: true })).state).toBe('draft');
    expect(await code(f.registry.setState('a/m@1.0.0', 'deprecated'))).toBe('E_INVALID_TRANSITION');
    const events: string[] = [];
    f.registry.subscribe((n) => events.push(n));
    await f.registry.setState('a/m@1.0.0', 'active', { actor: 'rel' });
    expect(events).toEqual(['version:activated', 'tag:moved']);
    expect((await f.registry.getArtifact('a/m')).tags.latest?.version).toBe('1.0.0');
    await f.registry.deprecate('a/m@1.0.0');
    await f.registry.setState('a/m@1.0.0', 'disabled');
    expect(await code(f.registry.setState('a/m@1.0.0', 'active'))).toBe('E_INVALID_TRANSITION');
    await f.registry.setState('a/m@1.0.0', 'deprecated');
    expect(events).toContain('version:deprecated');
    const audit = await f.registry.audit({ artifact: 'a/m' });
    expect(audit.entries.map((e) => e.action)).toEqual([
      'version.published',
      'version.active',
      'version.deprecated',
      'version.disabled',
      'version.deprecated',
    ]);
    expect(audit.entries[1]?.actor).toBe('rel');
  });

  it('soft-deletes and restores; deleted versions do not resolve', async () => {
    await f.registry.publish({ artifact: 'a/m', kind: 'model', version: '1.0.0', content: 'x' });
    await f.registry.publish({ artifact: 'a/m', version: '1.1.0', content: 'y' });
    await f.registry.deleteVersion('a/m@1.1.0');
    expect((await f.registry.resolve('a/m@^1')).version).toBe('1.0.0');
    expect((await f.registry.listVersions('a/m', { includeDeleted: true })).length).toBe(2);
    expect(
      await code(f.registry.publish({ artifact: 'a/m', version: '1.1.0', content: 'z' })),
    ).toBe('E_VERSION_EXISTS');
    await f.registry.restoreVersion('a/m@1.1.0');
    expect((await f.registry.resolve('a/m@^1')).version).toBe('1.1.0');
  });

  it('refuses a hard delete while referenced, or tagged unless forced; never reuses the version', async () => {
    await f.registry.publish({
      artifact: 'lib/common',
      kind: 'schema',
      format: 'json-schema',
      schema: orderV1,
    });
    await f.registry.publish({
      artifact: 'app/event',
      kind: 'schema',
      format: 'json-schema',
      schema: { type: 'object', properties: { order: { $ref: 'order.json' } } },
      references: [{ name: 'order.json', artifact: 'lib/common', version: '1.0.0' }],
    });
    expect(await f.registry.referencedBy('lib/common@1.0.0')).toEqual(['app/event@1.0.0']);
    expect(
      await code(f.registry.deleteVersion('lib/common@1.0.0', { permanent: true, force: true })),
    ).toBe('E_REFERENCED');
    await f.registry.deleteVersion('app/event@1.0.0', { permanent: true, force: true });
    expect(await code(f.registry.deleteVersion('lib/common@1.0.0', { permanent: true }))).toBe(
      'E_TAGGED',
    );
    await f.registry.deleteVersion('lib/common@1.0.0', { permanent: true, force: true });
    expect((await f.registry.listVersions('lib/common', { includeDeleted: true })).length).toBe(0);
    expect((await f.registry.getArtifact('lib/common')).tags.latest).toBeUndefined();
    expect(
      await code(f.registry.publish({ artifact: 'lib/common', schema: orderV1, version: '1.0.0' })),
    ).toBe('E_VERSION_EXISTS');
  });

  it('checks references: must exist, not be deleted, and not point at the version itself', async () => {
    await f.registry.publish({
      artifact: 'lib/common',
      kind: 'schema',
      format: 'json-schema',
      schema: orderV1,
    });
    await f.registry.deleteVersion('lib/common@1.0.0');
    const ref = [{ name: 'o', artifact: 'lib/common', version: '1.0.0' }];
    expect(
      await code(
        f.registry.publish({
          artifact: 'x/y',
          kind: 'config',
          version: '1.0.0',
          content: 'c',
          references: ref,
        }),
      ),
    ).toBe('E_BROKEN_REFERENCE');
    const self = [{ name: 's', artifact: 'x/y', version: '1.0.0' }];
    expect(
      await code(
        f.registry.publish({
          artifact: 'x/y',
          kind: 'config',
          version: '1.0.0',
          content: 'c',
          references: self,
        }),
      ),
    ).toBe('E_BROKEN_REFERENCE');
    await f.registry.setRules({ scope: 'artifact', artifact: 'x/y' }, { integrity: 'none' });
    expect(
      await code(
        f.registry.publish({
          artifact: 'x/y',
          kind: 'config',
          version: '1.0.0',
          content: 'c',
          references: ref,
        }),
      ),
    ).toBe('ok');
  });

  it('soft-deletes and restores an artifact; permanent delete removes its versions', async () => {
    await f.registry.publish({ artifact: 'a/m', kind: 'model', version: '1.0.0', content: 'x' });
    await f.registry.deleteArtifact('a/m');
    expect(await code(f.registry.resolve('a/m'))).toBe('E_UNKNOWN_ARTIFACT');
    expect(
      await code(f.registry.publish({ artifact: 'a/m', version: '1.1.0', content: 'y' })),
    ).toBe('E_UNKNOWN_ARTIFACT');
    await f.registry.restoreArtifact('a/m');
    expect((await f.registry.resolve('a/m')).version).toBe('1.0.0');
    await f.registry.deleteArtifact('a/m', { permanent: true });
    expect(await code(f.registry.getArtifact('a/m'))).toBe('E_UNKNOWN_ARTIFACT');
  });
});

describe('rules precedence', () => {
  it('takes each field from the most specific scope that sets it', async () => {
    await f.registry.setRules({ scope: 'global' }, { compatibility: 'FULL', validity: 'full' });
    await f.registry.setRules({ scope: 'group', group: 'payments' }, { compatibility: 'FORWARD' });
    await f.registry.setRules(
      { scope: 'artifact', artifact: 'payments/orders' },
      { compatibility: 'NONE' },
    );
    const a = await f.registry.effectiveRules('payments/orders');
    expect(a).toMatchObject({ compatibility: 'NONE', validity: 'full', integrity: 'full' });
    expect(a.sources).toMatchObject({
      compatibility: 'artifact',
      validity: 'global',
      integrity: 'default',
    });
    expect((await f.registry.effectiveRules('payments/refunds')).compatibility).toBe('FORWARD');
    expect((await f.registry.effectiveRules('shipping/x')).compatibility).toBe('FULL');
    await f.registry.clearRules({ scope: 'artifact', artifact: 'payments/orders' });
    expect((await f.registry.effectiveRules('payments/orders')).compatibility).toBe('FORWARD');
    expect(
      await code(f.registry.setRules({ scope: 'global' }, { compatibility: 'SIDEWAYS' } as never)),
    ).toBe('E_INVALID_ARGUMENT');
  });
});

describe('read-only mode', () => {
  it('refuses writes while reads keep working', async () => {
    await f.registry.publish({ artifact: 'a/m', kind: 'model', version: '1.0.0', content: 'x' });
    await f.registry.setReadOnly(true, { actor: 'ops' });
    expect(
      await code(f.registry.publish({ artifact: 'a/m', version: '1.1.0', content: 'y' })),
    ).toBe('E_READ_ONLY');
    expect(await code(f.registry.setTag('a/m', 'prod', '1.0.0'))).toBe('E_READ_ONLY');
    expect((await f.registry.fetch('a/m@1')).version.version).toBe('1.0.0');
    await f.registry.setReadOnly(false);
    expect(
      await code(f.registry.publish({ artifact: 'a/m', version: '1.1.0', content: 'y' })),
    ).toBe('ok');
  });
});
