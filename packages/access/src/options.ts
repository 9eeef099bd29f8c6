import { DEFAULT_LIMITS } from '@plinth/core';

/** Limits on what callers hand @plinth/access (core's limits object, with access defaults). */
export const DEFAULT_ACCESS_LIMITS = Object.freeze({
  /** Longest principal id, role, group, tenant or scope name, in code points. */
  maxNameLength: DEFAULT_LIMITS.maxNameLength,
  /** Longest credential string accepted at all (API key, session id, token) before parsing. */
  maxCredentialLength: 4096,
  /** Longest password, in UTF-8 bytes (beyond it hashing is a denial-of-service lever). */
  maxPasswordBytes: 1024,
  /** Largest audit record (canonical JSON bytes). */
  maxAuditRecordBytes: 65_536,
  /** Most attributes / depth for principal attributes and audit data. */
  maxDepth: DEFAULT_LIMITS.maxDepth,
});
