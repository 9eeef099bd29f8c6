import type { StorageAdapter } from '../../adapter.js';

/** One database for one test of the storage conformance suite. */
export interface StorageSuiteFixture {
  /**
   * A new adapter instance on the fixture's database. Every call must see the same data (a new
   * connection to the same file/schema), so two stores can race each other.
   */
  adapter(): StorageAdapter;
  /** Removes the database (called after every store is closed). */
  destroy(): Promise<void>;
  /**
   * Runs `times` read-modify-write increments (`collection('notes').update(key, …)` with
   * `{ n: n + 1 }`) from ANOTHER process on this database and resolves when they are done. When
   * given, the lost-update race runs two of these against an in-process store at once (SQLite:
   * several OS processes on one file). Without it, the race is between store instances.
   */
  increment?(key: string, times: number): Promise<void>;
}

/** Another engine a backup must restore into (and be restored back from). */
export interface RestoreTarget {
  readonly name: string;
  fixture(): Promise<StorageSuiteFixture>;
}

export interface StorageSuiteOptions {
  readonly name: string;
  /** A fresh, empty database for each test. */
  fixture(): Promise<StorageSuiteFixture>;
  /**
   * Whether commits made through one instance are announced to `watch` on another instance
   * (PostgreSQL; SQLite with polling). Default: the adapter's capability.
   */
  readonly crossInstanceWatch?: boolean;
  /** fast-check runs of each model-based property. @default 30 */
  readonly propertyRuns?: number;
  /**
   * Engines a backup of this one must restore into with identical contents, and whose own
   * backup must restore back here byte for byte. The memory adapter is always one of them.
   * @default []
   */
  readonly restoreTargets?: readonly RestoreTarget[];
}
