import {
  checkName,
  isPlinthError,
  systemClock,
  type Clock,
  type IdGenerator,
  type Logger,
} from '@plinth/core';
import type { Store, Transaction } from '@plinth/storage';
import { registryErrors } from '../errors.js';
import type { RegistryEvents } from '../events.js';
import type { BlobLayer } from '../blob/blob-layer.js';
import type { SchemaEngine } from '../schema-engine.js';
import type { ResolvedRules, RegistryLimits } from '../types.js';
import type { ContentCache } from './content-cache.js';
import type { IdAllocator } from './id-allocator.js';
import { C, type ArtifactDoc, type AuditDoc } from './records.js';
import type { RangeCache } from './version-set.js';
import type { VersionCache } from './version-cache.js';

/** What the feature modules share (one per Registry). */
export interface Ctx {
  readonly store: Store;
  readonly blobs: BlobLayer;
  /** Bytes of in-memory content may go straight into the publish transaction (storage blobs). */
  readonly inlineBlobs: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ids: IdGenerator;
  readonly limits: Required<RegistryLimits>;
  readonly compression: boolean;
  readonly initialVersion: string;
  readonly cache: VersionCache;
  readonly contents: ContentCache;
  readonly ranges: RangeCache;
  readonly versionIds: IdAllocator;
  readonly contentIds: IdAllocator;
  engine(): SchemaEngine;
  rules(artifact: string): Promise<ResolvedRules>;
  assertOpen(operation: string): void;
  assertWritable(operation: string): void;
  emit<K extends keyof RegistryEvents>(name: K, payload: RegistryEvents[K]): void;
  recordFetch(versionKey: string): void;
}

/** Maps storage failures to registry errors; lets registry errors through. */
export function mapStorageError(error: unknown): unknown {
  if (!isPlinthError(error) || error.package === '@plinth/registry') return error;
  if (error.code === 'E_CONFLICT' || error.code === 'E_UNIQUE_VIOLATION') {
    return registryErrors.create('E_CONFLICT', 'a concurrent change won the race; try again', {
      cause: error,
      retryable: true,
    });
  }
  if (error.code === 'E_CLOSED') {
    return registryErrors.create('E_CLOSED', 'the store was closed', { cause: error });
  }
  if (error.code === 'E_INVALID_QUERY') {
    // A malformed page cursor (or bound) the caller passed through: their mistake, not the store's.
    return registryErrors.create('E_INVALID_ARGUMENT', error.message, { cause: error });
  }
  return registryErrors.create('E_STORAGE', `the metadata store failed: ${error.message}`, {
    cause: error,
    retryable: error.retryable,
  });
}

/**
 * A transaction retried on lost races (a conflict at commit, or one the callback detects and
 * throws as a storage `E_CONFLICT`), with jittered backoff; errors come out as registry errors.
 * The backoff uses real timers: it paces a race, it is not domain time.
 */
export async function runTx<T>(
  ctx: Ctx,
  fn: (tx: Transaction) => Promise<T>,
  attempts = 30,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.store.transaction(fn);
    } catch (error) {
      const lost = isPlinthError(error, 'E_CONFLICT') && error.package === '@plinth/storage';
      if (!lost || attempt >= attempts) throw mapStorageError(error);
      const delay = Math.min(100, 2 * 2 ** Math.min(attempt, 6));
      await systemClock.sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}

/** Reads through the store, mapping its errors. */
export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapStorageError(error);
  }
}

export interface AuditInput {
  readonly action: string;
  readonly actor: string | null;
  readonly artifact?: string | null;
  readonly version?: string | null;
  readonly details?: Record<string, unknown>;
}

/** Appends an audit entry inside `tx`. */
export async function writeAudit(ctx: Ctx, tx: Transaction, input: AuditInput): Promise<void> {
  const doc: AuditDoc = {
    at: ctx.clock.now(),
    actor: input.actor,
    action: input.action,
    artifact: input.artifact ?? null,
    version: input.version ?? null,
    details: input.details ?? {},
  };
  await tx.collection<AuditDoc>(C.audit).put(ctx.ids(), doc);
}

/** Reads an artifact inside `tx`; `E_UNKNOWN_ARTIFACT` when absent (or deleted, by default). */
export async function loadArtifact(
  tx: Transaction,
  artifact: string,
  options: { includeDeleted?: boolean } = {},
): Promise<ArtifactDoc> {
  const got = await tx.collection<ArtifactDoc>(C.artifacts).get(artifact);
  if (got === undefined || (got.value.deletedAt !== null && options.includeDeleted !== true)) {
    throw registryErrors.create(
      'E_UNKNOWN_ARTIFACT',
      got === undefined
        ? `unknown artifact "${artifact}"`
        : `artifact "${artifact}" is deleted (restore it first)`,
      { details: { artifact, deleted: got !== undefined } },
    );
  }
  return got.value;
}

export function actorOf(input: { actor?: string | null | undefined } | undefined): string | null {
  const a = input?.actor;
  if (a === undefined || a === null) return null;
  if (typeof a !== 'string' || a.length > 256) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      'actor must be a string of at most 256 characters',
    );
  }
  // Actors land in the audit trail: the name policy keeps them printable and unspoofable.
  return checkName(a, { what: 'actor', package: '@plinth/registry' });
}
