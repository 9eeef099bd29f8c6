import type { AuditEntry, Checkpoint } from './types.js';

/**
 * Events of @plinth/access: `namespace:verb`, one payload object, emitted after the change is
 * committed. Payloads never carry secrets: no passwords, session ids, key secrets or TOTP seeds.
 */
export interface AccessEvents {
  'principal:created': { readonly at: number; readonly principal: string; readonly kind: string };
  'principal:updated': { readonly at: number; readonly principal: string };
  'principal:deleted': { readonly at: number; readonly principal: string };
  'role:created': { readonly at: number; readonly role: string };
  'role:updated': { readonly at: number; readonly role: string };
  'role:deleted': { readonly at: number; readonly role: string };
  'role:assigned': {
    readonly at: number;
    readonly principal: string;
    readonly role: string;
    readonly scope: string;
  };
  'role:unassigned': {
    readonly at: number;
    readonly principal: string;
    readonly role: string;
    readonly scope: string;
  };
  /** An authorization decision (emitted only while someone listens). */
  'access:decided': {
    readonly at: number;
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    readonly decision: 'allow' | 'deny';
    readonly determining: readonly string[];
  };
  'login:succeeded': { readonly at: number; readonly principal: string; readonly source?: string };
  /** `principal` is the id as given (it may not exist). */
  'login:failed': {
    readonly at: number;
    readonly principal: string;
    readonly source?: string;
    readonly reason: 'credentials' | 'throttled';
  };
  'password:changed': { readonly at: number; readonly principal: string };
  /** A stored hash was upgraded to the current parameters on a successful login. */
  'password:rehashed': { readonly at: number; readonly principal: string };
  /** `session` is the session's public handle (a hash prefix), never the session id. */
  'session:created': { readonly at: number; readonly principal: string; readonly session: string };
  'session:rotated': {
    readonly at: number;
    readonly principal: string;
    readonly from: string;
    readonly to: string;
  };
  'session:revoked': {
    readonly at: number;
    readonly principal: string;
    readonly sessions: readonly string[];
    readonly reason: string;
  };
  'apikey:created': { readonly at: number; readonly principal: string; readonly keyId: string };
  'apikey:rotated': {
    readonly at: number;
    readonly principal: string;
    readonly from: string;
    readonly to: string;
    readonly graceUntil: number;
  };
  'apikey:revoked': { readonly at: number; readonly principal: string; readonly keyId: string };
  'mfa:enrolled': { readonly at: number; readonly principal: string };
  'mfa:verified': { readonly at: number; readonly principal: string; readonly factor: string };
  'mfa:failed': { readonly at: number; readonly principal: string; readonly reason: string };
  'mfa:disabled': { readonly at: number; readonly principal: string };
  'audit:appended': { readonly at: number; readonly entries: readonly AuditEntry[] };
  'audit:checkpoint': { readonly at: number; readonly checkpoint: Checkpoint };
}
