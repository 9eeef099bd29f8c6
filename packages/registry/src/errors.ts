import { defineErrors } from '@plinth/core';

/** @plinth/registry's error catalogue. */
export const registryErrors = defineErrors('@plinth/registry', {
  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },
  E_INVALID_OPTION: { description: 'An option is unknown, missing or has a bad value.' },
  E_INVALID_NAME: {
    description:
      'A group, artifact or tag name is malformed (groups and names: `[A-Za-z0-9][A-Za-z0-9._-]*`; tags must not be semver ranges).',
  },
  E_INVALID_VERSION: { description: 'A version is not valid semver.' },
  E_LIMIT_EXCEEDED: {
    description:
      'A schema, metadata or rule set is deeper or larger than the registry `limits` (`details.limit` names the limit).',
  },
  E_INVALID_RANGE: { description: 'A range is not a valid node-semver range.' },
  E_UNKNOWN_ARTIFACT: { description: 'No artifact has that group/name (or it is deleted).' },
  E_UNKNOWN_VERSION: { description: 'No version of the artifact matches (id, version or range).' },
  E_UNKNOWN_TAG: { description: 'The artifact has no such tag.' },
  E_ARTIFACT_EXISTS: { description: 'An artifact with that group/name exists already.' },
  E_KIND_MISMATCH: {
    description: 'The artifact exists with another kind (or schema format) than the call gives.',
  },
  E_VERSION_EXISTS: {
    description:
      'The version exists already with different content; versions are immutable. `details` names both digests.',
  },
  E_CONFLICT: {
    description: 'A concurrent change won the race (another instance wrote first). Retry.',
    retryable: true,
  },
  E_INVALID_SCHEMA: {
    description: 'A schema artifact failed the validity rule; `details.cause` holds the reason.',
  },
  E_INCOMPATIBLE: {
    description:
      'A schema failed the compatibility rule; `details.violations` and `details.changes` hold the diff.',
  },
  E_BROKEN_REFERENCE: {
    description:
      'A reference names a version that does not exist, is deleted, or would close a cycle.',
  },
  E_REFERENCED: {
    description: 'The version is referenced by other versions and cannot be hard-deleted.',
  },
  E_TAGGED: { description: 'The version is tagged and cannot be hard-deleted without `force`.' },
  E_INVALID_TRANSITION: {
    description:
      'The lifecycle transition is not allowed (draft → active|disabled, active → deprecated|disabled, deprecated → active|disabled, disabled → deprecated).',
  },
  E_METADATA_TOO_LARGE: {
    description: 'Description, labels or annotations exceed `limits.maxMetadataBytes`.',
  },
  E_CONTENT_TOO_LARGE: {
    description: 'Content exceeds `limits.maxContentBytes` or the blob store’s size limit.',
  },
  E_BLOB_NOT_FOUND: { description: 'The blob store has no bytes for the digest.' },
  E_BLOB_CORRUPT: {
    description:
      'Bytes read back do not hash to their digest (or do not decompress): the blob is corrupted.',
  },
  E_DIGEST_MISMATCH: { description: 'Uploaded bytes do not hash to the digest the caller gave.' },
  E_BLOB_BUSY: {
    description:
      'The garbage collector is removing this blob at this moment; publish again (retryable).',
    retryable: true,
  },
  E_BLOB_STORE: {
    description: 'The blob store failed (filesystem or S3 error); the cause is attached.',
    retryable: true,
  },
  E_READ_ONLY: { description: 'The registry is in read-only mode; writes are refused.' },
  E_IMPORT_INVALID: { description: 'An export stream is malformed, truncated or corrupted.' },
  E_IMPORT_TARGET_NOT_EMPTY: { description: 'Import needs an empty registry.' },
  E_DRIVER_MISSING: {
    description: 'An optional driver (e.g. @aws-sdk/client-s3) is not installed.',
  },
  E_STORAGE: { description: 'The metadata store failed; the storage error is the cause.' },
  E_CLOSED: { description: 'The registry was closed.' },
});

/** The codes `@plinth/registry` raises. */
export const ERROR_CODES = registryErrors.codes;
export type RegistryErrorCode = keyof typeof ERROR_CODES;
