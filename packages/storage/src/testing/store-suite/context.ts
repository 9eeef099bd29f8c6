import type { ManualClock } from '@plinth/core';
import { isPlinthError } from '@plinth/core';
import type { Store } from '../../store.js';
import type { Document, StandardSchema, StoreOptions } from '../../types.js';
import type { StorageSuiteFixture, StorageSuiteOptions } from './options.js';

/** What every group of conformance cases gets: fresh per test (read the getters inside tests). */
export interface SuiteContext {
  readonly options: StorageSuiteOptions;
  /** The test's database. */
  readonly fixture: StorageSuiteFixture;
  /** The test's clock (also every store's). */
  readonly clock: ManualClock;
  /** Stores closed after the test. */
  readonly stores: Store[];
  /** Opens a store on a new adapter instance of the fixture (the suite's collections by default). */
  open(extra?: Partial<StoreOptions>): Promise<Store>;
}

export interface User extends Document {
  readonly email: string;
  readonly age: number;
  readonly team?: string;
}

/** A tiny Standard Schema validator (the suite must not depend on a schema library). */
export const userSchema: StandardSchema<User> = {
  '~standard': {
    version: 1,
    vendor: 'plinth-test',
    validate(value) {
      const v = value as Record<string, unknown>;
      if (typeof v.email !== 'string' || !v.email.includes('@')) {
        return { issues: [{ message: 'email must contain @', path: ['email'] }] };
      }
      if (typeof v.age !== 'number' || v.age < 0)
        return { issues: [{ message: 'age must be >= 0', path: ['age'] }] };
      return { value: value as User };
    },
  },
};

export const collections = {
  users: {
    schema: userSchema,
    indexes: {
      email: { fields: ['email'], unique: true },
      age: { fields: ['age'] },
      teamAge: { fields: ['team', 'age'] },
    },
  },
  notes: {},
} as const;

export async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isPlinthError(error)) return error.code;
    throw error;
  }
  return 'resolved';
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
