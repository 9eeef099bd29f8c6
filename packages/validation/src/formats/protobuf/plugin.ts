import type protobuf from 'protobufjs';
import type { CompiledCheck, FormatPlugin } from '../../format-plugin.js';
import { VALID } from '../../format-plugin.js';
import { validationErrors } from '../../errors.js';
import type { ValidationOutcome } from '../../types.js';
import { compareProtobuf } from './compare.js';
import { type ParsedProtobuf, parseProtobuf } from './parse.js';
import { readProtobufAs, sampleProtobuf } from './sample.js';

function failure(message: string): ValidationOutcome {
  // protobufjs says "a.b: integer expected" — the part before ": " is the field path.
  const m = /^([\w.[\]]+): (.*)$/.exec(message);
  const path = m
    ? `/${(m[1] as string)
        .replace(/\[(\w+)\]/g, '.$1')
        .split('.')
        .join('/')}`
    : '';
  return {
    valid: false,
    issues: [
      { path, message: m ? (m[2] as string) : message, rule: 'protobuf:verify', severity: 'error' },
    ],
  };
}

function compileProtobuf(p: ParsedProtobuf): CompiledCheck {
  const type: protobuf.Type | undefined = p.type;
  if (type === undefined) {
    // A file of enums or services only: valid, but there is no message a value could be.
    const outcome = failure('the schema defines no message, so no value conforms to it');
    return { test: () => false, validate: () => outcome };
  }
  return {
    test: (value) =>
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      type.verify(value as Record<string, unknown>) === null,
    validate(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return failure(`expected a ${p.message} object`);
      const err = type.verify(value as Record<string, unknown>);
      return err === null ? VALID : failure(err);
    },
  };
}

/** Protobuf over protobufjs: `.proto` text or JSON descriptors, imports through references. */
export const protobufFormat: FormatPlugin<ParsedProtobuf> = {
  format: 'protobuf',
  parse: parseProtobuf,
  canonicalForm: (p) => p.canonical,
  compile: (p) => compileProtobuf(p),
  compare: (prev, next, ctx) => compareProtobuf(prev, next, ctx.protobufStrictness),
  decode: (p, bytes) => {
    if (p.type === undefined)
      throw validationErrors.create('E_UNSUPPORTED', 'the schema defines no message to decode');
    return p.type.decode(bytes);
  },
  empirical: { sample: sampleProtobuf, read: readProtobufAs },
};
