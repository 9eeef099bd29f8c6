/**
 * Offline verification of an audit-log export: everything an auditor needs is the export and
 * the log's Ed25519 public key(s). The verifier recomputes every chain hash and the Merkle tree
 * from the entries as they are, and reports every problem it finds (it does not stop at the
 * first): edited, deleted, reordered or inserted entries, a broken chain, a head that does not
 * match, checkpoints whose root or head does not match, bad or unknown signatures, checkpoints
 * that are not consistent with each other, and a log shorter than a checkpoint (truncation).
 */
import type { KeyObject } from 'node:crypto';
import type { AuditLog } from './audit-log.js';
import { accessErrors } from './errors.js';
import { ZERO_HASH, chainHash } from './internal/audit-entry.js';
import {
  checkpointSignatureValid,
  toPublicKey,
  type AuditPublicKey,
} from './internal/audit-keys.js';
import { MerkleTree, leafHash, verifyConsistency } from './internal/merkle.js';
import { canonicalJson } from '@plinth/core';
import type { AuditEntry, Checkpoint } from './types.js';

export const AUDIT_EXPORT_FORMAT = 'plinth.audit-export/1';

/** What `AuditLog.export()` produces and {@link verifyAuditExport} reads. */
export interface AuditExport {
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  readonly name: string;
  readonly origin: string;
  readonly exportedAt: number;
  /** The stored head: entry count and last chain hash. */
  readonly head: { readonly size: number; readonly hash: string };
  /** Entries in storage order (a stored text that is not JSON appears as `{ malformed }`). */
  readonly entries: readonly AuditEntry[];
  readonly checkpoints: readonly Checkpoint[];
  /** Ids of the keys that signed the checkpoints (the verifier brings the keys). */
  readonly keyIds: readonly string[];
}

export type AuditProblemKind =
  | 'malformed'
  | 'edited'
  | 'chain-broken'
  | 'deleted'
  | 'reordered'
  | 'inserted'
  | 'head-mismatch'
  | 'checkpoint-root-mismatch'
  | 'checkpoint-head-mismatch'
  | 'truncated'
  | 'bad-signature'
  | 'unknown-key'
  | 'checkpoint-fork'
  | 'consistency-broken';

export interface AuditProblem {
  readonly kind: AuditProblemKind;
  /** The entry's seq (for entry problems: the seq it claims, or the first missing one). */
  readonly seq?: number;
  /** How many consecutive seqs (deleted ranges). */
  readonly count?: number;
  /** The checkpoint's size (for checkpoint problems). */
  readonly size?: number;
  /** Position of the entry in the export. */
  readonly position?: number;
  readonly message: string;
}

export interface AuditVerifyReport {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** Entries in the export. */
  readonly size: number;
  /** Checkpoints whose signature, root and head all verified. */
  readonly verifiedCheckpoints: number;
  /** The largest verified checkpoint size (entries up to it are covered by a signature). */
  readonly coveredSize: number;
  readonly problems: readonly AuditProblem[];
}

export interface VerifyAuditOptions {
  /** Ed25519 public keys by key id (KeyObject, PEM or JWK). */
  readonly publicKeys: { readonly [keyId: string]: AuditPublicKey };
  /**
   * Checkpoints kept outside the log (by a witness, a monitoring job, a ticket): they are checked
   * like stored ones, so a log cut back below one of them is reported as `truncated`.
   */
  readonly checkpoints?: readonly Checkpoint[];
}

function exportError(message: string): never {
  throw accessErrors.create('E_AUDIT_EXPORT', `audit export: ${message}`);
}

const HEX64 = /^[0-9a-f]{64}$/;

function isCheckpoint(c: unknown): c is Checkpoint {
  if (typeof c !== 'object' || c === null) return false;
  const x = c as Record<string, unknown>;
  return (
    typeof x.origin === 'string' &&
    typeof x.size === 'number' &&
    Number.isSafeInteger(x.size) &&
    x.size >= 0 &&
    typeof x.root === 'string' &&
    typeof x.head === 'string' &&
    typeof x.at === 'number' &&
    typeof x.keyId === 'string' &&
    typeof x.signature === 'string'
  );
}

/** Reads an export from JSON or NDJSON text (as {@link auditExportToNdjson} writes it). */
export function parseAuditExport(text: string): AuditExport {
  if (typeof text !== 'string') exportError('expected text');
  const trimmed = text.trim();
  let value: unknown;
  try {
    if (trimmed.startsWith('{') && !trimmed.includes('\n')) value = JSON.parse(trimmed);
    else if (trimmed.startsWith('{"format"') && trimmed.includes('\n')) {
      const lines = trimmed.split('\n');
      const header = JSON.parse(lines[0] as string) as Record<string, unknown>;
      const entries: unknown[] = [];
      const checkpoints: unknown[] = [];
      for (const line of lines.slice(1)) {
        if (line.trim() === '') continue;
        const item = JSON.parse(line) as { entry?: unknown; checkpoint?: unknown };
        if ('entry' in item) entries.push(item.entry);
        else if ('checkpoint' in item) checkpoints.push(item.checkpoint);
        else exportError('an NDJSON line is neither an entry nor a checkpoint');
      }
      value = { ...header, entries, checkpoints };
    } else value = JSON.parse(trimmed);
  } catch (error) {
    if (accessErrors.is(error)) throw error;
    exportError('not JSON or NDJSON');
  }
  return checkExport(value);
}

/** NDJSON: a header line, then one `{"entry": …}` line per entry and `{"checkpoint": …}` per checkpoint. */
export function auditExportToNdjson(exp: AuditExport): string {
  const { entries, checkpoints, ...header } = checkExport(exp);
  const lines = [JSON.stringify(header)];
  for (const entry of entries) lines.push(JSON.stringify({ entry }));
  for (const checkpoint of checkpoints) lines.push(JSON.stringify({ checkpoint }));
  return lines.join('\n') + '\n';
}

function checkExport(value: unknown): AuditExport {
  if (typeof value !== 'object' || value === null) exportError('expected an object');
  const x = value as Record<string, unknown>;
  if (x.format !== AUDIT_EXPORT_FORMAT) exportError(`format must be "${AUDIT_EXPORT_FORMAT}"`);
  if (!Array.isArray(x.entries)) exportError('entries must be an array');
  if (!Array.isArray(x.checkpoints)) exportError('checkpoints must be an array');
  const head = x.head as Record<string, unknown> | undefined;
  if (
    typeof head !== 'object' ||
    head === null ||
    typeof head.size !== 'number' ||
    typeof head.hash !== 'string'
  ) {
    exportError('head must be { size, hash }');
  }
  if (typeof x.name !== 'string' || typeof x.origin !== 'string') {
    exportError('name and origin must be strings');
  }
  return value as AuditExport;
}

/** Exports a log (same as `log.export()`). */
export function exportAuditLog(log: AuditLog): Promise<AuditExport> {
  return log.export();
}

function isEntry(e: unknown): e is AuditEntry {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const x = e as Record<string, unknown>;
  return (
    typeof x.type === 'string' &&
    typeof x.seq === 'number' &&
    Number.isSafeInteger(x.seq) &&
    x.seq >= 0 &&
    typeof x.at === 'number' &&
    typeof x.prev === 'string' &&
    typeof x.hash === 'string'
  );
}

/** Positions NOT on one longest strictly increasing run of `values` (what moved). */
function outOfOrder(values: readonly number[]): Set<number> {
  const tails: number[] = []; // position of the smallest tail of each length
  const parent = new Array<number>(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((values[tails[mid] as number] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) parent[i] = tails[lo - 1] as number;
    tails[lo] = i;
  }
  const keep = new Set<number>();
  for (
    let i = tails.length > 0 ? (tails[tails.length - 1] as number) : -1;
    i >= 0;
    i = parent[i] as number
  ) {
    keep.add(i);
  }
  const moved = new Set<number>();
  for (let i = 0; i < values.length; i++) if (!keep.has(i)) moved.add(i);
  return moved;
}

/**
 * Verifies an export offline against trusted public keys. Never throws on tampered content
 * (only `E_AUDIT_EXPORT` when the document is not an export at all); every problem found is in
 * `problems`.
 */
export function verifyAuditExport(
  input: AuditExport | string,
  options: VerifyAuditOptions,
): AuditVerifyReport {
  const exp = typeof input === 'string' ? parseAuditExport(input) : checkExport(input);
  if (typeof options !== 'object' || options === null || typeof options.publicKeys !== 'object') {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'verifyAuditExport needs { publicKeys }');
  }
  const keys = new Map<string, KeyObject>();
  for (const [id, k] of Object.entries(options.publicKeys)) keys.set(id, toPublicKey(k));

  const problems: AuditProblem[] = [];
  const entries = exp.entries as readonly unknown[];
  const tree = new MerkleTree();
  const seqs: number[] = [];
  const seqPositions: number[] = [];
  const seen = new Map<number, number>();
  let prevHash: string | undefined = ZERO_HASH;

  for (let p = 0; p < entries.length; p++) {
    const e = entries[p];
    let text: string;
    try {
      text = canonicalJson(e);
    } catch {
      text = '';
    }
    tree.push(leafHash(text));
    if (!isEntry(e)) {
      problems.push({
        kind: 'malformed',
        position: p,
        message: `entry at position ${p} is not an audit entry`,
      });
      prevHash = undefined;
      continue;
    }
    let recomputed: string | undefined;
    try {
      recomputed = chainHash(e);
    } catch {
      recomputed = undefined;
    }
    if (recomputed !== e.hash) {
      problems.push({
        kind: 'edited',
        seq: e.seq,
        position: p,
        message: `entry ${e.seq} does not match its hash: it was edited`,
      });
    }
    if (prevHash !== undefined && e.prev !== prevHash) {
      problems.push({
        kind: 'chain-broken',
        seq: e.seq,
        position: p,
        message: `entry ${e.seq} does not link to the entry before it`,
      });
    }
    prevHash = e.hash;
    const dup = seen.get(e.seq);
    if (dup !== undefined) {
      problems.push({
        kind: 'inserted',
        seq: e.seq,
        position: p,
        message: `a second entry claims seq ${e.seq} (first at position ${dup}): an entry was inserted`,
      });
    } else {
      seen.set(e.seq, p);
      seqs.push(e.seq);
      seqPositions.push(p);
    }
  }

  // Out of place: the entries not on a longest increasing run of seqs were moved.
  for (const i of outOfOrder(seqs)) {
    const seq = seqs[i] as number;
    problems.push({
      kind: 'reordered',
      seq,
      position: seqPositions[i] as number,
      message: `entry ${seq} is out of order`,
    });
  }
  // Missing seqs, up to the larger of the highest seq seen and the head's size.
  const last = Math.max(
    seqs.reduce((m, s) => Math.max(m, s), -1),
    Number.isSafeInteger(exp.head.size) ? Math.min(exp.head.size - 1, seqs.length + 1_000_000) : -1,
  );
  for (let s = 0; s <= last; s++) {
    if (seen.has(s)) continue;
    let t = s;
    while (t + 1 <= last && !seen.has(t + 1)) t++;
    problems.push({
      kind: 'deleted',
      seq: s,
      count: t - s + 1,
      message: t === s ? `entry ${s} is missing` : `entries ${s}–${t} are missing`,
    });
    s = t;
  }

  const lastEntry = entries[entries.length - 1];
  const lastHash = entries.length === 0 ? ZERO_HASH : isEntry(lastEntry) ? lastEntry.hash : '';
  if (exp.head.size !== entries.length || exp.head.hash !== lastHash) {
    problems.push({
      kind: 'head-mismatch',
      message: `the head says ${exp.head.size} entries ending in ${String(exp.head.hash).slice(0, 12)}…, the log holds ${entries.length}`,
    });
  }

  // Checkpoints: stored ones and witnessed ones.
  const all: Checkpoint[] = [];
  for (const c of [...exp.checkpoints, ...(options.checkpoints ?? [])] as unknown[]) {
    if (!isCheckpoint(c)) {
      problems.push({ kind: 'malformed', message: 'a checkpoint is not a checkpoint' });
      continue;
    }
    all.push(c);
  }
  const good: Checkpoint[] = [];
  const bySize = new Map<number, Checkpoint>();
  let coveredSize = 0;
  for (const c of all) {
    const key = keys.get(c.keyId);
    let signed = false;
    if (key === undefined) {
      problems.push({
        kind: 'unknown-key',
        size: c.size,
        message: `checkpoint ${c.size} is signed by unknown key ${c.keyId}`,
      });
    } else if (c.origin !== exp.origin || !checkpointSignatureValid(c, key)) {
      problems.push({
        kind: 'bad-signature',
        size: c.size,
        message: `checkpoint ${c.size} has a bad signature`,
      });
    } else signed = true;
    const other = bySize.get(c.size);
    if (other !== undefined && other.root !== c.root) {
      problems.push({
        kind: 'checkpoint-fork',
        size: c.size,
        message: `two checkpoints of size ${c.size} disagree on the root`,
      });
    }
    bySize.set(c.size, c);
    if (c.size > entries.length) {
      problems.push({
        kind: 'truncated',
        size: c.size,
        message: `checkpoint ${c.size} covers more entries than the log holds (${entries.length}): the log was cut back`,
      });
      continue;
    }
    let fine = signed;
    if (tree.root(c.size).toString('hex') !== c.root) {
      fine = false;
      problems.push({
        kind: 'checkpoint-root-mismatch',
        size: c.size,
        message: `the entries do not hash to the root of checkpoint ${c.size}`,
      });
    }
    const headAt = c.size === 0 ? ZERO_HASH : (entries[c.size - 1] as Partial<AuditEntry>).hash;
    if (headAt !== c.head) {
      fine = false;
      problems.push({
        kind: 'checkpoint-head-mismatch',
        size: c.size,
        message: `entry ${c.size - 1} is not the head checkpoint ${c.size} names`,
      });
    }
    if (fine) {
      good.push(c);
      coveredSize = Math.max(coveredSize, c.size);
    }
  }
  // Each signed checkpoint must extend the one before it (RFC 9162 consistency).
  const signedOnes = all
    .filter((c) => {
      const k = keys.get(c.keyId);
      return (
        k !== undefined &&
        c.size <= entries.length &&
        checkpointSignatureValid(c, k) &&
        HEX64.test(c.root)
      );
    })
    .sort((a, b) => a.size - b.size);
  for (let i = 1; i < signedOnes.length; i++) {
    const a = signedOnes[i - 1] as Checkpoint;
    const b = signedOnes[i] as Checkpoint;
    if (a.size === b.size) continue;
    const proof = tree.consistencyProof(a.size, b.size).map((x) => x.toString('hex'));
    if (!verifyConsistency(a.size, b.size, a.root, b.root, proof)) {
      problems.push({
        kind: 'consistency-broken',
        size: b.size,
        message: `checkpoint ${b.size} is not an extension of checkpoint ${a.size} over these entries`,
      });
    }
  }

  return {
    ok: problems.length === 0,
    size: entries.length,
    verifiedCheckpoints: good.length,
    coveredSize,
    problems,
  };
}
