export { createConfluentHandler, CONFLUENT_CONTENT_TYPE, CONFLUENT_ROUTES } from './handler.js';
export { encodeWireFormat, decodeWireFormat, MAGIC_BYTE } from './wire-format.js';
export { ConfluentError, CONFLUENT_ERROR_CODES, toConfluentError } from './errors.js';
export { SubjectNames } from './subjects.js';
export type {
  ConfluentHandler,
  ConfluentHandlerOptions,
  ConfluentRequest,
  ConfluentResponse,
  ConfluentSchemaType,
  ConfluentMode,
  ConfluentReference,
} from './types.js';
