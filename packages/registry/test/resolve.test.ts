import fc from 'fast-check';
import semver from 'semver';
import { isPlinthError } from '@plinth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRegistry, type Fixture } from './helpers.js';

let f: Fixture;
beforeEach(async () => {
  f = await makeRegistry();
});
afterEach(async () => {
  await f.close();
});

async function publishAll(versions: string[], artifact = 'app/cfg') {
  await f.registry.publishMany(
    versions.map((v, i) => ({ artifact, kind: 'config', version: v, content: `c-${v}-${i}` })),
  );
}

describe('resolve', () => {
  it('resolves caret, tilde, x-ranges, hyphen ranges, || and exact versions', async () => {
    await publishAll(['1.0.0', '1.2.3', '2.0.0-rc.1', '2.0.0', '2.1.0', '3.1.0', '3.1.4', '3.2.0']);
    const r = (s: string) => f.registry.resolve(`app/cfg@${s}`).then((v) => v.version);
    expect(await r('^3.1')).toBe('3.2.0');
    expect(await r('~3.1')).toBe('3.1.4');
    expect(await r('2.x')).toBe('2.1.0');
    expect(await r('1.0.0 - 2.0.0')).toBe('2.0.0');
    expect(await r('<2 || ~3.1.0')).toBe('3.1.4');
    expect(await r('1.2.3')).toBe('1.2.3');
    expect(await r('>=2.0.0-rc.0 <2.0.0')).toBe('2.0.0-rc.1');
    expect((await f.registry.resolve('app/cfg')).version).toBe('3.2.0');
  });

  it('skips deprecated and disabled versions unless asked, and still serves an exact deprecated pin', async () => {
    await publishAll(['1.0.0', '1.1.0', '1.2.0']);
    await f.registry.deprecate('app/cfg@1.2.0');
    await f.registry.setState('app/cfg@1.1.0', 'disabled');
    expect((await f.registry.resolve('app/cfg@^1')).version).toBe('1.0.0');
    expect((await f.registry.resolve('app/cfg@^1', { includeDeprecated: true })).version).toBe(
      '1.2.0',
    );
    expect((await f.registry.resolve('app/cfg@~1.1', { includeDisabled: true })).version).toBe(
      '1.1.0',
    );
    expect((await f.registry.resolve('app/cfg@1.2.0')).version).toBe('1.2.0');
    await expect(f.registry.resolve('app/cfg@1.1.0')).rejects.toMatchObject({
      code: 'E_UNKNOWN_VERSION',
    });
    // `latest` points at 1.2.0, which is deprecated: the default resolution falls back.
    expect((await f.registry.resolve('app/cfg')).version).toBe('1.0.0');
  });

  it('gives typed errors for bad ranges, unknown tags and artifacts', async () => {
    await publishAll(['1.0.0']);
    const codes = await Promise.all(
      ['app/cfg@^9', 'app/cfg@nosuchtag', 'app/cfg@>=<1', 'app/none@1', 'bad@1'].map((r) =>
        f.registry.resolve(r).then(
          () => 'ok',
          (e: unknown) => (isPlinthError(e) ? e.code : String(e)),
        ),
      ),
    );
    expect(codes).toEqual([
      'E_UNKNOWN_VERSION',
      'E_UNKNOWN_TAG',
      'E_INVALID_RANGE',
      'E_UNKNOWN_ARTIFACT',
      'E_INVALID_NAME',
    ]);
  });

  it('agrees with semver.maxSatisfying through the registry, including after state changes', async () => {
    const num = fc.integer({ min: 0, max: 3 });
    const pre = fc.option(fc.constantFrom('alpha.1', 'beta', 'rc.0', '0'), {
      nil: undefined,
      freq: 3,
    });
    const version = fc
      .tuple(num, num, num, pre)
      .map(([a, b, c, p]) => `${a}.${b}.${c}${p ? `-${p}` : ''}`);
    const rangeArb = fc.oneof(
      fc
        .tuple(fc.constantFrom('^', '~', '>=', '<', '<=', '>', ''), version)
        .map(([o, v]) => `${o}${v}`),
      fc.tuple(num, num).map(([a, b]) => `${a}.${b}.x`),
      fc.tuple(version, version).map(([a, b]) => `${a} - ${b}`),
      fc.tuple(version, version).map(([a, b]) => `^${a} || ~${b}`),
      fc.constant('*'),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(version, {
          minLength: 1,
          maxLength: 25,
          selector: (v) => semver.parse(v)?.version,
        }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.array(rangeArb, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (versions, deprecate, ranges, includePrerelease) => {
          const artifact = `prop/a${run++}`;
          await publishAll(versions, artifact);
          const deprecated = new Set<string>();
          for (const i of deprecate) {
            const v = versions[i % versions.length] as string;
            if (deprecated.has(v)) continue;
            deprecated.add(v);
            await f.registry.deprecate(`${artifact}@${v}`);
          }
          const eligible = versions.filter((v) => !deprecated.has(v));
          for (const r of ranges) {
            const expected = semver.maxSatisfying(eligible, r, { includePrerelease });
            const got = await f.registry.resolve(`${artifact}@${r}`, { includePrerelease }).then(
              (v) => v.version,
              (e: unknown) => (isPlinthError(e, 'E_UNKNOWN_VERSION') ? null : Promise.reject(e)),
            );
            if (semver.valid(r) !== null) continue; // exact pins also serve deprecated versions
            expect(got).toBe(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('tags', () => {
  it('latest follows publishes of higher releases, stays put when pinned, and keeps a history', async () => {
    await publishAll(['1.0.0']);
    await f.registry.publish({ artifact: 'app/cfg', version: '1.1.0', content: 'b', actor: 'ci' });
    await f.registry.publish({ artifact: 'app/cfg', version: '1.0.1', content: 'c' });
    await f.registry.publish({ artifact: 'app/cfg', version: '2.0.0-rc.0', content: 'd' });
    expect((await f.registry.getArtifact('app/cfg')).tags.latest?.version).toBe('1.1.0');
    await f.registry.setTag('app/cfg', 'latest', '1.0.1', { pin: true, actor: 'ops' });
    await f.registry.publish({ artifact: 'app/cfg', version: '1.2.0', content: 'e' });
    expect((await f.registry.resolve('app/cfg@latest')).version).toBe('1.0.1');
    await f.registry.setTag('app/cfg', 'prod', '1.1.0');
    expect((await f.registry.resolve('app/cfg@prod')).version).toBe('1.1.0');
    const h = await f.registry.tagHistory('app/cfg', 'latest');
    expect(h.entries.map((e) => [e.from, e.to])).toEqual([
      [null, '1.0.0'],
      ['1.0.0', '1.1.0'],
      ['1.1.0', '1.0.1'],
    ]);
    expect(h.entries[2]).toMatchObject({ actor: 'ops', pinned: true });
    await f.registry.removeTag('app/cfg', 'prod');
    await expect(f.registry.resolve('app/cfg@prod')).rejects.toMatchObject({
      code: 'E_UNKNOWN_TAG',
    });
    await expect(f.registry.setTag('app/cfg', '^1', '1.0.0')).rejects.toMatchObject({
      code: 'E_INVALID_NAME',
    });
    await expect(f.registry.setTag('app/cfg', 'beta', '9.9.9')).rejects.toMatchObject({
      code: 'E_UNKNOWN_VERSION',
    });
  });
});
