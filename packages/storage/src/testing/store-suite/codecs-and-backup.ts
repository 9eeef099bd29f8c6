import { describe, expect, it } from 'vitest';
import { createKeyring, generateKey } from '../../codecs/keyring.js';
import { memoryAdapter } from '../../adapters/memory.js';
import { verifyBackup } from '../../backup.js';
import { openStore, type Store } from '../../store.js';
import type { StoreOptions } from '../../types.js';
import { code, collections, type SuiteContext, type User } from './context.js';
import type { RestoreTarget, StorageSuiteFixture } from './options.js';

export function codecsAndBackupCases(ctx: SuiteContext): void {
  const open = ctx.open;
  describe('codecs', () => {
    it('round-trips compressed and encrypted values, and refuses a wrong or missing key', async () => {
      const keyring = createKeyring({ active: { id: 'k1', key: generateKey() } });
      const store = await open({
        codecs: {
          compression: { algorithm: 'gzip', thresholdBytes: 64 },
          encryption: { keyring },
        },
      });
      const big = { text: 'x'.repeat(5000), list: Array.from({ length: 50 }, (_, i) => i) };
      await store.collection('notes').put('big', big);
      await store.kv.set('secret', 'p@ss');
      expect((await store.collection('notes').get('big'))?.value).toEqual(big);
      expect((await store.kv.get('secret'))?.value).toBe('p@ss');

      const plain = await open();
      expect(await code(plain.collection('notes').get('big'))).toBe('E_DECRYPT');
      const wrong = await open({
        codecs: {
          encryption: { keyring: createKeyring({ active: { id: 'k1', key: generateKey() } }) },
        },
      });
      expect(await code(wrong.kv.get('secret'))).toBe('E_DECRYPT');
    });
  });

  describe('backup and restore', () => {
    async function collect(gen: AsyncIterable<Uint8Array>): Promise<Buffer> {
      const chunks: Uint8Array[] = [];
      for await (const c of gen) chunks.push(c);
      return Buffer.concat(chunks);
    }

    /** Section and record lines: everything but the header and the digests (which cover it). */
    const dataLines = (b: Buffer) =>
      b
        .toString('utf8')
        .split('\n')
        .slice(1)
        .filter((l) => l !== '' && !l.startsWith('{"block"') && !l.startsWith('{"end"'));

    const targets = (): RestoreTarget[] => [
      {
        name: 'memory',
        fixture: async () => {
          const adapter = memoryAdapter();
          return { adapter: () => adapter, destroy: async () => {} };
        },
      },
      ...(ctx.options.restoreTargets ?? []),
    ];

    async function storeOn(fixture: StorageSuiteFixture, extra: Partial<StoreOptions> = {}) {
      const store = await openStore({
        adapter: fixture.adapter(),
        clock: ctx.clock,
        collections,
        purgeIntervalMs: 0,
        ...extra,
      });
      ctx.stores.push(store);
      return store;
    }

    async function fill(store: Store): Promise<void> {
      const users = store.collection<User>('users');
      for (let start = 0; start < 1100; start += 250) {
        await store.transaction(async (tx) => {
          for (let i = start; i < Math.min(start + 250, 1100); i++) {
            await tx.collection<User>('users').put(`u${i}`, {
              email: `u${i}@x.io`,
              age: (i % 90) + i / 1000,
              team: i % 2 ? 'a' : 'b',
            });
          }
        });
      }
      await users.delete('u13');
      await store.collection('notes').put('n', {
        text: 'ünïcode 🌍 \u2028',
        nested: [{ b: 1, a: [0.1, -2.5e-7, 1e21, 9007199254740991] }],
        z: null,
        e: {},
      });
      await store.kv.set('bytes', new Uint8Array([0, 255, 7]));
      await store.kv.set('text', 'héllo');
      await store.kv.set('num', -0.5);
      await store.kv.set('ttl', 'x', { ttlMs: 60_000 });
    }

    it('restores into every other engine and back with identical contents, versions and bytes', async () => {
      const store = await open();
      await fill(store);
      const backupProgress: number[] = [];
      store.on('backup:progress', (p) => backupProgress.push(p.records));
      const backup = await collect(store.backup());
      expect(backupProgress.at(-1)).toBe(1104);
      expect((await verifyBackup([backup])).records).toBe(1104);
      for (const target of targets()) {
        const there = await target.fixture();
        const home = await ctx.options.fixture();
        try {
          const restored = await storeOn(there);
          const restoreProgress: number[] = [];
          restored.on('restore:progress', (p) => restoreProgress.push(p.records));
          await restored.restore(async function* () {
            yield backup.subarray(0, 1000);
            yield backup.subarray(1000);
          });
          expect(restoreProgress.length, target.name).toBeGreaterThan(1);
          expect(restoreProgress.at(-1), target.name).toBe(1104);
          const users = restored.collection<User>('users');
          expect((await users.get('u7'))?.version, target.name).toBe(
            (await store.collection<User>('users').get('u7'))?.version,
          );
          expect((await users.findOne('email', 'u600@x.io'))?.key, target.name).toBe('u600');
          expect(
            (await users.find('teamAge', { eq: 'a', gte: 10, lt: 11 })).items.map((e) => e.key),
            target.name,
          ).toEqual(
            (
              await store.collection<User>('users').find('teamAge', { eq: 'a', gte: 10, lt: 11 })
            ).items.map((e) => e.key),
          );
          expect((await restored.kv.get('bytes'))?.value).toEqual(new Uint8Array([0, 255, 7]));
          expect((await restored.kv.get('ttl'))?.expiresAt).toBe(
            (await store.kv.get('ttl'))?.expiresAt,
          );
          const there1 = await collect(restored.backup());
          expect(dataLines(there1), `${ctx.options.name} → ${target.name}`).toEqual(
            dataLines(backup),
          );
          // And back onto this engine, from the other engine's backup.
          const back = await storeOn(home);
          await back.restore(() => [there1]);
          const home1 = await collect(back.backup());
          expect(dataLines(home1), `${target.name} → ${ctx.options.name}`).toEqual(
            dataLines(backup),
          );
          // The next write lands above every restored version.
          expect((await restored.kv.set('after', 1)).version).toBeGreaterThan(
            await store.lastSeq(),
          );
          expect(await code(restored.restore([backup]))).toBe('E_RESTORE_TARGET_NOT_EMPTY');
        } finally {
          for (const s of ctx.stores.splice(1)) await s.close();
          await there.destroy();
          await home.destroy();
        }
      }
    }, 120_000);

    it('restores encrypted data into another engine that has the keyring, still encrypted', async () => {
      const keyring = createKeyring({ active: { id: 'k1', key: generateKey() } });
      const codecs = {
        compression: { algorithm: 'brotli', thresholdBytes: 32 },
        encryption: { keyring },
      } as const;
      const store = await open({ codecs });
      await store
        .collection<User>('users')
        .put('a', { email: 'a@x.io', age: 3, team: 'z'.repeat(90) });
      await store.kv.set('secret', 'p@ss');
      const backup = await collect(store.backup());
      expect(backup.includes('p@ss')).toBe(false);
      expect(backup.includes('a@x.io')).toBe(false);
      const target = targets().at(-1) as RestoreTarget;
      const there = await target.fixture();
      try {
        const restored = await storeOn(there, { codecs });
        await restored.restore([backup]);
        expect((await restored.collection<User>('users').findOne('email', 'a@x.io'))?.key).toBe(
          'a',
        );
        expect((await restored.kv.get('secret'))?.value).toBe('p@ss');
        expect(dataLines(await collect(restored.backup()))).toEqual(dataLines(backup));
      } finally {
        for (const s of ctx.stores.splice(1)) await s.close();
        await there.destroy();
      }
    });

    it('refuses damaged and truncated backups', async () => {
      const store = await open();
      for (let i = 0; i < 30; i++) await store.collection('notes').put(`n${i}`, { i });
      const backup = await collect(store.backup());
      const flipped = Buffer.from(backup);
      const at = flipped.indexOf('"n17"');
      flipped[at + 2] = '8'.charCodeAt(0);
      expect(await code(verifyBackup([flipped]))).toBe('E_BACKUP_INVALID');
      expect(await code(verifyBackup([backup.subarray(0, backup.length - 40)]))).toBe(
        'E_BACKUP_INVALID',
      );
      expect(await code(verifyBackup([backup.subarray(0, backup.lastIndexOf('{"end"'))]))).toBe(
        'E_BACKUP_INVALID',
      );
      const target = await openStore({
        adapter: memoryAdapter(),
        clock: ctx.clock,
        collections,
        purgeIntervalMs: 0,
      });
      ctx.stores.push(target);
      expect(
        await code(target.restore(() => [flipped] as unknown as AsyncIterable<Uint8Array>)),
      ).toBe('E_BACKUP_INVALID');
      expect(await target.lastSeq()).toBe(0);
    });
  });

  describe('key rotation', () => {
    it('re-encrypts every value under the new key, keeping indexes and data', async () => {
      const k1 = { id: 'k1', key: generateKey() };
      const k2 = { id: 'k2', key: generateKey() };
      const before = await open({
        codecs: { encryption: { keyring: createKeyring({ active: k1 }) } },
      });
      for (let i = 0; i < 12; i++)
        await before.collection<User>('users').put(`u${i}`, { email: `${i}@x.io`, age: i });
      await before.kv.set('secret', 's');
      const rotating = await open({
        codecs: { encryption: { keyring: createKeyring({ active: k2, previous: [k1] }) } },
      });
      const progress: number[] = [];
      rotating.on('keys:rotation-progress', (e) => progress.push(e.rotated));
      expect(await rotating.rotateKeys({ batchSize: 5 })).toBe(13);
      expect(progress.at(-1)).toBe(13);
      expect(await rotating.rotateKeys()).toBe(0);
      const after = await open({
        codecs: { encryption: { keyring: createKeyring({ active: k2 }) } },
      });
      expect((await after.collection<User>('users').findOne('email', '7@x.io'))?.value.age).toBe(7);
      expect((await after.kv.get('secret'))?.value).toBe('s');
      expect(await code(before.kv.get('secret'))).toBe('E_DECRYPT');
    });
  });
}
