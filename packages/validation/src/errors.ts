import { defineErrors } from '@plinth/core';

/** @plinth/validation's error catalogue. */
export const validationErrors = defineErrors('@plinth/validation', {
  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },
  E_INVALID_OPTION: { description: 'An option is unknown, missing or has a bad value.' },
  E_INVALID_SCHEMA: {
    description:
      'A schema does not parse or is not valid for its format; `details.location` says where (JSON pointer, or line/column for `.proto`).',
  },
  E_UNKNOWN_FORMAT: { description: 'No format plug-in is registered under that name.' },
  E_MISSING_REFERENCE: { description: 'A schema refers to a schema that was not supplied.' },
  E_FORMAT_MISMATCH: {
    description: 'Two schemas of different formats were compared (compatibility, diff).',
  },
  E_VALIDATION_FAILED: {
    description: '`assert()` got a value that does not conform; `details.issues` lists why.',
  },
  E_LIMIT_EXCEEDED: {
    description: 'A schema or payload is larger or deeper than the configured `limits`.',
  },
  E_UNSUPPORTED: { description: 'The format plug-in does not offer this operation.' },
  E_EXPRESSION_SYNTAX: {
    description: 'A business-rule expression does not parse; `details.position` says where.',
  },
  E_RULE_REJECTED: {
    description: 'A business rule with action `reject` failed; `details.failures` lists them.',
  },
  E_RULE_ROUTE_FAILED: {
    description: 'The route callback of a business rule threw; the original error is the `cause`.',
  },
  E_CLOSED: { description: 'The Validation instance was closed.' },
});

export const ERROR_CODES = validationErrors.codes;
export type ValidationErrorCode = keyof typeof ERROR_CODES;

/** Throws `E_INVALID_SCHEMA` with a location. */
export function invalidSchema(
  format: string,
  message: string,
  location: string | { line: number; column: number },
  cause?: unknown,
): never {
  const where =
    typeof location === 'string'
      ? location === ''
        ? 'at the root'
        : `at ${location}`
      : `at line ${location.line}, column ${location.column}`;
  throw validationErrors.create(
    'E_INVALID_SCHEMA',
    `invalid ${format} schema ${where}: ${message}`,
    {
      details: { format, location },
      cause,
    },
  );
}
