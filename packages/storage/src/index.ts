export { openStore, Store, Transaction } from './store.js';
export { Collection } from './collection.js';
export { KeyValue } from './kv.js';
export { memoryAdapter, MemoryAdapter } from './adapters/memory.js';
export type { MemoryAdapterOptions } from './adapters/memory.js';
export { storageErrors, ERROR_CODES } from './errors.js';
export type { StorageErrorCode } from './errors.js';
export type { StorageEvents } from './events.js';
export { DEFAULT_STORE_OPTIONS } from './options.js';
export { ValueFormat } from './adapter.js';
export type {
  StorageAdapter,
  AdapterCapabilities,
  StoredRecord,
  Write,
  PutWrite,
  DeleteWrite,
  IndexEntry,
  CommitBatch,
  CommitCheck,
  RecordCheck,
  ScanCheck,
  CommitResult,
  CommitRefusal,
  KeyScan,
  IndexScan,
  IndexHit,
  Change,
  ChangeOp,
} from './adapter.js';
export type {
  StoreOptions,
  StandardSchema,
  Document,
  IndexDefinition,
  CollectionDefinition,
  CollectionDefinitions,
  Entry,
  KvEntry,
  KvValue,
  WriteConditions,
  KvSetOptions,
  DeleteOptions,
  Page,
  ListOptions,
  FindOptions,
  StoreChange,
  TransactionOptions,
  IndexableValue,
} from './types.js';
export { encodeIndexValue } from './internal/index-value.js';
export { Keyring, createKeyring, generateKey, createCodec } from './codecs/index.js';
export type {
  KeyringKey,
  KeyringOptions,
  CodecOptions,
  CompressionOptions,
  ValueCodec,
} from './codecs/index.js';
export { verifyBackup, BACKUP_FORMAT, BACKUP_VERSION } from './backup.js';
export type { BackupHeader, BackupSummary, BackupSource } from './backup.js';
