import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { coreErrors } from './errors.js';

/**
 * Content hashing shared by storage (backup checksums), registry (content-addressed blobs) and
 * validation (schema fingerprints). Digests are written `sha256:<64 lowercase hex>` so the
 * algorithm travels with the value.
 */
export type Digest = `sha256:${string}`;

/** SHA-256 of a string (UTF-8) or bytes, as lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a string (UTF-8) or bytes, as a `sha256:`-prefixed digest. */
export function digestOf(data: string | Uint8Array): Digest {
  return `sha256:${sha256Hex(data)}`;
}

/** Digest of a JSON value's canonical form: equal documents, whatever their key order, match. */
export function contentDigest(value: unknown): Digest {
  return digestOf(canonicalJson(value));
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** True for a well-formed `sha256:<hex>` digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/** Throws `E_INVALID_ARGUMENT` unless `value` is a well-formed digest. */
export function assertDigest(value: unknown, name = 'digest'): asserts value is Digest {
  if (!isDigest(value)) {
    throw coreErrors.create(
      'E_INVALID_ARGUMENT',
      `${name} must look like "sha256:<64 hex digits>", got ${JSON.stringify(value)}`,
      { details: { name } },
    );
  }
}

/**
 * An incremental hasher for streamed content (backups, blobs): feed chunks, then read the
 * digest and the byte count.
 */
export class StreamingDigest {
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #done: Digest | undefined;

  update(chunk: string | Uint8Array): this {
    if (this.#done !== undefined) {
      throw coreErrors.create('E_CLOSED', 'StreamingDigest.update() after digest()');
    }
    this.#bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    this.#hash.update(chunk);
    return this;
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Finishes the hash; later calls return the same digest. */
  digest(): Digest {
    return (this.#done ??= `sha256:${this.#hash.digest('hex')}`);
  }
}
