import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from '@plinth/core';
import { ValueFormat, type IndexEntry, type StoredRecord } from './adapter.js';
import { storageErrors } from './errors.js';
import { KV_SPACE, indexEntriesOf } from './internal/collections.js';
import { SCHEMA_SPACE } from './internal/index-backfill.js';
import type { StoreCore } from './internal/session.js';

/**
 * The portable backup format: newline-delimited JSON, UTF-8, one object per line, each written
 * in canonical form (sorted keys) so the same data gives the same bytes from any adapter.
 *
 *   {"format":"plinth-backup","version":1,"createdAt":…,"lastSeq":…,"spaces":[…],"adapter":…}
 *   {"space":"users"}                                   a section per space
 *   {"k":"key","v":12,"f":0,"d":{…document…},"x":null}  a record: key, version, format, data, expiry
 *   {"block":500,"sha256":"…"}                          every BLOCK records and at section ends
 *   {"end":true,"records":1234,"sha256":"…"}            the trailer
 *
 * `d` is the document itself for JSON records and base64 for bytes, strings, numbers and codec
 * envelopes (encrypted values stay encrypted: restoring needs the same keyring). Each `sha256`
 * is the running digest of every byte before its line, so a reader verifies each block before
 * using it and the trailer proves nothing was cut off.
 */
export const BACKUP_FORMAT = 'plinth-backup';
export const BACKUP_VERSION = 1;
const BLOCK = 500;

export interface BackupHeader {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: number;
  readonly createdAt: number;
  readonly adapter: string;
  readonly lastSeq: number;
  readonly spaces: readonly string[];
}

export interface BackupSummary {
  readonly header: BackupHeader;
  readonly records: number;
  readonly bytes: number;
  readonly sha256: string;
}

interface RecordLine {
  readonly k: string;
  readonly v: number;
  readonly f: number;
  readonly d: unknown;
  readonly x: number | null;
}

function recordLine(record: StoredRecord): RecordLine {
  let d: unknown;
  if (record.format === ValueFormat.JSON) {
    d = typeof record.data === 'string' ? JSON.parse(record.data) : record.data;
  } else {
    d = Buffer.from(record.data as Uint8Array).toString('base64');
  }
  return { k: record.key, v: record.version, f: record.format, d, x: record.expiresAt };
}

function lineRecord(line: RecordLine): StoredRecord {
  const data =
    line.f === ValueFormat.JSON
      ? JSON.stringify(line.d)
      : new Uint8Array(Buffer.from(line.d as string, 'base64'));
  return { key: line.k, version: line.v, format: line.f as ValueFormat, data, expiresAt: line.x };
}

/** Streams a backup of everything in the store, one chunk per line. */
export async function* writeBackup(
  core: StoreCore,
  onProgress: (records: number, bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  const adapter = core.adapter;
  const hash = createHash('sha256');
  let bytes = 0;
  let records = 0;
  const emit = (value: unknown): Uint8Array => {
    const chunk = Buffer.from(canonicalJson(value) + '\n', 'utf8');
    hash.update(chunk);
    bytes += chunk.length;
    return chunk;
  };
  const digest = () => hash.copy().digest('hex');
  // Index bookkeeping describes the source database, not the data: a restore recomputes entries.
  const spaces = (await adapter.spaces()).filter((s) => s !== SCHEMA_SPACE);
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: core.clock.now(),
    adapter: adapter.name,
    lastSeq: await adapter.lastSeq(),
    spaces,
  };
  yield emit(header);
  for (const space of spaces) {
    yield emit({ space });
    let after: string | undefined;
    let inBlock = 0;
    for (;;) {
      const page = await adapter.scanKeys({
        kind: 'keys',
        space,
        reverse: false,
        limit: BLOCK,
        now: Number.NEGATIVE_INFINITY, // keep records whatever their expiry
        ...(after !== undefined && { gt: after }),
      });
      for (const record of page) {
        yield emit(recordLine(record));
        records++;
        if (++inBlock === BLOCK) {
          const sum = digest();
          yield emit({ block: inBlock, sha256: sum });
          inBlock = 0;
        }
      }
      onProgress(records, bytes);
      const last = page[page.length - 1];
      if (page.length < BLOCK || last === undefined) break;
      after = last.key;
    }
    if (inBlock > 0) {
      const sum = digest();
      yield emit({ block: inBlock, sha256: sum });
    }
  }
  const sum = digest();
  yield emit({ end: true, records, sha256: sum });
}

/** Where a backup is read from: any (async) iterable of bytes or text chunks. */
export type BackupSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw storageErrors.create('E_BACKUP_INVALID', `backup: ${message}`, { details });
}

/** Splits a byte/text stream into lines, hashing exactly the bytes of each line before it. */
async function* lines(
  source: BackupSource,
): AsyncGenerator<{ text: string; before: Hash; lineNo: number }> {
  const hash = createHash('sha256');
  let pending = Buffer.alloc(0);
  let lineNo = 0;
  if (
    typeof source !== 'object' ||
    source === null ||
    !(Symbol.asyncIterator in source || Symbol.iterator in source)
  ) {
    throw storageErrors.create('E_BACKUP_INVALID', 'a backup must be a stream of bytes or text');
  }
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      throw storageErrors.create(
        'E_BACKUP_INVALID',
        `line ${lineNo + 1}: a backup chunk must be bytes or text`,
      );
    }
    pending = Buffer.concat([
      pending,
      typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk),
    ]);
    for (let nl = pending.indexOf(0x0a); nl >= 0; nl = pending.indexOf(0x0a)) {
      const line = pending.subarray(0, nl + 1);
      pending = pending.subarray(nl + 1);
      lineNo++;
      yield { text: line.subarray(0, nl).toString('utf8'), before: hash, lineNo };
      hash.update(line);
    }
  }
  if (pending.length > 0) invalid('truncated: the last line has no newline', { line: lineNo + 1 });
}

export interface BackupSection {
  readonly space: string;
  /** Verified records (a whole block at a time). */
  readonly records: StoredRecord[];
}

/**
 * Reads a backup, verifying every block digest before handing its records to `onBlock`, and
 * the trailer at the end. Throws E_BACKUP_INVALID on any damage.
 */
export async function readBackup(
  source: BackupSource,
  onBlock: (section: BackupSection) => Promise<void> | void,
  onHeader: (header: BackupHeader) => Promise<void> | void = () => {},
): Promise<BackupSummary> {
  let header: BackupHeader | undefined;
  let space: string | undefined;
  let block: StoredRecord[] = [];
  let records = 0;
  let bytes = 0;
  let ended: BackupSummary | undefined;
  for await (const { text, before, lineNo } of lines(source)) {
    bytes += Buffer.byteLength(text) + 1;
    if (ended !== undefined) invalid('data after the trailer', { line: lineNo });
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return invalid(`line ${lineNo} is not JSON`, { line: lineNo });
    }
    if (header === undefined) {
      if (obj.format !== BACKUP_FORMAT)
        invalid('not a Plinth backup (bad header)', { line: lineNo });
      if (obj.version !== BACKUP_VERSION) {
        invalid(
          `format version ${String(obj.version)} is not supported (this reader knows ${BACKUP_VERSION})`,
          {
            version: obj.version,
          },
        );
      }
      header = obj as unknown as BackupHeader;
      await onHeader(header);
      continue;
    }
    if (typeof obj.space === 'string') {
      if (block.length > 0) invalid('a section ended without its block digest', { line: lineNo });
      space = obj.space;
      continue;
    }
    if (typeof obj.k === 'string') {
      if (space === undefined) invalid('a record outside any section', { line: lineNo });
      if (!Number.isSafeInteger(obj.v) || typeof obj.f !== 'number')
        invalid(`malformed record on line ${lineNo}`);
      block.push(lineRecord(obj as unknown as RecordLine));
      continue;
    }
    if (typeof obj.block === 'number') {
      const expected = before.copy().digest('hex');
      if (obj.sha256 !== expected || obj.block !== block.length) {
        invalid(`checksum mismatch in the block ending on line ${lineNo}`, { line: lineNo });
      }
      records += block.length;
      await onBlock({ space: space as string, records: block });
      block = [];
      continue;
    }
    if (obj.end === true) {
      const expected = before.copy().digest('hex');
      if (obj.sha256 !== expected) invalid('checksum mismatch in the trailer', { line: lineNo });
      if (block.length > 0) invalid('records after the last block digest', { line: lineNo });
      if (obj.records !== records)
        invalid(`the trailer counts ${String(obj.records)} records, found ${records}`);
      ended = { header, records, bytes, sha256: expected };
      continue;
    }
    invalid(`unknown line ${lineNo}`, { line: lineNo });
  }
  if (header === undefined) invalid('empty');
  if (ended === undefined) invalid('truncated: no trailer');
  return { ...ended, bytes };
}

/** Checks a backup end to end without restoring it. */
export function verifyBackup(source: BackupSource): Promise<BackupSummary> {
  return readBackup(source, () => {});
}

/** Index entries of a restored record, recomputed from the document (decrypted if needed). */
export function restoredIndexes(
  core: StoreCore,
  space: string,
  record: StoredRecord,
): IndexEntry[] {
  if (space === KV_SPACE) return [];
  const def = core.collections.get(space);
  if (def === undefined || def.indexes.size === 0) return [];
  return indexEntriesOf(def, core.encoding.decodeDoc(space, record));
}
