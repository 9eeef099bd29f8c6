/**
 * Audit entries: checking what callers append, sealing a record into the hash chain, and the
 * exact bytes the chain hash and the Merkle leaf are computed over.
 *
 * - `hash = SHA-256 hex( prev ‖ canonicalJson(entry without "hash") )`, where `prev` is the
 *   64-hex-digit hash of the entry before (64 zeros for entry 0) written as ASCII text, `‖`
 *   plain concatenation, canonicalJson RFC 8785 (core's `canonicalJson`).
 * - Merkle leaf i = SHA-256( 0x00 ‖ canonicalJson(entry i, with "hash") ) (RFC 6962 leaf hash
 *   of the entry's canonical UTF-8 bytes). That text is also exactly what storage holds.
 */
import { hash as oneShot } from 'node:crypto';
import { canonicalJson } from '@plinth/core';
import { accessErrors } from '../errors.js';
import { DEFAULT_ACCESS_LIMITS } from '../options.js';
import type { AuditEntry, AuditRecordInput, JsonValue } from '../types.js';
import { leafHash, leafHashHex } from './merkle.js';
const sha256Hex = (text: string): string => oneShot('sha256', text, 'hex');

/** The `prev` of entry 0. */
export const ZERO_HASH = '0'.repeat(64);

export const AUDIT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const TYPE_MAX = 128;
const OUTCOMES = new Set(['success', 'failure', 'deny']);
const RECORD_FIELDS = new Set(['type', 'actor', 'subject', 'outcome', 'source', 'data']);
const TEXT_FIELDS = ['actor', 'subject', 'source'] as const;

function bad(message: string, field: string): never {
  throw accessErrors.create('E_INVALID_ARGUMENT', `audit record: ${message}`, {
    details: { field },
  });
}

/** Copies a strict JSON value (plain objects, arrays, strings, finite numbers, booleans, null). */
function copyJson(value: unknown, path: string, depth: number, maxDepth: number): JsonValue {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) bad(`${path} holds a malformed string (lone surrogate)`, path);
      return value;
    case 'number':
      if (!Number.isFinite(value)) bad(`${path} is not a finite number`, path);
      return Object.is(value, -0) ? 0 : value;
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return bad(`${path} is not JSON (${typeof value})`, path);
  }
  if (value === null) return null;
  if (depth >= maxDepth) {
    throw accessErrors.create('E_LIMIT_EXCEEDED', `audit record nests deeper than ${maxDepth}`, {
      details: { limit: 'maxDepth', max: maxDepth },
    });
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) bad(`${path}[${i}] is a hole`, path);
      out.push(copyJson(value[i], `${path}[${i}]`, depth + 1, maxDepth));
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) bad(`${path} is not a plain object`, path);
  if (Object.getOwnPropertySymbols(value).length > 0) bad(`${path} has symbol keys`, path);
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!k.isWellFormed()) bad(`${path} has a malformed key`, path);
    const copy = copyJson(v, `${path}.${k}`, depth + 1, maxDepth);
    if (k === '__proto__') {
      Object.defineProperty(out, k, {
        value: copy,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[k] = copy;
  }
  return out;
}

export interface RecordLimits {
  readonly maxAuditRecordBytes: number;
  readonly maxDepth: number;
  readonly maxNameLength: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = {
  maxAuditRecordBytes: DEFAULT_ACCESS_LIMITS.maxAuditRecordBytes,
  maxDepth: DEFAULT_ACCESS_LIMITS.maxDepth,
  maxNameLength: DEFAULT_ACCESS_LIMITS.maxNameLength,
};

export interface CheckedRecord {
  readonly record: AuditRecordInput;
  /** Its canonical JSON size in bytes. */
  readonly bytes: number;
  /** Canonical JSON members of the record, pre-rendered for {@link seal}. */
  readonly parts: RecordParts;
}

/**
 * The canonical members of a record, split around the members the chain adds. Canonical key
 * order of an entry is: actor, at, data, hash, outcome, prev, seq, source, subject, type.
 */
interface RecordParts {
  /** `"actor":…,` or empty. */
  readonly actor: string;
  /** `,"data":…` or empty. */
  readonly data: string;
  /** `"outcome":…,` or empty. */
  readonly outcome: string;
  /** `,"source":…,"subject":…,"type":…` (type always present). */
  readonly rest: string;
}

/** A checked, copied record. Throws a typed error on bad input. */
export function checkRecord(input: unknown, limits: RecordLimits): CheckedRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    bad('expected an object', '');
  }
  const proto: unknown = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) bad('expected a plain object', '');
  const r = input as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!RECORD_FIELDS.has(k)) bad(`unknown field ${JSON.stringify(k.slice(0, 64))}`, k);
  }
  const type = r.type;
  if (typeof type !== 'string' || type.length > TYPE_MAX || !AUDIT_TYPE.test(type)) {
    bad(`type must match ${AUDIT_TYPE.source} (at most ${TYPE_MAX} characters)`, 'type');
  }
  const out: Record<string, unknown> = { type };
  for (const f of TEXT_FIELDS) {
    const v = r[f];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > limits.maxNameLength) {
      bad(`${f} must be a non-empty string of at most ${limits.maxNameLength} characters`, f);
    }
    if (!v.isWellFormed()) bad(`${f} is a malformed string`, f);
    out[f] = v;
  }
  if (r.outcome !== undefined) {
    if (typeof r.outcome !== 'string' || !OUTCOMES.has(r.outcome)) {
      bad('outcome must be success, failure or deny', 'outcome');
    }
    out.outcome = r.outcome;
  }
  let dataText: string | undefined;
  if (r.data !== undefined) {
    const d = r.data;
    if (typeof d !== 'object' || d === null || Array.isArray(d))
      bad('data must be an object', 'data');
    out.data = copyJson(d, 'data', 1, limits.maxDepth);
    dataText = canonicalJson(out.data);
  }
  // Strings in canonical JSON are exactly JSON.stringify's (RFC 8785 §3.2.2.2).
  const q = JSON.stringify;
  const parts: RecordParts = {
    actor: out.actor === undefined ? '' : `"actor":${q(out.actor)},`,
    data: dataText === undefined ? '' : `,"data":${dataText}`,
    outcome: out.outcome === undefined ? '' : `"outcome":${q(out.outcome)},`,
    rest:
      (out.source === undefined ? '' : `,"source":${q(out.source)}`) +
      (out.subject === undefined ? '' : `,"subject":${q(out.subject)}`) +
      `,"type":${q(type)}`,
  };
  // The record alone, canonical, is {actor,data,outcome,source,subject,type}: each member
  // present contributes one comma to the parts, the record needs one comma fewer and two braces.
  const bytes = Buffer.byteLength(parts.actor + parts.data + parts.outcome + parts.rest) + 1;
  if (bytes > limits.maxAuditRecordBytes) {
    throw accessErrors.create(
      'E_LIMIT_EXCEEDED',
      `audit record is ${bytes} bytes of canonical JSON, more than maxAuditRecordBytes (${limits.maxAuditRecordBytes})`,
      { details: { limit: 'maxAuditRecordBytes', max: limits.maxAuditRecordBytes, actual: bytes } },
    );
  }
  return { record: out as unknown as AuditRecordInput, bytes, parts };
}

/** The chain hash of an entry (its `hash` field is ignored). */
export function chainHash(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = entry;
  return sha256Hex(entry.prev + canonicalJson(rest));
}

/** A sealed entry: the entry, its canonical text (what storage holds) and its Merkle leaf. */
export interface SealedEntry {
  readonly entry: AuditEntry;
  readonly line: string;
  /** The Merkle leaf hash, hex. */
  readonly leaf: string;
}

/**
 * Seals a checked record at `seq`. The canonical texts are assembled from the pre-rendered
 * parts (equal to `canonicalJson` of the entry, which the tests check property-wise): `seq` and
 * `at` are safe integers, `prev` and `hash` hex.
 */
export function seal(checked: CheckedRecord, seq: number, at: number, prev: string): SealedEntry {
  const p = checked.parts;
  const head = `{${p.actor}"at":${at}${p.data}`;
  const tail = `${p.outcome}"prev":"${prev}","seq":${seq}${p.rest}}`;
  const hash = sha256Hex(`${prev}${head},${tail}`);
  const line = `${head},"hash":"${hash}",${tail}`;
  // Built property by property: spreading the record is several times slower on V8.
  const r = checked.record;
  const e: { -readonly [K in keyof AuditEntry]?: AuditEntry[K] } = { type: r.type };
  if (r.actor !== undefined) e.actor = r.actor;
  if (r.subject !== undefined) e.subject = r.subject;
  if (r.outcome !== undefined) e.outcome = r.outcome;
  if (r.source !== undefined) e.source = r.source;
  if (r.data !== undefined) e.data = r.data;
  e.seq = seq;
  e.at = at;
  e.prev = prev;
  e.hash = hash;
  const entry = e as AuditEntry;
  return { entry, line, leaf: leafHashHex(line) };
}

/** The leaf hash (hex) of an entry as the Merkle tree holds it. */
export function auditLeafHash(entry: AuditEntry): string {
  return leafHash(canonicalJson(entry)).toString('hex');
}
