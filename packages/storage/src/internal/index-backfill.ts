import { isPlinthError } from '@plinth/core';
import { ValueFormat, type CommitCheck, type StoredRecord, type Write } from '../adapter.js';
import { storageErrors } from '../errors.js';
import { indexEntriesOf, type ResolvedCollection } from './collections.js';
import type { StoreCore } from './session.js';

/**
 * The reserved space holding each collection's index bookkeeping (collection names start with a
 * letter, so `$…` spaces never clash with them). One JSON record per collection:
 *
 *   { "indexes": { name: { "fields": [...], "unique": bool } },            complete indexes
 *     "building": { "indexes": {...}, "after": "last rewritten key" } }    an unfinished rebuild
 *
 * Its records are not part of backups and not reported by the change feed.
 */
export const SCHEMA_SPACE = '$schema';

interface IndexMeta {
  readonly fields: readonly string[];
  readonly unique: boolean;
}
type IndexSet = Readonly<Record<string, IndexMeta>>;

interface CollectionMeta {
  readonly indexes: IndexSet;
  readonly building?: { readonly indexes: IndexSet; readonly after: string | null };
}

/** Consecutive lost races after which a rebuild gives up (with a retryable E_CONFLICT). */
const MAX_CONFLICTS = 50;

export interface BackfillProgress {
  readonly collection: string;
  readonly rewritten: number;
  readonly done: boolean;
}

function indexSet(def: ResolvedCollection): IndexSet {
  const out: Record<string, IndexMeta> = {};
  for (const [name, index] of [...def.indexes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[name] = { fields: index.fields.map((f) => f.join('.')), unique: index.unique };
  }
  return out;
}

function sameSet(a: IndexSet, b: IndexSet): boolean {
  return JSON.stringify(indexSetSorted(a)) === JSON.stringify(indexSetSorted(b));
}

function indexSetSorted(s: IndexSet): IndexSet {
  const out: Record<string, IndexMeta> = {};
  for (const name of Object.keys(s).sort()) {
    const m = s[name] as IndexMeta;
    out[name] = { fields: [...m.fields], unique: m.unique };
  }
  return out;
}

function readMeta(record: StoredRecord | undefined): CollectionMeta | undefined {
  if (record === undefined) return undefined;
  const text =
    typeof record.data === 'string'
      ? record.data
      : record.data instanceof Uint8Array
        ? Buffer.from(record.data).toString('utf8')
        : JSON.stringify(record.data);
  const meta = JSON.parse(text) as CollectionMeta;
  return { ...meta, indexes: indexSetSorted(meta.indexes) };
}

function metaWrite(name: string, meta: CollectionMeta): Write {
  return {
    op: 'put',
    space: SCHEMA_SPACE,
    key: name,
    format: ValueFormat.JSON,
    data: JSON.stringify(meta),
    expiresAt: null,
    indexes: [],
  };
}

/**
 * Makes the stored index entries of `def`'s collection match its declared indexes. When the
 * bookkeeping record says they already do, this is one read. Otherwise every record is rewritten
 * (same data, recomputed entries; entries of removed indexes disappear) in batches, each batch
 * committed together with the rebuild's progress, so a rebuild interrupted by a crash resumes
 * where it stopped. Records changed meanwhile are re-read (compare-and-set).
 */
export async function backfillIndexes(
  core: StoreCore,
  def: ResolvedCollection,
  batchSize: number,
  onProgress: (progress: BackfillProgress) => void,
): Promise<number> {
  const desired = indexSet(def);
  const { adapter } = core;
  let rewritten = 0;
  let conflicts = 0;
  for (;;) {
    const record = await adapter.get(SCHEMA_SPACE, def.name);
    const meta = readMeta(record);
    if (meta !== undefined && meta.building === undefined && sameSet(meta.indexes, desired)) {
      return rewritten;
    }
    let metaVersion = record?.version ?? null;
    let after =
      meta?.building !== undefined && sameSet(meta.building.indexes, desired)
        ? meta.building.after
        : null;
    try {
      for (;;) {
        const page = await adapter.scanKeys({
          kind: 'keys',
          space: def.name,
          reverse: false,
          limit: batchSize,
          now: Number.NEGATIVE_INFINITY,
          ...(after !== null && { gt: after }),
        });
        const writes: Write[] = [];
        const checks: CommitCheck[] = [];
        for (const r of page) {
          writes.push({
            op: 'put',
            space: def.name,
            key: r.key,
            format: r.format,
            data: r.data,
            expiresAt: r.expiresAt,
            indexes: entriesOf(core, def, r),
          });
          checks.push({ kind: 'record', space: def.name, key: r.key, version: r.version });
        }
        const last = page[page.length - 1];
        const done = page.length < batchSize || last === undefined;
        const next: CollectionMeta = done
          ? { indexes: desired }
          : { indexes: meta?.indexes ?? {}, building: { indexes: desired, after: last.key } };
        writes.push(metaWrite(def.name, next));
        checks.push({ kind: 'record', space: SCHEMA_SPACE, key: def.name, version: metaVersion });
        const result = await core.commit(writes, checks);
        metaVersion = result.lastSeq;
        rewritten += page.length;
        conflicts = 0;
        onProgress({ collection: def.name, rewritten, done });
        if (done) return rewritten;
        after = last.key;
      }
    } catch (error) {
      if (isPlinthError(error, 'E_UNIQUE_VIOLATION')) {
        const d = error.details as { index?: string; key?: string; holder?: string };
        throw storageErrors.create(
          'E_UNIQUE_VIOLATION',
          `cannot build unique index "${d.index}" of "${def.name}": records "${d.key}" and "${d.holder}" hold the same value`,
          { details: { ...error.details }, cause: error },
        );
      }
      if (!isPlinthError(error, 'E_CONFLICT') || ++conflicts > MAX_CONFLICTS) throw error;
      // Another writer changed a record of the page (or another instance is rebuilding too):
      // re-read the bookkeeping and go on from the last committed batch.
    }
  }
}

function entriesOf(core: StoreCore, def: ResolvedCollection, record: StoredRecord) {
  try {
    return indexEntriesOf(def, core.encoding.decodeDoc(def.name, record));
  } catch (error) {
    if (!isPlinthError(error, 'E_INVALID_VALUE')) throw error;
    throw storageErrors.create(
      'E_INVALID_VALUE',
      `cannot index record "${record.key}" of "${def.name}": ${error.message.replace(/^\[@plinth\/storage\] /, '')}`,
      { details: { ...error.details, key: record.key }, cause: error },
    );
  }
}

/**
 * Records that the index entries of `defs` are complete, without a rebuild: after a restore, which
 * computed every entry from these very declarations.
 */
export async function markIndexesBuilt(
  core: StoreCore,
  defs: readonly ResolvedCollection[],
): Promise<void> {
  if (defs.length === 0) return;
  await core.commit(
    defs.map((def) => metaWrite(def.name, { indexes: indexSet(def) })),
    [],
  );
}
