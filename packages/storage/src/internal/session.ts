import type { Clock } from '@plinth/core';
import type {
  CommitCheck,
  CommitResult,
  IndexHit,
  IndexScan,
  KeyScan,
  PutWrite,
  StorageAdapter,
  StoredRecord,
  Write,
} from '../adapter.js';
import { storageErrors } from '../errors.js';
import type { ResolvedCollection } from './collections.js';
import type { Encoding } from './encoding.js';
import { compareBytes, compareKeys } from './order.js';

/** What collections, KV and transactions need from the store. */
export interface StoreCore {
  readonly adapter: StorageAdapter;
  readonly clock: Clock;
  readonly encoding: Encoding;
  readonly collections: ReadonlyMap<string, ResolvedCollection>;
  assertOpen(operation: string): void;
  /** Commits through the adapter; refusals become E_CONFLICT / E_UNIQUE_VIOLATION. */
  commit(writes: readonly Write[], checks: readonly CommitCheck[]): Promise<CommitResult>;
}

/**
 * Where reads and writes go: straight to the adapter (auto-commit, one commit per write) or
 * through a transaction's buffer.
 */
export interface Session {
  readonly core: StoreCore;
  /** True inside a transaction (writes are buffered, versions of own writes read as 0). */
  readonly transactional: boolean;
  get(space: string, key: string): Promise<StoredRecord | undefined>;
  /**
   * A synchronous point read when the adapter has one (memory): the live record, `undefined`
   * when absent, or `null` when this session cannot read synchronously (use `get`).
   */
  getSync(space: string, key: string): StoredRecord | undefined | null;
  scanKeys(scan: KeyScan): Promise<StoredRecord[]>;
  scanIndex(scan: IndexScan): Promise<IndexHit[]>;
  /** Applies (auto-commit) or stages (transaction) writes; returns the versions, 0 when staged. */
  write(writes: readonly Write[], checks: readonly CommitCheck[]): Promise<number[]>;
}

export function isLive(record: StoredRecord | undefined, now: number): record is StoredRecord {
  return record !== undefined && (record.expiresAt === null || record.expiresAt > now);
}

/** The record if it has not expired; the clock is read only for records with an expiry. */
function live(record: StoredRecord | undefined, clock: Clock): StoredRecord | undefined {
  if (record === undefined || record.expiresAt === null) return record;
  return record.expiresAt > clock.now() ? record : undefined;
}

export class AutoSession implements Session {
  readonly transactional = false;

  readonly #getSync: ((space: string, key: string) => StoredRecord | undefined) | undefined;

  constructor(readonly core: StoreCore) {
    const sync = (core.adapter as { getSync?: unknown }).getSync;
    this.#getSync =
      typeof sync === 'function'
        ? (sync as (space: string, key: string) => StoredRecord | undefined).bind(core.adapter)
        : undefined;
  }

  async get(space: string, key: string): Promise<StoredRecord | undefined> {
    const record = await this.core.adapter.get(space, key);
    return live(record, this.core.clock);
  }

  getSync(space: string, key: string): StoredRecord | undefined | null {
    const read = this.#getSync;
    return read === undefined ? null : live(read(space, key), this.core.clock);
  }

  scanKeys(scan: KeyScan): Promise<StoredRecord[]> {
    return this.core.adapter.scanKeys(scan);
  }

  scanIndex(scan: IndexScan): Promise<IndexHit[]> {
    return this.core.adapter.scanIndex(scan);
  }

  async write(writes: readonly Write[], checks: readonly CommitCheck[]): Promise<number[]> {
    const result = await this.core.commit(writes, checks);
    return writes.map((_, i) => result.firstSeq + i);
  }
}

type Pending = PutWrite | { readonly op: 'delete'; readonly space: string; readonly key: string };

function slot(space: string, key: string): string {
  return `${space}\u0000${key}`;
}

function inKeyRange(key: string, scan: KeyScan): boolean {
  if (scan.prefix !== undefined && !key.startsWith(scan.prefix)) return false;
  if (scan.gt !== undefined) {
    if (compareKeys(key, scan.gt) <= 0) return false;
  } else if (scan.gte !== undefined && compareKeys(key, scan.gte) < 0) return false;
  if (scan.lt !== undefined) {
    if (compareKeys(key, scan.lt) >= 0) return false;
  } else if (scan.lte !== undefined && compareKeys(key, scan.lte) > 0) return false;
  return true;
}

function pendingRecord(p: PutWrite): StoredRecord {
  return { key: p.key, version: 0, format: p.format, data: p.data, expiresAt: p.expiresAt };
}

/**
 * A transaction's state: buffered writes in a stack of savepoint layers, and the reads it
 * depends on. Reads see the transaction's own writes; committed data is read through the
 * adapter and every read is recorded as a check, so the commit fails with E_CONFLICT if
 * anything the transaction saw changed before it committed (serializable, optimistic).
 */
export class TxSession implements Session {
  readonly transactional = true;
  readonly #layers: Array<Map<string, Pending>> = [new Map()];
  readonly #recordChecks = new Map<string, CommitCheck>();
  readonly #scanChecks: CommitCheck[] = [];
  #ended = false;

  constructor(readonly core: StoreCore) {}

  assertActive(operation: string): void {
    if (this.#ended) {
      throw storageErrors.create(
        'E_TRANSACTION',
        `${operation}() on a transaction that has already ended (keep using the store, not the tx handle)`,
        { details: { operation } },
      );
    }
    this.core.assertOpen(operation);
  }

  #pending(space: string, key: string): Pending | undefined {
    const s = slot(space, key);
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const p = (this.#layers[i] as Map<string, Pending>).get(s);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** Every pending write of a space, newest layer winning. */
  #pendingIn(space: string): Map<string, Pending> {
    const out = new Map<string, Pending>();
    for (const layer of this.#layers) {
      for (const p of layer.values()) if (p.space === space) out.set(p.key, p);
    }
    return out;
  }

  async get(space: string, key: string): Promise<StoredRecord | undefined> {
    this.assertActive('get');
    const p = this.#pending(space, key);
    if (p !== undefined) return p.op === 'put' ? pendingRecord(p) : undefined;
    const record = live(await this.core.adapter.get(space, key), this.core.clock);
    const s = slot(space, key);
    if (!this.#recordChecks.has(s)) {
      this.#recordChecks.set(s, { kind: 'record', space, key, version: record?.version ?? null });
    }
    return record;
  }

  getSync(): null {
    return null; // reads inside a transaction record what they saw: always the async path
  }

  async scanKeys(scan: KeyScan): Promise<StoredRecord[]> {
    this.assertActive('list');
    const pending = this.#pendingIn(scan.space);
    // Ask for enough committed rows that pending deletes cannot starve the page.
    const wider: KeyScan = { ...scan, limit: scan.limit + pending.size };
    const committed = await this.core.adapter.scanKeys(wider);
    this.#scanChecks.push({
      kind: 'scan',
      scan: wider,
      seen: committed.map((r) => [r.key, r.version] as const),
    });
    const merged = new Map<string, StoredRecord>();
    for (const r of committed) merged.set(r.key, r);
    for (const p of pending.values()) {
      if (!inKeyRange(p.key, scan)) continue;
      if (p.op === 'delete' || !isLive(pendingRecord(p), scan.now)) merged.delete(p.key);
      else merged.set(p.key, pendingRecord(p));
    }
    let rows = [...merged.values()].sort((a, b) => compareKeys(a.key, b.key));
    if (scan.reverse) rows.reverse();
    // A committed page that was cut short by the limit ends where the merged view must end too.
    const last = committed[committed.length - 1];
    if (committed.length === wider.limit && last !== undefined) {
      rows = rows.filter((r) =>
        scan.reverse ? compareKeys(r.key, last.key) >= 0 : compareKeys(r.key, last.key) <= 0,
      );
    }
    return rows.slice(0, scan.limit);
  }

  async scanIndex(scan: IndexScan): Promise<IndexHit[]> {
    this.assertActive('find');
    const pending = this.#pendingIn(scan.space);
    const wider: IndexScan = { ...scan, limit: scan.limit + pending.size };
    const committed = await this.core.adapter.scanIndex(wider);
    this.#scanChecks.push({
      kind: 'scan',
      scan: wider,
      seen: committed.map((h) => [h.record.key, h.record.version] as const),
    });
    const cmp = (a: { value: Uint8Array; key: string }, b: { value: Uint8Array; key: string }) =>
      compareBytes(a.value, b.value) || compareKeys(a.key, b.key);
    const hits = committed.filter((h) => !pending.has(h.record.key));
    for (const p of pending.values()) {
      if (p.op !== 'put') continue;
      const entry = p.indexes.find((e) => e.index === scan.index);
      if (entry === undefined) continue;
      const pos = { value: entry.value, key: p.key };
      if (scan.gte !== undefined && compareBytes(entry.value, scan.gte) < 0) continue;
      if (scan.lt !== undefined && compareBytes(entry.value, scan.lt) >= 0) continue;
      if (scan.after !== undefined) {
        const c = cmp(pos, scan.after);
        if (scan.reverse ? c >= 0 : c <= 0) continue;
      }
      hits.push({ value: entry.value, record: pendingRecord(p) });
    }
    const key = (h: IndexHit) => ({ value: h.value, key: h.record.key });
    let sorted = hits.sort((a, b) => cmp(key(a), key(b)));
    if (scan.reverse) sorted.reverse();
    const last = committed[committed.length - 1];
    if (committed.length === wider.limit && last !== undefined) {
      sorted = sorted.filter((h) => {
        const c = cmp(key(h), key(last));
        return scan.reverse ? c >= 0 : c <= 0;
      });
    }
    return sorted.slice(0, scan.limit);
  }

  async write(writes: readonly Write[], checks: readonly CommitCheck[]): Promise<number[]> {
    this.assertActive('write');
    const layer = this.#layers[this.#layers.length - 1] as Map<string, Pending>;
    for (const c of checks) {
      if (c.kind !== 'record') continue;
      // A condition on a record this transaction already wrote is checked against its own write.
      const p = this.#pending(c.space, c.key);
      if (p !== undefined) {
        const exists = p.op === 'put';
        if ((c.version === null) !== !exists || (c.version !== null && c.version !== 0)) {
          throw storageErrors.create(
            'E_CONFLICT',
            `"${c.key}" was already written by this transaction`,
            {
              details: {
                space: c.space,
                key: c.key,
                expected: c.version,
                actual: exists ? 0 : null,
              },
              retryable: false,
            },
          );
        }
        continue;
      }
      const s = slot(c.space, c.key);
      const seen = this.#recordChecks.get(s);
      if (seen !== undefined && seen.kind === 'record' && seen.version !== c.version) {
        throw storageErrors.create(
          'E_CONFLICT',
          `"${c.key}" is at version ${seen.version ?? 'absent'} in this transaction, not ${c.version ?? 'absent'}`,
          { details: { space: c.space, key: c.key, expected: c.version, actual: seen.version } },
        );
      }
      this.#recordChecks.set(s, c);
    }
    for (const w of writes) {
      const s = slot(w.space, w.key);
      layer.delete(s); // keep insertion order = last write order
      layer.set(s, w);
    }
    return writes.map(() => 0);
  }

  /** Runs `fn` in a savepoint: if it throws, only its writes are discarded. */
  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    this.assertActive('savepoint');
    const layer = new Map<string, Pending>();
    this.#layers.push(layer);
    try {
      const result = await fn();
      this.#layers.pop();
      const parent = this.#layers[this.#layers.length - 1] as Map<string, Pending>;
      for (const [s, p] of layer) {
        parent.delete(s);
        parent.set(s, p);
      }
      return result;
    } catch (error) {
      this.#layers.pop();
      throw error;
    }
  }

  /** Ends the transaction: commits its writes (if any) after checking its reads. */
  async commit(): Promise<CommitResult | undefined> {
    this.assertActive('commit');
    this.#ended = true;
    const writes: Write[] = [];
    const flat = new Map<string, Pending>();
    for (const layer of this.#layers) {
      for (const [s, p] of layer) {
        flat.delete(s);
        flat.set(s, p);
      }
    }
    for (const p of flat.values()) writes.push(p);
    const checks = [...this.#recordChecks.values(), ...this.#scanChecks];
    if (writes.length === 0 && checks.length === 0) return undefined;
    // A read-only transaction still validates what it read, so it never returns a view that
    // no serial order could have produced.
    return this.core.commit(writes, checks);
  }

  rollback(): void {
    this.#ended = true;
  }
}
