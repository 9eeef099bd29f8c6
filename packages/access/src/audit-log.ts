/**
 * The tamper-evident audit log: an append-only, hash-chained log of security events in
 * `@plinth/storage`, with an RFC 6962 Merkle tree over its entries, signed checkpoints (Ed25519)
 * every N entries or T seconds, inclusion and consistency proofs, and an export an auditor
 * verifies offline (see `audit-verify.ts`).
 *
 * Storage layout (collections `access.audit.*`):
 * - `access.audit.blocks`: one document per block of at most `batchMaxEntries` entries (and about
 *   1 MiB), key `<name>/<first seq, 15 digits>`, `{ name, first, count, entries }` where
 *   `entries` holds each entry's canonical JSON text (exactly the bytes of its Merkle leaf).
 * - `access.audit.heads`: key `<name>`, `{ size, hash }`: how many entries the chain has and the
 *   hash of the last. Every commit writes its blocks (up to 16; one appendMany call is never
 *   split) and the head, with compare-and-set, in one transaction, so instances sharing a
 *   database append to one chain and never fork (the loser of a race retries on the new head).
 * - `access.audit.checkpoints`: key `<name>/<size, 15 digits>`, a {@link Checkpoint}.
 */
import {
  Lifecycle,
  TypedEmitter,
  noopLogger,
  systemClock,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@plinth/core';
import type { CollectionDefinitions, Store, Transaction } from '@plinth/storage';
import type { KeyObject } from 'node:crypto';
import { verifyAuditExport, type AuditExport, type AuditVerifyReport } from './audit-verify.js';
import { accessErrors } from './errors.js';
import type { AccessEvents } from './events.js';
import {
  ZERO_HASH,
  checkRecord,
  seal,
  type CheckedRecord,
  type RecordLimits,
  type SealedEntry,
} from './internal/audit-entry.js';
import {
  ORIGIN_PATTERN,
  checkpointNote,
  defaultKeyId,
  signNote,
  toPrivateKey,
  toPublicKey,
  type AuditPublicKey,
  type AuditSigningKey,
} from './internal/audit-keys.js';
import { MerkleTree, leafHashHex } from './internal/merkle.js';
import { storageCall } from './internal/storage.js';
import { DEFAULT_ACCESS_LIMITS } from './options.js';
import type { AuditEntry, AuditRecordInput, AuditSink, Checkpoint } from './types.js';

const C = {
  blocks: 'access.audit.blocks',
  heads: 'access.audit.heads',
  checkpoints: 'access.audit.checkpoints',
} as const;

/** The collections the audit log declares. */
export const AUDIT_COLLECTIONS: CollectionDefinitions = {
  [C.blocks]: {},
  [C.heads]: {},
  [C.checkpoints]: {},
};

/** A block closes at this many bytes of entry text even below `batchMaxEntries`. */
const BLOCK_MAX_BYTES = 1 << 20;
/** A transaction takes whole calls up to this many blocks (one call alone may exceed it). */
const TX_MAX_BLOCKS = 16;
/** Most records one appendMany call takes. */
export const MAX_APPEND_MANY = 100_000;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** What sealing adds to a record: seq, at, prev, hash and their keys (an upper bound). */
const ENTRY_OVERHEAD = 200;

export interface AuditLogOptions {
  /** An open `@plinth/storage` store. */
  readonly store: Store;
  /** Which log of the store this is (several logs can share one store). @default 'default' */
  readonly name?: string;
  /**
   * Ed25519 private key (KeyObject, PEM or JWK) that signs checkpoints. Without it the log
   * still chains and proves inclusion, but makes no checkpoints. @default none
   */
  readonly signingKey?: AuditSigningKey;
  /** Id of the signing key in checkpoints. @default 16 hex digits of SHA-256(raw public key) */
  readonly keyId?: string;
  /** The first line of every checkpoint. @default `plinth.access/audit/<name>` */
  readonly origin?: string;
  /** A checkpoint after this many new entries. 0 disables. @default 1000 */
  readonly checkpointEvery?: number;
  /** A checkpoint this often when entries were added since the last. 0 disables. @default 60000 */
  readonly checkpointIntervalMs?: number;
  /** Most entries per block (one block per storage transaction). @default 1000 */
  readonly batchMaxEntries?: number;
  /** Largest record, in canonical JSON bytes. @default 65536 */
  readonly maxAuditRecordBytes?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
}

export const DEFAULT_AUDIT_LOG_OPTIONS = Object.freeze({
  name: 'default',
  checkpointEvery: 1000,
  checkpointIntervalMs: 60_000,
  batchMaxEntries: 1000,
  maxAuditRecordBytes: DEFAULT_ACCESS_LIMITS.maxAuditRecordBytes,
});

/** An inclusion proof: `path` proves leaf `seq` is in the tree of `treeSize` entries. */
export interface InclusionProof {
  readonly seq: number;
  readonly treeSize: number;
  /** RFC 6962 leaf hash of the entry, hex. */
  readonly leaf: string;
  /** Root of the tree of `treeSize` entries, hex. */
  readonly root: string;
  /** Audit path, hex, leaf to root (RFC 9162 §2.1.3). */
  readonly path: readonly string[];
}

/** A consistency proof between the trees of `oldSize` and `newSize` entries. */
export interface ConsistencyProof {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  /** RFC 9162 §2.1.4 proof, hex. */
  readonly path: readonly string[];
}

interface BlockDoc {
  [field: string]: unknown;
  name: string;
  first: number;
  count: number;
  entries: string[];
}

interface HeadDoc {
  [field: string]: unknown;
  size: number;
  hash: string;
}

type CheckpointDoc = Checkpoint & { [field: string]: unknown; name: string };

/** One append or appendMany call: its records commit together, in one transaction. */
interface Pending {
  readonly records: readonly CheckedRecord[];
  readonly bytes: number;
  readonly at: number;
  readonly resolve: (entries: AuditEntry[]) => void;
  readonly reject: (error: unknown) => void;
}

function pad(n: number): string {
  return String(n).padStart(15, '0');
}

/** A stored block that is not what this module writes: tampered with or corrupted. */
function malformed(first: unknown): Error {
  return accessErrors.create(
    'E_STORAGE',
    `the audit block at ${String(first).slice(0, 20)} is malformed (verify() reports what changed)`,
    { details: { reason: 'malformed-block' } },
  );
}

function parseLine(line: string, first: unknown): AuditEntry {
  let e: unknown;
  try {
    e = JSON.parse(line);
  } catch {
    throw malformed(first);
  }
  if (typeof e !== 'object' || e === null || typeof (e as AuditEntry).seq !== 'number') {
    throw malformed(first);
  }
  return e as AuditEntry;
}

function invalidOption(option: string, message: string): never {
  throw accessErrors.create('E_INVALID_OPTION', `AuditLog: ${message}`, { details: { option } });
}

function intOption(o: Record<string, unknown>, option: string, min: number, dflt: number): number {
  const v = o[option];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    invalidOption(option, `${option} must be an integer ≥ ${min}`);
  }
  return v;
}

function checkSize(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw accessErrors.create('E_INVALID_ARGUMENT', `${what} must be an integer ≥ 0`, {
      details: { argument: what },
    });
  }
  return value;
}

/**
 * The tamper-evident audit log. `append` is group-committed: every append made while a commit
 * is in flight (or in the same tick) goes into the next transaction.
 *
 * ```ts
 * const audit = await AuditLog.open({ store, signingKey: privateKeyPem });
 * await audit.append({ type: 'login.failed', subject: 'alice', outcome: 'failure' });
 * const proof = await audit.inclusionProof(0);
 * const report = await audit.verify(); // { ok: true, problems: [] }
 * ```
 */
export class AuditLog extends TypedEmitter<AccessEvents> implements AuditSink {
  readonly #store: Store;
  readonly #name: string;
  readonly #origin: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #signingKey: KeyObject | undefined;
  readonly #publicKey: KeyObject | undefined;
  readonly #keyId: string | undefined;
  readonly #checkpointEvery: number;
  readonly #batchMax: number;
  readonly #limits: RecordLimits;
  readonly #life: Lifecycle;
  readonly #tree = new MerkleTree();
  /** Chain hash of entry `#tree.size - 1`. */
  #headHash = ZERO_HASH;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #lastCheckpoint = 0;
  #timer: TimerHandle | undefined;
  #lock: Promise<void> = Promise.resolve();
  /** Whether the tree was loaded from storage once. */
  #loaded = false;

  private constructor(options: AuditLogOptions, resolved: Resolved) {
    super();
    this.#store = options.store;
    this.#name = resolved.name;
    this.#origin = resolved.origin;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? noopLogger).child({
      component: '@plinth/access',
      part: 'audit',
    });
    this.#signingKey = resolved.signingKey;
    this.#publicKey = resolved.publicKey;
    this.#keyId = resolved.keyId;
    this.#checkpointEvery = resolved.checkpointEvery;
    this.#batchMax = resolved.batchMaxEntries;
    this.#limits = {
      maxAuditRecordBytes: resolved.maxAuditRecordBytes,
      maxDepth: DEFAULT_ACCESS_LIMITS.maxDepth,
      maxNameLength: DEFAULT_ACCESS_LIMITS.maxNameLength,
    };
    this.#life = new Lifecycle('@plinth/access', 'AuditLog', () => this.#shutdown());
    if (resolved.signingKey !== undefined && resolved.checkpointIntervalMs > 0) {
      this.#timer = this.#clock.setInterval(() => {
        if (this.#life.closed) return;
        // Sync first: the entries may have been appended by another instance.
        this.#sync()
          .then(() =>
            this.#tree.size > this.#lastCheckpoint && !this.#life.closed
              ? this.checkpoint()
              : undefined,
          )
          .catch((error: unknown) =>
            this.#logger.warn({ err: error }, 'a timed audit checkpoint failed'),
          );
      }, resolved.checkpointIntervalMs);
    }
  }

  /** Validates the options and declares the collections. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const resolved = resolve(options);
    await storageCall(() => options.store.ensureCollections(AUDIT_COLLECTIONS));
    const log = new AuditLog(options, resolved);
    try {
      // The Merkle tree loads on first use (append, proof, root), not here: a log whose stored
      // blocks were tampered with still opens, so it can be verified.
      const last = await storageCall(() =>
        options.store.collection<CheckpointDoc>(C.checkpoints).list({
          prefix: `${resolved.name}/`,
          reverse: true,
          limit: 1,
        }),
      );
      log.#lastCheckpoint = last.items[0]?.value.size ?? 0;
    } catch (error) {
      await log.close();
      throw error;
    }
    return log;
  }

  /** The log's name in the store. */
  get name(): string {
    return this.#name;
  }

  /** The checkpoint origin line. */
  get origin(): string {
    return this.#origin;
  }

  /** Number of entries this instance knows of (call `size()` for the stored figure). */
  get knownSize(): number {
    return this.#tree.size;
  }

  /** Id of the checkpoint signing key, if the log has one. */
  get keyId(): string | undefined {
    return this.#keyId;
  }

  /** The Ed25519 public key that verifies this log's checkpoints, if it signs. */
  get publicKey(): KeyObject | undefined {
    return this.#publicKey;
  }

  /**
   * Appends one record; resolves with its entry once the block holding it is committed. Bad
   * input is refused synchronously-early with a typed error and nothing is queued:
   * `E_INVALID_ARGUMENT` (wrong type, unknown field, non-JSON data), `E_LIMIT_EXCEEDED`
   * (`details.limit: 'maxAuditRecordBytes'` or `'maxDepth'`).
   */
  append(record: AuditRecordInput): Promise<AuditEntry> {
    try {
      this.#life.assertOpen('append');
      const checked = checkRecord(record, this.#limits);
      return this.#enqueue([checked]).then((entries) => entries[0] as AuditEntry);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Appends several records in order, atomically: all are checked first (one bad record queues
   * none) and all commit in one transaction (at most {@link MAX_APPEND_MANY} per call).
   */
  appendMany(records: readonly AuditRecordInput[]): Promise<AuditEntry[]> {
    try {
      this.#life.assertOpen('appendMany');
      if (!Array.isArray(records)) {
        throw accessErrors.create('E_INVALID_ARGUMENT', 'appendMany expects an array of records');
      }
      if (records.length > MAX_APPEND_MANY) {
        throw accessErrors.create(
          'E_LIMIT_EXCEEDED',
          `appendMany takes at most ${MAX_APPEND_MANY} records`,
          { details: { limit: 'maxAppendMany', max: MAX_APPEND_MANY } },
        );
      }
      if (records.length === 0) return Promise.resolve([]);
      const checked = records.map((r) => checkRecord(r, this.#limits));
      return this.#enqueue(checked);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #enqueue(records: readonly CheckedRecord[]): Promise<AuditEntry[]> {
    const at = this.#clock.now();
    let bytes = 0;
    for (const r of records) bytes += r.bytes + ENTRY_OVERHEAD;
    const promise = new Promise<AuditEntry[]>((resolve, reject) => {
      this.#pending.push({ records, bytes, at, resolve, reject });
    });
    this.#schedule();
    return promise;
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined) return;
    this.#scheduled = true;
    // Not a timer: the flush runs once the current tick's appends are queued.
    setImmediate(() => {
      this.#scheduled = false;
      this.#startFlush();
    });
  }

  #startFlush(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      if (this.#pending.length > 0) this.#schedule();
    });
  }

  /** Waits until every append made so far is committed (or failed). */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing !== undefined) {
      if (this.#flushing === undefined) this.#startFlush();
      await this.#flushing;
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#takeBatch();
      let sealed: SealedEntry[];
      try {
        sealed = await this.#commit(batch);
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      const entries = sealed.map((s) => s.entry);
      let offset = 0;
      for (const p of batch) {
        p.resolve(entries.slice(offset, offset + p.records.length));
        offset += p.records.length;
      }
      this.emit('audit:appended', { at: this.#clock.now(), entries });
      if (
        this.#signingKey !== undefined &&
        this.#checkpointEvery > 0 &&
        this.#tree.size - this.#lastCheckpoint >= this.#checkpointEvery
      ) {
        await this.#checkpoint().catch((error: unknown) =>
          this.#logger.warn({ err: error }, 'an audit checkpoint failed'),
        );
      }
    }
  }

  /** Whole calls, up to TX_MAX_BLOCKS blocks' worth (the first call is always taken). */
  #takeBatch(): Pending[] {
    const pending = this.#pending;
    let n = 0;
    let count = 0;
    let bytes = 0;
    while (n < pending.length) {
      const p = pending[n] as Pending;
      if (
        n > 0 &&
        (count + p.records.length > this.#batchMax * TX_MAX_BLOCKS ||
          bytes + p.bytes > BLOCK_MAX_BYTES * TX_MAX_BLOCKS)
      ) {
        break;
      }
      count += p.records.length;
      bytes += p.bytes;
      n++;
    }
    return pending.splice(0, n);
  }

  /** Writes one block and moves the head, with compare-and-set; retried when another won. */
  #commit(batch: readonly Pending[]): Promise<SealedEntry[]> {
    return this.#exclusive(() => this.#commitUnlocked(batch));
  }

  async #commitUnlocked(batch: readonly Pending[]): Promise<SealedEntry[]> {
    // The first commit loads the tree outside the transaction (a long read); later ones catch
    // up on what other instances appended inside it, from the head they read.
    if (!this.#loaded) await this.#syncUnlocked();
    const sealed = await storageCall(() =>
      this.#store.transaction(
        async (tx) => {
          const heads = tx.collection<HeadDoc>(C.heads);
          const head = await heads.get(this.#name);
          const size = head?.value.size ?? 0;
          if (size !== this.#tree.size) await this.#catchUp(tx, size);
          const out: SealedEntry[] = [];
          let prev = head?.value.hash ?? ZERO_HASH;
          const blocks = tx.collection<BlockDoc>(C.blocks);
          let first = size;
          let lines: string[] = [];
          let bytes = 0;
          const close = async () => {
            await blocks.insert(this.#blockKey(first), {
              name: this.#name,
              first,
              count: lines.length,
              entries: lines,
            });
            first += lines.length;
            lines = [];
            bytes = 0;
          };
          for (const p of batch) {
            for (const checked of p.records) {
              const s = seal(checked, size + out.length, p.at, prev);
              prev = s.entry.hash;
              out.push(s);
              lines.push(s.line);
              bytes += s.line.length;
              if (lines.length >= this.#batchMax || bytes >= BLOCK_MAX_BYTES) await close();
            }
          }
          if (lines.length > 0) await close();
          const next: HeadDoc = { size: size + out.length, hash: prev };
          if (head === undefined) await heads.insert(this.#name, next);
          else await heads.put(this.#name, next, { ifVersion: head.version });
          return out;
        },
        { retry: { attempts: 100, baseDelayMs: 1, maxDelayMs: 50 } },
      ),
    );
    for (const s of sealed) this.#tree.pushHex(s.leaf);
    this.#headHash = (sealed[sealed.length - 1] as SealedEntry).entry.hash;
    return sealed;
  }

  /** Runs tree mutations one at a time (commits and catch-ups never interleave). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Brings the in-memory tree up to the stored head (entries other instances appended). */
  #sync(): Promise<void> {
    return this.#exclusive(() => this.#syncUnlocked());
  }

  async #syncUnlocked(): Promise<void> {
    const head = await storageCall(() => this.#store.collection<HeadDoc>(C.heads).get(this.#name));
    const size = head?.value.size ?? 0;
    if (size !== this.#tree.size) await this.#catchUp(undefined, size);
    this.#loaded = true;
  }

  async #catchUp(tx: Transaction | undefined, size: number): Promise<void> {
    if (size < this.#tree.size) {
      this.#logger.error(
        { stored: size, known: this.#tree.size },
        'the stored audit head is behind entries this instance saw: the log was truncated',
      );
      throw accessErrors.create(
        'E_CONFLICT',
        `the stored audit head (${size} entries) is behind the ${this.#tree.size} entries already seen: the log was truncated or its head rewritten`,
        { details: { reason: 'head-rewound', stored: size, known: this.#tree.size } },
      );
    }
    const blocks = (tx ?? this.#store).collection<BlockDoc>(C.blocks);
    let cursor: string | undefined;
    while (this.#tree.size < size) {
      const page = await storageCall(() =>
        blocks.list({
          prefix: `${this.#name}/`,
          gte: this.#blockKey(this.#tree.size),
          limit: 100,
          ...(cursor === undefined ? {} : { cursor }),
        }),
      );
      for (const { value } of page.items) {
        if (value.first !== this.#tree.size || !Array.isArray(value.entries)) {
          throw accessErrors.create(
            'E_CONFLICT',
            `audit block at ${value.first} does not continue the chain at ${this.#tree.size}`,
            { details: { reason: 'block-gap', at: this.#tree.size } },
          );
        }
        const lines: unknown[] = value.entries;
        if (!lines.every((l) => typeof l === 'string')) throw malformed(value.first);
        const head = lines[0] as string | undefined;
        if (head !== undefined && parseLine(head, value.first).prev !== this.#headHash) {
          // Never build on (or sign) a chain whose blocks do not link up.
          throw accessErrors.create(
            'E_CONFLICT',
            `the audit block at ${value.first} does not link to the entry before it`,
            { details: { reason: 'chain-broken', at: value.first } },
          );
        }
        const last = lines[lines.length - 1] as string | undefined;
        const lastHash = last === undefined ? this.#headHash : parseLine(last, value.first).hash;
        for (const line of lines as string[]) this.#tree.pushHex(leafHashHex(line));
        this.#headHash = lastHash;
        if (this.#tree.size >= size) break;
      }
      cursor = page.cursor;
      if (cursor === undefined) break;
    }
    if (this.#tree.size !== size) {
      throw accessErrors.create(
        'E_CONFLICT',
        `audit blocks end at ${this.#tree.size} but the head says ${size}`,
        { details: { reason: 'block-gap', at: this.#tree.size } },
      );
    }
  }

  #blockKey(first: number): string {
    return `${this.#name}/${pad(first)}`;
  }

  /** Number of stored entries (reads the head). */
  async size(): Promise<number> {
    this.#life.assertOpen('size');
    await this.#sync();
    return this.#tree.size;
  }

  /** Stored entries from `from` (default 0), at most `limit` (default 100, at most 10000). */
  async entries(options: { from?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    this.#life.assertOpen('entries');
    const from = checkSize(options.from ?? 0, 'from');
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
      throw accessErrors.create('E_INVALID_ARGUMENT', 'limit must be an integer from 1 to 10000');
    }
    const blocks = this.#store.collection<BlockDoc>(C.blocks);
    const prefix = `${this.#name}/`;
    const before = await storageCall(() =>
      blocks.list({ prefix, lt: this.#blockKey(from + 1), reverse: true, limit: 1 }),
    );
    const start = before.items[0]?.key ?? this.#blockKey(from);
    const out: AuditEntry[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await storageCall(() =>
        blocks.list({ prefix, gte: start, limit: 20, ...(cursor === undefined ? {} : { cursor }) }),
      );
      for (const { value } of page.items) {
        const lines: unknown = value.entries;
        if (!Array.isArray(lines)) throw malformed(value.first);
        for (const line of lines as unknown[]) {
          if (typeof line !== 'string') throw malformed(value.first);
          const e = parseLine(line, value.first);
          if (e.seq < from) continue;
          out.push(e);
          if (out.length >= limit) return out;
        }
      }
      cursor = page.cursor;
      if (cursor === undefined) return out;
    }
  }

  /**
   * Signs and stores a checkpoint of the whole log now (after committing pending appends), or
   * returns the stored one when the log has not grown. `E_AUDIT_KEY` without a signing key.
   */
  async checkpoint(): Promise<Checkpoint> {
    this.#life.assertOpen('checkpoint');
    if (this.#signingKey === undefined) {
      throw accessErrors.create('E_AUDIT_KEY', 'checkpoints need the signingKey option');
    }
    await this.flush();
    return this.#checkpoint();
  }

  async #checkpoint(): Promise<Checkpoint> {
    await this.#sync();
    const size = this.#tree.size;
    const root = this.#tree.root(size).toString('hex');
    const checkpoint: Checkpoint = {
      origin: this.#origin,
      size,
      root,
      head: this.#headHash,
      at: this.#clock.now(),
      keyId: this.#keyId as string,
      signature: signNote(checkpointNote(this.#origin, size, root), this.#signingKey as KeyObject),
    };
    const key = `${this.#name}/${pad(size)}`;
    const checkpoints = this.#store.collection<CheckpointDoc>(C.checkpoints);
    const existing = await storageCall(() => checkpoints.get(key));
    if (existing !== undefined) {
      this.#lastCheckpoint = Math.max(this.#lastCheckpoint, size);
      const { name: _n, ...stored } = existing.value;
      return stored;
    }
    try {
      await storageCall(() => checkpoints.insert(key, { name: this.#name, ...checkpoint }));
    } catch (error) {
      // Another instance stored the checkpoint of this size first: same entries, same root.
      if (!accessErrors.is(error, 'E_CONFLICT')) throw error;
      const other = await storageCall(() => checkpoints.get(key));
      if (other === undefined) throw error;
      this.#lastCheckpoint = Math.max(this.#lastCheckpoint, size);
      const { name: _n, ...stored } = other.value;
      return stored;
    }
    this.#lastCheckpoint = Math.max(this.#lastCheckpoint, size);
    this.emit('audit:checkpoint', { at: checkpoint.at, checkpoint });
    return checkpoint;
  }

  /** Stored checkpoints, oldest first. */
  async checkpoints(options: { limit?: number } = {}): Promise<Checkpoint[]> {
    this.#life.assertOpen('checkpoints');
    const out: Checkpoint[] = [];
    let cursor: string | undefined;
    const limit = options.limit ?? Infinity;
    do {
      const page = await storageCall(() =>
        this.#store.collection<CheckpointDoc>(C.checkpoints).list({
          prefix: `${this.#name}/`,
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor }),
        }),
      );
      for (const { value } of page.items) {
        const { name: _n, ...cp } = value;
        out.push(cp);
        if (out.length >= limit) return out;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  async #treeOf(size: number | undefined): Promise<number> {
    if (size === undefined || size > this.#tree.size) await this.#sync();
    const n = size ?? this.#tree.size;
    checkSize(n, 'treeSize');
    if (n > this.#tree.size) {
      throw accessErrors.create(
        'E_INVALID_ARGUMENT',
        `treeSize ${n} is beyond the log's ${this.#tree.size} entries`,
        { details: { argument: 'treeSize', size: this.#tree.size } },
      );
    }
    return n;
  }

  /** The Merkle root of the first `treeSize` entries (default: all), hex. */
  async root(treeSize?: number): Promise<string> {
    this.#life.assertOpen('root');
    return this.#tree.root(await this.#treeOf(treeSize)).toString('hex');
  }

  /**
   * Proof that entry `seq` is in the tree of `treeSize` entries (default: the whole log).
   * O(log n) from the in-memory tree; no storage read when `treeSize` is already known.
   */
  async inclusionProof(seq: number, treeSize?: number): Promise<InclusionProof> {
    this.#life.assertOpen('inclusionProof');
    checkSize(seq, 'seq');
    const n = await this.#treeOf(treeSize);
    if (seq >= n) {
      throw accessErrors.create('E_INVALID_ARGUMENT', `seq ${seq} is not below treeSize ${n}`, {
        details: { argument: 'seq' },
      });
    }
    return {
      seq,
      treeSize: n,
      leaf: this.#tree.leaf(seq).toString('hex'),
      root: this.#tree.root(n).toString('hex'),
      path: this.#tree.inclusionProof(seq, n).map((b) => b.toString('hex')),
    };
  }

  /** Proof that the tree of `oldSize` entries is a prefix of the tree of `newSize` (default: all). */
  async consistencyProof(oldSize: number, newSize?: number): Promise<ConsistencyProof> {
    this.#life.assertOpen('consistencyProof');
    checkSize(oldSize, 'oldSize');
    const n = await this.#treeOf(newSize);
    if (oldSize > n) {
      throw accessErrors.create('E_INVALID_ARGUMENT', `oldSize ${oldSize} is above newSize ${n}`, {
        details: { argument: 'oldSize' },
      });
    }
    return {
      oldSize,
      newSize: n,
      oldRoot: this.#tree.root(oldSize).toString('hex'),
      newRoot: this.#tree.root(n).toString('hex'),
      path: this.#tree.consistencyProof(oldSize, n).map((b) => b.toString('hex')),
    };
  }

  /**
   * Reads everything stored for this log, as it is in the store (not from memory): the head,
   * every entry in block order, every checkpoint. Commits pending appends first.
   */
  async export(): Promise<AuditExport> {
    this.#life.assertOpen('export');
    await this.flush();
    const head = await storageCall(() => this.#store.collection<HeadDoc>(C.heads).get(this.#name));
    const entries: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await storageCall(() =>
        this.#store.collection<BlockDoc>(C.blocks).list({
          prefix: `${this.#name}/`,
          limit: 100,
          ...(cursor === undefined ? {} : { cursor }),
        }),
      );
      for (const { value } of page.items) {
        const lines: unknown = value.entries;
        if (!Array.isArray(lines)) {
          entries.push({ malformed: JSON.stringify(value).slice(0, 200) });
          continue;
        }
        for (const line of lines) {
          try {
            entries.push(typeof line === 'string' ? JSON.parse(line) : { malformed: line });
          } catch {
            entries.push({ malformed: String(line).slice(0, 200) });
          }
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    const checkpoints = await this.checkpoints();
    return {
      format: 'plinth.audit-export/1',
      name: this.#name,
      origin: this.#origin,
      exportedAt: this.#clock.now(),
      head:
        head === undefined
          ? { size: 0, hash: ZERO_HASH }
          : { size: head.value.size, hash: head.value.hash },
      entries: entries as AuditEntry[],
      checkpoints,
      keyIds: [...new Set(checkpoints.map((c) => c.keyId))],
    };
  }

  /**
   * Verifies the stored log (export + {@link verifyAuditExport}) with this log's own public key
   * and any `publicKeys` given; `checkpoints` are checkpoints kept elsewhere (a witness copy).
   */
  async verify(
    options: {
      publicKeys?: { readonly [keyId: string]: AuditPublicKey };
      checkpoints?: readonly Checkpoint[];
    } = {},
  ): Promise<AuditVerifyReport> {
    this.#life.assertOpen('verify');
    const publicKeys: Record<string, AuditPublicKey> = { ...options.publicKeys };
    if (this.#keyId !== undefined && this.#publicKey !== undefined) {
      publicKeys[this.#keyId] = this.#publicKey;
    }
    return verifyAuditExport(await this.export(), {
      publicKeys,
      ...(options.checkpoints === undefined ? {} : { checkpoints: options.checkpoints }),
    });
  }

  /** Commits pending appends, stops the checkpoint timer. Idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#life.close();
  }

  async #shutdown(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.flush().catch(() => {});
  }
}

interface Resolved {
  name: string;
  origin: string;
  signingKey: KeyObject | undefined;
  publicKey: KeyObject | undefined;
  keyId: string | undefined;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  batchMaxEntries: number;
  maxAuditRecordBytes: number;
}

const KNOWN_OPTIONS = new Set([
  'store',
  'name',
  'signingKey',
  'keyId',
  'origin',
  'checkpointEvery',
  'checkpointIntervalMs',
  'batchMaxEntries',
  'maxAuditRecordBytes',
  'clock',
  'logger',
]);

function resolve(options: AuditLogOptions): Resolved {
  if (typeof options !== 'object' || options === null) {
    invalidOption('options', 'AuditLog.open expects an options object');
  }
  const o = options as unknown as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(k)) invalidOption(k, `unknown option ${JSON.stringify(k)}`);
  }
  const store = o.store as Partial<Store> | undefined;
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.transaction !== 'function' ||
    typeof store.ensureCollections !== 'function'
  ) {
    invalidOption('store', '`store` must be a @plinth/storage Store');
  }
  const clock = o.clock as Partial<Clock> | undefined;
  if (
    clock !== undefined &&
    (typeof clock !== 'object' ||
      clock === null ||
      typeof clock.now !== 'function' ||
      typeof clock.setInterval !== 'function')
  ) {
    invalidOption('clock', '`clock` must be a Clock');
  }
  const logger = o.logger as Partial<Logger> | undefined;
  if (
    logger !== undefined &&
    (typeof logger !== 'object' || logger === null || typeof logger.child !== 'function')
  ) {
    invalidOption('logger', '`logger` must be a Logger');
  }
  const name = o.name ?? DEFAULT_AUDIT_LOG_OPTIONS.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    invalidOption('name', `name must match ${NAME.source}`);
  }
  const origin = o.origin ?? `plinth.access/audit/${name}`;
  if (typeof origin !== 'string' || !ORIGIN_PATTERN.test(origin)) {
    invalidOption('origin', 'origin must be 1–256 printable ASCII characters on one line');
  }
  let signingKey: KeyObject | undefined;
  let publicKey: KeyObject | undefined;
  let keyId: string | undefined;
  if (o.signingKey !== undefined) {
    signingKey = toPrivateKey(o.signingKey);
    publicKey = toPublicKey(signingKey);
    keyId = (o.keyId as string | undefined) ?? defaultKeyId(publicKey);
  }
  if (o.keyId !== undefined) {
    if (typeof o.keyId !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(o.keyId)) {
      invalidOption('keyId', 'keyId must be 1–128 printable ASCII characters without spaces');
    }
    if (signingKey === undefined) invalidOption('keyId', 'keyId needs signingKey');
  }
  return {
    name,
    origin,
    signingKey,
    publicKey,
    keyId,
    checkpointEvery: intOption(o, 'checkpointEvery', 0, DEFAULT_AUDIT_LOG_OPTIONS.checkpointEvery),
    checkpointIntervalMs: intOption(
      o,
      'checkpointIntervalMs',
      0,
      DEFAULT_AUDIT_LOG_OPTIONS.checkpointIntervalMs,
    ),
    batchMaxEntries: Math.min(
      10_000,
      intOption(o, 'batchMaxEntries', 1, DEFAULT_AUDIT_LOG_OPTIONS.batchMaxEntries),
    ),
    maxAuditRecordBytes: intOption(
      o,
      'maxAuditRecordBytes',
      64,
      DEFAULT_AUDIT_LOG_OPTIONS.maxAuditRecordBytes,
    ),
  };
}
