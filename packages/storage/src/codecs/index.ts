export { Keyring, createKeyring, generateKey } from './keyring.js';
export type { KeyringKey, KeyringOptions } from './keyring.js';
export { createCodec } from './envelope.js';
export type { CodecOptions, CompressionOptions, ValueCodec } from './envelope.js';
