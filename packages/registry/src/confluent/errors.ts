import { isPlinthError } from '@plinth/core';

/** A Confluent error answer: HTTP status, Confluent `error_code`, message. */
export class ConfluentError extends Error {
  override readonly name = 'ConfluentError';
  readonly status: number;
  readonly errorCode: number;

  constructor(status: number, errorCode: number, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

/** Confluent's error codes used by the handler (see the README's compatibility table). */
export const CONFLUENT_ERROR_CODES = Object.freeze({
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_SOFT_DELETED: 40404,
  SUBJECT_NOT_SOFT_DELETED: 40405,
  SCHEMA_VERSION_SOFT_DELETED: 40406,
  VERSION_NOT_SOFT_DELETED: 40407,
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: 40408,
  SUBJECT_MODE_NOT_CONFIGURED: 40409,
  INCOMPATIBLE_SCHEMA: 409,
  CONCURRENT_CHANGE: 40901,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
  INVALID_MODE: 42204,
  OPERATION_NOT_PERMITTED: 42205,
  REFERENCE_EXISTS: 42206,
  INVALID_SUBJECT: 42208,
  STORE_ERROR: 50001,
});

export const subjectNotFound = (subject: string): ConfluentError =>
  new ConfluentError(404, 40401, `Subject '${subject}' not found.`);
export const versionNotFound = (subject: string, version: string | number): ConfluentError =>
  new ConfluentError(404, 40402, `Version ${String(version)} not found for subject '${subject}'.`);
export const schemaNotFound = (detail = 'Schema not found'): ConfluentError =>
  new ConfluentError(404, 40403, detail);

/** Maps a registry (or any) error to a Confluent answer. */
export function toConfluentError(error: unknown): ConfluentError {
  if (error instanceof ConfluentError) return error;
  if (!isPlinthError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ConfluentError(500, 50001, `Error in the backend data store: ${message}`);
  }
  const m = error.message;
  switch (error.code) {
    case 'E_UNKNOWN_ARTIFACT':
      return new ConfluentError(404, 40401, m);
    case 'E_UNKNOWN_VERSION':
      return new ConfluentError(404, 40402, m);
    case 'E_INVALID_SCHEMA':
    case 'E_BROKEN_REFERENCE':
    case 'E_METADATA_TOO_LARGE':
    case 'E_CONTENT_TOO_LARGE':
      return new ConfluentError(422, 42201, `Invalid schema: ${m}`);
    case 'E_INCOMPATIBLE':
      return new ConfluentError(409, 409, incompatibleMessage(error.details));
    case 'E_KIND_MISMATCH':
      return new ConfluentError(409, 409, `Schema type does not match the subject's: ${m}`);
    case 'E_INVALID_VERSION':
      return new ConfluentError(422, 42202, m);
    case 'E_LIMIT_EXCEEDED':
      return new ConfluentError(422, 42201, `Invalid schema: ${m}`);
    case 'E_INVALID_NAME':
      return new ConfluentError(422, 42208, m);
    case 'E_REFERENCED':
      return new ConfluentError(422, 42206, `One or more references exist to the schema: ${m}`);
    case 'E_READ_ONLY':
      return new ConfluentError(422, 42205, `Operation not permitted: ${m}`);
    case 'E_CONFLICT':
    case 'E_BLOB_BUSY':
      return new ConfluentError(409, 40901, `Concurrent change, retry: ${m}`);
    case 'E_INVALID_ARGUMENT':
      return new ConfluentError(422, 422, m);
    default:
      return new ConfluentError(500, 50001, `Error in the backend data store: ${m}`);
  }
}

function incompatibleMessage(details: Readonly<Record<string, unknown>> | undefined): string {
  const violations = (details?.violations ?? []) as ReadonlyArray<{
    rule?: string;
    path?: string;
    message?: string;
  }>;
  const list = violations.map((v) => `{${v.rule}: ${v.message} at ${v.path}}`).join(', ');
  return `Schema being registered is incompatible with an earlier schema; details: [${list}]`;
}
