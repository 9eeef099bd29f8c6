import { defineErrors } from '@plinth/core';

/**
 * @plinth/access's error catalogue. Credential failures are deliberately coarse: an unknown
 * principal and a wrong password both give `E_INVALID_CREDENTIALS`, so errors never tell an
 * attacker which principals exist.
 */
export const accessErrors = defineErrors('@plinth/access', {
  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },
  E_INVALID_OPTION: {
    description: 'An option is unknown or has a wrong value; details.option names it.',
  },
  E_INVALID_NAME: {
    description:
      'A principal id, role, group, tenant or scope name breaks the name policy; details.rule says how.',
  },
  E_LIMIT_EXCEEDED: { description: 'Input passed a limit; details.limit names it.' },
  E_NOT_FOUND: {
    description:
      'A principal, role, assignment, key or checkpoint asked for by an administrative call does not exist.',
  },
  E_EXISTS: { description: 'A principal, role or enrolment with that id already exists.' },
  E_ROLE_CYCLE: {
    description: 'Role inheritance would form a cycle; details.path lists the roles on it.',
  },
  E_CONFLICT: {
    description:
      'A concurrent change won a compare-and-set race (another instance wrote first); retry.',
    retryable: true,
  },
  E_INVALID_CREDENTIALS: {
    description:
      'Login failed: unknown principal, wrong password or disabled principal, deliberately indistinguishable.',
  },
  E_THROTTLED: {
    description:
      'Too many failures for this principal or source; details.retryAfterMs says when to try again.',
    retryable: true,
  },
  E_PASSWORD_POLICY: {
    description: 'A new password is too short or too long (details.rule: min-length, max-length).',
  },
  E_UNAUTHENTICATED: {
    description:
      'A session id is malformed, unknown, expired or revoked (details.reason), or a required credential is missing.',
  },
  E_TOKEN_INVALID: {
    description:
      'A signed access token is refused: malformed, alg none or not allowed, unknown kid, bad signature, expired or not yet valid (details.reason).',
  },
  E_API_KEY_INVALID: {
    description:
      'An API key is refused: malformed, bad checksum, unknown, revoked or expired (details.reason).',
  },
  E_MFA_INVALID: {
    description:
      'A TOTP or recovery code is wrong, malformed or was already used (details.reason).',
  },
  E_MFA_NOT_ENROLLED: { description: 'The principal has no confirmed TOTP enrolment.' },
  E_FORBIDDEN: {
    description: 'Authorization denied; details carry the determining policies and near misses.',
  },
  E_AUDIT_KEY: {
    description:
      'The audit log needs an Ed25519 signing key for this call, or the key given is not one.',
  },
  E_AUDIT_EXPORT: {
    description: 'An audit-log export is malformed (not the format the verifier reads).',
  },
  E_STORAGE: { description: 'The storage layer failed; the cause is attached.', retryable: true },
  E_CLOSED: { description: 'The object was closed.' },
});

export const ERROR_CODES = accessErrors.codes;
export type AccessErrorCode = keyof typeof ERROR_CODES;
