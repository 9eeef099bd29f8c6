import type {
  Change,
  CommitBatch,
  CommitCheck,
  CommitRefusal,
  CommitResult,
  IndexEntry,
  IndexHit,
  IndexScan,
  KeyScan,
  StorageAdapter,
  StoredRecord,
} from '../adapter.js';
import { compareBytes, compareKeys, keyPrefixEnd } from '../internal/order.js';
import { scanUnchanged } from '../internal/scan-check.js';

/**
 * The in-memory adapter: the test double and the default for tests, with the same semantics as
 * the durable adapters (same orders, same commit checks, same change feed). Documents are kept
 * as frozen values, so reads cost no parsing. Nothing survives the process.
 */
export interface MemoryAdapterOptions {
  /** Name in error messages. @default 'memory' */
  readonly name?: string;
}

interface IndexRow {
  readonly value: Uint8Array;
  readonly key: string;
}

interface IndexState {
  /** Sorted by (value, key). */
  readonly rows: IndexRow[];
  /** key → its row, to find it on update/delete. */
  readonly byKey: Map<string, IndexRow>;
  /** Unique claims: latin1 view of the value → key. Only filled for unique entries. */
  readonly unique: Map<string, string>;
}

interface SpaceState {
  readonly records: Map<string, StoredRecord>;
  /** Keys in code point order, or null when it must be rebuilt (after inserts/deletes). */
  sorted: string[] | null;
  readonly indexes: Map<string, IndexState>;
}

function compareRows(a: IndexRow, b: IndexRow): number {
  return compareBytes(a.value, b.value) || compareKeys(a.key, b.key);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function isExpired(record: StoredRecord, now: number): boolean {
  return record.expiresAt !== null && record.expiresAt <= now;
}

/** First position in `rows` not less than `probe` (binary search). */
function lowerBound<T>(rows: readonly T[], probe: (row: T) => number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (probe(rows[mid] as T) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryAdapter implements StorageAdapter {
  readonly name: string;
  readonly capabilities = Object.freeze({
    structuredValues: true,
    crossInstanceNotifications: false,
    durable: false,
  });

  readonly #spaces = new Map<string, SpaceState>();
  readonly #feed: Change[] = [];
  #seq = 0;
  readonly #listeners = new Set<(lastSeq: number) => void>();

  constructor(options: MemoryAdapterOptions = {}) {
    this.name = options.name ?? 'memory';
  }

  async open(): Promise<void> {}

  async get(space: string, key: string): Promise<StoredRecord | undefined> {
    return this.#spaces.get(space)?.records.get(key);
  }

  /** Synchronous point read, used by the Store's fast path. */
  getSync(space: string, key: string): StoredRecord | undefined {
    return this.#spaces.get(space)?.records.get(key);
  }

  async scanKeys(scan: KeyScan): Promise<StoredRecord[]> {
    return this.#scanKeys(scan);
  }

  async scanIndex(scan: IndexScan): Promise<IndexHit[]> {
    return this.#scanIndex(scan);
  }

  async commit(batch: CommitBatch): Promise<CommitResult | CommitRefusal> {
    for (const check of batch.checks) {
      const refusal = this.#verify(check, batch.now);
      if (refusal) return refusal;
    }
    const unique = this.#checkUnique(batch);
    if (unique) return unique;

    const firstSeq = this.#seq + 1;
    // The last write of each key decides its index entries (as in the SQL adapters): an entry of
    // a write that a later write of the batch replaces never touches the claims.
    const final = new Map<SpaceState, Map<string, CommitBatch['writes'][number]>>();
    for (const write of batch.writes) {
      const seq = ++this.#seq;
      const state = this.#space(write.space);
      if (write.op === 'put') {
        const existed = state.records.has(write.key);
        state.records.set(write.key, {
          key: write.key,
          version: seq,
          format: write.format,
          data: write.data,
          expiresAt: write.expiresAt,
        });
        if (!existed) this.#insertSorted(state, write.key);
      } else if (state.records.delete(write.key)) {
        this.#removeSorted(state, write.key);
      }
      let writes = final.get(state);
      if (writes === undefined) final.set(state, (writes = new Map()));
      writes.set(write.key, write);
      this.#feed.push({ seq, space: write.space, key: write.key, op: write.op, at: batch.now });
    }
    // Old entries all go before new ones arrive, so values moving between records stay claimed.
    for (const [state, writes] of final) {
      for (const key of writes.keys()) this.#setIndexes(state, key, []);
    }
    for (const [state, writes] of final) {
      for (const [key, w] of writes) if (w.op === 'put') this.#setIndexes(state, key, w.indexes);
    }
    if (batch.writes.length > 0) this.#notify();
    return { firstSeq, lastSeq: this.#seq };
  }

  async readChanges(after: number, limit: number): Promise<Change[]> {
    const feed = this.#feed;
    const start = lowerBound(feed, (c) => (c.seq <= after ? -1 : 1));
    return feed.slice(start, start + limit);
  }

  async lastSeq(): Promise<number> {
    return this.#seq;
  }

  async watch(listener: (lastSeq: number) => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    let purged = 0;
    for (const [space, state] of this.#spaces) {
      for (const record of state.records.values()) {
        if (purged >= limit) break;
        if (!isExpired(record, now)) continue;
        state.records.delete(record.key);
        this.#removeSorted(state, record.key);
        this.#setIndexes(state, record.key, []);
        const seq = ++this.#seq;
        this.#feed.push({ seq, space, key: record.key, op: 'delete', at: now });
        purged++;
      }
    }
    if (purged > 0) this.#notify();
    return purged;
  }

  async truncateChanges(upTo: number): Promise<number> {
    const end = lowerBound(this.#feed, (c) => (c.seq <= upTo ? -1 : 1));
    this.#feed.splice(0, end);
    return end;
  }

  async spaces(): Promise<string[]> {
    return [...this.#spaces]
      .filter(([, s]) => s.records.size > 0)
      .map(([name]) => name)
      .sort(compareKeys);
  }

  async importRecords(
    space: string,
    records: ReadonlyArray<{
      readonly record: StoredRecord;
      readonly indexes: ReadonlyArray<IndexEntry>;
    }>,
  ): Promise<void> {
    const state = this.#space(space);
    for (const { record, indexes } of records) {
      const existed = state.records.has(record.key);
      state.records.set(record.key, record);
      if (!existed) this.#insertSorted(state, record.key);
      this.#setIndexes(state, record.key, indexes);
      if (record.version > this.#seq) this.#seq = record.version;
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  #notify(): void {
    const seq = this.#seq;
    for (const listener of this.#listeners) queueMicrotask(() => listener(seq));
  }

  #space(name: string): SpaceState {
    let state = this.#spaces.get(name);
    if (state === undefined) {
      state = { records: new Map(), sorted: [], indexes: new Map() };
      this.#spaces.set(name, state);
    }
    return state;
  }

  #sortedKeys(state: SpaceState): string[] {
    if (state.sorted === null) state.sorted = [...state.records.keys()].sort(compareKeys);
    return state.sorted;
  }

  #insertSorted(state: SpaceState, key: string): void {
    const sorted = state.sorted;
    if (sorted === null) return;
    // Appends in order are the common bulk-load case; otherwise let the next scan rebuild.
    const last = sorted[sorted.length - 1];
    if (last === undefined || compareKeys(last, key) < 0) sorted.push(key);
    else if (sorted.length < 4096)
      sorted.splice(
        lowerBound(sorted, (k) => compareKeys(k, key)),
        0,
        key,
      );
    else state.sorted = null;
  }

  #removeSorted(state: SpaceState, key: string): void {
    const sorted = state.sorted;
    if (sorted === null) return;
    const i = lowerBound(sorted, (k) => compareKeys(k, key));
    if (sorted[i] === key) sorted.splice(i, 1);
  }

  #index(state: SpaceState, name: string): IndexState {
    let index = state.indexes.get(name);
    if (index === undefined) {
      index = { rows: [], byKey: new Map(), unique: new Map() };
      state.indexes.set(name, index);
    }
    return index;
  }

  /** Replaces every index entry of `key` with `entries`. */
  #setIndexes(state: SpaceState, key: string, entries: ReadonlyArray<IndexEntry>): void {
    for (const [name, index] of state.indexes) {
      const old = index.byKey.get(key);
      if (old === undefined) continue;
      const next = entries.find((e) => e.index === name);
      if (next !== undefined && compareBytes(next.value, old.value) === 0) continue;
      const i = lowerBound(index.rows, (r) => compareRows(r, old));
      index.rows.splice(i, 1);
      index.byKey.delete(key);
      const claim = latin1(old.value);
      if (index.unique.get(claim) === key) index.unique.delete(claim);
    }
    for (const entry of entries) {
      const index = this.#index(state, entry.index);
      if (index.byKey.has(key)) continue; // unchanged value, kept above
      const row: IndexRow = { value: entry.value, key };
      index.rows.splice(
        lowerBound(index.rows, (r) => compareRows(r, row)),
        0,
        row,
      );
      index.byKey.set(key, row);
      if (entry.unique) index.unique.set(latin1(entry.value), key);
    }
  }

  #verify(check: CommitCheck, now: number): CommitRefusal | undefined {
    if (check.kind === 'record') {
      const record = this.#spaces.get(check.space)?.records.get(check.key);
      const actual = record === undefined || isExpired(record, now) ? null : record.version;
      return actual === check.version ? undefined : { reason: 'check', check, actual };
    }
    const current =
      check.scan.kind === 'keys'
        ? this.#scanKeys(check.scan).map((r) => [r.key, r.version] as const)
        : this.#scanIndex(check.scan).map((h) => [h.record.key, h.record.version] as const);
    return scanUnchanged(current, check.seen)
      ? undefined
      : { reason: 'check', check, actual: null };
  }

  /** Unique claims of the batch against the state the batch leaves behind. */
  #checkUnique(batch: CommitBatch): CommitRefusal | undefined {
    // Final write per (space, key) in this batch.
    const final = new Map<string, Map<string, CommitBatch['writes'][number]>>();
    for (const w of batch.writes) {
      let m = final.get(w.space);
      if (m === undefined) final.set(w.space, (m = new Map()));
      m.set(w.key, w);
    }
    for (const [space, writes] of final) {
      const state = this.#spaces.get(space);
      const claimed = new Map<string, string>(); // index + value → key, within the batch
      for (const [key, w] of writes) {
        if (w.op !== 'put') continue;
        for (const entry of w.indexes) {
          if (!entry.unique) continue;
          const claim = latin1(entry.value);
          const inBatch = claimed.get(`${entry.index}\u0000${claim}`);
          if (inBatch !== undefined && inBatch !== key) {
            return { reason: 'unique', space, index: entry.index, key, holder: inBatch };
          }
          claimed.set(`${entry.index}\u0000${claim}`, key);
          const holder = state?.indexes.get(entry.index)?.unique.get(claim);
          if (holder === undefined || holder === key) continue;
          // The holder keeps its claim unless this batch deletes it or moves its value.
          const holderWrite = writes.get(holder);
          if (holderWrite === undefined) {
            return { reason: 'unique', space, index: entry.index, key, holder };
          }
          if (holderWrite.op === 'put') {
            const kept = holderWrite.indexes.find((e) => e.index === entry.index);
            if (kept !== undefined && compareBytes(kept.value, entry.value) === 0) {
              return { reason: 'unique', space, index: entry.index, key, holder };
            }
          }
        }
      }
    }
    return undefined;
  }

  #scanKeys(scan: KeyScan): StoredRecord[] {
    const state = this.#spaces.get(scan.space);
    if (state === undefined || scan.limit <= 0) return [];
    const keys = this.#sortedKeys(state);
    let lower: string | undefined = scan.gt ?? scan.gte;
    let lowerExclusive = scan.gt !== undefined;
    let upper: string | undefined = scan.lt ?? scan.lte;
    const upperInclusive = scan.lt === undefined && scan.lte !== undefined;
    let upperIncl = upperInclusive;
    if (scan.prefix !== undefined && scan.prefix !== '') {
      if (lower === undefined || compareKeys(lower, scan.prefix) < 0) {
        lower = scan.prefix;
        lowerExclusive = false;
      }
      const end = keyPrefixEnd(scan.prefix);
      if (end !== undefined && (upper === undefined || compareKeys(end, upper) <= 0)) {
        upper = end;
        upperIncl = false;
      }
    }
    let start = lower === undefined ? 0 : lowerBound(keys, (k) => compareKeys(k, lower as string));
    if (lowerExclusive && keys[start] === lower) start++;
    let end = keys.length;
    if (upper !== undefined) {
      end = lowerBound(keys, (k) => compareKeys(k, upper as string));
      if (upperIncl && keys[end] === upper) end++;
    }
    const out: StoredRecord[] = [];
    if (scan.reverse) {
      for (let i = end - 1; i >= start && out.length < scan.limit; i--) {
        const r = state.records.get(keys[i] as string);
        if (r !== undefined && !isExpired(r, scan.now)) out.push(r);
      }
    } else {
      for (let i = start; i < end && out.length < scan.limit; i++) {
        const r = state.records.get(keys[i] as string);
        if (r !== undefined && !isExpired(r, scan.now)) out.push(r);
      }
    }
    return out;
  }

  #scanIndex(scan: IndexScan): IndexHit[] {
    const state = this.#spaces.get(scan.space);
    const rows = state?.indexes.get(scan.index)?.rows;
    if (state === undefined || rows === undefined || scan.limit <= 0) return [];
    let start =
      scan.gte === undefined
        ? 0
        : lowerBound(rows, (r) => compareBytes(r.value, scan.gte as Uint8Array));
    let end =
      scan.lt === undefined
        ? rows.length
        : lowerBound(rows, (r) => compareBytes(r.value, scan.lt as Uint8Array));
    const after = scan.after;
    if (after !== undefined) {
      const pos = lowerBound(rows, (r) => compareRows(r, after));
      if (scan.reverse) end = Math.min(end, pos);
      else
        start = Math.max(
          start,
          rows[pos] !== undefined && compareRows(rows[pos], after) === 0 ? pos + 1 : pos,
        );
    }
    const out: IndexHit[] = [];
    const push = (row: IndexRow) => {
      const record = state.records.get(row.key);
      if (record !== undefined && !isExpired(record, scan.now))
        out.push({ value: row.value, record });
    };
    if (scan.reverse)
      for (let i = end - 1; i >= start && out.length < scan.limit; i--) push(rows[i] as IndexRow);
    else for (let i = start; i < end && out.length < scan.limit; i++) push(rows[i] as IndexRow);
    return out;
  }
}

/** Creates an in-memory adapter. */
export function memoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapter {
  return new MemoryAdapter(options);
}
