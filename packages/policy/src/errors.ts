import { defineErrors } from '@plinth/core';

/** @plinth/policy's error catalogue. */
export const policyErrors = defineErrors('@plinth/policy', {
  E_INVALID_ARGUMENT: { description: 'An argument is missing or malformed.' },
  E_INVALID_OPTION: { description: 'An option is unknown or has a wrong value.' },
  E_LIMIT_EXCEEDED: {
    description:
      'Input passed a limit (policy text size, expression nesting, entity count); details.limit names it.',
  },
  E_PARSE: {
    description:
      'Policy text or Cedar JSON policy is not valid Cedar; details carry line, column and offset.',
  },
  E_DUPLICATE_POLICY_ID: { description: 'Two policies or templates in one set share an id.' },
  E_UNKNOWN_POLICY: { description: 'No policy or template with that id is in the set.' },
  E_LINK: {
    description:
      'A template link is wrong: unknown template, a slot missing or extra, or a value that is not an entity.',
  },
  E_INVALID_ENTITY: {
    description:
      'Entity data is malformed: wrong uid shape, bad attribute value, duplicate uid, or a cycle in parents.',
  },
  E_INVALID_VALUE: {
    description:
      'A value in Cedar JSON format (context, attribute, __entity, __extn) is malformed.',
  },
  E_INVALID_REQUEST: {
    description: 'An authorization request is malformed (principal, action, resource or context).',
  },
  E_SCHEMA_PARSE: {
    description: 'A Cedar schema (text or JSON) is malformed; details carry line and column.',
  },
  E_TEST_FILE: { description: 'A policy test file is malformed; the message names the case.' },
  E_UNSUPPORTED: {
    description:
      'The operation cannot handle this input (a residual that has no SQL form, an analysis outside its fragment).',
  },
  E_NOT_FOUND: { description: 'No policy-set version with that number or digest is stored.' },
  E_CONFLICT: {
    description: 'Another writer changed the active policy set first; read again and retry.',
    retryable: true,
  },
  E_CLOSED: { description: 'The object was closed; it accepts no more calls.' },
});

export const ERROR_CODES = policyErrors.codes;
export type PolicyErrorCode = keyof typeof ERROR_CODES;
