import { isPlinthError } from '@plinth/core';

/** An RFC 9457 problem document, with the Plinth error code. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly package?: string;
  readonly details?: unknown;
  readonly retryable?: boolean;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://plinth.dev/problems/';

const STATUS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^E_UNKNOWN_|^E_NOT_FOUND$|^E_BLOB_NOT_FOUND$|^E_NO_ROLLBACK_TARGET$/, 404],
  [/^E_UNAUTHENTICATED$/, 401],
  [/^E_METHOD_NOT_ALLOWED$/, 405],
  [/^E_UNAUTHORIZED$/, 403],
  [/^E_READ_ONLY$/, 403],
  [/^E_(CONTENT|METADATA)_TOO_LARGE$|^E_LIMIT_EXCEEDED$/, 413],
  [
    /_EXISTS$|^E_CONFLICT$|^E_INCOMPATIBLE$|^E_KIND_MISMATCH$|^E_REFERENCED$|^E_TAGGED$|^E_INVALID_TRANSITION$|^E_FORBIDDEN_TRANSITION$|^E_INVALID_STATE$|^E_PROMOTION_FINISHED$|^E_ALREADY_APPROVED$|^E_STAGE_PINNED$|^E_RELEASE_REJECTED$|^E_NOT_AVAILABLE$|^E_UNMET_DEPENDENCY$|^E_IDEMPOTENCY_MISMATCH$|^E_APPROVAL_EXPIRED$|^E_BLOB_BUSY$|^E_BUSY$|^E_UNIQUE_VIOLATION$/,
    409,
  ],
  [/^E_SELF_APPROVAL$|^E_NOT_APPROVER$/, 403],
  [
    /^E_INVALID_SCHEMA$|^E_BROKEN_REFERENCE$|^E_VALIDATION_FAILED$|^E_MISSING_REFERENCE$|^E_FORMAT_MISMATCH$|^E_DIGEST_MISMATCH$|^E_UNKNOWN_FORMAT$|^E_DEPENDENCY_CYCLE$|^E_RESOLVE_FAILED$/,
    422,
  ],
  [/^E_INVALID_|^E_UNSUPPORTED$/, 400],
  [/^E_CLOSED$/, 503],
];

/** The HTTP status of a Plinth error code. */
export function statusOf(code: string): number {
  // E_UNKNOWN_FORMAT is a bad request body, not a missing resource.
  if (code === 'E_UNKNOWN_FORMAT') return 422;
  for (const [re, status] of STATUS) if (re.test(code)) return status;
  return 500;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  408: 'Request timeout',
  413: 'Content too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  431: 'Request header fields too large',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: TYPE_BASE + code,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
}

/** Any thrown value → a problem document (Plinth errors keep their code and details). */
export function toProblem(error: unknown): Problem {
  if (isPlinthError(error)) {
    const status = statusOf(error.code);
    return problem(status, error.code, error.message, {
      package: error.package,
      ...(error.details !== undefined && { details: error.details }),
      ...(error.retryable && { retryable: true }),
    });
  }
  const e = error as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own errors: bad JSON, oversized bodies, unsupported media types, schema checks.
    const code =
      e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'E_BODY_TOO_LARGE'
        : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'E_UNSUPPORTED_MEDIA_TYPE'
          : e.validation !== undefined
            ? 'E_INVALID_ARGUMENT'
            : e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || /JSON/i.test(e.message ?? '')
              ? 'E_INVALID_JSON'
              : 'E_BAD_REQUEST';
    return problem(e.statusCode, code, e.message ?? 'bad request');
  }
  return problem(500, 'E_INTERNAL', 'internal error');
}
