import type { Clock, Logger } from '@plinth/core';

/** A JSON value (what audit data and principal attributes hold). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The outcome an audit record states. */
export type AuditOutcome = 'success' | 'failure' | 'deny';

/**
 * One security event as a component (or the host) hands it to the audit log. `type` is
 * `[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+`: `login.failed`, `apikey.rotated`, `authz.denied`.
 */
export interface AuditRecordInput {
  readonly type: string;
  /** Who acted (a principal id), when known. */
  readonly actor?: string;
  /** What the event is about: a principal id, a key id, a session handle, a role. */
  readonly subject?: string;
  readonly outcome?: AuditOutcome;
  /** Where the request came from (an IP address or a host-given source). */
  readonly source?: string;
  /** Anything else, as JSON. Never secrets. */
  readonly data?: { readonly [key: string]: JsonValue };
}

/** What every component writes its security events to (an {@link AuditLog} is one). */
export interface AuditSink {
  append(record: AuditRecordInput): Promise<unknown>;
}

/** One stored audit entry: the record plus its place in the chain. */
export interface AuditEntry extends AuditRecordInput {
  /** 0, 1, 2… with no gaps: the Merkle leaf index. */
  readonly seq: number;
  /** Epoch ms of the append. */
  readonly at: number;
  /** `hash` of the entry before (64 zero hex digits for the first). */
  readonly prev: string;
  /** SHA-256 hex of `prev` ‖ the entry's canonical JSON (without `hash`). */
  readonly hash: string;
}

/** A signed Merkle checkpoint (signed tree head) over the first `size` entries. */
export interface Checkpoint {
  /** Which log (the `origin` line of the signed note). */
  readonly origin: string;
  readonly size: number;
  /** RFC 6962 Merkle tree hash of entries 0..size-1, hex. */
  readonly root: string;
  /** The chain hash of entry size-1, hex. */
  readonly head: string;
  /** Epoch ms. */
  readonly at: number;
  /** Key id of the Ed25519 key that signed it. */
  readonly keyId: string;
  /** Base64 Ed25519 signature over the checkpoint's signed text. */
  readonly signature: string;
}

/** Options every component takes. */
export interface ComponentOptions {
  /** Time source (expiry, throttling, TOTP steps). @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Where security events go. @default none */
  readonly audit?: AuditSink;
}
