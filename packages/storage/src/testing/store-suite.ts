import { ManualClock } from '@plinth/core';
import { afterEach, beforeEach, describe } from 'vitest';
import { openStore, type Store } from '../store.js';
import type { StoreOptions } from '../types.js';
import { badInputCases } from './store-suite/bad-input.js';
import { codecsAndBackupCases } from './store-suite/codecs-and-backup.js';
import { collectionsCases } from './store-suite/collections.js';
import { collections, type SuiteContext } from './store-suite/context.js';
import { feedAndKvCases } from './store-suite/feed-and-kv.js';
import { indexesCases } from './store-suite/indexes.js';
import { isolationAndFeedCases } from './store-suite/isolation-and-feed.js';
import type { StorageSuiteFixture, StorageSuiteOptions } from './store-suite/options.js';
import { propertiesCases } from './store-suite/properties.js';
import { propertiesQueriesCases } from './store-suite/properties-queries.js';
import { recordsCases } from './store-suite/records.js';
import { transactionsCases } from './store-suite/transactions.js';

export type {
  RestoreTarget,
  StorageSuiteFixture,
  StorageSuiteOptions,
} from './store-suite/options.js';

/**
 * The storage conformance suite: one set of behaviours every adapter must show through the
 * `Store` (documents, compare-and-set races, transactions and isolation, indexes, listing, the
 * change feed and watch, KV with TTL, codecs, backup/restore across engines, key rotation,
 * declared collections and index backfill, bad input, and fast-check model comparisons). Each
 * adapter's test file calls it once.
 */
export function runStorageConformanceSuite(options: StorageSuiteOptions): void {
  describe(`storage conformance: ${options.name}`, () => {
    let fixture: StorageSuiteFixture | undefined;
    let clock: ManualClock | undefined;
    const stores: Store[] = [];

    const ctx: SuiteContext = {
      options,
      get fixture() {
        if (fixture === undefined) throw new Error('the fixture is only available inside a test');
        return fixture;
      },
      get clock() {
        if (clock === undefined) throw new Error('the clock is only available inside a test');
        return clock;
      },
      stores,
      async open(extra: Partial<StoreOptions> = {}): Promise<Store> {
        const store = await openStore({
          adapter: ctx.fixture.adapter(),
          clock: ctx.clock,
          collections,
          purgeIntervalMs: 0,
          ...extra,
        });
        stores.push(store);
        return store;
      },
    };

    beforeEach(async () => {
      fixture = await options.fixture();
      clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    });

    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
      await fixture?.destroy();
      fixture = undefined;
    });

    recordsCases(ctx);
    transactionsCases(ctx);
    indexesCases(ctx);
    feedAndKvCases(ctx);
    isolationAndFeedCases(ctx);
    codecsAndBackupCases(ctx);
    collectionsCases(ctx);
    badInputCases(ctx);
    propertiesCases(ctx);
    propertiesQueriesCases(ctx);
  });
}
