import { ValueFormat, type StoredRecord } from '../adapter.js';
import type { ValueCodec } from '../codecs/envelope.js';
import { storageErrors } from '../errors.js';
import type { Document, KvValue } from '../types.js';
import { decodeKvValue, encodeKvValue, fromUtf8, utf8 } from './values.js';

/**
 * Turns validated values into what adapters store, and back. Without codecs, documents go to
 * the adapter as JSON text (or as the frozen copy itself on structured adapters, which then
 * cost no parsing on read). With codecs, every value becomes an envelope bound to its record.
 */
export class Encoding {
  readonly #codec: ValueCodec | undefined;
  /** Documents are handed to the adapter as frozen values. */
  readonly structured: boolean;

  constructor(codec: ValueCodec | undefined, structuredAdapter: boolean) {
    this.#codec = codec;
    this.structured = structuredAdapter && codec === undefined;
  }

  get codec(): ValueCodec | undefined {
    return this.#codec;
  }

  encodeDoc(
    space: string,
    key: string,
    doc: Document,
  ): { format: ValueFormat; data: string | Uint8Array | object } {
    if (this.structured) return { format: ValueFormat.JSON, data: doc };
    const text = JSON.stringify(doc);
    const codec = this.#codec;
    if (codec === undefined) return { format: ValueFormat.JSON, data: text };
    return {
      format: ValueFormat.ENVELOPE,
      data: codec.encode(utf8(text), ValueFormat.JSON, aadOf(space, key)),
    };
  }

  decodeDoc(space: string, record: StoredRecord): Document {
    let format = record.format;
    let data = record.data;
    if (format === ValueFormat.ENVELOPE) {
      const inner = this.#open(space, record);
      format = inner.format;
      data = fromUtf8(inner.plain);
    }
    if (format !== ValueFormat.JSON) {
      throw storageErrors.create(
        'E_CODEC',
        `record "${record.key}" of "${space}" is not a document (format ${format})`,
        {
          details: { space, key: record.key, format },
        },
      );
    }
    if (typeof data === 'string') return JSON.parse(data) as Document;
    if (data instanceof Uint8Array) return JSON.parse(fromUtf8(data)) as Document;
    return data as Document;
  }

  encodeKv(space: string, key: string, value: unknown): { format: ValueFormat; data: Uint8Array } {
    const { format, bytes } = encodeKvValue(value);
    const codec = this.#codec;
    if (codec === undefined) return { format, data: bytes };
    return { format: ValueFormat.ENVELOPE, data: codec.encode(bytes, format, aadOf(space, key)) };
  }

  decodeKv(space: string, record: StoredRecord): KvValue {
    if (record.format === ValueFormat.ENVELOPE) {
      const inner = this.#open(space, record);
      return decodeKvValue(inner.format, inner.plain);
    }
    if (!(record.data instanceof Uint8Array)) {
      throw storageErrors.create('E_CODEC', `KV record "${record.key}" holds no bytes`, {
        details: { key: record.key },
      });
    }
    return decodeKvValue(record.format, record.data);
  }

  /** Re-encodes an envelope under the active key (key rotation); undefined when already current. */
  reencode(space: string, record: StoredRecord): Uint8Array | undefined {
    const codec = this.#codec;
    if (codec === undefined || record.format !== ValueFormat.ENVELOPE) return undefined;
    const data = record.data as Uint8Array;
    if (!codec.needsRotation(data)) return undefined;
    const inner = codec.decode(data, aadOf(space, record.key));
    return codec.encode(inner.plain, inner.format, aadOf(space, record.key));
  }

  #open(space: string, record: StoredRecord): { format: ValueFormat; plain: Uint8Array } {
    const codec = this.#codec;
    if (codec === undefined) {
      throw storageErrors.create(
        'E_DECRYPT',
        `record "${record.key}" of "${space}" is encoded (compressed or encrypted) but the store has no codecs configured`,
        { details: { space, key: record.key } },
      );
    }
    if (!(record.data instanceof Uint8Array)) {
      throw storageErrors.create('E_CODEC', `record "${record.key}" has a malformed envelope`, {
        details: { space, key: record.key },
      });
    }
    return codec.decode(record.data, aadOf(space, record.key));
  }
}

/** Associated data binding an envelope to its record: a value moved elsewhere fails to open. */
export function aadOf(space: string, key: string): string {
  return `${space}\u0000${key}`;
}
